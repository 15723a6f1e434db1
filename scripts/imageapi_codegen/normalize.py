"""Merge parsed pages into the normalized schema and apply the server's truth.

Merging rules (``docs/codegen.md``):

* schemas: for each type name the newest page that defines it wins (pages that lost their
  property names are never used for fields);
* operations: the union of every page's (path, method) pairs; request and response types from the
  newest page that gives them;
* query parameters: every page contributes; the union by name per (resource, subresource, action),
  the newest page's description winning.

Where the pages and the real server disagree the server wins, following
``../shared/reference/server-semantics.md``. Every such override is recorded as an ``info``
diagnostic so a reader of the schema can see what was changed and why.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from .docs import Diagnostic, JsonDict, OperationDoc, PageDoc, page_types, structure

FORMAT_VERSION = 1
GROUP = "image.openshift.io"
VERSION = "v1"
SEMANTICS = "server-semantics.md"

PATH_RE = re.compile(
    r"^/apis/(?P<group>[^/]+)/(?P<version>[^/]+)(?P<watch>/watch)?"
    r"(?P<namespaced>/namespaces/\{namespace\})?/(?P<plural>[a-z0-9]+)"
    r"(?P<item>/\{name\}(?:/(?P<subresource>[a-z]+))?)?$"
)

# Parameters that only mean something to a watch; a resource without watch does not take them.
WATCH_ONLY_PARAMETERS = ("allowWatchBookmarks", "sendInitialEvents", "watch")

# server-semantics §1, "Query parameters that are decoded (from the generic handlers)".
LIST_PARAMETERS = (
    "allowWatchBookmarks",
    "continue",
    "fieldSelector",
    "labelSelector",
    "limit",
    "pretty",
    "resourceVersion",
    "resourceVersionMatch",
    "sendInitialEvents",
    "timeoutSeconds",
    "watch",
)
WRITE_PARAMETERS = ("dryRun", "fieldManager", "fieldValidation", "pretty")
DELETE_PARAMETERS = ("dryRun", "gracePeriodSeconds", "orphanDependents", "pretty", "propagationPolicy")
DECODED_PARAMETERS: dict[str, tuple[str, ...]] = {
    "list": LIST_PARAMETERS,
    "watch": LIST_PARAMETERS,
    "get": ("pretty", "resourceVersion"),
    "create": WRITE_PARAMETERS,
    "update": WRITE_PARAMETERS,
    "patch": (*WRITE_PARAMETERS, "force"),
    "delete": DELETE_PARAMETERS,
    "deletecollection": (
        *DELETE_PARAMETERS,
        *(name for name in LIST_PARAMETERS if name not in ("watch", "allowWatchBookmarks", "pretty")),
    ),
}


def decoded_parameters(plural: str, subresource: str | None, action: str) -> set[str] | None:
    """The query parameters the server decodes for an operation; None when the server is unknown."""
    server = SERVER_RESOURCES.get(plural)
    if server is None:
        return None
    if subresource == "secrets":
        # imagestreams/secrets is a get that takes ListOptions (server-semantics §1).
        return set(LIST_PARAMETERS) - set(WATCH_ONLY_PARAMETERS)
    names = set(DECODED_PARAMETERS.get(action, ()))
    if action == "list" and "watch" not in server.verbs:
        names -= set(WATCH_ONLY_PARAMETERS)
    return names


@dataclass(frozen=True)
class ServerSubresource:
    """A subresource as the server serves it (server-semantics §1)."""

    kind: str
    verbs: tuple[str, ...]


@dataclass(frozen=True)
class ServerResource:
    """One row of server-semantics §1: what the real server serves for a resource."""

    kind: str
    namespaced: bool
    verbs: tuple[str, ...]
    singular: str
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    list_chunking: bool = True
    create_response_type: str | None = None  # None: the kind itself
    subresources: dict[str, ServerSubresource] = field(default_factory=dict)


_STORE_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
_VIRTUAL_TAG_VERBS = ("create", "delete", "get", "list", "patch", "update")

# server-semantics §1 (discovery view): verbs, names and subresources of every resource.
SERVER_RESOURCES: dict[str, ServerResource] = {
    "images": ServerResource("Image", False, _STORE_VERBS, "image"),
    "imagesignatures": ServerResource("ImageSignature", False, ("create", "delete"), "imagesignature"),
    "imagestreams": ServerResource(
        "ImageStream",
        True,
        _STORE_VERBS,
        "imagestream",
        short_names=("is",),
        categories=("all",),
        subresources={
            "status": ServerSubresource("ImageStream", ("get", "patch", "update")),
            "layers": ServerSubresource("ImageStreamLayers", ("get",)),
            "secrets": ServerSubresource("SecretList", ("get",)),
        },
    ),
    "imagestreamtags": ServerResource(
        "ImageStreamTag",
        True,
        _VIRTUAL_TAG_VERBS,
        "imagestreamtag",
        short_names=("istag",),
        list_chunking=False,
    ),
    "imagetags": ServerResource(
        "ImageTag", True, _VIRTUAL_TAG_VERBS, "imagetag", short_names=("itag",), list_chunking=False
    ),
    "imagestreamimages": ServerResource(
        "ImageStreamImage", True, ("get",), "imagestreamimage", short_names=("isimage",)
    ),
    "imagestreamimports": ServerResource("ImageStreamImport", True, ("create",), "imagestreamimport"),
    "imagestreammappings": ServerResource(
        "ImageStreamMapping", True, ("create",), "imagestreammapping", create_response_type="Status"
    ),
}

# server-semantics §9: strategic-merge-patch keys and strategies, as (type, field) → extensions.
PATCH_EXTENSIONS: dict[tuple[str, str], JsonDict] = {
    ("ImageStreamSpec", "tags"): {"patchMergeKey": "name", "patchStrategy": "merge"},
    ("ImageStreamStatus", "tags"): {"patchMergeKey": "tag", "patchStrategy": "merge"},
    ("Image", "signatures"): {"patchMergeKey": "name", "patchStrategy": "merge"},
    ("ImageSignature", "conditions"): {"patchMergeKey": "type", "patchStrategy": "merge"},
    ("Image", "dockerImageMetadata"): {"patchStrategy": "replace"},
}

# Fields that are Go []byte (base64 on the wire) but that the pages render as plain "string"
# (server-semantics §4: signature content is base64 bytes; Image.dockerImageSignatures is [][]byte).
BYTE_FIELDS: tuple[tuple[str, str], ...] = (("ImageSignature", "content"), ("Image", "dockerImageSignatures"))


def release_key(release: str | None) -> tuple[int, ...]:
    """Sort key for releases: ``"4.17"`` > ``"4.6"``; unknown releases sort oldest."""
    if not release:
        return (-1,)
    return tuple(int(part) for part in re.findall(r"\d+", release))


def newest_first(pages: list[PageDoc]) -> list[PageDoc]:
    """Pages from the newest release to the oldest; file name breaks ties."""
    by_name = sorted(pages, key=lambda page: page.file)
    return sorted(by_name, key=lambda page: release_key(page.release), reverse=True)


@dataclass
class _PathInfo:
    plural: str
    namespaced: bool
    subresource: str | None
    action: str


def classify_path(path: str, method: str) -> _PathInfo | None:
    """Which resource, subresource and Kubernetes action a (path, method) pair is; None if unknown."""
    match = PATH_RE.match(path)
    if not match:
        return None
    subresource = match.group("subresource")
    is_item = match.group("item") is not None
    if match.group("watch"):
        action = "watch" if method == "GET" else ""
    elif subresource or is_item:
        action = {"GET": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete", "POST": "create"}.get(
            method, ""
        )
    else:
        action = {"GET": "list", "POST": "create", "DELETE": "deletecollection"}.get(method, "")
    if not action:
        return None
    return _PathInfo(match.group("plural"), match.group("namespaced") is not None, subresource, action)


@dataclass
class _Operation:
    path: str
    method: str
    info: _PathInfo
    kind: str  # the kind whose page lists the operation
    request_type: str | None
    response_type: str | None

    def to_json(self, parameters: list[JsonDict]) -> JsonDict:
        return {
            "path": self.path,
            "method": self.method,
            "action": self.info.action,
            "subresource": self.info.subresource,
            "requestType": self.request_type,
            "responseType": self.response_type,
            "parameters": parameters,
        }


class Normalizer:
    """Turns parsed pages into the normalized schema (one instance per run)."""

    def __init__(self, pages: list[PageDoc], external_types: set[str] | None = None) -> None:
        self.pages = pages
        # What the merge says about a page, kept apart from the page's own parse diagnostics so
        # that normalizing never changes its input (the same pages normalize the same way twice).
        self.page_notes: dict[str, list[Diagnostic]] = {page.file: [] for page in pages}
        self.external_types = external_types
        self.ordered = newest_first(pages)
        self.diagnostics: list[Diagnostic] = []
        self.types: dict[str, JsonDict] = {}
        self.operations: dict[tuple[str, str], _Operation] = {}
        # (plural, subresource, action) → parameter name → parameter JSON
        self.parameters: dict[tuple[str, str | None, str], dict[str, JsonDict]] = {}
        self._dropped_parameters: dict[str, set[str]] = {}
        self._added_parameters: dict[str, set[str]] = {}

    def info(self, section: str, message: str) -> None:
        """Record a server-semantics override."""
        self.diagnostics.append(Diagnostic(SEMANTICS, section, "info", message))

    # ----------------------------------------------------------------------------------------------
    def run(self) -> JsonDict:
        """Build the whole normalized schema."""
        self._merge_types()
        self._merge_operations()
        resources = self._build_resources()
        self._report_parameter_changes()
        self._synthesize_list_types(resources)
        self._apply_type_overrides()
        self._check_references(resources)
        # By file, as the sources are: the schema does not depend on the order the pages came in.
        page_diagnostics = [
            d.to_json()
            for page in sorted(self.pages, key=lambda p: p.file)
            for d in [*page.diagnostics, *self.page_notes[page.file]]
        ]
        return {
            "formatVersion": FORMAT_VERSION,
            "group": GROUP,
            "version": VERSION,
            "sources": [page.source_json() for page in sorted(self.pages, key=lambda p: p.file)],
            "diagnostics": page_diagnostics + [d.to_json() for d in self.diagnostics],
            "types": {name: self.types[name] for name in sorted(self.types)},
            "resources": {plural: resources[plural] for plural in sorted(resources)},
        }

    # types ----------------------------------------------------------------------------------------
    def _merge_types(self) -> None:
        known = {kind.kind for page in self.pages for kind in page.kinds}
        winner: dict[str, PageDoc] = {}
        for page in self.ordered:
            for name, typedef in page_types(page, known).items():
                if name not in self.types:
                    self.types[name] = typedef
                    winner[name] = page
                    continue
                if typedef.get("gvk") and not self.types[name].get("gvk"):
                    self.types[name]["gvk"] = typedef["gvk"]
                if structure(typedef) != structure(self.types[name]):
                    newer = winner[name]
                    self.page_notes[page.file].append(
                        Diagnostic(
                            page.file,
                            name,
                            "info",
                            f"type {name} differs from the newer page's ({newer.file}, release {newer.release}); "
                            f"the newer definition is used: {_field_difference(typedef, self.types[name])}",
                        )
                    )

    def _synthesize_list_types(self, resources: dict[str, JsonDict]) -> None:
        for resource in resources.values():
            list_kind, kind = resource["listKind"], resource["kind"]
            if not list_kind or list_kind in self.types:
                continue
            self.types[list_kind] = {
                "description": f"{list_kind} is a list of {kind} objects.",
                "gvk": {"group": GROUP, "version": VERSION, "kind": list_kind},
                "freeForm": False,
                "fields": {
                    "apiVersion": _plain_field({"type": "string"}, "APIVersion of the list."),
                    "kind": _plain_field({"type": "string"}, "Kind of the list."),
                    "metadata": _plain_field({"type": "ref", "name": "ListMeta"}, "Standard list metadata."),
                    "items": {
                        "type": {"type": "array", "items": {"type": "ref", "name": kind}},
                        "required": True,
                        "description": f"Items is a list of {kind} objects.",
                    },
                },
            }
            self.diagnostics.append(
                Diagnostic(
                    "(generated)",
                    list_kind,
                    "info",
                    f"{list_kind} is not described by the pages; synthesized as items ({kind}) + metadata (ListMeta)",
                )
            )

    def _apply_type_overrides(self) -> None:
        for type_name, field_name in BYTE_FIELDS:
            spec = self.types.get(type_name, {}).get("fields", {}).get(field_name)
            if spec is None:
                continue
            before = spec["type"]
            if before == {"type": "string"}:
                spec["type"] = {"type": "byte"}
            elif before == {"type": "array", "items": {"type": "string"}}:
                spec["type"] = {"type": "array", "items": {"type": "byte"}}
            else:
                continue
            self.info("§4", f"{type_name}.{field_name}: base64-encoded bytes on the wire, not a plain string")
        for (type_name, field_name), extensions in sorted(PATCH_EXTENSIONS.items()):
            spec = self.types.get(type_name, {}).get("fields", {}).get(field_name)
            if spec is None:
                continue
            spec.update(extensions)
            shown = ", ".join(f"{key}={value}" for key, value in sorted(extensions.items()))
            self.info("§9", f"{type_name}.{field_name}: {shown} (the pages do not show patch strategies)")

    def _check_references(self, resources: dict[str, JsonDict]) -> None:
        """Warn about type names used but defined neither here nor among the external (meta) types."""
        if self.external_types is None:
            return
        defined = set(self.types) | self.external_types
        used: dict[str, str] = {}
        for type_name, typedef in self.types.items():
            for wire, spec in typedef["fields"].items():
                for name in _referenced_names(spec["type"]):
                    used.setdefault(name, f"{type_name}.{wire}")
        for plural, resource in resources.items():
            for op in resource["operations"]:
                for name in (op["requestType"], op["responseType"]):
                    if name and name != "Patch":  # a patch body is a patch document, not a model
                        used.setdefault(name, f"{plural}: {op['method']} {op['path']}")
        for name in sorted(set(used) - defined):
            self.diagnostics.append(
                Diagnostic("(generated)", used[name], "warning", f"type {name} is used but defined nowhere")
            )

    # operations -----------------------------------------------------------------------------------
    def _merge_operations(self) -> None:
        for page in self.ordered:
            for kind in page.kinds:
                for doc in kind.operations:
                    self._add_operation(page, kind.kind, doc)

    def _add_operation(self, page: PageDoc, kind: str, doc: OperationDoc) -> None:
        info = classify_path(doc.path, doc.method)
        if info is None:
            self.page_notes[page.file].append(
                Diagnostic(
                    page.file,
                    doc.section,
                    "warning",
                    f"{doc.method} {doc.path}: not a resource path; ignored",
                )
            )
            return
        key = (doc.path, doc.method)
        existing = self.operations.get(key)
        if existing is None:
            self.operations[key] = _Operation(
                doc.path, doc.method, info, kind, doc.body_type, doc.response_type
            )
        else:
            # Pages come newest first: an older page only fills what the newer ones left out.
            existing.request_type = existing.request_type or doc.body_type
            existing.response_type = existing.response_type or doc.response_type
        bucket = self.parameters.setdefault((info.plural, info.subresource, info.action), {})
        for parameter in doc.parameters:
            if parameter.name in ("name", "namespace", "body"):
                continue
            bucket.setdefault(
                parameter.name,
                {"name": parameter.name, "type": parameter.type, "description": parameter.description},
            )

    def _parameters_for(self, operation: _Operation) -> list[JsonDict]:
        info = operation.info
        found = dict(self.parameters.get((info.plural, info.subresource, info.action), {}))
        if info.action == "watch":
            # A watch decodes the same ListOptions as a list (server-semantics §1).
            for name, parameter in self.parameters.get((info.plural, None, "list"), {}).items():
                found.setdefault(name, parameter)
        decoded = decoded_parameters(info.plural, info.subresource, info.action)
        if decoded is not None:
            label = f"{info.plural}{'/' + info.subresource if info.subresource else ''} {info.action}"
            for name in sorted(set(found) - decoded):
                del found[name]
                self._dropped_parameters.setdefault(label, set()).add(name)
            for name in sorted(decoded - set(found)):
                documented = self._documented_parameter(name)
                if documented is not None:
                    found[name] = documented
                    self._added_parameters.setdefault(label, set()).add(name)
        return [copy.deepcopy(found[name]) for name in sorted(found)]

    def _documented_parameter(self, name: str) -> JsonDict | None:
        """How the newest page that documents a parameter describes it (any resource, any action)."""
        for bucket in self.parameters.values():
            if name in bucket:
                return bucket[name]
        return None

    def _report_parameter_changes(self) -> None:
        for label, names in sorted(self._dropped_parameters.items()):
            self.info("§1", f"{label}: the server does not decode {', '.join(sorted(names))}; removed")
        for label, names in sorted(self._added_parameters.items()):
            self.info(
                "§1",
                f"{label}: the server decodes {', '.join(sorted(names))}, which its pages omit; "
                "added with another page's description",
            )

    # resources ------------------------------------------------------------------------------------
    def _build_resources(self) -> dict[str, JsonDict]:
        by_plural: dict[str, list[_Operation]] = {}
        for operation in self.operations.values():
            by_plural.setdefault(operation.info.plural, []).append(operation)
        self._override_body_types()
        resources: dict[str, JsonDict] = {}
        for plural in sorted(by_plural):
            operations = self._apply_server_verbs(plural, by_plural[plural])
            resources[plural] = self._resource(plural, operations)
        for plural in sorted(set(SERVER_RESOURCES) - set(by_plural)):
            self.diagnostics.append(
                Diagnostic(
                    SEMANTICS, "§1", "warning", f"{plural}: served by the server but on no page; left out"
                )
            )
        return resources

    def _override_body_types(self) -> None:
        patched: list[str] = []
        deleted: list[str] = []
        for operation in self.operations.values():
            action = operation.info.action
            if action == "patch" and operation.request_type != "Patch":
                operation.request_type = "Patch"
                patched.append(f"{operation.method} {operation.path}")
            if action in ("delete", "deletecollection") and operation.request_type != "DeleteOptions":
                operation.request_type = "DeleteOptions"
                deleted.append(f"{operation.method} {operation.path}")
        if patched:
            self.info(
                "§1",
                f"patch takes a patch document (requestType Patch) also where a page omits it: {len(patched)} operation(s)",
            )
        if deleted:
            self.info(
                "§1",
                f"delete takes an optional DeleteOptions body also where a page omits it: {len(deleted)} operation(s)",
            )

    def _apply_server_verbs(self, plural: str, operations: list[_Operation]) -> list[_Operation]:
        server = SERVER_RESOURCES.get(plural)
        if server is None:
            self.diagnostics.append(
                Diagnostic(
                    SEMANTICS,
                    "§1",
                    "warning",
                    f"{plural}: not in the server's resource table; kept as documented",
                )
            )
            return operations
        kept: list[_Operation] = []
        dropped: list[_Operation] = []
        for operation in operations:
            info = operation.info
            if info.subresource is None:
                allowed = info.action in server.verbs
            else:
                sub = server.subresources.get(info.subresource)
                allowed = sub is not None and info.action in sub.verbs
            (kept if allowed else dropped).append(operation)
        if dropped:
            shown = ", ".join(
                f"{op.method} {op.path} ({op.info.action})" for op in sorted(dropped, key=_op_key)
            )
            self.info("§1", f"{plural}: the server does not serve {shown}; removed")
        served = {(op.info.subresource, op.info.action) for op in kept}
        wanted = {(None, verb) for verb in server.verbs} | {
            (name, verb) for name, sub in server.subresources.items() for verb in sub.verbs
        }
        for subresource, verb in sorted(wanted - served, key=lambda pair: (pair[0] or "", pair[1])):
            where = f"{plural}/{subresource}" if subresource else plural
            self.diagnostics.append(
                Diagnostic(
                    SEMANTICS, "§1", "warning", f"{where}: the server serves {verb} but no page documents it"
                )
            )
        return kept

    def _resource(self, plural: str, operations: list[_Operation]) -> JsonDict:
        server = SERVER_RESOURCES.get(plural)
        main = [op for op in operations if op.info.subresource is None]
        kind = server.kind if server else (main[0].kind if main else operations[0].kind)
        list_ops = [op for op in main if op.info.action == "list"]
        list_kind = list_ops[0].response_type if list_ops else None
        create_ops = [op for op in main if op.info.action == "create"]
        create_response = create_ops[0].response_type if create_ops else None
        if server and server.create_response_type and create_response != server.create_response_type:
            self.info(
                "§1",
                f"{plural} create answers {server.create_response_type}, not {create_response} as the pages say",
            )
            create_response = server.create_response_type
            for op in create_ops:
                op.response_type = server.create_response_type
        for op in main:
            if op.info.action == "deletecollection" and list_kind and op.response_type != list_kind:
                self.info(
                    "§2", f"{plural} deletecollection answers the list of deleted objects ({list_kind})"
                )
                op.response_type = list_kind
        subresources: JsonDict = {}
        for name in sorted({op.info.subresource for op in operations if op.info.subresource}):
            sub_ops = [op for op in operations if op.info.subresource == name]
            getter = next((op for op in sub_ops if op.info.action == "get"), sub_ops[0])
            writer = next((op for op in sub_ops if op.info.action in ("update", "create")), None)
            server_sub = server.subresources.get(name) if server else None
            subresources[name] = {
                "kind": server_sub.kind if server_sub else (getter.response_type or getter.kind),
                "verbs": sorted({op.info.action for op in sub_ops}),
                "requestType": writer.request_type if writer else None,
                "responseType": getter.response_type,
            }
        verbs = sorted({op.info.action for op in main})
        resource = {
            "kind": kind,
            "listKind": list_kind,
            "singular": server.singular if server else kind.lower(),
            "namespaced": any(op.info.namespaced for op in operations),
            "verbs": verbs,
            "shortNames": list(server.short_names) if server else [],
            "categories": list(server.categories) if server else [],
            "listChunking": server.list_chunking if server else True,
            "subresources": subresources,
            "createResponseType": create_response,
            "operations": [op.to_json(self._parameters_for(op)) for op in sorted(operations, key=_op_key)],
        }
        if server:
            notes = []
            if server.short_names:
                notes.append(f"shortNames {list(server.short_names)}")
            if server.categories:
                notes.append(f"categories {list(server.categories)}")
            if not server.list_chunking:
                notes.append("listChunking false (the server ignores limit/continue)")
            if notes:
                self.info("§1", f"{plural}: {'; '.join(notes)}")
        return resource


def _field_difference(older: JsonDict, newer: JsonDict) -> str:
    """A short account of how an older definition of a type differs from the newer one."""
    old_fields, new_fields = older["fields"], newer["fields"]
    parts = []
    added = sorted(set(new_fields) - set(old_fields))
    removed = sorted(set(old_fields) - set(new_fields))
    changed = sorted(
        name
        for name in set(old_fields) & set(new_fields)
        if structure({"fields": {name: old_fields[name]}}) != structure({"fields": {name: new_fields[name]}})
    )
    if added:
        parts.append(f"newer adds {', '.join(added)}")
    if removed:
        parts.append(f"newer drops {', '.join(removed)}")
    if changed:
        parts.append(f"type or required flag changed for {', '.join(changed)}")
    return "; ".join(parts)


def _op_key(operation: _Operation) -> tuple[str, str]:
    return (operation.path, operation.method)


def _plain_field(type_ref: JsonDict, description: str) -> JsonDict:
    return {"type": type_ref, "required": False, "description": description}


def _referenced_names(ref: JsonDict) -> list[str]:
    if ref["type"] == "ref":
        return [ref["name"]]
    if ref["type"] == "array":
        return _referenced_names(ref["items"])
    if ref["type"] == "map":
        return _referenced_names(ref["values"])
    return []


def normalize(pages: list[PageDoc], external_types: set[str] | None = None) -> JsonDict:
    """The normalized schema (format version 1) for a set of parsed pages.

    ``external_types`` are the names defined elsewhere (the meta types); when given, any other
    type name the schema uses without defining it is reported as a warning.
    """
    return Normalizer(pages, external_types).run()


def counts(schema: JsonDict) -> dict[str, Any]:
    """Headline figures of a normalized schema: kinds, types, fields, resources, diagnostics."""
    types = schema.get("types", {})
    return {
        "kinds": sum(1 for typedef in types.values() if typedef.get("gvk")),
        "types": len(types),
        "fields": sum(len(typedef.get("fields", {})) for typedef in types.values()),
        "resources": len(schema.get("resources", {})),
        "operations": sum(len(r.get("operations", [])) for r in schema.get("resources", {}).values()),
        "diagnostics": len(schema.get("diagnostics", [])),
    }
