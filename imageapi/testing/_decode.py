"""Decoding request bodies as the server's Go decoder does, before any handler sees them.

The apiserver reads a body in two steps (``k8s.io/apimachinery/pkg/runtime/serializer/json``):
``meta.Interpret`` unmarshals the whole document with ``encoding/json`` to find ``apiVersion`` and
``kind`` (so a syntax error, a too-deep document or a non-string ``kind`` fails there), then
``sigs.k8s.io/json`` decodes it into the kind's Go struct, where a value of the wrong JSON type is an
``UnmarshalTypeError`` naming the innermost struct, the field path and the Go type::

    json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string

The create and update handlers wrap the first as ``the object provided is unrecognized (must be of
type Image): … (<first 30 bytes>)`` and the second as ``Image in version "v1" cannot be handled as a
Image: …`` (``transformDecodeError``), both 400 BadRequest. This module does the same walk over the
normalized schema (``types``/``metaTypes``), so a stored object always has the types the schema
declares and nothing downstream meets a float name, a string where a map belongs, or a NaN.

What the parser refuses as Go's does: a UTF-8 BOM or UTF-16 body (an invalid character at offset 0),
``NaN``/``Infinity`` (not JSON), numbers that do not fit (``1e400``, an int64 past 2^63-1, a fraction
in an integer field). Duplicate keys keep the last value, as ``encoding/json`` does, and are reported
as strict-decoding errors (``duplicate field "spec.lookupPolicy"``): warnings by default, a 400 with
``fieldValidation=Strict``. Kinds without a schema of their own (the core kinds, or those another
module serves) are checked for their ``metadata`` at least; :func:`register_schema` adds a schema.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from . import _discovery
from ._contracts import JSON
from ._patch_base import APPLY_PATCH, STRATEGIC_MERGE_PATCH, go_format, go_type_name
from ._status import FieldError, bad_request, go_quote, invalid

# encoding/json's scanner refuses documents nested deeper than maxNestingDepth = 10000 with
# "invalid character '{' exceeded max depth" (sigs.k8s.io/json shares the scanner; apimachinery's
# serializer/json/json_limit_test.go checks it on 3 MB bodies). The fake's parser, copies, patches and
# encoders are recursive Python, which cannot go that deep, so it stops much earlier, at a depth far
# beyond any real manifest (an ImageStream is 7 levels deep, a managedFields entry about 15), and says
# so in the same message.
SERVER_MAX_DEPTH = 10_000
MAX_DEPTH = 100

_GO_SUMMARY_BYTES = 30  # summarizeData(body, 30) in the create/update handlers' decode errors
_INT_RANGES = {"int64": (-(2 ** 63), 2 ** 63 - 1), "int32": (-(2 ** 31), 2 ** 31 - 1)}
_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_CONTAINERS = (dict, list)
_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})")

_registered: dict[str, JSON] = {}
_definitions: dict[str, JSON] = {}  # resolved, by type name (cleared when a schema is registered)
_METADATA_ONLY: JSON = {"fields": {
    "apiVersion": {"type": {"type": "string"}},
    "kind": {"type": {"type": "string"}},
    "metadata": {"type": {"type": "ref", "name": "ObjectMeta"}},
}, "openFields": True}


def register_schema(name: str, definition: JSON) -> None:
    """Add (or replace) the schema of a type, in the normalized schema's form
    (``{"fields": {"spec": {"type": {"type": "ref", "name": "PodSpec"}}, …}}``), for kinds the image
    schema does not describe. A kind without one is decoded for its ``metadata`` only. Set
    ``"openFields": True`` to leave undeclared fields unchecked rather than unknown."""
    _registered[name] = definition
    _definitions.clear()


class GoDecodeError(ValueError):
    """A body the Go decoder refuses; ``message`` is Go's error text, ``stage`` where it failed
    (``"syntax"``: while scanning the document; ``"type"``: while decoding it into its Go type)."""

    def __init__(self, message: str, stage: str) -> None:
        super().__init__(message)
        self.message = message
        self.stage = stage


class _Overflow:
    """A number literal no float64 holds (``1e400``): Go refuses it where it is decoded."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class _Constant(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


