"""The retry policy as plain data, and the rule of what may be retried: no tenacity, no anyio.

A client holds a :class:`RetryPolicy` from the moment it is built, and every failed request asks
:func:`is_retryable`; the machinery that waits and tries again (tenacity, in :mod:`imageapi._retry`)
is imported only when a request has failed. Importing tenacity (and through it asyncio, and tornado
when that is installed) with the client took a third of ``import imageapi`` plus ``Client(...)``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import httpx

from .errors import HTTPX_NOT_SENT, HTTPX_PERMANENT, ApiError, TooManyRequestsError, TransportError

__all__ = ["READ_METHODS", "RetryPolicy", "is_retryable"]

DEFAULT_RNG = random.Random()
"""The jitter source of backoffs given no ``rng``."""

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods retried on any transient failure: they change nothing on the server."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently the client retries a failed request.

    ``attempts`` counts every try, the first included: 3 means up to two retries; 0 or 1 disables
    retrying. ``base`` and ``cap`` bound the exponential backoff in seconds; ``jitter`` spreads each
    wait uniformly over ``[0, backoff]`` (full jitter). A ``Retry-After`` longer than
    ``max_retry_after`` seconds is not honoured: the error is raised instead.
    """

    attempts: int = 3
    base: float = 0.5
    cap: float = 8.0
    jitter: bool = True
    max_retry_after: float = 60.0
    retry_statuses: frozenset[int] = field(default_factory=lambda: frozenset({429, 500, 502, 503, 504}))

    def __post_init__(self) -> None:
        if self.attempts < 0:
            raise ValueError(f"attempts must be >= 0, not {self.attempts}")
        if self.base < 0 or self.cap < 0 or self.max_retry_after < 0:
            raise ValueError("base, cap and max_retry_after must not be negative")

    @classmethod
    def disabled(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(attempts=0)

    def backoff(self, retry_number: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry ``retry_number`` (1 for the first) when the server gave no hint."""
        ceiling = min(self.cap, self.base * (2.0 ** max(0, retry_number - 1)))
        if not self.jitter:
            return ceiling
        return (rng or DEFAULT_RNG).uniform(0.0, ceiling)


def is_retryable(policy: RetryPolicy, method: str, error: BaseException) -> bool:
    """Whether ``error`` from a ``method`` request may be retried under ``policy`` (attempts aside)."""
    is_read = method.upper() in READ_METHODS
    if isinstance(error, ApiError):
        if error.code == 409 or error.code not in policy.retry_statuses:
            return False
        if not is_read and not isinstance(error, TooManyRequestsError):
            return False
        hint = error.retry_after_seconds
        return hint is None or hint <= policy.max_retry_after
    if isinstance(error, TransportError):
        return not error.permanent and (is_read or not error.request_sent)
    if isinstance(error, httpx.TransportError):  # from callers that do not wrap httpx's errors
        if isinstance(error, HTTPX_PERMANENT):
            return False  # the same request fails the same way
        return is_read or isinstance(error, HTTPX_NOT_SENT)
    return False
