"""``oc set image-lookup`` for image streams (``client.image_streams.set_image_lookup``).

oc reads the named streams (or all of them, or those matching a selector) and patches
``spec.lookupPolicy.local`` on each; it skips a stream whose patch would be empty. Here the plan
lists each stream with its current and wanted value, and the patch carries the ``resourceVersion``
the plan read, so a stream changed in between is re-read (one-step form) or refused (a stored plan)
instead of being patched blind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .._base_client import Flow
from .._request import resource_path
from ..errors import ConflictError, NotFoundError
from ._common import JSON, get_json, image_info, json_request, list_all, replanning
from ._streams import name_of, resource_version_of

__all__ = ["LookupChange", "LookupPlan", "LookupResult"]


@dataclass(frozen=True)
class LookupChange:
    """One stream: its ``spec.lookupPolicy.local`` now (``old``) and after (``new``)."""

    namespace: str
    stream: str
    old: bool
    new: bool
    resource_version: str

    @property
    def writes(self) -> bool:
        """Whether the value changes."""
        return self.old != self.new


@dataclass(frozen=True)
class LookupPlan:
    """The streams ``set_image_lookup`` would patch; ``str()`` is oc's ``NAME LOCAL`` table."""

    enabled: bool
    changes: tuple[LookupChange, ...]

    @property
    def writes(self) -> tuple[LookupChange, ...]:
        """The streams whose value changes."""
        return tuple(change for change in self.changes if change.writes)

    def __str__(self) -> str:
        width = max([len("NAME"), *(len(change.stream) for change in self.changes)])
        lines = [f"{'NAME':<{width}}  LOCAL  CHANGE"]
        for change in self.changes:
            after = f"-> {str(change.new).lower()}" if change.writes else "unchanged"
            lines.append(f"{change.stream:<{width}}  {str(change.old).lower():<5}  {after}")
        return "\n".join(lines)


@dataclass(frozen=True)
class LookupResult:
    """What ``set_image_lookup`` did."""

    plan: LookupPlan
    applied: tuple[LookupChange, ...]

    def __str__(self) -> str:
        if not self.applied:
            return "image lookup unchanged"
        return "\n".join(f"imagestream.image.openshift.io/{change.stream} image lookup updated"
                         for change in self.applied)


def plan_lookup_flow(
    names: Sequence[str], enabled: bool, all: bool, label_selector: str | None, namespace: str
) -> Flow[LookupPlan]:
    """Read the streams and plan their ``lookupPolicy.local``."""
    if names and (all or label_selector):
        raise ValueError("name streams, or select them with all=True / label_selector, not both")
    if not names and not all and label_selector is None:
        raise ValueError("name at least one image stream, or pass all=True or a label_selector")
    if names:
        streams: list[JSON] = []
        for name in names:
            streams.append((yield get_json("imagestreams", namespace, name)))
    else:
        streams = yield from list_all(image_info("imagestreams"), namespace, label_selector=label_selector)
    changes = tuple(
        LookupChange(namespace=namespace, stream=name_of(stream),
                     old=bool(((stream.get("spec") or {}).get("lookupPolicy") or {}).get("local")), new=enabled,
                     resource_version=resource_version_of(stream))
        for stream in streams
    )
    return LookupPlan(enabled=enabled, changes=changes)


def apply_lookup_flow(plan: LookupPlan) -> Flow[LookupResult]:
    """Patch each changing stream, conditional on the plan's ``resourceVersion``."""
    info = image_info("imagestreams")
    applied = []
    for change in plan.writes:
        patch = {"metadata": {"resourceVersion": change.resource_version},
                 "spec": {"lookupPolicy": {"local": change.new}}}
        request = json_request("PATCH", resource_path(info, change.namespace, change.stream), patch,
                               content_type="application/merge-patch+json")
        try:
            yield request
        except NotFoundError:
            raise ConflictError(f"image stream {change.namespace}/{change.stream} was deleted after the plan was "
                                "made; plan again", code=409, reason="Conflict") from None
        applied.append(change)
    return LookupResult(plan=plan, applied=tuple(applied))


def set_lookup_flow(
    names: Sequence[str], enabled: bool, all: bool, label_selector: str | None, namespace: str
) -> Flow[LookupResult]:
    """Plan and apply, re-reading after a conflict."""
    return (yield from replanning(lambda: plan_lookup_flow(names, enabled, all, label_selector, namespace),
                                  apply_lookup_flow))
