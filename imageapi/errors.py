"""Exceptions raised by the imageapi client.

Every exception the SDK raises on purpose derives from :class:`ImageAPIError`::

    ImageAPIError
    ├── ApiError                    the server answered with an error status (a Status body, or not)
    │   ├── BadRequestError             400 BadRequest
    │   ├── UnauthorizedError           401 Unauthorized
    │   ├── ForbiddenError              403 Forbidden
    │   ├── NotFoundError               404 NotFound
    │   ├── MethodNotAllowedError       405 MethodNotAllowed
    │   ├── AlreadyExistsError          409 AlreadyExists
    │   ├── ConflictError               409 Conflict (stale resourceVersion, failed precondition)
    │   ├── ResourceExpiredError        410 Expired or Gone
    │   ├── InvalidError                422 Invalid (see .causes)
    │   ├── TooManyRequestsError        429 TooManyRequests (see .retry_after)
    │   └── ServerError                 5xx, InternalError, a 500 without a reason
    │       └── ServerTimeoutError          500 ServerTimeout, 504 Timeout
    │           └── ResourceVersionTooLargeError  504 with cause ResourceVersionTooLarge; relist
    ├── TransportError              no HTTP response (carries .method and .url)
    │   ├── APIConnectionError          could not connect, connection dropped, protocol error
    │   └── APITimeoutError             connect, read, write or pool timeout
    ├── ProtocolError               a 2xx answer that is not the API's protocol (HTML, truncated or
    │                                   wrong-typed JSON, an object of another kind, a proxy's page on a
    │                                   watch stream); carries .url, .excerpt and .problems
    ├── ConfigError                 kubeconfig / in-cluster configuration problems
    └── CredentialError             obtaining credentials failed (exec plugin, token file)

:func:`error_from_response` builds the right :class:`ApiError` from any error response, and
:func:`error_from_transport` wraps an ``httpx.TransportError``. No message here ever includes a
request header, and URLs are shown with secret query values removed.

Errors are raised from the caller's own line: the client's internals (the retry controller,
httpx and httpcore) are not chained into the traceback a user reads. The low-level exception behind
an error (httpx's, pydantic's) stays reachable as :attr:`ImageAPIError.original` for ``--debug``
output and logging.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from ._redact import redact_text, redact_url

if TYPE_CHECKING:
    from typing_extensions import Self

    from .models import ImageStreamImport, Status

__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "AlreadyExistsError",
    "ApiError",
    "BadRequestError",
    "ConfigError",
    "ConflictError",
    "CredentialError",
    "ForbiddenError",
    "ImageAPIError",
    "InvalidError",
    "MethodNotAllowedError",
    "NotFoundError",
    "ProtocolError",
    "ResourceExpiredError",
    "ResourceVersionTooLargeError",
    "ServerError",
    "ServerTimeoutError",
    "StatusCause",
    "StatusDetails",
    "TooManyRequestsError",
    "TransportError",
    "UnauthorizedError",
    "body_error",
    "error_from_response",
    "error_from_transport",
    "parse_retry_after",
]

_EXCERPT_LIMIT = 200


class ImageAPIError(Exception):
    """Root of every exception the imageapi SDK raises on purpose."""

    #: The low-level exception this error stands for (an ``httpx`` transport error, a pydantic
    #: ``ValidationError``), or None. It is kept here instead of being chained as ``__cause__`` so that
    #: a traceback shows the caller's line and this error, not the client's internals; print it with
    #: ``traceback.print_exception(error.original)`` when debugging.
    original: BaseException | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take keyword-only arguments, so the default (rebuild from args) cannot work;
        # rebuilding from the attributes keeps errors picklable across processes. ``original`` is
        # left out: low-level exceptions (httpx's hold the request) do not all pickle.
        state = {key: value for key, value in self.__dict__.items() if key != "original"}
        return (_rebuild_error, (type(self), state))

    def with_original(self, original: BaseException | None) -> Self:
        """Record ``original`` (see :attr:`original`) and return this error, for ``raise error.with_original(exc)``."""
        self.original = original
        return self


def _rebuild_error(cls: type[ImageAPIError], state: dict[str, Any]) -> ImageAPIError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, str(error))
    return error


@dataclass(frozen=True)
class StatusCause:
    """One entry of ``Status.details.causes``: which field failed and why."""

    reason: str | None = None
    message: str | None = None
    field: str | None = None


@dataclass(frozen=True)
class StatusDetails:
    """``Status.details``: the object the error is about, validation causes, and a retry hint."""

    name: str | None = None
    group: str | None = None
    kind: str | None = None
    uid: str | None = None
    causes: tuple[StatusCause, ...] = ()
    retry_after_seconds: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> StatusDetails:
        """Read the wire form, ignoring fields of the wrong type rather than failing on them."""
        if not isinstance(data, Mapping):
            return cls()
        raw_causes = data.get("causes")
        causes = tuple(
            StatusCause(
                reason=_str_or_none(cause.get("reason")),
                message=_str_or_none(cause.get("message")),
                field=_str_or_none(cause.get("field")),
            )
            for cause in (raw_causes if isinstance(raw_causes, list) else [])
            if isinstance(cause, Mapping)
        )
        retry = data.get("retryAfterSeconds")
        return cls(
            name=_str_or_none(data.get("name")),
            group=_str_or_none(data.get("group")),
            kind=_str_or_none(data.get("kind")),
            uid=_str_or_none(data.get("uid")),
            causes=causes,
            retry_after_seconds=retry if isinstance(retry, int) and not isinstance(retry, bool) else None,
        )


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


_REPR_MESSAGE_LIMIT = 120


def _one_line(text: str) -> str:
    return " ".join(text.split()) if "\n" in text or "\r" in text else text


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class ApiError(ImageAPIError):
    """The server answered with an error status.

    ``status`` is the decoded :class:`~imageapi.models.Status` when the server sent one, else None. ``code``,
    ``reason``, ``message`` and ``details`` come from the Status when there is one, else from the
    HTTP response (``message`` is then a short excerpt of the body). ``method`` and ``url`` describe
    the request (the URL with secret query values removed); ``headers`` are the response headers.

    ``image_stream_import`` is set only on the error ``image_stream_imports.import_image`` raises for
    a failed import: the server reports that failure inside a successful answer, and this is that
    whole ``ImageStreamImport`` answer (every image's status, the stream as it now is). It is None
    on every other error.
    """

    #: The Status reason(s) this class stands for; used by :func:`error_from_response`.
    reasons: ClassVar[tuple[str, ...]] = ()

    #: The ``ImageStreamImport`` answer of a failed ``import_image``; None on every other error.
    image_stream_import: ImageStreamImport | None = None

    def __init__(
        self,
        message: str,
        *,
        code: int,
        reason: str | None = None,
        details: StatusDetails | None = None,
        status: Status | None = None,
        method: str = "",
        url: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message
        self.code = code
        self.reason = reason
        self.details = details if details is not None else StatusDetails()
        self.status = status
        self.method = method.upper()
        self.url = redact_url(url) if url else ""
        self.headers = httpx.Headers(headers or {})
        super().__init__(str(self))

    def __str__(self) -> str:
        # One line: code, reason, message, then where (method and URL, host included). A message
        # the server wrote over several lines is joined, so log lines and CLI errors stay one line.
        head = f"{self.code} {self.reason or httpx.codes.get_reason_phrase(self.code)}".rstrip()
        where = f" ({self.method} {self.url})" if self.method or self.url else ""
        return f"{head}: {_one_line(self.message)}{where}"

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(code={self.code}, reason={self.reason!r}, "
                f"message={_shorten(_one_line(self.message), _REPR_MESSAGE_LIMIT)!r})")

    @property
    def causes(self) -> tuple[StatusCause, ...]:
        """``details.causes``: per-field failures (filled for 422 Invalid)."""
        return self.details.causes

    @property
    def retry_after_seconds(self) -> float | None:
        """How long the server asked the client to wait: the ``Retry-After`` header (seconds or an
        HTTP date), else ``details.retryAfterSeconds``; None when it gave no hint."""
        header = parse_retry_after(self.headers.get("retry-after"))
        if header is not None:
            return header
        if self.details.retry_after_seconds is not None and self.details.retry_after_seconds > 0:
            return float(self.details.retry_after_seconds)
        return None


class BadRequestError(ApiError):
    """400: the request was malformed (bad name, selector, continue token, undecodable body)."""

    reasons = ("BadRequest",)


class UnauthorizedError(ApiError):
    """401: credentials were missing, expired or rejected."""

    reasons = ("Unauthorized",)


class ForbiddenError(ApiError):
    """403: the user may not perform this verb on this resource (RBAC), or the namespace is terminating."""

    reasons = ("Forbidden",)


class NotFoundError(ApiError):
    """404: the object (or the path) does not exist."""

    reasons = ("NotFound",)


class MethodNotAllowedError(ApiError):
    """405: the resource does not support this verb (for example watch on imagestreamtags)."""

    reasons = ("MethodNotAllowed",)


class AlreadyExistsError(ApiError):
    """409 AlreadyExists: create found an object of that name."""

    reasons = ("AlreadyExists",)


class ConflictError(ApiError):
    """409 Conflict: the resourceVersion was stale or a precondition failed; re-read and retry
    (see :func:`imageapi._retry.retry_on_conflict`)."""

    reasons = ("Conflict",)


class ResourceExpiredError(ApiError):
    """410 Expired or Gone: a continue token or watch resourceVersion is too old; relist."""

    reasons = ("Expired", "Gone")


class InvalidError(ApiError):
    """422 Invalid: validation failed; ``causes`` lists each field and why."""

    reasons = ("Invalid",)


class TooManyRequestsError(ApiError):
    """429: the server is throttling (API Priority and Fairness); ``retry_after`` says how long to wait."""

    reasons = ("TooManyRequests",)

    @property
    def retry_after(self) -> float | None:
        """Seconds to wait before retrying, from ``Retry-After`` or ``details.retryAfterSeconds``."""
        return self.retry_after_seconds


class ServerError(ApiError):
    """5xx: the server failed (InternalError, a proxy's 502/503, a 500 without a reason)."""

    reasons = ("InternalError", "ServiceUnavailable")


class ServerTimeoutError(ServerError):
    """500 ServerTimeout or 504 Timeout: the server could not finish in time; try again later."""

    reasons = ("ServerTimeout", "Timeout")


class ResourceVersionTooLargeError(ServerTimeoutError):
    """504 Timeout whose cause is ``ResourceVersionTooLarge``: the resourceVersion asked for is newer
    than anything this server has (a restart without its history, a lagging replica). Waiting rarely
    helps; like :class:`ResourceExpiredError` it means list again (from the current state) and watch
    from the new list's version, as client-go's reflector does. Its reason is ``Timeout``, like its
    parent's: :func:`error_from_response` picks it by the cause."""


def _is_too_large(reason: str | None, message: str, details: StatusDetails) -> bool:
    # The cause is what the server sets; the message test covers a Status that lost its details.
    return reason == "Timeout" and (
        any(cause.reason == "ResourceVersionTooLarge" for cause in details.causes)
        or "too large resource version" in message.lower())


_BY_REASON: dict[str, type[ApiError]] = {
    reason: cls
    for cls in (
        BadRequestError, UnauthorizedError, ForbiddenError, NotFoundError, MethodNotAllowedError,
        AlreadyExistsError, ConflictError, ResourceExpiredError, InvalidError, TooManyRequestsError,
        ServerError, ServerTimeoutError,
    )
    for reason in cls.reasons
}

_BY_CODE: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    409: ConflictError,
    410: ResourceExpiredError,
    422: InvalidError,
    429: TooManyRequestsError,
    504: ServerTimeoutError,
}


def _class_for(reason: str | None, code: int) -> type[ApiError]:
    if reason and reason in _BY_REASON:
        return _BY_REASON[reason]
    if code in _BY_CODE:
        return _BY_CODE[code]
    if code >= 500:
        return ServerError
    return ApiError


def error_from_response(
    method: str, url: object, status_code: int, headers: Mapping[str, str], body: bytes
) -> ApiError:
    """The :class:`ApiError` subclass for an error response.

    The class follows the Status ``reason`` when the body is a Status, else the HTTP code. Bodies
    that are not a Status (API Priority and Fairness' plain-text 429, a proxy's HTML 502, truncated
    JSON, nothing at all) still give the right class, with a short readable excerpt as the message.
    """
    status = _decode_status(body)
    if status is not None:
        code = status.get("code")
        code = code if isinstance(code, int) and not isinstance(code, bool) and code >= 400 else status_code
        reason = _str_or_none(status.get("reason")) or None
        message = _str_or_none(status.get("message")) or _default_message(status_code)
        details = StatusDetails.from_dict(status.get("details"))
    else:
        code, reason, details = status_code, None, StatusDetails()
        message = _excerpt(body) or _default_message(status_code)
    cls = _class_for(reason, code)
    if cls is ServerTimeoutError and _is_too_large(reason, message, details):
        cls = ResourceVersionTooLargeError
    return cls(
        message, code=code, reason=reason, details=details,
        status=_status_model(status) if status is not None else None,
        method=method, url=str(url), headers=headers,
    )


def _status_model(status: dict[str, Any]) -> Status | None:
    """The typed Status of a decoded Status body; None when its fields have the wrong types (the
    error is still built from what could be read, see :meth:`StatusDetails.from_dict`)."""
    from pydantic import ValidationError

    from .models import Status

    try:
        return Status.model_validate(status)
    except ValidationError:
        return None


def _decode_status(body: bytes) -> dict[str, Any] | None:
    if not body.lstrip().startswith(b"{"):
        return None
    try:
        decoded = json.loads(body)
    except ValueError:
        return None
    if isinstance(decoded, dict) and decoded.get("kind") == "Status":
        return decoded
    return None


def _default_message(status_code: int) -> str:
    phrase = httpx.codes.get_reason_phrase(status_code)
    return f"HTTP {status_code} {phrase}".rstrip()


_TAG = re.compile(r"<[^>]*>")
_HIDDEN_BLOCK = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.I | re.S)


