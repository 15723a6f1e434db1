"""Stage 1's three inputs: the API reference pages, an OpenAPI document in a file, or a live cluster.

Each loader returns a :class:`Stage1`: the normalized schema (``docs/codegen.md``) with its meta
types, ready for the stage-2 emitters. The pages carry facts OpenAPI has no place for (short names,
categories, which lists honour ``limit``); for an OpenAPI input they come from the cluster's discovery
document when there is one, and otherwise from the server's resource table in :mod:`.normalize`
(the same server-semantics facts the pages path applies), each fill-in recorded as a diagnostic.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import docs, normalize
from .openapi_reader import read_openapi

JSON = dict[str, Any]

GROUP = normalize.GROUP
VERSION = normalize.VERSION
#: Where a cluster serves the group's OpenAPI v3 document (and, one level up, the index of them).
OPENAPI_V3_INDEX = "/openapi/v3"
OPENAPI_V3_GROUP = f"apis/{GROUP}/{VERSION}"
DISCOVERY_PATH = f"/apis/{GROUP}/{VERSION}"


class SourceError(Exception):
    """An input cannot be read; the message names it."""


@dataclass
class Stage1:
    """What stage 1 produced: the normalized schema and the meta types stage 2 renders next to it."""

    schema: JSON
    meta_types: JSON  # {"types": {...}}, the shape of meta_types.json
    source: str


def from_pages(seeds: Path, meta_types: JSON, unrendered_types: JSON | None = None) -> Stage1:
    """Parse the reference pages in ``seeds`` and normalize them, the meta types coming from ``meta_types``.

    ``unrendered_types`` (``group_types.json``: ``{"types": {...}}``) are group types the pages never
    render by name; each one the pages leave out is added, and said so in ``diagnostics``.
    """
    try:
        pages = docs.parse_seeds(seeds)
    except docs.PageParseError as error:
        raise SourceError(f"{seeds / error.file}: {error.section}: {error.message}") from error
    if not pages:
        raise SourceError(f"{seeds}: no pages (*.txt, *.html) found")
    schema = normalize.normalize(pages, external_types=set(meta_types.get("types", {})))
    added = sorted(set((unrendered_types or {}).get("types", {})) - set(schema["types"]))
    for name in added:
        schema["types"][name] = (unrendered_types or {})["types"][name]
    if added:
        _info(schema, f"not rendered by the pages, added from group_types.json: {', '.join(added)}")
    # The package ships this one schema file: the fake cluster reads merge keys and known fields of
    # the meta types (ObjectMeta, …) from it, so they travel with the group's types.
    schema["metaTypes"] = meta_types.get("types", {})
    return Stage1(schema, meta_types, str(seeds))


def from_openapi(document: Mapping[str, Any], source: str, discovery: Mapping[str, Any] | None = None) -> Stage1:
    """Normalize an OpenAPI v2/v3 document; ``discovery`` is the group's APIResourceList when known.

    The document's own non-group definitions (``ObjectMeta``, ``Status``, …) become the meta types,
    so a newer server's meta fields reach the models too.
    """
    if not isinstance(document, Mapping) or not ("openapi" in document or "swagger" in document):
        raise SourceError(f"{source}: not an OpenAPI document (no 'openapi' or 'swagger' key)")
    try:
        schema = read_openapi(document, group=GROUP, version=VERSION, source=Path(source).name)
    except Exception as error:  # the reader's own errors and malformed documents alike
        raise SourceError(f"{source}: {type(error).__name__}: {error}") from error
    if not schema["types"]:
        raise SourceError(f"{source}: no definitions of {GROUP}/{VERSION} in the document")
    apply_resource_facts(schema, discovery)
    return Stage1(schema, {"types": schema["metaTypes"]}, source)


def read_openapi_file(path: Path) -> Stage1:
    """:func:`from_openapi` on a JSON (or YAML) file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SourceError(f"{path}: cannot read the OpenAPI document: {error}") from error
    try:
        document = json.loads(text)
    except json.JSONDecodeError as json_error:
        document = _yaml_or_none(text)
        if document is None:
            raise SourceError(f"{path}: cannot read the OpenAPI document: {json_error}") from json_error
    return from_openapi(document, str(path))


