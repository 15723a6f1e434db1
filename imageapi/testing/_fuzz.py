"""Generated requests against the fake, driven by its own served OpenAPI v3 document, and the oracle
that judges the answers: shared by the property-based tests (``tests/fake/test_hardening_fuzz.py``,
where hypothesis supplies the ``random.Random``) and ``scripts/fuzz_fake.py`` (thousands of requests
against ``python -m imageapi serve``).

A :class:`Case` is one request and what the answer may be: a body generated from the operation's
request schema, sometimes with one value of the wrong JSON type, a hostile encoding (NaN, a BOM,
UTF-16, truncation, nesting past the bound, duplicate keys) or hostile query parameters. The oracle
(:func:`judge`) accepts any answer below 500 that is well formed (JSON; a Status whose ``code`` is the
HTTP status for errors), and insists on a refusal where the Go server refuses.
"""

from __future__ import annotations

import base64
import json
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._contracts import JSON

_NAMES = ("fuzz", "a", "app", "b-1", "x" * 63)
_NAMESPACES = ("fuzz", "fuzz", "fuzz-b", "demo", "Bad_NS", "a" * 64)
_TAGGED = ("app:latest", "app:1.0", "a:b", "nocolon", "app@sha256:" + "0" * 64)
_DIGEST_NAMES = ("sha256:" + "1" * 64, "sha256:" + "2" * 64, "not-a-digest")
_PATCH_TYPES = ("application/merge-patch+json", "application/strategic-merge-patch+json",
                "application/json-patch+json", "application/apply-patch+yaml")
_MAX_DEPTH = 5
_PYTHON_ERROR = re.compile(r"Traceback|\b(Type|Key|Value|Attribute|Recursion|Index|Unicode\w*|Overflow|ZeroDivision)Error\b")


class RawNumber:
    """A number literal Python's JSON cannot write (``1e400``): :func:`encode` writes it verbatim."""

    def __init__(self, text: str) -> None:
        self.text = text


@dataclass
class Case:
    """One generated request and what its answer may be."""

    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    refused: frozenset[int] = frozenset()  # non-empty: the answer must be one of these codes
    what: str = "valid"

    def is_watch(self) -> bool:
        """Whether the answer is a watch stream (NDJSON), not one document."""
        return "/watch/" in self.path or self.query.get("watch") in ("true", "1")

    def url(self) -> str:
        """Path and query, percent-encoded."""
        from urllib.parse import quote, urlencode

        query = urlencode(self.query)
        return quote(self.path, safe="/:@") + (f"?{query}" if query else "")


@dataclass
class Operation:
    """An operation of the served document: method, path template, request schema (or None)."""

    method: str
    template: str
    schema: JSON | None
    patch: bool


def encode(value: Any) -> bytes:
    """JSON bytes of ``value``, with :class:`RawNumber` literals written as they are."""
    raw: list[str] = []

    def default(item: Any) -> str:
        if isinstance(item, RawNumber):
            raw.append(item.text)
            return f"\u0000raw{len(raw) - 1}\u0000"
        raise TypeError(type(item).__name__)

    text = json.dumps(value, default=default)
    for index, literal in enumerate(raw):
        text = text.replace(json.dumps(f"\u0000raw{index}\u0000"), literal)
    return text.encode()


