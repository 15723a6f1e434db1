"""normalized schema → ``emit_openapi.render`` → ``read_openapi`` gives the same normalized schema back.

Run on the committed docs-derived schema (when stage 1 has written it) and on a sample built from the
published definitions plus resources laid out as server-semantics.md §1 describes them. Also checks
that the emitted document hangs together as OpenAPI: every ``$ref`` resolves, every path parameter is
declared, operationIds are unique, and the file is the deterministic text ``render`` promises.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from imageapi_codegen import emit_openapi
from imageapi_codegen.openapi_reader import read_openapi

ROOT = Path(__file__).resolve().parents[2]
COMMITTED_SCHEMA = ROOT / "imageapi" / "schema" / "image.openshift.io-v1.json"
META_TYPES = ROOT / "scripts" / "imageapi_codegen" / "meta_types.json"
REFERENCE = ROOT.parent / "shared" / "reference" / "openapi-image-v1.release-4.17.json"

# Resource facts that OpenAPI has no place for; the reader fills in fixed defaults instead.
NOT_CARRIED_BY_OPENAPI = ("singular", "shortNames", "categories", "listChunking")
# Meta types the normalized form writes as built-in TypeRefs; the emitter writes their fixed wire form.
BUILTIN_NAMES = ("Time", "MicroTime", "RawExtension", "FieldsV1")

BASE = "/apis/image.openshift.io/v1"


def _param(name: str, type_: str = "string") -> dict[str, str]:
    return {"name": name, "type": type_, "description": f"The {name} query parameter."}


LIST_PARAMS = [
    _param("continue"),
    _param("labelSelector"),
    _param("limit", "integer"),
    _param("pretty"),
    _param("timeoutSeconds", "integer"),
    _param("watch", "boolean"),
]
WRITE_PARAMS = [_param("dryRun"), _param("fieldManager"), _param("pretty")]
PATCH_PARAMS = [_param("dryRun"), _param("fieldManager"), _param("force", "boolean"), _param("pretty")]
DELETE_PARAMS = [_param("dryRun"), _param("gracePeriodSeconds", "integer"), _param("pretty")]
GET_PARAMS = [_param("pretty")]


def _sample_resource(
    plural: str,
    kind: str,
    *,
    namespaced: bool,
    verbs: list[str],
    list_kind: str | None = None,
    create_response: str | None = None,
    subresources: dict[str, dict[str, Any]] | None = None,
    short_names: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A ResourceDef with the operations the server routes for ``verbs``."""
    scope = "/namespaces/{namespace}" if namespaced else ""
    collection = f"{BASE}{scope}/{plural}"
    item = f"{collection}/{{name}}"
    operations: list[dict[str, Any]] = []

    def add(
        path: str,
        method: str,
        action: str,
        request: str | None,
        response: str | None,
        params: list[Any],
        subresource: str | None = None,
    ) -> None:
        operations.append(
            {
                "path": path,
                "method": method,
                "action": action,
                "subresource": subresource,
                "requestType": request,
                "responseType": response,
                "parameters": params,
            }
        )

    if "list" in verbs:
        add(collection, "GET", "list", None, list_kind, LIST_PARAMS)
        if namespaced:
            add(f"{BASE}/{plural}", "GET", "list", None, list_kind, LIST_PARAMS)
    if "watch" in verbs:
        add(f"{BASE}/watch{scope}/{plural}", "GET", "watch", None, "WatchEvent", LIST_PARAMS)
        add(f"{BASE}/watch{scope}/{plural}/{{name}}", "GET", "watch", None, "WatchEvent", LIST_PARAMS)
        if namespaced:
            add(f"{BASE}/watch/{plural}", "GET", "watch", None, "WatchEvent", LIST_PARAMS)
    if "create" in verbs:
        add(collection, "POST", "create", kind, create_response or kind, WRITE_PARAMS)
    if "deletecollection" in verbs:
        add(
            collection,
            "DELETE",
            "deletecollection",
            "DeleteOptions",
            "Status",
            DELETE_PARAMS + LIST_PARAMS[:3],
        )
    if "get" in verbs:
        add(item, "GET", "get", None, kind, GET_PARAMS)
    if "update" in verbs:
        add(item, "PUT", "update", kind, kind, WRITE_PARAMS)
    if "patch" in verbs:
        add(item, "PATCH", "patch", "Patch", kind, PATCH_PARAMS)
    if "delete" in verbs:
        add(item, "DELETE", "delete", "DeleteOptions", "Status", DELETE_PARAMS)
    for name, sub in (subresources or {}).items():
        if "get" in sub["verbs"]:
            add(f"{item}/{name}", "GET", "get", None, sub["responseType"], GET_PARAMS, name)
        if "update" in sub["verbs"]:
            add(
                f"{item}/{name}", "PUT", "update", sub["requestType"], sub["responseType"], WRITE_PARAMS, name
            )
        if "patch" in sub["verbs"]:
            add(f"{item}/{name}", "PATCH", "patch", "Patch", sub["responseType"], PATCH_PARAMS, name)
    operations.sort(key=lambda operation: (operation["path"], operation["method"]))
    for operation in operations:
        operation["parameters"] = sorted(operation["parameters"], key=lambda parameter: parameter["name"])
    return {
        "kind": kind,
        "listKind": list_kind,
        "singular": kind.lower(),
        "namespaced": namespaced,
        "verbs": sorted(verbs),
        "shortNames": list(short_names),
        "categories": [],
        "listChunking": True,
        "subresources": subresources or {},
        "createResponseType": (create_response or kind) if "create" in verbs else None,
        "operations": operations,
    }


ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
VIRTUAL_VERBS = ["create", "delete", "get", "list", "patch", "update"]


