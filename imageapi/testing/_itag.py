"""ImageTag: spec, status and image of one tag of a stream (server-semantics.md §7)."""

from __future__ import annotations

from .._resource_info import API_VERSION
from ._contracts import JSON, RequestContext
from ._images import validate_path_segment_name
from ._status import FieldError, already_exists, invalid, not_found
from ._store import copy_json
from ._stream_model import (
    default_tag_reference,
    metadata,
    parse_stream_tag_name,
    spec_tags,
    status_tags,
    stream_tag_names,
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
    strip_nulls,
    write_spec_tags,
)

RESOURCE = "imagetags"
TITLE = "ImageTags"
# The parts of ObjectMeta a client could change; the server compares the whole ObjectMeta.
COMPARED_METADATA = ("name", "namespace", "labels", "annotations", "finalizers", "ownerReferences")


def project(stream: JSON, tag: str, image: JSON | None) -> JSON:
    """``newITag``: the stream's whole metadata renamed, spec tag, status tag, image (all nullable)."""
    meta = copy_json(stream.get("metadata") or {})
    meta["name"] = f"{meta.get('name')}:{tag}"
    spec_tag = spec_tags(stream).get(tag)
    status_tag = status_tags(stream).get(tag)
    status = None
    if status_tag is not None:
        status = {"tag": tag, "items": copy_json(status_tag.get("items"))}
        if status_tag.get("conditions"):
            status["conditions"] = copy_json(status_tag["conditions"])
    return {
        "kind": "ImageTag", "apiVersion": API_VERSION, "metadata": meta,
        "spec": copy_json(spec_tag) if spec_tag is not None else None,
        "status": status,
        "image": image,
    }


class ImageTagResource:
    """The ``imagetags`` virtual resource."""

    def get(self, ctx: RequestContext, namespace: str | None, name: str) -> JSON:
        """404 only when the tag is in neither spec nor status; ``image`` null when there is none."""
        stream_name, tag = parse_stream_tag_name(name, TITLE)
        stream = get_stream(ctx, namespace or "", stream_name)
        if tag not in spec_tags(stream) and tag not in status_tags(stream):
            raise not_found(RESOURCE, name)
        return project(stream, tag, latest_image_or_none(ctx, stream, tag))

    def list(self, ctx: RequestContext, namespace: str | None) -> JSON:
        """One item per spec or status tag, alphabetical within a stream; images null."""
        return list_tag_views(ctx, namespace, "ImageTagList",
                              lambda stream: (project(stream, tag, None) for tag in stream_tag_names(stream)))

    def create(self, ctx: RequestContext, namespace: str | None, body: JSON) -> tuple[int, JSON]:
        """Add the spec tag (stream created if needed); 409 when it exists; 201."""
        namespace = namespace or ""
        itag = copy_json(body)
        meta = metadata(itag)
        name = str(meta.get("name") or "")
        errors = validate_path_segment_name(name, "metadata.name")
        if errors:
            raise invalid("ImageTag", name, errors)
        stream_name, tag_name = parse_stream_tag_name(name, TITLE)
        spec = itag.get("spec")
        if isinstance(spec, dict):
            if not spec.get("name"):
                spec["name"] = tag_name
            default_tag_reference(spec, ctx.config)
        errors = _validate_spec(spec, tag_name, required=True)
        if errors:
            raise invalid("ImageTag", name, errors)
        assert isinstance(spec, dict)

        def add_tag(tags: dict[str, JSON]) -> bool:
            if tag_name in tags:
                raise already_exists(RESOURCE, name)
            tags[tag_name] = copy_json(spec)
            return True

        written, _ = write_spec_tags(ctx, namespace, stream_name, add_tag, operation="create", resource=RESOURCE,
                                     name=name)
        return 201, project(written, tag_name, latest_image_or_none(ctx, written, tag_name))

    def update(self, ctx: RequestContext, namespace: str | None, name: str, body: JSON) -> tuple[int, JSON]:
        """Blind PUT allowed; metadata and status must be sent back unchanged; null spec deletes the spec tag."""
        namespace = namespace or ""
        stream_name, tag_name = parse_stream_tag_name(name, TITLE)
        itag = copy_json(body)
        meta = metadata(itag)
        sent_rv = str(meta.get("resourceVersion") or "")
        current = ctx.store.get(STREAMS, namespace, stream_name)
        check_resource_version(current, sent_rv, RESOURCE, name)
        spec = itag.get("spec")
        if isinstance(spec, dict):
            if not spec.get("name"):
                spec["name"] = tag_name
            default_tag_reference(spec, ctx.config)
        # A PUT that creates the stream is validated as a create (spec required); otherwise only the
        # spec may differ from the projection of the current stream.
        errors = _validate_spec(spec, tag_name, required=current is None)
        if current is not None:
            old = project(current, tag_name, None)
            if metadata_changed(meta, old["metadata"], COMPARED_METADATA):
                errors.append(FieldError("FieldValueInvalid", "metadata", "may not update fields other than spec", "",
                                         True))
            if strip_nulls(itag.get("status")) != strip_nulls(old["status"]):
                errors.append(FieldError("FieldValueInvalid", "status", "may not update fields other than spec", "",
                                         True))
        if errors:
            raise invalid("ImageTag", name, errors)

        def replace_spec(tags: dict[str, JSON]) -> bool:
            added = tag_name not in tags and isinstance(spec, dict)
            if isinstance(spec, dict):
                tags[tag_name] = copy_json(spec)
            else:
                tags.pop(tag_name, None)  # a null spec deletes the spec tag and keeps the status
            return added

        written, added = write_spec_tags(ctx, namespace, stream_name, replace_spec, operation="update",
                                         resource=RESOURCE, name=name, sent_rv=sent_rv)
        return (201 if added else 200), project(written, tag_name, latest_image_or_none(ctx, written, tag_name))

    def delete(self, ctx: RequestContext, namespace: str | None, name: str, options: JSON) -> JSON:
        """Remove the spec and status tag; 404 when neither exists."""
        stream_name, tag_name = parse_stream_tag_name(name, TITLE)
        return delete_tag(ctx, namespace or "", stream_name, tag_name, name, RESOURCE, options)


def _validate_spec(spec: object, tag_name: str, *, required: bool) -> list[FieldError]:
    if not isinstance(spec, dict):
        return [FieldError("FieldValueRequired", "spec", "spec is a required field during creation")] if required else []
    errors: list[FieldError] = []
    if spec.get("name") != tag_name:
        errors.append(FieldError("FieldValueInvalid", "spec.name", "must match image tag name", spec.get("name"), True))
    return errors + validate_tag_reference(spec, "spec")