# -- the scanner ------------------------------------------------------------------------------------


def _go_char(char: str) -> str:
    """Go's ``quoteChar`` of the byte the scanner stopped at (the first byte of ``char`` in UTF-8)."""
    code = ord(char)
    # A byte that is not UTF-8 was kept by surrogateescape as U+DC80..U+DCFF.
    byte = code - 0xDC00 if 0xDC80 <= code <= 0xDCFF else char.encode("utf-8", "surrogatepass")[0]
    if byte == 0x27:
        return "'\\''"
    if byte == 0x22:
        return "'\"'"
    return "'" + go_quote(chr(byte))[1:-1] + "'"


def _open_container(text: str, position: int) -> str:
    """The innermost bracket still open before ``position`` (``{``, ``[`` or empty)."""
    stack: list[str] = []
    for match in _STRUCTURE.finditer(text, 0, position):
        token = match.group()
        if token in "[{":
            stack.append(token)
        elif token in "]}" and stack:
            stack.pop()
    return stack[-1] if stack else ""


def _syntax_message(text: str, error: json.JSONDecodeError) -> str:
    """Go's scanner error for the place Python's parser stopped at."""
    position, reason = error.pos, error.msg
    at_end = position >= len(text.rstrip(" \t\r\n")) and not reason.startswith("Extra data")
    if at_end or reason.startswith("Unterminated string"):
        return "unexpected end of JSON input"
    if reason.startswith("Invalid \\escape"):
        return f"invalid character {_go_char(text[position + 1])} in string escape code"
    if reason.startswith("Invalid \\u"):
        return f"invalid character {_go_char(text[min(position + 1, len(text) - 1)])} in \\u hexadecimal " \
               "character escape"
    char = _go_char(text[position])
    if reason.startswith("Invalid control character"):
        return f"invalid character {char} in string literal"
    if reason.startswith("Expecting property name"):
        return f"invalid character {char} looking for beginning of object key string"
    if reason.startswith("Expecting ':'"):
        return f"invalid character {char} after object key"
    if reason.startswith("Expecting ','"):
        inside = "object key:value pair" if _open_container(text, position) == "{" else "array element"
        return f"invalid character {char} after {inside}"
    if reason.startswith("Extra data"):
        return f"invalid character {char} after top-level value"
    return f"invalid character {char} looking for beginning of value"


def _depth_error(opening: str) -> GoDecodeError:
    return GoDecodeError(f"invalid character {_go_char(opening)} exceeded max depth (the fake cluster nests "
                         f"values at most {MAX_DEPTH} deep; the server {SERVER_MAX_DEPTH})", "syntax")


def _check_depth(value: Any) -> int:
    """Refuse a decoded document nested deeper than :data:`MAX_DEPTH` (an iterative walk over its
    containers: cheap, and itself safe from any depth); returns how many object keys it holds."""
    level = [value] if value.__class__ in _CONTAINERS else []
    keys = depth = 0
    while level:  # one level of containers at a time
        depth += 1
        if depth > MAX_DEPTH:
            raise _depth_error("{" if level[0].__class__ is dict else "[")
        below: list[Any] = []
        for item in level:
            if item.__class__ is dict:
                keys += len(item)
                below += [child for child in item.values() if child.__class__ in _CONTAINERS]
            else:
                below += [child for child in item if child.__class__ in _CONTAINERS]
        level = below
    return keys


def _first_opening(text: str) -> str:
    """The bracket at which the nesting passes :data:`MAX_DEPTH`, as the scanner reports it."""
    depth = 0
    for match in _STRUCTURE.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return token
        elif token in "]}":
            depth -= 1
    return "{"


