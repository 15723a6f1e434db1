"""ImageStream semantics: create and update preparation (generations, main vs ``/status``) and the
strategy the generic core calls around its CRUD. The document helpers are in :mod:`._stream_model`,
validation in :mod:`._stream_validation`, tag events in :mod:`._tag_events`."""

from __future__ import annotations

from typing import Any

from ._contracts import JSON, RequestContext, ServerConfig
from ._references import strip_tag_and_id
from ._status import FieldError, bad_request
from ._store import copy_json
from ._stream_model import (
    collapse_empty_status_tags,
    metadata,
    normalize_stream,
    now_text,
    set_spec_tags,
    set_status_tags,
    spec_tags,
    status_tags,
    stream_repository,
)
from ._stream_validation import validate_meta_update, validate_status_update, validate_stream
from ._tag_events import tag_ref_changed, tags_changed, wrap_tag_errors

STREAM_FIELD_SELECTORS = (
    "metadata.name", "metadata.namespace", "spec.dockerImageRepository", "status.dockerImageRepository",
)


# --------------------------------------------------------------------------------------------------
# create and update preparation shared by the strategy and the internal writes


def prepare_create(stream: JSON, ctx: RequestContext, *, keep_status: bool = False) -> None:
    """``PrepareForCreate`` (or the internal create that keeps status tags, as ImageStreamImport uses)."""
    normalize_stream(stream, ctx.config)
    meta = metadata(stream)
    meta["generation"] = 1
    # The store stamps the same request time; events created now carry it too (§5.4).
    meta["creationTimestamp"] = now_text(ctx)
    created = str(meta.get("creationTimestamp"))
    tags = spec_tags(stream)
    for tag in tags.values():
        tag["generation"] = 1
    set_spec_tags(stream, tags)
    kept_tags = (stream.get("status") or {}).get("tags") if keep_status else None
    stream["status"] = {"dockerImageRepository": stream_repository(stream, ctx.config)}
    if ctx.config.external_registry_hostname:
        stream["status"]["publicDockerImageRepository"] = _public_repository(stream, ctx.config)
    if kept_tags:
        stream["status"]["tags"] = kept_tags
    tags_changed(None, stream, ctx, created=created)
    if keep_status:
        collapse_empty_status_tags(stream)


def prepare_update(new: JSON, old: JSON, ctx: RequestContext, *, reset_status: bool) -> None:
    """``prepareForUpdate``: generations (§5.3), then the tag events of changed spec tags (§5.4)."""
    normalize_stream(new, ctx.config)
    old_meta = old.get("metadata") or {}
    old_generation = int(old_meta.get("generation") or 0)
    meta = metadata(new)
    if reset_status:
        new["status"] = copy_json(old.get("status") or {})
        normalize_stream(new, ctx.config)
    old_tags = spec_tags(old)
    tags = spec_tags(new)
    for name, tag in tags.items():
        if tag.get("generation") == 0:
            continue
        if name in old_tags:
            tag["generation"] = old_tags[name].get("generation")
    set_spec_tags(new, tags)
    generation = old_generation
    if _comparable_spec(new) != _comparable_spec(old) or old_generation == 0:
        generation = old_generation + 1
    meta["generation"] = generation
    namespace = str(meta.get("namespace") or "")
    for name, tag in tags.items():
        previous = old_tags.get(name)
        if previous is None or not tag.get("generation") or tag_ref_changed(previous, tag, namespace):
            tag["generation"] = generation
    set_spec_tags(new, tags)
    _set_repositories(new, ctx.config)
    tags_changed(old, new, ctx)
    if not reset_status:
        collapse_empty_status_tags(new)


def prepare_status_update(new: JSON, old: JSON, ctx: RequestContext) -> None:
    """``StatusStrategy.PrepareForUpdate``: spec tags and repository come back from ``old`` (§5.5)."""
    normalize_stream(new, ctx.config)
    old_spec = old.get("spec") or {}
    spec = new.setdefault("spec", {})
    for key in ("tags", "dockerImageRepository"):
        if key in old_spec:
            spec[key] = copy_json(old_spec[key])
        else:
            spec.pop(key, None)
    generation = (old.get("metadata") or {}).get("generation")
    metadata(new)["generation"] = generation
    old_status = status_tags(old)
    current_spec = spec_tags(new)
    tags = status_tags(new)
    for name, entry in tags.items():
        items = entry.get("items") or []
        if not items or items[0].get("generation") != 0:
            continue
        old_items = (old_status.get(name) or {}).get("items") or []
        if not old_items or not _event_changed(old_items[0], items[0]):
            items[0]["generation"] = generation
        else:
            spec_generation = (current_spec.get(name) or {}).get("generation")
            items[0]["generation"] = spec_generation if spec_generation is not None else generation
    set_status_tags(new, tags)
    _set_repositories(new, ctx.config)


