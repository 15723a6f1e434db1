"""Status errors of the fake cluster, shaped exactly as the real server writes them.

Every failure inside the fake is raised as :class:`StatusError`; the HTTP layer turns it into a
response whose body is the Status and whose code is ``status.code``. The constructors below follow
``k8s.io/apimachinery/pkg/api/errors`` message forms (see server-semantics.md §12).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._resource_info import GROUP


@dataclass(frozen=True)
class FieldError:
    """One validation failure: ``field`` uses the server's path syntax (``spec.tags[latest].from.name``)."""

    reason: str  # FieldValueRequired, FieldValueInvalid, FieldValueNotFound, FieldValueForbidden, …
    field: str
    detail: str = ""
    value: Any = None
    has_value: bool = False

    @property
    def message(self) -> str:
        """The cause message as the server renders it (``Required value``, ``Invalid value: "x": why``)."""
        head = _FIELD_ERROR_HEADS.get(self.reason, self.reason)
        if self.has_value and self.reason not in _VALUELESS_REASONS:
            head = f"{head}: {_render_value(self.value)}"
        return f"{head}: {self.detail}" if self.detail else head


# field.Required, field.Forbidden and field.InternalError never print the value, even when one is given.
_VALUELESS_REASONS = frozenset({"FieldValueRequired", "FieldValueForbidden", "InternalError"})

_FIELD_ERROR_HEADS = {
    "FieldValueRequired": "Required value",
    "FieldValueInvalid": "Invalid value",
    "FieldValueNotFound": "Not found",
    "FieldValueForbidden": "Forbidden",
    "FieldValueDuplicate": "Duplicate value",
    "FieldValueNotSupported": "Unsupported value",
    "FieldValueTooLong": "Too long",
    "FieldValueTooMany": "Too many",
    "FieldValueTypeInvalid": "Invalid value",
    "InternalError": "Internal error",
}


_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v",
               '"': '\\"', "\\": "\\\\"}


def go_quote(text: str) -> str:
    """Go's ``%q`` of a string (``strconv.Quote``), as field errors print string values: printable
    characters as they are, control and other unprintable ones escaped."""
    parts = ['"']
    for char in text:
        code = ord(char)
        if char in _GO_ESCAPES:
            parts.append(_GO_ESCAPES[char])
        elif char == " " or char.isprintable():
            parts.append(char)
        elif code < 0x80:
            parts.append(f"\\x{code:02x}")
        elif code < 0x10000:
            parts.append(f"\\u{code:04x}")
        else:
            parts.append(f"\\U{code:08x}")
    parts.append('"')
    return "".join(parts)


def _render_value(value: Any) -> str:
    if isinstance(value, str):
        return go_quote(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class StatusError(Exception):
    """A failure the fake answers with a ``Status`` body and HTTP ``code``."""

    code: int
    reason: str | None
    message: str
    details: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    list_continue: str | None = None  # metadata.continue of a 410 Status from a list

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def to_status(self) -> dict[str, Any]:
        """The JSON body the server writes.

        ``details`` None leaves the field out; an empty dict is written as ``"details":{}``, because
        ``NewGenericServerResponse`` (generic 404/405, 422 from a patch) always sets a details pointer
        (server-semantics.md §12). This is the one place that shapes a Status body.
        """
        metadata: dict[str, Any] = {}
        if self.list_continue is not None:
            metadata["continue"] = self.list_continue
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": metadata,
            "status": "Failure",
            "message": self.message,
        }
        if self.reason:
            body["reason"] = self.reason
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body


def _details(name: str | None, resource: str | None, group: str = GROUP, **extra: Any) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    if resource:
        details["kind"] = resource
    details.update({key: value for key, value in extra.items() if value is not None})
    return details


def qualified(resource: str, group: str = GROUP) -> str:
    """``imagestreams.image.openshift.io``; just ``namespaces`` for the core group."""
    return f"{resource}.{group}" if group else resource


def not_found(resource: str, name: str, group: str = GROUP) -> StatusError:
    """404 ``<resource>.<group> "<name>" not found``."""
    return StatusError(404, "NotFound", f'{qualified(resource, group)} "{name}" not found',
                       _details(name, resource, group))


def path_not_found() -> StatusError:
    """404 for a path the server does not serve."""
    return StatusError(404, "NotFound", "the server could not find the requested resource", {})


