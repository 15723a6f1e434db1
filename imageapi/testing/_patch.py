"""Patch engines of the fake cluster: JSON patch, merge patch, strategic merge patch and (simplified) apply.

All four are pure functions over plain JSON values: they never mutate their inputs and return new
objects. Failures are raised as :class:`~imageapi.testing._status.StatusError` with the code, reason and
message the Kubernetes API server uses for the same failure:

* JSON patch (``application/json-patch+json``) follows ``gopkg.in/evanphx/json-patch.v4``, which the
  API server uses: a document that is not a list of operation objects is a 400 ``BadRequest``; an
  operation that cannot be applied (missing path, failed ``test``, unknown ``op``) is a 422 ``Invalid``
  whose message is the library's error text. Like the server (and unlike RFC 6902), ``replace`` of a
  missing object member adds it, negative array indices count from the end, and ``test`` of a missing
  member against ``null`` succeeds.
* Merge patch (``application/merge-patch+json``, RFC 7386): nulls delete, objects merge recursively,
  everything else (arrays included) replaces.
* Strategic merge patch (``application/strategic-merge-patch+json``) follows
  ``k8s.io/apimachinery/pkg/util/strategicpatch`` with the options the server uses (parallel deletion
  lists merged, unmatched nulls ignored), driven by a :class:`PatchSchema` built from the normalized
  schema. Merged lists come out in the server's order: patch items in patch order, interleaved with the
  items only the live object has, which keep their relative order; a new item therefore lands *before*
  the untouched ones, exactly as ``kubectl patch`` shows on a real cluster.
* Apply (``application/apply-patch+yaml``) is a simplification of server-side apply; see
  :func:`apply_patch`.

A result that is not a JSON object (a JSON patch that replaces the root with an array, a merge patch
that is an array) cannot be decoded into the resource; the server answers that with a 422 ``Invalid``
on the field ``patch``, and so do these functions.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from ._contracts import JSON
from ._status import FieldError, StatusError, bad_request, invalid, plain_server_error, unsupported_media_type

__all__ = [
    "APPLY_PATCH",
    "JSON_PATCH",
    "MAX_JSON_PATCH_OPERATIONS",
    "MERGE_PATCH",
    "PATCH_TYPES",
    "STRATEGIC_MERGE_PATCH",
    "FieldPatchMeta",
    "PatchOptions",
    "PatchSchema",
    "apply_patch",
    "json_patch",
    "merge_patch",
    "patch_document",
    "patch_query_bool",
    "strategic_merge_patch",
    "validate_patch_options",
]

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH)

# The server refuses larger JSON patches with 413 (apiserver handlers/patch.go).
MAX_JSON_PATCH_OPERATIONS = 10000
# metav1 validation: fieldManager is at most 128 bytes.
FIELD_MANAGER_MAX_LENGTH = 128


# --------------------------------------------------------------------------- shared helpers


def _go_type_name(value: Any) -> str:
    """The JSON type word Go's encoding/json uses in "cannot unmarshal X into …" errors."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _go_format(value: Any) -> str:
    """``fmt.Sprintf("%v", value)`` of a decoded JSON value, as Go error messages embed it."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, dict):
        # Go prints maps with their keys sorted.
        return "map[" + " ".join(f"{key}:{_go_format(value[key])}" for key in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_go_format(item) for item in value) + "]"
    return str(value)


def _go_type(value: Any) -> str:
    """``reflect.TypeOf(value)`` of a value decoded the way apimachinery decodes JSON, as ``%s`` prints it."""
    if value is None:
        return "%!s(<nil>)"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    return "[]interface {}" if isinstance(value, list) else "map[string]interface {}"


def _json_equal(left: Any, right: Any) -> bool:
    """Structural JSON equality that, unlike ``==``, keeps ``true`` apart from ``1`` and ``1`` from ``1.0``."""
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_json_equal(left[key], right[key]) for key in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(_json_equal(a, b) for a, b in zip(left, right, strict=True))
    return type(left) is type(right) and left == right


def _undecodable(result: Any) -> StatusError:
    """The server's answer when the patched document does not decode into the resource type."""
    text = json.dumps(result, separators=(",", ":"))
    detail = f"json: cannot unmarshal {_go_type_name(result)} into Go value of type map[string]interface {{}}"
    return invalid("", "", [FieldError("FieldValueInvalid", "patch", detail, value=text, has_value=True)], group="")


def _unprocessable(message: str) -> StatusError:
    """422 ``Invalid`` carrying a library error text (``errors.NewGenericServerResponse(422, …)``)."""
    return StatusError(422, "Invalid", message, {})


def _require_object_result(result: Any) -> JSON:
    if not isinstance(result, dict):
        raise _undecodable(result)
    return result


# --------------------------------------------------------------------------- JSON patch (RFC 6902)


class _PatchFailure(Exception):
    """An operation that does not apply; its text becomes the 422 message."""


_GO_INT = re.compile(r"[+-]?[0-9]+")


def _atoi(text: str) -> int:
    # strconv.Atoi, with its error texts.
    if not _GO_INT.fullmatch(text):
        raise _PatchFailure(f'strconv.Atoi: parsing "{text}": invalid syntax')
    number = int(text)
    if not -(2**63) <= number < 2**63:
        raise _PatchFailure(f'strconv.Atoi: parsing "{text}": value out of range')
    return number


