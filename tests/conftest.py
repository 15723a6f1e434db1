"""Shared test configuration."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

# The code generator is a script, not part of the package; its library sits next to it.
sys.path.insert(0, str(ROOT / "scripts"))


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio (httpx's default)."""
    return "asyncio"
