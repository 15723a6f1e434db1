"""Controller runner (informer -> queue -> workers) and wait_for, against the fake, sync and async."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from typing import Any

import pytest

from imageapi import AsyncClient, Client, ImageAPIError
from imageapi.controllers import (
    AsyncController,
    Controller,
    FakeClock,
    Informer,
    ItemExponentialRateLimiter,
    TagImportFailedError,
    WaitTimeoutError,
    async_wait_for,
    split_key,
    tag_imported,
    wait_for,
)
from imageapi.testing import FakeCluster

BOUND = 30.0
"""Safety net only (real seconds): a wait that should have ended long ago fails the test instead."""


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster(namespaces=["demo"])


def test_failing_reconciles_are_retried_with_backoff_and_never_stop_the_workers(cluster: FakeCluster) -> None:
    calls: Counter[str] = Counter()
    finished = threading.Event()

    with cluster.client(namespace="demo") as client:
        for name in ("flaky", "fine"):
            client.image_streams.create({"metadata": {"name": name}})

        def reconcile(key: str) -> None:
            calls[key] += 1
            if key == "demo/flaky" and calls[key] <= 2:
                raise RuntimeError("transient")
            if calls["demo/flaky"] >= 3 and calls["demo/fine"] >= 1:
                finished.set()

        informer = client.image_streams.informer()
        controller = Controller(informer, reconcile, workers=2,
                                rate_limiter=ItemExponentialRateLimiter(0.001, 0.01))
        with controller:
            assert finished.wait(BOUND)
        assert calls["demo/flaky"] == 3 and calls["demo/fine"] == 1
        assert controller.stats.errors == 2
        assert controller.queue.num_requeues("demo/flaky") == 0  # forgotten after the success


def test_a_key_is_never_reconciled_twice_at_once_and_changes_meanwhile_are_coalesced(cluster: FakeCluster) -> None:
    active: set[str] = set()
    overlaps: list[str] = []
    lock = threading.Lock()
    seen_versions: dict[str, str] = {}

    with cluster.client(namespace="demo") as client:
        client.image_streams.create({"metadata": {"name": "hot"}})
        informer = client.image_streams.informer()

        def reconcile(key: str) -> None:
            with lock:
                if key in active:
                    overlaps.append(key)
                active.add(key)
            namespace, name = split_key(key)
            current = informer.cache.get(name, namespace=namespace)
            with lock:
                active.discard(key)
                if current is not None:
                    seen_versions[key] = current.metadata.resource_version or ""

        with Controller(informer, reconcile, workers=4) as controller:
            assert informer.wait_for_sync(BOUND)
            for step in range(200):
                last = client.image_streams.patch("hot", {"metadata": {"annotations": {"step": str(step)}}})
            deadline = threading.Event()
            for _ in range(int(BOUND * 20)):
                if seen_versions.get("demo/hot") == last.metadata.resource_version:
                    break
                deadline.wait(0.05)
        assert overlaps == []
        assert seen_versions["demo/hot"] == last.metadata.resource_version  # the last change was reconciled
        assert controller.stats.reconciles <= 201  # coalesced: at most one per change, usually far fewer


def test_a_reconcile_asking_to_look_again_later_is_requeued_on_the_clock(cluster: FakeCluster) -> None:
    clock = FakeClock()
    calls: list[float] = []
    with cluster.client(namespace="demo") as client:
        client.image_streams.create({"metadata": {"name": "periodic"}})
        informer = Informer(client.image_streams, clock=clock)

        def reconcile(key: str) -> float:
            calls.append(clock.now())
            return 60.0

        with Controller(informer, reconcile):
            for _ in range(int(BOUND * 20)):
                if calls:
                    break
                threading.Event().wait(0.05)
            assert calls == [0.0]
            clock.advance(59.0)
            threading.Event().wait(0.2)
            assert calls == [0.0]
            clock.advance(1.0)
            for _ in range(int(BOUND * 20)):
                if len(calls) == 2:
                    break
                threading.Event().wait(0.05)
        assert calls == [0.0, 60.0]


def test_stop_returns_in_bounded_time_even_with_a_stuck_reconcile(cluster: FakeCluster) -> None:
    release = threading.Event()
    started = threading.Event()
    with cluster.client(namespace="demo") as client:
        client.image_streams.create({"metadata": {"name": "stuck"}})

        def reconcile(key: str) -> None:
            started.set()
            release.wait(BOUND)

        controller = Controller(client.image_streams.informer(), reconcile)
        controller.start()
        assert started.wait(BOUND)
        stopper = threading.Thread(target=controller.stop, kwargs={"timeout": 0.5})
        stopper.start()
        stopper.join(BOUND)
        assert not stopper.is_alive()  # stop() gave up waiting for the stuck worker
        assert controller.queue.shutting_down and controller.stop_signal.is_set()
        release.set()


def test_async_controller_runs_async_reconciles(cluster: FakeCluster) -> None:
    async def main() -> list[str]:
        done: list[str] = []
        finished = asyncio.Event()
        async with AsyncClient(transport=cluster.async_transport(), base_url="http://fake", namespace="demo") as client:
            await client.image_streams.create({"metadata": {"name": "a"}})
            informer = client.image_streams.informer()

            async def reconcile(key: str) -> None:
                await asyncio.sleep(0)
                done.append(key)
                if key == "demo/b":
                    finished.set()

            async with AsyncController(informer, reconcile, workers=2):
                await informer.wait_for_sync(BOUND)
                await client.image_streams.create({"metadata": {"name": "b"}})
                await asyncio.wait_for(finished.wait(), BOUND)
        return done

    assert asyncio.run(main()) == ["demo/a", "demo/b"]


def test_wait_for_exists_and_deleted_follow_the_watch(cluster: FakeCluster) -> None:
    with cluster.client(namespace="demo") as client:
        creator = threading.Timer(0.1, lambda: client.image_streams.create({"metadata": {"name": "late"}}))
        creator.start()
        found = wait_for(client.image_streams, "late", condition="exists", timeout=BOUND)
        creator.join()
        assert found.metadata.name == "late"
        remover = threading.Timer(0.1, lambda: client.image_streams.delete("late"))
        remover.start()
        last = wait_for(client.image_streams, "late", condition="deleted", timeout=BOUND)
        remover.join()
        assert last.metadata.name == "late"  # the last known state
        assert wait_for(client.image_streams, "never-existed", condition="deleted", timeout=BOUND) is None


def test_wait_for_times_out_on_the_clock_with_an_sdk_error(cluster: FakeCluster) -> None:
    clock = FakeClock()
    outcome: list[BaseException] = []
    with cluster.client(namespace="demo") as client:

        def wait() -> None:
            try:
                wait_for(client.image_streams, "absent", condition="exists", timeout=10.0, clock=clock)
            except BaseException as error:
                outcome.append(error)

        waiter = threading.Thread(target=wait)
        waiter.start()
        assert clock.wait_for_waiters(1, timeout=BOUND)
        clock.advance(9.0)
        waiter.join(0.2)
        assert waiter.is_alive()
        clock.advance(1.0)
        waiter.join(BOUND)
    assert len(outcome) == 1 and isinstance(outcome[0], WaitTimeoutError)
    assert isinstance(outcome[0], ImageAPIError) and "absent" in str(outcome[0])


def test_tag_imported_waits_for_the_import_and_raises_the_servers_message_on_failure(cluster: FakeCluster) -> None:
    cluster.registry.add_image("quay.io/example/app:1.0")
    with cluster.client(namespace="demo") as client:
        client.image_streams.tag("quay.io/example/app:1.0", "app:1.0")
        stream = wait_for(client.image_streams, "app", condition=tag_imported("1.0"), timeout=BOUND)
        assert stream.status.tags[0].items[0].image.startswith("sha256:")
        client.image_streams.tag("quay.io/example/missing:9", "app:broken")
        with pytest.raises(TagImportFailedError) as failure:
            wait_for(client.image_streams, "app", condition=tag_imported("broken"), timeout=BOUND)
        assert failure.value.tag == "broken" and failure.value.message


def test_async_wait_for(cluster: FakeCluster) -> None:
    async def main() -> Any:
        async with AsyncClient(transport=cluster.async_transport(), base_url="http://fake", namespace="demo") as client:
            creating = asyncio.create_task(client.image_streams.create({"metadata": {"name": "soon"}}))
            found = await async_wait_for(client.image_streams, "soon", condition="exists", timeout=BOUND)
            await creating
            with pytest.raises(WaitTimeoutError):
                await async_wait_for(client.image_streams, "nope", condition="exists", timeout=0.2)
            return found

    assert asyncio.run(main()).metadata.name == "soon"


def test_wait_for_refuses_bad_arguments(cluster: FakeCluster) -> None:
    with Client(transport=cluster.transport(), base_url="http://fake", namespace="demo") as client:
        with pytest.raises(ValueError, match="condition"):
            wait_for(client.image_streams, "x", condition="imported", timeout=1)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="timeout"):
            wait_for(client.image_streams, "x", timeout=0)
        with pytest.raises(TypeError, match="cluster-scoped"):
            wait_for(client.images, "x", namespace="demo", timeout=1)
