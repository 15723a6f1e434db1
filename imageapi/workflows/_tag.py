"""``oc tag`` as a plan and an apply step (``client.image_streams.plan_tag`` / ``apply_tag`` / ``tag``).

The algorithm is ``oc tag``'s (openshift/oc ``pkg/cli/tag/tag.go``):

* the source kind is inferred as oc infers it: a registry host first → ``DockerImage``, a digest →
  ``ImageStreamImage``, a tag → ``ImageStreamTag``, anything else → ``DockerImage``;
* an ``ImageStreamTag`` source is *pinned*: resolved to the image it points to now (an
  ``ImageStreamImage`` reference, or the pull spec when the tag holds no image) unless
  ``alias=True``, which tracks the tag instead (only within one stream);
* each destination's spec tag is replaced by one built from the options, written through
  ``imagestreamtags`` (update, else create), with ``imagestreams`` as the fallback where the
  server refuses the virtual resource, under retry-on-conflict.

Where this differs from oc, on purpose:

* a destination whose tag already says exactly that is left alone (oc writes it again, resetting
  the tag generation and re-importing DockerImage tags), so a re-run changes nothing;
* the destination's tag annotations and, unless ``import_mode`` is given, its import mode are
  kept (oc drops both);
* every write carries the ``resourceVersion`` the plan read, so a plan applied after someone else
  changed the stream fails with ``ConflictError`` instead of overwriting their change (oc's
  ``imagestreamtags`` update is blind);
* ``alias`` is refused when the *source* stream differs from a destination (oc compares the
  destinations with the current namespace, so ``otherns/app:latest`` → ``app:x`` slipped through);
* removing a tag that is already gone reports it as absent instead of failing. The removal is
  conditional on the stream's uid only: the server takes no ``resourceVersion`` precondition on an
  ``imagestreamtags`` delete.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .._base_client import Flow
from .._reference import ImageReference, InvalidReferenceError, parse_reference
from .._request import DeleteOptions, build_delete_request, resource_path
from ..errors import (
    ConflictError,
    ForbiddenError,
    MethodNotAllowedError,
    NotFoundError,
)
from ._common import JSON, decode_json, get_json, image_info, json_request, read_stream
from ._streams import latest_event, resource_version_of, spec_tag, status_tag

SourceKind = Literal["ImageStreamTag", "ImageStreamImage", "DockerImage"]
ReferencePolicy = Literal["Source", "Local"]
ImportMode = Literal["Legacy", "PreserveOriginal"]
TagAction = Literal["create", "update", "unchanged", "delete", "absent"]

__all__ = [
    "ImportMode",
    "ReferencePolicy",
    "SourceKind",
    "TagChange",
    "TagPlan",
    "TagResult",
    "parse_destination",
    "tag_source",
]

_API_VERSION = "image.openshift.io/v1"

# oc's accepted spellings of --source (case-insensitive), and the kind each names.
_SOURCE_SPELLINGS: dict[str, SourceKind] = {
    "imagestreamtag": "ImageStreamTag", "istag": "ImageStreamTag",
    "imagestreamimage": "ImageStreamImage", "isimage": "ImageStreamImage",
    "docker": "DockerImage", "dockerimage": "DockerImage",
}


@dataclass(frozen=True)
class TagChange:
    """What a tag plan does to one destination tag.

    ``action`` is ``create`` (the tag is new), ``update`` (it changes), ``unchanged`` (it already
    says this), ``delete`` (``untag``) or ``absent`` (``untag`` of a tag that is not there).
    ``old``/``new`` are the spec tag before and after (wire form; None when there is none).
    ``resource_version``/``uid`` are the destination stream's when planned (None: no stream);
    applying the plan is conditional on them. ``message`` is the line ``oc tag`` prints.
    """

    namespace: str
    stream: str
    tag: str
    action: TagAction
    old: JSON | None
    new: JSON | None
    resource_version: str | None
    uid: str | None
    message: str

    @property
    def name(self) -> str:
        """``stream:tag``."""
        return f"{self.stream}:{self.tag}"

    @property
    def writes(self) -> bool:
        """Whether applying this change sends a write."""
        return self.action in ("create", "update", "delete")

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}"
        if self.action in ("create", "update"):
            return f"{self.action:<9} {where}: {describe_tag(self.old)} -> {describe_tag(self.new)}"
        if self.action == "delete":
            return f"{'delete':<9} {where}: {describe_tag(self.old)}"
        return f"{self.action:<9} {where}"


@dataclass(frozen=True)
class TagPlan:
    """The changes ``apply_tag`` would make, one per destination, and where the source resolved to."""

    source: str | None
    source_reference: JSON | None
    changes: tuple[TagChange, ...]

    @property
    def writes(self) -> tuple[TagChange, ...]:
        """The changes that write (create, update, delete)."""
        return tuple(change for change in self.changes if change.writes)

    def __str__(self) -> str:
        if self.source is None:
            head = "Untag plan:"
        else:
            head = f"Tag plan for {self.source} ({describe_tag({'from': self.source_reference})}):"
        lines = [head, *(f"  {change}" for change in self.changes)]
        if not self.writes:
            lines.append("  nothing to change")
        return "\n".join(lines)


@dataclass(frozen=True)
class TagResult:
    """What ``apply_tag`` (or ``tag``/``untag``) did: the plan and the changes written."""

    plan: TagPlan
    applied: tuple[TagChange, ...] = field(default=())

    @property
    def changed(self) -> bool:
        """Whether anything was written."""
        return bool(self.applied)

    def __str__(self) -> str:
        lines = [change.message for change in self.plan.changes]
        return "\n".join(lines) if lines else "nothing to change"


def describe_tag(entry: JSON | None) -> str:
    """A spec tag's source in a few words (``ImageStreamTag dev/app:latest``, ``nothing``)."""
    source = (entry or {}).get("from") if entry else None
    if not source:
        return "nothing" if entry is None else "no source"
    namespace = f"{source['namespace']}/" if source.get("namespace") else ""
    return f"{source.get('kind')} {namespace}{source.get('name')}"