def _sample_resources() -> dict[str, Any]:
    return {
        "images": _sample_resource(
            "images", "Image", namespaced=False, verbs=ALL_VERBS, list_kind="ImageList"
        ),
        "imagesignatures": _sample_resource(
            "imagesignatures", "ImageSignature", namespaced=False, verbs=["create", "delete"]
        ),
        "imagestreams": _sample_resource(
            "imagestreams",
            "ImageStream",
            namespaced=True,
            verbs=ALL_VERBS,
            list_kind="ImageStreamList",
            short_names=("is",),
            subresources={
                "layers": {
                    "kind": "ImageStreamLayers",
                    "verbs": ["get"],
                    "requestType": None,
                    "responseType": "ImageStreamLayers",
                },
                "secrets": {
                    "kind": "SecretList",
                    "verbs": ["get"],
                    "requestType": None,
                    "responseType": "SecretList",
                },
                "status": {
                    "kind": "ImageStream",
                    "verbs": ["get", "patch", "update"],
                    "requestType": "ImageStream",
                    "responseType": "ImageStream",
                },
            },
        ),
        "imagestreamimages": _sample_resource(
            "imagestreamimages", "ImageStreamImage", namespaced=True, verbs=["get"]
        ),
        "imagestreamimports": _sample_resource(
            "imagestreamimports", "ImageStreamImport", namespaced=True, verbs=["create"]
        ),
        "imagestreammappings": _sample_resource(
            "imagestreammappings",
            "ImageStreamMapping",
            namespaced=True,
            verbs=["create"],
            create_response="Status",
        ),
        "imagestreamtags": _sample_resource(
            "imagestreamtags",
            "ImageStreamTag",
            namespaced=True,
            verbs=VIRTUAL_VERBS,
            list_kind="ImageStreamTagList",
        ),
        "imagetags": _sample_resource(
            "imagetags", "ImageTag", namespaced=True, verbs=VIRTUAL_VERBS, list_kind="ImageTagList"
        ),
    }


def _meta_types() -> dict[str, Any]:
    meta: dict[str, Any] = json.loads(META_TYPES.read_text())["types"]
    return meta


def _committed_case() -> dict[str, Any]:
    if not COMMITTED_SCHEMA.exists():
        pytest.skip(f"stage 1 has not written {COMMITTED_SCHEMA.relative_to(ROOT)} yet")
    schema: dict[str, Any] = json.loads(COMMITTED_SCHEMA.read_text())
    return schema


def _reference_case() -> dict[str, Any]:
    return _with_sample_resources(read_openapi(json.loads(REFERENCE.read_text()))["types"])


def _sample_case() -> dict[str, Any]:
    """The committed group types with the sample resources: in every clone."""
    return _with_sample_resources(_committed_case()["types"])


def _with_sample_resources(types: dict[str, Any]) -> dict[str, Any]:
    return {
        "formatVersion": 1,
        "group": "image.openshift.io",
        "version": "v1",
        "types": types,
        "resources": _sample_resources(),
    }


@pytest.fixture(
    params=[
        "committed-docs-schema",
        pytest.param("reference-types-with-sample-resources", marks=pytest.mark.reference_set),
    ]
)
def normalized(request: pytest.FixtureRequest) -> dict[str, Any]:
    """A normalized schema to push through the emitter and the reader."""
    return _committed_case() if request.param == "committed-docs-schema" else _reference_case()


