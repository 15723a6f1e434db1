"""Stage 2 emitter: the normalized schema → the group's OpenAPI v3 document.

The output is what a real server serves at ``/openapi/v3/apis/image.openshift.io/v1``: every path and
operation of every resource with Kubernetes-style ``operationId``s, ``x-kubernetes-action`` and
``x-kubernetes-group-version-kind``, request bodies and responses, and ``components.schemas`` named
after the Go packages (``com.github.openshift.api.image.v1.ImageStream``,
``io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta``…) carrying the patch extensions. The fake
cluster serves it; kubectl reads it for ``explain``, for strategic-merge-patch keys, and to see
that ``create``/``apply`` may leave strict field validation to the server (the ``fieldValidation``
query parameter on the write operations).

:func:`imageapi_codegen.openapi_reader.read_openapi` reads this document back into the same
normalized schema (the round-trip test holds the two to that). The document says it is generated
in its first key, ``x-generated-by``, and in ``info.description``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from imageapi_codegen.openapi_conventions import (
    ACTION_EXTENSION,
    FIELD_EXTENSIONS,
    GVK_EXTENSION,
    META_V1_PACKAGE,
    RUNTIME_PACKAGE,
    SERVER_ACTIONS,
    group_package,
    meta_package,
)
from imageapi_codegen.output import GENERATED_BY

__all__ = ["OUTPUT_PATH", "build_document", "render"]

JSON = dict[str, Any]

OUTPUT_PATH = "imageapi/schema/openapi-v3.json"
GENERATOR_COMMAND = "python scripts/codegen.py"
GENERATED_KEY = "x-generated-by"

_SCHEMA_REF_PREFIX = "#/components/schemas/"

_MEDIA_TYPES = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"]
_STREAM_MEDIA_TYPES = ["application/json;stream=watch", "application/vnd.kubernetes.protobuf;stream=watch"]
_PATCH_MEDIA_TYPES = [
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
]

# The success codes the server documents per action (from its route installer), with their texts.
_SUCCESS_RESPONSES: dict[str, list[tuple[str, str]]] = {
    "get": [("200", "OK")],
    "list": [("200", "OK")],
    "watch": [("200", "OK")],
    "create": [("200", "OK"), ("201", "Created"), ("202", "Accepted")],
    "update": [("200", "OK"), ("201", "Created")],
    "patch": [("200", "OK"), ("201", "Created")],
    "delete": [("200", "OK"), ("202", "Accepted")],
    "deletecollection": [("200", "OK")],
}

# operationId verbs, as the server's installer spells them.
_OPERATION_VERBS = {
    "get": "read",
    "list": "list",
    "watch": "watch",
    "create": "create",
    "update": "replace",
    "patch": "patch",
    "delete": "delete",
    "deletecollection": "delete",
}

# Schemas the normalized form expresses as built-in TypeRefs (or only names as a body type); their
# wire form is fixed by Kubernetes, so they are written here rather than taken from meta_types.json.
_BUILTIN_SCHEMAS: dict[str, JSON] = {
    f"{META_V1_PACKAGE}.Time": {
        "description": "An RFC 3339 date and time, serialized as a string.",
        "type": "string",
        "format": "date-time",
    },
    f"{RUNTIME_PACKAGE}.RawExtension": {
        "description": "An embedded object of any kind, kept as raw JSON.",
        "type": "object",
    },
    f"{META_V1_PACKAGE}.Patch": {
        "description": "The body of a PATCH request, in the format the Content-Type names.",
        "type": "object",
    },
}
_BUILTIN_BY_NAME = {name.rsplit(".", 1)[-1]: name for name in _BUILTIN_SCHEMAS}


def render(schema: Mapping[str, Any], meta_types: Mapping[str, Any]) -> dict[str, str]:
    """Render the group's OpenAPI v3 document: ``{"imageapi/schema/openapi-v3.json": <text>}``.

    ``schema`` is the normalized schema; ``meta_types`` is ``meta_types.json`` (``{"types": {...}}``,
    or the bare mapping of type name to TypeDef). The text is deterministic: sorted keys, two-space
    indentation, a trailing newline.
    """
    document = _sorted_tree(build_document(schema, meta_types))
    # The marker goes first so the file's second line says it is generated. OpenAPI allows only
    # x- extensions beside its own fields, hence not the "//" key the other generated JSON uses.
    document = {GENERATED_KEY: GENERATED_BY, **document}
    return {OUTPUT_PATH: json.dumps(document, indent=2, ensure_ascii=False) + "\n"}


def _sorted_tree(value: Any) -> Any:
    """``value`` with every object's keys sorted (``json.dumps(sort_keys=True)`` without the top level)."""
    if isinstance(value, dict):
        return {key: _sorted_tree(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_tree(item) for item in value]
    return value


def build_document(schema: Mapping[str, Any], meta_types: Mapping[str, Any]) -> JSON:
    """The OpenAPI v3 document as a dict (what :func:`render` serializes)."""
    meta = meta_types.get("types", meta_types)
    return _Emitter(schema, meta).document()


class _Emitter:
    """Turns one normalized schema into one document; remembers which built-in schemas it used."""

    def __init__(self, schema: Mapping[str, Any], meta: Mapping[str, Any]) -> None:
        self.group: str = schema["group"]
        self.version: str = schema["version"]
        self.group_types: Mapping[str, Any] = schema.get("types", {})
        self.meta_types: Mapping[str, Any] = {
            name: type_def for name, type_def in meta.items() if name not in _BUILTIN_BY_NAME
        }
        self.resources: Mapping[str, Any] = schema.get("resources", {})
        self.package = group_package(self.group, self.version)
        self.used_builtins: set[str] = set()

    def document(self) -> JSON:
        schemas: JSON = {}
        for name, type_def in self.group_types.items():
            schemas[f"{self.package}.{name}"] = self._type_schema(type_def, in_group=True)
        for name, type_def in self.meta_types.items():
            schemas[f"{meta_package(name)}.{name}"] = self._type_schema(type_def, in_group=False)
        paths = self._paths()
        for component in sorted(self.used_builtins):
            schemas[component] = dict(_BUILTIN_SCHEMAS[component])
        return {
            "openapi": "3.0.0",
            "info": {
                "title": "Kubernetes",
                "version": "unversioned",
                "description": f"{self.group}/{self.version}. Generated by `{GENERATOR_COMMAND}` from the "
                "normalized schema; do not edit.",
            },
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    "BearerToken": {
                        "type": "apiKey",
                        "in": "header",
                        "name": "authorization",
                        "description": "Bearer Token authentication",
                    }
                },
            },
            "security": [{"BearerToken": []}],
        }

    # ---- schemas ------------------------------------------------------------------------------

    def _component(self, name: str, *, in_group: bool) -> str:
        """The component a type name refers to; a group type shadows a meta type of the same name
        (``SecretList``) inside the group, and the other way round inside the meta types."""
        if in_group and name in self.group_types:
            return f"{self.package}.{name}"
        if name in self.meta_types:
            return f"{meta_package(name)}.{name}"
        if name in self.group_types:
            return f"{self.package}.{name}"
        if name in _BUILTIN_BY_NAME:
            self.used_builtins.add(_BUILTIN_BY_NAME[name])
            return _BUILTIN_BY_NAME[name]
        raise ValueError(f"type {name!r} is referenced but defined neither in the schema nor in meta_types")

    def _ref(self, name: str, *, in_group: bool) -> JSON:
        return {"$ref": _SCHEMA_REF_PREFIX + self._component(name, in_group=in_group)}

    def _type_schema(self, type_def: Mapping[str, Any], *, in_group: bool) -> JSON:
        result: JSON = {"type": "object"}
        if type_def.get("description"):
            result["description"] = type_def["description"]
        fields: Mapping[str, Any] = type_def.get("fields", {})
        if not type_def.get("freeForm"):
            result["properties"] = {
                wire_name: self._property_schema(field, in_group=in_group)
                for wire_name, field in fields.items()
            }
            required = sorted(wire_name for wire_name, field in fields.items() if field.get("required"))
            if required:
                result["required"] = required
        gvk = type_def.get("gvk")
        if gvk:
            result[GVK_EXTENSION] = [{"group": gvk["group"], "kind": gvk["kind"], "version": gvk["version"]}]
        if type_def.get("mapType"):
            result["x-kubernetes-map-type"] = type_def["mapType"]
        return result

    def _property_schema(self, field: Mapping[str, Any], *, in_group: bool) -> JSON:
        result = self._value_schema(field["type"], in_group=in_group)
        if "$ref" in result:
            # OpenAPI 3.0 ignores siblings of $ref; servers wrap the ref so the description counts.
            result = {"allOf": [result]}
        if field.get("description"):
            result["description"] = field["description"]
        for key, extension in FIELD_EXTENSIONS.items():
            if field.get(key) is not None:
                result[extension] = field[key]
        return result

    def _value_schema(self, type_ref: Mapping[str, Any], *, in_group: bool) -> JSON:
        kind = type_ref["type"]
        if kind in ("string", "boolean"):
            return {"type": kind}
        if kind in ("integer", "number"):
            result: JSON = {"type": kind}
            if type_ref.get("format"):
                result["format"] = type_ref["format"]
            return result
        if kind == "byte":
            return {"type": "string", "format": "byte"}
        if kind == "array":
            return {"type": "array", "items": self._value_schema(type_ref["items"], in_group=in_group)}
        if kind == "map":
            return {
                "type": "object",
                "additionalProperties": self._value_schema(type_ref["values"], in_group=in_group),
            }
        if kind == "ref":
            return self._ref(type_ref["name"], in_group=in_group)
        if kind in ("Time", "RawExtension"):
            return self._ref(kind, in_group=in_group)
        if kind == "any":
            return {}  # no constraint: any JSON value
        raise ValueError(f"unknown TypeRef {dict(type_ref)!r}")

    # ---- paths --------------------------------------------------------------------------------

    def _paths(self) -> JSON:
        paths: JSON = {}
        for resource in self.resources.values():
            for operation in resource.get("operations", []):
                path_item = paths.setdefault(
                    operation["path"], {"parameters": _path_parameters(operation, resource)}
                )
                path_item[operation["method"].lower()] = self._operation(operation, resource)
        for path_item in paths.values():
            _hoist_shared_parameter(path_item, "pretty")
        return paths

    def _operation(self, operation: Mapping[str, Any], resource: Mapping[str, Any]) -> JSON:
        action: str = operation["action"]
        subresource: str | None = operation.get("subresource")
        collection = "{name}" not in operation["path"]
        kind = resource["subresources"][subresource]["kind"] if subresource else resource["kind"]
        server_action = "watchlist" if action == "watch" and collection else SERVER_ACTIONS[action]
        result: JSON = {
            "operationId": self._operation_id(operation, resource),
            "description": _describe(action, kind, subresource, collection),
            "tags": [self._tag()],
            ACTION_EXTENSION: server_action,
            GVK_EXTENSION: {"group": self.group, "kind": kind, "version": self.version},
            "parameters": [_query_parameter(parameter) for parameter in operation.get("parameters", [])],
            "responses": self._responses(action, operation.get("responseType")),
        }
        if operation.get("requestType"):
            media_types = _PATCH_MEDIA_TYPES if action == "patch" else ["application/json"]
            body_schema = self._ref(operation["requestType"], in_group=True)
            result["requestBody"] = {
                "content": {media_type: {"schema": body_schema} for media_type in media_types},
                "required": action != "delete" and action != "deletecollection",
            }
        return result

    def _responses(self, action: str, response_type: str | None) -> JSON:
        media_types = _MEDIA_TYPES + (_STREAM_MEDIA_TYPES if action in ("list", "watch") else [])
        responses: JSON = {"401": {"description": "Unauthorized"}}
        for code, text in _SUCCESS_RESPONSES[action]:
            response: JSON = {"description": text}
            if response_type:
                body_schema = self._ref(response_type, in_group=True)
                response["content"] = {media_type: {"schema": body_schema} for media_type in media_types}
            responses[code] = response
        return responses

    def _tag(self) -> str:
        first, *rest = self.group.split(".")
        return first + "".join(part.capitalize() for part in rest) + "_" + self.version

    def _operation_id(self, operation: Mapping[str, Any], resource: Mapping[str, Any]) -> str:
        """``readImageOpenshiftIoV1NamespacedImageStreamStatus`` and its siblings, as the installer names them."""
        action = operation["action"]
        path = operation["path"]
        collection = "{name}" not in path
        parts = [_OPERATION_VERBS[action]]
        parts += [part.capitalize() for part in self.group.split(".")]
        parts.append(self.version.capitalize())
        if action == "deletecollection":
            parts.append("Collection")
        if "/namespaces/{namespace}/" in path:
            parts.append("Namespaced")
        parts.append(resource["kind"])
        if operation.get("subresource"):
            parts.append(operation["subresource"].capitalize())
        if action == "watch" and collection:
            parts.append("List")
        if resource["namespaced"] and "/namespaces/{namespace}/" not in path:
            parts.append("ForAllNamespaces")
        return "".join(parts)


