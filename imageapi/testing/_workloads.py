"""The resources outside the image group that controllers and prune read: Leases, Pods,
ReplicationControllers, ConfigMaps, Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, CronJobs,
BuildConfigs, Builds and DeploymentConfigs.

One table row per kind (:data:`WORKLOAD_KINDS`) gives its group, version, names, and which generic
behaviours its registry strategy has: a ``status`` subresource (writes to the main resource keep the
stored status, writes to ``/status`` change only the status), ``metadata.generation`` (1 on create,
+1 on a spec change), the field selectors it supports, and the status a new object starts with.
Everything else is stored as sent: no schema validation beyond metadata (names are DNS subdomains, as
every one of these kinds requires), except for Lease, whose spec field types and values are checked
and whose MicroTime fields are normalised as the apiserver's decoder and encoder do.

They share the one store (resourceVersion, history, watch, paging, selectors) with the image resources;
the routes, discovery and OpenAPI documents are built from the same table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

from .._resource_info import ResourceInfo, SubresourceInfo
from ._contracts import JSON, RequestContext, StoreStrategy
from ._patch_base import go_type_name
from ._selectors import metadata_field_value
from ._status import FieldError, bad_request

_VERBS = frozenset({"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"})
_STATUS_VERBS = frozenset({"get", "patch", "update"})

_DNS_SUBDOMAIN_MAX = 253
_DNS_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    r"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)


def _pod_initial_status(obj: JSON) -> JSON:
    """A new Pod is Pending with its QoS class computed from the containers' resources
    (``qos.GetPodQOS``, simplified to cpu and memory)."""
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    assert isinstance(spec, dict)
    containers = [c for key in ("initContainers", "containers") for c in (spec.get(key) or []) if isinstance(c, dict)]
    any_resources = False
    guaranteed = bool(containers)
    for container in containers:
        resources = container.get("resources") if isinstance(container.get("resources"), dict) else {}
        assert isinstance(resources, dict)
        requests = resources.get("requests") if isinstance(resources.get("requests"), dict) else {}
        limits = resources.get("limits") if isinstance(resources.get("limits"), dict) else {}
        assert isinstance(requests, dict) and isinstance(limits, dict)
        if requests or limits:
            any_resources = True
        for resource in ("cpu", "memory"):
            if resource not in limits or requests.get(resource, limits[resource]) != limits[resource]:
                guaranteed = False
    qos = "BestEffort" if not any_resources else "Guaranteed" if guaranteed else "Burstable"
    return {"phase": "Pending", "qosClass": qos}


def _empty_status(obj: JSON) -> JSON:
    return {}


@dataclass(frozen=True)
class WorkloadKind:
    """One served kind outside the image group, and the generic behaviours its strategy has."""

    group: str
    version: str
    kind: str
    plural: str
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ("all",)
    status_subresource: bool = True
    generation: bool = True
    # Field selectors beyond metadata.name/namespace: selector name → path in the object.
    selectable_fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # The status a created object starts with (the create strategy resets what the client sent).
    initial_status: Callable[[JSON], JSON] = _empty_status

    @property
    def api_version(self) -> str:
        """The ``apiVersion`` of the kind's objects."""
        return f"{self.group}/{self.version}" if self.group else self.version

    def resource_info(self) -> ResourceInfo:
        """The routes' and discovery's description of the resource."""
        subresources: dict[str, SubresourceInfo] = {}
        if self.status_subresource:
            subresources["status"] = SubresourceInfo("status", self.kind, _STATUS_VERBS, self.kind, self.kind)
        return ResourceInfo(
            plural=self.plural, singular=self.kind.lower(), kind=self.kind, list_kind=f"{self.kind}List",
            namespaced=True, verbs=_VERBS, short_names=self.short_names, categories=self.categories,
            list_chunking=True, create_response_type=self.kind, subresources=MappingProxyType(subresources),
            group=self.group, version=self.version)


