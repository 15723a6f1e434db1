"""Deterministic fault injection for tests: ``cluster.faults``.

Rules match a request by HTTP method and a glob over the URL path (``fnmatch`` syntax, so
``*/imagestreams*`` matches every imagestream path); each fires for the next ``count`` matching
requests (``None``: until :meth:`Faults.clear`). Every rule kind is independent: a request can be
delayed *and* then answered with a 503.

>>> cluster.faults.fail_next(2, method="POST", path="*/imagestreams", status=503)
>>> cluster.faults.too_many_requests(retry_after=3, plain=True)
>>> cluster.faults.add_latency(0.2, path="*/images/*")
>>> cluster.faults.drop_connection(method="PUT")            # the write is applied, the reply is lost
>>> cluster.faults.cut_watches(after_events=5)
>>> cluster.faults.expire_continue_tokens(); cluster.faults.compact_history()
"""

from __future__ import annotations

import fnmatch
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from ._status import StatusError
from ._store import Store

_REASONS = {
    400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
    406: "NotAcceptable", 409: "Conflict", 410: "Expired", 413: "RequestEntityTooLarge",
    415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests", 500: "InternalError",
    503: "ServiceUnavailable", 504: "Timeout",
}
TOO_MANY_REQUESTS_TEXT = "Too many requests, please try again later."


@dataclass
class InjectedFailure:
    """A canned response that replaces the real one."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class FaultPlan:
    """What the faults decide for one request."""

    failure: InjectedFailure | None = None
    delay: float = 0.0
    drop_after_bytes: int | None = None  # lose the connection after this many body bytes
    drop_before_processing: bool = False  # lose it before the request is handled at all


@dataclass
class _Rule:
    method: str
    path: str
    remaining: int | None
    failure: InjectedFailure | None = None
    delay: float = 0.0
    drop_after_bytes: int | None = None
    drop_before_processing: bool = False

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method)) and fnmatch.fnmatchcase(path, self.path)


@dataclass
class _WatchCut:
    after_events: int
    remaining: int | None
    abrupt: bool


@dataclass
class Faults:
    """The fault rules of one cluster. Thread-safe; every method returns None."""

    store: Store
    _rules: list[_Rule] = field(default_factory=list)
    _watch_cuts: list[_WatchCut] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(
        self,
        count: int | None = 1,
        *,
        method: str = "*",
        path: str = "*",
        status: int = 500,
        reason: str | None = None,
        message: str | None = None,
        body: str | bytes | dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next ``count`` matching requests with ``status`` without handling them.

        The body is a JSON ``Status`` (reason and message from the arguments or defaults) unless
        ``body`` gives a dict (sent as JSON) or text/bytes (sent as ``text/plain``). ``retry_after``
        adds a ``Retry-After`` header (and ``details.retryAfterSeconds`` to a Status body)."""
        response_headers = dict(headers or {})
        if retry_after is not None:
            response_headers.setdefault("Retry-After", str(retry_after))
        if isinstance(body, (str, bytes)):
            payload = body.encode() if isinstance(body, str) else body
            response_headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        else:
            document = body if body is not None else self._status(status, reason, message, retry_after)
            payload = json.dumps(document).encode()
            response_headers.setdefault("Content-Type", "application/json")
        self._add(_Rule(method.upper(), path, count,
                        failure=InjectedFailure(status, response_headers, payload)))

    def too_many_requests(self, count: int | None = 1, *, retry_after: int = 1, plain: bool = True,
                          method: str = "*", path: str = "*") -> None:
        """429 as API Priority and Fairness sends it (``plain``: text body) or as a JSON Status."""
        if plain:
            self.fail_next(count, method=method, path=path, status=429, body=TOO_MANY_REQUESTS_TEXT,
                           retry_after=retry_after)
        else:
            self.fail_next(count, method=method, path=path, status=429, reason="TooManyRequests",
                           message=TOO_MANY_REQUESTS_TEXT, retry_after=retry_after)

    def add_latency(self, seconds: float, *, method: str = "*", path: str = "*", count: int | None = None) -> None:
        """Delay matching responses by ``seconds``."""
        self._add(_Rule(method.upper(), path, count, delay=seconds))

    def drop_connection(self, count: int | None = 1, *, method: str = "*", path: str = "*",
                        after_bytes: int = 0, before_processing: bool = False) -> None:
        """Lose the connection: after ``after_bytes`` bytes of the response body (the request *was*
        handled), or before the request is handled at all with ``before_processing``."""
        self._add(_Rule(method.upper(), path, count, drop_after_bytes=after_bytes,
                        drop_before_processing=before_processing))

    def cut_watches(self, after_events: int, *, count: int | None = None, abrupt: bool = False) -> None:
        """End the next ``count`` watch streams (all, with None) after ``after_events`` events: cleanly
        like a server timeout, or with a dropped connection when ``abrupt``."""
        with self._lock:
            self._watch_cuts.append(_WatchCut(after_events, count, abrupt))

    def expire_continue_tokens(self) -> None:
        """Every outstanding continue token now gets 410 Expired (with a fresh inconsistent token)."""
        self.store.expire_continue_tokens()

    def compact_history(self) -> None:
        """Forget the watch history: a watch from any earlier resourceVersion gets an ERROR 410 event."""
        self.store.compact()

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()
            self._watch_cuts.clear()

    # -- used by the request dispatcher ---------------------------------------------------------

    def plan(self, method: str, path: str) -> FaultPlan:
        """Consume the rules that match this request."""
        plan = FaultPlan()
        if not self._rules:
            return plan
        with self._lock:
            for rule in list(self._rules):
                if not rule.matches(method, path):
                    continue
                if rule.failure is not None:
                    if plan.failure is not None:
                        continue
                    plan.failure = rule.failure
                if rule.delay:
                    plan.delay += rule.delay
                if rule.drop_before_processing:
                    plan.drop_before_processing = True
                elif rule.drop_after_bytes is not None:
                    plan.drop_after_bytes = rule.drop_after_bytes
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._rules.remove(rule)
        return plan

    def watch_cut(self) -> tuple[int, bool] | None:
        """``(after_events, abrupt)`` for a new watch stream, or None."""
        if not self._watch_cuts:
            return None
        with self._lock:
            for cut in list(self._watch_cuts):
                if cut.remaining is not None:
                    cut.remaining -= 1
                    if cut.remaining <= 0:
                        self._watch_cuts.remove(cut)
                return cut.after_events, cut.abrupt
        return None

    def _add(self, rule: _Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    @staticmethod
    def _status(status: int, reason: str | None, message: str | None, retry_after: int | None) -> dict[str, Any]:
        details = {"retryAfterSeconds": retry_after} if retry_after is not None else None
        chosen = reason if reason is not None else _REASONS.get(status)
        return StatusError(status, chosen, message or f"injected failure ({status})", details).to_status()
