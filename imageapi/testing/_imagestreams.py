"""ImageStream semantics: naming, validation, generations, tag events, main vs ``/status``.

Streams are stored as wire JSON, but the server treats ``spec.tags`` and ``status.tags`` as maps keyed
by tag name: the helpers here read them as maps (duplicates collapse, the last one wins) and write
them back sorted by name, which is also how every response emits them (server-semantics.md §5).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from .._resource_info import API_VERSION
from ._contracts import JSON, RequestContext, ServerConfig
from ._references import InvalidReference, digest_or_image_match, parse_reference, strip_tag_and_id
from ._status import FieldError, StatusError, bad_request, conflict, not_found
from ._store import copy_json

STREAM_NAME_PATTERN = "[a-z0-9]+(?:[._-][a-z0-9]+)*"
_STREAM_NAME_RE = re.compile(STREAM_NAME_PATTERN)
TAG_KINDS = ("DockerImage", "ImageStreamImage", "ImageStreamTag")
IMPORT_MODES = ("Legacy", "PreserveOriginal")
REFERENCE_POLICY_TYPES = ("Source", "Local")
STREAM_FIELD_SELECTORS = (
    "metadata.name", "metadata.namespace", "spec.dockerImageRepository", "status.dockerImageRepository",
)


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


# --------------------------------------------------------------------------------------------------
# validation


def validate_stream_name(name: str, namespace: str, path: str = "metadata.name") -> list[FieldError]:
    """The stream name rules of §5.1 (path segment, pattern, namespace/name length)."""
    errors: list[FieldError] = []
    if not name:
        return [FieldError("FieldValueRequired", path, "name or generateName is required")]
    for bad in (".", ".."):
        if name == bad:
            errors.append(FieldError("FieldValueInvalid", path, f"may not be '{bad}'", name, True))
    for bad in ("/", "%"):
        if bad in name:
            errors.append(FieldError("FieldValueInvalid", path, f"may not contain '{bad}'", name, True))
    if not errors and not _STREAM_NAME_RE.fullmatch(name):
        errors.append(FieldError("FieldValueInvalid", path, f'must match "{STREAM_NAME_PATTERN}"', name, True))
    if len(namespace + "/" + name) > 255:
        errors.append(FieldError("FieldValueInvalid", path, "'namespace/name' cannot be longer than 255 characters",
                                 name, True))
    return errors


def validate_tag_reference(tag: JSON, path: str) -> list[FieldError]:
    """A ``TagReference`` at ``path`` (``spec.tags[latest]``)."""
    errors: list[FieldError] = []
    source = tag.get("from")
    if isinstance(source, dict):
        name = source.get("name") or ""
        kind = source.get("kind") or ""
        if not name:
            errors.append(FieldError("FieldValueRequired", f"{path}.from.name"))
        if kind not in TAG_KINDS:
            errors.append(FieldError("FieldValueRequired", f"{path}.from.kind",
                                     "valid values are 'DockerImage', 'ImageStreamImage', 'ImageStreamTag'"))
        elif kind == "DockerImage" and name:
            try:
                parse_reference(name)
            except InvalidReference as error:
                errors.append(FieldError("FieldValueInvalid", f"{path}.from.name", str(error), name, True))
        if (tag.get("importPolicy") or {}).get("scheduled") and kind != "DockerImage":
            errors.append(FieldError("FieldValueInvalid", f"{path}.importPolicy.scheduled",
                                     "only tags pointing to Docker repositories may be scheduled for background import",
                                     True, True))
    policy_type = (tag.get("referencePolicy") or {}).get("type") or ""
    if policy_type not in REFERENCE_POLICY_TYPES:
        errors.append(FieldError("FieldValueInvalid", f"{path}.referencePolicy.type", 'valid values are "Source", "Local"',
                                 policy_type, True))
    errors.extend(validate_import_mode((tag.get("importPolicy") or {}).get("importMode"),
                                       f"{path}.importPolicy.importMode"))
    return errors


def validate_import_mode(mode: Any, path: str) -> list[FieldError]:
    """``importMode`` must be empty, ``Legacy`` or ``PreserveOriginal``."""
    if mode in (None, "", *IMPORT_MODES):
        return []
    return [FieldError("FieldValueNotSupported", path, 'supported values: "Legacy", "PreserveOriginal"', mode, True)]


def validate_stream(stream: JSON) -> list[FieldError]:
    """Name, ``spec.dockerImageRepository``, spec tags and status items of a stream (§5.1)."""
    meta = stream.get("metadata") or {}
    errors = validate_stream_name(str(meta.get("name") or ""), str(meta.get("namespace") or ""))
    spec = stream.get("spec") or {}
    repository = spec.get("dockerImageRepository") or ""
    if repository:
        path = "spec.dockerImageRepository"
        try:
            ref = parse_reference(repository)
        except InvalidReference as error:
            errors.append(FieldError("FieldValueInvalid", path, str(error), repository, True))
        else:
            if ref.tag:
                errors.append(FieldError("FieldValueInvalid", path, "the repository name may not contain a tag",
                                         repository, True))
            if ref.id:
                errors.append(FieldError("FieldValueInvalid", path, "the repository name may not contain an ID",
                                         repository, True))
    for name, tag in spec_tags(stream).items():
        errors.extend(validate_tag_reference(tag, f"spec.tags[{name}]"))
    for name, tag in status_tags(stream).items():
        for index, item in enumerate(tag.get("items") or []):
            errors.extend(validate_event_reference(item, f"status.tags[{name}].items[{index}].dockerImageReference"))
    return errors


def validate_event_reference(event: JSON, path: str) -> list[FieldError]:
    """A tag event's ``dockerImageReference``: required and parseable."""
    reference = event.get("dockerImageReference") or ""
    if not reference:
        return [FieldError("FieldValueRequired", path)]
    try:
        parse_reference(reference)
    except InvalidReference as error:
        return [FieldError("FieldValueInvalid", path, str(error), reference, True)]
    return []