def _yaml_or_none(text: str) -> Any:
    try:
        import yaml
    except ImportError:
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def fetch_cluster(kubeconfig: str | None, context: str | None) -> Stage1:
    """Fetch the group's OpenAPI v3 document and discovery from the cluster of a kubeconfig context.

    The connection comes from imageapi's own configuration loader (kubeconfig, in-cluster, exec
    plugins, TLS), so whatever ``imageapi.Client()`` reaches, this reaches.
    """
    import httpx

    from imageapi.config import load_config
    from imageapi.errors import ImageAPIError

    try:
        config = load_config(kubeconfig, context)
    except ImageAPIError as error:
        raise SourceError(f"cannot load the client configuration: {error}") from error
    where = f"{config.server} (context {config.context or 'in-cluster'})"
    try:
        with httpx.Client(**config.client_kwargs(), timeout=30.0) as http:
            path = _openapi_v3_path(http, where)
            document = _get_json(http, path, where)
            discovery = _get_json(http, DISCOVERY_PATH, where)
    except httpx.HTTPError as error:
        raise SourceError(f"{where}: {type(error).__name__}: {error}") from error
    return from_openapi(document, f"{config.server}{path.split('?', 1)[0]}", discovery)


def _openapi_v3_path(http: Any, where: str) -> str:
    """The group document's URL from the ``/openapi/v3`` index (it carries a cache-busting hash)."""
    index = _get_json(http, OPENAPI_V3_INDEX, where)
    entry = index.get("paths", {}).get(OPENAPI_V3_GROUP) if isinstance(index, dict) else None
    if isinstance(entry, dict) and isinstance(entry.get("serverRelativeURL"), str):
        return str(entry["serverRelativeURL"])
    raise SourceError(f"{where}: {OPENAPI_V3_INDEX} lists no {OPENAPI_V3_GROUP} (is the image API served?)")


def _get_json(http: Any, path: str, where: str) -> Any:
    response = http.get(path, headers={"Accept": "application/json"})
    if response.status_code != 200:
        raise SourceError(f"{where}: GET {path.split('?', 1)[0]} answered {response.status_code}")
    try:
        return response.json()
    except ValueError as error:
        raise SourceError(f"{where}: GET {path.split('?', 1)[0]} is not JSON: {error}") from error


def apply_resource_facts(schema: JSON, discovery: Mapping[str, Any] | None) -> None:
    """Fill in what OpenAPI does not carry: singular, short names, categories, list chunking.

    Discovery (a live cluster's APIResourceList) wins for names; list chunking, which no document
    states, comes from the server's resource table. Every fill-in is said once in ``diagnostics``.
    """
    # The reader said these facts were defaulted; they are filled in here, so that note no longer holds.
    schema["diagnostics"] = [
        item for item in schema["diagnostics"] if not item["message"].startswith("OpenAPI does not carry")
    ]
    served = {
        entry["name"]: entry
        for entry in (discovery or {}).get("resources", [])
        if isinstance(entry, Mapping) and isinstance(entry.get("name"), str)
    }
    from_discovery, from_table = [], []
    for plural, resource in schema["resources"].items():
        known = normalize.SERVER_RESOURCES.get(plural)
        entry = served.get(plural)
        if entry is not None:
            resource["singular"] = entry.get("singularName") or resource["singular"]
            resource["shortNames"] = list(entry.get("shortNames") or [])
            resource["categories"] = list(entry.get("categories") or [])
            from_discovery.append(plural)
        elif known is not None:
            resource["singular"] = known.singular
            resource["shortNames"] = list(known.short_names)
            resource["categories"] = list(known.categories)
            from_table.append(plural)
        if known is not None:
            resource["listChunking"] = known.list_chunking
    if from_discovery:
        _info(schema, f"singular, shortNames and categories from discovery for: {', '.join(sorted(from_discovery))}")
    if from_table:
        _info(
            schema,
            "singular, shortNames and categories from the server's resource table (server-semantics §1) for: "
            + ", ".join(sorted(from_table)),
        )
    chunked = [plural for plural in schema["resources"] if plural in normalize.SERVER_RESOURCES]
    if chunked:
        _info(schema, "listChunking from the server's resource table for: " + ", ".join(sorted(chunked)))


def _info(schema: JSON, message: str) -> None:
    schema["diagnostics"].append({"file": None, "section": None, "severity": "info", "message": message})