# -- parsing and validation (oc's Complete and Validate) -------------------------------------------


def _source_kind(kind: str | None) -> SourceKind | None:
    if kind is None or kind == "":
        return None
    resolved = _SOURCE_SPELLINGS.get(kind.lower())
    if resolved is None:
        raise ValueError(f"invalid source {kind!r}; valid values are {', '.join(sorted(_SOURCE_SPELLINGS))}")
    return resolved


def _parse(source: str) -> ImageReference:
    try:
        return parse_reference(source)
    except InvalidReferenceError as error:
        raise ValueError(f"invalid source: {error}") from None


def infer_source(source: str, kind: str | None, namespace: str) -> tuple[SourceKind, ImageReference]:
    """The source kind and reference of ``source``, as ``oc tag`` reads its SOURCE argument."""
    resolved = _source_kind(kind)
    ref = _parse(source)
    if resolved in ("ImageStreamTag", "ImageStreamImage"):
        if ref.registry:
            raise ValueError("server in source is only allowed when providing a container image")
        if ref.namespace == "library":
            ref = ImageReference(namespace=namespace, name=ref.name, tag=ref.tag, id=ref.id)
        if resolved == "ImageStreamTag" and not ref.tag:
            raise ValueError('source_kind="ImageStreamTag" requires a valid <name>:<tag> in source')
        if resolved == "ImageStreamImage" and not ref.id:
            raise ValueError('source_kind="ImageStreamImage" requires a valid <name>@<id> in source')
        return resolved, ref
    if resolved is not None:
        return resolved, ref
    if ref.registry:
        return "DockerImage", ref
    if ref.id:
        return "ImageStreamImage", ref
    if ref.tag:
        return "ImageStreamTag", ref
    return "DockerImage", ref