def validate_meta_update(new: JSON, old: JSON) -> list[FieldError]:
    """The ObjectMeta update rules the fake checks (name and namespace are immutable)."""
    errors: list[FieldError] = []
    for key in ("name", "namespace"):
        new_value = (new.get("metadata") or {}).get(key) or ""
        if new_value != ((old.get("metadata") or {}).get(key) or ""):
            errors.append(FieldError("FieldValueInvalid", f"metadata.{key}", "field is immutable", new_value, True))
    return errors


# --------------------------------------------------------------------------------------------------
# tag events (§5.4)


def add_tag_event(stream: JSON, tag: str, event: JSON) -> bool:
    """``AddTagEventToImageStream``: record ``event`` as the newest of ``tag``; True if anything changed."""
    tags = status_tags(stream)
    entry = tags.get(tag)
    if entry is None:
        entry = {"tag": tag, "items": None}
        tags[tag] = entry
    items: list[JSON] = list(entry.get("items") or [])
    if not items:
        entry["items"] = [event]
    else:
        previous = items[0]
        same_reference = previous.get("dockerImageReference") == event.get("dockerImageReference")
        same_image = (previous.get("image") or "") == (event.get("image") or "")
        if same_reference and same_image:
            if previous.get("generation") == event.get("generation"):
                return False
            previous["generation"] = event.get("generation")
        elif same_reference:
            previous["image"] = event.get("image", "")
        elif same_image:
            previous["dockerImageReference"] = event.get("dockerImageReference")
        else:
            items.insert(0, event)
        entry["items"] = items
    entry.pop("conditions", None)
    set_status_tags(stream, tags)
    return True


def update_tracking_tags(stream: JSON, updated_tag: str, event: JSON) -> None:
    """Give ``event`` to every spec tag of this stream that follows ``updated_tag`` (``UpdateTrackingTags``)."""
    meta = stream.get("metadata") or {}
    stream_name, namespace = meta.get("name"), meta.get("namespace")
    for name, tag in spec_tags(stream).items():
        if name == updated_tag:
            continue
        source = tag.get("from") or {}
        if source.get("kind") != "ImageStreamTag":
            continue
        if (source.get("namespace") or namespace) != namespace:
            continue
        if source.get("name") not in (updated_tag, f"{stream_name}:{updated_tag}"):
            continue
        follower_event = dict(event)
        follower_event["generation"] = tag.get("generation")
        add_tag_event(stream, name, follower_event)


def record_tag_event(stream: JSON, tag: str, event: JSON) -> bool:
    """Add ``event`` and, when it changed the tag, pass it on to the tracking tags."""
    changed = add_tag_event(stream, tag, event)
    if changed:
        update_tracking_tags(stream, tag, event)
    return changed


def tag_ref_changed(old: JSON, new: JSON, namespace: str) -> bool:
    """Whether a spec tag points somewhere else (``tagRefChanged``): the fields that re-trigger imports."""
    old_from, new_from = old.get("from") or {}, new.get("from") or {}
    if (old_from.get("namespace") or namespace) != (new_from.get("namespace") or namespace):
        return True
    if old_from.get("name") != new_from.get("name"):
        return True
    if bool(old.get("reference")) != bool(new.get("reference")):
        return True
    old_mode = (old.get("importPolicy") or {}).get("importMode") or ""
    new_mode = (new.get("importPolicy") or {}).get("importMode") or ""
    return old_mode != new_mode


def resolve_image_id(stream: JSON, image_id: str) -> JSON:
    """The history event whose image matches ``image_id`` (a digest or prefix); 404 or 409 otherwise."""
    matches: dict[str, JSON] = {}
    for tag in status_tags(stream).values():
        for item in tag.get("items") or []:
            image = item.get("image") or ""
            if image and digest_or_image_match(image, image_id) and image not in matches:
                matches[image] = item
    if not matches:
        raise not_found("imagestreamimage", image_id)
    if len(matches) > 1:
        names = ", ".join(sorted(matches))
        raise conflict("imagestreamimage", image_id, f'multiple images match the prefix "{image_id}": {names}')
    return next(iter(matches.values()))


