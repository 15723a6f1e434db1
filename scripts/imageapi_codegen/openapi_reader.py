"""Stage 1b of the code generator: an OpenAPI v2 or v3 document → the normalized schema.

The normalized schema is the format described in ``docs/codegen.md``. This reader understands what a
Kubernetes-style API server publishes:

- OpenAPI v2 (``swagger: "2.0"``): schemas under ``definitions``, optional ``paths``; parameters may
  be shared under ``parameters`` and referenced with ``$ref``.
- OpenAPI v3 (``openapi: 3.x``): schemas under ``components.schemas``, ``paths`` with
  ``requestBody`` and per-media-type ``content``.

What it returns (see :func:`read_openapi`): the normalized schema, with one addition: the types that
do not belong to the group (``ObjectMeta``, ``ListMeta``, ``Status``, core/v1 ``Secret``…) are kept
apart under ``metaTypes`` so that callers can compare the group's own types alone. ``metaTypes`` has the
same TypeDef form as ``types`` and as ``meta_types.json``.

Facts OpenAPI does not carry (singular names, short names, categories, whether a list honours
``limit``/``continue``) get fixed defaults, recorded once in ``diagnostics``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from imageapi_codegen.openapi_conventions import (
    ACTION_EXTENSION,
    BODY_ONLY_TYPES,
    BUILTIN_TYPEREFS,
    FIELD_EXTENSIONS,
    GVK_EXTENSION,
    NORMALIZED_ACTIONS,
    group_package,
    short_name,
)

__all__ = ["read_openapi"]

JSON = dict[str, Any]

_HTTP_METHODS = ("get", "put", "post", "delete", "patch")

# One resource path of an API group; anything else (discovery at `/apis/<g>/<v>/`) is ignored.
_RESOURCE_PATH = re.compile(
    r"^/apis/(?P<group>[^/]+)/(?P<version>[^/]+)"
    r"(?P<watch>/watch)?"
    r"(?P<namespaced>/namespaces/\{namespace\})?"
    r"/(?P<plural>[^/{}]+)"
    r"(?:(?P<named>/\{name\})(?:/(?P<subresource>[^/{}]+))?)?$"
)

# The server documents the object of a write under several success codes; the first present wins.
_SUCCESS_CODES = ("200", "201", "202")


def read_openapi(
    doc: Mapping[str, Any],
    *,
    group: str = "image.openshift.io",
    version: str = "v1",
    source: str | None = None,
    release: str | None = None,
    package: str | None = None,
) -> JSON:
    """Read an OpenAPI v2 or v3 document into the normalized schema of ``docs/codegen.md``.

    ``group``/``version`` say which API group the document describes: definitions in that group's
    Go package (``package``; by default the OpenShift one, ``com.github.openshift.api.image.v1``)
    become ``types``; every other object definition becomes ``metaTypes``. ``source`` and
    ``release`` only fill in the ``sources`` entry.

    The result has the keys ``formatVersion``, ``group``, ``version``, ``sources``, ``diagnostics``,
    ``types``, ``metaTypes`` and ``resources`` (empty when the document has no ``paths``).
    """
    return _Reader(doc, group, version, package or group_package(group, version)).read(source, release)


class _Reader:
    """One pass over one document; holds the pieces every conversion step needs."""

    def __init__(self, doc: Mapping[str, Any], group: str, version: str, package: str) -> None:
        self.doc = doc
        self.group = group
        self.version = version
        self.is_v3 = "openapi" in doc
        if self.is_v3:
            self.definitions: Mapping[str, Any] = doc.get("components", {}).get("schemas", {})
        else:
            self.definitions = doc.get("definitions", {})
        self.group_prefix = package + "."
        self.diagnostics: list[JSON] = []

    # ---- the whole document -------------------------------------------------------------------

    def read(self, source: str | None, release: str | None) -> JSON:
        types: JSON = {}
        meta_types: JSON = {}
        for definition_name in sorted(self.definitions):
            name = short_name(definition_name)
            definition = self.definitions[definition_name]
            if name in BUILTIN_TYPEREFS or name in BODY_ONLY_TYPES or not _is_object_schema(definition):
                continue  # a TypeRef wherever it is referenced, or only a body type's name
            target = types if definition_name.startswith(self.group_prefix) else meta_types
            if name in target:
                self._diagnose("warning", f"two definitions are named {name}; keeping the first")
                continue
            target[name] = self._type_def(definition)
        self._infer_missing_gvks(types)
        resources = self._resources()
        info = self.doc.get("info", {})
        return {
            "formatVersion": 1,
            "group": self.group,
            "version": self.version,
            "sources": [
                {
                    "file": source,
                    "title": info.get("title"),
                    "release": release,
                    "trustedForFields": True,
                }
            ],
            "diagnostics": self.diagnostics,
            "types": types,
            "metaTypes": meta_types,
            "resources": resources,
        }

    def _diagnose(self, severity: str, message: str, section: str | None = None) -> None:
        self.diagnostics.append({"file": None, "section": section, "severity": severity, "message": message})

    # ---- types --------------------------------------------------------------------------------

    def _type_def(self, definition: Mapping[str, Any]) -> JSON:
        properties: Mapping[str, Any] = definition.get("properties", {})
        required = set(definition.get("required", []))
        type_def: JSON = {
            "description": definition.get("description", ""),
            "gvk": self._gvk(definition.get(GVK_EXTENSION)),
            # An object schema that names no properties accepts any object (RawExtension-like).
            "freeForm": "properties" not in definition and "additionalProperties" not in definition,
            "fields": {
                wire_name: self._field(properties[wire_name], wire_name in required)
                for wire_name in sorted(properties)
            },
        }
        if "x-kubernetes-map-type" in definition:
            # Type-level: ObjectReference and friends are replaced whole by a merge patch.
            type_def["mapType"] = definition["x-kubernetes-map-type"]
        return type_def

    def _field(self, prop: Mapping[str, Any], required: bool) -> JSON:
        field: JSON = {
            "type": self._type_ref(prop),
            "required": required,
            "description": prop.get("description", ""),
        }
        for key, extension in FIELD_EXTENSIONS.items():
            if extension in prop:
                field[key] = prop[extension]
        return field

    def _type_ref(self, schema: Mapping[str, Any]) -> JSON:
        target = self._ref_target(schema)
        if target is not None:
            return self._named_type_ref(target)
        kind = schema.get("type")
        fmt = schema.get("format")
        if kind == "string":
            if fmt == "byte":
                return {"type": "byte"}
            if fmt == "date-time":
                return {"type": "Time"}
            return {"type": "string"}
        if kind == "integer":
            return {"type": "integer", "format": fmt if fmt in ("int32", "int64") else None}
        if kind == "number":
            return {"type": "number", "format": fmt}
        if kind == "boolean":
            return {"type": "boolean"}
        if kind == "array":
            return {"type": "array", "items": self._type_ref(schema.get("items", {}))}
        values = schema.get("additionalProperties")
        if isinstance(values, Mapping):
            return {"type": "map", "values": self._type_ref(values)}
        if values is True:
            return {"type": "map", "values": {"type": "any"}}
        if schema.get("properties"):
            self._diagnose("warning", "an inline object schema with properties is read as any")
        return {"type": "any"}

    def _named_type_ref(self, definition_name: str) -> JSON:
        name = short_name(definition_name)
        if name in BUILTIN_TYPEREFS:
            return dict(BUILTIN_TYPEREFS[name])
        definition = self.definitions.get(definition_name)
        if definition is None:
            self._diagnose("error", f"$ref to a missing definition {definition_name}")
        elif not _is_object_schema(definition):
            # A named scalar (IntOrString-like) has no model of its own: use its wire form.
            return self._type_ref(definition)
        return {"type": "ref", "name": name}

    def _ref_target(self, schema: Mapping[str, Any]) -> str | None:
        """The definition a schema points at: ``$ref``, or ``allOf: [{$ref}]`` as v3 servers write it."""
        ref = schema.get("$ref")
        if ref is None:
            all_of = schema.get("allOf")
            if isinstance(all_of, list) and len(all_of) == 1 and "$ref" in all_of[0]:
                ref = all_of[0]["$ref"]
        if not isinstance(ref, str):
            return None
        return ref.rsplit("/", 1)[-1]

    def _gvk(self, extension: Any) -> JSON | None:
        """One group-version-kind: the server lists several for shared envelopes; prefer our group's."""
        if isinstance(extension, Mapping):
            candidates: list[Any] = [extension]
        elif isinstance(extension, list):
            candidates = extension
        else:
            return None
        entries = [entry for entry in candidates if isinstance(entry, Mapping)]
        if not entries:
            return None
        ours = [entry for entry in entries if entry.get("group") == self.group]
        chosen = (ours or entries)[0]
        return {
            "group": chosen.get("group", ""),
            "version": chosen.get("version", ""),
            "kind": chosen.get("kind", ""),
        }

    def _infer_missing_gvks(self, types: JSON) -> None:
        """Give top-level kinds a gvk when the document carries no gvk extension at all.

        Published definition files (openshift/api's ``openapi.json``) omit the extension that a
        served document has; a group type with ``apiVersion``, ``kind`` and ``metadata`` is a kind.
        """
        if any(GVK_EXTENSION in definition for definition in self.definitions.values()):
            return
        inferred = []
        for name, type_def in types.items():
            if {"apiVersion", "kind", "metadata"} <= type_def["fields"].keys():
                type_def["gvk"] = {"group": self.group, "version": self.version, "kind": name}
                inferred.append(name)
        if inferred:
            self._diagnose(
                "info",
                "the document carries no x-kubernetes-group-version-kind; gvk inferred from "
                f"apiVersion/kind/metadata fields for: {', '.join(sorted(inferred))}",
            )

    # ---- resources ----------------------------------------------------------------------------

    def _resources(self) -> JSON:
        operations_by_plural: dict[str, list[JSON]] = {}
        namespaced: set[str] = set()
        gvk_kinds: dict[tuple[str, str | None], str] = {}
        for path in sorted(self.doc.get("paths", {})):
            match = _RESOURCE_PATH.match(path)
            if match is None or (match["subresource"] and not match["named"]):
                continue
            if (match["group"], match["version"]) != (self.group, self.version):
                self._diagnose("warning", f"path of another group ignored: {path}")
                continue
            plural = match["plural"]
            if match["namespaced"]:
                namespaced.add(plural)
            path_item: Mapping[str, Any] = self.doc["paths"][path]
            for method in _HTTP_METHODS:
                if method not in path_item:
                    continue
                raw = path_item[method]
                operation = self._operation(path, method, match, path_item.get("parameters", []), raw)
                operations_by_plural.setdefault(plural, []).append(operation)
                gvk = self._gvk(raw.get(GVK_EXTENSION))
                if gvk is not None:
                    gvk_kinds.setdefault((plural, operation["subresource"]), gvk["kind"])
        if operations_by_plural:
            self._diagnose(
                "info",
                "OpenAPI does not carry singular names, short names, categories or list chunking: "
                "singular is the lower-cased kind, shortNames and categories are empty, listChunking is true",
            )
        return {
            plural: self._resource(plural, operations, plural in namespaced, gvk_kinds)
            for plural, operations in sorted(operations_by_plural.items())
        }

    def _resource(
        self,
        plural: str,
        operations: list[JSON],
        namespaced: bool,
        gvk_kinds: Mapping[tuple[str, str | None], str],
    ) -> JSON:
        operations.sort(key=lambda operation: (operation["path"], operation["method"]))
        main = [operation for operation in operations if operation["subresource"] is None]
        # Without gvk extensions (a bare v2 document), the body types still name the kind.
        kind = gvk_kinds.get((plural, None)) or _response_of(main, "get") or _request_of(main, "create") or ""
        subresource_names = sorted({op["subresource"] for op in operations if op["subresource"] is not None})
        subresources: JSON = {}
        for name in subresource_names:
            sub_operations = [operation for operation in operations if operation["subresource"] == name]
            response_type = _response_of(sub_operations, "get") or sub_operations[0]["responseType"]
            subresources[name] = {
                "kind": gvk_kinds.get((plural, name)) or response_type,
                "verbs": sorted({operation["action"] for operation in sub_operations}),
                "requestType": _request_of(sub_operations, "update") or _request_of(sub_operations, "create"),
                "responseType": response_type,
            }
        return {
            "kind": kind,
            "listKind": _response_of(main, "list"),
            "singular": kind.lower(),
            "namespaced": namespaced,
            "verbs": sorted({operation["action"] for operation in main}),
            "shortNames": [],
            "categories": [],
            "listChunking": True,
            "subresources": subresources,
            "createResponseType": _response_of(main, "create"),
            "operations": operations,
        }

    def _operation(
        self,
        path: str,
        method: str,
        match: re.Match[str],
        path_parameters: Iterable[Any],
        raw: Mapping[str, Any],
    ) -> JSON:
        action = NORMALIZED_ACTIONS.get(raw.get(ACTION_EXTENSION, ""))
        if action is None:
            action = _infer_action(method, match)
        parameters = self._parameters(path_parameters, raw.get("parameters", []))
        return {
            "path": path,
            "method": method.upper(),
            "action": action,
            "subresource": match["subresource"],
            "requestType": self._request_type(raw, parameters),
            "responseType": self._response_type(raw),
            "parameters": [
                {
                    "name": name,
                    "type": _parameter_type(parameter),
                    "description": parameter.get("description", ""),
                }
                for name, parameter in sorted(parameters.items())
                if parameter.get("in") == "query"
            ],
        }

    def _parameters(self, path_level: Iterable[Any], operation_level: Iterable[Any]) -> dict[str, JSON]:
        """Path-item and operation parameters by name; the operation's own wins (as OpenAPI says)."""
        merged: dict[str, JSON] = {}
        body_count = 0
        for parameter in [*path_level, *operation_level]:
            resolved = self._resolve_parameter(parameter)
            if resolved.get("in") == "body":
                # Only one body exists; keep it under a key no query parameter can have.
                merged[f" body{body_count}"] = resolved
                body_count += 1
            else:
                merged[resolved.get("name", "")] = resolved
        return merged

    def _resolve_parameter(self, parameter: Mapping[str, Any]) -> JSON:
        ref = parameter.get("$ref")
        if not isinstance(ref, str):
            return dict(parameter)
        container = (
            self.doc.get("components", {}).get("parameters", {})
            if self.is_v3
            else self.doc.get("parameters", {})
        )
        resolved = container.get(ref.rsplit("/", 1)[-1])
        if resolved is None:
            self._diagnose("error", f"parameter $ref does not resolve: {ref}")
            return {}
        return dict(resolved)

    def _request_type(self, raw: Mapping[str, Any], parameters: Mapping[str, JSON]) -> str | None:
        if self.is_v3:
            body = raw.get("requestBody")
            schema = _content_schema(body.get("content", {})) if isinstance(body, Mapping) else None
        else:
            bodies = [parameter for key, parameter in parameters.items() if key.startswith(" body")]
            schema = bodies[0].get("schema") if bodies else None
        return self._schema_type_name(schema)

    def _response_type(self, raw: Mapping[str, Any]) -> str | None:
        responses: Mapping[str, Any] = raw.get("responses", {})
        for code in _SUCCESS_CODES:
            response = responses.get(code)
            if not isinstance(response, Mapping):
                continue
            schema = _content_schema(response.get("content", {})) if self.is_v3 else response.get("schema")
            return self._schema_type_name(schema)
        return None

    def _schema_type_name(self, schema: Any) -> str | None:
        if not isinstance(schema, Mapping):
            return None
        target = self._ref_target(schema)
        if target is None:
            self._diagnose("warning", "a request or response body is not a named type; recorded as null")
            return None
        return short_name(target)


