"""Shared test configuration."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
#: The full API reference set (the reference pages and the published OpenAPI definitions). It lives
#: outside the repository, beside a checkout (CI has it); tests marked ``reference_set`` compare against
#: it and run only where it is present. Everything else runs in any clone, on fixtures written here.
HAS_REFERENCE_SET = (SHARED / "seeds").is_dir() and (SHARED / "reference").is_dir()
REFERENCE_SET_MARKER = "reference_set"

# The code generator is a script, not part of the package; its library sits next to it.
sys.path.insert(0, str(ROOT / "scripts"))


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio (httpx's default)."""
    return "asyncio"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{REFERENCE_SET_MARKER}: compares with the full API reference set in ../shared; runs only where it is present",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without the reference set, its tests are deselected (said in the header), not skipped one by one."""
    if HAS_REFERENCE_SET:
        return
    needing = [item for item in items if item.get_closest_marker(REFERENCE_SET_MARKER)]
    if needing:
        items[:] = [item for item in items if not item.get_closest_marker(REFERENCE_SET_MARKER)]
        config.hook.pytest_deselected(items=needing)


def pytest_report_header(config: pytest.Config) -> str:
    if HAS_REFERENCE_SET:
        return f"reference set: {SHARED} (tests marked {REFERENCE_SET_MARKER} run)"
    return (
        f"reference set: not found at {SHARED}; tests marked {REFERENCE_SET_MARKER} are deselected "
        "(everything else runs on the fixtures in the repository)"
    )
