"""``docs/notebooks/explore.ipynb`` runs top to bottom in a real Jupyter kernel against a served fake,
and shows what a notebook user sees: HTML tables for the pager and the tags, an HTML card for a stream."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

nbclient = pytest.importorskip("nbclient", reason="nbclient is in the test extra")
nbformat = pytest.importorskip("nbformat", reason="nbformat is in the test extra")

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "notebooks" / "explore.ipynb"


def _html_outputs(cell: Any) -> list[str]:
    return [output["data"]["text/html"] for output in cell.get("outputs", []) if "text/html" in output.get("data", {})]


def _cell(notebook: Any, source_start: str) -> Any:
    return next(cell for cell in notebook.cells if cell.cell_type == "code" and cell.source.startswith(source_start))


def test_explore_notebook_runs_and_renders_tables(demo_cluster: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(demo_cluster))  # the kernel inherits the environment
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute(env=dict(os.environ))

    errors = [output for cell in notebook.cells for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    assert errors == []

    (streams_html,) = _html_outputs(_cell(notebook, "streams = "))
    assert "<table" in streams_html and "hello" in streams_html and "IMAGE REPOSITORY" in streams_html

    (card,) = _html_outputs(_cell(notebook, "stream = "))
    assert "ImageStream" in card and "hello" in card and "sha256:" in card  # tags with their digests

    (tags_html,) = _html_outputs(_cell(notebook, "tags = "))
    assert "<table" in tags_html and "hello:1.0" in tags_html and "hello:latest" in tags_html

    printed = "".join(output.get("text", "") for output in _cell(notebook, "layers = ").outputs)
    assert "MiB" in printed and "layers" in printed