def tag_source(source: str, kind: str | None = None) -> JSON:
    """The ``from`` reference ``oc tag`` would write for ``source`` (without pinning a tag source).

    * ``"other:tag"`` or ``"otherns/other:tag"`` → ImageStreamTag
    * ``"other@sha256:…"`` → ImageStreamImage
    * ``"quay.io/org/app:1.0"`` (a registry host first), or a name with neither tag nor digest →
      DockerImage

    Pass ``kind`` to decide yourself (``"DockerImage"`` for a Docker Hub short name like ``nginx:1``).
    """
    resolved, ref = infer_source(source, kind, "")
    return _from_reference(resolved, ref, dest_namespace="", current_namespace="")


def parse_destination(destination: str, namespace: str) -> tuple[str, str, str]:
    """``[namespace/]stream:tag`` → ``(namespace, stream, tag)`` with oc's messages."""
    if "/" in destination:
        parts = destination.split("/")
        if len(parts) != 2:
            raise ValueError(f"invalid image stream {destination!r}")
        if not parts[0]:
            raise ValueError(f"invalid namespace {parts[0]!r} for image stream {destination!r}")
        if not parts[1]:
            raise ValueError(f"invalid name {parts[1]!r} for image stream {destination!r}")
        namespace, destination = parts
    stream, colon, tag = destination.partition(":")
    if not colon or not stream:
        raise ValueError(f"{destination!r} must be of the form <stream_name>:<tag>")
    return namespace, stream, tag or "latest"


def _from_reference(kind: SourceKind, ref: ImageReference, dest_namespace: str, current_namespace: str) -> JSON:
    if kind == "DockerImage":
        return {"kind": kind, "name": ref.exact()}
    reference: JSON = {"kind": kind, "name": ref.name_string}
    namespace = ref.namespace or (current_namespace if dest_namespace != current_namespace else "")
    if namespace:
        reference["namespace"] = namespace
    return reference


@dataclass(frozen=True)
class TagOptions:
    """The settings of the spec tags ``tag`` writes (oc's flags)."""

    alias: bool = False
    reference: bool = False
    scheduled: bool = False
    insecure: bool = False
    reference_policy: ReferencePolicy = "Source"
    import_mode: ImportMode | None = None

    def __post_init__(self) -> None:
        if self.reference_policy not in ("Source", "Local"):
            raise ValueError("reference policy must be set to 'Source' or 'Local'")
        if self.import_mode not in (None, "Legacy", "PreserveOriginal"):
            raise ValueError("import mode must be 'Legacy' or 'PreserveOriginal'")
        if self.alias and (self.scheduled or self.insecure):
            raise ValueError("cannot set a container image tag as an alias and also set import flags")


def normalize_reference_policy(policy: str | None) -> ReferencePolicy:
    """``"source"``/``"Source"`` → ``"Source"`` (oc's flag is lower-case, the API's value is not)."""
    value = (policy or "Source").capitalize()
    if value not in ("Source", "Local"):
        raise ValueError("reference policy must be set to 'Source' or 'Local'")
    return value  # type: ignore[return-value]


# -- planning ------------------------------------------------------------------------------------


def _new_tag(tag: str, source_from: JSON, options: TagOptions, existing: JSON | None) -> JSON:
    import_policy: JSON = {}
    if options.insecure:
        import_policy["insecure"] = True
    if options.scheduled:
        import_policy["scheduled"] = True
    mode = options.import_mode or ((existing or {}).get("importPolicy") or {}).get("importMode")
    if mode:
        import_policy["importMode"] = mode
    entry: JSON = {"name": tag, "from": dict(source_from), "importPolicy": import_policy,
                   "referencePolicy": {"type": options.reference_policy}}
    if options.reference:
        entry["reference"] = True
    if existing and existing.get("annotations"):
        entry["annotations"] = dict(existing["annotations"])
    if source_from["kind"] == "DockerImage":
        entry["generation"] = 0  # asks the server to import the new reference
    return entry


def _comparable(entry: JSON | None, namespace: str) -> Any:
    """The parts of a spec tag ``oc tag`` sets, with the server's defaults filled in."""
    if entry is None:
        return None
    source = entry.get("from") or {}
    policy = entry.get("importPolicy") or {}
    return (
        source.get("kind"), source.get("name"), source.get("namespace") or namespace,
        bool(entry.get("reference")), bool(policy.get("insecure")), bool(policy.get("scheduled")),
        policy.get("importMode") or "Legacy", (entry.get("referencePolicy") or {}).get("type") or "Source",
    )


