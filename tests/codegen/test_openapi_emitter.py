"""``emit_openapi.build_document`` on small hand-written normalized schemas."""

from __future__ import annotations

from typing import Any

import pytest
from imageapi_codegen import emit_openapi

IMAGE = "#/components/schemas/com.github.openshift.api.image.v1"
CORE = "#/components/schemas/io.k8s.api.core.v1"


def _field(type_ref: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": type_ref, "required": False, "description": "", **extra}


def _type(fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"description": "", "gvk": None, "freeForm": False, "fields": fields, **extra}


def _schema(types: dict[str, Any], resources: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"group": "image.openshift.io", "version": "v1", "types": types, "resources": resources or {}}


def test_a_reference_to_an_undefined_type_fails_loudly() -> None:
    schema = _schema({"Holder": _type({"x": _field({"type": "ref", "name": "Missing"})})})
    with pytest.raises(ValueError, match="Missing"):
        emit_openapi.build_document(schema, {"types": {}})


def test_group_types_shadow_meta_types_of_the_same_name_inside_the_group() -> None:
    """SecretList is both the group's own kind and a core/v1 type."""
    secret = _type({"data": _field({"type": "map", "values": {"type": "byte"}})})
    meta = {
        "Secret": secret,
        "SecretList": _type({"items": _field({"type": "array", "items": {"type": "ref", "name": "Secret"}})}),
    }
    group_list = _type({"items": _field({"type": "array", "items": {"type": "ref", "name": "Secret"}})})
    holder = _type({"secrets": _field({"type": "ref", "name": "SecretList"})})
    document = emit_openapi.build_document(
        _schema({"SecretList": group_list, "Holder": holder}), {"types": meta}
    )
    schemas = document["components"]["schemas"]
    assert schemas["com.github.openshift.api.image.v1.Holder"]["properties"]["secrets"]["allOf"] == [
        {"$ref": f"{IMAGE}.SecretList"}
    ]
    assert "io.k8s.api.core.v1.SecretList" in schemas
    assert schemas["io.k8s.api.core.v1.Secret"]["properties"]["data"] == {
        "type": "object",
        "additionalProperties": {"type": "string", "format": "byte"},
    }
    assert schemas["com.github.openshift.api.image.v1.SecretList"]["properties"]["items"]["items"] == {
        "$ref": f"{CORE}.Secret"
    }


def test_value_schemas() -> None:
    fields = {
        "any": _field({"type": "any"}, description="Anything."),
        "count": _field({"type": "integer", "format": None}),
        "size": _field({"type": "integer", "format": "int64"}),
        "when": _field({"type": "Time"}),
        "blob": _field({"type": "RawExtension"}, patchStrategy="replace"),
    }
    document = emit_openapi.build_document(_schema({"T": _type(fields)}), {"types": {}})
    schemas = document["components"]["schemas"]
    properties = schemas["com.github.openshift.api.image.v1.T"]["properties"]
    assert properties["any"] == {"description": "Anything."}
    assert properties["count"] == {"type": "integer"}
    assert properties["size"] == {"type": "integer", "format": "int64"}
    assert properties["when"] == {
        "allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time"}]
    }
    assert properties["blob"]["x-kubernetes-patch-strategy"] == "replace"
    # Built-in wire forms are written only because something uses them.
    assert schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Time"] == {
        "description": "An RFC 3339 date and time, serialized as a string.",
        "type": "string",
        "format": "date-time",
    }
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.Patch" not in schemas


def test_free_form_kinds_and_type_level_map_type() -> None:
    kind = _type({}, freeForm=True, gvk={"group": "image.openshift.io", "version": "v1", "kind": "Blob"})
    reference = _type({"uid": _field({"type": "string"})}, mapType="atomic")
    document = emit_openapi.build_document(_schema({"Blob": kind}), {"types": {"ObjectReference": reference}})
    schemas = document["components"]["schemas"]
    blob = schemas["com.github.openshift.api.image.v1.Blob"]
    assert "properties" not in blob
    assert blob["x-kubernetes-group-version-kind"] == [
        {"group": "image.openshift.io", "kind": "Blob", "version": "v1"}
    ]
    assert schemas["io.k8s.api.core.v1.ObjectReference"]["x-kubernetes-map-type"] == "atomic"
