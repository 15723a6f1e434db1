"""Fixtures for the workflow tests: each test body runs against the sync and the async client.

``api.client`` has the blocking surface of :class:`imageapi.Client` in both modes (the async client's
verbs are awaited on a portal thread), and ``api.call(fn, ...)`` runs a workflow function of
:mod:`imageapi.workflows` with the real client of the mode, awaiting its coroutine in async mode.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from client.conftest import BlockingAsyncClient, cluster, mode, portal

from imageapi import AsyncClient, Client
from imageapi.testing import FakeCluster

NAMESPACE = "demo"


class Api:
    """One client of the current mode on one fake cluster."""

    def __init__(self, cluster: FakeCluster, mode: str, portal: Any) -> None:
        self.cluster = cluster
        self.mode = mode
        self._portal = portal
        if mode == "sync":
            self.real: Client | AsyncClient = cluster.client(namespace=NAMESPACE)
            self.client: Any = self.real
        else:
            self.real = cluster.async_client(namespace=NAMESPACE)
            self.client = BlockingAsyncClient(self.real, portal)

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn(real client, *args, **kwargs)``, awaited in async mode."""
        if self.mode == "sync":
            return fn(self.real, *args, **kwargs)

        async def run() -> Any:
            result = fn(self.real, *args, **kwargs)
            return await result if inspect.isawaitable(result) else result

        return self._portal.call(run)

    def other(self, cluster: FakeCluster) -> Any:
        """A real client of the same mode on another cluster (for ``api.call`` arguments)."""
        return cluster.client(namespace=NAMESPACE) if self.mode == "sync" else cluster.async_client(namespace=NAMESPACE)

    def close(self, client: Client | AsyncClient | None = None) -> None:
        """Close ``client`` (default: this handle's own)."""
        client = client if client is not None else self.real
        if isinstance(client, Client):
            client.close()
        else:
            self._portal.call(client.aclose)


@pytest.fixture
def api(cluster: FakeCluster, mode: str, portal: Any) -> Iterator[Api]:
    """A client of the current mode on ``cluster``, default namespace ``demo``."""
    handle = Api(cluster, mode, portal)
    yield handle
    handle.close()


def stream(cluster: FakeCluster, name: str, namespace: str = NAMESPACE) -> dict[str, Any]:
    """The stream as the server returns it."""
    return cluster.get("imagestreams", name, namespace)


def spec_tag(cluster: FakeCluster, name: str, tag: str, namespace: str = NAMESPACE) -> dict[str, Any] | None:
    """One spec tag of a stream as stored."""
    return next((t for t in stream(cluster, name, namespace)["spec"].get("tags") or [] if t["name"] == tag), None)


def latest_image(cluster: FakeCluster, name: str, tag: str, namespace: str = NAMESPACE) -> str | None:
    """The digest a status tag points to now."""
    for history in stream(cluster, name, namespace).get("status", {}).get("tags") or []:
        if history["tag"] == tag and history.get("items"):
            return str(history["items"][0]["image"])
    return None


def imported(api: Api, name: str, source: str, namespace: str = NAMESPACE) -> str:
    """Import ``source`` (added to the fake registry) into ``namespace/name``; its digest."""
    api.cluster.registry.add_image(source)
    result = api.client.image_streams.import_image(f"{namespace}/{name}", from_=source, confirm=True)
    return str(result.imported[0].digest)


__all__ = ["NAMESPACE", "Api", "cluster", "imported", "latest_image", "mode", "portal", "spec_tag", "stream"]
