"""JSON merge patch (``application/merge-patch+json``, RFC 7386): nulls delete, objects merge
recursively, everything else (arrays included) replaces."""

from __future__ import annotations

import copy
from typing import Any

from ._contracts import JSON
from ._patch_base import drop_null_members, require_object_result, undecodable
from ._status import bad_request
from ._store import copy_json


def _merge_values(current: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        # Replacing an object keeps the patch as it is; replacing anything else prunes its nulls.
        return copy.deepcopy(patch) if isinstance(current, dict) else drop_null_members(patch)
    if not isinstance(current, dict):
        return drop_null_members(patch)
    merged = dict(current)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif merged.get(key) is None:
            merged[key] = drop_null_members(value)
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
        raise undecodable(patch)
    return require_object_result(copy_json(_merge_values(document, patch)))
