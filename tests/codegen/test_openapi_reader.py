"""``read_openapi`` on small hand-written OpenAPI v2 and v3 documents."""

from __future__ import annotations

from typing import Any

import pytest
from imageapi_codegen.openapi_reader import read_openapi

IMAGE = "com.github.openshift.api.image.v1"
META = "io.k8s.apimachinery.pkg.apis.meta.v1"


def _definitions(ref_prefix: str) -> dict[str, Any]:
    """The same small group in either dialect; only the ``$ref`` prefix differs."""
    return {
        f"{IMAGE}.ImageStream": {
            "description": "An ImageStream stores tags.",
            "type": "object",
            "properties": {
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "metadata": {"$ref": f"{ref_prefix}{META}.ObjectMeta"},
                "spec": {
                    "description": "The spec.",
                    "allOf": [{"$ref": f"{ref_prefix}{IMAGE}.ImageStreamSpec"}],
                },
                # Newer servers write siblings next to $ref (OpenAPI 3.1 style) instead of allOf.
                "status": {
                    "$ref": f"{ref_prefix}{IMAGE}.TagReference",
                    "default": {},
                    "description": "Status.",
                },
            },
            "x-kubernetes-group-version-kind": [
                {"group": "image.openshift.io", "kind": "ImageStream", "version": "v1"}
            ],
        },
        f"{IMAGE}.ImageStreamSpec": {
            "type": "object",
            "required": ["tags"],
            "properties": {
                "tags": {
                    "type": "array",
                    "items": {"$ref": f"{ref_prefix}{IMAGE}.TagReference"},
                    "x-kubernetes-patch-merge-key": "name",
                    "x-kubernetes-patch-strategy": "merge",
                },
                "generation": {"type": "integer", "format": "int64"},
                "weight": {"type": "integer", "format": "int32"},
                "count": {"type": "integer"},
                "ratio": {"type": "number", "format": "double"},
                "blob": {"type": "string", "format": "byte"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "layers": {
                    "type": "object",
                    "additionalProperties": {"$ref": f"{ref_prefix}{IMAGE}.TagReference"},
                },
                "created": {"$ref": f"{ref_prefix}{META}.Time"},
                "metadataBlob": {"$ref": f"{ref_prefix}io.k8s.apimachinery.pkg.runtime.RawExtension"},
                "fields": {"$ref": f"{ref_prefix}{META}.FieldsV1"},
                "keys": {
                    "type": "array",
                    "items": {"type": "string"},
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["uid"],
                },
                "selector": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "x-kubernetes-map-type": "atomic",
                },
            },
        },
        f"{IMAGE}.TagReference": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string", "description": "Name of the tag."}},
        },
        f"{META}.ObjectMeta": {"type": "object", "properties": {"name": {"type": "string"}}},
        f"{META}.Time": {"type": "string", "format": "date-time"},
        f"{META}.FieldsV1": {"type": "object"},
        "io.k8s.apimachinery.pkg.runtime.RawExtension": {"type": "object"},
        "io.k8s.api.core.v1.ObjectReference": {
            "type": "object",
            "properties": {"uid": {"type": "string"}},
            "x-kubernetes-map-type": "atomic",
        },
    }


def _v2() -> dict[str, Any]:
    return {
        "swagger": "2.0",
        "info": {"title": "t", "version": "v"},
        "definitions": _definitions("#/definitions/"),
    }


def _v3() -> dict[str, Any]:
    return {
        "openapi": "3.0.0",
        "info": {"title": "t", "version": "v"},
        "paths": {},
        "components": {"schemas": _definitions("#/components/schemas/")},
    }


@pytest.fixture(params=["v2", "v3"])
def doc(request: pytest.FixtureRequest) -> dict[str, Any]:
    return _v2() if request.param == "v2" else _v3()


def test_group_types_and_meta_types_are_kept_apart(doc: dict[str, Any]) -> None:
    schema = read_openapi(doc)
    assert sorted(schema["types"]) == ["ImageStream", "ImageStreamSpec", "TagReference"]
    # Time, FieldsV1 and RawExtension are built-in TypeRefs, not types.
    assert sorted(schema["metaTypes"]) == ["ObjectMeta", "ObjectReference"]
    assert schema["resources"] == {}
    assert schema["formatVersion"] == 1
    assert (schema["group"], schema["version"]) == ("image.openshift.io", "v1")


