"""``oc adm prune images`` as a plan and an apply step.

::

    from imageapi.workflows import prune

    plan = prune.plan(client, keep_tag_revisions=3, keep_younger_than=timedelta(minutes=60))
    print(plan)                                   # what would go, and for each kept revision why
    result = prune.apply(client, plan, progress=lambda done, total, what: ...)
    # or in one step, a dry run unless confirm=True:
    result = prune.prune(client, keep_tag_revisions=3, confirm=True)

The algorithm is oc's (openshift/oc ``pkg/cli/admin/prune/imageprune/prune.go``).

Stage 1, per image stream (all namespaces, or ``namespace``): a stream younger than the cutoff keeps
everything; otherwise each revision of each status tag is kept when it is younger than the cutoff,
when it is revision 0 of a tag something uses, when it is within ``keep_tag_revisions``, or when
its image is used through this stream; a revision whose Image object no longer exists is dropped;
the rest go. Tags left without revisions go too. Each stream is written once, through ``/status``,
with the ``resourceVersion`` the plan read.

Stage 2, only cluster-wide: Image objects no stream references any more are deleted, unless they
are younger than the cutoff, or (``all=False``) not managed by OpenShift
(``openshift.io/image.managed: "true"``).

"Used" means referenced by a Pod that is Running or Pending or younger than the cutoff, by a
ReplicationController, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob (their pod
templates, init containers included), a Build or BuildConfig (its strategy's ``from``), a
DeploymentConfig, or by a reference the caller adds (``references=``: pull specs as pods carry them,
or ``namespace/stream:tag`` and ``namespace/stream@digest``). A pull spec counts only when it has the
form ``registry/namespace/stream[:tag|@digest]``, whatever the registry (oc's rule: it may keep an
image whose pull spec happens to match a stream, never the reverse).

Where this does better than oc:

* A stream changed between plan and apply is re-read and the algorithm run again on what it now
  holds, and only revisions that both the plan and the fresh run remove are removed: nothing the
  user did not see in the plan goes, and nothing a newer change keeps goes (oc re-derives
  everything at write time).
* Before deleting images, the streams are listed again: an image tagged somewhere between plan and
  apply is kept (oc deletes from its first snapshot). Each delete is conditional on the image's
  uid and resourceVersion.
* Stopping half-way (an exception from ``progress``, a lost connection) leaves every stream either
  fully pruned or untouched, and images are deleted only after every stream write; a re-run plans
  just the rest.
* Registry storage (layer links, blobs, manifests) is not touched: this prunes API objects only, as
  ``oc adm prune images --prune-registry=false``; the registry's own garbage collection reclaims
  storage.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, overload

from .._base_client import Flow
from .._reference import InvalidReferenceError, parse_reference
from .._request import DeleteOptions, build_delete_request, resource_path
from ..errors import ConflictError, NotFoundError
from ._common import (
    CONFLICT_ATTEMPTS,
    JSON,
    decode_json,
    get_json,
    image_info,
    json_request,
    list_all,
    run,
    workload_info,
)
from ._streams import name_of, namespace_of, parse_time, resource_version_of, status_tags

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from .._client import AsyncClient, Client

__all__ = [
    "DEFAULT_KEEP_TAG_REVISIONS",
    "DEFAULT_KEEP_YOUNGER_THAN",
    "ImageDecision",
    "Progress",
    "PrunePlan",
    "PruneResult",
    "Revision",
    "StreamPrune",
    "apply",
    "plan",
    "prune",
]

#: oc's defaults: ``--keep-tag-revisions=3``, ``--keep-younger-than=60m``.
DEFAULT_KEEP_TAG_REVISIONS = 3
DEFAULT_KEEP_YOUNGER_THAN = timedelta(minutes=60)

_MANAGED_ANNOTATION = "openshift.io/image.managed"

Progress = Callable[[int, int, str], Any]
"""``progress(done, total, what)``: called after each write of :func:`apply` (``what`` names it)."""

KeepRule = Literal["stream-younger", "younger", "tag-in-use", "tag-revisions", "image-in-use"]
RemoveReason = Literal["image-missing", "pruned"]


# -- what workloads use ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Workload:
    api_version: str
    plural: str
    kind: str
    singular: str
    pod_spec: tuple[str, ...] | None  # the path to the pod spec; None: a build strategy
    optional: bool = False  # an OpenShift API a cluster may not serve (oc tolerates its 404)


# The order and names of oc's analyzeReferencesFrom* passes.
WORKLOADS: tuple[_Workload, ...] = (
    _Workload("v1", "pods", "Pod", "pod", ("spec",)),
    _Workload("v1", "replicationcontrollers", "ReplicationController", "replicationcontroller",
              ("spec", "template", "spec")),
    _Workload("apps.openshift.io/v1", "deploymentconfigs", "DeploymentConfig", "deploymentconfig",
              ("spec", "template", "spec"), optional=True),
    _Workload("apps/v1", "replicasets", "ReplicaSet", "replicaset", ("spec", "template", "spec")),
    _Workload("apps/v1", "deployments", "Deployment", "deployment", ("spec", "template", "spec")),
    _Workload("apps/v1", "daemonsets", "DaemonSet", "daemonset", ("spec", "template", "spec")),
    _Workload("build.openshift.io/v1", "builds", "Build", "build", None, optional=True),
    _Workload("build.openshift.io/v1", "buildconfigs", "BuildConfig", "buildconfig", None, optional=True),
    _Workload("apps/v1", "statefulsets", "StatefulSet", "statefulset", ("spec", "template", "spec")),
    _Workload("batch/v1", "jobs", "Job", "job", ("spec", "template", "spec")),
    _Workload("batch/v1", "cronjobs", "CronJob", "cronjob", ("spec", "jobTemplate", "spec", "template", "spec")),
)


@dataclass
class _Usage:
    """Which stream tags and stream images something uses, and who (oc's usedTags/usedImages)."""

    tags: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)
    images: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def pull_spec(self, referrer: str, where: str, spec: str) -> None:
        """A pod-style image reference (oc's ``analyzeImageReference``)."""
        try:
            ref = parse_reference(spec)
        except InvalidReferenceError as error:
            self.errors.append(f"{referrer}: {where}invalid image reference {spec!r}: {error}")
            return
        if not ref.registry or not ref.namespace or "/" in ref.name:
            return  # not registry/namespace/name: cannot be an image stream
        if ref.id:
            self.images.setdefault((ref.namespace, ref.name, ref.id), []).append(referrer)
        else:
            self.tags.setdefault((ref.namespace, ref.name, ref.tag or "latest"), []).append(referrer)

    def pod_spec(self, referrer: str, spec: Any) -> None:
        if not isinstance(spec, dict):
            return
        for group, label in (("initContainers", "init container"), ("containers", "container")):
            for container in spec.get(group) or []:
                image = str(container.get("image") or "").strip()
                if image:
                    self.pull_spec(referrer, f"{label} {container.get('name')}: ", image)

    def build_strategy(self, referrer: str, namespace: str, strategy: Any) -> None:
        """The input image of a build strategy (library-go's ``GetInputReference``)."""
        strategy = strategy if isinstance(strategy, dict) else {}
        source = next((strategy[key].get("from") for key in ("sourceStrategy", "dockerStrategy", "customStrategy")
                       if isinstance(strategy.get(key), dict)), None)
        if not isinstance(source, dict):
            return
        kind, name = source.get("kind"), str(source.get("name") or "")
        where = str(source.get("namespace") or namespace)
        if kind == "DockerImage" and name.strip():
            self.pull_spec(referrer, "", name)
        elif kind == "ImageStreamImage":
            stream, at, digest = name.partition("@")
            if not at or not stream or not digest or "@" in digest:
                self.errors.append(f"{referrer}: invalid ImageStreamImage reference {name!r}")
                return
            self.images.setdefault((where, stream, digest), []).append(referrer)
        elif kind == "ImageStreamTag":
            stream, colon, tag = name.partition(":")
            if not colon or not stream or not tag or ":" in tag or "@" in name:
                self.errors.append(f"{referrer}: invalid ImageStreamTag reference {name!r}")
                return
            self.tags.setdefault((where, stream, tag), []).append(referrer)

    def caller_reference(self, reference: str) -> None:
        """``namespace/stream:tag``, ``namespace/stream@digest`` or a pull spec."""
        referrer = f"reference {reference}"
        try:
            ref = parse_reference(reference)
        except InvalidReferenceError as error:
            raise ValueError(f"invalid reference {reference!r}: {error}") from None
        if ref.registry:
            self.pull_spec(referrer, "", reference)
            return
        if not ref.namespace:
            raise ValueError(f"reference {reference!r} must name its namespace: namespace/stream:tag, "
                             "namespace/stream@digest or a pull spec")
        if ref.id:
            self.images.setdefault((ref.namespace, ref.name, ref.id), []).append(referrer)
        else:
            self.tags.setdefault((ref.namespace, ref.name, ref.tag or "latest"), []).append(referrer)


