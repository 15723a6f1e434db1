"""Fixtures for the fake cluster's tests: a fresh cluster and plain httpx clients over its transports."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from imageapi.testing import FakeCluster


@pytest.fixture
def cluster() -> Iterator[FakeCluster]:
    """A fresh fake cluster."""
    fake = FakeCluster()
    yield fake
    fake.close()


@pytest.fixture
def http(cluster: FakeCluster) -> Iterator[httpx.Client]:
    """A plain httpx client over the cluster's in-process transport."""
    with httpx.Client(transport=cluster.transport(), base_url="http://fake") as client:
        yield client


@pytest.fixture
async def ahttp(cluster: FakeCluster) -> AsyncIterator[httpx.AsyncClient]:
    """A plain async httpx client over the cluster's in-process transport."""
    async with httpx.AsyncClient(transport=cluster.async_transport(), base_url="http://fake") as client:
        yield client
