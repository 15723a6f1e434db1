"""Work queues of keys with rate-limited retries (client-go's ``util/workqueue``).

::

    queue = WorkQueue()                    # or AsyncWorkQueue() on an event loop
    queue.add("demo/app")                  # a key queued twice before it is taken is processed once
    key = queue.get()                      # blocks; None once the queue is shut down and empty
    try:
        reconcile(key)
        queue.forget(key)                  # success: its failure count starts over
    except Exception:
        queue.add_rate_limited(key)        # failure: again after 5 ms, 10 ms, 20 ms, … (max 1000 s)
    finally:
        queue.done(key)                    # re-added while processing? it is queued again now

The guarantees, as client-go's: a key is queued at most once (``add`` while queued does nothing); a
key is never handed to two workers at once (``add`` while it is being processed marks it *dirty* and
it is queued again at ``done``); ``add_after`` delays a key (the earliest of several delays wins);
``shutdown`` stops accepting keys, drops delayed ones, and lets workers take what is queued until the
queue is empty (``shutdown(drain=True)`` also waits until every key taken is done).

Rate limiting (``add_rate_limited``) asks the queue's :class:`RateLimiter` how long to wait. The
default is client-go's controller limiter: the larger of a per-key exponential backoff (5 ms · 2ⁿ
after the n-th consecutive failure, capped at 1000 s) and an overall token bucket (10 keys/s, bursts
of 100), so one failing key backs off alone, and many failing keys together cannot flood the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import threading
from collections import deque
from collections.abc import Hashable, Iterator
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from ._clock import Clock, Stop, SystemClock

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

__all__ = [
    "AsyncWorkQueue",
    "BucketRateLimiter",
    "ItemExponentialRateLimiter",
    "MaxOfRateLimiter",
    "RateLimiter",
    "WorkQueue",
    "default_rate_limiter",
]

KeyT = TypeVar("KeyT", bound=Hashable)


# --------------------------------------------------------------------------------------------------
# Rate limiters


class RateLimiter(Protocol):
    """How long a key waits before it is retried (``when``), and how often it was (``num_requeues``)."""

    def when(self, item: Hashable, now: float) -> float:
        """The delay, in seconds, before ``item`` is queued again (counts one more failure)."""

    def forget(self, item: Hashable) -> None:
        """``item`` succeeded: its failures are forgotten."""

    def num_requeues(self, item: Hashable) -> int:
        """How many times ``item`` was rate-limited since it was last forgotten."""


class ItemExponentialRateLimiter:
    """Per key: ``base · 2ⁿ`` seconds after the n-th consecutive failure (n from 0), capped at
    ``maximum`` (client-go's ItemExponentialFailureRateLimiter; defaults 5 ms and 1000 s)."""

    def __init__(self, base: float = 0.005, maximum: float = 1000.0) -> None:
        if not 0 < base <= maximum:
            raise ValueError("the rate limiter needs 0 < base <= maximum")
        self.base, self.maximum = base, maximum
        self._failures: dict[Hashable, int] = {}

    def when(self, item: Hashable, now: float) -> float:
        """``base · 2ⁿ`` for the n-th failure of ``item``, at most ``maximum``."""
        failures = self._failures.get(item, 0)
        self._failures[item] = failures + 1
        if failures > 1023:  # 2.0 ** 1024 overflows a float; long past the cap anyway
            return self.maximum
        return min(self.base * 2.0 ** failures, self.maximum)

    def forget(self, item: Hashable) -> None:
        """Start ``item``'s backoff over."""
        self._failures.pop(item, None)

    def num_requeues(self, item: Hashable) -> int:
        """Consecutive failures of ``item``."""
        return self._failures.get(item, 0)


class BucketRateLimiter:
    """One token bucket for all keys (``golang.org/x/time/rate``): ``qps`` tokens per second, at
    most ``burst`` saved up; a key that finds the bucket empty waits until its token would exist."""

    def __init__(self, qps: float = 10.0, burst: int = 100) -> None:
        if qps <= 0 or burst < 1:
            raise ValueError("the token bucket needs qps > 0 and burst >= 1")
        self.qps, self.burst = qps, burst
        self._tokens = float(burst)
        self._last: float | None = None

    def when(self, item: Hashable, now: float) -> float:
        """Take a token (possibly one not yet there): the wait until it exists."""
        if self._last is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.qps)
        self._last = now
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.qps

    def forget(self, item: Hashable) -> None:
        """Nothing to forget: the bucket is shared."""

    def num_requeues(self, item: Hashable) -> int:
        """Always 0: the bucket does not count per key."""
        return 0


