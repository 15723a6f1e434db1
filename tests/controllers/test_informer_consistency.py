"""An informer under load: 1,000 image streams, writes in flight, watches cut every K events, the
watch history compacted (410) twice, and the server restarted from its state file (``--state``) in
between. The cache must end equal to the server's state and every change must be delivered once, in
order per object. The restart must not cost a relist: the restored watch history lets the informer
resume where it stopped.

Runs for Informer and AsyncInformer, in process and over loopback.

"Lost" and "superseded" are told apart: while the history is compacted, changes made before the
relist cannot be delivered one by one (the server no longer has them); the relist delivers each
object's state at that moment instead. A change counts as *superseded* when a relist delivered a
later version of its object (or its deletion), and as *lost* otherwise. Lost must be 0, doubled must
be 0, and the supersessions can only happen across relists (at least two happen).
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from imageapi import AsyncClient, Client
from imageapi.controllers import AsyncInformer, Backoff, Informer
from imageapi.testing import FakeCluster, FakeServer

from ._gate import AsyncGatedTransport, AsyncRoutedTransport, GatedTransport, RoutedTransport, WatchGate

NAMESPACE = "load"
OBJECTS = 1_000
WRITES = 900
CUT_EVERY = 97
RESTART_AT = WRITES // 2
"""The write step (between the two compactions) at which the server is restarted from its state file."""
SETTLE_SECONDS = 60.0
"""Safety net only: how long the informer may take to catch up after the last write."""


def stream_body(name: str, index: int) -> dict[str, Any]:
    """A realistic stream: labels, annotations, tracking spec tags with policies."""
    return {
        "metadata": {"name": name, "labels": {"app": name, "team": f"t{index % 7}"},
                     "annotations": {"openshift.io/image.dockerRepositoryCheck": "2024-01-01T00:00:00Z"}},
        "spec": {"lookupPolicy": {"local": False}, "tags": [
            {"name": "latest", "from": {"kind": "ImageStreamTag", "name": f"{name}:1.0"},
             "referencePolicy": {"type": "Source"}, "importPolicy": {"importMode": "Legacy"}},
            {"name": "1.0", "from": {"kind": "DockerImage", "name": f"quay.io/load/{name}:1.0"},
             "referencePolicy": {"type": "Local"}, "importPolicy": {"scheduled": False}}]},
    }


@dataclass
class Ledger:
    """What was written and what the informer delivered, per object."""

    written: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    """object → resourceVersions its writes produced, in order"""
    deleted: set[str] = field(default_factory=set)
    delivered: dict[str, list[tuple[str, str | None, bool]]] = field(default_factory=lambda: defaultdict(list))
    """object → (type, resourceVersion, during a relist) per delivered change"""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, informer: Any, kind: str, obj: Any) -> None:
        with self.lock:
            self.delivered[obj.metadata.name].append(
                (kind, obj.metadata.resource_version, informer.relisting))

    def handlers(self, informer: Any) -> dict[str, Any]:
        return {
            "on_add": lambda obj, initial: self.record(informer, "add", obj),
            "on_update": lambda old, new: self.record(informer, "update", new),
            "on_delete": lambda obj: self.record(informer, "delete", obj),
        }

    def audit(self, windows: list[tuple[int, int]]) -> dict[str, Any]:
        """Counts; ``windows`` are the (held resume version, relist version] ranges in which changes
        could only reach the informer through a relist."""

        def in_window(version: int) -> bool:
            return any(low < version <= high for low, high in windows)

        lost = doubled = superseded = 0
        examples: list[Any] = []
        for name, versions in self.written.items():
            events = self.delivered.get(name, [])
            live = [int(v) for kind, v, _ in events if kind != "delete" and v]
            if len(live) != len(set(live)) or live != sorted(live):
                doubled += 1
            delivered_versions = {v for _, v, _ in events}
            for version in versions:
                if version in delivered_versions:
                    continue
                if in_window(int(version)):
                    superseded += 1
                else:
                    lost += 1
                    examples.append((name, version, versions, events))
            if name in self.deleted and not any(kind == "delete" for kind, _, _ in events):
                # a stream created (or last changed) and deleted while the informer was held
                if versions and in_window(int(versions[-1])):
                    superseded += 1
                else:
                    lost += 1
                    examples.append((name, "deleted", versions, events))
        return {"writes": sum(map(len, self.written.values())) + len(self.deleted),
                "events": sum(map(len, self.delivered.values())), "lost": lost, "doubled": doubled,
                "superseded": superseded, "examples": examples[:3]}


class Site:
    """The cluster under test, in process or served on loopback, and restartable: :meth:`restart`
    stops it (every open watch ends) and starts a new one from the same state file (same port)."""

    def __init__(self, over: str, state: Path) -> None:
        self.over, self.state = over, state
        self.cluster = FakeCluster(namespaces=[NAMESPACE], state=state)
        self.server: FakeServer | None = self.cluster.serve() if over == "loopback" else None
        self.restarts = 0

    def restart(self) -> None:
        port = self.server.port if self.server is not None else 0
        if self.server is not None:
            self.server.close()
        self.cluster.close()
        self.cluster = FakeCluster(namespaces=[NAMESPACE], state=self.state)
        assert self.cluster.restored
        self.cluster.faults.cut_watches(after_events=CUT_EVERY)
        if self.over == "loopback":
            self.server = self.cluster.serve(port)
        self.restarts += 1

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        self.cluster.close()

    def writer(self) -> Client:
        """A client for the test's own writes, in process, following restarts."""
        return Client(transport=RoutedTransport(self.current), base_url="http://fake", namespace=NAMESPACE)

    def current(self, _request: httpx.Request) -> FakeCluster:
        """The cluster running now, for a :class:`RoutedTransport`."""
        return self.cluster