def already_exists(resource: str, name: str, group: str = GROUP) -> StatusError:
    """409 ``<resource>.<group> "<name>" already exists``."""
    return StatusError(409, "AlreadyExists", f'{qualified(resource, group)} "{name}" already exists',
                       _details(name, resource, group))


def conflict(resource: str, name: str, why: str, group: str = GROUP) -> StatusError:
    """409 ``Operation cannot be fulfilled on <resource>.<group> "<name>": <why>``."""
    return StatusError(409, "Conflict",
                       f'Operation cannot be fulfilled on {qualified(resource, group)} "{name}": {why}',
                       _details(name, resource, group))


STALE_OBJECT = "the object has been modified; please apply your changes to the latest version and try again"


def invalid(kind: str, name: str, errors: list[FieldError], group: str = GROUP) -> StatusError:
    """422 ``<Kind>.<group> "<name>" is invalid: …`` with one cause per field error (deduplicated)."""
    rendered: list[str] = []
    for error in errors:
        text = f"{error.field}: {error.message}" if error.field else error.message
        if text not in rendered:
            rendered.append(text)
    summary = rendered[0] if len(rendered) == 1 else "[" + ", ".join(rendered) + "]"
    causes = [{"reason": e.reason, "message": e.message, "field": e.field} for e in errors]
    return StatusError(422, "Invalid", f'{qualified(kind, group)} "{name}" is invalid: {summary}',
                       _details(name, kind, group, causes=causes))


def bad_request(message: str) -> StatusError:
    """400 with a free-text message and no details."""
    return StatusError(400, "BadRequest", message)


def method_not_allowed(message: str = "the server does not allow this method on the requested resource") -> StatusError:
    """405 ``MethodNotAllowed``."""
    return StatusError(405, "MethodNotAllowed", message, {})


def request_entity_too_large(limit: int) -> StatusError:
    """413 for a body over the server's size ``limit`` (in bytes)."""
    return StatusError(413, "RequestEntityTooLarge", f"Request entity too large: limit is {limit}")


def unsupported_media_type(message: str) -> StatusError:
    """415 ``UnsupportedMediaType`` for a body or patch type the server cannot decode. Like the
    server's ``errUnsupportedMediaType`` Status, it carries no details."""
    return StatusError(415, "UnsupportedMediaType", message)


def unauthorized() -> StatusError:
    """401 ``Unauthorized``."""
    return StatusError(401, "Unauthorized", "Unauthorized")


def forbidden(message: str, details: dict[str, Any] | None = None) -> StatusError:
    """403 ``Forbidden``."""
    return StatusError(403, "Forbidden", message, details)


def expired(message: str, list_continue: str | None = None) -> StatusError:
    """410 ``Expired`` (stale continue token, compacted resourceVersion)."""
    return StatusError(410, "Expired", message, list_continue=list_continue)


def server_timeout(operation: str, resource: str, retry_after: int = 2, group: str = GROUP) -> StatusError:
    """500 ``ServerTimeout`` with ``retryAfterSeconds`` (and a ``Retry-After`` header)."""
    return StatusError(
        500, "ServerTimeout",
        f"The {operation} operation against {qualified(resource, group)} could not be completed at this time, "
        "please try again.",
        _details(None, resource, group, retryAfterSeconds=retry_after),
        headers={"Retry-After": str(retry_after)},
    )


def internal_error(message: str) -> StatusError:
    """500 ``InternalError`` with the message as its single cause."""
    return StatusError(500, "InternalError", f"Internal error occurred: {message}",
                       {"causes": [{"message": message}]})


def plain_server_error(message: str) -> StatusError:
    """500 with no reason: a Go error that is not a Status."""
    return StatusError(500, None, message)


def too_many_requests(message: str, retry_after: int) -> StatusError:
    """429 as a JSON Status with ``retryAfterSeconds``."""
    return StatusError(429, "TooManyRequests", message, {"retryAfterSeconds": retry_after},
                       headers={"Retry-After": str(retry_after)})


def embedded(status: dict[str, Any]) -> dict[str, Any]:
    """A Status as a field of another object (``ImageImportStatus.status``): Go leaves an embedded
    Status's TypeMeta empty, so it has no ``kind`` or ``apiVersion``."""
    return {key: value for key, value in status.items() if key not in ("kind", "apiVersion")}


def success_status(details: dict[str, Any] | None = None, code: int | None = None) -> dict[str, Any]:
    """A ``Status`` of success, as delete and ImageStreamMapping create answer."""
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details is not None:
        body["details"] = details
    if code is not None:
        body["code"] = code
    return body