def _replace_surrogates(value: Any) -> Any:
    """Go decodes a lone surrogate escape and a byte that is not UTF-8 inside a string as U+FFFD."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace") if _has_surrogate(value) \
            else value
    if isinstance(value, dict):
        return {_replace_surrogates(key): _replace_surrogates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_surrogates(item) for item in value]
    return value


def _has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(char) <= 0xDFFF for char in text)


class ParsedBody:
    """A decoded JSON document and the duplicate keys its objects had (by object identity)."""

    def __init__(self, value: Any, duplicates: Mapping[int, list[str]], overflow: bool) -> None:
        self.value = value
        self.duplicates = duplicates
        self.overflow = overflow


def parse(body: bytes) -> ParsedBody:
    """Scan and decode ``body`` as ``encoding/json`` would (raises :class:`GoDecodeError`)."""
    try:
        text = body.decode("utf-8")
        foreign_bytes = False
    except UnicodeDecodeError:
        text = body.decode("utf-8", "surrogateescape")
        foreign_bytes = True
    overflow = False

    def number(literal: str) -> Any:
        nonlocal overflow
        value = float(literal)
        if value in (float("inf"), float("-inf")):
            overflow = True
            return _Overflow(literal)
        return value

    value = _loads(text, parse_float=number)
    keys = _check_depth(value)
    duplicates: dict[int, list[str]] = {}
    if keys != text.count('":') + text.count('" :'):
        # More key-like tokens than keys: a duplicate key, or only a string that looks like a key.
        # Only then is the document parsed again, keeping every pair to find the duplicates.
        value = _loads(text, parse_float=number, object_pairs_hook=lambda items: _pairs(items, duplicates))
    if foreign_bytes or _SURROGATE_ESCAPE.search(body):
        value = _replace_surrogates(value)
        duplicates = {}  # object identities changed; duplicates are rare enough to lose here
    return ParsedBody(value, duplicates, overflow)


def _loads(text: str, **hooks: Any) -> Any:
    try:
        return json.loads(text, parse_constant=_refuse_constant, **hooks)
    except _Constant as error:
        if error.name == "-Infinity":
            raise GoDecodeError("invalid character 'I' in numeric literal", "syntax") from None
        raise GoDecodeError(f"invalid character '{error.name[0]}' looking for beginning of value", "syntax") from None
    except json.JSONDecodeError as error:
        raise GoDecodeError(_syntax_message(text, error), "syntax") from None
    except RecursionError:  # deeper than Python's own parser goes: far past MAX_DEPTH in any case
        raise _depth_error(_first_opening(text)) from None


def _refuse_constant(name: str) -> Any:
    raise _Constant(name)


def _pairs(items: list[tuple[str, Any]], duplicates: dict[int, list[str]]) -> dict[str, Any]:
    obj = dict(items)
    if len(obj) != len(items):
        seen: set[str] = set()
        repeated: list[str] = []
        for key, _item in items:
            if key in seen and key not in repeated:
                repeated.append(key)
            seen.add(key)
        duplicates[id(obj)] = repeated
    return obj


# -- the typed decode -------------------------------------------------------------------------------


def _definition(name: str) -> JSON:
    """The schema of a type (its registered one, else the normalized schema's, else metadata only)."""
    found = _definitions.get(name)
    if found is None:
        found = _registered.get(name)
        schema = _discovery.normalized_schema() or {}
        for section in ("types", "metaTypes"):
            if found is None:
                found = schema.get(section, {}).get(name)
        _definitions[name] = found = found if found is not None else _METADATA_ONLY
    return found


def _json_kind(value: Any) -> str:
    return "number" if isinstance(value, _Overflow) else go_type_name(value)


def _go_type(type_ref: JSON) -> str:
    kind = type_ref.get("type")
    if kind == "ref":
        return f"v1.{type_ref.get('name')}"
    if kind == "array":
        return "[]" + _go_type(type_ref.get("items", {}))
    if kind == "map":
        return "map[string]" + _go_type(type_ref.get("values", {}))
    if kind == "integer":
        return type_ref.get("format") or "int64"
    return {"string": "string", "boolean": "bool", "byte": "[]uint8", "Time": "v1.Time",
            "RawExtension": "runtime.RawExtension"}.get(str(kind), "interface {}")


def _number_text(value: Any) -> str:
    if isinstance(value, _Overflow):
        return value.text
    return repr(value)


Trail = tuple[tuple[str, Any], ...]  # the steps to a value: ("field", name), ("index", i), ("key", k)


def _go_field_path(trail: Trail) -> str:
    """Go's ``UnmarshalTypeError.Field``: the struct fields on the way, dotted (no indexes, no keys)."""
    return ".".join(str(step) for kind, step in trail if kind == "field")


def _wire_path(trail: Trail) -> str:
    """The path the fake's strict errors use (``spec.tags[0].name``, ``metadata.labels[app]``)."""
    parts: list[str] = []
    for kind, step in trail:
        if kind == "field":
            parts.append(f".{step}" if parts else str(step))
        else:
            parts.append(f"[{step}]")
    return "".join(parts)


class _Walk:
    """One typed decode: raises the first type error, collects strict errors on the way.

    ``struct`` is the Go struct that holds the value being decoded, ``trail`` the steps to it; both
    become text only when an error is reported."""

    def __init__(self, duplicates: Mapping[int, list[str]], overflow: bool) -> None:
        self.duplicates = duplicates
        self.overflow = overflow
        self.strict: list[str] = []

    def fail(self, value: Any, type_ref: JSON, struct: str, trail: Trail, value_text: str = "") -> GoDecodeError:
        described = value_text or _json_kind(value)
        where = f"Go struct field {struct}.{_go_field_path(trail)}" if struct else "Go value"
        return GoDecodeError(f"json: cannot unmarshal {described} into {where} of type {_go_type(type_ref)}", "type")

    def value(self, type_ref: JSON, value: Any, struct: str, trail: Trail) -> None:
        if value is None:
            return  # null leaves a Go value at its zero value, for every type
        kind = type_ref.get("type")
        if kind == "string":
            if value.__class__ is not str:
                raise self.fail(value, type_ref, struct, trail)
        elif kind == "ref":
            self.struct(type_ref["name"], type_ref, value, struct, trail)
        elif kind == "boolean":
            if value.__class__ is not bool:
                raise self.fail(value, type_ref, struct, trail)
        elif kind == "integer":
            self.integer(type_ref, value, struct, trail)
        elif kind == "array":
            if value.__class__ is not list:
                raise self.fail(value, type_ref, struct, trail)
            items = type_ref.get("items", {})
            for index, item in enumerate(value):
                if item is not None:
                    self.value(items, item, struct, (*trail, ("index", index)))
        elif kind == "map":
            if value.__class__ is not dict:
                raise self.fail(value, type_ref, struct, trail)
            if self.duplicates:
                self.report_duplicates(value, trail, "key")
            values = type_ref.get("values", {})
            for key, item in value.items():
                if item is not None:
                    self.value(values, item, struct, (*trail, ("key", key)))
        elif kind == "Time":
            _check_time(value)
        elif kind == "byte":
            self.base64(type_ref, value, struct, trail)
        elif self.overflow:  # any / RawExtension: Go keeps the raw JSON; the fake must be able to write it
            _refuse_overflow(value)

    def integer(self, type_ref: JSON, value: Any, struct: str, trail: Trail) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float, _Overflow)):
            raise self.fail(value, type_ref, struct, trail)
        low, high = _INT_RANGES.get(type_ref.get("format") or "int64", _INT_RANGES["int64"])
        if not isinstance(value, int) or not low <= value <= high:
            raise self.fail(value, type_ref, struct, trail, f"number {_number_text(value)}")

    def base64(self, type_ref: JSON, value: Any, struct: str, trail: Trail) -> None:
        if not isinstance(value, str):
            raise self.fail(value, type_ref, struct, trail)
        bad = _base64_error_offset(value)
        if bad is not None:
            raise GoDecodeError(f"illegal base64 data at input byte {bad}", "type")

    def struct(self, name: str, type_ref: JSON, value: Any, struct: str, trail: Trail) -> None:
        if value.__class__ is not dict:
            raise self.fail(value, type_ref, struct, trail)
        definition = _definition(name)
        if definition.get("freeForm"):
            if self.overflow:
                _refuse_overflow(value)
            return
        declared = definition.get("fields", {})
        if self.duplicates:
            self.report_duplicates(value, trail, "field", declared)
        for key, item in value.items():
            spec = declared.get(key)
            if spec is None:
                if self.overflow and definition.get("openFields"):
                    _refuse_overflow(item)
                continue  # unknown: dropped, and reported, by the unknown-field pass
            if item is not None:
                self.value(spec["type"], item, name, (*trail, ("field", key)))

    def report_duplicates(self, value: JSON, trail: Trail, step: str, declared: Mapping[str, Any] | None = None) -> None:
        for key in self.duplicates.get(id(value), ()):
            if declared is None or key in declared:  # an unknown duplicate is reported as unknown only
                self.strict.append(f'duplicate field "{_wire_path((*trail, (step, key)))}"')


