"""OpenAPI v3 documents of the group versions the fake serves without a generated schema (the core
group and the workload groups), built from their resource tables.

A client reads these documents for two things: whether a kind's PATCH takes ``fieldValidation``
(kubectl's ``QueryParamVerifierV3``: if it does, kubectl leaves validation to the server instead of
validating manifests against a schema it would not find) and the kinds' schemas. Operations are
described as the apiserver publishes them (paths, ``x-kubernetes-action``,
``x-kubernetes-group-version-kind``, query parameters); each kind's schema declares ``apiVersion``,
``kind`` and ``metadata`` and keeps every other field (``x-kubernetes-preserve-unknown-fields``),
which is exactly what the fake checks of these objects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from .._resource_info import ResourceInfo
from ._contracts import JSON

_META = "io.k8s.apimachinery.pkg.apis.meta.v1"

_LIST_PARAMETERS = ("allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit", "resourceVersion",
                    "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch")
_WRITE_PARAMETERS = ("dryRun", "fieldManager", "fieldValidation")
_PATCH_TYPES = ("application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json",
                "application/strategic-merge-patch+json")
_BOOLEAN_PARAMETERS = frozenset({"allowWatchBookmarks", "force", "sendInitialEvents", "watch"})
_INTEGER_PARAMETERS = frozenset({"limit", "timeoutSeconds"})


def schema_name(info: ResourceInfo, kind: str | None = None) -> str:
    """The component name of a kind, in the apiserver's naming (``io.k8s.api.apps.v1.Deployment``,
    ``com.github.openshift.api.build.v1.Build``)."""
    group = info.group.split(".", 1)[0] if info.group else "core"
    root = "com.github.openshift.api" if info.group.endswith(".openshift.io") else "io.k8s.api"
    return f"{root}.{group}.{info.version}.{kind or info.kind}"


def _ref(name: str) -> JSON:
    return {"$ref": f"#/components/schemas/{name}"}


def _query(name: str) -> JSON:
    kind = "boolean" if name in _BOOLEAN_PARAMETERS else "integer" if name in _INTEGER_PARAMETERS else "string"
    return {"name": name, "in": "query", "schema": {"type": kind, "uniqueItems": True}}


def _path_parameter(name: str) -> JSON:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "uniqueItems": True}}


def _operation(info: ResourceInfo, action: str, response: str, parameters: tuple[str, ...],
               body: tuple[str, ...] = (), body_schema: str | None = None, kind: str | None = None) -> JSON:
    gvk = {"group": info.group, "version": info.version, "kind": kind or info.kind}
    operation: JSON = {
        "operationId": f"{action}{info.kind}",
        "parameters": [_query(name) for name in parameters],
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": _ref(response)}}},
                      "401": {"description": "Unauthorized"}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk,
    }
    if body:
        schema = _ref(body_schema or response)
        operation["requestBody"] = {"content": {media: {"schema": schema} for media in body}, "required": True}
    return operation


def _paths(info: ResourceInfo, prefix: str) -> JSON:
    kind_schema, list_schema = schema_name(info), schema_name(info, info.list_kind)
    status = f"{_META}.Status"
    json_body = ("application/json",)
    collection: JSON = {
        "get": _operation(info, "list", list_schema, _LIST_PARAMETERS, kind=info.kind),
        "post": _operation(info, "post", kind_schema, _WRITE_PARAMETERS, json_body),
        "delete": _operation(info, "deletecollection", status, ("dryRun", *_LIST_PARAMETERS)),
    }
    item: JSON = {
        "get": _operation(info, "get", kind_schema, ()),
        "put": _operation(info, "put", kind_schema, _WRITE_PARAMETERS, json_body),
        "patch": _operation(info, "patch", kind_schema, (*_WRITE_PARAMETERS, "force"), _PATCH_TYPES, f"{_META}.Patch"),
        "delete": _operation(info, "delete", status, ("dryRun", "gracePeriodSeconds", "propagationPolicy"),
                             json_body, f"{_META}.DeleteOptions"),
    }
    base = f"{prefix}/namespaces/{{namespace}}/{info.plural}" if info.namespaced else f"{prefix}/{info.plural}"
    scope = [_path_parameter("namespace")] if info.namespaced else []
    paths: JSON = {
        base: {**collection, "parameters": scope},
        f"{base}/{{name}}": {**item, "parameters": [_path_parameter("name"), *scope]},
    }
    if "status" in info.subresources:
        status_item = {verb: item[verb] for verb in ("get", "put", "patch")}
        paths[f"{base}/{{name}}/status"] = {**status_item, "parameters": [_path_parameter("name"), *scope]}
    if info.namespaced:
        paths[f"{prefix}/{info.plural}"] = {"get": _operation(info, "list", list_schema, _LIST_PARAMETERS),
                                            "parameters": []}
    return paths


def _schemas(info: ResourceInfo) -> JSON:
    gvk = [{"group": info.group, "version": info.version, "kind": info.kind}]
    api_version = {"type": "string"}
    kind_schema: JSON = {
        "type": "object",
        "description": f"{info.kind}: stored by the fake without schema validation beyond metadata.",
        "properties": {"apiVersion": api_version, "kind": {"type": "string"},
                       "metadata": {"allOf": [_ref(f"{_META}.ObjectMeta")], "default": {}}},
        "x-kubernetes-preserve-unknown-fields": True,
        "x-kubernetes-group-version-kind": gvk,
    }
    list_schema: JSON = {
        "type": "object",
        "required": ["items"],
        "properties": {"apiVersion": api_version, "kind": {"type": "string"},
                       "items": {"type": "array", "items": {"allOf": [_ref(schema_name(info))], "default": {}}},
                       "metadata": {"allOf": [_ref(f"{_META}.ListMeta")], "default": {}}},
        "x-kubernetes-group-version-kind": [{**gvk[0], "kind": info.list_kind}],
    }
    return {schema_name(info): kind_schema, schema_name(info, info.list_kind): list_schema}


def group_version_document(prefix: str, table: Mapping[str, ResourceInfo], meta_schemas: JSON) -> bytes:
    """The OpenAPI v3 document of the group version at ``prefix`` (``/api/v1``, ``/apis/apps/v1``).
    ``meta_schemas`` are the ``meta.v1`` components (ObjectMeta, ListMeta, Status, …) the kinds refer to."""
    paths: JSON = {}
    schemas: JSON = dict(meta_schemas)
    for info in table.values():
        paths.update(_paths(info, prefix))
        schemas.update(_schemas(info))
    document = {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "unversioned"},
                "paths": dict(sorted(paths.items())), "components": {"schemas": dict(sorted(schemas.items()))}}
    return json.dumps(document, separators=(",", ":")).encode()


__all__ = ["group_version_document", "schema_name"]