def _is_object_schema(definition: Mapping[str, Any]) -> bool:
    return bool(definition.get("type", "object") == "object")


def _content_schema(content: Mapping[str, Any]) -> Any:
    """The schema of a v3 body: the ``application/json`` one, else the first media type's."""
    if "application/json" in content:
        return content["application/json"].get("schema")
    for media_type in sorted(content):
        return content[media_type].get("schema")
    return None


def _parameter_type(parameter: Mapping[str, Any]) -> str:
    schema = parameter.get("schema")
    if isinstance(schema, Mapping) and "type" in schema:
        return str(schema["type"])
    return str(parameter.get("type", "string"))


def _infer_action(method: str, match: re.Match[str]) -> str:
    """The action of an operation without ``x-kubernetes-action``, from its method and path shape."""
    if match["watch"]:
        return "watch"
    named = match["named"] is not None
    by_method = {
        "get": "get" if named else "list",
        "post": "create",
        "put": "update",
        "patch": "patch",
        "delete": "delete" if named else "deletecollection",
    }
    return by_method[method]


def _response_of(operations: Iterable[JSON], action: str) -> str | None:
    for operation in operations:
        if operation["action"] == action and operation["responseType"] is not None:
            return str(operation["responseType"])
    return None


def _request_of(operations: Iterable[JSON], action: str) -> str | None:
    for operation in operations:
        if operation["action"] == action and operation["requestType"] is not None:
            return str(operation["requestType"])
    return None
