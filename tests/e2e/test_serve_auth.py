"""``python -m imageapi serve`` with its defaults, driven by real clients (issue 9 §5): the official
client authenticates with the generated token from the kubeconfig ``serve`` writes; kubectl, which
sends a token only over TLS, gets the server's 401 there and works against ``--no-auth``."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from kubernetes import config as kube_config
from kubernetes.dynamic import DynamicClient

pytestmark = pytest.mark.e2e
KUBECTL = shutil.which("kubectl")


@contextmanager
def serve(tmp_path: Path, *args: str) -> Iterator[Path]:
    kubeconfig = tmp_path / "fake.kubeconfig"
    process = subprocess.Popen([sys.executable, "-m", "imageapi", "serve", "--port", "0", "--kubeconfig",
                                str(kubeconfig), "--seed", "demo", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("http://127.0.0.1:")
        yield kubeconfig
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0


def test_the_official_client_uses_the_generated_token(tmp_path: Path) -> None:
    with serve(tmp_path) as kubeconfig:
        api_client = kube_config.new_client_from_config(config_file=str(kubeconfig))
        try:
            streams = DynamicClient(api_client).resources.get(api_version="image.openshift.io/v1",
                                                              kind="ImageStream")
            assert [item.metadata.name for item in streams.get(namespace="demo").items] == ["hello"]
        finally:
            api_client.close()


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not on PATH; this test drives the real binary")
def test_kubectl_needs_no_auth_over_plain_http(tmp_path: Path) -> None:
    assert KUBECTL is not None
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LANG": "C"}

    def kubectl(kubeconfig: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([KUBECTL, f"--kubeconfig={kubeconfig}", "--request-timeout=5s", "get",
                               "imagestreams", "-n", "demo", "-o", "name"], capture_output=True, text=True,
                              env=env, timeout=30)

    (tmp_path / "token").mkdir()
    (tmp_path / "open").mkdir()
    with serve(tmp_path / "token") as kubeconfig:
        refused = kubectl(kubeconfig)
    assert refused.returncode != 0
    assert "You must be logged in to the server" in refused.stderr
    with serve(tmp_path / "open", "--no-auth") as kubeconfig:
        served = kubectl(kubeconfig)
    assert served.returncode == 0, served.stderr
    assert served.stdout.split() == ["imagestream.image.openshift.io/hello"]