class SchemaValues:
    """Values for the schemas of an OpenAPI v3 document, valid or wrong-typed on purpose."""

    def __init__(self, document: JSON) -> None:
        self._schemas: Mapping[str, JSON] = document.get("components", {}).get("schemas", {})
        self.operations = _operations(document)

    def resolve(self, schema: JSON) -> JSON:
        """Follow ``$ref`` and one-element ``allOf`` to the schema itself."""
        for _ in range(16):
            if "$ref" in schema:
                schema = self._schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
            elif len(schema.get("allOf", ())) == 1:
                schema = {**schema["allOf"][0], **{k: v for k, v in schema.items() if k != "allOf"}}
            else:
                break
        return schema

    def valid(self, schema: JSON, rnd: random.Random, depth: int = 0) -> Any:
        """A value of ``schema`` (small: a few items, a few levels)."""
        schema = self.resolve(schema)
        kind = schema.get("type")
        if kind == "string":
            return _string(schema, rnd)
        if kind == "integer":
            return rnd.choice((0, 1, 7, 2 ** 31 - 1 if schema.get("format") == "int32" else 2 ** 63 - 1))
        if kind == "boolean":
            return rnd.random() < 0.5
        if kind == "array":
            if depth >= _MAX_DEPTH:
                return []
            return [self.valid(schema.get("items", {}), rnd, depth + 1) for _ in range(rnd.randint(0, 2))]
        if kind == "object" or "properties" in schema:
            if depth >= _MAX_DEPTH:
                return {}
            properties: Mapping[str, JSON] = schema.get("properties", {})
            if properties:
                chosen = [name for name in properties if rnd.random() < 0.6]
                return {name: self.valid(properties[name], rnd, depth + 1) for name in chosen}
            values = schema.get("additionalProperties")
            if isinstance(values, dict):
                return {rnd.choice(("a", "b", "app.kubernetes.io/name")): self.valid(values, rnd, depth + 1)
                        for _ in range(rnd.randint(0, 2))}
            return {"free": rnd.choice((1, "x", [1, {"y": None}], 2.5))}  # a free-form object
        return None

    def mutate(self, schema: JSON, value: Any, rnd: random.Random) -> tuple[Any, str] | None:
        """``value`` with one typed member replaced by a value of a wrong JSON type (the Go decoder
        refuses it), and where; None when ``value`` has no typed member."""
        candidates: list[tuple[list[Any], JSON]] = []
        self._typed_members(schema, value, [], candidates, 0)
        if not candidates:
            return None
        path, member = rnd.choice(candidates)
        wrong = rnd.choice(_wrong_values(self.resolve(member)))
        if not path:
            return wrong, "<root>"
        target = value
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = wrong
        return value, ".".join(str(key) for key in path)

    def _typed_members(self, schema: JSON, value: Any, path: list[Any], out: list[tuple[list[Any], JSON]],
                       depth: int) -> None:
        schema = self.resolve(schema)
        kind = schema.get("type")
        free_form = kind == "object" and not schema.get("properties") and \
            not isinstance(schema.get("additionalProperties"), dict)
        if kind is None or free_form or depth > 12:
            return
        out.append((path, schema))
        if isinstance(value, dict):
            properties = schema.get("properties", {})
            values = schema.get("additionalProperties")
            for key, item in value.items():
                child = properties.get(key) if properties else values if isinstance(values, dict) else None
                if child is not None:
                    self._typed_members(child, item, [*path, key], out, depth + 1)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self._typed_members(schema.get("items", {}), item, [*path, index], out, depth + 1)


def _string(schema: JSON, rnd: random.Random) -> str:
    if schema.get("format") == "date-time":
        return rnd.choice(("2024-01-01T00:00:00Z", "2023-06-30T12:34:56+02:00"))
    if schema.get("format") == "byte":
        return base64.b64encode(rnd.choice((b"", b"secret", b"\x00\xff"))).decode()
    return rnd.choice(("", "x", "app", "quay.io/x/y:1.0", "DockerImage", "Source", "\u00e9t\u00e9", "a b"))


def _wrong_values(schema: JSON) -> Sequence[Any]:
    kind = schema.get("type")
    if kind == "string":
        return (5, 1.5, True, [], {"a": "b"})
    if kind == "integer":
        return ("1", 1.5, True, [], {}, RawNumber("1e400"), 2 ** 64, -(2 ** 64))
    if kind == "boolean":
        return ("true", 1, [], {})
    if kind == "array":
        return ("x", 1, {}, True)
    return ("x", 1, [], True)  # an object


def _operations(document: JSON) -> list[Operation]:
    found = []
    for template, item in sorted(document.get("paths", {}).items()):
        for method, operation in sorted(item.items()):
            if method == "parameters":
                continue
            content: JSON = (operation.get("requestBody") or {}).get("content", {})
            schema = next(iter(content.values())).get("schema") if content else None
            found.append(Operation(method.upper(), template, schema, any(key in _PATCH_TYPES for key in content)))
    return found


