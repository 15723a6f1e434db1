"""Patch engines of the fake cluster: JSON patch, merge patch, strategic merge patch and simplified apply.

Expected results and messages follow the real API server (json-patch v4, apimachinery strategicpatch).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from imageapi.testing._patch import (
    APPLY_PATCH,
    JSON_PATCH,
    MAX_JSON_PATCH_OPERATIONS,
    MERGE_PATCH,
    STRATEGIC_MERGE_PATCH,
    FieldPatchMeta,
    PatchSchema,
    apply_patch,
    json_patch,
    merge_patch,
    patch_document,
    strategic_merge_patch,
    validate_patch_options,
)
from imageapi.testing._status import StatusError

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "imageapi" / "schema" / "image.openshift.io-v1.json"

# A small normalized schema (docs/codegen.md format) with the shapes the engines care about.
FIXTURE_SCHEMA: dict[str, Any] = {
    "formatVersion": 1,
    "types": {
        "Widget": {
            "fields": {
                "metadata": {"type": {"type": "ref", "name": "ObjectMeta"}},
                "spec": {"type": {"type": "ref", "name": "WidgetSpec"}},
                "raw": {"type": {"type": "RawExtension"}, "patchStrategy": "replace"},
            },
        },
        "WidgetSpec": {
            "fields": {
                "parts": {"type": {"type": "array", "items": {"type": "ref", "name": "Part"}},
                          "patchStrategy": "merge", "patchMergeKey": "name"},
                "plainList": {"type": {"type": "array", "items": {"type": "ref", "name": "Part"}}},
                "tags": {"type": {"type": "array", "items": {"type": "string"}}, "patchStrategy": "merge"},
                "words": {"type": {"type": "array", "items": {"type": "string"}}},
                "replaced": {"type": {"type": "ref", "name": "Part"}, "patchStrategy": "replace"},
                "byName": {"type": {"type": "map", "values": {"type": "ref", "name": "Holder"}}},
                "retained": {"type": {"type": "ref", "name": "Part"}, "patchStrategy": "retainKeys"},
            },
        },
        "Part": {
            "fields": {
                "name": {"type": {"type": "string"}},
                "size": {"type": {"type": "integer", "format": "int32"}},
                "color": {"type": {"type": "string"}},
                "labels": {"type": {"type": "map", "values": {"type": "string"}}},
                "conditions": {"type": {"type": "array", "items": {"type": "ref", "name": "Condition"}},
                               "patchStrategy": "merge", "patchMergeKey": "type"},
            },
        },
        "Holder": {
            "fields": {
                "parts": {"type": {"type": "array", "items": {"type": "ref", "name": "Part"}},
                          "patchStrategy": "merge", "patchMergeKey": "name"},
            },
        },
        "Condition": {"fields": {"type": {"type": "string"}, "status": {"type": {"type": "string"}}}},
    },
}
WIDGET = PatchSchema.for_kind(FIXTURE_SCHEMA, "Widget")


def status_error(call: Any, *args: Any, **kwargs: Any) -> StatusError:
    with pytest.raises(StatusError) as caught:
        call(*args, **kwargs)
    return caught.value


# --------------------------------------------------------------------------- JSON patch

DOC: dict[str, Any] = {
    "metadata": {"name": "a", "labels": {"x": "1"}, "annotations": {"a/b": "slash", "t~n": "tilde"}},
    "spec": {"list": [1, 2, 3], "objs": [{"k": "a"}, {"k": "b"}], "empty": None},
}


def test_json_patch_add_replace_remove() -> None:
    result = json_patch(DOC, [
        {"op": "add", "path": "/metadata/labels/y", "value": "2"},
        {"op": "replace", "path": "/metadata/name", "value": "b"},
        {"op": "remove", "path": "/metadata/labels/x"},
    ])
    assert result["metadata"]["labels"] == {"y": "2"}
    assert result["metadata"]["name"] == "b"


def test_json_patch_array_operations() -> None:
    result = json_patch(DOC, [
        {"op": "add", "path": "/spec/list/0", "value": 0},  # insert before
        {"op": "add", "path": "/spec/list/-", "value": 9},  # append
        {"op": "add", "path": "/spec/list/5", "value": 10},  # index == length appends
        {"op": "remove", "path": "/spec/list/1"},
        {"op": "replace", "path": "/spec/list/0", "value": "zero"},
    ])
    assert result["spec"]["list"] == ["zero", 2, 3, 9, 10]


def test_json_patch_negative_indices_count_from_the_end() -> None:
    result = json_patch(DOC, [{"op": "remove", "path": "/spec/list/-1"}])
    assert result["spec"]["list"] == [1, 2]
    result = json_patch(DOC, [{"op": "add", "path": "/spec/list/-1", "value": 4}])
    assert result["spec"]["list"] == [1, 2, 3, 4]


def test_json_patch_pointer_escapes() -> None:
    result = json_patch(DOC, [
        {"op": "replace", "path": "/metadata/annotations/a~1b", "value": "S"},
        {"op": "replace", "path": "/metadata/annotations/t~0n", "value": "T"},
        {"op": "add", "path": "/metadata/annotations/~01", "value": "literal ~1"},
    ])
    assert result["metadata"]["annotations"] == {"a/b": "S", "t~n": "T", "~1": "literal ~1"}


def test_json_patch_move_and_copy() -> None:
    result = json_patch(DOC, [
        {"op": "copy", "from": "/metadata/labels", "path": "/spec/labelsCopy"},
        {"op": "move", "from": "/metadata/name", "path": "/spec/name"},
        {"op": "move", "from": "/spec/objs/1", "path": "/spec/objs/0"},
    ])
    assert result["spec"]["labelsCopy"] == {"x": "1"}
    assert result["spec"]["name"] == "a"
    assert "name" not in result["metadata"]
    assert result["spec"]["objs"] == [{"k": "b"}, {"k": "a"}]
    # A copy is independent of its source.
    result["spec"]["labelsCopy"]["x"] = "changed"
    assert result["metadata"]["labels"]["x"] == "1"


def test_json_patch_test_operation() -> None:
    assert json_patch(DOC, [{"op": "test", "path": "/spec/objs", "value": [{"k": "a"}, {"k": "b"}]}]) == DOC
    assert json_patch(DOC, [{"op": "test", "path": "/spec/empty", "value": None}]) == DOC
    # As in json-patch v4, a missing member tests equal to null.
    assert json_patch(DOC, [{"op": "test", "path": "/spec/absent", "value": None}]) == DOC
    assert json_patch(DOC, [{"op": "test", "path": "", "value": DOC}]) == DOC


@pytest.mark.parametrize(
    ("value", "path"),
    [("b", "/metadata/name"), (1, "/spec/list/0/x"), ("1", "/spec/list/0"), (True, "/spec/list/0"),
     (1.0, "/spec/list/0"), ("x", "/spec/absent"), (None, "/metadata/name"), ({}, "")],
)
def test_json_patch_test_failure_is_422(value: Any, path: str) -> None:
    error = status_error(json_patch, DOC, [{"op": "test", "path": path, "value": value}])
    assert error.code == 422
    assert error.reason == "Invalid"
    if path == "/spec/list/0/x":
        assert error.message == "test operation does not apply: is missing path: /spec/list/0/x: missing value"
    else:
        assert error.message == f"testing value {path} failed: test failed"


def test_json_patch_is_all_or_nothing() -> None:
    original = copy.deepcopy(DOC)
    error = status_error(json_patch, DOC, [
        {"op": "replace", "path": "/metadata/name", "value": "changed"},
        {"op": "test", "path": "/metadata/name", "value": "a"},
    ])
    assert error.code == 422
    assert original == DOC


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        ({"op": "add", "path": "/missing/child", "value": 1},
         'add operation does not apply: doc is missing path: "/missing/child": missing value'),
        ({"op": "add", "path": "/spec/list/7", "value": 1},
         "error in add for path: '/spec/list/7': Unable to access invalid index: 7: invalid index referenced"),
        ({"op": "add", "path": "/spec/list/x", "value": 1},
         "error in add for path: '/spec/list/x': value was not a proper array index: 'x': "
         'strconv.Atoi: parsing "x": invalid syntax'),
        ({"op": "add", "value": 1}, "add operation failed to decode path: missing value"),
        ({"op": "remove", "path": "/metadata/nope"},
         "error in remove for path: '/metadata/nope': Unable to remove nonexistent key: nope: missing value"),
        ({"op": "remove", "path": "/spec/list/3"},
         "error in remove for path: '/spec/list/3': Unable to access invalid index: 3: invalid index referenced"),
        ({"op": "remove", "path": "/spec/list/-4"},
         "error in remove for path: '/spec/list/-4': Unable to access invalid index: -4: invalid index referenced"),
        ({"op": "remove", "path": "/nope/x"},
         'remove operation does not apply: doc is missing path: "/nope/x": missing value'),
        ({"op": "replace", "path": "/nope/x", "value": 1},
         "replace operation does not apply: doc is missing path: /nope/x: missing value"),
        ({"op": "replace", "path": "/spec/list/3", "value": 1},
         "replace operation does not apply: doc is missing key: /spec/list/3: missing value"),
        ({"op": "replace", "value": 1},
         "replace operation failed to decode path: operation missing path field: missing value"),
        ({"op": "replace", "path": 5, "value": 1},
         "replace operation failed to decode path: json: cannot unmarshal number into Go value of type string"),
        ({"op": "move", "from": "/nope/x", "path": "/a"},
         "move operation does not apply: doc is missing from path: /nope/x: missing value"),
        ({"op": "move", "path": "/a"}, "move operation failed to decode from: operation, missing from field: missing value"),
        ({"op": "move", "from": "/metadata", "path": "/metadata/inner"},
         "move operation does not apply: doc is missing destination path: /metadata/inner: missing value"),
        ({"op": "copy", "from": "/spec/list/9", "path": "/a"},
         "error in copy for from: '/spec/list/9': Unable to access invalid index: 9: invalid index referenced"),
        ({"op": "copy", "from": "/metadata", "path": "/x/y"},
         "copy operation does not apply: doc is missing destination path: /x/y: missing value"),
        ({"op": "frobnicate", "path": "/a"}, "Unexpected kind: frobnicate"),
        ({"path": "/a"}, "Unexpected kind: unknown"),
        ({"op": "add", "path": "", "value": {}}, 'add operation does not apply: doc is missing path: "": missing value'),
        ({"op": "add", "path": "/metadata/name/x", "value": 1},
         'add operation does not apply: doc is missing path: "/metadata/name/x": missing value'),
        ({"op": "add", "path": "/spec/empty/x", "value": 1},
         'add operation does not apply: doc is missing path: "/spec/empty/x": missing value'),
    ],
)
def test_json_patch_failures_are_422_with_library_text(operation: dict[str, Any], message: str) -> None:
    error = status_error(json_patch, DOC, [operation])
    assert (error.code, error.reason, error.message) == (422, "Invalid", message)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"op": "add", "path": "/a", "value": 1}, "json: cannot unmarshal object into Go value of type jsonpatch.Patch"),
        ("add", "json: cannot unmarshal string into Go value of type jsonpatch.Patch"),
        (["add"], "json: cannot unmarshal string into Go value of type jsonpatch.Operation"),
        ([[]], "json: cannot unmarshal array into Go value of type jsonpatch.Operation"),
    ],
)
def test_json_patch_malformed_document_is_400(body: Any, message: str) -> None:
    error = status_error(json_patch, DOC, body)
    assert (error.code, error.reason, error.message) == (400, "BadRequest", message)


def test_json_patch_null_or_empty_changes_nothing() -> None:
    assert json_patch(DOC, None) == DOC
    assert json_patch(DOC, []) == DOC


def test_json_patch_operation_limit() -> None:
    error = status_error(json_patch, DOC, [{"op": "test", "path": "/metadata/name", "value": "a"}]
                         * (MAX_JSON_PATCH_OPERATIONS + 1))
    assert error.code == 413
    assert "The allowed maximum operations in a JSON patch is 10000, got 10001" in error.message


def test_json_patch_replace_of_missing_member_adds_it_like_the_server() -> None:
    assert json_patch(DOC, [{"op": "replace", "path": "/metadata/uid", "value": "u"}])["metadata"]["uid"] == "u"


def test_json_patch_root_replace() -> None:
    assert json_patch(DOC, [{"op": "replace", "path": "", "value": {"kind": "X"}}]) == {"kind": "X"}
    error = status_error(json_patch, DOC, [{"op": "replace", "path": "", "value": [1]}])
    assert error.code == 422
    assert error.message.startswith(' "" is invalid: patch: Invalid value: "[1]": json: cannot unmarshal array')


def test_json_patch_add_without_value_sets_null() -> None:
    assert json_patch(DOC, [{"op": "add", "path": "/spec/nothing"}])["spec"]["nothing"] is None


def test_json_patch_does_not_mutate_inputs() -> None:
    document, operations = copy.deepcopy(DOC), [
        {"op": "add", "path": "/spec/objs/0/new", "value": {"deep": [1]}},
        {"op": "remove", "path": "/spec/list/0"},
    ]
    frozen_ops = copy.deepcopy(operations)
    result = json_patch(document, operations)
    assert document == DOC
    assert operations == frozen_ops
    result["spec"]["objs"][0]["new"]["deep"].append(2)
    assert operations[0]["value"] == {"deep": [1]}


# --------------------------------------------------------------------------- merge patch


def test_merge_patch_rfc7386_semantics() -> None:
    target = {"a": "b", "c": {"d": "e", "f": "g"}, "list": [1, 2], "keep": True}
    patch = {"a": "z", "c": {"f": None, "h": {"i": None, "j": 1}}, "list": [3], "new": [{"x": None, "y": 1}]}
    assert merge_patch(target, patch) == {
        "a": "z",
        "c": {"d": "e", "h": {"j": 1}},  # nulls inside new values are dropped too
        "list": [3],  # arrays replace whole
        "keep": True,
        "new": [{"y": 1}],
    }


@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
        ({"a": "b"}, {}, {"a": "b"}),
    ],
)
def test_merge_patch_rfc_examples(target: dict[str, Any], patch: dict[str, Any], result: dict[str, Any]) -> None:
    assert merge_patch(target, patch) == result


def test_merge_patch_errors() -> None:
    error = status_error(merge_patch, DOC, None)
    assert (error.code, error.reason, error.message) == (400, "BadRequest", "Invalid JSON Patch")
    error = status_error(merge_patch, DOC, ["x"])
    assert (error.code, error.reason) == (422, "Invalid")
    assert error.message == (
        ' "" is invalid: patch: Invalid value: "[\\"x\\"]": '
        "json: cannot unmarshal array into Go value of type map[string]interface {}"
    )


def test_merge_patch_does_not_mutate_inputs() -> None:
    target = {"a": {"b": [1]}, "c": 1}
    patch = {"a": {"d": {"e": [2]}}, "c": None}
    frozen_target, frozen_patch = copy.deepcopy(target), copy.deepcopy(patch)
    result = merge_patch(target, patch)
    result["a"]["b"].append(9)
    result["a"]["d"]["e"].append(9)
    assert target == frozen_target
    assert patch == frozen_patch


# --------------------------------------------------------------------------- strategic merge patch

LIVE: dict[str, Any] = {
    "metadata": {
        "name": "w", "labels": {"a": "1", "b": "2"}, "finalizers": ["f1", "f2"],
        "ownerReferences": [{"uid": "u1", "name": "one"}, {"uid": "u2", "name": "two"}],
    },
    "spec": {
        "parts": [{"name": "p1", "size": 1, "color": "red"}, {"name": "p2", "size": 2}],
        "plainList": [{"name": "x"}],
        "tags": ["t1", "t2"],
        "words": ["w1", "w2"],
        "replaced": {"name": "r", "size": 1},
        "byName": {"k": {"parts": [{"name": "n1"}]}},
        "unknown": {"a": 1, "list": [1, 2]},
    },
    "raw": {"kind": "DockerImage", "Id": "sha", "Config": {"Env": ["A=1"]}},
}


def smp(patch: Any, live: dict[str, Any] | None = None) -> dict[str, Any]:
    return strategic_merge_patch(LIVE if live is None else live, patch, WIDGET)


def test_smp_merges_lists_by_merge_key() -> None:
    result = smp({"spec": {"parts": [{"name": "p1", "size": 10}]}})
    assert result["spec"]["parts"] == [{"name": "p1", "size": 10, "color": "red"}, {"name": "p2", "size": 2}]


def test_smp_new_elements_come_first_like_the_server() -> None:
    # apimachinery orders patch items before live-only items unless the live order says otherwise.
    result = smp({"spec": {"parts": [{"name": "p3"}]}})
    assert [part["name"] for part in result["spec"]["parts"]] == ["p3", "p1", "p2"]
    result = smp({"spec": {"parts": [{"name": "p2", "size": 5}, {"name": "p0"}]}})
    assert [part["name"] for part in result["spec"]["parts"]] == ["p1", "p2", "p0"]


def test_smp_nested_merge_lists_inside_elements() -> None:
    live = {"spec": {"parts": [{"name": "p", "conditions": [{"type": "A", "status": "True"}, {"type": "B"}]}]}}
    result = smp({"spec": {"parts": [{"name": "p", "conditions": [{"type": "B", "status": "False"}]}]}}, live)
    assert result["spec"]["parts"][0]["conditions"] == [{"type": "A", "status": "True"}, {"type": "B", "status": "False"}]


def test_smp_primitive_merge_list_is_a_union() -> None:
    assert smp({"spec": {"tags": ["t2", "t3"]}})["spec"]["tags"] == ["t1", "t2", "t3"]
    assert smp({"spec": {"tags": ["t0"]}})["spec"]["tags"] == ["t0", "t1", "t2"]


def test_smp_lists_without_strategy_are_replaced() -> None:
    result = smp({"spec": {"plainList": [{"name": "y"}], "words": ["w3"]}})
    assert result["spec"]["plainList"] == [{"name": "y"}]
    assert result["spec"]["words"] == ["w3"]


def test_smp_replace_strategy_replaces_maps() -> None:
    assert smp({"spec": {"replaced": {"color": "blue"}}})["spec"]["replaced"] == {"color": "blue"}
    assert smp({"raw": {"Id": "other"}})["raw"] == {"Id": "other"}


def test_smp_nulls_delete_map_keys_and_maps_merge() -> None:
    result = smp({"metadata": {"labels": {"a": None, "c": "3"}}, "spec": {"unknown": {"a": None, "b": 2}}})
    assert result["metadata"]["labels"] == {"b": "2", "c": "3"}
    assert result["spec"]["unknown"] == {"list": [1, 2], "b": 2}
    assert "missing" not in smp({"spec": {"missing": None}})["spec"]


def test_smp_unknown_fields_behave_like_merge_patch() -> None:
    result = smp({"spec": {"unknown": {"list": [3]}, "extra": {"x": {"y": None, "z": 1}}}})
    assert result["spec"]["unknown"] == {"a": 1, "list": [3]}
    assert result["spec"]["extra"] == {"x": {"z": 1}}
    untyped = strategic_merge_patch({"a": {"b": [1, 2]}}, {"a": {"b": [3], "c": None}}, PatchSchema.untyped())
    assert untyped == {"a": {"b": [3]}}


def test_smp_map_values_use_the_value_type() -> None:
    result = smp({"spec": {"byName": {"k": {"parts": [{"name": "n2"}]}, "new": {"parts": [{"name": "m"}]}}}})
    assert result["spec"]["byName"] == {"k": {"parts": [{"name": "n2"}, {"name": "n1"}]},
                                        "new": {"parts": [{"name": "m"}]}}


def test_smp_delete_directive_on_list_element() -> None:
    result = smp({"spec": {"parts": [{"name": "p1", "$patch": "delete"}, {"name": "nope", "$patch": "delete"}]}})
    assert result["spec"]["parts"] == [{"name": "p2", "size": 2}]


def test_smp_delete_directive_on_map_empties_it() -> None:
    result = smp({"spec": {"replaced": {"$patch": "delete"}, "unknown": {"$patch": "delete"}}})
    assert result["spec"]["unknown"] == {}
    assert result["spec"]["replaced"] == {}


def test_smp_directives_inside_replaced_and_new_maps_are_resolved() -> None:
    result = smp({"spec": {"replaced": {"name": "n", "labels": {"$patch": "replace", "a": "b"}},
                           "fresh": {"inner": {"$patch": "delete"}, "keep": 1}}})
    assert result["spec"]["replaced"] == {"name": "n", "labels": {"a": "b"}}
    assert result["spec"]["fresh"] == {"inner": {}, "keep": 1}


def test_smp_replace_directive_on_map() -> None:
    result = smp({"spec": {"unknown": {"$patch": "replace", "only": True}}})
    assert result["spec"]["unknown"] == {"only": True}
    whole = smp({"$patch": "replace", "metadata": {"name": "fresh"}})
    assert whole == {"metadata": {"name": "fresh"}}


def test_smp_replace_directive_on_list() -> None:
    result = smp({"spec": {"parts": [{"name": "z"}, {"$patch": "replace"}]}})
    assert result["spec"]["parts"] == [{"name": "z"}]


def test_smp_merge_directive_is_refused_like_the_server() -> None:
    error = status_error(smp, {"spec": {"parts": [{"$patch": "merge"}]}})
    assert (error.code, error.reason, error.message) == (500, None, "merging lists cannot yet be specified in the patch")
    error = status_error(smp, {"spec": {"unknown": {"$patch": "merge"}}})
    assert error.code == 500
    assert error.message == "unknown patch type: merge in map: map[$patch:merge]"


def test_smp_unknown_directive_on_list_element() -> None:
    error = status_error(smp, {"spec": {"parts": [{"name": "p1", "$patch": "explode"}]}})
    assert error.message == "unknown patch type: explode in map: map[$patch:explode name:p1]"


def test_smp_delete_from_primitive_list() -> None:
    result = smp({"metadata": {"$deleteFromPrimitiveList/finalizers": ["f1", "zz"]}})
    assert result["metadata"]["finalizers"] == ["f2"]
    # No list to delete from: nothing happens, and the directive does not leak into the object.
    assert "$deleteFromPrimitiveList/absent" not in smp({"spec": {"$deleteFromPrimitiveList/absent": ["x"]}})["spec"]
    assert "absent" not in smp({"spec": {"$deleteFromPrimitiveList/absent": ["x"]}})["spec"]


def test_smp_delete_and_add_in_one_patch() -> None:
    result = smp({"metadata": {"$deleteFromPrimitiveList/finalizers": ["f1"], "finalizers": ["f3"]}})
    assert sorted(result["metadata"]["finalizers"]) == ["f2", "f3"]


def test_smp_set_element_order() -> None:
    result = smp({"spec": {
        "$setElementOrder/parts": [{"name": "p2"}, {"name": "new"}, {"name": "p1"}],
        "parts": [{"name": "new", "size": 0}],
    }})
    assert [part["name"] for part in result["spec"]["parts"]] == ["p2", "new", "p1"]
    assert not any(key.startswith("$") for key in result["spec"])


def test_smp_set_element_order_for_primitives_and_without_patch_list() -> None:
    result = smp({"spec": {"$setElementOrder/tags": ["t2", "t3", "t1"], "tags": ["t3"]}})
    assert result["spec"]["tags"] == ["t2", "t3", "t1"]
    reordered = smp({"spec": {"$setElementOrder/parts": [{"name": "p2"}, {"name": "p1"}]}})
    assert [part["name"] for part in reordered["spec"]["parts"]] == ["p2", "p1"]


def test_smp_set_element_order_must_agree_with_patch_list() -> None:
    error = status_error(smp, {"spec": {"$setElementOrder/parts": [{"name": "p1"}, {"name": "p2"}],
                                        "parts": [{"name": "p2"}, {"name": "p1"}]}})
    assert error.code == 500
    assert error.message.startswith("The order in patch list:\n")
    error = status_error(smp, {"spec": {"$setElementOrder/parts": {"name": "p1"}}})
    assert (error.code, error.message) == (500, "expected a []interface {}, but received a map[string]interface {}")
    error = status_error(smp, {"spec": {"$setElementOrderparts": []}})
    assert (error.code, error.message) == (400, "invalid patch format of setElementOrder list")
    error = status_error(smp, {"spec": {"$setElementOrder/replaced": []}})
    assert (error.code, error.message) == (500, "expected a []interface {}, but received a map[string]interface {}")


def test_smp_malformed_deletion_list_key() -> None:
    error = status_error(smp, {"metadata": {"$deleteFromPrimitiveListfinalizers": ["f1"]}})
    assert (error.code, error.reason, error.message) == (400, "BadRequest", "invalid patch format of primitive list")


def test_smp_retain_keys() -> None:
    result = smp({"spec": {"retained": {"$retainKeys": ["name", "color"], "color": "green"}},
                  "metadata": {"labels": {"$retainKeys": ["b"]}}})
    assert result["metadata"]["labels"] == {"b": "2"}
    live = {"spec": {"retained": {"name": "r", "size": 1, "color": "red"}}}
    assert smp({"spec": {"retained": {"$retainKeys": ["name", "color"], "color": "green"}}}, live)["spec"][
        "retained"] == {"name": "r", "color": "green"}
    error = status_error(smp, {"spec": {"retained": {"$retainKeys": ["name"], "size": 3}}}, live)
    assert (error.code, error.reason, error.message) == (400, "BadRequest", "invalid patch format of retainKeys")
    error = status_error(smp, {"spec": {"retained": {"$retainKeys": "name"}}}, live)
    assert error.message == "invalid patch format of retainKeys"


def test_smp_object_meta_merge_keys() -> None:
    result = smp({"metadata": {"ownerReferences": [{"uid": "u2", "name": "TWO"}, {"uid": "u3", "name": "three"}],
                               "finalizers": ["f3"]}})
    assert result["metadata"]["ownerReferences"] == [
        {"uid": "u1", "name": "one"}, {"uid": "u2", "name": "TWO"}, {"uid": "u3", "name": "three"},
    ]
    assert result["metadata"]["finalizers"] == ["f3", "f1", "f2"]


def test_smp_missing_merge_key() -> None:
    error = status_error(smp, {"spec": {"parts": [{"size": 3}]}})
    assert (error.code, error.reason) == (500, None)
    assert error.message == "map: map[size:3] does not contain declared merge key: name"
    error = status_error(smp, {"spec": {"parts": [{"$patch": "delete", "size": 3}]}})
    assert error.message == "map: map[$patch:delete size:3] does not contain declared merge key: name"


def test_smp_element_type_errors() -> None:
    error = status_error(smp, {"spec": {"tags": [["nested"]]}}, {"spec": {"tags": []}})
    assert (error.code, error.message) == (422, "lists of lists are not supported")
    error = status_error(smp, {"spec": {"tags": [{"name": "x"}]}})
    assert error.code == 500
    assert error.message.startswith("list element types are not identical")


def test_smp_new_keys_are_taken_without_nulls_or_directives() -> None:
    live: dict[str, Any] = {"spec": {}}
    result = smp({"spec": {"parts": [{"name": "a", "color": None}, {"name": "gone", "$patch": "delete"}],
                           "replaced": {"name": "r", "size": None}}}, live)
    assert result["spec"]["parts"] == [{"name": "a"}]
    assert result["spec"]["replaced"] == {"name": "r"}


def test_smp_type_change_replaces() -> None:
    assert smp({"spec": {"tags": "not-a-list"}})["spec"]["tags"] == "not-a-list"
    assert smp({"spec": {"unknown": [1]}})["spec"]["unknown"] == [1]


def test_smp_patch_shape_errors() -> None:
    assert smp(None) == LIVE
    error = status_error(smp, [1])
    assert (error.code, error.reason) == (400, "BadRequest")
    assert error.message == "json: cannot unmarshal array into Go value of type map[string]interface {}"


def test_smp_does_not_mutate_inputs() -> None:
    live, patch = copy.deepcopy(LIVE), {
        "metadata": {"labels": {"a": None}, "$deleteFromPrimitiveList/finalizers": ["f1"]},
        "spec": {"parts": [{"name": "p1", "$patch": "delete"}, {"name": "p9", "labels": {"x": "y"}}],
                 "$setElementOrder/tags": ["t2", "t1"], "unknown": {"$patch": "replace", "z": [1]}},
    }
    frozen_patch = copy.deepcopy(patch)
    result = strategic_merge_patch(live, patch, WIDGET)
    assert live == LIVE
    assert patch == frozen_patch
    result["spec"]["parts"][0]["labels"]["x"] = "changed"
    result["spec"]["unknown"]["z"].append(2)
    assert patch == frozen_patch


def test_patch_schema_lookup() -> None:
    child, meta = WIDGET.field("spec")
    assert meta == FieldPatchMeta()
    parts_schema, parts_meta = child.field("parts")
    assert parts_meta.merge_key == "name" and parts_meta.merges_list
    assert parts_schema.items().name == "Part"
    assert WIDGET.field("nope")[0].name == ""


def test_patch_schema_for_an_unknown_kind_still_knows_object_meta() -> None:
    schema = PatchSchema.for_kind({}, "Nope")
    assert schema.gvk is None
    live = {"metadata": {"finalizers": ["a"], "ownerReferences": [{"uid": "1", "name": "x"}]}, "spec": {"l": [1]}}
    result = strategic_merge_patch(live, {"metadata": {"finalizers": ["b"], "ownerReferences": [{"uid": "1", "name": "y"}]},
                                          "spec": {"l": [2]}}, schema)
    assert result == {"metadata": {"finalizers": ["b", "a"], "ownerReferences": [{"uid": "1", "name": "y"}]},
                      "spec": {"l": [2]}}


# --------------------------------------------------------------------------- the real image schema


@pytest.fixture(scope="module")
def image_schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


def test_real_schema_merge_keys(image_schema: dict[str, Any]) -> None:
    stream = PatchSchema.for_kind(image_schema, "ImageStream")
    spec, _ = stream.field("spec")
    assert spec.field("tags")[1].merge_key == "name"
    status, _ = stream.field("status")
    assert status.field("tags")[1].merge_key == "tag"
    image = PatchSchema.for_kind(image_schema, "Image")
    assert image.field("signatures")[1].merge_key == "name"
    assert image.field("dockerImageMetadata")[1].strategy == "replace"
    assert image.field("dockerImageLayers")[1].merges_list is False
    signature = PatchSchema.for_kind(image_schema, "ImageSignature")
    assert signature.field("conditions")[1].merge_key == "type"
    metadata, _ = stream.field("metadata")
    assert metadata.field("ownerReferences")[1].merge_key == "uid"
    assert metadata.field("finalizers")[1].merges_list
    # The packaged copy is the same file.
    assert PatchSchema.for_image_kind("ImageStream").field("spec")[0].field("tags")[1].merge_key == "name"


STREAM: dict[str, Any] = {
    "kind": "ImageStream", "apiVersion": "image.openshift.io/v1",
    "metadata": {"name": "s", "namespace": "ns", "annotations": {"a": "1"}},
    "spec": {"lookupPolicy": {"local": False}, "tags": [
        {"name": "latest", "from": {"kind": "DockerImage", "name": "quay.io/a/b:latest"},
         "importPolicy": {"scheduled": False}, "referencePolicy": {"type": "Source"}},
        {"name": "v1", "from": {"kind": "ImageStreamTag", "name": "s:latest"}},
    ]},
    "status": {"dockerImageRepository": "", "tags": [
        {"tag": "latest", "items": [{"image": "sha256:1", "generation": 1}, {"image": "sha256:0", "generation": 0}]},
    ]},
}


def test_real_schema_image_stream_spec_tags(image_schema: dict[str, Any]) -> None:
    schema = PatchSchema.for_kind(image_schema, "ImageStream")
    result = strategic_merge_patch(STREAM, {"spec": {"tags": [
        {"name": "latest", "importPolicy": {"scheduled": True}},
        {"name": "v2", "from": {"kind": "DockerImage", "name": "quay.io/a/b:v2"}},
        {"name": "v1", "$patch": "delete"},
    ]}}, schema)
    tags = {tag["name"]: tag for tag in result["spec"]["tags"]}
    assert set(tags) == {"latest", "v2"}
    assert tags["latest"]["importPolicy"] == {"scheduled": True}
    assert tags["latest"]["from"]["name"] == "quay.io/a/b:latest"  # untouched fields survive
    assert result["spec"]["lookupPolicy"] == {"local": False}


def test_real_schema_status_tags_items_are_replaced(image_schema: dict[str, Any]) -> None:
    schema = PatchSchema.for_kind(image_schema, "ImageStream")
    result = strategic_merge_patch(STREAM, {"status": {"tags": [
        {"tag": "latest", "items": [{"image": "sha256:2", "generation": 2}]},
        {"tag": "new", "items": []},
    ]}}, schema)
    by_tag = {tag["tag"]: tag for tag in result["status"]["tags"]}
    assert by_tag["latest"]["items"] == [{"image": "sha256:2", "generation": 2}]  # NamedTagEventList.items: replace
    assert by_tag["new"] == {"tag": "new", "items": []}


def test_real_schema_image_signatures_and_metadata(image_schema: dict[str, Any]) -> None:
    schema = PatchSchema.for_kind(image_schema, "Image")
    image = {
        "metadata": {"name": "sha256:1"},
        "dockerImageMetadata": {"kind": "DockerImage", "Id": "x", "Size": 5},
        "dockerImageLayers": [{"name": "l1", "size": 1}, {"name": "l2", "size": 2}],
        "signatures": [{"name": "sha256:1@a", "type": "atomic", "content": "QQ=="}],
    }
    result = strategic_merge_patch(image, {
        "dockerImageMetadata": {"Id": "y"},
        "dockerImageLayers": [{"name": "l3", "size": 3}],
        "signatures": [{"name": "sha256:1@a", "conditions": [{"type": "Trusted", "status": "True"}]},
                       {"name": "sha256:1@b", "type": "atomic", "content": "Qg=="}],
    }, schema)
    assert result["dockerImageMetadata"] == {"Id": "y"}
    assert result["dockerImageLayers"] == [{"name": "l3", "size": 3}]
    by_name = {signature["name"]: signature for signature in result["signatures"]}
    assert by_name["sha256:1@a"]["content"] == "QQ=="
    assert by_name["sha256:1@a"]["conditions"] == [{"type": "Trusted", "status": "True"}]
    assert "sha256:1@b" in by_name

    signed = strategic_merge_patch(result, {"signatures": [{"name": "sha256:1@a", "conditions": [
        {"type": "Trusted", "status": "False"}, {"type": "ForImage", "status": "True"}]}]}, schema)
    [signature] = [item for item in signed["signatures"] if item["name"] == "sha256:1@a"]
    # ImageSignature.conditions merge by type.
    assert {c["type"]: c["status"] for c in signature["conditions"]} == {"Trusted": "False", "ForImage": "True"}


# --------------------------------------------------------------------------- apply


def test_apply_requires_a_field_manager() -> None:
    for manager in (None, ""):
        error = status_error(apply_patch, LIVE, {"spec": {}}, WIDGET, field_manager=manager, force=False)
        assert (error.code, error.reason) == (422, "Invalid")
        assert error.message == (
            'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'
        )
        assert error.details is not None
        assert error.details["kind"] == "PatchOptions"
        assert error.details["group"] == "meta.k8s.io"


def test_apply_creates_when_nothing_is_live() -> None:
    applied = {"metadata": {"name": "w", "labels": {"a": "1", "gone": None}}, "spec": {"parts": [{"name": "p"}]}}
    assert apply_patch(None, applied, WIDGET, field_manager="me", force=False) == {
        "metadata": {"name": "w", "labels": {"a": "1"}}, "spec": {"parts": [{"name": "p"}]},
    }


def test_apply_merges_into_live() -> None:
    applied = {
        "metadata": {"labels": {"c": "3"}, "finalizers": ["f3", "f1"], "ownerReferences": [{"uid": "u2", "name": "2"}]},
        "spec": {"parts": [{"name": "p2", "color": "blue"}, {"name": "p9"}], "words": ["w9"], "tags": ["t3"],
                 "replaced": {"color": "x"}},
    }
    result = apply_patch(LIVE, applied, WIDGET, field_manager="me", force=True)
    assert result["metadata"]["labels"] == {"a": "1", "b": "2", "c": "3"}
    assert result["metadata"]["finalizers"] == ["f1", "f2", "f3"]
    assert result["metadata"]["ownerReferences"] == [{"uid": "u1", "name": "one"}, {"uid": "u2", "name": "2"}]
    assert result["spec"]["parts"] == [
        {"name": "p1", "size": 1, "color": "red"}, {"name": "p2", "size": 2, "color": "blue"}, {"name": "p9"},
    ]
    assert result["spec"]["words"] == ["w9"]  # atomic list: replaced
    assert result["spec"]["tags"] == ["t1", "t2", "t3"]  # merge list of primitives: union
    assert result["spec"]["replaced"] == {"color": "x"}  # replace strategy
    assert result["spec"]["byName"] == LIVE["spec"]["byName"]  # not mentioned: kept
    assert result["raw"] == LIVE["raw"]


def test_apply_null_removes_a_field() -> None:
    result = apply_patch(LIVE, {"metadata": {"labels": {"a": None}}}, WIDGET, field_manager="me", force=False)
    assert result["metadata"]["labels"] == {"b": "2"}


def test_apply_on_real_image_stream(image_schema: dict[str, Any]) -> None:
    schema = PatchSchema.for_kind(image_schema, "ImageStream")
    applied = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream", "metadata": {"name": "s"},
               "spec": {"tags": [{"name": "v1", "annotations": {"x": "y"}}, {"name": "v3", "from": {"kind": "DockerImage",
                                                                                                  "name": "r/i:3"}}]}}
    result = apply_patch(STREAM, applied, schema, field_manager="kubectl", force=False)
    names = [tag["name"] for tag in result["spec"]["tags"]]
    assert names == ["latest", "v1", "v3"]
    assert result["spec"]["tags"][1] == {"name": "v1", "from": {"kind": "ImageStreamTag", "name": "s:latest"},
                                         "annotations": {"x": "y"}}
    assert result["status"] == STREAM["status"]


def test_apply_rejects_non_object_configuration() -> None:
    error = status_error(apply_patch, LIVE, ["x"], WIDGET, field_manager="me", force=False)  # type: ignore[arg-type]
    assert (error.code, error.reason) == (400, "BadRequest")


def test_apply_does_not_mutate_inputs() -> None:
    live, applied = copy.deepcopy(LIVE), {"spec": {"parts": [{"name": "p1", "labels": {"k": "v"}}]}}
    frozen = copy.deepcopy(applied)
    result = apply_patch(live, applied, WIDGET, field_manager="me", force=False)
    result["spec"]["parts"][0]["labels"]["k"] = "changed"
    assert live == LIVE
    assert applied == frozen
    created = apply_patch(None, applied, WIDGET, field_manager="me", force=False)
    created["spec"]["parts"][0]["labels"]["k"] = "changed"
    assert applied == frozen


# --------------------------------------------------------------------------- options and dispatch


def test_patch_options_validation() -> None:
    validate_patch_options(MERGE_PATCH, field_manager=None, force=None)
    error = status_error(validate_patch_options, MERGE_PATCH, field_manager=None, force=True)
    assert error.message == 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch'
    error = status_error(validate_patch_options, APPLY_PATCH, field_manager="m" * 129, force=None)
    assert error.message == 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes'
    error = status_error(validate_patch_options, APPLY_PATCH, field_manager="bad\x00", force=None)
    assert error.message == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "bad\\x00": invalid character U+0000 '
        "(at position 3)"
    )
    # One error per unprintable character, at its byte offset; the value is printed as Go's %q.
    error = status_error(validate_patch_options, MERGE_PATCH, field_manager="é\tx\u200b", force=None)
    assert error.message == (
        'PatchOptions.meta.k8s.io "" is invalid: [fieldManager: Invalid value: "é\\tx\\u200b": invalid character '
        'U+0009 (at position 2), fieldManager: Invalid value: "é\\tx\\u200b": invalid character U+200B (at position 4)]'
    )
    validate_patch_options(APPLY_PATCH, field_manager="kubectl client-side apply é", force=True)


def test_patch_document_dispatches_by_content_type() -> None:
    doc = {"metadata": {"name": "a"}, "spec": {"tags": ["t1"]}}
    assert patch_document(JSON_PATCH, doc, [{"op": "add", "path": "/x", "value": 1}], WIDGET)["x"] == 1
    assert patch_document(MERGE_PATCH + "; charset=utf-8", doc, {"spec": {"tags": ["t2"]}}, WIDGET)["spec"] == {
        "tags": ["t2"]}
    assert patch_document(STRATEGIC_MERGE_PATCH, doc, {"spec": {"tags": ["t2"]}}, WIDGET)["spec"] == {
        "tags": ["t2", "t1"]}
    assert patch_document(APPLY_PATCH, None, {"metadata": {"name": "n"}}, WIDGET, field_manager="m") == {
        "metadata": {"name": "n"}}
    error = status_error(patch_document, "application/json", doc, {}, WIDGET)
    assert (error.code, error.reason) == (415, "UnsupportedMediaType")
    error = status_error(patch_document, MERGE_PATCH, doc, {}, WIDGET, force=False)
    assert error.code == 422


def test_apply_checks_api_version_and_kind(image_schema: dict[str, Any]) -> None:
    schema = PatchSchema.for_kind(image_schema, "ImageStream")
    assert schema.gvk == ("image.openshift.io", "v1", "ImageStream")
    error = status_error(apply_patch, STREAM, {"metadata": {"name": "s"}}, schema, field_manager="m", force=False)
    assert (error.code, error.reason, error.message) == (400, "BadRequest", "invalid object type: /, Kind=")
    error = status_error(apply_patch, None, {"apiVersion": "v1", "kind": "ImageStream"}, schema, field_manager="m",
                         force=False)
    assert error.message == "invalid object type: /v1, Kind=ImageStream"
    error = status_error(apply_patch, None, {"apiVersion": "image.openshift.io/v1", "kind": "Image"}, schema,
                         field_manager="m", force=False)
    assert error.message == "invalid object type: image.openshift.io/v1, Kind=Image"
    # Nested types carry no kind, so schemas for them (and untyped ones) skip the check.
    assert PatchSchema.for_kind(image_schema, "ImageStreamSpec").gvk is None
    assert apply_patch(None, {"a": 1}, PatchSchema.untyped(), field_manager="m", force=False) == {"a": 1}