_POD_FIELDS = {
    "spec.nodeName": ("spec", "nodeName"), "spec.restartPolicy": ("spec", "restartPolicy"),
    "spec.schedulerName": ("spec", "schedulerName"), "spec.serviceAccountName": ("spec", "serviceAccountName"),
    "spec.hostNetwork": ("spec", "hostNetwork"), "status.phase": ("status", "phase"),
    "status.podIP": ("status", "podIP"), "status.nominatedNodeName": ("status", "nominatedNodeName"),
}
_REPLICAS_FIELDS = {"status.replicas": ("status", "replicas")}

WORKLOAD_KINDS: tuple[WorkloadKind, ...] = (
    WorkloadKind("coordination.k8s.io", "v1", "Lease", "leases", categories=(), status_subresource=False,
                 generation=False),
    WorkloadKind("", "v1", "Pod", "pods", ("po",), selectable_fields=_POD_FIELDS, initial_status=_pod_initial_status),
    WorkloadKind("", "v1", "ReplicationController", "replicationcontrollers", ("rc",),
                 selectable_fields=_REPLICAS_FIELDS),
    WorkloadKind("", "v1", "ConfigMap", "configmaps", ("cm",), categories=(), status_subresource=False,
                 generation=False),
    WorkloadKind("apps", "v1", "Deployment", "deployments", ("deploy",)),
    WorkloadKind("apps", "v1", "ReplicaSet", "replicasets", ("rs",), selectable_fields=_REPLICAS_FIELDS),
    WorkloadKind("apps", "v1", "StatefulSet", "statefulsets", ("sts",)),
    WorkloadKind("apps", "v1", "DaemonSet", "daemonsets", ("ds",)),
    WorkloadKind("batch", "v1", "Job", "jobs", selectable_fields={"status.successful": ("status", "succeeded")}),
    WorkloadKind("batch", "v1", "CronJob", "cronjobs", ("cj",)),
    WorkloadKind("build.openshift.io", "v1", "BuildConfig", "buildconfigs", ("bc",), status_subresource=False,
                 generation=False),
    WorkloadKind("build.openshift.io", "v1", "Build", "builds", status_subresource=False, generation=False,
                 selectable_fields={"status": ("status", "phase"), "podName": ("metadata", "name")}),
    WorkloadKind("apps.openshift.io", "v1", "DeploymentConfig", "deploymentconfigs", ("dc",)),
)


def _group_tables() -> Mapping[str, Mapping[str, ResourceInfo]]:
    tables: dict[str, dict[str, ResourceInfo]] = {}
    for kind in WORKLOAD_KINDS:
        tables.setdefault(kind.api_version, {})[kind.plural] = kind.resource_info()
    return MappingProxyType({gv: MappingProxyType(table) for gv, table in tables.items()})


# group/version ("v1" for the core group) → plural → ResourceInfo.
WORKLOAD_RESOURCES: Mapping[str, Mapping[str, ResourceInfo]] = _group_tables()


def validate_dns_subdomain_name(name: str, path: str = "metadata.name") -> list[FieldError]:
    """``ValidateObjectMeta`` with ``NameIsDNSSubdomain``, as the registries of these kinds validate names."""
    errors: list[FieldError] = []
    if len(name) > _DNS_SUBDOMAIN_MAX:
        errors.append(FieldError("FieldValueInvalid", path, f"must be no more than {_DNS_SUBDOMAIN_MAX} characters",
                                 name, True))
    if not _DNS_SUBDOMAIN_RE.match(name):
        errors.append(FieldError("FieldValueInvalid", path, _DNS_SUBDOMAIN_MSG, name, True))
    return errors


# ObjectMeta fields a status write cannot change (``ResetObjectMetaForStatus``).
_STATUS_KEPT_METADATA = ("labels", "annotations", "finalizers", "ownerReferences", "deletionTimestamp", "generation")