def _dig(obj: Any, path: Sequence[str]) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _analyze(usage: _Usage, workload: _Workload, items: Iterable[JSON], cutoff: datetime) -> None:
    for item in items:
        namespace = namespace_of(item)
        referrer = f"{workload.singular}/{name_of(item)} namespace={namespace}"
        if workload.plural == "pods":
            phase = (item.get("status") or {}).get("phase")
            created = parse_time((item.get("metadata") or {}).get("creationTimestamp"))
            if phase not in ("Running", "Pending") and (created is None or created < cutoff):
                continue  # finished long enough ago: what it ran is not in use
        if workload.pod_spec is None:
            usage.build_strategy(referrer, namespace, _dig(item, ("spec", "strategy")))
        else:
            usage.pod_spec(referrer, _dig(item, workload.pod_spec))


def _sample(referrers: list[str]) -> str:
    # oc's referencesSample: up to three names, then "and N more".
    if len(referrers) >= 5:
        return ", ".join(referrers[:3]) + f", and {len(referrers) - 3} more"
    return ", ".join(referrers)


# -- the plan -------------------------------------------------------------------------------------


class Revision(NamedTuple):
    """One revision of a status tag (``position`` 0 is the newest) and what the plan does with it.

    ``rule`` is why it is kept (None when it is removed): ``stream-younger``, ``younger``,
    ``tag-in-use``, ``tag-revisions`` or ``image-in-use``; ``reason`` says more (who uses it, or
    ``image-missing``/``pruned`` for a removal). A named tuple: a plan holds one per revision of
    the cluster, hundreds of thousands of them.
    """

    tag: str
    position: int
    image: str
    reference: str
    created: str
    rule: KeepRule | None
    reason: str

    @property
    def kept(self) -> bool:
        """Whether the plan keeps it."""
        return self.rule is not None


