"""ImageStreamTag: a view and mutator of one tag of a stream (server-semantics.md §6)."""

from __future__ import annotations

from collections.abc import Iterator

from .._resource_info import API_VERSION
from ._contracts import JSON, RequestContext
from ._image_metadata import empty_docker_metadata
from ._images import validate_path_segment_name
from ._status import FieldError, already_exists, bad_request, invalid, not_found
from ._store import copy_json
from ._stream_model import (
    default_tag_reference,
    latest_event,
    metadata,
    new_stream,
    parse_stream_tag_name,
    spec_tags,
    status_tags,
)
from ._stream_validation import validate_tag_reference
from ._virtual import (
    STREAMS,
    check_resource_version,
    delete_tag,
    get_stream,
    latest_image_or_none,
    list_tag_views,
    metadata_changed,
    resolved_reference,
    write_spec_tags,
)

RESOURCE = "imagestreamtags"
TITLE = "ImageStreamTags"


def empty_image(stream: JSON, tag: str, event: JSON) -> JSON:
    """The ``image`` of an istag whose Image is unknown: only the event's image name and the resolved
    reference (a ``reference: true`` tag shows its external reference here)."""
    image: JSON = {"metadata": {}, "dockerImageMetadata": empty_docker_metadata(), "dockerImageMetadataVersion": "1.0"}
    if event.get("image"):
        image["metadata"]["name"] = event["image"]
    reference = resolved_reference(stream, tag, event) if event else ""
    if reference:
        image["dockerImageReference"] = reference
    return image


def project(stream: JSON, tag: str, image: JSON | None) -> JSON:
    """``newISTag``: the istag of ``tag`` with ``image`` (already resolved) or an empty image."""
    stream_meta = stream.get("metadata") or {}
    event = latest_event(stream, tag) or {}
    spec_tag = spec_tags(stream).get(tag)
    meta: JSON = {
        "name": f"{stream_meta.get('name')}:{tag}",
        "namespace": stream_meta.get("namespace"),
    }
    for key in ("uid", "resourceVersion"):
        if stream_meta.get(key):
            meta[key] = stream_meta[key]
    # A tag without an event shows the stream's creation time.
    meta["creationTimestamp"] = event.get("created") if event else stream_meta.get("creationTimestamp")
    if stream_meta.get("labels"):
        meta["labels"] = copy_json(stream_meta["labels"])
    if spec_tag and spec_tag.get("annotations"):
        meta["annotations"] = copy_json(spec_tag["annotations"])
    istag: JSON = {
        "kind": "ImageStreamTag", "apiVersion": API_VERSION,
        "metadata": meta,
        "tag": copy_json(spec_tag) if spec_tag is not None else None,
        "generation": event.get("generation") or 0,
        "lookupPolicy": copy_json((stream.get("spec") or {}).get("lookupPolicy") or {"local": False}),
        "image": image if image is not None else empty_image(stream, tag, event),
    }
    conditions = (status_tags(stream).get(tag) or {}).get("conditions")
    if conditions:
        istag["conditions"] = copy_json(conditions)
    return istag


def _listed_views(stream: JSON) -> Iterator[JSON]:
    """The list items of one stream: status tags whose latest event has an image. The image is not
    read (the server's list shows only its name and the resolved reference)."""
    for tag, entry in sorted(status_tags(stream).items()):
        event = (entry.get("items") or [None])[0]
        if not event or not event.get("image"):
            continue
        image = {"metadata": {"name": event["image"]},
                 "dockerImageReference": resolved_reference(stream, tag, event),
                 "dockerImageMetadata": empty_docker_metadata(), "dockerImageMetadataVersion": "1.0"}
        yield project(stream, tag, image)


def _create_name(name: str) -> tuple[str, str]:
    """``SplitImageStreamTag`` on create: cut at the first ``:``.

    Deviation: a name without ``:`` makes the real server answer a plain 500; the fake answers 400
    with the same message, as the spec allows.
    """
    stream, separator, tag = name.partition(":")
    if not separator or not stream or not tag:
        raise bad_request(f'"{name}" must be of the form <stream_name>:<tag>')
    return stream, tag


