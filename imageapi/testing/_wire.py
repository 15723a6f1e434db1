"""The request and response values the fake's dispatcher and transports exchange, and the JSON and
Status responses every handler answers with.

A transport turns what it read into a :class:`Request`; the dispatcher (``_app.App``) answers with a
:class:`Response`: a status, headers and either a body or a watch stream to pull chunks from.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._status import StatusError
from ._watch import WatchStream

MAX_BODY_BYTES = 3 * 1024 * 1024
JSON_CONTENT_TYPE = "application/json"


class RawValue:
    """A field value that the Status message shows unquoted (Go's ``%#v`` of a uint64 zero)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


@dataclass
class Request:
    """An HTTP request as the transports hand it over."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes = b""
    # Strict-decoding errors found while decoding the body (duplicate fields): reported with the
    # unknown fields, as warnings or, with fieldValidation=Strict, as the 400.
    strict_errors: list[str] = field(default_factory=list)

    @classmethod
    def from_wire(cls, method: str, path: str, query: Iterable[tuple[str, str]], headers: Iterable[tuple[str, str]],
                  body: bytes) -> Request:
        """A request from what a transport read: a repeated query parameter counts with its first value
        (``url.Values.Get``), and header names are lower-cased. ``path`` is already percent-decoded."""
        first_values: dict[str, str] = {}
        for key, value in query:
            first_values.setdefault(key, value)
        return cls(method, path, first_values, {name.lower(): value for name, value in headers}, body)


@dataclass
class Response:
    """What to send back: a body, or a watch stream to pull chunks from."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    stream: WatchStream | None = None
    delay: float = 0.0
    drop_after_bytes: int | None = None
    drop_before_processing: bool = False


def dumps(document: Any) -> bytes:
    """Compact JSON bytes with a trailing newline, as the apiserver's encoder writes them."""
    return json.dumps(document, separators=(",", ":")).encode() + b"\n"


def json_response(status: int, document: Any, headers: list[tuple[str, str]] | None = None) -> Response:
    """A JSON response."""
    return Response(status, [("Content-Type", JSON_CONTENT_TYPE), *(headers or [])], dumps(document))


def status_response(error: StatusError) -> Response:
    """The response for a Status error. Like ``responsewriters.ErrorNegotiated``, a positive
    ``details.retryAfterSeconds`` also becomes a ``Retry-After`` header."""
    headers = dict(error.headers)
    retry_after = (error.details or {}).get("retryAfterSeconds")
    if isinstance(retry_after, int) and retry_after > 0 and "Retry-After" not in headers:
        headers["Retry-After"] = str(retry_after)
    return json_response(error.code, error.to_status(), list(headers.items()))


__all__ = ["JSON_CONTENT_TYPE", "MAX_BODY_BYTES", "RawValue", "Request", "Response", "dumps", "json_response",
           "status_response"]