@dataclass(frozen=True)
class StreamPrune:
    """Stage 1 for one stream: every revision, kept (with its rule) or removed, and the tags left empty."""

    namespace: str
    name: str
    resource_version: str
    revisions: tuple[Revision, ...]
    emptied_tags: tuple[str, ...]

    @property
    def removed(self) -> tuple[Revision, ...]:
        """The revisions the plan removes."""
        return tuple(revision for revision in self.revisions if revision.rule is None)

    @property
    def kept(self) -> tuple[Revision, ...]:
        """The revisions the plan keeps."""
        return tuple(revision for revision in self.revisions if revision.rule is not None)


@dataclass(frozen=True, slots=True)
class ImageDecision:
    """Stage 2 for one Image: ``delete`` True, or the rule that keeps it (``referenced``, ``younger``,
    ``not-managed``)."""

    name: str
    delete: bool
    rule: str
    uid: str
    resource_version: str


@dataclass(frozen=True)
class _Context:
    """What apply needs to re-run the stage 1 algorithm on a stream that changed."""

    usage: _Usage
    images: frozenset[str]
    cutoff: datetime
    keep_tag_revisions: int
    documents: dict[tuple[str, str], JSON]


@dataclass(frozen=True)
class PrunePlan:
    """What ``prune.apply`` would do: stage 1 per stream, stage 2 per image, and the settings.

    ``str()`` reads like oc's dry run. ``skipped_kinds`` lists workload kinds the server does not
    serve (their references could not be read: a cluster without OpenShift builds, say).
    """

    namespace: str | None
    keep_tag_revisions: int
    keep_younger_than: timedelta
    cutoff: datetime
    all: bool
    streams: tuple[StreamPrune, ...]
    images: tuple[ImageDecision, ...]
    skipped_kinds: tuple[str, ...]
    _context: _Context = field(repr=False, compare=False)

    @property
    def stream_writes(self) -> tuple[StreamPrune, ...]:
        """The streams stage 1 writes (those that lose a revision)."""
        return tuple(stream for stream in self.streams if stream.removed)

    @property
    def image_deletes(self) -> tuple[ImageDecision, ...]:
        """The images stage 2 deletes."""
        return tuple(image for image in self.images if image.delete)

    @property
    def removed_revisions(self) -> int:
        """How many revisions stage 1 removes."""
        return sum(len(stream.removed) for stream in self.streams)

    @property
    def empty(self) -> bool:
        """Whether applying the plan would change nothing."""
        return not self.stream_writes and not self.image_deletes

    def __str__(self) -> str:
        lines = [f"Deleting {len(stream.removed)} items from image stream {stream.namespace}/{stream.name}"
                 for stream in self.stream_writes]
        lines += [f"Deleting image {image.name}" for image in self.image_deletes]
        lines += [f"warning: {kind} are not served here; their image references were not read"
                  for kind in self.skipped_kinds]
        lines.append(f"Summary: would {_summary(len(self.image_deletes), self.removed_revisions, len(self.stream_writes))}")
        return "\n".join(lines)


