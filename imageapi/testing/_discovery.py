"""Discovery and OpenAPI documents of the fake cluster, built from the resource tables.

``/version``, ``/api``, ``/api/v1``, ``/apis``, ``/apis/<group>`` and ``/apis/<group>/<version>`` for
every served group, ``/openapi/v3`` (index), ``/openapi/v3/apis/image.openshift.io/v1`` (the generated
``imageapi/schema/openapi-v3.json``), ``/openapi/v3/api/v1`` and ``/openapi/v3/apis/<group>/<version>``
for the other groups (operations generated from the tables, kinds described by metadata only and
otherwise free-form, as the fake stores them), and ``/openapi/v2`` (a Swagger 2.0 rendering of the
image group's operations and components).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._resource_info import GROUP, VERSION, ResourceInfo
from . import _openapi
from ._contracts import JSON
from ._routes import API_TABLES, CORE_PREFIX, GROUP_PREFIX

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schema"
OPENAPI_V3_FILE = SCHEMA_DIR / "openapi-v3.json"
NORMALIZED_SCHEMA_FILE = SCHEMA_DIR / "image.openshift.io-v1.json"
OPENAPI_V3_GROUP_PATH = f"apis/{GROUP}/{VERSION}"

_KUBE_VERSIONS = {"current": ("1", "34", "v1.34.1"), "4.17": ("1", "30", "v1.30.4")}


def version_info(flavour: str) -> JSON:
    """The ``/version`` body of a cluster of this flavour."""
    major, minor, git_version = _KUBE_VERSIONS.get(flavour, _KUBE_VERSIONS["current"])
    return {"major": major, "minor": minor, "gitVersion": git_version, "gitCommit": "fake",
            "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.24.0",
            "compiler": "gc", "platform": "linux/amd64"}


def api_versions(server_address: str) -> JSON:
    """``/api``: the core group's versions."""
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def _groups() -> dict[str, list[str]]:
    """Served API groups (not the core group) and their versions, in the order discovery lists them."""
    groups: dict[str, list[str]] = {}
    for prefix in API_TABLES:
        if prefix.startswith("/apis/"):
            group, version = prefix[len("/apis/"):].split("/")
            groups.setdefault(group, []).append(version)
    # As an OpenShift server lists them: the Kubernetes groups, then the OpenShift ones.
    return dict(sorted(groups.items(), key=lambda item: (item[0].endswith(".openshift.io"), item[0])))


def _group(name: str, versions: list[str]) -> JSON:
    entries = [{"groupVersion": f"{name}/{version}", "version": version} for version in versions]
    return {"name": name, "versions": entries, "preferredVersion": entries[0]}


def api_group_list() -> JSON:
    """``/apis``."""
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [_group(name, versions) for name, versions in _groups().items()]}


def api_group(name: str = GROUP) -> JSON | None:
    """``/apis/<name>`` (None for a group the fake does not serve)."""
    versions = _groups().get(name)
    return None if versions is None else {"kind": "APIGroup", "apiVersion": "v1", **_group(name, versions)}


def _resource_entries(info: ResourceInfo) -> list[JSON]:
    main: JSON = {"name": info.plural, "singularName": info.singular, "namespaced": info.namespaced,
                  "kind": info.kind, "verbs": sorted(info.verbs)}
    if info.short_names:
        main["shortNames"] = list(info.short_names)
    if info.categories:
        main["categories"] = list(info.categories)
    entries = [main]
    for sub in info.subresources.values():
        entries.append({"name": f"{info.plural}/{sub.name}", "singularName": "", "namespaced": info.namespaced,
                        "kind": sub.kind, "verbs": sorted(sub.verbs)})
    return entries


def api_resource_list(group_version: str, resources: Mapping[str, ResourceInfo]) -> JSON:
    """An ``APIResourceList`` for one group version."""
    entries = [entry for info in resources.values() for entry in _resource_entries(info)]
    entries.sort(key=lambda entry: entry["name"])
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": entries}


def resource_list(prefix: str) -> JSON | None:
    """``/api/v1`` or ``/apis/<group>/<version>`` (None for a group version the fake does not serve)."""
    table = API_TABLES.get(prefix)
    if table is None:
        return None
    return api_resource_list(prefix.split("/", 2)[2], table)


def image_resource_list() -> JSON:
    """``/apis/image.openshift.io/v1``."""
    return api_resource_list(f"{GROUP}/{VERSION}", API_TABLES[GROUP_PREFIX])


def core_resource_list() -> JSON:
    """``/api/v1``: namespaces, secrets and the core workload kinds."""
    return api_resource_list("v1", API_TABLES[CORE_PREFIX])


@functools.lru_cache(maxsize=1)
def openapi_v3_bytes() -> bytes | None:
    """The served OpenAPI v3 document of the group (None until the generator has written it)."""
    try:
        return OPENAPI_V3_FILE.read_bytes()
    except OSError:
        return None


