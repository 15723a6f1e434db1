"""Every Python example in the docs and the README runs, as a reader would run it.

A page's ```` ```python ```` blocks run in order, in one namespace, in a fresh interpreter whose
``KUBECONFIG`` points at a freshly served fake cluster (``python -m imageapi serve --seed demo``:
namespace ``demo`` with image stream ``hello``, tags ``1.0`` and ``latest``, and a pull secret), from
the repository root. A block preceded by ``<!-- not-run: reason -->`` (it needs a real cluster, say)
is not run, but it is type-checked with mypy like the others.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))])
BLOCK_RE = re.compile(r"(?P<marker><!--\s*not-run:\s*(?P<reason>[^>]*?)\s*-->\s*\n)?^```python\n(?P<code>.*?)^```", re.M | re.S)

# Runs the blocks of one page; says which block failed (its first line in the page) on stderr.
_DRIVER = textwrap.dedent(
    """
    import json, sys, traceback
    blocks = json.loads(sys.stdin.read())
    namespace = {"__name__": "__main__"}
    for line, code in blocks:
        try:
            exec(compile(code, f"{sys.argv[1]}:{line}", "exec"), namespace)
        except BaseException:
            print(f"example at {sys.argv[1]}:{line} failed:", file=sys.stderr)
            traceback.print_exc()
            sys.exit(1)
    """
)


@dataclass(frozen=True)
class Example:
    page: Path
    line: int  # where the code starts in the page, 1-based
    code: str
    not_run: str | None  # the reason, for a block that is only type-checked


def examples(page: Path) -> list[Example]:
    text = page.read_text(encoding="utf-8")
    found = []
    for match in BLOCK_RE.finditer(text):
        line = text.count("\n", 0, match.start("code")) + 1
        found.append(Example(page, line, match["code"], match["reason"] if match["marker"] else None))
    return found


def _label(page: Path) -> str:
    return str(page.relative_to(ROOT))


RUNNABLE = [page for page in PAGES if any(example.not_run is None for example in examples(page))]


@pytest.mark.parametrize("page", RUNNABLE, ids=_label)
def test_examples_run(page: Path, demo_cluster: Path, tmp_path: Path) -> None:
    blocks = [[example.line, example.code] for example in examples(page) if example.not_run is None]
    env = {**os.environ, "KUBECONFIG": str(demo_cluster), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", _DRIVER, _label(page)],
        input=json.dumps(blocks),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]


def test_every_example_type_checks(tmp_path: Path) -> None:
    """mypy on each page's examples as one module (blocks share names, as they run).

    ``union-attr`` and ``index`` are off: API objects' fields are optional on the wire
    (``stream.metadata`` or ``spec.tags`` may be absent in a body), and the examples read them directly
    as a script does; every other check is on.
    """
    files = []
    for page in PAGES:
        blocks = examples(page)
        if not blocks:
            continue
        target = tmp_path / (re.sub(r"\W", "_", _label(page)) + ".py")
        target.write_text("\n".join(example.code for example in blocks), encoding="utf-8")
        files.append(str(target))
    assert files, "no examples found"
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--ignore-missing-imports", "--no-error-summary", "--follow-imports=silent",
         "--check-untyped-defs", "--disable-error-code=no-redef", "--disable-error-code=union-attr", "--disable-error-code=index", *files],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:]


def test_not_run_blocks_say_why() -> None:
    for page in PAGES:
        for example in examples(page):
            if example.not_run is not None:
                assert example.not_run.strip(), f"{_label(page)}:{example.line}: not-run needs a reason"


def test_docs_point_only_inside_the_repository_or_at_public_urls() -> None:
    link = re.compile(r"\]\(([^)\s]+)\)")
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        assert "../shared" not in text, f"{_label(page)} points at ../shared, which users do not have"
        for target in link.findall(text):
            if re.match(r"^(https?://|mailto:|#)", target):
                continue
            path = (page.parent / target.split("#", 1)[0]).resolve()
            assert path.exists(), f"{_label(page)}: link to {target} does not exist"
            assert ROOT in path.parents or path == ROOT, f"{_label(page)}: link to {target} leaves the repository"