def _summary(images: int, items: int, streams: int) -> str:
    # oc's PruneStats.String
    parts = []
    if images:
        parts.append(f"delete {images} image object(s)")
    if items:
        parts.append(f"delete {items} image stream tag item(s)")
    if streams:
        parts.append(f"update {streams} image stream(s)")
    return ", ".join(parts) if parts else "delete 0 objects"


@dataclass(frozen=True)
class PruneResult:
    """What ``prune.apply`` (or ``prune.prune``) did. ``applied`` is False for a dry run."""

    plan: PrunePlan
    applied: bool
    updated_streams: tuple[str, ...] = ()
    deleted_revisions: int = 0
    deleted_images: tuple[str, ...] = ()
    kept_images: tuple[str, ...] = ()
    gone_streams: tuple[str, ...] = ()

    def __str__(self) -> str:
        if not self.applied:
            return f"{self.plan}\nDry run enabled - no modifications will be made. Add confirm=True to remove images"
        summary = _summary(len(self.deleted_images), self.deleted_revisions, len(self.updated_streams))
        return "Summary: " + summary.replace("delete", "deleted").replace("update", "updated")


# -- the algorithm --------------------------------------------------------------------------------


def _revision_key(tag: str, item: JSON) -> tuple[str, str, str, str]:
    return (tag, str(item.get("image") or ""), str(item.get("dockerImageReference") or ""),
            str(item.get("created") or ""))


def _keys(revisions: Iterable[Revision]) -> set[tuple[str, str, str, str]]:
    return {(revision.tag, revision.image, revision.reference, revision.created) for revision in revisions}