class MaxOfRateLimiter:
    """The longest delay of several limiters (each counts the failure)."""

    def __init__(self, *limiters: RateLimiter) -> None:
        if not limiters:
            raise ValueError("MaxOfRateLimiter needs at least one limiter")
        self.limiters = limiters

    def when(self, item: Hashable, now: float) -> float:
        """The largest delay any limiter asks for."""
        return max(limiter.when(item, now) for limiter in self.limiters)

    def forget(self, item: Hashable) -> None:
        """Forget ``item`` in every limiter."""
        for limiter in self.limiters:
            limiter.forget(item)

    def num_requeues(self, item: Hashable) -> int:
        """The largest count any limiter keeps."""
        return max(limiter.num_requeues(item) for limiter in self.limiters)


def default_rate_limiter() -> MaxOfRateLimiter:
    """client-go's DefaultControllerRateLimiter: per-key 5 ms·2ⁿ up to 1000 s, and 10 qps / 100 burst."""
    return MaxOfRateLimiter(ItemExponentialRateLimiter(0.005, 1000.0), BucketRateLimiter(10.0, 100))


# --------------------------------------------------------------------------------------------------
# The queue without I/O


class _QueueCore(Generic[KeyT]):
    """The bookkeeping of a queue: queued order, dirty and processing sets, and delayed keys.

    Not thread-safe by itself: the drivers hold their lock around every call.
    """

    def __init__(self, rate_limiter: RateLimiter) -> None:
        self.rate_limiter = rate_limiter
        self.queue: deque[KeyT] = deque()
        self.dirty: set[KeyT] = set()
        self.processing: set[KeyT] = set()
        self._waiting: list[tuple[float, int, KeyT]] = []  # (ready at, tie-breaker, key)
        self._ready_at: dict[KeyT, float] = {}
        self._order = itertools.count()
        self.shutting_down = False

    def add(self, item: KeyT) -> bool:
        """Queue ``item`` unless it is queued or shutting down; True when a getter should wake."""
        if self.shutting_down or item in self.dirty:
            return False
        self.dirty.add(item)
        if item in self.processing:
            return False  # queued again by done()
        self.queue.append(item)
        return True

    def add_after(self, item: KeyT, delay: float, now: float) -> bool:
        """Queue ``item`` once ``delay`` seconds passed (at once for ``delay <= 0``)."""
        if self.shutting_down:
            return False
        if delay <= 0:
            return self.add(item)
        ready = now + delay
        current = self._ready_at.get(item)
        if current is not None and current <= ready:
            return False  # already waiting for an earlier time
        self._ready_at[item] = ready
        heapq.heappush(self._waiting, (ready, next(self._order), item))
        return True  # the earliest deadline may have changed

    def promote(self, now: float) -> bool:
        """Queue every delayed key whose time has come; True when any was queued."""
        woke = False
        while self._waiting and self._waiting[0][0] <= now:
            ready, _, item = heapq.heappop(self._waiting)
            if self._ready_at.get(item) != ready:
                continue  # superseded by an earlier add_after
            del self._ready_at[item]
            woke = self.add(item) or woke
        return woke

    def next_ready(self) -> float | None:
        """When the earliest delayed key is due (None when none waits)."""
        while self._waiting and self._ready_at.get(self._waiting[0][2]) != self._waiting[0][0]:
            heapq.heappop(self._waiting)
        return self._waiting[0][0] if self._waiting else None

    def take(self) -> KeyT | None:
        """The next queued key, now being processed; None when nothing is queued."""
        if not self.queue:
            return None
        item = self.queue.popleft()
        self.processing.add(item)
        self.dirty.discard(item)
        return item

    def done(self, item: KeyT) -> bool:
        """``item``'s processing ended; True when it was re-added meanwhile (it is queued again)."""
        if item not in self.processing:
            raise ValueError(f"done({item!r}) for a key that is not being processed")
        self.processing.discard(item)
        if item in self.dirty:
            self.queue.append(item)
            return True
        return False

    def shutdown(self) -> None:
        """Refuse new keys and drop the delayed ones; queued keys can still be taken."""
        self.shutting_down = True
        self._waiting.clear()
        self._ready_at.clear()


