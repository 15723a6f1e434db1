"""What every patch engine of the fake shares: the media types, Go-compatible value formatting for error
texts (the server's messages embed Go's ``%v`` and type names), JSON equality, null pruning and the
errors for results that do not decode into a resource."""

from __future__ import annotations

import json
from typing import Any

from ._contracts import JSON
from ._status import FieldError, StatusError, invalid

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH)


def go_type_name(value: Any) -> str:
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


def go_format(value: Any) -> str:
    """``fmt.Sprintf("%v", value)`` of a decoded JSON value, as Go error messages embed it."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, dict):
        # Go prints maps with their keys sorted.
        return "map[" + " ".join(f"{key}:{go_format(value[key])}" for key in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_format(item) for item in value) + "]"
    return str(value)


def go_type(value: Any) -> str:
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


def json_equal(left: Any, right: Any) -> bool:
    """Structural JSON equality that, unlike ``==``, keeps ``true`` apart from ``1`` and ``1`` from ``1.0``."""
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(left[key], right[key]) for key in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(json_equal(a, b) for a, b in zip(left, right, strict=True))
    return type(left) is type(right) and left == right


def undecodable(result: Any) -> StatusError:
    """The server's answer when the patched document does not decode into the resource type."""
    text = json.dumps(result, separators=(",", ":"))
    detail = f"json: cannot unmarshal {go_type_name(result)} into Go value of type map[string]interface {{}}"
    return invalid("", "", [FieldError("FieldValueInvalid", "patch", detail, value=text, has_value=True)], group="")


def unprocessable(message: str) -> StatusError:
    """422 ``Invalid`` carrying a library error text (``errors.NewGenericServerResponse(422, …)``)."""
    return StatusError(422, "Invalid", message, {})


def require_object_result(result: Any) -> JSON:
    if not isinstance(result, dict):
        raise undecodable(result)
    return result


def drop_null_members(value: Any) -> Any:
    """A copy of a patch value with null members removed from every object, also inside arrays
    (arrays keep their null elements): json-patch's ``pruneNulls`` for merge patches and the
    strategic merge's ``discardNullValuesFromPatch``, which do the same."""
    if isinstance(value, dict):
        return {key: drop_null_members(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [drop_null_members(item) for item in value]
    return value
