"""When and how the client retries a request, and ``retry_on_conflict`` for read-modify-write loops.

Rules (:class:`RetryPolicy` holds the numbers; it and :func:`is_retryable` live in
:mod:`imageapi._retry_policy`, which imports no tenacity, and are re-exported here):

* Reads (GET, HEAD, and so list and watch) are retried on transport errors and on the retryable
  statuses (429, 500, 502, 503, 504).
* Writes (POST, PUT, PATCH, DELETE) are retried only when the server cannot have applied them: on a
  429 (rejected before any handler ran) and on failures before the request left the client
  (connect errors, connect and pool timeouts). Never after a read timeout or a dropped connection,
  and never on 409.
* The wait honours ``Retry-After`` (seconds or an HTTP date, or ``details.retryAfterSeconds``);
  one longer than ``max_retry_after`` is not waited for: the error is raised. Without a hint the wait
  is exponential (``base * 2**n`` capped at ``cap``) with full jitter.

:func:`retrying` and :func:`async_retrying` build tenacity controllers from the same stop, wait,
retry and before-sleep pieces; the client wraps one attempt of a request in them. Each retry is
logged at DEBUG on the ``imageapi`` logger with the method, the URL (secret query values removed),
the attempt, the delay and the reason.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import httpx
import tenacity

from ._deadline import Deadline
from ._redact import redact_url
from ._retry_policy import DEFAULT_RNG, RetryPolicy, is_retryable
from .errors import ApiError, ConflictError

__all__ = [
    "CLIENT_GO_DEFAULT_BACKOFF",
    "CLIENT_GO_DEFAULT_RETRY",
    "DEFAULT_CONFLICT_BACKOFF",
    "ConflictBackoff",
    "RetryPolicy",
    "async_retry_on_conflict",
    "async_retrying",
    "is_retryable",
    "retry_on_conflict",
    "retrying",
]

logger = logging.getLogger("imageapi")

T = TypeVar("T")

def _describe(error: BaseException | None) -> str:
    # The reason in a log line: the code and reason for an API error, the failure kind otherwise.
    # Never the message of a transport error, which can quote request details.
    if isinstance(error, ApiError):
        return f"{error.code} {error.reason or httpx.codes.get_reason_phrase(error.code) or 'error'}"
    return type(error).__name__


class _WaitRetryAfterOrBackoff(tenacity.wait.wait_base):
    """Wait what the server asked for, else exponential backoff with full jitter."""

    def __init__(self, policy: RetryPolicy, rng: random.Random | None) -> None:
        self.policy = policy
        self.rng = rng

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, ApiError):
            hint = error.retry_after_seconds
            if hint is not None:
                return min(hint, self.policy.max_retry_after)
        return self.policy.backoff(retry_state.attempt_number, self.rng)


def _controller_kwargs(
    policy: RetryPolicy, method: str, url: object, rng: random.Random | None, deadline: Deadline | None = None
) -> dict[str, Any]:
    """The pieces shared by the sync and async controllers.

    ``url`` is turned into text (and redacted) only when a retry is logged: a controller is built for
    every request, and most requests are never retried.
    """
    total = max(1, policy.attempts)

    def log_retry(retry_state: tenacity.RetryCallState) -> None:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        delay = retry_state.next_action.sleep if retry_state.next_action is not None else 0.0
        logger.debug(
            "retrying %s %s (attempt %d of %d failed) in %.2fs: %s",
            method.upper(), redact_url(url) if url is not None else "", retry_state.attempt_number, total,
            delay, _describe(error),
        )

    stop: tenacity.stop.stop_base = tenacity.stop_after_attempt(total)
    if deadline is not None:
        stop = stop | _StopAtDeadline(deadline)
    return {
        "stop": stop,
        "wait": _WaitRetryAfterOrBackoff(policy, rng),
        "retry": tenacity.retry_if_exception(lambda error: is_retryable(policy, method, error)),
        "before_sleep": log_retry,
        "reraise": True,
    }


class _StopAtDeadline(tenacity.stop.stop_base):
    """Stop before a wait that would end past the call's deadline (or once it has passed)."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        return self.deadline.remaining() <= (retry_state.upcoming_sleep or 0.0)


def retrying(
    policy: RetryPolicy,
    method: str,
    url: object = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    deadline: Deadline | None = None,
) -> tenacity.Retrying:
    """A tenacity controller for one ``method`` request to ``url`` (used only in log lines, and only
    made into text then: anything whose ``str()`` is the URL will do).

    Use as ``for attempt in retrying(...): with attempt: send()``; the last error is re-raised
    unchanged when retries run out, the error is not retryable, or the wait before the next try
    would end past ``deadline``.
    """
    return tenacity.Retrying(sleep=sleep, **_controller_kwargs(policy, method, url, rng, deadline))


def async_retrying(
    policy: RetryPolicy,
    method: str,
    url: object = None,
    *,
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    rng: random.Random | None = None,
    deadline: Deadline | None = None,
) -> tenacity.AsyncRetrying:
    """The async twin of :func:`retrying`: ``async for attempt in async_retrying(...)``."""
    return tenacity.AsyncRetrying(sleep=sleep, **_controller_kwargs(policy, method, url, rng, deadline))