def test_field_types(doc: dict[str, Any]) -> None:
    fields = read_openapi(doc)["types"]["ImageStreamSpec"]["fields"]
    types = {name: field["type"] for name, field in fields.items()}
    assert types == {
        "blob": {"type": "byte"},
        "count": {"type": "integer", "format": None},
        "created": {"type": "Time"},
        "fields": {"type": "any"},
        "generation": {"type": "integer", "format": "int64"},
        "keys": {"type": "array", "items": {"type": "string"}},
        "labels": {"type": "map", "values": {"type": "string"}},
        "layers": {"type": "map", "values": {"type": "ref", "name": "TagReference"}},
        "metadataBlob": {"type": "RawExtension"},
        "ratio": {"type": "number", "format": "double"},
        "selector": {"type": "map", "values": {"type": "string"}},
        "tags": {"type": "array", "items": {"type": "ref", "name": "TagReference"}},
        "weight": {"type": "integer", "format": "int32"},
    }


def test_required_flags_and_descriptions(doc: dict[str, Any]) -> None:
    types = read_openapi(doc)["types"]
    assert types["ImageStreamSpec"]["fields"]["tags"]["required"] is True
    assert types["ImageStreamSpec"]["fields"]["generation"]["required"] is False
    assert types["TagReference"]["fields"]["name"] == {
        "type": {"type": "string"},
        "required": True,
        "description": "Name of the tag.",
    }
    # allOf-wrapped refs (the v3 server style) keep their own description.
    spec = types["ImageStream"]["fields"]["spec"]
    assert spec["type"] == {"type": "ref", "name": "ImageStreamSpec"}
    assert spec["description"] == "The spec."
    status = types["ImageStream"]["fields"]["status"]
    assert (status["type"], status["description"]) == ({"type": "ref", "name": "TagReference"}, "Status.")


def test_patch_and_list_extensions(doc: dict[str, Any]) -> None:
    schema = read_openapi(doc)
    fields = schema["types"]["ImageStreamSpec"]["fields"]
    assert (fields["tags"]["patchMergeKey"], fields["tags"]["patchStrategy"]) == ("name", "merge")
    assert (fields["keys"]["listType"], fields["keys"]["listMapKeys"]) == ("map", ["uid"])
    assert fields["selector"]["mapType"] == "atomic"
    assert "patchMergeKey" not in fields["generation"]
    assert schema["metaTypes"]["ObjectReference"]["mapType"] == "atomic"


def test_gvk_only_on_kinds(doc: dict[str, Any]) -> None:
    types = read_openapi(doc)["types"]
    assert types["ImageStream"]["gvk"] == {
        "group": "image.openshift.io",
        "version": "v1",
        "kind": "ImageStream",
    }
    assert types["ImageStreamSpec"]["gvk"] is None
    assert types["ImageStream"]["freeForm"] is False


def test_gvk_inferred_when_the_document_has_none() -> None:
    doc = _v2()
    del doc["definitions"][f"{IMAGE}.ImageStream"]["x-kubernetes-group-version-kind"]
    schema = read_openapi(doc)
    assert schema["types"]["ImageStream"]["gvk"]["kind"] == "ImageStream"
    assert schema["types"]["TagReference"]["gvk"] is None
    assert any("gvk inferred" in diagnostic["message"] for diagnostic in schema["diagnostics"])


def test_shared_envelope_gvk_prefers_the_group() -> None:
    doc = _v3()
    doc["components"]["schemas"][f"{META}.ObjectMeta"]["x-kubernetes-group-version-kind"] = [
        {"group": "", "kind": "WatchEvent", "version": "v1"},
        {"group": "image.openshift.io", "kind": "WatchEvent", "version": "v1"},
    ]
    gvk = read_openapi(doc)["metaTypes"]["ObjectMeta"]["gvk"]
    assert gvk == {"group": "image.openshift.io", "version": "v1", "kind": "WatchEvent"}