_STREAM_YOUNGER = "the image stream is younger than the cutoff"
_YOUNGER = "younger than the cutoff"


def _plan_stream(stream: JSON, context: _Context) -> StreamPrune:
    """oc's ``pruneImageStream``/``pruneImageStreamTag`` for one stream, deciding every revision.

    The rules, in oc's order: the stream is younger than the cutoff; the revision is; it is revision
    0 of a tag in use; its Image is gone (removed); it is within ``keep_tag_revisions``; its image is
    in use through this stream; else removed. Written as one loop with the lookups hoisted: it runs
    once per revision of the cluster.
    """
    namespace, name = namespace_of(stream), name_of(stream)
    created = parse_time((stream.get("metadata") or {}).get("creationTimestamp"))
    stream_young = created is not None and created > context.cutoff
    cutoff, known, keep = context.cutoff, context.images, context.keep_tag_revisions
    used_tags, used_images = context.usage.tags, context.usage.images
    within = f"within the newest {keep} revisions"
    revisions: list[Revision] = []
    emptied: list[str] = []
    for history in status_tags(stream):
        tag = str(history.get("tag") or "")
        items = history.get("items") or []
        kept_any = False
        for index, item in enumerate(items):
            image = str(item.get("image") or "")
            when = item.get("created")
            rule: KeepRule | None
            if stream_young:
                rule, reason = "stream-younger", _STREAM_YOUNGER
            elif (moment := parse_time(when)) is not None and moment > cutoff:
                rule, reason = "younger", _YOUNGER
            elif index == 0 and (users := used_tags.get((namespace, name, tag))):
                rule, reason = "tag-in-use", f"tag used by {_sample(users)}"
            elif image not in known:
                rule, reason = None, "image-missing"
            elif index < keep:
                rule, reason = "tag-revisions", within
            elif users := used_images.get((namespace, name, image)):
                rule, reason = "image-in-use", f"image used by {_sample(users)}"
            else:
                rule, reason = None, "pruned"
            kept_any = kept_any or rule is not None
            revisions.append(Revision(tag, index, image, str(item.get("dockerImageReference") or ""),
                                      str(when or ""), rule, reason))
        if items and not kept_any:
            emptied.append(tag)
    return StreamPrune(namespace=namespace, name=name, resource_version=resource_version_of(stream),
                       revisions=tuple(revisions), emptied_tags=tuple(emptied))


def _plan_images(images: list[JSON], streams: tuple[StreamPrune, ...], context: _Context, all_images: bool) -> tuple[ImageDecision, ...]:
    """oc's ``pruneImages``: delete what no stream references after stage 1."""
    referenced: set[str] = set()
    for stream in streams:
        referenced.update(revision.image for revision in stream.revisions if revision.rule is not None)
    decisions = []
    for image in images:
        meta = image.get("metadata") or {}
        image_name = str(meta.get("name") or "")
        created = parse_time(meta.get("creationTimestamp"))
        if image_name in referenced:
            rule = "referenced"
        elif not all_images and (meta.get("annotations") or {}).get(_MANAGED_ANNOTATION) != "true":
            rule = "not-managed"
        elif created is not None and created > context.cutoff:
            rule = "younger"
        else:
            rule = ""
        decisions.append(ImageDecision(name=image_name, delete=not rule, rule=rule or "unreferenced",
                                       uid=str(meta.get("uid") or ""),
                                       resource_version=str(meta.get("resourceVersion") or "")))
    return tuple(decisions)