def _refuse_overflow(value: Any) -> None:
    for item in _iterate(value):
        if isinstance(item, _Overflow):
            raise GoDecodeError(f"json: cannot unmarshal number {item.text} into Go value of type float64", "type")


def _iterate(value: Any) -> Iterator[Any]:
    stack = [value]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _base64_error_offset(text: str) -> int | None:
    """Where ``base64.StdEncoding`` (padded; CR and LF ignored) fails on ``text``, or None."""
    stripped = text.replace("\r", "").replace("\n", "")
    try:
        base64.b64decode(stripped, validate=True)
        if len(stripped) % 4 == 0:
            return None
    except (binascii.Error, ValueError):
        pass
    for index, char in enumerate(stripped):
        if not (char.isascii() and (char.isalnum() or char in "+/=")):
            return index
    return len(stripped) - len(stripped) % 4 if len(stripped) % 4 else max(0, stripped.find("="))


def _check_time(value: Any) -> None:
    """``metav1.Time.UnmarshalJSON``: a string in RFC 3339 (its errors are Go's, without field context)."""
    if not isinstance(value, str):
        raise GoDecodeError(f"json: cannot unmarshal {_json_kind(value)} into Go value of type string", "type")
    match = _RFC3339.fullmatch(value)
    layout = "2006-01-02T15:04:05Z07:00"
    if match is None:
        raise GoDecodeError(f'parsing time {go_quote(value)} as "{layout}": cannot parse {go_quote(value)} as '
                            '"2006"', "type")
    month, day, hour, minute, second = (int(match.group(index)) for index in range(2, 7))
    for label, number, high in (("month", month, 12), ("day", day, 31), ("hour", hour, 23),
                                ("minute", minute, 59), ("second", second, 59)):
        if number > high or (number == 0 and label in ("month", "day")):
            raise GoDecodeError(f"parsing time {go_quote(value)}: {label} out of range", "type")


