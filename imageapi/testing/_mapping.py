"""ImageStreamMapping: create an Image and tag it into a stream (server-semantics.md §10).

dryRun is **not** honoured (the real REST code writes with fresh options), and the answer is a
Status with code 201, not an ImageStreamMapping.
"""

from __future__ import annotations

from ._contracts import JSON, RequestContext
from ._images import prepare_image_for_create, validate_image
from ._imagestreams import prepare_status_update
from ._status import FieldError, StatusError, invalid, not_found, success_status
from ._store import copy_json
from ._stream_model import latest_event, metadata, now_text, stream_repository
from ._stream_validation import validate_status_update
from ._tag_events import record_tag_event
from ._virtual import RETRIES, STREAMS, UnservedVerbs, create_image

MANAGED_ANNOTATION = "openshift.io/image.managed"


class ImageStreamMappingResource(UnservedVerbs):
    """``POST imagestreammappings`` (create only)."""

    resource = "imagestreammappings"

    def create(self, ctx: RequestContext, namespace: str | None, body: JSON) -> tuple[int, JSON]:
        """Create the Image (existing ones are kept) and add the tag event through the /status path."""
        namespace = namespace or ""
        mapping = copy_json(body)
        name = str(metadata(mapping).get("name") or "")
        image = mapping.get("image") if isinstance(mapping.get("image"), dict) else {}
        assert isinstance(image, dict)
        image_name = str((image.get("metadata") or {}).get("name") or "")
        if not image.get("dockerImageReference") and ctx.config.internal_registry_hostname:
            image["dockerImageReference"] = f"{ctx.config.internal_registry_hostname}/{namespace}/{name}@{image_name}"
        image.pop("signatures", None)
        prepare_image_for_create(image)
        tag = str(mapping.get("tag") or "")
        legacy_repository = str(mapping.get("dockerImageRepository") or "")
        errors = [] if name or legacy_repository else [FieldError("FieldValueRequired", "name"),
                                                       FieldError("FieldValueRequired", "dockerImageRepository")]
        if tag == "":
            errors.append(FieldError("FieldValueRequired", "tag"))
        errors += validate_image(image, "image.")
        if errors:
            raise invalid("ImageStreamMapping", name, errors)
        name = name or self._stream_by_repository(ctx, namespace, legacy_repository)
        if ctx.store.get(STREAMS, namespace, name) is None:
            raise not_found(STREAMS, name)
        reference = str(image["dockerImageReference"])
        annotations = (image.get("metadata") or {}).get("annotations") or {}
        if create_image(ctx, image) is None and annotations.get(MANAGED_ANNOTATION) == "true":
            # An image the registry manages, already tagged elsewhere: pull it through this stream.
            stream = ctx.store.get(STREAMS, namespace, name) or {}
            reference = f"{stream_repository(stream, ctx.config)}@{image_name}"
        self._tag(ctx, namespace, name, tag, {"dockerImageReference": reference, "image": image_name})
        return 201, success_status(code=201)

    @staticmethod
    def _stream_by_repository(ctx: RequestContext, namespace: str, repository: str) -> str:
        """The legacy form: the stream whose ``spec.dockerImageRepository`` is the mapping's."""
        for stream in ctx.store.list(STREAMS, namespace):
            if (stream.get("spec") or {}).get("dockerImageRepository") == repository:
                return str(stream["metadata"]["name"])
        raise invalid("ImageStreamMapping", "", [FieldError("FieldValueNotFound", "dockerImageStream", "", repository,
                                                            True)])

    def _tag(self, ctx: RequestContext, namespace: str, name: str, tag: str, event: JSON) -> None:
        """Add the event; on conflict re-read and retry while the tag's latest event is unchanged."""
        seen: JSON | None = None
        last_conflict: StatusError | None = None
        for _ in range(RETRIES):
            old = ctx.store.get(STREAMS, namespace, name)
            if old is None:
                raise not_found(STREAMS, name)
            latest = latest_event(old, tag)
            if last_conflict is not None and latest != seen:
                raise last_conflict
            seen = latest
            new = copy_json(old)
            full_event = {"created": now_text(ctx), **event,
                          "generation": (old.get("metadata") or {}).get("generation")}
            if not record_tag_event(new, tag, full_event):
                return  # nothing changed
            prepare_status_update(new, old, ctx)
            errors = validate_status_update(new, old)
            if errors:
                raise invalid("ImageStream", name, errors)
            try:
                ctx.store.update(STREAMS, namespace, new)
                return
            except StatusError as error:
                if error.reason != "Conflict":
                    raise
                last_conflict = error
        assert last_conflict is not None
        raise last_conflict
