"""Work queue properties (client-go's workqueue semantics) and rate limiters, with a fake clock."""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter

import pytest

from imageapi.controllers import (
    AsyncWorkQueue,
    BucketRateLimiter,
    FakeClock,
    ItemExponentialRateLimiter,
    MaxOfRateLimiter,
    Stop,
    WorkQueue,
    default_rate_limiter,
)


def test_a_key_added_while_queued_is_processed_once() -> None:
    queue: WorkQueue[str] = WorkQueue(clock=FakeClock())
    for key in ["a", "b", "a", "a", "c", "b"]:
        queue.add(key)
    assert len(queue) == 3
    taken = [queue.get(timeout=0) for _ in range(3)]
    assert taken == ["a", "b", "c"]  # first-added order
    assert queue.get(timeout=0) is None


def test_a_key_added_while_processing_is_queued_again_only_after_done() -> None:
    queue: WorkQueue[str] = WorkQueue(clock=FakeClock())
    queue.add("a")
    assert queue.get(timeout=0) == "a"
    queue.add("a")  # changed while being reconciled
    queue.add("a")
    assert len(queue) == 0 and queue.get(timeout=0) is None  # never handed to a second worker
    queue.done("a")
    assert len(queue) == 1
    assert queue.get(timeout=0) == "a"
    queue.done("a")
    assert queue.get(timeout=0) is None


def test_done_for_a_key_not_taken_is_an_error() -> None:
    queue: WorkQueue[str] = WorkQueue(clock=FakeClock())
    with pytest.raises(ValueError, match="not being processed"):
        queue.done("x")


def test_no_key_is_processed_by_two_workers_at_once_and_every_add_is_seen() -> None:
    queue: WorkQueue[int] = WorkQueue()
    active: set[int] = set()
    overlaps: list[int] = []
    processed: Counter[int] = Counter()
    last_add_seen: dict[int, bool] = {}
    lock = threading.Lock()

    def worker() -> None:
        for key in queue:
            with lock:
                if key in active:
                    overlaps.append(key)
                active.add(key)
                last_add_seen[key] = True
            for _ in range(50):  # some work, long enough for adds to land meanwhile
                pass
            with lock:
                active.discard(key)
                processed[key] += 1
            queue.done(key)

    workers = [threading.Thread(target=worker) for _ in range(4)]
    for thread in workers:
        thread.start()
    rng = random.Random(5)
    for _ in range(5_000):
        key = rng.randrange(20)
        with lock:
            last_add_seen[key] = False
        queue.add(key)
    assert queue.shutdown_with_drain(timeout=30)
    for thread in workers:
        thread.join(10)
    assert overlaps == []
    # every add was followed by a processing that started after it
    assert all(last_add_seen.values())
    assert sum(processed.values()) <= 5_000


def test_add_after_waits_for_the_clock_and_the_earliest_delay_wins() -> None:
    clock = FakeClock()
    queue: WorkQueue[str] = WorkQueue(clock=clock)
    queue.add_after("a", 5.0)
    queue.add_after("a", 2.0)  # earlier: replaces
    queue.add_after("a", 9.0)  # later: ignored
    queue.add_after("b", 0)  # no delay: queued now
    assert queue.get(timeout=0) == "b"
    assert queue.get(timeout=0) is None and queue.delayed == 1
    clock.advance(1.9)
    assert queue.get(timeout=0) is None
    clock.advance(0.1)
    assert queue.get(timeout=0) == "a"
    queue.done("a")
    clock.advance(10)
    assert queue.get(timeout=0) is None  # the superseded 5 s and 9 s entries do not fire


def test_a_blocked_get_wakes_when_the_fake_clock_reaches_a_delayed_key() -> None:
    clock = FakeClock()
    queue: WorkQueue[str] = WorkQueue(clock=clock)
    queue.add_after("late", 30.0)
    got: list[str | None] = []
    getter = threading.Thread(target=lambda: got.append(queue.get()))
    getter.start()
    assert clock.wait_for_waiters(1)
    clock.advance(29.0)
    getter.join(0.2)
    assert getter.is_alive() and got == []
    clock.advance(1.0)
    getter.join(10)
    assert got == ["late"]


def test_item_exponential_backoff_doubles_from_5ms_to_1000s_and_forget_resets() -> None:
    limiter = ItemExponentialRateLimiter()
    delays = [limiter.when("k", 0.0) for _ in range(20)]
    assert delays[:4] == [0.005, 0.01, 0.02, 0.04]
    assert delays[17] == min(0.005 * 2**17, 1000.0) == 655.36
    assert delays[18:] == [1000.0, 1000.0]
    assert limiter.num_requeues("k") == 20
    assert limiter.when("other", 0.0) == 0.005  # per key
    limiter.forget("k")
    assert limiter.num_requeues("k") == 0
    assert limiter.when("k", 0.0) == 0.005
    for _ in range(2000):
        limiter.when("deep", 0.0)
    assert limiter.when("deep", 0.0) == 1000.0  # no overflow however long it fails