def _message(kind: SourceKind, ref: ImageReference, options: TagOptions, dest: str, dest_ns: str, current: str,
             action: TagAction) -> str:
    target = dest if dest_ns == current else f"{dest_ns}/{dest}"
    source = ref.exact()
    if action == "unchanged":
        return f"Tag {target} already set to {source}."
    if options.alias:
        return f"Tag {target} set up to track {source}."
    if options.scheduled:
        return f"Tag {target} set to import {source} periodically."
    return f"Tag {target} set to {source}."


def plan_tag_flow(
    source: str, destinations: Sequence[str], source_kind: str | None, options: TagOptions, namespace: str
) -> Flow[TagPlan]:
    """Read what ``oc tag`` reads (the source stream when pinning, each destination stream) and plan."""
    if not destinations:
        raise ValueError("at least a destination is required")
    kind, ref = infer_source(source, source_kind, namespace)
    targets = [parse_destination(destination, namespace) for destination in destinations]
    if options.alias:
        source_namespace = ref.namespace or namespace
        if kind != "ImageStreamTag" or any((ns, stream) != (source_namespace, ref.name) for ns, stream, _ in targets):
            raise ValueError("cannot set alias across different Image Streams")
    if kind == "ImageStreamTag" and not options.alias:
        kind, ref = yield from _pin(source, ref, namespace)
    if kind != "DockerImage" and (options.scheduled or options.insecure):
        raise ValueError("only container images can have importing flags set")
    changes = []
    for dest_ns, stream_name, tag in targets:
        stream = yield from read_stream(dest_ns, stream_name)
        existing = spec_tag(stream, tag) if stream is not None else None
        source_from = _from_reference(kind, ref, dest_ns, namespace)
        new = _new_tag(tag, source_from, options, existing)
        if existing is None:
            action: TagAction = "create"
        elif _comparable(existing, dest_ns) == _comparable(new, dest_ns):
            action = "unchanged"
        else:
            action = "update"
        changes.append(TagChange(
            namespace=dest_ns, stream=stream_name, tag=tag, action=action, old=existing,
            new=existing if action == "unchanged" else new,
            resource_version=resource_version_of(stream) if stream is not None else None,
            uid=_uid(stream), message=_message(kind, ref, options, f"{stream_name}:{tag}", dest_ns, namespace, action),
        ))
    return TagPlan(source=source, source_reference=_from_reference(kind, ref, namespace, namespace),
                   changes=tuple(changes))


def _uid(stream: JSON | None) -> str | None:
    if stream is None:
        return None
    return str((stream.get("metadata") or {}).get("uid") or "") or None


def _pin(source: str, ref: ImageReference, namespace: str) -> Flow[tuple[SourceKind, ImageReference]]:
    """The image an ImageStreamTag source points to now (oc without ``--alias``)."""
    stream: JSON = yield get_json("imagestreams", ref.namespace or namespace, ref.name)
    event = latest_event(stream, ref.tag)
    if event is None:
        raise ValueError(f'"{source}" is not currently pointing to an image, cannot use it as the source of a tag')
    if not event.get("image"):
        try:
            pulled = parse_reference(str(event.get("dockerImageReference") or ""))
        except InvalidReferenceError as error:
            raise ValueError(f'the image stream tag "{source}" has an invalid pull spec and cannot be used to tag: '
                             f"{error}") from None
        return "DockerImage", pulled
    return "ImageStreamImage", ref.with_id(str(event["image"]))