@dataclass(frozen=True)
class ConflictBackoff:
    """How :func:`retry_on_conflict` waits between tries, after client-go's ``wait.Backoff``.

    ``steps`` tries in all; the first wait is ``duration`` seconds and each next one ``factor`` times
    longer, up to ``cap``. ``jitter`` stretches each wait by up to ``jitter`` times itself
    (client-go's kind); ``full_jitter`` instead spreads it uniformly over ``[0, wait]``, which is what
    breaks the lockstep of writers that all conflicted at once. ``max_elapsed`` bounds the whole
    loop: no try starts (and no wait is begun) that would end past that many seconds after the first.

    The fields' defaults are client-go's ``retry.DefaultRetry``; :data:`DEFAULT_CONFLICT_BACKOFF` is
    what :func:`retry_on_conflict` uses when given none.
    """

    steps: int = 5
    duration: float = 0.01
    factor: float = 1.0
    jitter: float = 0.1
    cap: float | None = None
    full_jitter: bool = False
    max_elapsed: float | None = None

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, not {self.steps}")
        if self.duration < 0 or self.factor < 0 or self.jitter < 0 or (self.cap is not None and self.cap < 0):
            raise ValueError("duration, factor, jitter and cap must not be negative")
        if self.max_elapsed is not None and self.max_elapsed <= 0:
            raise ValueError(f"max_elapsed must be positive (or None), not {self.max_elapsed}")

    @classmethod
    def client_go_default_retry(cls) -> ConflictBackoff:
        """client-go's ``retry.DefaultRetry`` (:data:`CLIENT_GO_DEFAULT_RETRY`)."""
        return CLIENT_GO_DEFAULT_RETRY

    @classmethod
    def client_go_default_backoff(cls) -> ConflictBackoff:
        """client-go's ``retry.DefaultBackoff`` (:data:`CLIENT_GO_DEFAULT_BACKOFF`)."""
        return CLIENT_GO_DEFAULT_BACKOFF

    @classmethod
    def default(cls) -> ConflictBackoff:
        """What :func:`retry_on_conflict` uses when given no backoff (:data:`DEFAULT_CONFLICT_BACKOFF`)."""
        return DEFAULT_CONFLICT_BACKOFF

    def delay(self, retry_number: int, rng: random.Random | None = None) -> float:
        """Seconds before retry ``retry_number`` (1 for the first)."""
        base = self.duration * (self.factor ** max(0, retry_number - 1))
        if self.cap is not None:
            base = min(base, self.cap)
        if self.full_jitter:
            return (rng or DEFAULT_RNG).uniform(0.0, base)
        if self.jitter > 0:
            base += (rng or DEFAULT_RNG).uniform(0.0, self.jitter * base)
        return base


CLIENT_GO_DEFAULT_RETRY = ConflictBackoff(steps=5, duration=0.01, factor=1.0, jitter=0.1)
"""client-go's ``retry.DefaultRetry``: 5 tries, 10 ms apart, 10 % jitter (about 40 ms in all). Measured
with ``scripts/contention.py`` (8 writers x 100 increments on one object): it refuses a share of the
increments with ``ConflictError`` (see docs/configuration.md); right when conflicts are rare."""

CLIENT_GO_DEFAULT_BACKOFF = ConflictBackoff(steps=4, duration=0.01, factor=5.0, jitter=0.1)
"""client-go's ``retry.DefaultBackoff``: 4 tries, waits of 10, 50 and 250 ms, 10 % jitter."""

DEFAULT_CONFLICT_BACKOFF = ConflictBackoff(
    steps=40, duration=0.01, factor=2.0, cap=1.0, jitter=0.0, full_jitter=True, max_elapsed=60.0
)
"""What :func:`retry_on_conflict` uses by default: full-jittered exponential backoff from 10 ms,
doubling up to 1 s, at most 40 tries and 60 s in all. Lets 8 writers contending on one object finish
every increment (``scripts/contention.py``; figures in docs/configuration.md)."""


def _conflict_kwargs(backoff: ConflictBackoff, rng: random.Random | None) -> dict[str, Any]:
    def wait(retry_state: tenacity.RetryCallState) -> float:
        return backoff.delay(retry_state.attempt_number, rng)

    def log_retry(retry_state: tenacity.RetryCallState) -> None:
        delay = retry_state.next_action.sleep if retry_state.next_action is not None else 0.0
        logger.debug("conflict on attempt %d of %d; retrying in %.3fs",
                     retry_state.attempt_number, backoff.steps, delay)

    stop: tenacity.stop.stop_base = tenacity.stop_after_attempt(backoff.steps)
    if backoff.max_elapsed is not None:
        # stop_before_delay counts the coming wait too: the loop never sleeps past the bound.
        stop = stop | tenacity.stop_before_delay(backoff.max_elapsed)
    return {
        "stop": stop,
        "wait": wait,
        "retry": tenacity.retry_if_exception_type(ConflictError),
        "before_sleep": log_retry,
        "reraise": True,
    }


def retry_on_conflict(
    fn: Callable[[], T],
    *,
    backoff: ConflictBackoff = DEFAULT_CONFLICT_BACKOFF,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """Call ``fn()`` until it does not raise :class:`ConflictError`, at most ``backoff.steps`` times
    (and within ``backoff.max_elapsed`` seconds).

    ``fn`` must re-read the object and re-apply its change each time (client-go's
    ``RetryOnConflict``). Other errors propagate at once; after the last try the last
    ``ConflictError`` is raised. The default backoff, :data:`DEFAULT_CONFLICT_BACKOFF`, outlasts
    ordinary contention; pass ``backoff=CLIENT_GO_DEFAULT_RETRY`` for client-go's exact behaviour.
    """
    controller = tenacity.Retrying(sleep=sleep, **_conflict_kwargs(backoff, rng))
    return controller(fn)


async def async_retry_on_conflict(
    fn: Callable[[], Awaitable[T]],
    *,
    backoff: ConflictBackoff = DEFAULT_CONFLICT_BACKOFF,
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    rng: random.Random | None = None,
) -> T:
    """The async twin of :func:`retry_on_conflict`: awaits ``fn()`` again on :class:`ConflictError`."""
    controller = tenacity.AsyncRetrying(sleep=sleep, **_conflict_kwargs(backoff, rng))
    return await controller(fn)
