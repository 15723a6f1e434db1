"""Unknown fields: what decoding a body into the server's Go types silently drops.

The fake has no Go types; it walks the body along the normalized schema (``types`` and ``metaTypes``)
instead, removes every field the schema does not declare and reports their paths, so the request
handlers can answer ``fieldValidation`` (Strict: 400, Warn: Warning headers, Ignore: nothing).
"""

from __future__ import annotations

from typing import Any

from . import _discovery
from ._contracts import JSON


def _type_fields(schema: JSON, type_name: str) -> JSON | None:
    for section in ("types", "metaTypes"):
        found = schema.get(section, {}).get(type_name)
        if found is not None:
            return dict(found)
    return None


def _walk_unknown(schema: JSON, type_ref: JSON, value: Any, path: str, out: list[str]) -> None:
    kind = type_ref.get("type")
    if kind == "ref" and isinstance(value, dict):
        definition = _type_fields(schema, type_ref.get("name", ""))
        if definition is None or definition.get("freeForm"):
            return
        fields = definition.get("fields", {})
        for key in list(value):
            child = f"{path}.{key}" if path else key
            if key in fields:
                _walk_unknown(schema, fields[key].get("type", {}), value[key], child, out)
            elif path or key not in ("kind", "apiVersion"):
                out.append(child)
                del value[key]
    elif kind == "array" and isinstance(value, list):
        for index, item in enumerate(value):
            _walk_unknown(schema, type_ref.get("items", {}), item, f"{path}[{index}]", out)
    elif kind == "map" and isinstance(value, dict):
        for key, item in value.items():
            _walk_unknown(schema, type_ref.get("values", {}), item, f"{path}[{key}]", out)


def prune_unknown_fields(kind: str, body: JSON) -> list[str]:
    """Remove the fields of ``body`` that the normalized schema does not declare for ``kind`` and
    return their paths (``spec.tags[0].bogus``). Kinds the schema does not know are left alone."""
    schema = _discovery.normalized_schema()
    if schema is None or _type_fields(schema, kind) is None:
        return []
    out: list[str] = []
    _walk_unknown(schema, {"type": "ref", "name": kind}, body, "", out)
    return out