def _invalid_index(index: int) -> _PatchFailure:
    return _PatchFailure(f"Unable to access invalid index: {index}: invalid index referenced")


def _array_index(array: list[Any], key: str, *, for_insert: bool = False) -> int:
    """Resolve an array index the way json-patch v4 does (negative indices count from the end)."""
    index = _atoi(key)
    size = len(array) + 1 if for_insert else len(array)
    if index >= size:
        raise _invalid_index(index)
    if index < 0:
        if index < -size:
            raise _invalid_index(index)
        index += size
    return index


def _decode_pointer_token(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


_Container = dict[str, Any] | list[Any]


def _find_container(root: Any, path: str) -> tuple[_Container, str] | None:
    """The object or array holding the last token of ``path`` and that token, or None when an
    intermediate step is missing, null or a scalar (json-patch v4 ``findObject``)."""
    tokens = path.split("/")
    if len(tokens) < 2:
        return None
    # Like the library, the part before the first "/" is ignored: "a/b" addresses "/b".
    node = root
    for raw in tokens[1:-1]:
        token = _decode_pointer_token(raw)
        if isinstance(node, dict):
            child = node.get(token)
        else:
            try:
                child = node[_array_index(node, token)]
            except _PatchFailure:
                return None
        if not isinstance(child, (dict, list)):
            return None
        node = child
    if not isinstance(node, (dict, list)):
        return None
    return node, _decode_pointer_token(tokens[-1])


def _container_get(container: _Container, key: str) -> Any:
    if isinstance(container, dict):
        return container.get(key)
    return container[_array_index(container, key)]


def _container_add(container: _Container, key: str, value: Any) -> None:
    if isinstance(container, dict):
        container[key] = value
        return
    if key == "-":
        container.append(value)
        return
    try:
        index = _array_index(container, key, for_insert=True)
    except _PatchFailure as error:
        if str(error).startswith("strconv"):
            raise _PatchFailure(f"value was not a proper array index: '{key}': {error}") from None
        raise
    container.insert(index, value)


def _container_remove(container: _Container, key: str) -> None:
    if isinstance(container, dict):
        if key not in container:
            raise _PatchFailure(f"Unable to remove nonexistent key: {key}: missing value")
        del container[key]
        return
    del container[_array_index(container, key)]


class _Operation:
    """One decoded operation; accessors mirror json-patch v4's, including their error texts."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self._raw = raw

    @property
    def kind(self) -> str:
        op = self._raw.get("op")
        return op if isinstance(op, str) else "unknown"

    def path(self, wrap_missing: bool = False) -> str:
        value = self._raw.get("path")
        if isinstance(value, str):
            return value
        if wrap_missing:
            raise _PatchFailure("missing value")
        if value is None:
            raise _PatchFailure("operation missing path field: missing value")
        raise _PatchFailure(f"json: cannot unmarshal {_go_type_name(value)} into Go value of type string")

    def from_path(self) -> str:
        value = self._raw.get("from")
        if isinstance(value, str):
            return value
        if value is None:
            raise _PatchFailure("operation, missing from field: missing value")
        raise _PatchFailure(f"json: cannot unmarshal {_go_type_name(value)} into Go value of type string")

    @property
    def value(self) -> Any:
        # A missing "value" reads as null, as the library's nil node does.
        return copy.deepcopy(self._raw.get("value"))


def _with_prefix(prefix: str, action: Callable[[], Any]) -> Any:
    try:
        return action()
    except _PatchFailure as error:
        raise _PatchFailure(f"{prefix}: {error}") from None


def _op_add(holder: list[Any], op: _Operation) -> None:
    path = _with_prefix("add operation failed to decode path", lambda: op.path(wrap_missing=True))
    found = _find_container(holder[0], path)
    if found is None:
        raise _PatchFailure(f'add operation does not apply: doc is missing path: "{path}": missing value')
    container, key = found
    _with_prefix(f"error in add for path: '{path}'", lambda: _container_add(container, key, op.value))


def _op_remove(holder: list[Any], op: _Operation) -> None:
    path = _with_prefix("remove operation failed to decode path", lambda: op.path(wrap_missing=True))
    found = _find_container(holder[0], path)
    if found is None:
        raise _PatchFailure(f'remove operation does not apply: doc is missing path: "{path}": missing value')
    container, key = found
    _with_prefix(f"error in remove for path: '{path}'", lambda: _container_remove(container, key))


def _op_replace(holder: list[Any], op: _Operation) -> None:
    path = _with_prefix("replace operation failed to decode path", op.path)
    if path == "":
        value = op.value
        # The library replaces the root only with an object or an array; anything else is ignored.
        if isinstance(value, (dict, list)):
            holder[0] = value
        return
    found = _find_container(holder[0], path)
    if found is None:
        raise _PatchFailure(f"replace operation does not apply: doc is missing path: {path}: missing value")
    container, key = found
    if isinstance(container, dict):
        # json-patch v4 does not check that the member exists: replace of a missing member adds it.
        container[key] = op.value
        return
    try:
        index = _array_index(container, key)
    except _PatchFailure:
        raise _PatchFailure(f"replace operation does not apply: doc is missing key: {path}: missing value") from None
    container[index] = op.value


def _op_move(holder: list[Any], op: _Operation) -> None:
    source = _with_prefix("move operation failed to decode from", op.from_path)
    found = _find_container(holder[0], source)
    if found is None:
        raise _PatchFailure(f"move operation does not apply: doc is missing from path: {source}: missing value")
    container, key = found
    value = _with_prefix(f"error in move for path: '{key}'", lambda: _container_get(container, key))
    _with_prefix(f"error in move for path: '{key}'", lambda: _container_remove(container, key))
    path = _with_prefix("move operation failed to decode path", op.path)
    target = _find_container(holder[0], path)
    if target is None:
        raise _PatchFailure(f"move operation does not apply: doc is missing destination path: {path}: missing value")
    target_container, target_key = target
    _with_prefix(f"error in move for path: '{path}'", lambda: _container_add(target_container, target_key, value))


def _op_copy(holder: list[Any], op: _Operation) -> None:
    source = _with_prefix("copy operation failed to decode from", op.from_path)
    found = _find_container(holder[0], source)
    if found is None:
        raise _PatchFailure(f"copy operation does not apply: doc is missing from path: {source}: missing value")
    container, key = found
    value = _with_prefix(f"error in copy for from: '{source}'", lambda: _container_get(container, key))
    path = _with_prefix("copy operation failed to decode path", lambda: op.path(wrap_missing=True))
    target = _find_container(holder[0], path)
    if target is None:
        raise _PatchFailure(f"copy operation does not apply: doc is missing destination path: {path}: missing value")
    target_container, target_key = target
    _with_prefix("error while adding value during copy",
                 lambda: _container_add(target_container, target_key, copy.deepcopy(value)))


def _op_test(holder: list[Any], op: _Operation) -> None:
    path = _with_prefix("test operation failed to decode path", op.path)
    expected = op.value
    if path == "":
        if not _json_equal(holder[0], expected):
            raise _PatchFailure(f"testing value {path} failed: test failed")
        return
    found = _find_container(holder[0], path)
    if found is None:
        raise _PatchFailure(f"test operation does not apply: is missing path: {path}: missing value")
    container, key = found
    actual = _with_prefix(f"error in test for path: '{path}'", lambda: _container_get(container, key))
    # A missing member and a null one both read as null here.
    if actual is None and expected is None:
        return
    if actual is None or expected is None or not _json_equal(actual, expected):
        raise _PatchFailure(f"testing value {path} failed: test failed")


_OPERATIONS: dict[str, Callable[[list[Any], _Operation], None]] = {
    "add": _op_add, "remove": _op_remove, "replace": _op_replace,
    "move": _op_move, "copy": _op_copy, "test": _op_test,
}


def _decode_json_patch(operations: Any) -> list[_Operation]:
    """``jsonpatch.DecodePatch``: only the shape is checked here; errors are 400 BadRequest."""
    if operations is None:
        return []  # "null" decodes to an empty patch
    if not isinstance(operations, list):
        raise bad_request(f"json: cannot unmarshal {_go_type_name(operations)} into Go value of type jsonpatch.Patch")
    decoded: list[_Operation] = []
    for raw in operations:
        if raw is not None and not isinstance(raw, dict):
            raise bad_request(
                f"json: cannot unmarshal {_go_type_name(raw)} into Go value of type jsonpatch.Operation"
            )
        decoded.append(_Operation(raw or {}))
    if len(decoded) > MAX_JSON_PATCH_OPERATIONS:
        raise StatusError(
            413, "RequestEntityTooLarge",
            f"Request entity too large: The allowed maximum operations in a JSON patch is "
            f"{MAX_JSON_PATCH_OPERATIONS}, got {len(decoded)}",
        )
    return decoded


def json_patch(document: JSON, operations: Any) -> JSON:
    """Apply an RFC 6902 JSON patch (``add``, ``remove``, ``replace``, ``move``, ``copy``, ``test``).

    ``operations`` is the decoded request body. A body that is not a list of objects is a 400
    ``BadRequest``; an operation that does not apply is a 422 ``Invalid`` with the json-patch error
    text (for example ``testing value /metadata/name failed: test failed``). Operations apply in
    order and all-or-nothing: the input is never modified.
    """
    decoded = _decode_json_patch(operations)
    holder = [copy.deepcopy(document)]
    for op in decoded:
        handler = _OPERATIONS.get(op.kind)
        try:
            if handler is None:
                raise _PatchFailure(f"Unexpected kind: {op.kind}")
            handler(holder, op)
        except _PatchFailure as error:
            raise _unprocessable(str(error)) from None
    return _require_object_result(holder[0])


# --------------------------------------------------------------------------- merge patch (RFC 7386)


def _drop_null_members(value: Any) -> Any:
    """A copy of a patch value with null members removed from every object, also inside arrays
    (arrays keep their null elements): json-patch's ``pruneNulls`` for merge patches and the
    strategic merge's ``discardNullValuesFromPatch``, which do the same."""
    if isinstance(value, dict):
        return {key: _drop_null_members(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_drop_null_members(item) for item in value]
    return value


def _merge_values(current: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        # Replacing an object keeps the patch as it is; replacing anything else prunes its nulls.
        return copy.deepcopy(patch) if isinstance(current, dict) else _drop_null_members(patch)
    if not isinstance(current, dict):
        return _drop_null_members(patch)
    merged = dict(current)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif merged.get(key) is None:
            merged[key] = _drop_null_members(value)
        else:
            merged[key] = _merge_values(merged[key], value)
    return merged


def merge_patch(document: JSON, patch: Any) -> JSON:
    """Apply an RFC 7386 JSON merge patch: nulls delete, objects merge recursively, anything else
    (arrays included) replaces the target value.

    A ``null`` patch is a 400 ``BadRequest`` (``Invalid JSON Patch``), as on the server; a patch that is
    not an object replaces the whole document, which then cannot be decoded (422 ``Invalid``).
    """
    if patch is None:
        raise bad_request("Invalid JSON Patch")
    if not isinstance(patch, dict):
        raise _undecodable(patch)
    return _require_object_result(copy.deepcopy(_merge_values(document, patch)))


# --------------------------------------------------------------------------- schema for strategic merge


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


_NO_META = FieldPatchMeta()

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


class PatchSchema:
    """Where strategic merge and apply find merge keys and strategies: one node of the type tree.

    A node stands for a JSON value of a known type (an object type with fields, a map, an array) or
    for a value of unknown shape, where everything behaves like a merge patch.
    """

    def __init__(self, types: Mapping[str, Mapping[str, Any]], type_ref: Mapping[str, Any] | None) -> None:
        self._types = types
        self._ref = type_ref

    @classmethod
    def for_kind(cls, normalized_schema: Mapping[str, Any], type_name: str) -> PatchSchema:
        """The schema of a type in a normalized schema (``docs/codegen.md``): group types come from
        ``types``, meta types from ``metaTypes`` (ObjectMeta falls back to the server's definition).

        A type the schema does not define (or an empty schema) still gets ObjectMeta's merge keys under
        ``metadata``; everything else then behaves like a merge patch.
        """
        types: dict[str, Mapping[str, Any]] = {"ObjectMeta": _BUILTIN_OBJECT_META}
        types.update(normalized_schema.get("metaTypes") or {})
        types.update(normalized_schema.get("types") or {})
        if type_name not in types:
            types[type_name] = {"fields": {"metadata": {"type": {"type": "ref", "name": "ObjectMeta"}}}}
        return cls(types, {"type": "ref", "name": type_name})

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
        if self._ref is not None and self._ref.get("type") == "map":
            return PatchSchema(self._types, self._ref.get("values")), _NO_META
        definition = self._definition()
        if definition is None or definition.get("freeForm"):
            return PatchSchema.untyped(), _NO_META
        field = (definition.get("fields") or {}).get(key)
        if field is None:
            return PatchSchema.untyped(), _NO_META
        return PatchSchema(self._types, field.get("type")), _field_meta(field)

    def items(self) -> PatchSchema:
        """The schema of the elements of an array node (untyped for anything else)."""
        if self._ref is not None and self._ref.get("type") == "array":
            return PatchSchema(self._types, self._ref.get("items"))
        return PatchSchema.untyped()

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


# --------------------------------------------------------------------------- strategic merge patch

_DIRECTIVE = "$patch"
_RETAIN_KEYS = "$retainKeys"
# The server recognizes these by prefix, then requires "/<field>" after it.
_DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList"
_SET_ELEMENT_ORDER = "$setElementOrder"


class _SmpError(Exception):
    """A strategic-merge failure, with the HTTP code the server gives it."""

    def __init__(self, message: str, code: int = 500) -> None:
        super().__init__(message)
        self.code = code


# mergepatch's sentinel errors: the server maps these to 400 (bad format) or 422.
def _bad_format(what: str) -> _SmpError:
    return _SmpError(f"invalid patch format of {what}", 400)


def _no_merge_key(item: Mapping[str, Any], merge_key: str) -> _SmpError:
    return _SmpError(f"map: {_go_format(dict(item))} does not contain declared merge key: {merge_key}")


def _bad_patch_type(directive: Any, item: Mapping[str, Any]) -> _SmpError:
    return _SmpError(f"unknown patch type: {_go_format(directive)} in map: {_go_format(dict(item))}")


def _same_json_kind(left: Any, right: Any) -> bool:
    # Go compares reflect types of the decoded values: objects, arrays, strings, bools, numbers.
    def kind(value: Any) -> str:
        if isinstance(value, bool):
            return "bool"
        if isinstance(value, (int, float)):
            return "number"
        return type(value).__name__

    return kind(left) == kind(right)


def _smp_merge_map(original: dict[str, Any] | None, patch: dict[str, Any], schema: PatchSchema) -> dict[str, Any]:
    """``mergeMap``: merge ``patch`` into a copy of ``original`` (which may be None)."""
    if _DIRECTIVE in patch:
        directive = patch[_DIRECTIVE]
        if directive == "replace":
            return {key: copy.deepcopy(value) for key, value in patch.items() if key != _DIRECTIVE}
        if directive == "delete":
            return {}
        raise _bad_patch_type(directive, patch)
    result: dict[str, Any] = dict(original or {})
    pending = dict(patch)
    _apply_retain_keys(result, pending)
    _apply_set_element_order(result, pending, schema)
    for key, patch_value in pending.items():
        deletion_list = key.startswith(_DELETE_FROM_PRIMITIVE_LIST)
        if deletion_list:
            key = _directive_field(key, _DELETE_FROM_PRIMITIVE_LIST, "primitive list")
        if patch_value is None:
            result.pop(key, None)
            continue  # nulls for absent keys are ignored
        if key not in result or not _same_json_kind(result[key], patch_value):
            if not deletion_list:
                # Nothing to merge with: take the patch value, resolving any directives inside it.
                result[key] = _smp_fresh_value(patch_value, schema.field(key))
            continue
        child, meta = schema.field(key)
        current = result[key]
        if isinstance(current, dict):
            # "replace" takes the patch map as the whole value: merging it into nothing does that
            # and still resolves directives inside it.
            result[key] = _smp_merge_map(None if meta.strategy == "replace" else current, patch_value, child)
        elif isinstance(current, list):
            if meta.merges_list or deletion_list:
                result[key] = _smp_merge_list(current, patch_value, child.items(), meta.merge_key or "",
                                              deletion_list)
            else:
                result[key] = copy.deepcopy(patch_value)
        else:
            result[key] = copy.deepcopy(patch_value)
    return result


def _smp_fresh_value(value: Any, field: tuple[PatchSchema, FieldPatchMeta]) -> Any:
    """A patch value for a key the original lacks. The server stores it as sent (minus nulls) and
    lets decoding drop unknown ``$``-keys; merging it into nothing gives the same object without
    leaving directive keys in a plain map."""
    child, meta = field
    if isinstance(value, dict):
        return _smp_merge_map(None, value, child)
    if isinstance(value, list) and meta.merges_list and value and all(isinstance(item, dict) for item in value):
        return _smp_merge_list([], value, child.items(), meta.merge_key or "", False)
    return _drop_null_members(value)


def _directive_field(key: str, prefix: str, what: str) -> str:
    """The field a ``<prefix>/<field>`` directive key names (``extractKey``); 400 when malformed."""
    head, slash, field = key.partition("/")
    if head != prefix or not slash:
        raise _bad_format(what)
    return field


def _apply_retain_keys(original: dict[str, Any], patch: dict[str, Any]) -> None:
    if _RETAIN_KEYS not in patch:
        return
    retained = patch.pop(_RETAIN_KEYS)
    if not isinstance(retained, list):
        raise _bad_format("retainKeys")
    for key, value in patch.items():
        if value is None or key.startswith((_DELETE_FROM_PRIMITIVE_LIST, _SET_ELEMENT_ORDER)):
            continue
        if key not in retained:
            raise _bad_format("retainKeys")
    for key in list(original):
        if key not in retained:
            del original[key]


def _merge_key_value(item: Any, merge_key: str) -> Any:
    return item.get(merge_key) if isinstance(item, dict) else item


def _identity(item: Any, merge_key: str) -> str | None:
    """A hashable identity: the merge key's value for objects (None without one), the value itself
    for primitives. Canonical JSON keeps ``1``, ``1.0``, ``true`` and ``"1"`` apart, as Go's ``==`` does."""
    if merge_key:
        if not isinstance(item, dict) or merge_key not in item:
            return None
        item = item[merge_key]
    return json.dumps(item, sort_keys=True)


class _Positions:
    """First positions of identities in a list, for repeated look-ups."""

    def __init__(self, items: list[Any], merge_key: str) -> None:
        self._merge_key = merge_key
        self._first: dict[str, int] = {}
        for position, item in enumerate(items):
            identity = _identity(item, merge_key)
            if identity is not None:
                self._first.setdefault(identity, position)

    def of(self, item: Any) -> int:
        """Position of ``item`` (by identity), or -1."""
        identity = _identity(item, self._merge_key)
        return -1 if identity is None else self._first.get(identity, -1)

    def add(self, item: Any, position: int) -> None:
        identity = _identity(item, self._merge_key)
        if identity is not None:
            self._first.setdefault(identity, position)


def _union(first: list[Any], second: list[Any]) -> list[Any]:
    """Copies of the distinct primitives of both lists, in first-seen order (``deduplicateScalars``)."""
    seen = _Positions([], "")
    union: list[Any] = []
    for item in [*first, *second]:
        if seen.of(item) < 0:
            seen.add(item, len(union))
            union.append(copy.deepcopy(item))
    return union


def _order_like_server(merged: list[Any], order: list[Any], server_order: list[Any], merge_key: str) -> list[Any]:
    """``normalizeElementOrder``: items named in ``order`` follow it; the others keep their order in
    ``server_order``; the two runs are interleaved where the server order allows, else ordered items first."""
    if merge_key:
        for item in [*merged, *order]:
            if isinstance(item, dict) and merge_key not in item:
                raise _no_merge_key(item, merge_key)
    in_order = _Positions(order, merge_key)
    in_server = _Positions(server_order, merge_key)
    ordered = sorted((item for item in merged if in_order.of(item) >= 0), key=in_order.of)
    server_only = sorted((item for item in merged if in_order.of(item) < 0), key=in_server.of)
    result: list[Any] = []
    left, right = 0, 0
    while left < len(server_only) or right < len(ordered):
        if right >= len(ordered):
            result.append(server_only[left])
            left += 1
        elif left >= len(server_only):
            result.append(ordered[right])
            right += 1
        else:
            server_index = in_server.of(server_only[left])
            ordered_index = in_server.of(ordered[right])
            # A live-only item goes first only when both sit in the live list and it came earlier there.
            if 0 <= server_index < ordered_index:
                result.append(server_only[left])
                left += 1
            else:
                result.append(ordered[right])
                right += 1
    return result


def _element_kind(*lists: list[Any]) -> str:
    """``sliceElementType``: "map", "list" (refused) or "scalar"; all elements must share one kind."""
    seen: str | None = None
    for values in lists:
        for value in values:
            kind = "map" if isinstance(value, dict) else "list" if isinstance(value, list) else "scalar"
            if seen is None:
                if kind == "list":
                    raise _SmpError("lists of lists are not supported", 422)
                seen = kind
            elif kind != seen:
                rendered = " ".join(_go_format(item) for item in lists)
                raise _SmpError(f"list element types are not identical: [{rendered}]")
    return seen or "scalar"


def _smp_merge_list(original: list[Any], patch: list[Any], element_schema: PatchSchema, merge_key: str,
                    deletion_list: bool) -> list[Any]:
    """``mergeSlice`` for a list with the ``merge`` strategy (or a ``$deleteFromPrimitiveList``)."""
    if not original and not patch:
        return []
    kind = _element_kind(original, patch)
    if kind != "map":
        if deletion_list:
            doomed = _Positions(patch, "")
            return [copy.deepcopy(item) for item in original if doomed.of(item) < 0]
        return _order_like_server(_union(original, patch), patch, original, "")
    if not merge_key:
        raise _SmpError("cannot merge lists without merge key for type struct")
    original, patch = _apply_list_directives(original, patch, merge_key)
    merged = list(original)
    positions = _Positions(merged, merge_key)
    for item in patch:
        if merge_key not in item:
            raise _no_merge_key(item, merge_key)
        position = positions.of(item)
        if position >= 0:
            merged[position] = _smp_merge_map(merged[position], item, element_schema)
        else:
            positions.add(item, len(merged))
            merged.append(_smp_merge_map(None, item, element_schema))
    return _order_like_server(merged, patch, original, merge_key)


def _apply_list_directives(original: list[Any], patch: list[Any], merge_key: str) -> tuple[list[Any], list[Any]]:
    """``mergeSliceWithSpecialElements``: ``$patch: delete`` removes by key, ``$patch: replace`` makes
    the remaining patch elements the whole list; ``$patch: merge`` is refused as on the server."""
    plain: list[Any] = []
    replace = False
    remaining = list(original)
    for item in patch:
        if _DIRECTIVE not in item:
            plain.append(item)
            continue
        directive = item[_DIRECTIVE]
        if directive == "delete":
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
            remaining = [entry for entry in remaining
                         if not (isinstance(entry, dict) and merge_key in entry
                                 and _json_equal(entry[merge_key], item[merge_key]))]
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise _SmpError("merging lists cannot yet be specified in the patch")
        else:
            raise _bad_patch_type(directive, item)
    if replace:
        return [_drop_null_members(item) for item in plain], []
    return remaining, plain


def _apply_set_element_order(original: dict[str, Any], patch: dict[str, Any], schema: PatchSchema) -> None:
    """``mergePatchIntoOriginal``: merge each list named by a ``$setElementOrder/<field>`` directive and
    order it as the directive says, removing both from ``patch``."""
    for directive_key in [key for key in patch if key.startswith(_SET_ELEMENT_ORDER)]:
        order = patch.pop(directive_key)
        if not isinstance(order, list):
            raise _SmpError(f"expected a []interface {{}}, but received a {_go_type(order)}")
        field = _directive_field(directive_key, _SET_ELEMENT_ORDER, "setElementOrder list")
        child, meta = schema.field(field)
        merge_key = meta.merge_key or ""
        in_original, in_patch = field in original, field in patch
        lists: list[list[Any]] = []
        for value in (original.get(field) if in_original else [], patch.get(field) if in_patch else []):
            if not isinstance(value, list):
                raise _SmpError(f"expected a []interface {{}}, but received a {_go_type(value)}")
            lists.append(value)
        original_list, patch_list = lists
        if in_patch:
            _check_order_matches(patch_list, order, merge_key)
        if in_original and in_patch:
            if meta.merges_list:
                merged = _smp_merge_list(original_list, patch_list, child.items(), merge_key, False)
            else:
                merged = copy.deepcopy(patch_list)
        elif in_patch:
            merged = _smp_fresh_value(patch_list, (child, meta))
        elif in_original:
            merged = original_list
        else:
            continue
        if merged:
            _element_kind(original_list, patch_list)
            merged = _order_like_server(list(merged), order, original_list, merge_key)
        original[field] = merged
        patch.pop(field, None)


def _check_order_matches(patch_list: list[Any], order: list[Any], merge_key: str) -> None:
    """``validatePatchWithSetOrderList``: patch items must appear in the directive, in its order."""
    items = [item for item in patch_list if not (isinstance(item, dict) and _DIRECTIVE in item)]
    patch_index = order_index = 0
    while patch_index < len(items) and order_index < len(order):
        if _json_equal(_merge_key_value(items[patch_index], merge_key), _merge_key_value(order[order_index], merge_key)):
            patch_index += 1
        order_index += 1
    if patch_index < len(items):
        raise _SmpError(f"The order in patch list:\n{_go_format(patch_list)}\n doesn't match $setElementOrder "
                        f"list:\n{_go_format(order)}\n")


def _raise_smp_error(error: _SmpError) -> StatusError:
    if error.code == 400:
        return bad_request(str(error))
    if error.code == 422:
        return _unprocessable(str(error))
    # Errors that are not API statuses reach the client as a bare 500 with no reason.
    return plain_server_error(str(error))


def strategic_merge_patch(document: JSON, patch: Any, schema: PatchSchema) -> JSON:
    """Apply a Kubernetes strategic merge patch, with merge keys and strategies from ``schema``.

    Lists declared ``patchStrategy: merge`` merge element-wise by ``patchMergeKey`` (or as a set for
    primitives); other lists are replaced. Directives: ``$patch: replace|delete`` on maps and list
    elements, ``$patch: replace`` as a list element, ``$deleteFromPrimitiveList/<f>``,
    ``$setElementOrder/<f>`` and ``$retainKeys``; ``$patch: merge`` is refused as the server refuses it.
    Nulls delete map keys. Fields the schema does not know merge like a merge patch.
    """
    if patch is None:
        return copy.deepcopy(document)
    if not isinstance(patch, dict):
        raise bad_request(
            f"json: cannot unmarshal {_go_type_name(patch)} into Go value of type map[string]interface {{}}"
        )
    try:
        # Both inputs are copied once here; the merge then owns every value it returns.
        return _smp_merge_map(copy.deepcopy(document), copy.deepcopy(patch), schema)
    except _SmpError as error:
        raise _raise_smp_error(error) from None


# --------------------------------------------------------------------------- apply (simplified SSA)


def _go_rune(char: str) -> str:
    """Go's ``%#U`` of a rune: ``U+0041 'A'``, or just ``U+0009`` when it is not printable."""
    code = f"U+{ord(char):04X}"
    return f"{code} '{char}'" if char.isprintable() else code


def validate_patch_options(patch_type: str, *, field_manager: str | None, force: bool | None) -> None:
    """``ValidatePatchOptions``: ``fieldManager`` is required for apply, ``force`` is only for apply,
    and a field manager must be at most 128 bytes and printable (one error per unprintable
    character, as ``ValidateFieldManager``). Raises the server's 422."""
    errors: list[FieldError] = []
    if patch_type != APPLY_PATCH:
        if force is not None:
            errors.append(FieldError("FieldValueForbidden", "force", "may not be specified for non-apply patch"))
    elif not field_manager:
        errors.append(FieldError("FieldValueRequired", "fieldManager", "is required for apply patch"))
    if field_manager:
        if len(field_manager.encode("utf-8")) > FIELD_MANAGER_MAX_LENGTH:
            errors.append(FieldError("FieldValueTooLong", "fieldManager",
                                     f"may not be more than {FIELD_MANAGER_MAX_LENGTH} bytes"))
        position = 0  # Go ranges over a string by runes, reporting each one's byte offset
        for char in field_manager:
            if not char.isprintable():  # unicode.IsPrint: the same classes, and the ASCII space is printable
                errors.append(FieldError("FieldValueInvalid", "fieldManager",
                                         f"invalid character {_go_rune(char)} (at position {position})",
                                         value=field_manager, has_value=True))
            position += len(char.encode("utf-8"))
    if errors:
        raise invalid("PatchOptions", "", errors, group="meta.k8s.io")


def _apply_merge(live: Any, applied: Any, schema: PatchSchema, meta: FieldPatchMeta) -> Any:
    if isinstance(live, dict) and isinstance(applied, dict) and meta.strategy != "replace":
        result = dict(live)
        for key, value in applied.items():
            child, child_meta = schema.field(key)
            if value is None:
                result.pop(key, None)
            elif key in result:
                result[key] = _apply_merge(result[key], value, child, child_meta)
            else:
                result[key] = _drop_null_members(value)
        return result
    if isinstance(live, list) and isinstance(applied, list) and meta.list_type != "atomic":
        keys = meta.association_keys
        if keys and all(isinstance(item, dict) for item in [*live, *applied]):
            return _apply_merge_associative(live, applied, schema.items(), keys)
        if (meta.list_type == "set" or meta.merges_list) and not any(
                isinstance(item, (dict, list)) for item in [*live, *applied]):
            return _union(live, applied)
    return _drop_null_members(applied)


def _apply_merge_associative(live: list[Any], applied: list[Any], element_schema: PatchSchema,
                             keys: tuple[str, ...]) -> list[Any]:
    def identity(item: Mapping[str, Any]) -> str:
        return json.dumps([item.get(key) for key in keys], sort_keys=True)

    result = list(live)
    positions = {identity(item): index for index, item in enumerate(result)}
    for item in applied:
        position = positions.get(identity(item))
        if position is None:
            positions[identity(item)] = len(result)
            result.append(_drop_null_members(item))
        else:
            result[position] = _apply_merge(result[position], item, element_schema, _NO_META)
    return result


def _check_applied_type(applied: JSON, schema: PatchSchema) -> None:
    """The field manager's version check: an applied configuration names its own apiVersion and kind."""
    expected = schema.gvk
    if expected is None:
        return
    api_version = applied.get("apiVersion")
    kind = applied.get("kind")
    api_version = api_version if isinstance(api_version, str) else ""
    kind = kind if isinstance(kind, str) else ""
    group, _, version = api_version.rpartition("/")
    if (group, version, kind) != expected:
        raise bad_request(f"invalid object type: {group}/{version}, Kind={kind}")


def apply_patch(live: JSON | None, applied: JSON, schema: PatchSchema, *, field_manager: str | None,
                force: bool) -> JSON:
    """Server-side apply, simplified.

    ``field_manager`` is required (422 ``PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required
    value: is required for apply patch``). With no live object the applied configuration is the
    result (apply creates). Otherwise the applied configuration is merged into the live object:
    objects merge field by field; lists with merge keys (or ``listMapKeys``) merge element-wise by
    those keys, keeping the live order and appending new elements; ``set`` lists and primitive
    ``merge`` lists take the union; every other list, and any field declared ``replace``, is replaced;
    fields the configuration does not mention are kept; an explicit null removes a field.

    Like the server, the configuration must carry the kind's ``apiVersion`` and ``kind`` when the
    schema is a top-level kind (400 ``invalid object type: <group>/<version>, Kind=<kind>`` otherwise).

    The simplification: there is no ``managedFields`` bookkeeping, so fields that this manager applied
    before and now omits are *not* removed, and there are no ownership conflicts (``force`` is accepted
    and has no effect). The caller stamps metadata (resourceVersion, managedFields) as it does for
    other writes.
    """
    validate_patch_options(APPLY_PATCH, field_manager=field_manager, force=force)
    return _apply_checked(live, applied, schema)


def _apply_checked(live: JSON | None, applied: Any, schema: PatchSchema) -> JSON:
    """:func:`apply_patch` once its options have been validated."""
    if not isinstance(applied, dict):
        raise bad_request(
            f"error decoding YAML: json: cannot unmarshal {_go_type_name(applied)} into Go value of type "
            "map[string]interface {}"
        )
    _check_applied_type(applied, schema)
    if live is None:
        return _require_object_result(_drop_null_members(copy.deepcopy(applied)))
    return _require_object_result(_apply_merge(copy.deepcopy(live), copy.deepcopy(applied), schema, _NO_META))


# --------------------------------------------------------------------------- dispatch


# The 415 lists the types the server's patch handler accepts for a built-in resource, in its order
# (``negotiation.NewUnsupportedMediaTypeError``: no details, types joined by ", ").
_UNSUPPORTED_PATCH_MESSAGE = ("the body of the request was in an unknown format - accepted media types include: "
                              + ", ".join(PATCH_TYPES))


def patch_query_bool(value: str | None) -> bool | None:
    """A ``*bool`` query parameter (``force``) as the server decodes it: absent is None; present, only
    ``false`` and ``0`` (any case) are false, and anything else, the empty string included, is true."""
    if value is None:
        return None
    return value.lower() not in ("false", "0")


@dataclass(frozen=True)
class PatchOptions:
    """A PATCH request's type and options, checked in the server's order (``PatchResource``): the
    content type first (415), then ``ValidatePatchOptions`` (422), both before the body is read.

    Build one with :meth:`checked`; :meth:`engine` then gives the function that applies a patch body
    to the live object, so a caller that retries on conflicts re-runs it without re-validating.
    """

    patch_type: str
    field_manager: str | None
    force: bool | None

    @classmethod
    def checked(cls, content_type: str, *, field_manager: str | None, force: bool | None) -> PatchOptions:
        """Options for a ``Content-Type`` (parameters such as ``charset`` ignored); 415 for a type
        that is not one of :data:`PATCH_TYPES`, 422 ``PatchOptions`` for invalid options."""
        patch_type = content_type.split(";", 1)[0].strip().lower()
        if patch_type not in PATCH_TYPES:
            raise unsupported_media_type(_UNSUPPORTED_PATCH_MESSAGE)
        validate_patch_options(patch_type, field_manager=field_manager, force=force)
        return cls(patch_type, field_manager, force)

    @property
    def is_apply(self) -> bool:
        """Whether this is server-side apply (which may create, and owns managedFields itself)."""
        return self.patch_type == APPLY_PATCH

    def engine(self, patch: Any, schema: PatchSchema) -> Callable[[JSON | None], JSON]:
        """The function applying ``patch`` to a live object (None: there is none; only apply creates,
        the other types patch an empty object)."""
        if self.patch_type == APPLY_PATCH:
            return lambda live: _apply_checked(live, patch, schema)
        if self.patch_type == JSON_PATCH:
            return lambda live: json_patch(live or {}, patch)
        if self.patch_type == MERGE_PATCH:
            return lambda live: merge_patch(live or {}, patch)
        return lambda live: strategic_merge_patch(live or {}, patch, schema)


def patch_document(patch_type: str, document: JSON | None, patch: Any, schema: PatchSchema, *,
                   field_manager: str | None = None, force: bool | None = None) -> JSON:
    """Apply a PATCH body by its content type (one of :data:`PATCH_TYPES`), options validated first.

    ``document`` is the live object (None only for apply, which then creates). This is the dispatch
    the HTTP handlers use (through :class:`PatchOptions`), so the 415 and the 422s are the same here.
    """
    options = PatchOptions.checked(patch_type, field_manager=field_manager, force=force)
    return options.engine(patch, schema)(document)