def _excerpt(body: bytes) -> str:
    """A short, single-line, tag-free piece of a response body, safe to put in a message."""
    text = body[: _EXCERPT_LIMIT * 20].decode("utf-8", errors="replace")
    if "<" in text and ">" in text:
        text = _HIDDEN_BLOCK.sub(" ", text)
        text = _TAG.sub(" ", text)
        text = (
            text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&#39;", "'").replace("&nbsp;", " ").replace("&amp;", "&")
        )
    return _shorten(redact_text(" ".join(text.split())), _EXCERPT_LIMIT)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header value: delta-seconds or an HTTP date; None when absent
    or unreadable. A date in the past gives 0."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 and seconds == seconds and seconds != float("inf") else None
    # Deferred: dateutil's parser is a tenth of the cost of importing the client, and servers
    # rarely send an HTTP date.
    from dateutil import parser as date_parser

    try:
        when = date_parser.parse(value)
    except (ValueError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now or datetime.now(timezone.utc)
    return max(0.0, (when - current).total_seconds())


class TransportError(ImageAPIError):
    """No HTTP response was received. ``request_sent`` is False when the request surely never
    reached the server (a connect failure or pool timeout), so even a write can be retried safely."""

    def __init__(
        self, message: str, *, method: str = "", url: str = "", request_sent: bool = True, permanent: bool = False
    ) -> None:
        self.method = method.upper()
        self.url = redact_url(url) if url else ""
        self.request_sent = request_sent
        #: The same request would fail the same way (an unsupported URL scheme, a malformed request),
        #: so no retry policy retries it.
        self.permanent = permanent
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f" ({self.method} {self.url})" if self.method or self.url else ""
        return f"{self.message}{where}"


class APIConnectionError(TransportError):
    """Could not connect to the server, or the connection broke before a response arrived."""


class APITimeoutError(TransportError):
    """The request timed out (connect, read, write, or waiting for a pooled connection)."""


#: httpx failures raised before any byte of the request left the client (the retry rules read it too).
HTTPX_NOT_SENT: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol,
)

