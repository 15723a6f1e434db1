"""Which lists an informer sends (client-go's ``relistResourceVersion``), against the fake, whose
lists served by the watch cache ignore ``limit`` as a real API server's do:

- the first list is ``resourceVersion=0&limit=500`` and arrives whole, in one response;
- a relist after a 410 reads "not older than" the last resourceVersion seen, unpaged;
- a relist whose resourceVersion the server does not have falls back at once to a consistent read
  (no resourceVersion, paged) -- see ``test_informer_too_large``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from imageapi import AsyncClient, Client
from imageapi.controllers import AsyncInformer, Backoff, Informer
from imageapi.testing import FakeCluster

from ._gate import GatedTransport, WatchGate
from .test_informer_consistency import NAMESPACE, cache_state, server_state, settle, stream_body

MANY = 1_200
"""More than two default pages (500): a paged first list would take three requests."""


def lists_of(requests: list[httpx.Request]) -> list[dict[str, str]]:
    """The query of each list request (watches left out)."""
    return [dict(request.url.params) for request in requests
            if request.method == "GET" and request.url.params.get("watch") != "true"]


class Recording(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.requests = inner, list[httpx.Request]()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.inner.handle_request(request)


class AsyncRecording(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.requests = inner, list[httpx.Request]()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)


def seeded(count: int) -> FakeCluster:
    cluster = FakeCluster(namespaces=[NAMESPACE])
    for index in range(count):
        cluster.store.create("imagestreams", NAMESPACE, stream_body(f"s{index:04d}", index))
    return cluster


def test_the_first_list_reads_any_state_and_arrives_in_one_response() -> None:
    cluster = seeded(MANY)
    transport = Recording(cluster.transport())
    with Client(transport=transport, base_url="http://fake", namespace=NAMESPACE) as client, \
            Informer(client.image_streams) as informer:
        assert informer.wait_for_sync(timeout=30)
        assert len(informer.cache) == MANY
        assert cache_state(informer) == server_state(cluster)
        assert informer.stats.list_versions == [str(cluster.resource_version)]
    assert lists_of(transport.requests) == [{"resourceVersion": "0", "limit": "500"}]


def test_the_async_first_list_reads_any_state_and_arrives_in_one_response() -> None:
    cluster = seeded(MANY)
    transport = AsyncRecording(cluster.async_transport())

    async def main() -> None:
        async with AsyncClient(transport=transport, base_url="http://fake", namespace=NAMESPACE) as client, \
                AsyncInformer(client.image_streams) as informer:
            assert await informer.wait_for_sync(timeout=30)
            assert len(informer.cache) == MANY

    asyncio.run(main())
    assert lists_of(transport.requests) == [{"resourceVersion": "0", "limit": "500"}]


def test_a_relist_reads_not_older_than_the_last_version_seen_unpaged() -> None:
    cluster = seeded(3)
    cluster.faults.cut_watches(after_events=1)  # every stream ends after one event
    gate = WatchGate()
    transport = Recording(GatedTransport(cluster.transport(), gate))
    with Client(transport=transport, base_url="http://fake", namespace=NAMESPACE) as client:
        informer: Informer[Any] = Informer(client.image_streams, backoff=Backoff(0.01, 0.05))
        with informer:
            assert informer.wait_for_sync(timeout=10)
            gate.close()
            patched = client.image_streams.patch("s0000", {"metadata": {"annotations": {"v": "1"}}})  # ends the stream
            gate.wait_blocked()
            last_seen = informer.resource_version
            client.image_streams.delete("s0001")
            cluster.faults.compact_history()  # the held resume gets 410
            gate.open()
            settle(informer, cluster)
    assert last_seen == patched.metadata.resource_version  # the stream's one event
    lists = lists_of(transport.requests)
    assert lists == [{"resourceVersion": "0", "limit": "500"}, {"resourceVersion": last_seen}], lists
    assert informer.stats.relists == 1 and informer.stats.lists == 2
    assert cache_state(informer) == server_state(cluster)


def test_the_list_keeps_the_informers_scope_and_selectors() -> None:
    cluster = FakeCluster(namespaces=[NAMESPACE, "other"])
    for index in range(6):
        cluster.store.create("imagestreams", NAMESPACE if index % 2 else "other", stream_body(f"s{index}", index))
    for index in range(3):
        cluster.store.create("images", None, {"metadata": {"name": "sha256:" + f"{index:064x}"},
                                              "dockerImageReference": f"quay.io/x/app@sha256:{index:064x}"})
    with Client(transport=cluster.transport(), base_url="http://fake", namespace=NAMESPACE) as client:
        everywhere = Informer(client.image_streams, all_namespaces=True, label_selector="team in (t1,t2)")
        here = Informer(client.image_streams, field_selector={"metadata.name": "s3"})
        images = Informer(client.images)
        with everywhere, here, images:
            assert everywhere.wait_for_sync(10) and here.wait_for_sync(10) and images.wait_for_sync(10)
            assert everywhere.keys() == [f"{NAMESPACE}/s1", "other/s2"]  # teams t1, t2 (index % 7)
            assert here.keys() == [f"{NAMESPACE}/s3"]
            assert images.keys() == ["sha256:" + f"{index:064x}" for index in range(3)]
            assert images.cache.index_values("namespace") == []  # cluster-scoped: no namespace
