"""Strategic merge patch (``application/strategic-merge-patch+json``) as
``k8s.io/apimachinery/pkg/util/strategicpatch`` applies it with the options the server uses (parallel
deletion lists merged, unmatched nulls ignored), driven by a :class:`PatchSchema`. Merged lists come out
in the server's order: patch items in patch order, interleaved with the items only the live object has,
which keep their relative order; a new item therefore lands *before* the untouched ones, exactly as
``kubectl patch`` shows on a real cluster."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from ._contracts import JSON
from ._patch_base import drop_null_members, go_format, go_type, go_type_name, json_equal, unprocessable
from ._patch_schema import FieldPatchMeta, PatchSchema
from ._status import StatusError, bad_request, plain_server_error
from ._store import copy_json

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
    return _SmpError(f"map: {go_format(dict(item))} does not contain declared merge key: {merge_key}")


def _bad_patch_type(directive: Any, item: Mapping[str, Any]) -> _SmpError:
    return _SmpError(f"unknown patch type: {go_format(directive)} in map: {go_format(dict(item))}")


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
    return drop_null_members(value)


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


def union(first: list[Any], second: list[Any]) -> list[Any]:
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
                rendered = " ".join(go_format(item) for item in lists)
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
        return _order_like_server(union(original, patch), patch, original, "")
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
                                 and json_equal(entry[merge_key], item[merge_key]))]
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise _SmpError("merging lists cannot yet be specified in the patch")
        else:
            raise _bad_patch_type(directive, item)
    if replace:
        return [drop_null_members(item) for item in plain], []
    return remaining, plain


def _apply_set_element_order(original: dict[str, Any], patch: dict[str, Any], schema: PatchSchema) -> None:
    """``mergePatchIntoOriginal``: merge each list named by a ``$setElementOrder/<field>`` directive and
    order it as the directive says, removing both from ``patch``."""
    for directive_key in [key for key in patch if key.startswith(_SET_ELEMENT_ORDER)]:
        order = patch.pop(directive_key)
        if not isinstance(order, list):
            raise _SmpError(f"expected a []interface {{}}, but received a {go_type(order)}")
        field = _directive_field(directive_key, _SET_ELEMENT_ORDER, "setElementOrder list")
        child, meta = schema.field(field)
        merge_key = meta.merge_key or ""
        in_original, in_patch = field in original, field in patch
        lists: list[list[Any]] = []
        for value in (original.get(field) if in_original else [], patch.get(field) if in_patch else []):
            if not isinstance(value, list):
                raise _SmpError(f"expected a []interface {{}}, but received a {go_type(value)}")
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
        if json_equal(_merge_key_value(items[patch_index], merge_key), _merge_key_value(order[order_index], merge_key)):
            patch_index += 1
        order_index += 1
    if patch_index < len(items):
        raise _SmpError(f"The order in patch list:\n{go_format(patch_list)}\n doesn't match $setElementOrder "
                        f"list:\n{go_format(order)}\n")


def _raise_smp_error(error: _SmpError) -> StatusError:
    if error.code == 400:
        return bad_request(str(error))
    if error.code == 422:
        return unprocessable(str(error))
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
        unchanged: JSON = copy_json(document)
        return unchanged
    if not isinstance(patch, dict):
        raise bad_request(
            f"json: cannot unmarshal {go_type_name(patch)} into Go value of type map[string]interface {{}}"
        )
    try:
        # Both inputs are copied once here; the merge then owns every value it returns.
        return _smp_merge_map(copy_json(document), copy_json(patch), schema)
    except _SmpError as error:
        raise _raise_smp_error(error) from None
