"""The ImageStream document as the server reads it: ``spec.tags`` and ``status.tags`` are maps keyed by
tag name (duplicates collapse, the last one wins) written back sorted by name, which is also how every
response emits them (server-semantics.md §5); the v1 defaults of a tag; names and repositories."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from .._resource_info import API_VERSION
from ._contracts import JSON, RequestContext, ServerConfig
from ._references import strip_tag_and_id
from ._status import bad_request

# --------------------------------------------------------------------------------------------------
# small helpers shared by the virtual resources


def rfc3339(moment: datetime) -> str:
    """A timestamp as the API writes it: UTC, whole seconds, ``Z`` suffix."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def now_text(ctx: RequestContext) -> str:
    """The request's current time as an RFC 3339 string."""
    return rfc3339(ctx.now())


def metadata(obj: JSON) -> JSON:
    """``obj.metadata``, created when missing."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
        obj["metadata"] = meta
    return meta


def spec_tags(stream: JSON) -> dict[str, JSON]:
    """``spec.tags`` as a map by name; when a name repeats, the last entry wins."""
    tags = (stream.get("spec") or {}).get("tags") or []
    return {str(tag.get("name", "")): tag for tag in tags if isinstance(tag, dict)}


def status_tags(stream: JSON) -> dict[str, JSON]:
    """``status.tags`` as a map by tag; when a tag repeats, the last entry wins."""
    tags = (stream.get("status") or {}).get("tags") or []
    return {str(tag.get("tag", "")): tag for tag in tags if isinstance(tag, dict)}


def set_spec_tags(stream: JSON, tags: dict[str, JSON]) -> None:
    """Write the map back as a list sorted by name (omitted when empty, as the server emits it)."""
    spec = stream.setdefault("spec", {})
    if tags:
        spec["tags"] = [tags[name] for name in sorted(tags)]
    else:
        spec.pop("tags", None)


def set_status_tags(stream: JSON, tags: dict[str, JSON]) -> None:
    """Write the map back as a list sorted by tag (omitted when empty)."""
    status = stream.setdefault("status", {})
    if tags:
        status["tags"] = [tags[name] for name in sorted(tags)]
    else:
        status.pop("tags", None)


def latest_event(stream: JSON, tag: str) -> JSON | None:
    """The newest tag event of ``tag`` (``items[0]``), or None."""
    items = (status_tags(stream).get(tag) or {}).get("items") or []
    return items[0] if items else None


def internal_repository(config: ServerConfig, namespace: str, name: str, spec_repository: str = "") -> str:
    """``status.dockerImageRepository``: the internal registry path, else the spec's repository."""
    if config.internal_registry_hostname:
        return f"{config.internal_registry_hostname}/{namespace}/{name}"
    return strip_tag_and_id(spec_repository) if spec_repository else ""


def stream_repository(stream: JSON, config: ServerConfig) -> str:
    """The computed ``status.dockerImageRepository`` of ``stream``."""
    meta = stream.get("metadata") or {}
    return internal_repository(config, str(meta.get("namespace", "")), str(meta.get("name", "")),
                               str((stream.get("spec") or {}).get("dockerImageRepository") or ""))


def new_stream(namespace: str, name: str) -> JSON:
    """An empty stream as the virtual resources start one when none exists."""
    return {
        "kind": "ImageStream", "apiVersion": API_VERSION,
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"lookupPolicy": {"local": False}}, "status": {"dockerImageRepository": ""},
    }


def split_stream_tag(name: str) -> tuple[str, str] | None:
    """``ParseImageStreamTagName``: exactly one ``:``, no ``@``, both halves non-empty."""
    if "@" in name or name.count(":") != 1:
        return None
    stream, tag = name.split(":")
    if not stream or not tag:
        return None
    return stream, tag


def parse_stream_tag_name(name: str, resource_title: str) -> tuple[str, str]:
    """Split ``<stream>:<tag>`` or raise 400 ``<ImageStreamTags> must be retrieved with <name>:<tag>``."""
    parts = split_stream_tag(name)
    if parts is None:
        raise bad_request(f"{resource_title} must be retrieved with <name>:<tag>")
    return parts


# --------------------------------------------------------------------------------------------------
# defaults and normalisation


def default_tag_reference(tag: JSON, config: ServerConfig) -> JSON:
    """Apply the v1 defaults and the always-emitted keys of a ``TagReference`` (in place)."""
    tag.setdefault("annotations", None)
    tag.setdefault("generation", None)
    import_policy = tag.get("importPolicy")
    if not isinstance(import_policy, dict):
        import_policy = {}
        tag["importPolicy"] = import_policy
    if not import_policy.get("importMode"):
        import_policy["importMode"] = config.default_import_mode
    reference_policy = tag.get("referencePolicy")
    if not isinstance(reference_policy, dict):
        reference_policy = {}
        tag["referencePolicy"] = reference_policy
    if not reference_policy.get("type"):
        reference_policy["type"] = "Source"
    return tag


def normalize_stream(stream: JSON, config: ServerConfig) -> None:
    """Defaults, map semantics (dedupe, sort) and the always-present fields of a stream."""
    spec = stream.get("spec")
    if not isinstance(spec, dict):
        spec = {}
        stream["spec"] = spec
    if not isinstance(spec.get("lookupPolicy"), dict):
        spec["lookupPolicy"] = {"local": False}
    spec["lookupPolicy"].setdefault("local", False)
    tags = spec_tags(stream)
    for name, tag in tags.items():
        tag["name"] = name
        default_tag_reference(tag, config)
    set_spec_tags(stream, tags)
    status = stream.get("status")
    if not isinstance(status, dict):
        status = {}
        stream["status"] = status
    status.setdefault("dockerImageRepository", "")
    set_status_tags(stream, status_tags(stream))


def collapse_empty_status_tags(stream: JSON) -> None:
    """Drop status tags with neither items nor conditions (the internal spec+status writes do this)."""
    tags = {name: tag for name, tag in status_tags(stream).items() if tag.get("items") or tag.get("conditions")}
    set_status_tags(stream, tags)


def stream_tag_names(stream: JSON) -> Iterable[str]:
    """Every tag present in spec or status, sorted."""
    return sorted(set(spec_tags(stream)) | set(status_tags(stream)))
