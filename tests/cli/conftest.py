"""Fixtures for the CLI and display tests: the ``serve --seed demo`` content in a fresh fake cluster."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from imageapi.cli._serve import SEEDS
from imageapi.testing import FakeCluster


@pytest.fixture
def cluster() -> Iterator[FakeCluster]:
    """Namespace ``demo`` with stream ``hello`` (tags ``1.0``, ``latest`` imported) and a pull secret."""
    cluster = FakeCluster()
    SEEDS["demo"](cluster)
    yield cluster
    cluster.close()
