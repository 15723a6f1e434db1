"""URL → route resolution, driven by the generated resource table (server-semantics.md §1).

A path either names a resource endpoint that the table says exists (then a method it does not serve
is 405 ``MethodNotAllowed``) or it does not exist at all (404 ``NotFound``, "the server could not find
the requested resource"). Besides the image group, the core group's namespaces and secrets are served
(discovery, seeding pull secrets), and the workload resources of ``_workloads`` in their own groups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .._resource_info import GROUP, VERSION, ResourceInfo, SubresourceInfo
from .._resource_table import RESOURCES as _GENERATED_RESOURCES
from ._status import StatusError, method_not_allowed, path_not_found, qualified
from ._workloads import WORKLOAD_RESOURCES

IMAGE_RESOURCES: Mapping[str, ResourceInfo] = _GENERATED_RESOURCES

GROUP_PREFIX = f"/apis/{GROUP}/{VERSION}"
CORE_PREFIX = "/api/v1"

_CORE_VERBS = frozenset({"create", "delete", "get", "list", "patch", "update", "watch"})

CORE_RESOURCES: Mapping[str, ResourceInfo] = MappingProxyType({
    **WORKLOAD_RESOURCES.get("v1", {}),
    "namespaces": ResourceInfo(
        plural="namespaces", singular="namespace", kind="Namespace", list_kind="NamespaceList",
        namespaced=False, verbs=_CORE_VERBS, short_names=("ns",), categories=(), list_chunking=True,
        create_response_type="Namespace", subresources={}, group="", version="v1"),
    "secrets": ResourceInfo(
        plural="secrets", singular="secret", kind="Secret", list_kind="SecretList",
        namespaced=True, verbs=_CORE_VERBS | {"deletecollection"}, short_names=(), categories=(),
        list_chunking=True, create_response_type="Secret", subresources={}, group="", version="v1"),
})

# The resource table of every served group version, by path prefix ("/api/v1", "/apis/<group>/<version>").
API_TABLES: Mapping[str, Mapping[str, ResourceInfo]] = MappingProxyType({
    CORE_PREFIX: CORE_RESOURCES,
    **{f"/apis/{group_version}": table for group_version, table in WORKLOAD_RESOURCES.items() if "/" in group_version},
    GROUP_PREFIX: IMAGE_RESOURCES,
})


def prefix_of(info: ResourceInfo) -> str:
    """The path prefix of a resource's group version."""
    return f"/apis/{info.group}/{info.version}" if info.group else f"/api/{info.version}"


def _by_plural() -> Mapping[str, ResourceInfo]:
    found: dict[str, ResourceInfo] = {}
    for table in API_TABLES.values():
        for plural, info in table.items():
            # The store keys objects by plural: two groups must never serve the same one.
            assert plural not in found, f"resource {plural!r} is served by two groups"
            found[plural] = info
    return MappingProxyType(found)


# Every served resource by plural.
ALL_RESOURCES: Mapping[str, ResourceInfo] = _by_plural()

# The HTTP method of each verb on the three kinds of endpoint.
_COLLECTION_METHODS = {"list": "GET", "create": "POST", "deletecollection": "DELETE"}
_ITEM_METHODS = {"get": "GET", "update": "PUT", "patch": "PATCH", "delete": "DELETE"}


@dataclass(frozen=True)
class Route:
    """A resolved resource endpoint and the verb the request asks for."""

    info: ResourceInfo
    verb: str  # get list watch create update patch delete deletecollection
    namespace: str | None
    name: str | None
    subresource: str | None
    watch_path: bool  # the deprecated /watch/... form

    @property
    def plural(self) -> str:
        """The resource's plural name."""
        return self.info.plural


def _table_for(path: str) -> tuple[Mapping[str, ResourceInfo], list[str]] | None:
    if path.startswith(GROUP_PREFIX + "/"):  # the hot path first
        return IMAGE_RESOURCES, path[len(GROUP_PREFIX) + 1:].split("/")
    if path.startswith(CORE_PREFIX + "/"):
        return CORE_RESOURCES, path[len(CORE_PREFIX) + 1:].split("/")
    if path.startswith("/apis/"):
        parts = path.split("/", 4)  # "", "apis", group, version, rest
        if len(parts) == 5:
            table = API_TABLES.get(f"/apis/{parts[2]}/{parts[3]}")
            if table is not None:
                return table, parts[4].split("/")
    return None


def resolve(method: str, path: str, watch_param: bool) -> Route:
    """The route of a resource request; raises 404/405 StatusErrors exactly where the server does."""
    found = _table_for(path.rstrip("/") if path != "/" else path)
    if found is None:
        raise path_not_found()
    table, segments = found
    if any(not segment for segment in segments):
        raise path_not_found()
    watch_path = segments[0] == "watch"
    if watch_path:
        segments = segments[1:]
    namespace: str | None = None
    if len(segments) >= 3 and segments[0] == "namespaces":
        namespace, segments = segments[1], segments[2:]
    if not segments or len(segments) > 3:
        raise path_not_found()
    info = table.get(segments[0])
    if info is None:
        raise path_not_found()
    name = segments[1] if len(segments) > 1 else None
    subresource = segments[2] if len(segments) > 2 else None
    if namespace is not None and not info.namespaced:
        raise path_not_found()
    if info.namespaced and namespace is None and name is not None:
        raise path_not_found()

    if watch_path:
        if subresource is not None or not info.supports("watch"):
            raise path_not_found()
        if method != "GET":
            raise method_not_allowed()
        return Route(info, "watch", namespace, name, None, True)

    if subresource is not None:
        sub: SubresourceInfo | None = info.subresources.get(subresource)
        if sub is None:
            raise path_not_found()
        verbs = {verb: m for verb, m in _ITEM_METHODS.items() if verb in sub.verbs}
        return Route(info, _verb_for(method, verbs), namespace, name, subresource, False)

    if name is not None:
        verbs = {verb: m for verb, m in _ITEM_METHODS.items() if info.supports(verb)}
        return Route(info, _verb_for(method, verbs), namespace, name, None, False)

    if info.namespaced and namespace is None:
        # The all-namespaces path only lists (and watches).
        verbs = {"list": "GET"} if info.supports("list") else {}
    else:
        verbs = {verb: m for verb, m in _COLLECTION_METHODS.items() if info.supports(verb)}
    verb = _verb_for(method, verbs)
    if verb == "list" and watch_param:
        if not info.supports("watch"):
            raise StatusError(405, "MethodNotAllowed",
                              f'watch is not supported on resources of kind "{qualified(info.plural, info.group)}"',
                              {"group": info.group, "kind": info.plural})
        verb = "watch"
    return Route(info, verb, namespace, None, None, False)


def _verb_for(method: str, verbs: Mapping[str, str]) -> str:
    if not verbs:
        raise path_not_found()
    for verb, verb_method in verbs.items():
        if verb_method == method:
            return verb
    raise method_not_allowed()