@functools.cache
def openapi_v3_document(group_path: str) -> bytes | None:
    """The OpenAPI v3 document of a served group version, by its index path (``apis/apps/v1``): the
    generated one for the image group, one built from the resource table for the others (None for a
    group version the fake does not serve, or before the generator has written the image document)."""
    if group_path == OPENAPI_V3_GROUP_PATH:
        return openapi_v3_bytes()
    prefix = "/" + group_path
    table = API_TABLES.get(prefix)
    if table is None:
        return None
    image_document = json.loads(openapi_v3_bytes() or b"{}")
    meta_schemas = {name: schema for name, schema in image_document.get("components", {}).get("schemas", {}).items()
                    if name.startswith("io.k8s.apimachinery.")}
    return _openapi.group_version_document(prefix, table, meta_schemas)


def openapi_v3_index() -> JSON:
    """``/openapi/v3``: every group version's path with a content hash, as real servers publish it."""
    paths: JSON = {}
    for prefix in API_TABLES:
        group_path = prefix.lstrip("/")
        digest = hashlib.sha512(openapi_v3_document(group_path) or b"").hexdigest().upper()
        paths[group_path] = {"serverRelativeURL": f"/openapi/v3/{group_path}?hash={digest}"}
    return {"paths": paths}


def _v2_refs(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: (item.replace("#/components/schemas/", "#/definitions/") if key == "$ref" and
                      isinstance(item, str) else _v2_refs(item)) for key, item in value.items()}
    if isinstance(value, list):
        return [_v2_refs(item) for item in value]
    return value


def _v2_parameter(parameter: JSON) -> JSON:
    converted = {key: value for key, value in parameter.items() if key != "schema"}
    converted.update(parameter.get("schema") or {})
    return converted


def _v2_operation(operation: JSON) -> JSON:
    converted = {key: value for key, value in operation.items() if key not in ("requestBody", "responses", "parameters")}
    parameters = [_v2_parameter(p) for p in operation.get("parameters", [])]
    body = operation.get("requestBody")
    if body:
        contents: list[JSON] = list(body.get("content", {}).values())
        schema = contents[0].get("schema", {}) if contents else {}
        parameters.append({"name": "body", "in": "body", "required": bool(body.get("required", True)), "schema": schema})
    if parameters:
        converted["parameters"] = parameters
    responses: JSON = {}
    for code, response in operation.get("responses", {}).items():
        entry: JSON = {"description": response.get("description", "")}
        content = response.get("content") or {}
        if content:
            entry["schema"] = next(iter(content.values())).get("schema", {})
        responses[code] = entry
    converted["responses"] = responses
    converted.setdefault("consumes", ["*/*"])
    converted.setdefault("produces", ["application/json"])
    return converted


@functools.lru_cache(maxsize=1)
def openapi_v2_bytes() -> bytes | None:
    """A Swagger 2.0 rendering of the v3 document (None until the generator has written it)."""
    document = openapi_v3_bytes()
    if document is None:
        return None
    v3 = json.loads(document)
    paths: JSON = {}
    for path, item in v3.get("paths", {}).items():
        converted: JSON = {}
        for key, value in item.items():
            if key == "parameters":
                converted[key] = [_v2_parameter(p) for p in value]
            elif isinstance(value, dict):
                converted[key] = _v2_operation(value)
        paths[path] = converted
    v2 = {"swagger": "2.0", "info": v3.get("info", {"title": "Kubernetes", "version": "unversioned"}),
          "paths": paths, "definitions": v3.get("components", {}).get("schemas", {})}
    return json.dumps(_v2_refs(v2), separators=(",", ":")).encode()


# Clients ask for "…spec.v2@v1.0+protobuf"; the answer is labelled with the parseable form ("@" is not a
# valid character in a media type, and Go's mime parser refuses it).
OPENAPI_V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"


def wants_protobuf_only(accept: str) -> bool:
    """Whether an Accept header asks for protobuf and offers no JSON alternative."""
    offered = [part.split(";", 1)[0].strip().lower() for part in accept.split(",") if part.strip()]
    return bool(offered) and all("protobuf" in media_type for media_type in offered)


def openapi_v2_protobuf() -> bytes:
    """The v2 document as a gnostic ``openapi_v2.Document`` message that carries only ``swagger: "2.0"``
    (field 1). Encoding every definition in protobuf is out of the fake's scope; with no definitions a
    client such as kubectl finds no schema for a kind and skips client-side validation, leaving it to
    the server (``fieldValidation``), which the fake implements."""
    version = b"2.0"
    return bytes([0x0A, len(version)]) + version


@functools.lru_cache(maxsize=1)
def normalized_schema() -> JSON | None:
    """The committed normalized schema (types, metaTypes, resources), or None when absent."""
    try:
        loaded: JSON = json.loads(NORMALIZED_SCHEMA_FILE.read_bytes())
    except (OSError, ValueError):
        return None
    return loaded
