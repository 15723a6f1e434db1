"""A fake cluster served as a reader starts it, for the docs' examples and the notebook."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_cluster(tmp_path: Path) -> Iterator[Path]:
    """``python -m imageapi serve --seed demo``, as a reader starts it; yields its kubeconfig."""
    kubeconfig = tmp_path / "fake.kubeconfig"
    server = subprocess.Popen(
        [sys.executable, "-m", "imageapi", "serve", "--seed", "demo", "--kubeconfig", str(kubeconfig)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()  # printed once serving
        assert url.startswith("http"), server.stderr.read() if server.stderr else url
        yield kubeconfig
    finally:
        server.terminate()
        server.wait(timeout=10)