class WorkloadStrategy:
    """The generic registry strategy of one :class:`WorkloadKind` (a :class:`StoreStrategy`)."""

    def __init__(self, kind: WorkloadKind) -> None:
        self.kind = kind

    def prepare_for_create(self, obj: JSON, ctx: RequestContext) -> None:
        """Reset the status (kinds with a status subresource) and start the generation at 1."""
        if self.kind.status_subresource:
            obj["status"] = self.kind.initial_status(obj)
        if self.kind.generation:
            obj["metadata"]["generation"] = 1

    def validate_create(self, obj: JSON, ctx: RequestContext) -> list[FieldError]:
        """The name must be a DNS subdomain."""
        return validate_dns_subdomain_name(str(obj["metadata"].get("name") or ""))

    def prepare_for_update(self, new: JSON, old: JSON, ctx: RequestContext, subresource: str | None) -> None:
        """A main-resource write keeps the stored status; a status write keeps everything else.
        A change of spec bumps the generation."""
        if subresource == "status":
            for key in list(new):
                if key not in ("kind", "apiVersion", "metadata", "status"):
                    del new[key]
            for key, value in old.items():
                if key not in ("kind", "apiVersion", "metadata", "status"):
                    new[key] = value
            meta, old_meta = new["metadata"], old.get("metadata", {})
            for key in _STATUS_KEPT_METADATA:
                if key in old_meta:
                    meta[key] = old_meta[key]
                else:
                    meta.pop(key, None)
            return
        if self.kind.status_subresource:
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)
        if self.kind.generation and new.get("spec") != old.get("spec"):
            new["metadata"]["generation"] = int(old.get("metadata", {}).get("generation") or 0) + 1

    def validate_update(self, new: JSON, old: JSON, ctx: RequestContext, subresource: str | None) -> list[FieldError]:
        """Nothing beyond the generic checks (the name cannot change)."""
        return []

    def decorate(self, obj: JSON, ctx: RequestContext) -> None:
        """Nothing computed on read."""

    def field_value(self, obj: JSON, field_path: str) -> str:
        """The kind's own selectable fields, then the metadata ones."""
        path = self.kind.selectable_fields.get(field_path)
        if path is None:
            return metadata_field_value(obj, field_path)
        value: Any = obj
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)


# -- Lease ------------------------------------------------------------------------------------------

_MICRO_TIME_LAYOUT = "2006-01-02T15:04:05.000000Z07:00"
_MICRO_TIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})(Z|[+-]\d{2}:\d{2})$")
_INT32 = (-(2 ** 31), 2 ** 31 - 1)
# LeaseSpec's fields and their Go types.
_LEASE_SPEC_FIELDS = {
    "holderIdentity": "string", "leaseDurationSeconds": "int32", "acquireTime": "MicroTime",
    "renewTime": "MicroTime", "leaseTransitions": "int32", "strategy": "string", "preferredHolder": "string",
}


def _decode_error(detail: str) -> Exception:
    return bad_request(f'Lease in version "v1" cannot be handled as a Lease: {detail}')


def parse_micro_time(text: str) -> datetime:
    """``metav1.MicroTime``'s decoding: RFC 3339 with exactly six fractional digits (``RFC3339Micro``);
    anything else is the decoder's parse error."""
    match = _MICRO_TIME_RE.match(text)
    parsed: datetime | None = None
    if match is not None:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
    if parsed is None:
        raise _decode_error(f'parsing time "{text}" as "{_MICRO_TIME_LAYOUT}": {_micro_time_mismatch(text)}')
    return parsed


def _micro_time_mismatch(text: str) -> str:
    """The tail of Go's parse error: the first layout element the text does not match."""
    if re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", text):
        rest = text[19:]
        if not re.match(r"^\.\d{6}", rest):
            return f'cannot parse "{rest}" as ".000000"'
        return f'cannot parse "{rest[7:]}" as "Z07:00"'
    return f'cannot parse "{text}" as "2006"'