def test_token_bucket_allows_a_burst_of_100_then_10_per_second() -> None:
    limiter = BucketRateLimiter()
    assert [limiter.when(i, 0.0) for i in range(100)] == [0.0] * 100
    assert limiter.when("x", 0.0) == pytest.approx(0.1)
    assert limiter.when("y", 0.0) == pytest.approx(0.2)
    # one second later ten tokens came back, two of them owed already
    assert [limiter.when(i, 1.0) for i in range(8)] == [0.0] * 8
    assert limiter.when("z", 1.0) == pytest.approx(0.1)
    assert limiter.num_requeues("x") == 0


def test_the_default_limiter_is_the_larger_of_both() -> None:
    limiter = default_rate_limiter()
    assert isinstance(limiter, MaxOfRateLimiter)
    # one key failing: the per-key backoff dominates (the bucket has tokens)
    assert [limiter.when("k", 0.0) for _ in range(3)] == [0.005, 0.01, 0.02]
    # many keys failing at once: the bucket runs dry and dominates
    delays = [limiter.when(f"key{i}", 0.0) for i in range(200)]
    assert max(delays) == pytest.approx((200 + 3 - 100) / 10)
    assert limiter.num_requeues("k") == 3
    limiter.forget("k")
    assert limiter.num_requeues("k") == 0


def test_add_rate_limited_delays_by_the_limiter_and_counts_requeues() -> None:
    clock = FakeClock()
    queue: WorkQueue[str] = WorkQueue(ItemExponentialRateLimiter(1.0, 60.0), clock=clock)
    for expected in (1.0, 2.0, 4.0):
        queue.add_rate_limited("k")
        clock.advance(expected - 0.01)
        assert queue.get(timeout=0) is None
        clock.advance(0.01)
        assert queue.get(timeout=0) == "k"
        queue.done("k")
    assert queue.num_requeues("k") == 3
    queue.forget("k")
    assert queue.num_requeues("k") == 0


def test_shutdown_hands_out_what_is_queued_then_none_and_drops_delayed_and_new_keys() -> None:
    clock = FakeClock()
    queue: WorkQueue[str] = WorkQueue(clock=clock)
    queue.add("a")
    queue.add("b")
    queue.add_after("later", 1.0)
    queue.shutdown()
    queue.add("c")
    assert queue.shutting_down
    assert [queue.get(), queue.get(), queue.get()] == ["a", "b", None]
    clock.advance(5)
    assert queue.get(timeout=0) is None


def test_shutdown_with_drain_waits_for_keys_being_processed() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    assert queue.get() == "a"
    finished = threading.Event()

    def drain() -> None:
        queue.shutdown_with_drain(timeout=30)
        finished.set()

    drainer = threading.Thread(target=drain)
    drainer.start()
    assert not finished.wait(0.2)  # "a" is still being processed
    queue.done("a")
    assert finished.wait(10)
    drainer.join()


def test_a_stop_signal_shuts_the_queue_down_and_wakes_getters() -> None:
    stop = Stop()
    queue: WorkQueue[str] = WorkQueue(stop=stop)
    got: list[str | None] = ["unset"]
    getter = threading.Thread(target=lambda: got.__setitem__(0, queue.get()))
    getter.start()
    stop.set()
    getter.join(10)
    assert got == [None] and queue.shutting_down


def test_async_queue_has_the_same_semantics() -> None:
    async def main() -> None:
        clock = FakeClock()
        queue: AsyncWorkQueue[str] = AsyncWorkQueue(ItemExponentialRateLimiter(1.0, 60.0), clock=clock)
        queue.add("a")
        queue.add("a")
        assert await queue.get(timeout=0) == "a"
        queue.add("a")  # while processing
        assert await queue.get(timeout=0) is None
        queue.done("a")
        assert await queue.get(timeout=0) == "a"
        queue.done("a")
        queue.add_rate_limited("b")
        waiter = asyncio.create_task(queue.get())
        await asyncio.sleep(0.05)
        assert not waiter.done()
        clock.advance(1.0)
        assert await asyncio.wait_for(waiter, 10) == "b"
        queue.done("b")
        # a key added from another thread wakes a waiting get
        waiter = asyncio.create_task(queue.get())
        await asyncio.sleep(0.01)
        await asyncio.to_thread(queue.add, "from-thread")
        assert await asyncio.wait_for(waiter, 10) == "from-thread"
        queue.add("c")
        drained = asyncio.create_task(queue.shutdown_with_drain(timeout=30))
        await asyncio.sleep(0.05)
        assert not drained.done()  # "from-thread" is still being processed, "c" queued
        assert await queue.get() == "c"
        queue.done("from-thread")
        queue.done("c")
        assert await asyncio.wait_for(drained, 10)
        assert await queue.get() is None

    asyncio.run(main())
