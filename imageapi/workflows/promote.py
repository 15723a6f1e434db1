"""Promote images between streams by digest: ``dev/app:latest`` → ``prod/app:1.0``.

::

    from imageapi.workflows import promote

    plan = promote.plan(client, "dev/app", "prod/app", {"latest": "1.0"}, expect={"latest": "sha256:…"})
    print(plan)                      # per tag: the digest the destination has now, and the one it gets
    result = promote.apply(client, plan)
    # or in one step:
    result = promote.promote(client, "dev/app", "prod/app", ["latest"])

oc has no single command for this: ``oc tag dev/app:latest prod/app:1.0`` pins one tag at a time,
one write per tag. Here the plan reads the source stream once and pins every tag to the digest its
newest revision holds (an ``ImageStreamImage`` reference, so the destination never follows later
changes of the source), and apply writes each destination stream once, conditional on the
``resourceVersion`` the plan read. ``expect`` maps source tags to the digests the caller expects:
when one no longer holds, :class:`PreconditionFailed` is raised and nothing is written. A tag whose
destination already holds the digest is left alone, so a re-run changes nothing. The destination
tag keeps its annotations and reference policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, overload

from .._base_client import Flow
from .._request import resource_path
from ..errors import ImageAPIError, NotFoundError
from ._common import (
    JSON,
    default_namespace,
    image_info,
    json_request,
    read_stream,
    replanning,
    run,
    split_stream,
)
from ._streams import latest_event, resource_version_of, spec_tag, status_tags

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from .._client import AsyncClient, Client

__all__ = ["PreconditionFailed", "PromotePlan", "PromoteResult", "TagPromotion", "apply", "plan", "promote"]

_API_VERSION = "image.openshift.io/v1"


class PreconditionFailed(ImageAPIError):
    """A source tag no longer holds the digest the caller expected; nothing was written."""

    def __init__(self, source: str, tag: str, expected: str, actual: str | None) -> None:
        self.source, self.tag, self.expected, self.actual = source, tag, expected, actual
        super().__init__(str(self))

    def __str__(self) -> str:
        return (f"{self.source}:{self.tag} is at {self.actual or 'no image'}, not the expected {self.expected}; "
                "nothing was promoted")


@dataclass(frozen=True)
class TagPromotion:
    """One tag: the destination's digest before (``old``, None when it has none) and after (``new``)."""

    source_tag: str
    tag: str
    old: str | None
    new: str
    action: Literal["create", "update", "unchanged"]

    def __str__(self) -> str:
        return f"{self.action:<9} {self.source_tag} -> {self.tag}: {self.old or '-'} -> {self.new}"


@dataclass(frozen=True)
class PromotePlan:
    """What ``promote.apply`` would write: one destination stream, one update."""

    source_namespace: str
    source: str
    namespace: str
    destination: str
    resource_version: str | None
    tags: tuple[TagPromotion, ...]

    @property
    def writes(self) -> tuple[TagPromotion, ...]:
        """The tags whose digest changes."""
        return tuple(tag for tag in self.tags if tag.action != "unchanged")

    def __str__(self) -> str:
        head = f"Promote {self.source_namespace}/{self.source} -> {self.namespace}/{self.destination}:"
        lines = [head, *(f"  {tag}" for tag in self.tags)]
        if not self.writes:
            lines.append("  nothing to change")
        return "\n".join(lines)


@dataclass(frozen=True)
class PromoteResult:
    """What ``promote.apply`` wrote."""

    plan: PromotePlan
    applied: tuple[TagPromotion, ...]

    def __str__(self) -> str:
        if not self.applied:
            return f"{self.plan.namespace}/{self.plan.destination}: nothing to change"
        return "\n".join(f"{self.plan.namespace}/{self.plan.destination}:{tag.tag} promoted to {tag.new}"
                         f"{f' (was {tag.old})' if tag.old else ''}" for tag in self.applied)


def _tag_pairs(source: JSON, tags: Sequence[str] | Mapping[str, str] | None) -> list[tuple[str, str]]:
    if tags is None:
        return [(str(history["tag"]), str(history["tag"])) for history in status_tags(source)
                if (history.get("items") or [{}])[0].get("image")]
    if isinstance(tags, Mapping):
        return [(str(src), str(dst)) for src, dst in tags.items()]
    return [(str(tag), str(tag)) for tag in tags]


def _plan_flow(source: str, destination: str, tags: Sequence[str] | Mapping[str, str] | None,
               expect: Mapping[str, str], namespace: str) -> Flow[PromotePlan]:
    source_namespace, source_name = split_stream(source, namespace)
    dest_namespace, dest_name = split_stream(destination, namespace)
    origin = yield from read_stream(source_namespace, source_name)
    if origin is None:
        raise NotFoundError(f'imagestreams.image.openshift.io "{source_name}" not found', code=404, reason="NotFound")
    target = yield from read_stream(dest_namespace, dest_name)
    promotions = []
    for source_tag, tag in _tag_pairs(origin, tags):
        event = latest_event(origin, source_tag)
        digest = str((event or {}).get("image") or "") or None
        expected = expect.get(source_tag)
        if expected is not None and expected != digest:
            raise PreconditionFailed(f"{source_namespace}/{source_name}", source_tag, expected, digest)
        if digest is None:
            raise ValueError(f'"{source_namespace}/{source_name}:{source_tag}" is not currently pointing to an image, '
                             "cannot promote it")
        current = latest_event(target, tag) if target is not None else None
        old = str((current or {}).get("image") or "") or None
        action: Literal["create", "update", "unchanged"] = (
            "unchanged" if old == digest else "create" if old is None else "update")
        promotions.append(TagPromotion(source_tag=source_tag, tag=tag, old=old, new=digest, action=action))
    for tag in expect:
        if tag not in {promotion.source_tag for promotion in promotions}:
            raise ValueError(f"expect names tag {tag!r}, which is not promoted")
    return PromotePlan(source_namespace=source_namespace, source=source_name, namespace=dest_namespace,
                       destination=dest_name,
                       resource_version=resource_version_of(target) if target is not None else None,
                       tags=tuple(promotions))


