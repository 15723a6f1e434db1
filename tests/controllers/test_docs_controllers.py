"""docs/controllers.md runs as written: its python blocks, in order, in one namespace, with
KUBECONFIG pointing at a freshly served fake cluster seeded like ``imageapi serve --seed demo``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from imageapi.cli._serve import SEEDS
from imageapi.testing import FakeCluster

PAGE = Path(__file__).resolve().parents[2] / "docs" / "controllers.md"
BLOCK = re.compile(r"(<!-- not-run: [^>]*-->\n)?```python\n(.*?)```", re.S)


def test_every_python_block_of_the_page_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    blocks = [code for skip, code in BLOCK.findall(PAGE.read_text(encoding="utf-8")) if not skip]
    assert len(blocks) >= 5
    cluster = FakeCluster()
    SEEDS["demo"](cluster)
    with cluster.serve() as server:
        monkeypatch.setenv("KUBECONFIG", str(server.write_kubeconfig(tmp_path / "kubeconfig", namespace="demo")))
        namespace: dict[str, Any] = {"__name__": "__docs__"}
        for number, code in enumerate(blocks, 1):
            exec(compile(code, f"{PAGE.name}, python block {number}", "exec"), namespace)
    printed = capsys.readouterr().out
    # the controller promoted both tags of hello, by digest
    assert re.search(r"^latest -> hello@sha256:", printed, re.M)
    assert re.search(r"^1\.0 -> hello@sha256:", printed, re.M)
    assert "errors=0" in printed
    assert "timed out after 0.5s" in printed
    assert "leader: replica-1" in printed
    promoted = cluster.get("imagestreams", "hello-approved", "demo")
    hello = cluster.get("imagestreams", "hello", "demo")
    assert {tag["name"]: tag["from"]["name"] for tag in promoted["spec"]["tags"]} == {
        tag["tag"]: f"hello@{tag['items'][0]['image']}" for tag in hello["status"]["tags"]}