class ImageStreamTagResource:
    """The ``imagestreamtags`` virtual resource."""

    def get(self, ctx: RequestContext, namespace: str | None, name: str) -> JSON:
        """404 when the tag has no image, even if a spec tag exists."""
        stream_name, tag = parse_stream_tag_name(name, TITLE)
        stream = get_stream(ctx, namespace or "", stream_name)
        image = latest_image_or_none(ctx, stream, tag, missing_ok=False)
        if image is None:
            raise not_found(RESOURCE, name)
        return project(stream, tag, image)

    def list(self, ctx: RequestContext, namespace: str | None) -> JSON:
        """One item per status tag with an image; stream-level paging; empty metadata; null items."""
        return list_tag_views(ctx, namespace, "ImageStreamTagList", _listed_views)

    def create(self, ctx: RequestContext, namespace: str | None, body: JSON) -> tuple[int, JSON]:
        """Add a spec tag (creating the stream if needed); 409 when it exists."""
        namespace = namespace or ""
        istag = copy_json(body)
        meta = metadata(istag)
        name = str(meta.get("name") or "")
        errors = validate_path_segment_name(name, "metadata.name")
        if errors:
            raise invalid("ImageStreamTag", name, errors)
        stream_name, tag_name = _create_name(name)
        istag.pop("conditions", None)
        istag.pop("image", None)
        tag = istag.get("tag")
        if isinstance(tag, dict):
            if not tag.get("name"):
                tag["name"] = tag_name
            default_tag_reference(tag, ctx.config)
            errors = validate_tag_reference(tag, "tag")
            if tag.get("annotations") is not None and tag["annotations"] != (meta.get("annotations") or {}):
                errors.append(FieldError("FieldValueInvalid", "tag.annotations",
                                         "tag annotations must not be provided or must be equal to the object meta "
                                         "annotations", "<map>", True))
            if errors:
                raise invalid("ImageStreamTag", name, errors)

        def add_tag(tags: dict[str, JSON]) -> bool:
            if tag_name in tags:
                raise already_exists("imagestreamtag", name)
            if isinstance(tag, dict):  # without a tag the create only starts the stream
                tags[tag_name] = {**copy_json(tag), "name": tag_name}
            return True

        written, _ = write_spec_tags(ctx, namespace, stream_name, add_tag, operation="create", resource=RESOURCE,
                                     name=name)
        return 201, project(written, tag_name, latest_image_or_none(ctx, written, tag_name))

    def update(self, ctx: RequestContext, namespace: str | None, name: str, body: JSON) -> tuple[int, JSON]:
        """Blind PUT allowed; only ``tag`` and ``metadata.annotations`` may change; 201 for a new spec tag."""
        namespace = namespace or ""
        stream_name, tag_name = parse_stream_tag_name(name, TITLE)
        istag = copy_json(body)
        meta = metadata(istag)
        sent_rv = str(meta.get("resourceVersion") or "")
        current = ctx.store.get(STREAMS, namespace, stream_name)
        check_resource_version(current, sent_rv, RESOURCE, name)
        old = project(current if current is not None else new_stream(namespace, stream_name), tag_name, None)
        if not meta.get("labels") and old["metadata"].get("labels"):
            meta["labels"] = old["metadata"]["labels"]
        tag = istag.get("tag")
        errors: list[FieldError] = []
        if isinstance(tag, dict):
            tag["annotations"] = copy_json(meta.get("annotations")) or None
            default_tag_reference(tag, ctx.config)
            errors += validate_tag_reference(tag, "tag")
        # A PUT that creates the stream is validated as a create; otherwise only the tag and the
        # annotations may differ from the projection of the current stream.
        if current is not None and metadata_changed(meta, old["metadata"], ("name", "namespace", "labels",
                                                                             "ownerReferences", "finalizers")):
            errors.append(FieldError("FieldValueInvalid", "metadata",
                                     "may not update fields other than metadata.annotations", "", True))
        if errors:
            raise invalid("ImageStreamTag", name, errors)

        def replace_tag(tags: dict[str, JSON]) -> bool:
            if tag_name not in tags and not isinstance(tag, dict):
                raise bad_request(f"imagestreamtag {tag_name} is not a spec tag in imagestream "
                                  f"{namespace}/{stream_name}, cannot be updated")
            added = tag_name not in tags
            new_tag = copy_json(tag) if isinstance(tag, dict) else tags[tag_name]
            new_tag["name"] = tag_name
            new_tag["annotations"] = copy_json(meta.get("annotations")) or None
            tags[tag_name] = new_tag
            return added

        written, added = write_spec_tags(ctx, namespace, stream_name, replace_tag, operation="update",
                                         resource=RESOURCE, name=name, sent_rv=sent_rv)
        result = project(written, tag_name, latest_image_or_none(ctx, written, tag_name))
        return (201 if added else 200), result

    def delete(self, ctx: RequestContext, namespace: str | None, name: str, options: JSON) -> JSON:
        """Remove the spec and status tag; 404 when neither exists."""
        stream_name, tag_name = parse_stream_tag_name(name, TITLE)
        return delete_tag(ctx, namespace or "", stream_name, tag_name, name, RESOURCE, options)
