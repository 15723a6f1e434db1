"""``oc describe is``: an image stream as a structured object with oc's text as its ``str()``.

::

    from imageapi.workflows import describe

    description = describe.describe(client, "app")
    print(description)                       # what oc describe imagestream app prints
    description.tags[0].history[0].image     # or read the parts

The layout and phrasing follow oc (``pkg/helpers/describe``: ``DescribeImageStream``,
``formatImageStreamTags``): the repository (public when the stream has one), the lookup policy,
then each tag in oc's order (latest, versions newest first, the rest by name) with the tags that
follow it in brackets, how its source is phrased (``tagged from``, ``updates automatically from``,
``reference to``), insecure and pull-through notes, its description annotations, a pending import,
failed imports, and its history. One difference: oc counts "Unique Images" wrongly for revisions
that have a pull spec but no image (it files them all under an empty key); here each distinct
image, or pull spec when there is no image, counts once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, overload

from .._base_client import Flow
from .._display import human_duration
from .._reference import InvalidReferenceError, parse_reference
from .._request import to_json_object
from ._common import JSON, default_namespace, get_json, run
from ._streams import (
    TagReferenceError,
    follow_tag_reference,
    parse_time,
    prioritize_tags,
    spec_tag,
    spec_tags,
    status_tag,
    status_tags,
)

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from .._client import AsyncClient, Client
    from ..models import ImageStream

__all__ = ["ImportFailure", "StreamDescription", "TagDescription", "TagRevision", "describe", "human_duration"]


@dataclass(frozen=True)
class TagRevision:
    """One entry of a tag's history, newest first."""

    reference: str
    image: str
    created: datetime | None


@dataclass(frozen=True)
class ImportFailure:
    """A failed import of the tag (an ``ImportSuccess=False`` condition)."""

    reason: str
    message: str
    when: datetime | None


@dataclass(frozen=True)
class TagDescription:
    """One tag as oc describes it. ``source`` is oc's phrase (``tagged from quay.io/org/app:1``);
    ``followers`` are the tags of this stream that track it."""

    name: str
    followers: tuple[str, ...]
    source: str
    insecure: bool
    local_pull_through: bool
    notes: tuple[str, ...]
    importing: bool
    failures: tuple[ImportFailure, ...]
    history: tuple[TagRevision, ...]


@dataclass(frozen=True)
class StreamDescription:
    """What ``oc describe is`` shows, as data; ``str()`` is the text (ages relative to ``now``)."""

    name: str
    namespace: str
    created: datetime | None
    labels: dict[str, str]
    annotations: dict[str, str]
    repository: str
    lookup_local: bool
    unique_images: int
    tags: tuple[TagDescription, ...]
    now: datetime

    def _ago(self, moment: datetime | None) -> str:
        return f"{human_duration((self.now - moment).total_seconds())} ago" if moment else "<unknown>"

    def __str__(self) -> str:
        rows: list[tuple[str, str]] = [("Name", self.name), ("Namespace", self.namespace)]
        if self.created is not None:
            rows.append(("Created", self._ago(self.created)))
        rows += _map_rows("Labels", self.labels)
        annotations = dict(self.annotations)
        if description := annotations.pop("description", ""):
            rows.append(("Description", description))
        rows += _map_rows("Annotations", annotations)
        rows += [("Image Repository", self.repository or "<none>"), ("Image Lookup", f"local={str(self.lookup_local).lower()}")]
        if not self.tags:
            rows.append(("Tags", "<none>"))
        else:
            rows += [("Unique Images", str(self.unique_images)), ("Tags", str(len(self.tags)))]
        width = max(len(label) for label, _ in rows) + 3  # "label:" and two spaces
        lines = [f"{label + ':' if label else '':<{width}}{value}" for label, value in rows]
        for tag in self.tags:
            lines.append("")
            lines += self._tag_lines(tag)
        return "\n".join(lines)

    def _tag_lines(self, tag: TagDescription) -> list[str]:
        lines = [f"{tag.name} ({', '.join(tag.followers)})" if tag.followers else tag.name, f"  {tag.source}"]
        if tag.insecure:
            lines.append("    will use insecure HTTPS or HTTP connections")
        if tag.local_pull_through:
            lines.append("    prefer registry pullthrough when referencing this tag")
        lines.append("")
        if tag.notes:
            lines += [f"  {note}" for note in tag.notes] + [""]
        if tag.importing:
            lines.append("  ~ importing latest image ...")
        for failure in tag.failures:
            lines += [f"  ! error: Import failed ({failure.reason}): {failure.message}", f"      {self._ago(failure.when)}"]
        for index, revision in enumerate(tag.history):
            lines.append(f"  {'*' if index == 0 else ' '} {revision.reference}")
            try:
                pinned = parse_reference(revision.reference).id
            except InvalidReferenceError:
                pinned = revision.image
            extra = f"\t{revision.image}" if revision.image and pinned != revision.image else ""
            lines.append(f"      {self._ago(revision.created)}{extra}")
        while lines and not lines[-1]:
            lines.pop()
        return lines


def _map_rows(label: str, values: dict[str, str]) -> list[tuple[str, str]]:
    if not values:
        return [(label, "<none>")]
    return [(label if index == 0 else "", f"{key}={values[key]}") for index, key in enumerate(sorted(values))]