class _QueueBase(Generic[KeyT]):
    """What both queues share: the core under a lock, and the rate-limited verbs."""

    def __init__(self, rate_limiter: RateLimiter | None, clock: Clock | None, stop: Stop | None) -> None:
        self.clock = clock or SystemClock()
        self._core: _QueueCore[KeyT] = _QueueCore(rate_limiter or default_rate_limiter())
        self._lock = threading.Lock()
        if stop is not None:
            stop.on_set(self.shutdown)

    def _wake(self) -> None:
        """Wake the getters (each driver its own way)."""
        raise NotImplementedError

    def shutdown(self) -> None:
        """Stop accepting keys; getters take what is queued, then get None."""
        with self._lock:
            self._core.shutdown()
        self._wake()

    def add(self, item: KeyT) -> None:
        """Queue ``item`` (nothing happens when it is queued already or the queue is shut down)."""
        with self._lock:
            wake = self._core.add(item)
        if wake:
            self._wake()

    def add_after(self, item: KeyT, delay: float) -> None:
        """Queue ``item`` in ``delay`` seconds (of the queue's clock)."""
        with self._lock:
            wake = self._core.add_after(item, delay, self.clock.now())
        if wake:
            self._wake()

    def add_rate_limited(self, item: KeyT) -> None:
        """Queue ``item`` after the delay the rate limiter gives it (one more failure counted)."""
        with self._lock:
            now = self.clock.now()
            delay = self._core.rate_limiter.when(item, now)
            wake = self._core.add_after(item, delay, now)
        if wake:
            self._wake()

    def forget(self, item: KeyT) -> None:
        """``item`` succeeded: the rate limiter forgets its failures (it does not dequeue it)."""
        with self._lock:
            self._core.rate_limiter.forget(item)

    def num_requeues(self, item: KeyT) -> int:
        """How many times ``item`` was rate-limited since it was last forgotten."""
        with self._lock:
            return self._core.rate_limiter.num_requeues(item)

    def done(self, item: KeyT) -> None:
        """Processing of ``item`` ended (call it exactly once per ``get``)."""
        with self._lock:
            self._core.done(item)
        self._wake()  # a getter may take it again, and a drain may be waiting for this

    def __len__(self) -> int:
        """How many keys are queued (not counting delayed ones or those being processed)."""
        return len(self._core.queue)

    @property
    def processing(self) -> int:
        """How many keys are being processed."""
        return len(self._core.processing)

    @property
    def delayed(self) -> int:
        """How many keys wait for their delay."""
        return len(self._core._ready_at)

    @property
    def shutting_down(self) -> bool:
        """Whether :meth:`shutdown` was called."""
        return self._core.shutting_down

    def _take_or_deadline(self) -> tuple[KeyT | None, float | None, bool]:
        """Under the lock: a key if one is ready, else when to look again, and whether to give up."""
        core = self._core
        core.promote(self.clock.now())
        item = core.take()
        if item is not None:
            return item, None, False
        if core.shutting_down:
            return None, None, True
        ready = core.next_ready()
        return None, (None if ready is None else max(0.0, ready - self.clock.now())), False


