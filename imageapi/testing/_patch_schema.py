"""Where strategic merge and apply find merge keys, patch strategies and list types: the normalized
schema read as a tree of :class:`PatchSchema` nodes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class FieldPatchMeta:
    """Patch metadata of one field: strategies (``merge``, ``replace``, ``retainKeys``), the merge key of
    a list of objects, and the server-side-apply list type and keys."""

    strategies: tuple[str, ...] = ()
    merge_key: str | None = None
    list_type: str | None = None
    list_map_keys: tuple[str, ...] = ()

    @property
    def strategy(self) -> str:
        """The strategy other than ``retainKeys`` (``""`` when none is declared)."""
        others = [strategy for strategy in self.strategies if strategy != "retainKeys"]
        return others[0] if others else ""

    @property
    def merges_list(self) -> bool:
        """True when a list under this field merges element-wise instead of being replaced."""
        return self.strategy == "merge"

    @property
    def association_keys(self) -> tuple[str, ...]:
        """The keys identifying an element of an associative list (server-side apply)."""
        if self.list_map_keys:
            return self.list_map_keys
        return (self.merge_key,) if self.merge_key else ()


NO_META = FieldPatchMeta()

# ObjectMeta as the server declares it, for schemas that do not carry the meta types.
_BUILTIN_OBJECT_META: dict[str, Any] = {
    "fields": {
        "annotations": {"type": {"type": "map", "values": {"type": "string"}}},
        "labels": {"type": {"type": "map", "values": {"type": "string"}}},
        "finalizers": {"type": {"type": "array", "items": {"type": "string"}},
                       "patchStrategy": "merge", "listType": "set"},
        "managedFields": {"type": {"type": "array", "items": {"type": "any"}}, "listType": "atomic"},
        "ownerReferences": {"type": {"type": "array", "items": {"type": "any"}},
                            "patchStrategy": "merge", "patchMergeKey": "uid",
                            "listType": "map", "listMapKeys": ["uid"]},
    },
}


def _field_meta(definition: Mapping[str, Any]) -> FieldPatchMeta:
    strategy = definition.get("patchStrategy") or ""
    return FieldPatchMeta(
        strategies=tuple(part for part in strategy.split(",") if part),
        merge_key=definition.get("patchMergeKey") or None,
        list_type=definition.get("listType") or None,
        list_map_keys=tuple(definition.get("listMapKeys") or ()),
    )


_KIND_CACHE: dict[tuple[int, str], tuple[Mapping[str, Any], PatchSchema]] = {}
_KIND_CACHE_SIZE = 256


class PatchSchema:
    """Where strategic merge and apply find merge keys and strategies: one node of the type tree.

    A node stands for a JSON value of a known type (an object type with fields, a map, an array) or
    for a value of unknown shape, where everything behaves like a merge patch.
    """

    def __init__(self, types: Mapping[str, Mapping[str, Any]], type_ref: Mapping[str, Any] | None) -> None:
        self._types = types
        self._ref = type_ref
        # Children are built once per node: every patch of a kind walks the same few paths.
        self._fields: dict[str, tuple[PatchSchema, FieldPatchMeta]] = {}
        self._items: PatchSchema | None = None

    @classmethod
    def for_kind(cls, normalized_schema: Mapping[str, Any], type_name: str) -> PatchSchema:
        """The schema of a type in a normalized schema (``docs/codegen.md``): group types come from
        ``types``, meta types from ``metaTypes`` (ObjectMeta falls back to the server's definition).

        A type the schema does not define (or an empty schema) still gets ObjectMeta's merge keys under
        ``metadata``; everything else then behaves like a merge patch. The tree of a schema object and
        type is built once and shared (nodes are immutable).
        """
        key = (id(normalized_schema), type_name)
        cached = _KIND_CACHE.get(key)
        if cached is not None and cached[0] is normalized_schema:
            return cached[1]
        types: dict[str, Mapping[str, Any]] = {"ObjectMeta": _BUILTIN_OBJECT_META}
        types.update(normalized_schema.get("metaTypes") or {})
        types.update(normalized_schema.get("types") or {})
        if type_name not in types:
            types[type_name] = {"fields": {"metadata": {"type": {"type": "ref", "name": "ObjectMeta"}}}}
        schema = cls(types, {"type": "ref", "name": type_name})
        if len(_KIND_CACHE) < _KIND_CACHE_SIZE:
            _KIND_CACHE[key] = (normalized_schema, schema)
        return schema

    @classmethod
    def for_image_kind(cls, type_name: str) -> PatchSchema:
        """The schema of an image.openshift.io/v1 type from the schema file shipped with the package."""
        return cls.for_kind(_packaged_schema(), type_name)

    @classmethod
    def untyped(cls) -> PatchSchema:
        """A schema that knows no fields: strategic merge then behaves like merge patch (plus directives)."""
        return cls({}, None)

    def _definition(self) -> Mapping[str, Any] | None:
        if self._ref is None or self._ref.get("type") != "ref":
            return None
        return self._types.get(str(self._ref.get("name")))

    def field(self, key: str) -> tuple[PatchSchema, FieldPatchMeta]:
        """The schema of the value under ``key`` and the field's patch metadata."""
        found = self._fields.get(key)
        if found is None:
            found = self._fields[key] = self._field(key)
        return found

    def _field(self, key: str) -> tuple[PatchSchema, FieldPatchMeta]:
        if self._ref is not None and self._ref.get("type") == "map":
            return PatchSchema(self._types, self._ref.get("values")), NO_META
        definition = self._definition()
        if definition is None or definition.get("freeForm"):
            return PatchSchema.untyped(), NO_META
        field = (definition.get("fields") or {}).get(key)
        if field is None:
            return PatchSchema.untyped(), NO_META
        return PatchSchema(self._types, field.get("type")), _field_meta(field)

    def items(self) -> PatchSchema:
        """The schema of the elements of an array node (untyped for anything else)."""
        if self._items is None:
            is_array = self._ref is not None and self._ref.get("type") == "array"
            self._items = PatchSchema(self._types, self._ref.get("items")) if is_array and self._ref else \
                PatchSchema.untyped()
        return self._items

    @property
    def atomic(self) -> bool:
        """Whether this node is an object type declared ``x-kubernetes-map-type: atomic`` (an
        ObjectReference): apply replaces it as a whole instead of merging its fields."""
        definition = self._definition()
        return bool(definition and definition.get("mapType") == "atomic")

    @property
    def gvk(self) -> tuple[str, str, str] | None:
        """``(group, version, kind)`` when this node is a top-level kind, else None."""
        definition = self._definition()
        gvk = definition.get("gvk") if definition else None
        if not gvk:
            return None
        return str(gvk.get("group") or ""), str(gvk.get("version") or ""), str(gvk.get("kind") or "")

    @property
    def name(self) -> str:
        """The type name of this node (``""`` for untyped or non-object nodes), for messages."""
        if self._ref is not None and self._ref.get("type") == "ref":
            return str(self._ref.get("name"))
        return ""

    def __repr__(self) -> str:
        return f"PatchSchema({self._ref!r})"


@lru_cache(maxsize=1)
def _packaged_schema() -> Mapping[str, Any]:
    text = resources.files("imageapi").joinpath("schema/image.openshift.io-v1.json").read_text(encoding="utf-8")
    loaded: Mapping[str, Any] = json.loads(text)
    return loaded
