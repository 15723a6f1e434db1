"""Leader election on one Lease in the fake cluster: two and three electors in threads (sync) and
tasks (async), on one fake clock that the test moves on in small steps.

Checked at every transition: never two leaders at once (each ``on_started_leading`` finds no other
elector leading, and the Lease names the new leader); after the leader stops renewing (its
connection is cut), another takes over within the lease duration plus a (jittered) retry period;
a leader that stops releases the Lease and another takes over at its next attempt.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from imageapi import AsyncClient, Client
from imageapi.controllers import AsyncLeaderElector, FakeClock, LeaderElector
from imageapi.controllers.leader import JITTER_FACTOR
from imageapi.testing import FakeCluster

LEASE = "image-tagger"
NAMESPACE = "demo"
DURATION, DEADLINE, RETRY = 15.0, 10.0, 2.0
STEP = 0.25
"""Fake seconds the clock moves per step (each step waits for every elector to be waiting)."""


class Partitionable:
    """Wraps a transport; while ``cut`` every request fails as if the network were down."""

    def __init__(self) -> None:
        self.cut = False

    def check(self, request: httpx.Request) -> None:
        if self.cut:
            raise httpx.ConnectError("partitioned", request=request)


class SyncPartition(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, switch: Partitionable) -> None:
        self.inner, self.switch = inner, switch

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.switch.check(request)
        return self.inner.handle_request(request)


class AsyncPartition(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, switch: Partitionable) -> None:
        self.inner, self.switch = inner, switch

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.switch.check(request)
        return await self.inner.handle_async_request(request)


@dataclass
class Referee:
    """Watches every transition."""

    cluster: FakeCluster
    clock: FakeClock
    lock: threading.Lock = field(default_factory=threading.Lock)
    leading: set[str] = field(default_factory=set)
    overlaps: list[tuple[str, set[str]]] = field(default_factory=list)
    wrong_holder: list[tuple[str, Any]] = field(default_factory=list)
    started: list[tuple[float, str]] = field(default_factory=list)
    stopped: list[tuple[float, str]] = field(default_factory=list)

    def holder(self) -> Any:
        return self.cluster.get("leases", LEASE, NAMESPACE)["spec"].get("holderIdentity")

    def callbacks(self, identity: str) -> dict[str, Callable[[], None]]:
        def started() -> None:
            with self.lock:
                if self.leading:
                    self.overlaps.append((identity, set(self.leading)))
                self.leading.add(identity)
                self.started.append((self.clock.now(), identity))
                holder = self.holder()
                if holder != identity:
                    self.wrong_holder.append((identity, holder))

        def stopped() -> None:
            with self.lock:
                self.leading.discard(identity)
                self.stopped.append((self.clock.now(), identity))

        return {"on_started_leading": started, "on_stopped_leading": stopped}

    def leader(self) -> str | None:
        with self.lock:
            return next(iter(self.leading)) if len(self.leading) == 1 else None


def settle(clock: FakeClock, live: Callable[[], int]) -> None:
    """Wait (real time, bounded) until every live elector waits on the clock (one that is stopping
    stops counting as live once its thread or task ends)."""
    for _ in range(300):
        if clock.wait_for_waiters(live(), timeout=0.1):
            return
    raise AssertionError("an elector did not reach its wait")


def advance_until(clock: FakeClock, live: Callable[[], int], done: Callable[[], bool], limit: float) -> float:
    """Move the clock in STEPs (each after every live elector waits on it) until ``done``; returns
    the fake seconds it took. Fails after ``limit`` fake seconds."""
    start = clock.now()
    while not done():
        assert clock.now() - start <= limit, f"nothing happened within {limit} fake seconds"
        settle(clock, live)
        clock.advance(STEP)
    settle(clock, live)  # let callbacks triggered by the last step finish
    return clock.now() - start


def scenario(referee: Referee, electors: list[Any], switches: dict[str, Partitionable],
             live: Callable[[], int], stop: Callable[[Any], None]) -> dict[str, float]:
    """The common script: elect, cut the leader off, elect again, stop the leader, elect again."""
    clock = referee.clock
    advance_until(clock, live, lambda: referee.leader() is not None, limit=3 * RETRY * (1 + JITTER_FACTOR))
    first = referee.leader()
    assert first is not None
    # the leader stops renewing: its network goes away
    switches[first].cut = True
    leader_elector = next(e for e in electors if e.identity == first)
    settle(clock, live)
    last_renewal = leader_elector.renewed_at
    cut_at = clock.now()
    advance_until(clock, live, lambda: referee.leader() not in (None, first), limit=DURATION + 4 * RETRY)
    second = referee.leader()
    failover = next(t for t, who in referee.started if who == second) - last_renewal
    lost_at = next(t for t, who in referee.stopped if who == first)
    assert lost_at - cut_at <= DEADLINE + RETRY  # the cut-off leader gave up within its renew deadline
    # the network comes back: the former leader is a candidate again, and observes the new leader
    switches[first].cut = False
    advance_until(clock, live, lambda: True, limit=0)
    for _ in range(int(3 * RETRY * (1 + JITTER_FACTOR) / STEP)):
        settle(clock, live)
        clock.advance(STEP)
    settle(clock, live)
    assert referee.leader() == second
    # stopping the leader releases the lease: the next one does not wait the lease out
    stop_at = clock.now()
    stop(next(e for e in electors if e.identity == second))
    advance_until(clock, live, lambda: referee.leader() not in (None, second), limit=DURATION)
    handover = referee.started[-1][0] - stop_at
    return {"failover": failover, "handover": handover}


def check(referee: Referee, figures: dict[str, float], count: int) -> None:
    assert referee.overlaps == []
    assert referee.wrong_holder == []
    # after the leader's last renewal: within the lease duration plus one retry period, stretched by
    # client-go's jitter (the candidates observe the last renewal at their next jittered attempt)
    assert figures["failover"] <= DURATION + RETRY * (1 + JITTER_FACTOR), figures
    assert figures["failover"] >= DURATION, figures  # and never before the lease could have expired
    # a released lease is taken at the next attempt, long before it would have expired
    assert figures["handover"] <= RETRY * (1 + JITTER_FACTOR) + STEP, figures
    lease = referee.cluster.get("leases", LEASE, NAMESPACE)["spec"]
    assert lease["leaseTransitions"] == len(referee.started) - 1 == 2
    print(f"\nleader election, {count} electors: transitions {len(referee.started)}, overlaps "
          f"{len(referee.overlaps)}, failover {figures['failover']:.2f}s, handover {figures['handover']:.2f}s")


@pytest.mark.parametrize("count", [2, 3])
def test_sync_electors_never_overlap_fail_over_and_hand_over(count: int) -> None:
    cluster = FakeCluster(namespaces=[NAMESPACE])
    clock = FakeClock()
    referee = Referee(cluster, clock)
    switches = {f"e{i}": Partitionable() for i in range(count)}
    clients = [Client(base_url="http://fake", namespace=NAMESPACE,
                      transport=SyncPartition(cluster.transport(), switches[f"e{i}"])) for i in range(count)]
    electors = [
        LeaderElector(client, name=LEASE, identity=f"e{i}", lease_duration=DURATION, renew_deadline=DEADLINE,
                      retry_period=RETRY, clock=clock, rng=random.Random(i), **referee.callbacks(f"e{i}"))
        for i, client in enumerate(clients)
    ]
    for elector in electors:
        elector.start()

    def live() -> int:
        return sum(1 for e in electors if e._thread is not None and e._thread.is_alive())

    def stop(elector: Any) -> None:
        elector._core.stop.set()  # the elector's own thread releases; the clock keeps moving meanwhile

    try:
        figures = scenario(referee, electors, switches, live, stop)
    finally:
        for elector in electors:
            elector._core.stop.set()
        for elector in electors:
            elector.stop(timeout=30)
        for client in clients:
            client.close()
    check(referee, figures, count)


@pytest.mark.parametrize("count", [2, 3])
def test_async_electors_never_overlap_fail_over_and_hand_over(count: int) -> None:
    cluster = FakeCluster(namespaces=[NAMESPACE])
    clock = FakeClock()
    referee = Referee(cluster, clock)
    switches = {f"e{i}": Partitionable() for i in range(count)}
    electors: list[AsyncLeaderElector] = []
    ready = threading.Event()
    finished = threading.Event()
    loop_holder: list[asyncio.AbstractEventLoop] = []

    async def main() -> None:
        loop_holder.append(asyncio.get_running_loop())
        clients = [AsyncClient(base_url="http://fake", namespace=NAMESPACE,
                               transport=AsyncPartition(cluster.async_transport(), switches[f"e{i}"]))
                   for i in range(count)]
        for i, client in enumerate(clients):
            electors.append(AsyncLeaderElector(
                client, name=LEASE, identity=f"e{i}", lease_duration=DURATION, renew_deadline=DEADLINE,
                retry_period=RETRY, clock=clock, rng=random.Random(i), **referee.callbacks(f"e{i}")))
        for elector in electors:
            await elector.start()
        ready.set()
        await asyncio.to_thread(finished.wait)
        for elector in electors:
            await elector.stop(timeout=30)
        for client in clients:
            await client.aclose()

    runner = threading.Thread(target=asyncio.run, args=(main(),))
    runner.start()
    assert ready.wait(30)

    def live() -> int:
        return sum(1 for e in electors if e._task is not None and not e._task.done())

    try:
        figures = scenario(referee, electors, switches, live, lambda elector: elector.stop_signal.set())
    finally:
        for elector in electors:
            elector.stop_signal.set()
        finished.set()
        runner.join(60)
    check(referee, figures, count)


def test_timings_are_validated() -> None:
    cluster = FakeCluster()
    with cluster.client() as client:
        with pytest.raises(ValueError, match="lease_duration must be greater"):
            LeaderElector(client, name=LEASE, identity="a", lease_duration=10, renew_deadline=10, retry_period=2)
        with pytest.raises(ValueError, match=r"1\.2"):
            LeaderElector(client, name=LEASE, identity="a", lease_duration=15, renew_deadline=2.3, retry_period=2)
        with pytest.raises(ValueError, match="identity"):
            LeaderElector(client, name=LEASE, identity="", lease_duration=15, renew_deadline=10, retry_period=2)
        with pytest.raises(ValueError, match="positive"):
            LeaderElector(client, name=LEASE, identity="a", lease_duration=15, renew_deadline=10, retry_period=0)