# -- what the handlers call -------------------------------------------------------------------------


def _summary(body: bytes) -> str:
    """``summarizeData(body, 30)``: the first bytes of an object, in hex otherwise."""
    if not body:
        return "<empty>"
    head = body[:_GO_SUMMARY_BYTES]
    suffix = " ..." if len(body) > _GO_SUMMARY_BYTES else ""
    if body[:1] == b"{":
        return head.decode("utf-8", "replace") + suffix
    return head.hex() + suffix


def _interpret(value: Any) -> JSON:
    """``meta.Interpret``: the document must be an object whose apiVersion and kind are strings."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise GoDecodeError(f"json: cannot unmarshal {_json_kind(value)} into Go value of type struct "
                            '{ APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string '
                            '"json:\\"kind,omitempty\\"" }', "syntax")
    for key in ("apiVersion", "kind"):
        field = value.get(key)
        if field is not None and not isinstance(field, str):
            raise GoDecodeError(f"json: cannot unmarshal {_json_kind(field)} into Go struct field .{key} of type "
                                "string", "syntax")
    return value


def decode_typed(kind: str, value: Any, parsed: ParsedBody | None = None) -> list[str]:
    """Check ``value`` against the schema of ``kind`` as the typed decode does: raises
    :class:`GoDecodeError` for the first wrong type; returns the strict errors (duplicate fields)."""
    walk = _Walk(parsed.duplicates if parsed else {}, parsed.overflow if parsed else _contains_overflow(value))
    walk.struct(kind, {"type": "ref", "name": kind}, value, "", ())
    return walk.strict


def _contains_overflow(value: Any) -> bool:
    return any(isinstance(item, _Overflow) for item in _iterate(value))


def decode_object(body: bytes, kind: str, version: str) -> tuple[JSON, list[str]]:
    """The object in a create or update body, and its strict-decoding errors (duplicate fields);
    400 BadRequest with the server's message for everything the Go decoder refuses."""
    try:
        parsed = parse(body)
        document = _interpret(parsed.value)
    except GoDecodeError as error:
        raise bad_request(f"the object provided is unrecognized (must be of type {kind}): couldn't get "
                          f"version/kind; json parse error: {error.message} ({_summary(body)})") from None
    try:
        strict = decode_typed(kind, document, parsed)
    except GoDecodeError as error:
        given_kind = document.get("kind") or kind
        given_version = str(document.get("apiVersion") or version).rsplit("/", 1)[-1]
        raise bad_request(f'{given_kind} in version "{given_version}" cannot be handled as a {kind}: '
                          f"{error.message}") from None
    return document, strict


