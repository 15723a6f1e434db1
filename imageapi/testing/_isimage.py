"""ImageStreamImage: one image of a stream's history, by digest or prefix (server-semantics.md §8)."""

from __future__ import annotations

from .._resource_info import API_VERSION
from ._contracts import JSON, RequestContext
from ._images import strip_manifest
from ._layers import referenced_images
from ._references import digest_or_image_match
from ._status import bad_request, not_found
from ._virtual import UnservedVerbs, get_image, get_stream


def split_stream_image_name(name: str) -> tuple[str, str]:
    """``<stream>@<id>``: exactly one ``@`` and both halves non-empty; 400 otherwise."""
    if name.count("@") == 1:
        stream, image_id = name.split("@")
        if stream and image_id:
            return stream, image_id
    raise bad_request("ImageStreamImages must be retrieved with <name>@<id>")


class ImageStreamImageResource(UnservedVerbs):
    """The ``imagestreamimages`` virtual resource (GET only)."""

    resource = "imagestreamimages"

    def get(self, ctx: RequestContext, namespace: str | None, name: str) -> JSON:
        """The image of the stream's layers view whose name matches the id (first match wins)."""
        stream_name, image_id = split_stream_image_name(name)
        stream = get_stream(ctx, namespace or "", stream_name)
        match = next((image for image in referenced_images(ctx, stream) if digest_or_image_match(image, image_id)), None)
        if match is None:
            raise not_found("imagestreamimage", name)
        image = strip_manifest(get_image(ctx, match))
        image.pop("kind", None)
        image.pop("apiVersion", None)
        meta: JSON = {"name": name, "namespace": namespace,
                      "creationTimestamp": (image.get("metadata") or {}).get("creationTimestamp")}
        annotations = (stream.get("metadata") or {}).get("annotations")
        if annotations:
            meta["annotations"] = annotations
        return {"kind": "ImageStreamImage", "apiVersion": API_VERSION, "metadata": meta, "image": image}
