"""The relist after a watch answered "too large resource version" (the server restarted without its
state, so the informer's resourceVersion is ahead of everything it has): the watch's ERROR event is
504 Timeout with cause ``ResourceVersionTooLarge``. The informer must list again (not resume), end
with the cache equal to the restarted server's objects, and deliver the difference once each.

The restart is two fake clusters behind one switchable transport: the informer syncs against the
first, the transport is pointed at the second (lower revision), then the first ends the stream.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx

from imageapi import AsyncClient, Client
from imageapi.controllers import AsyncInformer, Backoff, Informer
from imageapi.testing import FakeCluster

from ._gate import AsyncRoutedTransport, RoutedTransport
from .test_informer_consistency import NAMESPACE, cache_state, server_state, settle, stream_body


class Restart:
    """Where the informer's requests go (``before`` until :meth:`switch`), and the watch requests
    that reached the restarted cluster, by the resourceVersion they asked for."""

    def __init__(self) -> None:
        self.before = FakeCluster(namespaces=[NAMESPACE])
        self.after = FakeCluster(namespaces=[NAMESPACE])
        self.switched = False
        self.watches_after: list[str | None] = []
        self.lists_after: list[dict[str, str]] = []
        """The query of each list the restarted cluster answered."""
        self.watching = threading.Event()
        """Set once a watch on ``before`` is answered (its stream is open)."""

    def target(self, request: httpx.Request) -> FakeCluster:
        if not self.switched:
            return self.before
        if request.url.params.get("watch") == "true":
            self.watches_after.append(request.url.params.get("resourceVersion"))
        elif request.method == "GET":
            self.lists_after.append(dict(request.url.params))
        return self.after

    def answered(self, cluster: FakeCluster, request: httpx.Request) -> None:
        if cluster is self.before and request.url.params.get("watch") == "true":
            self.watching.set()

    def prepare(self) -> None:
        """Before: s0, s1, s2 and enough writes that its revision is ahead of the restarted one's.
        After: s3 new, s0 changed, s1 the same spec (a new resourceVersion), s2 gone."""
        with Client(transport=self.before.transport(), base_url="http://fake", namespace=NAMESPACE) as client:
            for index in range(3):
                client.image_streams.create(stream_body(f"s{index}", index))
            for step in range(10):
                client.image_streams.patch("s2", {"metadata": {"annotations": {"v": str(step)}}})
        with Client(transport=self.after.transport(), base_url="http://fake", namespace=NAMESPACE) as client:
            client.image_streams.create(stream_body("s3", 3))
            client.image_streams.create(stream_body("s0", 0) | {"metadata": {
                "name": "s0", "annotations": {"v": "restarted"}}})
            client.image_streams.create(stream_body("s1", 1))
        before, after = server_state(self.before), server_state(self.after)
        # the premise: every surviving object's resourceVersion differs, and the new history is behind
        assert sorted(before) == ["s0", "s1", "s2"] and sorted(after) == ["s0", "s1", "s3"]
        assert all(before[name]["metadata"]["resourceVersion"] != after[name]["metadata"]["resourceVersion"]
                   for name in ("s0", "s1"))
        assert self.after.resource_version < self.before.resource_version
        self.before.faults.cut_watches(after_events=1)  # streams opened from now end after one event

    def restart(self) -> None:
        """Point the transport at the restarted cluster, then end the informer's stream on the old one
        with a write (its streams end after one event): its resume reaches the restarted cluster."""
        assert self.watching.wait(10), "the informer never watched the first cluster"
        self.switched = True
        with Client(transport=self.before.transport(), base_url="http://fake", namespace=NAMESPACE) as client:
            client.image_streams.patch("s1", {"metadata": {"annotations": {"v": "last"}}})


class Delivered:
    """(kind, name, annotation v of the object delivered) per handler call, after the first sync."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, str | None]] = []

    def handlers(self) -> dict[str, Any]:
        def v(obj: Any) -> str | None:
            return (obj.metadata.annotations or {}).get("v")

        return {
            "on_add": lambda obj, initial: self.events.append(("add", obj.metadata.name, v(obj))),
            "on_update": lambda old, new: self.events.append(("update", new.metadata.name, v(new))),
            "on_delete": lambda obj: self.events.append(("delete", obj.metadata.name, v(obj))),
        }


def check(restart: Restart, informer: Any, delivered: Delivered, synced_at: int) -> None:
    assert cache_state(informer) == server_state(restart.after)
    # the stream's last event on the old cluster, then exactly the difference with the restarted one
    after = delivered.events[synced_at:]
    assert after[0] == ("update", "s1", "last")
    assert sorted(after[1:]) == [("add", "s3", None), ("delete", "s2", "9"), ("update", "s0", "restarted"),
                                 ("update", "s1", None)]
    assert informer.stats.relists == 1, informer.stats
    # the relist reads not older than the last version seen (unpaged), which the restarted cluster
    # has not reached; so, at once, a consistent read (no resourceVersion, paged)
    assert restart.lists_after == [{"resourceVersion": str(restart.before.resource_version)}, {"limit": "500"}]
    assert informer.stats.lists == 3 and informer.stats.failures == 2, informer.stats
    # the restarted cluster saw one watch from the old resourceVersion (answered too large), then
    # only the one from its own list's resourceVersion
    assert restart.watches_after == [str(restart.before.resource_version),
                                     informer.stats.list_versions[-1]], restart.watches_after
    assert informer.resource_version is not None
    assert int(informer.resource_version) <= restart.after.resource_version


def test_sync_informer_relists_after_a_too_large_resource_version() -> None:
    restart, delivered = Restart(), Delivered()
    restart.prepare()
    with Client(transport=RoutedTransport(restart.target, restart.answered), base_url="http://fake", namespace=NAMESPACE) as client:
        informer: Informer[Any] = Informer(client.image_streams, backoff=Backoff(0.01, 0.05))
        informer.add_handler(**delivered.handlers())
        with informer:
            assert informer.wait_for_sync(timeout=10)
            synced_at = len(delivered.events)
            restart.restart()
            settle(informer, restart.after)
    check(restart, informer, delivered, synced_at)


def test_async_informer_relists_after_a_too_large_resource_version() -> None:
    restart, delivered = Restart(), Delivered()
    restart.prepare()

    async def main() -> tuple[AsyncInformer[Any], int]:
        async with AsyncClient(transport=AsyncRoutedTransport(restart.target, restart.answered), base_url="http://fake",
                               namespace=NAMESPACE) as client:
            informer = client.image_streams.informer(backoff=Backoff(0.01, 0.05))
            assert isinstance(informer, AsyncInformer)
            informer.add_handler(**delivered.handlers())
            async with informer:
                assert await informer.wait_for_sync(timeout=10)
                synced_at = len(delivered.events)
                await asyncio.to_thread(restart.restart)
                await asyncio.to_thread(settle, informer, restart.after)
            return informer, synced_at

    informer, synced_at = asyncio.run(main())
    check(restart, informer, delivered, synced_at)