def _event_changed(old: JSON, new: JSON) -> bool:
    """``tagEventChanged``: another image or reference, or an older generation."""
    return ((old.get("image") or "") != (new.get("image") or "")
            or old.get("dockerImageReference") != new.get("dockerImageReference")
            or int(old.get("generation") or 0) > int(new.get("generation") or 0))


def _comparable_spec(stream: JSON) -> Any:
    """The spec as Go's semantic equality sees it: unset, empty and zero-valued members are equal
    (generations stay: they are pointers there, so 0 differs from unset)."""
    return _semantic(stream.get("spec") or {})


def _semantic(value: Any) -> Any:
    if isinstance(value, dict):
        cleaned = {key: _semantic(item) for key, item in value.items()}
        return {key: item for key, item in cleaned.items()
                if not (item is None or item is False or item in ("", {}, []))}
    if isinstance(value, list):
        return [_semantic(item) for item in value]
    return value


def _public_repository(stream: JSON, config: ServerConfig) -> str:
    meta = stream.get("metadata") or {}
    return f"{config.external_registry_hostname}/{meta.get('namespace', '')}/{meta.get('name', '')}"


def _set_repositories(stream: JSON, config: ServerConfig) -> None:
    status = stream.setdefault("status", {})
    status["dockerImageRepository"] = stream_repository(stream, config)
    if config.external_registry_hostname:
        status["publicDockerImageRepository"] = _public_repository(stream, config)
    else:
        status.pop("publicDockerImageRepository", None)


# --------------------------------------------------------------------------------------------------
# the strategy


class ImageStreamStrategy:
    """The ``imagestreams`` strategy the core calls around its generic CRUD (and ``/status``)."""

    def prepare_for_create(self, obj: JSON, ctx: RequestContext) -> None:
        """Status replaced, generation 1, tag generations 1, events for reference and stream tags."""
        prepare_create(obj, ctx)

    def validate_create(self, obj: JSON, ctx: RequestContext) -> list[FieldError]:
        """Name and tag rules, then the tag sources (resolved on a copy, so nothing is recorded twice)."""
        errors = validate_stream(obj)
        if errors:
            return errors
        return wrap_tag_errors(obj, tags_changed(None, copy_json(obj), ctx))

    def prepare_for_update(self, new: JSON, old: JSON, ctx: RequestContext, subresource: str | None) -> None:
        """The main resource keeps the old status (§5.5); ``/status`` keeps the old spec tags."""
        if subresource == "status":
            prepare_status_update(new, old, ctx)
        else:
            prepare_update(new, old, ctx, reset_status=True)

    def validate_update(self, new: JSON, old: JSON, ctx: RequestContext, subresource: str | None) -> list[FieldError]:
        """Main: the stream rules and tag sources; ``/status``: only new references must parse."""
        if subresource == "status":
            return validate_status_update(new, old)
        errors = validate_meta_update(new, old) + validate_stream(new)
        if errors:
            return errors
        return wrap_tag_errors(new, tags_changed(old, copy_json(new), ctx))

    def decorate(self, obj: JSON, ctx: RequestContext) -> None:
        """Recompute the repositories and emit the always-present fields on every read."""
        decorate_stream(obj, ctx.config)

    def field_value(self, obj: JSON, field_path: str) -> str:
        """``metadata.name``, ``metadata.namespace`` and the two repository fields."""
        return stream_field_value(obj, field_path)


def decorate_stream(obj: JSON, config: ServerConfig) -> None:
    """What every read of a stream shows (``Strategy.Decorate`` plus the serialization quirks of §5.2)."""
    spec = obj.setdefault("spec", {})
    if not isinstance(spec.get("lookupPolicy"), dict):
        spec["lookupPolicy"] = {"local": False}
    if spec.get("dockerImageRepository"):
        spec["dockerImageRepository"] = strip_tag_and_id(spec["dockerImageRepository"])
    _set_repositories(obj, config)


def stream_field_value(obj: JSON, field_path: str) -> str:
    """The value of a supported stream field selector; 400 for others."""
    meta = obj.get("metadata") or {}
    if field_path == "metadata.name":
        return str(meta.get("name") or "")
    if field_path == "metadata.namespace":
        return str(meta.get("namespace") or "")
    if field_path == "spec.dockerImageRepository":
        return str((obj.get("spec") or {}).get("dockerImageRepository") or "")
    if field_path == "status.dockerImageRepository":
        return str((obj.get("status") or {}).get("dockerImageRepository") or "")
    raise bad_request(f'"{field_path}" is not a known field selector: only '
                      + ", ".join(f'"{name}"' for name in STREAM_FIELD_SELECTORS))