def _plan_flow(
    namespace: str | None, keep_tag_revisions: int, keep_younger_than: timedelta, all_images: bool,
    references: Sequence[str], ignore_invalid_refs: bool, read_workloads: bool, now: datetime | None,
) -> Flow[PrunePlan]:
    if keep_tag_revisions < 0:
        raise ValueError("keep_tag_revisions must be greater than or equal to 0")
    if keep_younger_than < timedelta(0):
        raise ValueError("keep_younger_than must be greater than or equal to 0")
    cutoff = (now or datetime.now(timezone.utc)) - keep_younger_than
    usage = _Usage()
    for reference in references:
        usage.caller_reference(reference)
    streams = yield from list_all(image_info("imagestreams"), namespace)
    images = yield from list_all(image_info("images"), None)
    skipped: list[str] = []
    if read_workloads:
        for workload in WORKLOADS:
            try:
                items = yield from list_all(workload_info(workload.api_version, workload.plural, workload.kind),
                                            namespace)
            except NotFoundError:
                if not workload.optional:
                    raise
                skipped.append(workload.plural)
                continue
            _analyze(usage, workload, items, cutoff)
    if usage.errors and not ignore_invalid_refs:
        shown = "\n  ".join(usage.errors[:10])
        raise ValueError(f"failed to build graph - no changes made; objects with invalid references:\n  {shown}\n"
                         "Fix or delete them, or pass ignore_invalid_refs=True")
    documents: dict[tuple[str, str], JSON] = {}
    context = _Context(usage=usage, images=frozenset(name_of(image) for image in images), cutoff=cutoff,
                       keep_tag_revisions=keep_tag_revisions, documents=documents)
    from ..models._base import _gc_paused

    with _gc_paused():  # one Revision per revision of the cluster, all kept: no garbage to find
        planned = tuple(_plan_stream(stream, context) for stream in streams)
    # Apply writes the streams that lose revisions as the plan read them; the others are not kept.
    documents.update(((entry.namespace, entry.name), stream) for entry, stream in zip(planned, streams, strict=True)
                     if entry.removed)
    decisions = _plan_images(images, planned, context, all_images) if namespace is None else ()
    return PrunePlan(namespace=namespace, keep_tag_revisions=keep_tag_revisions, keep_younger_than=keep_younger_than,
                     cutoff=cutoff, all=all_images, streams=planned, images=decisions, skipped_kinds=tuple(skipped),
                     _context=context)


# -- applying -------------------------------------------------------------------------------------


def _without(stream: JSON, removed: set[tuple[str, str, str, str]]) -> JSON:
    """A copy of ``stream`` whose status lacks the ``removed`` revisions and the tags they empty."""
    document = copy.deepcopy(stream)
    tags = []
    for history in status_tags(document):
        tag = str(history.get("tag") or "")
        items = [item for item in history.get("items") or [] if _revision_key(tag, item) not in removed]
        if items or not history.get("items"):
            history["items"] = items
            if items or history.get("conditions"):
                tags.append(history)
    document.setdefault("status", {})["tags"] = tags
    return document


def _prune_stream_flow(planned: StreamPrune, context: _Context) -> Flow[str]:
    """Write one stream's stage 1; ``updated``, ``gone`` or ``unchanged`` (the stream changed and
    nothing the plan removes is still removable)."""
    info = image_info("imagestreams")
    wanted = _keys(planned.removed)
    current = context.documents[(planned.namespace, planned.name)]
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        body = _without(current, wanted)
        try:
            yield json_request("PUT", resource_path(info, planned.namespace, planned.name, "status"), body)
            return "updated"
        except NotFoundError:
            return "gone"
        except ConflictError:
            if attempt == CONFLICT_ATTEMPTS:
                raise
        try:
            current = yield get_json("imagestreams", planned.namespace, planned.name)
        except NotFoundError:
            return "gone"
        # Remove only what the plan showed and the algorithm still removes on the new contents.
        wanted &= _keys(_plan_stream(current, context).removed)
        if not wanted:
            return "unchanged"
    raise AssertionError("unreachable: the last attempt returns or raises")


