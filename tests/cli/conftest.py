"""Fixtures for the CLI and display tests: the ``serve --seed demo`` content in a fresh fake cluster."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from imageapi.cli import main
from imageapi.cli._serve import SEEDS
from imageapi.testing import FakeCluster


@pytest.fixture
def cluster() -> Iterator[FakeCluster]:
    """Namespace ``demo`` with stream ``hello`` (tags ``1.0``, ``latest`` imported) and a pull secret."""
    cluster = FakeCluster()
    SEEDS["demo"](cluster)
    yield cluster
    cluster.close()


@pytest.fixture
def kubeconfig(cluster: FakeCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The cluster served on loopback, its kubeconfig (namespace ``demo``) in ``$KUBECONFIG``."""
    with cluster.serve() as server:
        path = server.write_kubeconfig(tmp_path / "kubeconfig", namespace="demo")
        monkeypatch.setenv("KUBECONFIG", str(path))
        yield path


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Run:
    """``cli("get", "is")``: run the CLI in process; returns (exit status, stdout, stderr)."""

    def run(*argv: str) -> tuple[int, str, str]:
        status = main(list(argv))
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run
