"""The clock and the stop signal every controller part shares.

Each part (informer, work queue, controller, leader elector, wait_for) reads time from a
:class:`Clock` and waits through it, and ends when its :class:`Stop` is set. Handing the parts one
clock and one stop makes them testable: with a :class:`FakeClock` a test moves time on with
:meth:`FakeClock.advance` (delays, backoffs and lease expiry then happen at once, deterministically),
and setting the stop ends every part waiting on it within a bounded time, whatever it waits for.

Waiting is expressed in two primitives, used by the sync parts (threads) and the async parts (tasks)
alike: wait on a ``threading.Condition`` the caller holds, or on an ``asyncio.Event``, for at most
some seconds of the clock's time. Callers always loop ("check, compute what remains, wait"), so a
spurious wake-up is harmless and a fake clock only has to wake everyone when it moves.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

# asyncio is imported by the async waits themselves (they run on a loop, so it is loaded already):
# importing it with the controllers made every blocking program that lists load it (12 ms).

__all__ = ["Clock", "FakeClock", "Stop", "SystemClock"]


class Stop:
    """A stop signal, settable once from any thread or task; parts waiting on it wake at once."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    def set(self) -> None:
        """Stop: everything waiting on this signal wakes and ends."""
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def is_set(self) -> bool:
        """Whether :meth:`set` was called."""
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block up to ``timeout`` real seconds for the signal; True when it is set."""
        return self._event.wait(timeout)

    def on_set(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` (from the thread that stops) when the signal is set (at once if it is);
        returns a function that cancels the registration."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)

                def cancel() -> None:
                    with self._lock, contextlib.suppress(ValueError):
                        self._callbacks.remove(callback)

                return cancel
        callback()
        return lambda: None

    def condition_wake(self, condition: threading.Condition) -> Callable[[], None]:
        """Notify ``condition`` when the signal is set; returns the cancel function."""

        def wake() -> None:
            with condition:
                condition.notify_all()

        return self.on_set(wake)

    def event_wake(self, event: asyncio.Event) -> Callable[[], None]:
        """Set the asyncio ``event`` (on its loop, thread-safely) when the signal is set."""
        import asyncio

        loop = asyncio.get_running_loop()

        def wake() -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
                loop.call_soon_threadsafe(event.set)

        return self.on_set(wake)


class Clock:
    """Where the controller parts read time (seconds, monotonic) and how they wait for it."""

    def now(self) -> float:
        """The current time in seconds (monotonic: only differences mean anything)."""
        raise NotImplementedError

    def wait(self, condition: threading.Condition, timeout: float | None) -> None:
        """Wait on ``condition`` (held by the caller) for a notification or ``timeout`` seconds."""
        raise NotImplementedError

    async def wait_async(self, event: asyncio.Event, timeout: float | None) -> None:
        """Wait until ``event`` is set or ``timeout`` seconds passed."""
        raise NotImplementedError

    def sleep(self, seconds: float, stop: Stop) -> bool:
        """Sleep ``seconds`` unless ``stop`` is set first; True when stopped."""
        condition = threading.Condition()
        cancel = stop.condition_wake(condition)
        try:
            deadline = self.now() + seconds
            with condition:
                while not stop.is_set() and (remaining := deadline - self.now()) > 0:
                    self.wait(condition, remaining)
        finally:
            cancel()
        return stop.is_set()

    async def sleep_async(self, seconds: float, stop: Stop) -> bool:
        """The async :meth:`sleep`: ``seconds`` unless ``stop`` is set first; True when stopped."""
        import asyncio

        event = asyncio.Event()
        cancel = stop.event_wake(event)
        try:
            deadline = self.now() + seconds
            while not stop.is_set() and (remaining := deadline - self.now()) > 0:
                await self.wait_async(event, remaining)
                event.clear()
        finally:
            cancel()
        return stop.is_set()


class SystemClock(Clock):
    """Real time: ``time.monotonic`` and real timeouts."""

    def now(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    def wait(self, condition: threading.Condition, timeout: float | None) -> None:
        """``condition.wait(timeout)``."""
        condition.wait(timeout)

    async def wait_async(self, event: asyncio.Event, timeout: float | None) -> None:
        """Wait for ``event`` for at most ``timeout`` seconds."""
        import asyncio

        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)


_FAKE_POLL = 0.05
"""Real seconds a fake-clock waiter sleeps at most before it re-checks the fake time."""


class FakeClock(Clock):
    """A clock that moves only when told to (:meth:`advance`), for tests.

    A part waiting for some seconds of this clock waits until the clock has moved that far (or it is
    notified); :meth:`advance` wakes every waiter, in threads and in tasks, to re-check its deadline.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self._conditions: set[threading.Condition] = set()
        self._events: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._waiters = 0
        self._generation = 0
        self._waiters_changed = threading.Condition(self._lock)

    def now(self) -> float:
        """The fake time."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time on by ``seconds`` and wake every waiter."""
        if seconds < 0:
            raise ValueError("a clock does not go back")
        with self._lock:
            self._now += seconds
            conditions, events = list(self._conditions), list(self._events)
            # Every waiter is woken: none counts as waiting until it has looked at the new time and
            # waits again (so wait_for_waiters cannot see a waiter that has not yet woken).
            self._generation += 1
            self._waiters = 0
            self._waiters_changed.notify_all()
        for condition in conditions:
            with condition:
                condition.notify_all()
        for loop, event in events:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)

    @property
    def waiters(self) -> int:
        """How many threads and tasks are waiting on this clock right now."""
        return self._waiters

    def wait_for_waiters(self, count: int, timeout: float = 10.0) -> bool:
        """Block (in real time, at most ``timeout`` s) until ``count`` parts wait on the clock: a
        test calls it before :meth:`advance` to know the parts reached their waits."""
        with self._waiters_changed:
            return self._waiters_changed.wait_for(lambda: self._waiters >= count, timeout)

    def _enter(self) -> int:
        with self._waiters_changed:
            self._waiters += 1
            self._waiters_changed.notify_all()
            return self._generation

    def _leave(self, generation: int) -> None:
        with self._waiters_changed:
            if generation == self._generation:  # not already discounted by advance()
                self._waiters -= 1
                self._waiters_changed.notify_all()

    def wait(self, condition: threading.Condition, timeout: float | None) -> None:
        """Wait for a notification: from the waited-for part, or from :meth:`advance`."""
        with self._lock:
            self._conditions.add(condition)
        generation = self._enter()
        try:
            if timeout is None or timeout > 0:
                # A short real timeout as well: an advance() between the caller's deadline check
                # and this registration would otherwise go unnoticed.
                condition.wait(_FAKE_POLL)
        finally:
            self._leave(generation)
            with self._lock:
                self._conditions.discard(condition)

    async def wait_async(self, event: asyncio.Event, timeout: float | None) -> None:
        """Wait until ``event`` is set, by the waited-for part or by :meth:`advance`."""
        import asyncio

        entry = (asyncio.get_running_loop(), event)
        with self._lock:
            self._events.add(entry)
        generation = self._enter()
        try:
            if timeout is None or timeout > 0:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(event.wait(), _FAKE_POLL)
        finally:
            self._leave(generation)
            with self._lock:
                self._events.discard(entry)
