"""Conventions the Kubernetes API server follows when it publishes OpenAPI, shared by reader and emitter.

Keeping them in one place means the emitter writes exactly what the reader understands, and a
change to a naming rule cannot drift between the two directions.
"""

from __future__ import annotations

# Meta types live in Kubernetes packages; the server names each schema after its Go package.
META_V1_PACKAGE = "io.k8s.apimachinery.pkg.apis.meta.v1"
CORE_V1_PACKAGE = "io.k8s.api.core.v1"
RUNTIME_PACKAGE = "io.k8s.apimachinery.pkg.runtime"

#: Package of meta types whose package is not meta/v1 (the default).
META_TYPE_PACKAGES: dict[str, str] = {
    "LocalObjectReference": CORE_V1_PACKAGE,
    "ObjectReference": CORE_V1_PACKAGE,
    "Secret": CORE_V1_PACKAGE,
    "SecretList": CORE_V1_PACKAGE,
    "RawExtension": RUNTIME_PACKAGE,
}

#: Definitions that the normalized schema expresses as built-in TypeRefs, not as named types.
#: ``MicroTime`` has the same wire form as ``Time`` (RFC 3339, more digits).
BUILTIN_TYPEREFS: dict[str, dict[str, str]] = {
    "Time": {"type": "Time"},
    "MicroTime": {"type": "Time"},
    "RawExtension": {"type": "RawExtension"},
    "FieldsV1": {"type": "any"},
}

#: Types only ever named as a request body (the PATCH body): no TypeDef, the name is enough.
BODY_ONLY_TYPES = frozenset({"Patch"})

#: Normalized field keys and the OpenAPI extension each one stands for.
FIELD_EXTENSIONS: dict[str, str] = {
    "patchMergeKey": "x-kubernetes-patch-merge-key",
    "patchStrategy": "x-kubernetes-patch-strategy",
    "listType": "x-kubernetes-list-type",
    "listMapKeys": "x-kubernetes-list-map-keys",
    "mapType": "x-kubernetes-map-type",
}

GVK_EXTENSION = "x-kubernetes-group-version-kind"
ACTION_EXTENSION = "x-kubernetes-action"

#: ``x-kubernetes-action`` values as the server writes them, for each normalized action. The
#: server says ``post``/``put`` for create/update and ``watchlist`` for a watch on a collection.
SERVER_ACTIONS: dict[str, str] = {
    "get": "get",
    "list": "list",
    "watch": "watch",
    "create": "post",
    "update": "put",
    "patch": "patch",
    "delete": "delete",
    "deletecollection": "deletecollection",
}

#: The reverse of :data:`SERVER_ACTIONS`, plus the collection form of watch.
NORMALIZED_ACTIONS: dict[str, str] = {server: normalized for normalized, server in SERVER_ACTIONS.items()}
NORMALIZED_ACTIONS["watchlist"] = "watch"


def group_package(group: str, version: str) -> str:
    """The Go package prefix the server uses for an OpenShift group's schemas.

    ``image.openshift.io``/``v1`` → ``com.github.openshift.api.image.v1``.
    """
    return f"com.github.openshift.api.{group.split('.')[0]}.{version}"


def meta_package(type_name: str) -> str:
    """The Go package prefix of a meta type (``ObjectMeta`` → meta/v1, ``Secret`` → core/v1)."""
    return META_TYPE_PACKAGES.get(type_name, META_V1_PACKAGE)


def short_name(definition_name: str) -> str:
    """The type name of a definition: its last dotted component."""
    return definition_name.rsplit(".", 1)[-1]