#: httpx failures that sending the same request again would repeat (the retry rules read it too).
HTTPX_PERMANENT: tuple[type[httpx.TransportError], ...] = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


def error_from_transport(method: str, url: object, exc: httpx.TransportError) -> TransportError:
    """Wrap an httpx transport failure as :class:`APITimeoutError` or :class:`APIConnectionError`
    (``exc`` becomes its :attr:`~ImageAPIError.original`; raise it ``from None``). The message names
    the failure kind, never request headers."""
    cls: type[TransportError] = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
    detail = redact_text(str(exc)) if str(exc) else ""
    kind = type(exc).__name__
    message = f"{kind}: {detail}" if detail else kind
    return cls(
        message, method=method, url=str(url), request_sent=not isinstance(exc, HTTPX_NOT_SENT),
        permanent=isinstance(exc, HTTPX_PERMANENT),
    ).with_original(exc)


class ProtocolError(ImageAPIError):
    """The server, or something between it and the client, answered 2xx with data that is not the
    API's protocol: a body that is not JSON (a proxy's HTML page, an empty or truncated body), JSON
    of the wrong shape or with wrong-typed fields, an object of another kind than the one asked for,
    or a line that is not a watch event on a watch stream. Retrying would read the same thing, so it
    is raised rather than retried.

    ``url`` is the request URL (secret query values removed), ``excerpt`` a short, single-line,
    tag-free piece of what was received, and ``problems`` one ``"<wire path>: <problem>"`` line per
    field that did not fit (``spec.tags[0].from.name: Input should be a valid string``), when the
    body was JSON.
    """

    def __init__(
        self,
        problem: str,
        *,
        method: str = "GET",
        url: str = "",
        received: bytes = b"",
        problems: tuple[str, ...] = (),
    ) -> None:
        self.problem = problem
        self.method = method.upper()
        self.url = redact_url(url) if url else ""
        self.excerpt = _excerpt(received)
        self.problems = tuple(redact_text(line) for line in problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f" ({self.method} {self.url})" if self.url else ""
        received = f"; received: {self.excerpt!r}" if self.excerpt else ""
        return f"{self.problem}{where}{received}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_shorten(self.problem, _REPR_MESSAGE_LIMIT)!r}, url={self.url!r})"


_PROBLEMS_SHOWN = 3
"""How many field problems a ProtocolError's message names (all of them are in ``.problems``)."""


def body_error(
    expected: str, method: str, url: object, body: bytes, problems: tuple[str, ...] = (), *, kind: str | None = None
) -> ProtocolError:
    """The :class:`ProtocolError` for a 2xx ``body`` that is not the ``expected`` kind of object.

    ``problems`` are the validation problems in wire paths (the first few are named in the message),
    ``kind`` the other kind the body declared when that was the problem.
    """
    if kind is not None:
        problem = f"expected {expected} in the response, got kind {kind}"
    elif not body.strip():
        problem = f"expected {expected} in the response, got an empty body"
    elif problems:
        shown = "; ".join(problems[:_PROBLEMS_SHOWN])
        more = f" (and {len(problems) - _PROBLEMS_SHOWN} more)" if len(problems) > _PROBLEMS_SHOWN else ""
        problem = f"the response is not a valid {expected}: {shown}{more}"
    else:
        problem = f"the response is not a valid {expected}"
    return ProtocolError(problem, method=method, url=str(url), received=body, problems=problems)


class ConfigError(ImageAPIError):
    """The client configuration is unusable: names the file, the context and what is wrong."""

    def __init__(self, problem: str, *, path: str | None = None, context: str | None = None) -> None:
        self.problem = problem
        self.path = path
        self.context = context
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.path:
            where.append(f"kubeconfig {self.path}")
        if self.context:
            where.append(f"context {self.context!r}")
        return f"{', '.join(where)}: {self.problem}" if where else self.problem


class CredentialError(ImageAPIError):
    """Obtaining credentials failed: an exec plugin exited non-zero or printed an unusable
    ExecCredential, or a token file could not be read. Never includes the credential itself."""

    def __init__(
        self,
        problem: str,
        *,
        command: str | None = None,
        exit_code: int | None = None,
        stderr: str | None = None,
    ) -> None:
        self.problem = problem
        self.command = command
        self.exit_code = exit_code
        self.stderr = stderr
        super().__init__(str(self))

    def __str__(self) -> str:
        text = self.problem
        if self.stderr:
            text += f"; stderr: {self.stderr}"
        return text