def _source_phrase(stream: JSON, entry: JSON | None) -> tuple[str, bool, bool]:
    """oc's description of a spec tag's source: ``(phrase, insecure, local pull-through)``."""
    if entry is None:
        return "no spec tag", False, False
    source = entry.get("from")
    local = ((entry.get("referencePolicy") or {}).get("type")) == "Local"
    if not source:
        return "tag without source image", False, local
    namespace = source.get("namespace")
    name = f"{namespace}/{source.get('name')}" if namespace and namespace != stream["metadata"].get("namespace") \
        else str(source.get("name"))
    policy = entry.get("importPolicy") or {}
    scheduled, insecure, reference = bool(policy.get("scheduled")), bool(policy.get("insecure")), bool(entry.get("reference"))
    kind = source.get("kind")
    if kind == "ImageStreamTag":
        phrase = (f"reference to {name}" if reference else f"updates automatically from {name}" if scheduled
                  else f"tagged from {name}")
    elif kind == "DockerImage":
        phrase = (f"reference to registry {name}" if reference else
                  f"updates automatically from registry {name}" if scheduled else f"tagged from {name}")
    elif kind == "ImageStreamImage":
        phrase = f"reference to image {name}" if reference else f"tagged from {name}"
    else:
        phrase = f"reference to {kind} {name}" if reference else f"updates from {kind} {name}"
    return phrase, insecure, local


def _observed_generation(history: JSON | None) -> int:
    """The newest generation the import controller saw (oc's ``latestObservedTagGeneration``)."""
    if not history:
        return 0
    generation = 0
    items = history.get("items") or []
    if items:
        generation = max(generation, int(items[0].get("generation") or 0))
    for condition in history.get("conditions") or []:
        if condition.get("type") == "ImportSuccess":
            generation = max(generation, int(condition.get("generation") or 0))
            break
    return generation


def describe_stream(stream: ImageStream | Mapping[str, Any], now: datetime | None = None) -> StreamDescription:
    """Describe a stream already read: an ``ImageStream`` model, or its JSON (wire names)."""
    stream = to_json_object(stream)
    meta = stream.get("metadata") or {}
    status = stream.get("status") or {}
    names = [str(history.get("tag")) for history in status_tags(stream)]
    followers: dict[str, list[str]] = {}
    following: set[str] = set()
    for entry in spec_tags(stream):
        name = str(entry.get("name"))
        try:
            target, _, followed = follow_tag_reference(stream, name)
        except TagReferenceError:
            followed = False
        if followed:
            following.add(name)
            followers.setdefault(target, []).append(name)
        if status_tag(stream, name) is None:
            names.append(name)
    seen: set[str] = set()
    for events in status_tags(stream):
        for item in events.get("items") or []:
            key = str(item.get("image") or item.get("dockerImageReference") or "")
            if key:
                seen.add(key)
    tags = []
    for name in prioritize_tags(names):
        if name in following:
            continue
        reference, history = spec_tag(stream, name), status_tag(stream, name)
        phrase, insecure, local = _source_phrase(stream, reference)
        generation = (reference or {}).get("generation")
        importing = bool(reference and reference.get("from") and not reference.get("reference")
                         and generation is not None and int(generation) > _observed_generation(history))
        annotations = (reference or {}).get("annotations") or {}
        notes = []
        if annotations.get("description"):
            notes.append(str(annotations["description"]))
        for key, label in (("tags", "Tags"), ("supports", "Supports")):
            if annotations.get(key):
                notes.append(f"{label}: {', '.join(str(annotations[key]).split(','))}")
        if annotations.get("sampleRepo"):
            notes.append(f"Example Repo: {annotations['sampleRepo']}")
        failures = tuple(
            ImportFailure(reason=str(condition.get("reason") or ""), message=str(condition.get("message") or ""),
                          when=parse_time(condition.get("lastTransitionTime")))
            for condition in (history or {}).get("conditions") or []
            if condition.get("type") == "ImportSuccess" and condition.get("status") == "False")
        revisions = tuple(TagRevision(reference=str(item.get("dockerImageReference") or ""),
                                      image=str(item.get("image") or ""), created=parse_time(item.get("created")))
                          for item in (history or {}).get("items") or [])
        tags.append(TagDescription(name=name, followers=tuple(prioritize_tags(followers.get(name, []))), source=phrase,
                                   insecure=insecure, local_pull_through=local, notes=tuple(notes),
                                   importing=importing, failures=failures, history=revisions))
    return StreamDescription(
        name=str(meta.get("name") or ""), namespace=str(meta.get("namespace") or ""),
        created=parse_time(meta.get("creationTimestamp")), labels=dict(meta.get("labels") or {}),
        annotations=dict(meta.get("annotations") or {}),
        repository=str(status.get("publicDockerImageRepository") or status.get("dockerImageRepository") or ""),
        lookup_local=bool(((stream.get("spec") or {}).get("lookupPolicy") or {}).get("local")),
        unique_images=len(seen), tags=tuple(tags), now=now or datetime.now(timezone.utc),
    )


def _describe_flow(namespace: str, name: str, now: datetime | None) -> Flow[StreamDescription]:
    stream: JSON = yield get_json("imagestreams", namespace, name)
    return describe_stream(stream, now)


@overload
def describe(client: Client, name: str, *, namespace: str | None = ..., now: datetime | None = ...
             ) -> StreamDescription: ...
@overload
def describe(client: AsyncClient, name: str, *, namespace: str | None = ..., now: datetime | None = ...
             ) -> Coroutine[Any, Any, StreamDescription]: ...
def describe(client: Client | AsyncClient, name: str, *, namespace: str | None = None,
             now: datetime | None = None) -> Any:
    """``oc describe imagestream NAME``: one read, a :class:`StreamDescription` (ages relative to
    ``now``, the current time by default)."""
    return run(client, _describe_flow(default_namespace(client, namespace), name, now))