def _split_source(stream_name: str, kind: str, name: str) -> tuple[str, str] | None:
    """The (stream, tag-or-id) a spec tag's ``from`` points at."""
    separator = ":" if kind == "ImageStreamTag" else "@"
    if separator not in name:
        return (stream_name, name) if name else None
    source_stream, _, tag_or_id = name.partition(separator)
    if not source_stream or not tag_or_id:
        return None
    return source_stream, tag_or_id


def changed_spec_tags(old: JSON | None, stream: JSON) -> list[str]:
    """The spec tags that are new or whose reference changed since ``old``."""
    namespace = str(metadata(stream).get("namespace") or "")
    old_tags = spec_tags(old) if old is not None else {}
    return [name for name, tag in spec_tags(stream).items()
            if name not in old_tags or tag_ref_changed(old_tags[name], tag, namespace)]


def tags_changed(old: JSON | None, stream: JSON, ctx: RequestContext, created: str | None = None) -> list[FieldError]:
    """``tagsChanged``: add status events for new or changed spec tags; field errors for bad sources."""
    errors: list[FieldError] = []
    meta = metadata(stream)
    namespace, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
    timestamp = created or now_text(ctx)
    for tag_name in changed_spec_tags(old, stream):
        tag = spec_tags(stream)[tag_name]
        source = tag.get("from")
        if not isinstance(source, dict):
            continue
        kind = source.get("kind")
        from_name = str(source.get("name") or "")
        path = f"spec.tags[{tag_name}].from.name"
        if kind == "DockerImage":
            if tag.get("reference"):
                record_tag_event(stream, tag_name, {
                    "created": timestamp, "dockerImageReference": from_name, "image": "",
                    "generation": tag.get("generation"),
                })
            continue
        if kind not in ("ImageStreamTag", "ImageStreamImage"):
            continue
        parts = _split_source(name, str(kind), from_name)
        if parts is None:
            errors.append(FieldError("FieldValueInvalid", path, "must be of the form <tag>, <repo>:<tag>, <id>, or <repo>@<id>",
                                     from_name, True))
            continue
        source_name, tag_or_id = parts
        source_namespace = source.get("namespace") or namespace
        source_stream = stream
        if source_namespace != namespace or source_name != name:
            found = ctx.store.get("imagestreams", source_namespace, source_name)
            if found is None:
                errors.append(FieldError("FieldValueNotFound", path, "", from_name, True))
                continue
            source_stream = found
        if kind == "ImageStreamTag":
            latest = latest_event(source_stream, tag_or_id)
            if latest is None:
                continue
            event = dict(latest)
        else:
            try:
                event = dict(resolve_image_id(source_stream, tag_or_id))
            except StatusError as error:
                errors.append(FieldError("FieldValueInvalid", path, f"error generating tag event: {error.message}",
                                         from_name, True))
                continue
            event["created"] = timestamp
        event["generation"] = tag.get("generation")
        if not tag.get("reference"):
            event["dockerImageReference"] = _pull_through_this_stream(
                str(event.get("dockerImageReference") or ""), source_stream, namespace, name, ctx.config)
        if created is not None:
            event["created"] = created
        record_tag_event(stream, tag_name, event)
    return errors


def _pull_through_this_stream(reference: str, source: JSON, namespace: str, name: str, config: ServerConfig) -> str:
    """A reference into the internal registry's copy of the source stream, moved to this stream (so
    pulls go through this stream from now on); any other reference is kept."""
    if not config.internal_registry_hostname:
        return reference
    try:
        ref = parse_reference(reference)
    except InvalidReference:
        return reference
    source_meta = source.get("metadata") or {}
    if (ref.registry, ref.namespace, ref.name) != (config.internal_registry_hostname, source_meta.get("namespace"),
                                                   source_meta.get("name")):
        return reference
    return replace(ref, namespace=namespace, name=name).exact()


def wrap_tag_errors(stream: JSON, errors: list[FieldError]) -> list[FieldError]:
    """Errors from resolving tag sources reach the client as one ``InternalError`` cause on ``[]``."""
    if not errors:
        return []
    rendered = [f"{error.field}: {error.message}" for error in errors]
    summary = rendered[0] if len(rendered) == 1 else "[" + ", ".join(rendered) + "]"
    name = metadata(stream).get("name") or ""
    return [FieldError("InternalError", "[]", f'imagestreams "{name}" is invalid: {summary}')]


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


def validate_status_update(new: JSON, old: JSON) -> list[FieldError]:
    """On ``/status`` only references that are new must parse; old ones are accepted as they are."""
    errors = validate_meta_update(new, old)
    known = {item.get("dockerImageReference")
             for entry in status_tags(old).values() for item in entry.get("items") or []}
    for name, entry in status_tags(new).items():
        for index, item in enumerate(entry.get("items") or []):
            if item.get("dockerImageReference") in known and item.get("dockerImageReference"):
                continue
            errors.extend(validate_event_reference(item, f"status.tags[{name}].items[{index}].dockerImageReference"))
    return errors


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


def stream_tag_names(stream: JSON) -> Iterable[str]:
    """Every tag present in spec or status, sorted."""
    return sorted(set(spec_tags(stream)) | set(status_tags(stream)))
