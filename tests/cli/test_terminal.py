"""The CLI in a real terminal (a pty through pexpect): progress bars, rich tables, Ctrl-C in a watch.

And the same commands on a pipe: no progress, no terminal codes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from imageapi.cli._serve import SEEDS
from imageapi.testing import FakeCluster

pexpect = pytest.importorskip("pexpect")

STREAMS = 3000


@pytest.fixture(scope="module")
def kubeconfig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    cluster = FakeCluster()
    SEEDS["demo"](cluster)
    cluster.add_namespace("many")
    for index in range(STREAMS):
        cluster.create("imagestreams", {"metadata": {"name": f"s{index:05d}"}}, namespace="many")
    with cluster.serve() as server:
        yield server.write_kubeconfig(tmp_path_factory.mktemp("cli") / "kubeconfig", namespace="demo")
    cluster.close()


def _env(kubeconfig: Path) -> dict[str, str]:
    return {**os.environ, "KUBECONFIG": str(kubeconfig), "COLUMNS": "200", "TERM": "xterm-256color"}


def _spawn(kubeconfig: Path, *argv: str) -> object:
    return pexpect.spawn(sys.executable, ["-m", "imageapi", *argv], env=_env(kubeconfig), encoding="utf-8",
                         timeout=60, dimensions=(40, 200))


def test_listing_shows_progress_on_a_terminal(kubeconfig: Path) -> None:
    child = _spawn(kubeconfig, "get", "is", "-n", "many", "--chunk-size", "50")
    child.expect("listing imagestreams")  # the bar, drawn on the terminal while pages arrive
    child.expect(r"\d+/3000")  # items so far of the total the server announced (remainingItemCount)
    child.expect("s02999")  # then the table
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_a_pipe_gets_no_progress_and_no_terminal_codes(kubeconfig: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "imageapi", "get", "is", "-n", "many", "--chunk-size", "50"],
                            env=_env(kubeconfig), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stderr == ""
    assert "\x1b" not in result.stdout
    lines = result.stdout.splitlines()
    assert len(lines) == STREAMS + 1 and lines[0].split()[0] == "NAME"


def test_ctrl_c_stops_a_watch_quietly(kubeconfig: Path) -> None:
    child = _spawn(kubeconfig, "watch", "is", "-n", "demo")
    child.expect("EVENT")
    child.expect("ADDED +hello")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "Traceback" not in (child.before or "") and "KeyboardInterrupt" not in (child.before or "")


def test_ctrl_c_stops_get_watch_quietly(kubeconfig: Path) -> None:
    child = _spawn(kubeconfig, "get", "is", "-n", "demo", "-w")
    child.expect("hello")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130 and "Traceback" not in (child.before or "")


def test_prune_shows_progress_on_a_terminal(kubeconfig: Path) -> None:
    child = _spawn(kubeconfig, "prune", "--keep-tag-revisions", "1")
    child.expect("Dry run enabled")
    child.expect("planning the prune")  # the bar while the streams and images are read
    child.expect("Summary: ")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
