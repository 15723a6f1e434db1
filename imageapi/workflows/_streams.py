"""Reading image streams the way ``oc`` does, on their JSON form (wire names).

The workflows read streams as plain JSON rather than models: prune reads every revision of every
stream in the cluster, and building hundreds of thousands of models for a read-only walk costs more
than the walk itself.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

JSON = dict[str, Any]

__all__ = [
    "CircularReferenceError",
    "CrossStreamReferenceError",
    "InvalidTagReferenceError",
    "TagNotFoundError",
    "follow_tag_reference",
    "latest_event",
    "parse_time",
    "prioritize_tags",
    "spec_tag",
    "status_tag",
]


def _metadata(obj: JSON) -> JSON:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def name_of(obj: JSON) -> str:
    """``metadata.name`` (empty when missing)."""
    return str(_metadata(obj).get("name") or "")


def namespace_of(obj: JSON) -> str:
    """``metadata.namespace`` (empty when missing)."""
    return str(_metadata(obj).get("namespace") or "")


def resource_version_of(obj: JSON) -> str:
    """``metadata.resourceVersion`` (empty when missing)."""
    return str(_metadata(obj).get("resourceVersion") or "")


def spec_tags(stream: JSON) -> list[JSON]:
    """``spec.tags`` (an empty list when unset or null)."""
    return list((stream.get("spec") or {}).get("tags") or [])


def status_tags(stream: JSON) -> list[JSON]:
    """``status.tags`` (an empty list when unset or null)."""
    return list((stream.get("status") or {}).get("tags") or [])


def spec_tag(stream: JSON, tag: str) -> JSON | None:
    """The spec tag called ``tag`` (library-go's ``SpecHasTag``), or None."""
    return next((item for item in spec_tags(stream) if item.get("name") == tag), None)


def status_tag(stream: JSON, tag: str) -> JSON | None:
    """The status tag called ``tag`` (library-go's ``StatusHasTag``), or None."""
    return next((item for item in status_tags(stream) if item.get("tag") == tag), None)


def latest_event(stream: JSON, tag: str) -> JSON | None:
    """The newest revision of ``tag`` (library-go's ``LatestTaggedImage``), or None."""
    history = status_tag(stream, tag or "latest")
    items = (history or {}).get("items") or []
    return items[0] if items else None


def parse_time(text: Any) -> datetime | None:
    """An RFC 3339 timestamp as an aware datetime (None when missing or unreadable)."""
    if not isinstance(text, str) or not text:
        return None
    return _parse_time(text)


@functools.lru_cache(maxsize=65536)
def _parse_time(text: str) -> datetime | None:
    # Cached: a prune plan reads every revision's timestamp, and revisions share few distinct ones.
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class TagReferenceError(ValueError):
    """A spec tag chain that cannot be followed (the base of the four reasons below)."""


class TagNotFoundError(TagReferenceError):
    """The chain ends at a tag the stream does not have."""


class InvalidTagReferenceError(TagReferenceError):
    """A link of the chain is not ``tag`` or ``stream:tag``."""


class CrossStreamReferenceError(TagReferenceError):
    """A link of the chain points into another stream."""


class CircularReferenceError(TagReferenceError):
    """The chain comes back to a tag it already passed."""


def follow_tag_reference(stream: JSON, tag: str) -> tuple[str, JSON, bool]:
    """Follow spec tags that point at other tags of the same stream (oc's ``FollowTagReference``).

    Returns ``(final tag, its spec tag, whether a link was followed)``; raises one of the
    :class:`TagReferenceError` subclasses when the chain breaks.
    """
    seen: set[str] = set()
    followed = False
    stream_name, stream_namespace = name_of(stream), namespace_of(stream)
    while True:
        if tag in seen:
            raise CircularReferenceError(tag)
        seen.add(tag)
        entry = spec_tag(stream, tag)
        if entry is None:
            raise TagNotFoundError(tag)
        source = entry.get("from") or {}
        if source.get("kind") != "ImageStreamTag":
            return tag, entry, followed
        if source.get("namespace") and source["namespace"] != stream_namespace:
            raise CrossStreamReferenceError(tag)
        target = str(source.get("name") or "")
        if ":" in target:
            other, _, target = target.partition(":")
            if not target:
                raise InvalidTagReferenceError(tag)
            if other != stream_name:
                raise CrossStreamReferenceError(tag)
        tag, followed = target, True


_SEMVER = re.compile(
    r"(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
_MINOR = re.compile(r"(\d+)\.(\d+)")
_MINOR_WITH_SUFFIX = re.compile(r"(\d+)\.(\d+)-(\w+)")


def _prerelease_key(pre: str | None) -> tuple[Any, ...]:
    # semver: a version without a pre-release ranks above one with it; numeric identifiers rank
    # below alphanumeric ones and compare as numbers.
    if not pre:
        return (1,)
    parts = tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in pre.split("."))
    return (0, parts)


def _tag_priority(tag: str) -> tuple[Any, ...]:
    """Sort key of library-go's ``PrioritizeTags``: latest, minor versions (newest first), full
    versions (newest first), then everything else alphabetically."""
    if tag == "latest":
        return (0,)
    prefix, short = ("v", tag[1:]) if tag.startswith("v") else ("", tag)
    full = _SEMVER.fullmatch(short)
    if full:
        version = (int(full["major"]), int(full["minor"]), int(full["patch"]), _prerelease_key(full["pre"]))
        return (2, _descending(version), prefix)
    minor = _MINOR.fullmatch(short) or _MINOR_WITH_SUFFIX.fullmatch(short)
    if minor:
        suffix = minor.group(3) if minor.re is _MINOR_WITH_SUFFIX else None
        version = (int(minor.group(1)), int(minor.group(2)), 0, _prerelease_key(suffix))
        return (1, _descending(version), prefix)
    return (3, tag)


class _descending:
    """Wraps a key so that sorting puts the largest first."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key

    def __lt__(self, other: _descending) -> bool:
        return bool(self.key > other.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _descending) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)


def prioritize_tags(tags: Iterable[str]) -> list[str]:
    """Tags in the order ``oc describe`` lists them (see :func:`_tag_priority`)."""
    return sorted(tags, key=_tag_priority)
