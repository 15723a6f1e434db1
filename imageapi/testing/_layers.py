"""``imagestreams/{name}/layers``: ImageStreamLayers (server-semantics.md §5.7)."""

from __future__ import annotations

from .._resource_info import API_VERSION
from ._contracts import JSON, RequestContext
from ._store import copy_json
from ._stream_model import status_tags
from ._virtual import IMAGES, get_stream

SCHEMA2_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG_MEDIA_TYPES = {
    SCHEMA2_MANIFEST: "application/vnd.docker.container.image.v1+json",
    OCI_MANIFEST: "application/vnd.oci.image.config.v1+json",
}


def history_images(stream: JSON) -> list[str]:
    """Every image named by any event of any status tag (the whole history), first occurrence order."""
    names: list[str] = []
    for entry in status_tags(stream).values():
        for item in entry.get("items") or []:
            image = item.get("image") or ""
            if image and image not in names:
                names.append(image)
    return names


def referenced_images(ctx: RequestContext, stream: JSON) -> list[str]:
    """The history images plus, recursively, the sub-manifests of manifest lists among them."""
    names = history_images(stream)
    index = 0
    while index < len(names):
        image = ctx.store.get(IMAGES, None, names[index])
        for manifest in (image or {}).get("dockerImageManifests") or []:
            digest = manifest.get("digest") or ""
            if digest and digest not in names:
                names.append(digest)
        index += 1
    return names


def stream_layers(ctx: RequestContext, stream: JSON) -> JSON:
    """The ImageStreamLayers body of ``stream``."""
    blobs: JSON = {}
    images: JSON = {}
    for name in referenced_images(ctx, stream):
        image = ctx.store.get(IMAGES, None, name)
        if image is None:
            images[name] = {"layers": None, "config": None, "imageMissing": True}
            continue
        layers = []
        for layer in image.get("dockerImageLayers") or []:
            layers.append(layer.get("name"))
            blobs[layer.get("name")] = {"size": layer.get("size"), "mediaType": layer.get("mediaType")}
        media_type = image.get("dockerImageManifestMediaType") or SCHEMA2_MANIFEST
        config = None
        config_id = (image.get("dockerImageMetadata") or {}).get("Id") or ""
        if media_type in CONFIG_MEDIA_TYPES and config_id:
            config = config_id
            blobs[config_id] = {"size": None, "mediaType": CONFIG_MEDIA_TYPES[media_type]}
        references: JSON = {"layers": layers, "config": config}
        manifests = [m.get("digest") for m in image.get("dockerImageManifests") or [] if m.get("digest")]
        if manifests:
            references["manifests"] = manifests
        references["imageMissing"] = False
        images[name] = references
        blobs[name] = {"size": None, "mediaType": media_type}
    return {
        "kind": "ImageStreamLayers", "apiVersion": API_VERSION,
        "metadata": copy_json(stream.get("metadata") or {}),
        "blobs": blobs, "images": images,
    }


class LayersHandler:
    """GET ``imagestreams/{name}/layers``."""

    def get(self, ctx: RequestContext, namespace: str, name: str) -> JSON:
        """404 when the stream is missing; otherwise the layers of every image in its history."""
        return stream_layers(ctx, get_stream(ctx, namespace, name))
