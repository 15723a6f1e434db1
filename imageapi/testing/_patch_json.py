"""JSON patch (``application/json-patch+json``, RFC 6902) as ``gopkg.in/evanphx/json-patch.v4`` applies
it on the API server: a document that is not a list of operation objects is a 400 ``BadRequest``; an
operation that cannot be applied (missing path, failed ``test``, unknown ``op``) is a 422 ``Invalid``
whose message is the library's error text. Like the server (and unlike RFC 6902), ``replace`` of a
missing object member adds it, negative array indices count from the end, and ``test`` of a missing
member against ``null`` succeeds."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from typing import Any

from ._contracts import JSON
from ._patch_base import go_type_name, json_equal, require_object_result, unprocessable
from ._status import StatusError, bad_request
from ._store import copy_json

# The server refuses larger JSON patches with 413 (apiserver handlers/patch.go).
MAX_JSON_PATCH_OPERATIONS = 10000


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
        raise _PatchFailure(f"json: cannot unmarshal {go_type_name(value)} into Go value of type string")

    def from_path(self) -> str:
        value = self._raw.get("from")
        if isinstance(value, str):
            return value
        if value is None:
            raise _PatchFailure("operation, missing from field: missing value")
        raise _PatchFailure(f"json: cannot unmarshal {go_type_name(value)} into Go value of type string")

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
        if not json_equal(holder[0], expected):
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
    if actual is None or expected is None or not json_equal(actual, expected):
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
        raise bad_request(f"json: cannot unmarshal {go_type_name(operations)} into Go value of type jsonpatch.Patch")
    decoded: list[_Operation] = []
    for raw in operations:
        if raw is not None and not isinstance(raw, dict):
            raise bad_request(
                f"json: cannot unmarshal {go_type_name(raw)} into Go value of type jsonpatch.Operation"
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
    holder = [copy_json(document)]
    for op in decoded:
        handler = _OPERATIONS.get(op.kind)
        try:
            if handler is None:
                raise _PatchFailure(f"Unexpected kind: {op.kind}")
            handler(holder, op)
        except _PatchFailure as error:
            raise unprocessable(str(error)) from None
    return require_object_result(holder[0])