def _pinned_tag(plan: PromotePlan, promotion: TagPromotion, existing: JSON | None) -> JSON:
    entry: JSON = {"name": promotion.tag,
                   "from": {"kind": "ImageStreamImage", "name": f"{plan.source}@{promotion.new}",
                            "namespace": plan.source_namespace},
                   "referencePolicy": (existing or {}).get("referencePolicy") or {"type": "Source"}}
    if existing and existing.get("annotations"):
        entry["annotations"] = dict(existing["annotations"])
    mode = ((existing or {}).get("importPolicy") or {}).get("importMode")
    if mode:
        entry["importPolicy"] = {"importMode": mode}
    return entry


def _apply_flow(plan: PromotePlan) -> Flow[PromoteResult]:
    writes = plan.writes
    if not writes:
        return PromoteResult(plan=plan, applied=())
    info = image_info("imagestreams")
    if plan.resource_version is None:
        tags = [_pinned_tag(plan, promotion, None) for promotion in writes]
        body = {"kind": "ImageStream", "apiVersion": _API_VERSION,
                "metadata": {"name": plan.destination, "namespace": plan.namespace}, "spec": {"tags": tags}}
        yield json_request("POST", resource_path(info, plan.namespace), body)
        return PromoteResult(plan=plan, applied=writes)
    target = yield from read_stream(plan.namespace, plan.destination)
    if target is None:
        from ..errors import ConflictError

        raise ConflictError(f"image stream {plan.namespace}/{plan.destination} was deleted after the plan was made; "
                            "plan again", code=409, reason="Conflict")
    # Written on top of the plan's version: the server refuses it (409) if the stream changed since.
    target.setdefault("metadata", {})["resourceVersion"] = plan.resource_version
    changed = {promotion.tag: promotion for promotion in writes}
    tags = [entry for entry in (target.get("spec") or {}).get("tags") or [] if entry.get("name") not in changed]
    tags += [_pinned_tag(plan, promotion, spec_tag(target, promotion.tag)) for promotion in writes]
    target.setdefault("spec", {})["tags"] = tags
    yield json_request("PUT", resource_path(info, plan.namespace, plan.destination), target)
    return PromoteResult(plan=plan, applied=writes)


Tags = Sequence[str] | Mapping[str, str] | None


@overload
def plan(client: Client, source: str, destination: str, tags: Tags = ..., *, expect: Mapping[str, str] = ...,
         namespace: str | None = ...) -> PromotePlan: ...
@overload
def plan(client: AsyncClient, source: str, destination: str, tags: Tags = ..., *, expect: Mapping[str, str] = ...,
         namespace: str | None = ...) -> Coroutine[Any, Any, PromotePlan]: ...
def plan(client: Client | AsyncClient, source: str, destination: str, tags: Tags = None, *,
         expect: Mapping[str, str] | None = None, namespace: str | None = None) -> Any:
    """Plan promoting ``tags`` of ``source`` (``[namespace/]stream``) into ``destination``.

    ``tags`` is a list (same names), a mapping source tag → destination tag, or None (every source
    tag that holds an image). ``expect`` maps source tags to the digest each must hold, else
    :class:`PreconditionFailed`. ``namespace`` is the default of both (the client's when None).
    """
    return run(client, _plan_flow(source, destination, tags, dict(expect or {}), default_namespace(client, namespace)))


@overload
def apply(client: Client, plan: PromotePlan) -> PromoteResult: ...
@overload
def apply(client: AsyncClient, plan: PromotePlan) -> Coroutine[Any, Any, PromoteResult]: ...
def apply(client: Client | AsyncClient, plan: PromotePlan) -> Any:
    """Write ``plan``: one create or update of the destination stream, conditional on the version the
    plan read (``ConflictError`` when it changed since; nothing is written then)."""
    return run(client, _apply_flow(plan))


@overload
def promote(client: Client, source: str, destination: str, tags: Tags = ..., *, expect: Mapping[str, str] = ...,
            namespace: str | None = ...) -> PromoteResult: ...
@overload
def promote(client: AsyncClient, source: str, destination: str, tags: Tags = ..., *,
            expect: Mapping[str, str] = ..., namespace: str | None = ...) -> Coroutine[Any, Any, PromoteResult]: ...
def promote(client: Client | AsyncClient, source: str, destination: str, tags: Tags = None, *,
            expect: Mapping[str, str] | None = None, namespace: str | None = None) -> Any:
    """Plan and apply (see :func:`plan`), re-reading and re-planning when the destination changed in
    between; ``expect`` is checked on every reading."""
    current = default_namespace(client, namespace)
    expected = dict(expect or {})
    return run(client, replanning(lambda: _plan_flow(source, destination, tags, expected, current), _apply_flow))
