"""``imageapi serve`` is safe on a shared machine by default (issue 9 §5): a random bearer token that
only the 0600 kubeconfig holds, and ``--no-auth`` only when asked for, loudly."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import yaml
from _core_helpers import streams_path


@contextmanager
def serving(*args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    process = subprocess.Popen([sys.executable, "-m", "imageapi", "serve", "--port", "0", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip(), process
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)


def test_serve_requires_a_generated_token_by_default(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "fake.kubeconfig"
    with serving("--kubeconfig", str(kubeconfig), "--seed", "demo") as (url, process):
        assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
        token = yaml.safe_load(kubeconfig.read_text())["users"][0]["user"]["token"]
        assert len(token) >= 32
        with httpx.Client(base_url=url) as anonymous:
            assert anonymous.get(streams_path("demo")).status_code == 401
            assert anonymous.get("/api/v1/namespaces/demo/secrets").status_code == 401
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
            assert [s["metadata"]["name"] for s in client.get(streams_path("demo")).json()["items"]] == ["hello"]
    assert process.returncode == 0
    assert process.stderr is not None
    assert token not in process.stderr.read()  # written only into the kubeconfig


def test_two_servers_get_different_tokens(tmp_path: Path) -> None:
    tokens = []
    for index in range(2):
        kubeconfig = tmp_path / f"k{index}"
        with serving("--kubeconfig", str(kubeconfig)):
            tokens.append(yaml.safe_load(kubeconfig.read_text())["users"][0]["user"]["token"])
    assert tokens[0] != tokens[1]


def test_no_auth_serves_anyone_and_says_so() -> None:
    with serving("--no-auth", "--seed", "demo") as (url, process), httpx.Client(base_url=url) as anonymous:
        assert anonymous.get(streams_path("demo")).status_code == 200
    assert process.stderr is not None
    assert "WARNING: --no-auth" in process.stderr.read()


def test_a_generated_token_needs_a_kubeconfig_to_go_to() -> None:
    result = subprocess.run([sys.executable, "-m", "imageapi", "serve", "--port", "0"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    assert "--kubeconfig" in result.stderr


def test_token_and_no_auth_exclude_each_other() -> None:
    result = subprocess.run([sys.executable, "-m", "imageapi", "serve", "--token", "T", "--no-auth"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "not allowed with argument" in result.stderr
