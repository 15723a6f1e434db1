"""Tag events (§5.4): recording the newest event of a tag, tracking tags, and the events a write of
spec tags causes (``tagsChanged``)."""

from __future__ import annotations

from dataclasses import replace

from ._contracts import JSON, RequestContext, ServerConfig
from ._references import InvalidReference, digest_or_image_match, parse_reference
from ._status import FieldError, StatusError, conflict, not_found
from ._stream_model import latest_event, metadata, now_text, set_status_tags, spec_tags, status_tags

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
        # The follower gets the event as it is, the followed tag's generation included.
        add_tag_event(stream, name, dict(event))


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
        generation = tag.get("generation")
        if kind == "DockerImage":
            if tag.get("reference"):
                add_tag_event(stream, tag_name, {
                    "created": timestamp, "dockerImageReference": from_name, "image": "",
                    "generation": generation if generation is not None else 0,
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
            if generation is not None:
                # LatestTaggedImage hands out the followed tag's newest event itself, not a copy, and
                # tagReferenceToTagEvent sets the generation on it: in this stream the followed tag's
                # event takes the follower's generation too (UpdateChangedTrackingTags passes it on).
                latest["generation"] = generation
            event = dict(latest)
        else:
            try:
                resolved = resolve_image_id(source_stream, tag_or_id)
            except StatusError as error:
                errors.append(FieldError("FieldValueInvalid", path, f"error generating tag event: {error.message}",
                                         from_name, True))
                continue
            # ResolveImageID makes a new event: the reference and image, no generation of its own.
            event = {"created": timestamp, "dockerImageReference": resolved.get("dockerImageReference"),
                     "image": resolved.get("image", ""), "generation": generation if generation is not None else 0}
        if not tag.get("reference"):
            event["dockerImageReference"] = _pull_through_this_stream(
                str(event.get("dockerImageReference") or ""), source_stream, namespace, name, ctx.config)
        if created is not None:
            event["created"] = created
        add_tag_event(stream, tag_name, event)
    update_changed_tracking_tags(stream, old)
    return errors


def update_changed_tracking_tags(stream: JSON, old: JSON | None) -> None:
    """``UpdateChangedTrackingTags``: every tag whose newest event differs from ``old``'s (all of them
    on create) passes that event on to the tags following it."""
    old_tags = status_tags(old) if old is not None else {}
    for tag, entry in status_tags(stream).items():
        items = entry.get("items") or []
        if not items:
            continue
        old_items = (old_tags.get(tag) or {}).get("items") or []
        if old_items and old_items[0] == items[0]:
            continue
        update_tracking_tags(stream, tag, items[0])


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