def _path_parameters(operation: Mapping[str, Any], resource: Mapping[str, Any]) -> list[JSON]:
    parameters = []
    path = operation["path"]
    if "{name}" in path:
        parameters.append(_path_parameter("name", f"name of the {resource['kind']}"))
    if "{namespace}" in path:
        parameters.append(
            _path_parameter("namespace", "object name and auth scope, such as for teams and projects")
        )
    return parameters


def _hoist_shared_parameter(path_item: JSON, name: str) -> None:
    """Move a query parameter every operation of the path declares alike up to the path item.

    The server declares ``pretty`` once per path this way; readers merge it back into each operation.
    """
    operations = [value for key, value in path_item.items() if key != "parameters"]
    found = [[p for p in operation["parameters"] if p["name"] == name] for operation in operations]
    if not operations or any(len(matches) != 1 or matches[0] != found[0][0] for matches in found):
        return
    path_item["parameters"].append(found[0][0])
    for operation in operations:
        operation["parameters"] = [p for p in operation["parameters"] if p["name"] != name]


def _path_parameter(name: str, description: str) -> JSON:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "uniqueItems": True},
    }


def _query_parameter(parameter: Mapping[str, Any]) -> JSON:
    result: JSON = {
        "name": parameter["name"],
        "in": "query",
        "schema": {"type": parameter.get("type") or "string", "uniqueItems": True},
    }
    if parameter.get("description"):
        result["description"] = parameter["description"]
    return result


def _describe(action: str, kind: str, subresource: str | None, collection: bool) -> str:
    target = f"{subresource} of the specified {kind}" if subresource else f"the specified {kind}"
    texts = {
        "get": f"read {target}",
        "list": f"list or watch objects of kind {kind}",
        "watch": (
            f"watch individual changes to a list of {kind}"
            if collection
            else f"watch changes to an object of kind {kind}"
        ),
        "create": f"create {_article(kind)} {kind}",
        "update": f"replace {target}",
        "patch": f"partially update {target}",
        "delete": f"delete {_article(kind)} {kind}",
        "deletecollection": f"delete collection of {kind}",
    }
    return texts[action]


def _article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" else "a"
