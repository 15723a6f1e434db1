"""Deadlines: an overall time limit on a call, beside the per-operation ``timeout``.

httpx's timeouts bound each operation (connect, each socket read, each write, waiting for the pool),
so a server that sends a byte every 50 ms never trips a read timeout of one second, however long the
whole answer takes. ``deadline=`` (seconds, on every verb, or a client default) bounds the whole call:
every request of it, every retry and every wait between retries. A deadline is set when the call starts
(a :class:`Deadline`); then

* each request's timeouts are cut to what remains (:meth:`Deadline.timeout`),
* no retry is begun whose wait would end past the deadline (the retry controllers stop first),
* the async driver cancels the request when the deadline passes (``anyio.fail_after``), wherever it
  is waiting; the sync driver reads the body chunk by chunk and checks between chunks, so a body
  trickled in small pieces ends at the deadline (each read also waits no longer than what remains).

A call past its deadline raises :class:`~imageapi.errors.APITimeoutError` whose message says so; it
is never retried. For a watch the deadline bounds each attempt to (re)connect: getting the stream's
response, and each page of its initial list, not the stream itself, which runs for as long as it
is read.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from .errors import APITimeoutError

DeadlineTypes = float | None
"""A deadline: seconds for the whole call, or None for none."""

_NO_TIME = 1e-3
"""The least timeout given to a request (httpx reads 0 as "do not wait at all", not as "expired")."""


class Deadline:
    """The point in time a call must be over by (monotonic clock)."""

    __slots__ = ("_clock", "expires_at", "seconds")

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise TypeError(f"deadline must be a number of seconds or None, not {type(seconds).__name__}")
        if not seconds > 0:
            raise ValueError(f"deadline must be positive, not {seconds!r}")
        self.seconds = float(seconds)
        self._clock = clock
        self.expires_at = clock() + self.seconds

    @classmethod
    def start(cls, seconds: DeadlineTypes) -> Deadline | None:
        """The deadline of a call starting now, or None without one."""
        return None if seconds is None else cls(seconds)

    def remaining(self) -> float:
        """Seconds left (0 when past)."""
        return max(0.0, self.expires_at - self._clock())

    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return self._clock() >= self.expires_at

    def timeout(self, timeout: httpx.Timeout, *, read: bool = True) -> httpx.Timeout:
        """``timeout`` with every phase cut to the time that remains (the read phase only when ``read``)."""
        left = max(_NO_TIME, self.remaining())

        def cut(phase: float | None) -> float:
            return left if phase is None else min(phase, left)

        return httpx.Timeout(
            connect=cut(timeout.connect), read=cut(timeout.read) if read else timeout.read,
            write=cut(timeout.write), pool=cut(timeout.pool),
        )

    def error(self, method: str, url: object, *, retryable: bool = False) -> APITimeoutError:
        """The error of a call (or, ``retryable``, of one watch connection attempt) past the deadline."""
        return APITimeoutError(
            f"deadline of {self.seconds:g}s exceeded", method=method, url=str(url), permanent=not retryable
        )

    def check(self, method: str, url: object) -> None:
        """Raise :meth:`error` when the deadline has passed."""
        if self.expired():
            raise self.error(method, url)

    def __repr__(self) -> str:
        return f"<Deadline {self.seconds:g}s, {self.remaining():.3f}s left>"


def check_deadline(seconds: object) -> DeadlineTypes:
    """``seconds`` when it is a usable ``deadline=`` value (a positive number or None), else a clear error."""
    if seconds is None:
        return None
    Deadline(seconds)  # type: ignore[arg-type]  # raises TypeError or ValueError
    return float(seconds)  # type: ignore[arg-type]
