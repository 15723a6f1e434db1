"""pytest fixtures for testing code that uses imageapi against the fake cluster.

Installed with imageapi as the ``pytest11`` entry point ``imageapi``, so the fixtures are available in
any project that has imageapi installed, with no conftest changes:

``fake_cluster``
    A fresh :class:`~imageapi.testing.FakeCluster` per test (namespaces are created on first use).
    Talk to it in process with ``httpx.Client(transport=fake_cluster.transport(), base_url="http://fake")``
    or ``fake_cluster.async_transport()``; inject failures through ``fake_cluster.faults``.

``fake_client`` / ``fake_async_client``
    An :class:`imageapi.Client` (or :class:`imageapi.AsyncClient`) bound to ``fake_cluster`` in
    process, namespace ``default``; closed at the end of the test.

``fake_cluster_server``
    The same cluster served on loopback (``127.0.0.1``, a free port) for clients that need a real
    socket: ``fake_cluster_server.url``, ``fake_cluster_server.write_kubeconfig(tmp_path / "kubeconfig")``.
    The server stops at the end of the test.

Example::

    def test_creates_stream(fake_cluster, fake_client):
        my_script.promote(fake_client, "demo/app:latest")       # the code under test
        assert fake_cluster.get("imagestreams", "app", namespace="demo")["spec"]["tags"]
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from ._cluster import FakeCluster
from ._http_server import FakeServer

if TYPE_CHECKING:
    from .._client import AsyncClient, Client


@pytest.fixture
def fake_cluster() -> Iterator[FakeCluster]:
    """A fresh in-memory fake cluster for one test."""
    cluster = FakeCluster()
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def fake_cluster_server(fake_cluster: FakeCluster) -> Iterator[FakeServer]:
    """``fake_cluster`` served over loopback HTTP for the duration of one test."""
    with fake_cluster.serve() as server:
        yield server


@pytest.fixture
def fake_client(fake_cluster: FakeCluster) -> Iterator[Client]:
    """An :class:`imageapi.Client` bound to ``fake_cluster`` in process."""
    with fake_cluster.client() as client:
        yield client


@pytest.fixture
def fake_async_client(fake_cluster: FakeCluster) -> Iterator[AsyncClient]:
    """An :class:`imageapi.AsyncClient` bound to ``fake_cluster`` in process, for async tests.

    A plain (sync) fixture on purpose, so it works under any async test plugin (anyio, pytest-asyncio);
    the in-process transport holds no sockets, so closing it needs no running loop of the test's.
    """
    client = fake_cluster.async_client()
    try:
        yield client
    finally:
        asyncio.run(client.aclose())