def _template(kind: str, name: str, rnd: random.Random) -> JSON | None:
    """A realistic body of ``kind`` that the fake accepts (so creates succeed and later requests meet
    stored objects), or None for kinds without one."""
    source = {"kind": "DockerImage", "name": rnd.choice(("quay.io/example/hello:1.0", "quay.io/x/y:latest"))}
    tag = {"name": rnd.choice(("latest", "1.0")), "from": source, "referencePolicy": {"type": "Source"},
           "importPolicy": {"importMode": "Legacy"}, "annotations": None}
    metadata: JSON = {"name": name, "labels": {"app": name[:20] or "x"}, "annotations": {"fuzz": "yes"}}
    if kind == "ImageStream":
        return {"metadata": metadata, "spec": {"lookupPolicy": {"local": False}, "tags": [tag]}}
    if kind == "Image":
        return {"metadata": metadata, "dockerImageReference": f"quay.io/x/y@{name}",
                "dockerImageMetadata": {"kind": "DockerImage", "apiVersion": "1.0", "Size": 1024}}
    if kind == "ImageStreamTag":
        return {"metadata": metadata, "tag": tag}
    if kind == "ImageTag":
        return {"metadata": metadata, "spec": tag}
    return None


def _fill(template: str, rnd: random.Random) -> str:
    resource = template.rstrip("/").split("/")[-1]
    if "{name}" in template:
        resource = template.split("/{name}")[0].rsplit("/", 1)[-1]
    if resource in ("imagestreamtags", "imagetags", "imagestreamimages"):
        names: Sequence[str] = _TAGGED
    elif resource in ("images", "imagesignatures"):
        names = _DIGEST_NAMES
    else:
        names = _NAMES
    return template.replace("{namespace}", rnd.choice(_NAMESPACES)).replace("{name}", rnd.choice(names))


def _hostile_query(rnd: random.Random) -> dict[str, str]:
    token_json = rnd.choice(('{"v":"meta.k8s.io/v1","rv":"x","start":"a"}', "[" * 5000, '{"rv":1e400}', "NaN"))
    choices = {
        "limit": ("abc", "-1", "1e400", "9" * 30, "1", "500"),
        "continue": ("!!!", base64.urlsafe_b64encode(token_json.encode()).decode().rstrip("="), "a" * 1000),
        "resourceVersion": ("-1", "abc", "9" * 30, "0", "1", " 1"),
        "timeoutSeconds": ("1e400", "abc", "9" * 30, "1"),
        "labelSelector": ("a in (", "!!", "a=b,c!=d", "=" * 10),
        "fieldSelector": ("metadata.name=", "spec.x=y", "a==b==c"),
        "watch": ("true", "yes", "1"),
        "fieldValidation": ("Strict", "Bogus"),
        "dryRun": ("All", "Bogus"),
    }
    picked = rnd.sample(sorted(choices), rnd.randint(1, 3))
    query = {name: rnd.choice(choices[name]) for name in picked}
    if query.get("watch") and "timeoutSeconds" not in query:
        query["timeoutSeconds"] = "1"  # a watch that ends, so a sequential run never waits long
    return query


def _hostile_encoding(body: bytes, rnd: random.Random) -> tuple[bytes, str]:
    choice = rnd.randrange(7)
    if choice == 0:
        return body.replace(b"{", b'{"nan":NaN,', 1), "NaN"
    if choice == 1:
        return b"\xef\xbb\xbf" + body, "BOM"
    if choice == 2:
        return body.decode().encode(rnd.choice(("utf-16", "utf-16-le", "utf-32"))), "UTF-16/32"
    if choice == 3:
        return body[:rnd.randrange(len(body))], "truncated"
    if choice == 4:
        depth = rnd.choice((150, 1000, 20_000))
        return body.replace(b"{", b'{"deep":' + b"[" * depth + b"]" * depth + b",", 1), f"nested {depth}"
    if choice == 5:
        return body.replace(b"{", b'{"a":1,"a":"x",', 1), "duplicate key"  # unknown duplicate: not a refusal
    return body.replace(b"{", b'{"x":1e400,', 1), "1e400 unknown field"  # dropped as unknown: not a refusal