def seed(site: Site, ledger: Ledger) -> None:
    """OBJECTS streams before the informer starts (their state arrives with its first list)."""
    with site.writer() as client:
        for index in range(OBJECTS):
            name = f"s{index:04d}"
            client.image_streams.create(stream_body(name, index))
            ledger.written[name] = []


def write_load(site: Site, ledger: Ledger, rng: random.Random, gate: WatchGate) -> None:
    """WRITES writes (updates, creates, deletes); twice, the informer is held disconnected while
    writes happen and the history is compacted, so its resume gets 410; once, in between, the server
    is restarted from its state file while more writes happen, and the informer resumes from the
    restored history."""
    alive = sorted(ledger.written)
    fresh = iter(range(OBJECTS, 10 * OBJECTS))
    compactions = {WRITES // 3, 2 * WRITES // 3}
    held_since: int | None = None
    with site.writer() as client:
        for step in range(WRITES):
            if step >= RESTART_AT and not site.restarts and held_since is None:
                gate.close(expect_relist=False)
                site.restart()  # the informer's watch ends; its resume waits at the gate
                gate.wait_blocked()
                for _ in range(10):  # changes made while it was away, kept in the restored history
                    write_one(client, ledger, rng, alive, fresh, step)
                gate.open()
            if step in compactions:
                gate.close()  # the next watch reconnect (after at most CUT_EVERY events) waits
                held_since = step
            if held_since is not None and gate.blocked.is_set() and step - held_since >= 20:
                for _ in range(5):  # after the held resume point: compacting these forces a 410
                    write_one(client, ledger, rng, alive, fresh, step)
                site.cluster.faults.compact_history()
                gate.log.append(f"compacted at {site.cluster.store.compacted_revision}")
                for _ in range(20):  # changes the informer can only learn from a relist
                    write_one(client, ledger, rng, alive, fresh, step)
                gate.open()
                held_since = None
            write_one(client, ledger, rng, alive, fresh, step)
        if held_since is not None:
            gate.wait_blocked()
            for _ in range(5):
                write_one(client, ledger, rng, alive, fresh, WRITES)
            site.cluster.faults.compact_history()
            gate.open()


def write_one(client: Client, ledger: Ledger, rng: random.Random, alive: list[str], fresh: Iterator[int],
              step: int) -> None:
    roll = rng.random()
    if roll < 0.7:
        name = rng.choice(alive)
        updated = client.image_streams.patch(name, {"metadata": {"annotations": {"step": str(step)}}})
        ledger.written[name].append(updated.metadata.resource_version)
    elif roll < 0.85:
        index = next(fresh)
        name = f"s{index:04d}"
        created = client.image_streams.create(stream_body(name, index))
        ledger.written[name].append(created.metadata.resource_version)
        alive.append(name)
    else:
        name = alive.pop(rng.randrange(len(alive)))
        client.image_streams.delete(name)
        ledger.deleted.add(name)


def current(where: FakeCluster | Site) -> FakeCluster:
    """The cluster running now (a site's changes at a restart)."""
    return where.cluster if isinstance(where, Site) else where


def server_state(where: FakeCluster | Site) -> dict[str, dict[str, Any]]:
    # List items carry no apiVersion/kind (the list does): compared without them on both sides.
    return {item["metadata"]["name"]: without_kind(item) for item in current(where).list("imagestreams", NAMESPACE)}


def cache_state(informer: Any) -> dict[str, dict[str, Any]]:
    return {obj.metadata.name: without_kind(obj.to_dict()) for obj in informer.cache.list()}


def without_kind(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key not in ("apiVersion", "kind")}


def settle(informer: Any, cluster: FakeCluster | Site) -> None:
    """Wait (real time, bounded) until the cache has caught up with the server's last write."""
    done = threading.Event()
    deadline = threading.Timer(SETTLE_SECONDS, done.set)
    deadline.start()
    try:
        target = str(current(cluster).resource_version)
        while not done.is_set():
            expected = server_state(cluster)
            cached = {key.split("/", 1)[1]: informer.cache.resource_version(key) for key in informer.cache.list_keys()}
            if cached == {name: item["metadata"]["resourceVersion"] for name, item in expected.items()}:
                return
            done.wait(0.05)
        raise AssertionError(f"the cache did not catch up with resourceVersion {target}")
    finally:
        deadline.cancel()


@contextmanager
def served(site: Site, gate: WatchGate, *, sync: bool) -> Iterator[dict[str, Any]]:
    """Client options reaching ``site`` in process or over loopback HTTP, through ``gate``."""
    if site.server is None:
        inner: Any = RoutedTransport(site.current) if sync else AsyncRoutedTransport(site.current)
        base_url = "http://fake"
    else:
        # The restarted server listens on the same port: the informer's client needs no change.
        inner = httpx.HTTPTransport() if sync else httpx.AsyncHTTPTransport()
        base_url = site.server.url
    yield {"base_url": base_url,
           "transport": GatedTransport(inner, gate) if sync else AsyncGatedTransport(inner, gate)}


def check(ledger: Ledger, informer: Any, site: Site, gate: WatchGate) -> None:
    assert site.restarts == 1
    expected, cached = server_state(site), cache_state(informer)
    assert cached.keys() == expected.keys()
    assert [name for name in expected if cached[name] != expected[name]] == []
    relist_versions = [int(version) for version in informer.stats.list_versions[1:]]
    # two compactions, two relists; the restart resumed from the restored history, without one
    assert len(relist_versions) == len(gate.held_versions) == 2, (informer.stats, gate.log, gate.held_versions)
    counts = ledger.audit(list(zip(gate.held_versions, relist_versions, strict=True)))
    assert counts["lost"] == 0, counts
    assert counts["doubled"] == 0, counts
    assert informer.stats.relists >= 2, informer.stats  # both compactions forced a relist
    assert counts["events"] >= counts["writes"] - counts["superseded"]
    print(f"\ninformer consistency {type(informer).__name__}: {counts}, relists {informer.stats.relists}, "
          f"restarts {site.restarts}")


@pytest.fixture
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    """The seeded cluster under test (``over``: in process or on loopback), its watches cut every
    CUT_EVERY events for the whole test."""
    running = Site(request.param, tmp_path / "cluster.state")
    try:
        yield running
    finally:
        running.close()


@pytest.mark.parametrize("site", ["process", "loopback"], indirect=True)
def test_sync_informer_ends_equal_to_the_server_and_delivers_every_change_once(site: Site) -> None:
    ledger, gate = Ledger(), WatchGate()
    seed(site, ledger)
    site.cluster.faults.cut_watches(after_events=CUT_EVERY)  # every stream, for the whole test
    with served(site, gate, sync=True) as options, Client(namespace=NAMESPACE, **options) as client:
        informer = Informer(client.image_streams, backoff=Backoff(0.01, 0.05))
        informer.add_handler(**ledger.handlers(informer))
        with informer:
            assert informer.wait_for_sync(timeout=SETTLE_SECONDS)
            write_load(site, ledger, random.Random(11), gate)
            settle(informer, site)
    check(ledger, informer, site, gate)


@pytest.mark.parametrize("site", ["process", "loopback"], indirect=True)
def test_async_informer_ends_equal_to_the_server_and_delivers_every_change_once(site: Site) -> None:
    ledger, gate = Ledger(), WatchGate()
    seed(site, ledger)
    site.cluster.faults.cut_watches(after_events=CUT_EVERY)

    async def main(options: dict[str, Any]) -> AsyncInformer[Any]:
        async with AsyncClient(namespace=NAMESPACE, **options) as client:
            informer = client.image_streams.informer(backoff=Backoff(0.01, 0.05))
            assert isinstance(informer, AsyncInformer)
            informer.add_handler(**ledger.handlers(informer))
            async with informer:
                assert await informer.wait_for_sync(timeout=SETTLE_SECONDS)
                await asyncio.to_thread(write_load, site, ledger, random.Random(12), gate)
                await asyncio.to_thread(settle, informer, site)
            return informer

    with served(site, gate, sync=False) as options:
        informer = asyncio.run(main(options))
    check(ledger, informer, site, gate)


def test_a_relist_delivers_the_difference_with_the_last_known_state_of_vanished_objects() -> None:
    cluster = FakeCluster(namespaces=[NAMESPACE])
    gate = WatchGate()
    cluster.faults.cut_watches(after_events=1)  # every stream ends after one event
    with Client(namespace=NAMESPACE, base_url="http://fake", transport=GatedTransport(cluster.transport(), gate)
                ) as client:
        for index in range(3):
            client.image_streams.create(stream_body(f"s{index}", index))
        events: list[tuple[str, str, str | None]] = []
        informer = Informer(client.image_streams, backoff=Backoff(0.01, 0.05))
        informer.add_handler(
            on_add=lambda obj, initial: events.append(("add", obj.metadata.name, str(initial))),
            on_update=lambda old, new: events.append(
                ("update", new.metadata.name, (old.metadata.annotations or {}).get("v"))),
            on_delete=lambda obj: events.append(("delete", obj.metadata.name, obj.metadata.annotations.get("v"))),
        )
        with informer:
            assert informer.wait_for_sync(timeout=10)
            client.image_streams.patch("s2", {"metadata": {"annotations": {"v": "1"}}})
            settle(informer, cluster)
            gate.close()
            client.image_streams.patch("s0", {"metadata": {"annotations": {"v": "1"}}})  # ends the stream
            gate.wait_blocked()
            # while the informer cannot resume: s0 changes again, s1 stays, s2 goes, s3 is new
            client.image_streams.patch("s0", {"metadata": {"annotations": {"v": "2"}}})
            client.image_streams.delete("s2")
            client.image_streams.create(stream_body("s3", 3))
            cluster.faults.compact_history()
            gate.open()
            settle(informer, cluster)
    assert events[:3] == [("add", "s0", "True"), ("add", "s1", "True"), ("add", "s2", "True")]
    after = events[events.index(("update", "s2", None)) + 1:]
    assert after[0] == ("update", "s0", None)  # v=1, live, just before the stream ended
    # the relist: s0 changed (v1 → v2), s3 appeared, s2 vanished (its last known state: v=1)
    assert set(after[1:]) == {("update", "s0", "1"), ("add", "s3", "False"), ("delete", "s2", "1")}
    assert len(after) == 4
    assert informer.stats.relists == 1
    assert cache_state(informer) == server_state(cluster)
    assert informer.cache.get("s0", namespace=NAMESPACE).metadata.annotations["v"] == "2"


def test_a_resume_ahead_of_the_server_relists_at_once() -> None:
    """Resuming at a resourceVersion the server has not reached (504, cause ResourceVersionTooLarge,
    with a Retry-After) is not waited out at the same version: the informer relists."""
    cluster = FakeCluster(namespaces=[NAMESPACE])
    cluster.faults.cut_watches(after_events=1)  # every stream ends after one event
    too_large = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "code": 504,
                 "reason": "Timeout", "message": "Timeout: Too large resource version: 900, current: 2",
                 "details": {"causes": [{"reason": "ResourceVersionTooLarge",
                                         "message": "Too large resource version"}], "retryAfterSeconds": 1}}
    with Client(namespace=NAMESPACE, base_url="http://fake", transport=cluster.transport()) as client:
        client.image_streams.create(stream_body("s0", 0))
        informer = Informer(client.image_streams, backoff=Backoff(0.01, 0.05))
        with informer:
            assert informer.wait_for_sync(timeout=10)
            # the stream's one event ends it; its resume (a watch GET) is answered "too large"
            cluster.faults.fail_next(1, method="GET", path="*/imagestreams", status=504, body=too_large,
                                     headers={"Retry-After": "1"})
            client.image_streams.patch("s0", {"metadata": {"annotations": {"v": "1"}}})
            # Reaches the cache only through what follows the refused resume (no GET of ours in
            # between: it would take the injected answer).
            client.image_streams.patch("s0", {"metadata": {"annotations": {"v": "2"}}})
            wait_for_annotation(informer, "s0", "2")
            relists = informer.stats.relists
            settle(informer, cluster)
    assert relists == 1
    assert cache_state(informer) == server_state(cluster)


def wait_for_annotation(informer: Any, name: str, value: str) -> None:
    """Wait (real time, bounded: a safety net only) until the cached ``name`` has annotation v=value."""
    done = threading.Event()
    deadline = threading.Timer(SETTLE_SECONDS, done.set)
    deadline.start()
    try:
        while not done.is_set():
            cached = informer.cache.get(name, namespace=NAMESPACE)
            if cached is not None and (cached.metadata.annotations or {}).get("v") == value:
                return
            done.wait(0.01)
        raise AssertionError(f"{name} never reached v={value}")
    finally:
        deadline.cancel()