def format_micro_time(moment: datetime) -> str:
    """``metav1.MicroTime``'s encoding: UTC, six fractional digits."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaseStrategy(WorkloadStrategy):
    """Leases (``coordination.k8s.io/v1``): the spec's field types are decoded as the server's Go
    types are (a wrong type is 400), its values validated as ``ValidateLeaseSpec`` does (422), null
    fields dropped and MicroTimes re-encoded in UTC, as a round trip through the server does."""

    def prepare_for_create(self, obj: JSON, ctx: RequestContext) -> None:
        """Decode the spec, then the generic create preparation."""
        self._decode_spec(obj)
        super().prepare_for_create(obj, ctx)

    def prepare_for_update(self, new: JSON, old: JSON, ctx: RequestContext, subresource: str | None) -> None:
        """Decode the spec, then the generic update preparation."""
        self._decode_spec(new)
        super().prepare_for_update(new, old, ctx, subresource)

    def validate_create(self, obj: JSON, ctx: RequestContext) -> list[FieldError]:
        """Name and spec values."""
        return [*super().validate_create(obj, ctx), *self._validate_spec(obj)]

    def validate_update(self, new: JSON, old: JSON, ctx: RequestContext, subresource: str | None) -> list[FieldError]:
        """Spec values."""
        return self._validate_spec(new)

    @staticmethod
    def _decode_spec(obj: JSON) -> None:
        spec = obj.get("spec")
        if spec is None:
            obj.pop("spec", None)
            return
        if not isinstance(spec, dict):
            raise _decode_error(f"json: cannot unmarshal {go_type_name(spec)} into Go struct field Lease.spec of "
                                "type v1.LeaseSpec")
        for name in list(spec):
            go_type = _LEASE_SPEC_FIELDS.get(name)
            value = spec[name]
            if go_type is None:
                continue  # unknown fields: the generic fieldValidation handling's business
            if value is None:
                del spec[name]  # a nil pointer, omitted when encoded
                continue
            where = f"Go struct field LeaseSpec.spec.{name} of type"
            if go_type == "int32":
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise _decode_error(f"json: cannot unmarshal {go_type_name(value)} into {where} int32")
                if (isinstance(value, float) and not value.is_integer()) or not _INT32[0] <= value <= _INT32[1]:
                    raise _decode_error(f"json: cannot unmarshal number {value} into {where} int32")
                spec[name] = int(value)
            elif not isinstance(value, str):
                target = "string" if go_type == "string" else "v1.MicroTime"
                raise _decode_error(f"json: cannot unmarshal {go_type_name(value)} into {where} {target}")
            elif go_type == "MicroTime":
                spec[name] = format_micro_time(parse_micro_time(value))

    @staticmethod
    def _validate_spec(obj: JSON) -> list[FieldError]:
        spec = obj.get("spec") or {}
        errors: list[FieldError] = []
        duration = spec.get("leaseDurationSeconds")
        if duration is not None and duration <= 0:
            errors.append(FieldError("FieldValueInvalid", "spec.leaseDurationSeconds", "must be greater than 0",
                                     duration, True))
        transitions = spec.get("leaseTransitions")
        if transitions is not None and transitions < 0:
            errors.append(FieldError("FieldValueInvalid", "spec.leaseTransitions",
                                     "must be greater than or equal to 0", transitions, True))
        return errors


def _strategies() -> Mapping[str, StoreStrategy]:
    strategies: dict[str, StoreStrategy] = {}
    for kind in WORKLOAD_KINDS:
        strategies[kind.plural] = LeaseStrategy(kind) if kind.kind == "Lease" else WorkloadStrategy(kind)
    return MappingProxyType(strategies)


STRATEGIES: Mapping[str, StoreStrategy] = _strategies()

__all__ = [
    "STRATEGIES",
    "WORKLOAD_KINDS",
    "WORKLOAD_RESOURCES",
    "LeaseStrategy",
    "WorkloadKind",
    "WorkloadStrategy",
    "format_micro_time",
    "parse_micro_time",
    "validate_dns_subdomain_name",
]
