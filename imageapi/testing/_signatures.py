"""ImageSignature: add or remove one entry of ``Image.signatures`` (server-semantics.md §4).

dryRun is **not** honoured: the real REST code updates the image with fresh options.
"""

from __future__ import annotations

from .._resource_info import API_VERSION
from ._contracts import JSON, RequestContext
from ._images import SERVER_SET_SIGNATURE_FIELDS, split_signature_name, validate_signature
from ._status import already_exists, bad_request, invalid, not_found, success_status
from ._store import copy_json
from ._stream_model import metadata, now_text
from ._virtual import IMAGES, UnservedVerbs, get_image, new_uid

RESOURCE = "imageSignatures"  # the server's messages use this camel-case resource name


class ImageSignatureResource(UnservedVerbs):
    """The ``imagesignatures`` virtual resource (create and delete only)."""

    resource = "imagesignatures"

    def create(self, ctx: RequestContext, namespace: str | None, body: JSON) -> tuple[int, JSON]:
        """Append the signature to its image; 404 for a missing image, 409 for a duplicate."""
        signature = copy_json(body)
        for key in SERVER_SET_SIGNATURE_FIELDS:
            signature.pop(key, None)
        meta = metadata(signature)
        name = str(meta.get("name") or "")
        errors = validate_signature(signature)
        if errors:
            raise invalid("ImageSignature", name, errors)
        parts = split_signature_name(name)
        assert parts is not None  # validated above
        image = get_image(ctx, parts[0])
        existing = image.get("signatures") or []
        for other in existing:
            same_name = (other.get("metadata") or {}).get("name") == name
            same_content = other.get("type") == signature.get("type") and other.get("content") == signature.get("content")
            if same_name or same_content:
                raise already_exists(RESOURCE, name)
        meta.pop("namespace", None)
        meta.pop("resourceVersion", None)
        meta["uid"] = new_uid()
        meta["creationTimestamp"] = now_text(ctx)
        signature["kind"], signature["apiVersion"] = "ImageSignature", API_VERSION
        image["signatures"] = [*existing, signature]
        ctx.store.update(IMAGES, None, image)
        return 201, copy_json(signature)

    def delete(self, ctx: RequestContext, namespace: str | None, name: str, options: JSON) -> JSON:
        """Remove the signature; 400 for a malformed name, 404 when it is not there."""
        parts = split_signature_name(name)
        if parts is None:
            raise bad_request("ImageSignatures must be accessed with <imageName>@<signatureName>")
        image = get_image(ctx, parts[0])
        signatures = image.get("signatures") or []
        kept = [s for s in signatures if (s.get("metadata") or {}).get("name") != name]
        if len(kept) == len(signatures):
            raise not_found(RESOURCE, name)
        image["signatures"] = kept or None
        if not kept:
            image.pop("signatures")
        ctx.store.update(IMAGES, None, image)
        return success_status()