def test_v2_paths_with_shared_parameters_and_body() -> None:
    """A v2 document as ``/openapi/v2`` serves it: ``#/parameters`` refs, body parameters, no action."""
    doc = _v2()
    doc["parameters"] = {
        "pretty-x": {"name": "pretty", "in": "query", "type": "string", "description": "Pretty."}
    }
    item = "/apis/image.openshift.io/v1/namespaces/{namespace}/imagestreams/{name}"
    ref = {"$ref": f"#/definitions/{IMAGE}.ImageStream"}
    doc["paths"] = {
        item: {
            "parameters": [
                {"name": "name", "in": "path", "required": True, "type": "string"},
                {"name": "namespace", "in": "path", "required": True, "type": "string"},
                {"$ref": "#/parameters/pretty-x"},
            ],
            "get": {"responses": {"200": {"description": "OK", "schema": ref}}},
            "put": {
                "parameters": [
                    {"name": "body", "in": "body", "required": True, "schema": ref},
                    {"name": "dryRun", "in": "query", "type": "string"},
                ],
                "responses": {"200": {"description": "OK", "schema": ref}},
            },
        },
        "/apis/image.openshift.io/v1/watch/imagestreams": {
            "get": {
                "x-kubernetes-action": "watchlist",
                "responses": {
                    "200": {"description": "OK", "schema": {"$ref": f"#/definitions/{META}.ObjectMeta"}}
                },
            }
        },
    }
    resource = read_openapi(doc)["resources"]["imagestreams"]
    assert resource["namespaced"] is True
    assert resource["kind"] == "ImageStream"  # from the get response, as there is no gvk on the operations
    assert resource["verbs"] == ["get", "update", "watch"]
    put = next(operation for operation in resource["operations"] if operation["method"] == "PUT")
    assert put["action"] == "update"
    assert put["requestType"] == "ImageStream"
    assert put["parameters"] == [
        {"name": "dryRun", "type": "string", "description": ""},
        {"name": "pretty", "type": "string", "description": "Pretty."},
    ]
    watch = next(operation for operation in resource["operations"] if "/watch/" in operation["path"])
    assert watch["action"] == "watch"


def test_v3_paths_give_resources_and_subresources() -> None:
    doc = _v3()
    schemas = "#/components/schemas/"
    stream = {"$ref": f"{schemas}{IMAGE}.ImageStream"}
    gvk = {"group": "image.openshift.io", "kind": "ImageStream", "version": "v1"}
    base = "/apis/image.openshift.io/v1/namespaces/{namespace}/imagestreams"

    def operation(action: str, body: bool = False) -> dict[str, Any]:
        result: dict[str, Any] = {
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": gvk,
            "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}}]
            if action == "list"
            else [],
            "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": stream}}}},
        }
        if body:
            result["requestBody"] = {"content": {"*/*": {"schema": stream}}}
        return result

    doc["paths"] = {
        base: {"get": operation("list"), "post": operation("post", body=True)},
        base + "/{name}/status": {"get": operation("get"), "put": operation("put", body=True)},
        "/apis/image.openshift.io/v1/": {"get": {"responses": {}}},
    }
    resources = read_openapi(doc)["resources"]
    assert list(resources) == ["imagestreams"]
    resource = resources["imagestreams"]
    assert resource["verbs"] == ["create", "list"]
    assert resource["createResponseType"] == "ImageStream"
    assert resource["listKind"] == "ImageStream"  # the list response names the (here simplified) type
    assert resource["subresources"] == {
        "status": {
            "kind": "ImageStream",
            "verbs": ["get", "update"],
            "requestType": "ImageStream",
            "responseType": "ImageStream",
        }
    }
    listing = resource["operations"][0]
    assert (listing["method"], listing["action"]) == ("GET", "list")
    assert listing["parameters"] == [{"name": "limit", "type": "integer", "description": ""}]
    assert [operation["method"] for operation in resource["operations"]] == ["GET", "POST", "GET", "PUT"]


def test_another_package_can_be_named_the_group() -> None:
    """Kubernetes' own groups live in io.k8s.api.<group>.<version>, not the OpenShift package."""
    doc = _v3()
    schemas = doc["components"]["schemas"]
    schemas["io.k8s.api.scheduling.v1.PriorityClass"] = {
        "type": "object",
        "properties": {"value": {"type": "integer", "format": "int32"}},
    }
    schema = read_openapi(doc, group="scheduling.k8s.io", version="v1", package="io.k8s.api.scheduling.v1")
    assert list(schema["types"]) == ["PriorityClass"]
    assert "ImageStream" in schema["metaTypes"]


def test_kind_from_the_create_body_when_nothing_else_names_it() -> None:
    doc = _v2()
    body = {"name": "body", "in": "body", "schema": {"$ref": f"#/definitions/{IMAGE}.TagReference"}}
    status = {"$ref": f"#/definitions/{META}.ObjectMeta"}
    doc["paths"] = {
        "/apis/image.openshift.io/v1/namespaces/{namespace}/imagestreammappings": {
            "post": {"parameters": [body], "responses": {"201": {"description": "Created", "schema": status}}}
        }
    }
    resource = read_openapi(doc)["resources"]["imagestreammappings"]
    assert resource["kind"] == "TagReference"
    assert resource["createResponseType"] == "ObjectMeta"
    assert resource["verbs"] == ["create"]
    assert resource["listKind"] is None
