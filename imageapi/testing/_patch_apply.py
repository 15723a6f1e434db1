"""Apply (``application/apply-patch+yaml``): the patch options' checks and the merge of an applied
configuration into the live object; the ownership bookkeeping is :mod:`._managed_fields`'."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._contracts import JSON
from ._patch_base import APPLY_PATCH, drop_null_members, go_type_name, require_object_result
from ._patch_schema import NO_META, FieldPatchMeta, PatchSchema
from ._patch_strategic import union
from ._status import FieldError, bad_request, invalid
from ._store import copy_json

# metav1 validation: fieldManager is at most 128 bytes.
FIELD_MANAGER_MAX_LENGTH = 128


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
    if isinstance(live, dict) and isinstance(applied, dict) and meta.strategy != "replace" and not schema.atomic:
        result = dict(live)
        for key, value in applied.items():
            child, child_meta = schema.field(key)
            if value is None:
                result.pop(key, None)
            elif key in result:
                result[key] = _apply_merge(result[key], value, child, child_meta)
            else:
                result[key] = drop_null_members(value)
        return result
    if isinstance(live, list) and isinstance(applied, list) and meta.list_type != "atomic":
        keys = meta.association_keys
        if keys and all(isinstance(item, dict) for item in [*live, *applied]):
            return _apply_merge_associative(live, applied, schema.items(), keys)
        if (meta.list_type == "set" or meta.merges_list) and not any(
                isinstance(item, (dict, list)) for item in [*live, *applied]):
            return union(live, applied)
    return drop_null_members(applied)


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
            result.append(drop_null_members(item))
        else:
            result[position] = _apply_merge(result[position], item, element_schema, NO_META)
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
    """The merge half of server-side apply (``TypedValue.Merge``).

    ``field_manager`` is required (422 ``PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required
    value: is required for apply patch``). With no live object the applied configuration is the
    result (apply creates). Otherwise the applied configuration is merged into the live object:
    objects merge field by field, except atomic ones (``x-kubernetes-map-type: atomic``, such as
    ``from``), which are replaced; lists with merge keys (or ``listMapKeys``) merge element-wise by
    those keys, keeping the live order and appending new elements; ``set`` lists and primitive
    ``merge`` lists take the union; every other list, and any field declared ``replace``, is replaced;
    fields the configuration does not mention are kept; an explicit null removes a field.

    Like the server, the configuration must carry the kind's ``apiVersion`` and ``kind`` when the
    schema is a top-level kind (400 ``invalid object type: <group>/<version>, Kind=<kind>`` otherwise).

    The ownership half (conflicts, ``force``, removal of the fields this manager no longer applies,
    ``managedFields``) needs the live object's managers and is
    :func:`imageapi.testing._managed_fields.apply_ownership`, which the server's write path runs on
    this function's result.
    """
    validate_patch_options(APPLY_PATCH, field_manager=field_manager, force=force)
    return apply_checked(live, applied, schema)


def apply_checked(live: JSON | None, applied: Any, schema: PatchSchema) -> JSON:
    """:func:`apply_patch` once its options have been validated."""
    if not isinstance(applied, dict):
        raise bad_request(
            f"error decoding YAML: json: cannot unmarshal {go_type_name(applied)} into Go value of type "
            "map[string]interface {}"
        )
    _check_applied_type(applied, schema)
    if live is None:
        return require_object_result(drop_null_members(copy_json(applied)))
    return require_object_result(_apply_merge(copy_json(live), copy_json(applied), schema, NO_META))