def generate(values: SchemaValues, rnd: random.Random) -> Case:
    """One generated request."""
    operation = rnd.choice(values.operations)
    path = _fill(operation.template, rnd)
    case = Case(operation.method, path)
    if rnd.random() < 0.25:
        case.query.update(_hostile_query(rnd))
    if operation.method == "GET" and "watch" in path:
        case.query.setdefault("timeoutSeconds", "1")
    if operation.schema is None:
        return case
    if operation.patch:
        case.headers["Content-Type"] = rnd.choice(_PATCH_TYPES)
        if case.headers["Content-Type"] == "application/json-patch+json":
            document: Any = [{"op": rnd.choice(("add", "replace", "remove", "test", "bogus")),
                              "path": rnd.choice(("/metadata/labels", "/spec/tags/0", "/metadata/name", "")),
                              "value": values.valid({"type": "object", "additionalProperties": {"type": "string"}},
                                                    rnd)}]
        else:
            document = {"metadata": {"labels": {"fuzz": "yes"}}}
        case.body = encode(document)
        if rnd.random() < 0.4:
            case.body, case.what = _hostile_encoding(case.body, rnd)
            if case.what not in ("duplicate key", "1e400 unknown field"):
                case.refused = frozenset({400, 404, 415, 422})
        return case
    kind = str(operation.schema.get("$ref", "")).rsplit(".", 1)[-1]
    name = path.rsplit("/", 1)[-1] if "{name}" in operation.template else rnd.choice(
        _DIGEST_NAMES if kind == "Image" else _TAGGED if kind in ("ImageStreamTag", "ImageTag") else _NAMES)
    body = _template(kind, name, rnd) if rnd.random() < 0.5 else None
    if body is None:
        body = values.valid(operation.schema, rnd)
    if isinstance(body, dict) and operation.method in ("POST", "PUT"):
        body.setdefault("metadata", {})
        if isinstance(body["metadata"], dict):
            body["metadata"]["name"] = name
            if operation.method == "POST":
                # A create carrying a resourceVersion is the server's own 500 ("resourceVersion should
                # not be set on objects to be created", a Go error that is no Status), which the fake
                # reproduces faithfully: not a fault to hunt for.
                body["metadata"].pop("resourceVersion", None)
    case.headers["Content-Type"] = "application/json"
    roll = rnd.random()
    if operation.method in ("POST", "PUT", "DELETE") and roll < 0.5:
        mutated = values.mutate(operation.schema, body, rnd)
        if mutated is not None:
            body, where = mutated
            case.what = f"wrong type at {where}"
            case.refused = frozenset({400})
    case.body = encode(body)
    if operation.method in ("POST", "PUT") and 0.5 <= roll < 0.75:
        case.body, case.what = _hostile_encoding(case.body, rnd)
        if case.what not in ("duplicate key", "1e400 unknown field"):
            case.refused = frozenset({400})
    return case


def judge(case: Case, status: int, headers: Mapping[str, str], body: bytes) -> str | None:
    """Why the answer is wrong, or None. A 5xx is judged by the caller (counted apart)."""
    if case.refused and status not in case.refused:
        return f"{case.what}: expected one of {sorted(case.refused)}, got {status}"
    content_type = headers.get("content-type", "")
    if status >= 400:
        if not content_type.startswith("application/json"):
            return f"{status} with Content-Type {content_type!r}"
        try:
            document = json.loads(body)
        except ValueError:
            return f"{status} with a body that is not JSON"
        if not isinstance(document, dict) or document.get("kind") != "Status" or document.get("code") != status:
            return f"{status} with a body that is not its Status"
        if _PYTHON_ERROR.search(str(document.get("message", ""))):
            return f"{status} with Python exception text: {str(document.get('message'))[:100]}"
    elif content_type.startswith("application/json") and not case.is_watch():
        try:
            json.loads(body)
        except ValueError:
            return f"{status} with a body that is not JSON"
    return None


__all__ = ["Case", "Operation", "RawNumber", "SchemaValues", "encode", "generate", "judge"]