def _round_trip(schema: dict[str, Any], meta: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    text = emit_openapi.render(schema, {"types": meta})[emit_openapi.OUTPUT_PATH]
    document: dict[str, Any] = json.loads(text)
    return document, read_openapi(document)


def _without_uncarried(resources: dict[str, Any]) -> dict[str, Any]:
    trimmed = copy.deepcopy(resources)
    for resource in trimmed.values():
        for key in NOT_CARRIED_BY_OPENAPI:
            resource.pop(key)
    return trimmed


def test_types_fields_and_extensions_survive(normalized: dict[str, Any]) -> None:
    meta = _meta_types()
    _, back = _round_trip(normalized, meta)
    assert back["types"] == normalized["types"]
    assert back["metaTypes"] == {
        name: type_def for name, type_def in meta.items() if name not in BUILTIN_NAMES
    }


def test_resources_operations_and_parameters_survive(normalized: dict[str, Any]) -> None:
    _, back = _round_trip(normalized, _meta_types())
    assert _without_uncarried(back["resources"]) == _without_uncarried(normalized["resources"])
    # Scope and kind are what the OpenAPI paths say; singular is the lower-cased kind on both sides.
    for plural, resource in normalized["resources"].items():
        assert back["resources"][plural]["singular"] == resource["singular"]


def test_patch_merge_keys_reach_the_document(normalized: dict[str, Any]) -> None:
    """kubectl's strategic merge patch reads these from the served document."""
    document, _ = _round_trip(normalized, _meta_types())
    schemas = document["components"]["schemas"]
    package = "com.github.openshift.api.image.v1"
    expected = {
        ("ImageStreamSpec", "tags"): "name",
        ("ImageStreamStatus", "tags"): "tag",
        ("Image", "signatures"): "name",
        ("ImageSignature", "conditions"): "type",
    }
    for (type_name, field), key in expected.items():
        prop = schemas[f"{package}.{type_name}"]["properties"][field]
        assert prop["x-kubernetes-patch-merge-key"] == key
        assert prop["x-kubernetes-patch-strategy"] == "merge"


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_document_is_self_consistent(normalized: dict[str, Any]) -> None:
    document, _ = _round_trip(normalized, _meta_types())
    assert document["openapi"] == "3.0.0"
    schemas = document["components"]["schemas"]
    dangling = {ref for ref in _refs(document) if ref.removeprefix("#/components/schemas/") not in schemas}
    assert dangling == set()
    operation_ids = []
    for path, path_item in document["paths"].items():
        declared = {parameter["name"] for parameter in path_item["parameters"] if parameter["in"] == "path"}
        templated = {segment[1:-1] for segment in path.split("/") if segment.startswith("{")}
        assert declared == templated, path
        for method in ("get", "put", "post", "patch", "delete"):
            if method in path_item:
                operation_ids.append(path_item[method]["operationId"])
    assert len(operation_ids) == len(set(operation_ids))


def test_kubernetes_style_operation_ids_and_actions() -> None:
    document, _ = _round_trip(_sample_case(), _meta_types())
    paths = document["paths"]
    namespaced = f"{BASE}/namespaces/{{namespace}}/imagestreams"
    assert (
        paths[f"{namespaced}/{{name}}"]["get"]["operationId"] == "readImageOpenshiftIoV1NamespacedImageStream"
    )
    assert paths[f"{BASE}/images"]["get"]["operationId"] == "listImageOpenshiftIoV1Image"
    assert (
        paths[f"{BASE}/imagestreams"]["get"]["operationId"]
        == "listImageOpenshiftIoV1ImageStreamForAllNamespaces"
    )
    assert (
        paths[namespaced]["delete"]["operationId"]
        == "deleteImageOpenshiftIoV1CollectionNamespacedImageStream"
    )
    assert paths[f"{namespaced}/{{name}}/status"]["put"]["operationId"] == (
        "replaceImageOpenshiftIoV1NamespacedImageStreamStatus"
    )
    watch_list = paths[f"{BASE}/watch/namespaces/{{namespace}}/imagestreams"]["get"]
    assert watch_list["operationId"] == "watchImageOpenshiftIoV1NamespacedImageStreamList"
    assert watch_list["x-kubernetes-action"] == "watchlist"
    create = paths[namespaced]["post"]
    assert create["x-kubernetes-action"] == "post"
    assert create["x-kubernetes-group-version-kind"] == {
        "group": "image.openshift.io",
        "kind": "ImageStream",
        "version": "v1",
    }
    assert sorted(create["responses"]) == ["200", "201", "202", "401"]
    mapping = paths[f"{BASE}/namespaces/{{namespace}}/imagestreammappings"]["post"]
    assert mapping["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Status"
    }
    # No watch route for a resource the server cannot watch.
    assert not any("/watch/" in path and "imagestreamtags" in path for path in paths)


def test_render_is_deterministic_and_marked() -> None:
    schema = _sample_case()
    first = emit_openapi.render(schema, _meta_types())
    shuffled = dict(reversed(list(schema["types"].items())))
    second = emit_openapi.render({**schema, "types": shuffled}, _meta_types())
    assert first == second
    text = first[emit_openapi.OUTPUT_PATH]
    assert text.splitlines()[1].startswith('  "x-generated-by": "GENERATED by python scripts/codegen.py')
    assert "python scripts/codegen.py" in json.loads(text)["info"]["description"]
