"""``python -m imageapi demo`` runs, exits 0 and tells the story it promises."""

from __future__ import annotations

import io
import subprocess
import sys

from imageapi.cli._demo import run_demo


def test_demo_walks_through_every_step() -> None:
    out = io.StringIO()
    assert run_demo(out) == 0
    text = out.getvalue()
    for expected in (
        "created demo/app",
        "imported sha256:",
        "Tag app:latest set to app@sha256:",
        "spec tag latest  <- ImageStreamImage app@sha256:",
        "app:latest -> sha256:",
        "pull with:    quay.io/example/app@sha256:",
        "NotFoundError: imagestreams.image.openshift.io \"nope\" not found",
        "deleted: Success",
    ):
        assert expected in text, expected
    # Each layer line shows a digest and a size.
    assert sum(1 for line in text.splitlines() if "MiB" in line or "KiB" in line) >= 1


def test_python_m_imageapi_demo_exits_zero() -> None:
    result = subprocess.run([sys.executable, "-m", "imageapi", "demo"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Done." in result.stdout