def decode_document(body: bytes, what: str = "") -> tuple[Any, list[str]]:
    """Any other JSON body (a patch, DeleteOptions): parsed as Go parses it, or 400 with Go's message
    (prefixed by ``what``, as the handler that reads it prefixes it)."""
    try:
        parsed = parse(body)
    except GoDecodeError as error:
        raise bad_request(f"{what}{error.message}") from None
    if parsed.overflow and _contains_overflow(parsed.value):
        raise bad_request(f"{what}json: cannot unmarshal number {_first_overflow(parsed.value)} into Go value of "
                          "type float64")
    strict = [f'duplicate field "{key}"' for keys in parsed.duplicates.values() for key in keys]
    return parsed.value, strict


def patch_error_prefix(patch_type: str) -> str:
    """How the patch handler prefixes the decode error of a patch body of ``patch_type``: JSON and
    merge patches as ``error decoding patch:``, apply as ``error decoding YAML:``, a strategic merge
    patch not at all (``handlers/patch.go``)."""
    if patch_type == APPLY_PATCH:
        return "error decoding YAML: "
    if patch_type == STRATEGIC_MERGE_PATCH:
        return ""
    return "error decoding patch: "


def _first_overflow(value: Any) -> str:
    return next(item.text for item in _iterate(value) if isinstance(item, _Overflow))


def check_patched(kind: str, patched: JSON, patch_map: Any = None) -> None:
    """The typed decode of a patched object; a failure is the handler's 422 on the field ``patch``
    (``errors.NewInvalid(schema.GroupKind{}, "", …)``): the patched JSON as the value for JSON and merge
    patches, Go's ``%+v`` of the patch map for a strategic merge patch."""
    try:
        decode_typed(kind, patched)
    except GoDecodeError as error:
        shown = go_format(patch_map) if patch_map is not None else json.dumps(patched, separators=(",", ":"))
        raise invalid("", "", [FieldError("FieldValueInvalid", "patch", error.message, shown, True)],
                      group="") from None


# -- names in paths ---------------------------------------------------------------------------------

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def is_namespace_name(name: str) -> bool:
    """Whether ``name`` can name a namespace (a DNS-1123 label, ``ValidateNamespaceName``)."""
    return len(name) <= 63 and _DNS1123_LABEL.fullmatch(name) is not None


def namespace_name_errors(name: str) -> list[str]:
    """``ValidateNamespaceName``'s messages for ``name`` (empty when valid)."""
    errors = []
    if len(name) > 63:
        errors.append("must be no more than 63 characters")
    if _DNS1123_LABEL.fullmatch(name) is None:
        errors.append("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
                      "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
                      "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
    return errors


__all__ = [
    "MAX_DEPTH",
    "SERVER_MAX_DEPTH",
    "GoDecodeError",
    "check_patched",
    "decode_document",
    "decode_object",
    "decode_typed",
    "is_namespace_name",
    "namespace_name_errors",
    "parse",
    "patch_error_prefix",
    "register_schema",
]