class WorkQueue(_QueueBase[KeyT]):
    """A thread-safe work queue (see the module docs). ``stop``: shut down when that signal is set."""

    def __init__(self, rate_limiter: RateLimiter | None = None, *, clock: Clock | None = None,
                 stop: Stop | None = None) -> None:
        self._condition = threading.Condition()
        super().__init__(rate_limiter, clock, stop)

    def _wake(self) -> None:
        with self._condition:
            self._condition.notify_all()

    def get(self, timeout: float | None = None) -> KeyT | None:
        """The next key, blocking until one is ready; None once shut down and empty (or after
        ``timeout`` seconds of the queue's clock without a key)."""
        deadline = None if timeout is None else self.clock.now() + timeout
        with self._condition:
            while True:
                with self._lock:
                    item, wait, finished = self._take_or_deadline()
                if item is not None or finished:
                    return item
                if deadline is not None:
                    left = deadline - self.clock.now()
                    if left <= 0:
                        return None
                    wait = left if wait is None else min(wait, left)
                self.clock.wait(self._condition, wait)

    def __iter__(self) -> Iterator[KeyT]:
        """Keys until the queue is shut down and empty (call :meth:`done` for each)."""
        while (item := self.get()) is not None:
            yield item


    def shutdown_with_drain(self, timeout: float | None = None) -> bool:
        """Shut down and wait (up to ``timeout`` s) until every queued or taken key is done;
        returns whether it was."""
        self.shutdown()
        deadline = None if timeout is None else self.clock.now() + timeout
        with self._condition:
            while self._core.processing or self._core.queue:
                left = None if deadline is None else deadline - self.clock.now()
                if left is not None and left <= 0:
                    return False
                self.clock.wait(self._condition, left)
        return True


class AsyncWorkQueue(_QueueBase[KeyT]):
    """The work queue for asyncio tasks: ``await queue.get()``; the other methods are plain calls
    (safe from the loop, and from other threads)."""

    def __init__(self, rate_limiter: RateLimiter | None = None, *, clock: Clock | None = None,
                 stop: Stop | None = None) -> None:
        self._events: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        super().__init__(rate_limiter, clock, stop)

    def _wake(self) -> None:
        for loop, event in list(self._events):
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                event.set()
            else:
                loop.call_soon_threadsafe(event.set)

    async def get(self, timeout: float | None = None) -> KeyT | None:
        """The next key, waiting until one is ready; None once shut down and empty (or after
        ``timeout`` seconds of the queue's clock without a key)."""
        deadline = None if timeout is None else self.clock.now() + timeout
        # Registered before the first check, so a key added from another thread in between wakes us.
        with self._waker() as event:
            while True:
                event.clear()
                with self._lock:
                    item, wait, finished = self._take_or_deadline()
                if item is not None or finished:
                    return item
                if deadline is not None:
                    left = deadline - self.clock.now()
                    if left <= 0:
                        return None
                    wait = left if wait is None else min(wait, left)
                await self.clock.wait_async(event, wait)

    async def __aiter__(self) -> AsyncIterator[KeyT]:
        """Keys until the queue is shut down and empty (call :meth:`done` for each)."""
        while (item := await self.get()) is not None:
            yield item


    async def shutdown_with_drain(self, timeout: float | None = None) -> bool:
        """Shut down and wait (up to ``timeout`` s) until every queued or taken key is done."""
        self.shutdown()
        deadline = None if timeout is None else self.clock.now() + timeout
        with self._waker() as event:
            while self._core.processing or self._core.queue:
                left = None if deadline is None else deadline - self.clock.now()
                if left is not None and left <= 0:
                    return False
                await self.clock.wait_async(event, left)
                event.clear()
        return True

    @contextlib.contextmanager
    def _waker(self) -> Iterator[asyncio.Event]:
        """An event of the running loop that :meth:`_wake` sets while the block runs."""
        event = asyncio.Event()
        entry = (asyncio.get_running_loop(), event)
        self._events.add(entry)
        try:
            yield event
        finally:
            self._events.discard(entry)