def _apply_flow(plan: PrunePlan, progress: Progress | None) -> Flow[PruneResult]:
    context = plan._context
    writes, deletes = plan.stream_writes, plan.image_deletes
    total, done = len(writes) + len(deletes), 0
    updated, gone = [], []
    removed = 0
    for stream in writes:
        outcome = yield from _prune_stream_flow(stream, context)
        where = f"{stream.namespace}/{stream.name}"
        if outcome == "updated":
            updated.append(where)
            removed += len(stream.removed)
        elif outcome == "gone":
            gone.append(where)
        done += 1
        if progress is not None:
            progress(done, total, f"imagestream {where}")
    deleted, kept = [], []
    if deletes:
        # The streams as they are now: an image tagged since the plan was made stays.
        streams = yield from list_all(image_info("imagestreams"), None)
        referenced = {str(item.get("image") or "") for stream in streams for history in status_tags(stream)
                      for item in history.get("items") or []}
        images = image_info("images")
        for image in deletes:
            if image.name in referenced:
                kept.append(image.name)
            else:
                preconditions = {key: value for key, value in (("uid", image.uid),
                                                               ("resourceVersion", image.resource_version)) if value}
                request = build_delete_request(images, None, image.name, decode_json,
                                               DeleteOptions(grace_period_seconds=0, preconditions=preconditions))
                try:
                    yield request
                    deleted.append(image.name)
                except (NotFoundError, ConflictError):
                    kept.append(image.name)  # gone already, or changed since the plan
            done += 1
            if progress is not None:
                progress(done, total, f"image {image.name}")
    return PruneResult(plan=plan, applied=True, updated_streams=tuple(updated), deleted_revisions=removed,
                       deleted_images=tuple(deleted), kept_images=tuple(kept), gone_streams=tuple(gone))


# -- the public functions -------------------------------------------------------------------------


@overload
def plan(
    client: Client, *, namespace: str | None = ..., keep_tag_revisions: int = ..., keep_younger_than: timedelta = ...,
    all: bool = ..., references: Sequence[str] = ..., ignore_invalid_refs: bool = ..., read_workloads: bool = ...,
    now: datetime | None = ...,
) -> PrunePlan: ...
@overload
def plan(
    client: AsyncClient, *, namespace: str | None = ..., keep_tag_revisions: int = ...,
    keep_younger_than: timedelta = ..., all: bool = ..., references: Sequence[str] = ...,
    ignore_invalid_refs: bool = ..., read_workloads: bool = ..., now: datetime | None = ...,
) -> Coroutine[Any, Any, PrunePlan]: ...
def plan(
    client: Client | AsyncClient,
    *,
    namespace: str | None = None,
    keep_tag_revisions: int = DEFAULT_KEEP_TAG_REVISIONS,
    keep_younger_than: timedelta = DEFAULT_KEEP_YOUNGER_THAN,
    all: bool = True,
    references: Sequence[str] = (),
    ignore_invalid_refs: bool = False,
    read_workloads: bool = True,
    now: datetime | None = None,
) -> PrunePlan | Coroutine[Any, Any, PrunePlan]:
    """Read streams, images and their users, and plan ``oc adm prune images`` (writes nothing).

    ``namespace`` limits stage 1 to one namespace and skips stage 2 (oc's ``--namespace``);
    ``keep_tag_revisions``, ``keep_younger_than`` and ``all`` are oc's flags. ``references`` adds
    images in use that the cluster cannot show (``"ns/stream:tag"``, ``"ns/stream@sha256:…"``, or
    pull specs); ``read_workloads=False`` skips reading Pods, Deployments, … (only ``references``
    protect then). An object whose image reference does not parse stops the plan with
    ``ValueError`` unless ``ignore_invalid_refs=True`` (oc's ``--ignore-invalid-refs``).
    ``now`` replaces the clock (tests).
    """
    flow = _plan_flow(namespace, keep_tag_revisions, keep_younger_than, all, references, ignore_invalid_refs,
                      read_workloads, now)
    return run(client, flow)  # type: ignore[no-any-return]