def plan_untag_flow(destinations: Sequence[str], namespace: str) -> Flow[TagPlan]:
    """Plan removing each destination tag (``oc tag -d``)."""
    if not destinations:
        raise ValueError("at least a destination is required")
    changes = []
    for dest_ns, stream_name, tag in (parse_destination(item, namespace) for item in destinations):
        stream = yield from read_stream(dest_ns, stream_name)
        existing = spec_tag(stream, tag) if stream is not None else None
        present = stream is not None and (existing is not None or status_tag(stream, tag) is not None)
        where = f"{dest_ns}/{stream_name}:{tag}"
        if stream is None:
            message = f'Image stream "{stream_name}" does not exist.'
        elif not present:
            message = f"Tag {where} does not exist."
        else:
            message = f"Deleted tag {where}."
        changes.append(TagChange(
            namespace=dest_ns, stream=stream_name, tag=tag, action="delete" if present else "absent",
            old=existing, new=None, resource_version=resource_version_of(stream) if stream is not None else None,
            uid=_uid(stream), message=message,
        ))
    return TagPlan(source=None, source_reference=None, changes=tuple(changes))


# -- applying ------------------------------------------------------------------------------------


def _istag_body(change: TagChange) -> JSON:
    metadata: JSON = {"name": change.name, "namespace": change.namespace}
    annotations = (change.new or {}).get("annotations")
    if annotations:
        metadata["annotations"] = dict(annotations)
    if change.resource_version is not None:
        metadata["resourceVersion"] = change.resource_version
    return {"kind": "ImageStreamTag", "apiVersion": _API_VERSION, "metadata": metadata, "tag": change.new}


def _stale(change: TagChange, what: str) -> ConflictError:
    return ConflictError(
        f"image stream {change.namespace}/{change.stream} {what} after the plan was made; plan again",
        code=409, reason="Conflict",
    )


def _apply_through_stream(change: TagChange) -> Flow[None]:
    """oc's legacy path: edit ``spec.tags`` of the stream itself (conditional on the plan's version)."""
    info = image_info("imagestreams")
    stream = yield from read_stream(change.namespace, change.stream)
    if stream is None:
        if change.action == "delete" or change.resource_version is not None:
            raise _stale(change, "was deleted")
        body = {"kind": "ImageStream", "apiVersion": _API_VERSION,
                "metadata": {"name": change.stream, "namespace": change.namespace},
                "spec": {"tags": [change.new]}}
        yield json_request("POST", resource_path(info, change.namespace), body)
        return
    if resource_version_of(stream) != change.resource_version:
        raise _stale(change, "changed")
    tags = [entry for entry in (stream.get("spec") or {}).get("tags") or [] if entry.get("name") != change.tag]
    if change.new is not None:
        tags.append(change.new)
    stream.setdefault("spec", {})["tags"] = tags
    yield json_request("PUT", resource_path(info, change.namespace, change.stream), stream)


def _apply_change(change: TagChange) -> Flow[None]:
    info = image_info("imagestreamtags")
    if change.action == "delete":
        # The server checks only the uid on an imagestreamtags delete (a stream deleted and made
        # again is left alone); the resourceVersion is sent for a server that checks it too.
        preconditions = {key: value for key, value in (("uid", change.uid),
                                                       ("resourceVersion", change.resource_version)) if value}
        request = build_delete_request(info, change.namespace, change.name, decode_json,
                                       DeleteOptions(preconditions=preconditions or None))
        try:
            yield request
        except NotFoundError:
            return  # removed meanwhile: the goal holds
        except (MethodNotAllowedError, ForbiddenError):
            yield from _apply_through_stream(change)
        return
    body = _istag_body(change)
    try:
        if change.resource_version is None:
            yield json_request("POST", resource_path(info, change.namespace), body)
        else:
            yield json_request("PUT", resource_path(info, change.namespace, change.name), body)
    except NotFoundError:
        if change.resource_version is None:
            raise
        raise _stale(change, "was deleted") from None
    except (MethodNotAllowedError, ForbiddenError):
        yield from _apply_through_stream(change)


def apply_tag_flow(plan: TagPlan) -> Flow[TagResult]:
    """Write each change of ``plan``; a stream changed since the plan raises ``ConflictError``
    (``AlreadyExistsError`` when the tag was created meanwhile)."""
    applied = []
    for change in plan.changes:
        if change.writes:
            yield from _apply_change(change)
            applied.append(change)
    return TagResult(plan=plan, applied=tuple(applied))