@overload
def apply(client: Client, plan: PrunePlan, *, progress: Progress | None = ...) -> PruneResult: ...
@overload
def apply(client: AsyncClient, plan: PrunePlan, *, progress: Progress | None = ...
          ) -> Coroutine[Any, Any, PruneResult]: ...
def apply(
    client: Client | AsyncClient, plan: PrunePlan, *, progress: Progress | None = None
) -> PruneResult | Coroutine[Any, Any, PruneResult]:
    """Carry out ``plan``: stage 1 stream by stream, then stage 2 image by image.

    ``progress(done, total, what)`` is called after each write. A stream changed since the plan is
    re-read and pruned only of what both the plan and the fresh reading remove; a stream deleted
    since is skipped; an image tagged again since, or changed, is kept.
    """
    return run(client, _apply_flow(plan, progress))  # type: ignore[no-any-return]


@overload
def prune(
    client: Client, *, confirm: bool = ..., progress: Progress | None = ..., namespace: str | None = ...,
    keep_tag_revisions: int = ..., keep_younger_than: timedelta = ..., all: bool = ..., references: Sequence[str] = ...,
    ignore_invalid_refs: bool = ..., read_workloads: bool = ..., now: datetime | None = ...,
) -> PruneResult: ...
@overload
def prune(
    client: AsyncClient, *, confirm: bool = ..., progress: Progress | None = ..., namespace: str | None = ...,
    keep_tag_revisions: int = ..., keep_younger_than: timedelta = ..., all: bool = ..., references: Sequence[str] = ...,
    ignore_invalid_refs: bool = ..., read_workloads: bool = ..., now: datetime | None = ...,
) -> Coroutine[Any, Any, PruneResult]: ...
def prune(
    client: Client | AsyncClient,
    *,
    confirm: bool = False,
    progress: Progress | None = None,
    namespace: str | None = None,
    keep_tag_revisions: int = DEFAULT_KEEP_TAG_REVISIONS,
    keep_younger_than: timedelta = DEFAULT_KEEP_YOUNGER_THAN,
    all: bool = True,
    references: Sequence[str] = (),
    ignore_invalid_refs: bool = False,
    read_workloads: bool = True,
    now: datetime | None = None,
) -> PruneResult | Coroutine[Any, Any, PruneResult]:
    """``oc adm prune images``: plan (see :func:`plan`) and, with ``confirm=True``, apply.

    Without ``confirm`` this is a dry run, as oc's: the result carries the plan and
    ``applied=False``.
    """
    planned = _plan_flow(namespace, keep_tag_revisions, keep_younger_than, all, references, ignore_invalid_refs,
                         read_workloads, now)
    return run(client, _prune_flow(planned, confirm, progress))  # type: ignore[no-any-return]


def _prune_flow(planned: Flow[PrunePlan], confirm: bool, progress: Progress | None) -> Flow[PruneResult]:
    result = yield from planned
    if not confirm:
        return PruneResult(plan=result, applied=False)
    return (yield from _apply_flow(result, progress))


def describe_plan(plan: PrunePlan, *, kept: bool = True) -> str:
    """Every revision with its fate: ``ns/stream:tag #index image  kept: rule (reason)`` lines."""
    lines = []
    for stream in plan.streams:
        for revision in stream.revisions:
            if revision.rule is None:
                lines.append(f"{stream.namespace}/{stream.name}:{revision.tag} #{revision.position} {revision.image}  "
                             f"remove: {revision.reason}")
            elif kept:
                lines.append(f"{stream.namespace}/{stream.name}:{revision.tag} #{revision.position} {revision.image}  "
                             f"keep: {revision.rule} ({revision.reason})")
    lines += [f"image {image.name}  {'delete' if image.delete else 'keep: ' + image.rule}" for image in plan.images]
    return "\n".join(lines) if lines else "nothing to prune"
