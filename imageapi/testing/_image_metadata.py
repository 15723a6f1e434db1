"""What the server makes of an Image's Docker metadata (server-semantics.md §3).

``dockerImageMetadata`` is a ``RawExtension`` on the wire, decoded by its own ``apiVersion`` into the
server's typed ``DockerImage`` and encoded back at ``dockerImageMetadataVersion``:

* ``1.0`` (the default) and the legacy ``1.0`` without a group decode as ``docker10``; it is always
  served as ``image.openshift.io/1.0`` with Docker's capitalised fields (``Id``, ``Created``, ``Config``…);
* ``pre012`` (and ``image.openshift.io/pre012``) uses the pre-0.12 lower-case names (``id``,
  ``container_config``, ``docker_version``…) and is served as ``image.openshift.io/pre012``.

Only the typed fields survive the round trip, in the struct's order and with Go's ``omitempty`` rules;
times lose their fractions (``metav1.Time``). On create, an image whose metadata is not filled in yet
gets it from its manifest and config (``InternalImageWithMetadata``): the layers, the manifest media
type, the ``dockerLayersOrder`` annotation, and (schema 2) the metadata and size from the config blob.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from ._contracts import JSON

LAYERS_ORDER_ANNOTATION = "image.openshift.io/dockerLayersOrder"
SCHEMA1_MANIFEST = "application/vnd.docker.distribution.manifest.v1+json"
SCHEMA1_SIGNED_MANIFEST = "application/vnd.docker.distribution.manifest.v1+prettyjws"
SCHEMA2_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
SCHEMA1_LAYER = "application/vnd.docker.container.image.rootfs.diff+x-gtar"
_GROUP = "image.openshift.io"

# DockerImage's fields: (docker10 name, pre012 name, kind, emitted when zero).
_IMAGE_FIELDS: tuple[tuple[str, str, str, bool], ...] = (
    ("Id", "id", "string", True),
    ("Parent", "parent", "string", False),
    ("Comment", "comment", "string", False),
    ("Created", "created", "time", True),
    ("Container", "container", "string", False),
    ("ContainerConfig", "container_config", "config", True),
    ("DockerVersion", "docker_version", "string", False),
    ("Author", "author", "string", False),
    ("Config", "config", "config-pointer", False),
    ("Architecture", "architecture", "string", False),
    ("Size", "size", "int", False),
)
# DockerConfig's fields, all omitempty, in the struct's order; the kind decides what "empty" means.
_CONFIG_FIELDS: tuple[tuple[str, str], ...] = (
    ("Hostname", "string"), ("Domainname", "string"), ("User", "string"), ("Memory", "int"),
    ("MemorySwap", "int"), ("CpuShares", "int"), ("Cpuset", "string"), ("AttachStdin", "bool"),
    ("AttachStdout", "bool"), ("AttachStderr", "bool"), ("PortSpecs", "list"), ("ExposedPorts", "set"),
    ("Tty", "bool"), ("OpenStdin", "bool"), ("StdinOnce", "bool"), ("Env", "list"), ("Cmd", "list"),
    ("Dns", "list"), ("Image", "string"), ("Volumes", "set"), ("VolumesFrom", "string"),
    ("WorkingDir", "string"), ("Entrypoint", "list"), ("NetworkDisabled", "bool"), ("SecurityOpts", "list"),
    ("OnBuild", "list"), ("Labels", "map"),
)


def metadata_version(image: JSON) -> str:
    """``dockerImageMetadataVersion``, ``1.0`` when unset."""
    version = image.get("dockerImageMetadataVersion")
    return version if isinstance(version, str) and version else "1.0"


def empty_docker_metadata(version: str = "1.0") -> JSON:
    """The ``dockerImageMetadata`` of an image that has none (what the zero ``DockerImage`` encodes to)."""
    return encode_metadata({}, version)


def _version_of(api_version: Any, default: str) -> str:
    """The docker metadata version an ``apiVersion`` names (``1.0``, ``image.openshift.io/1.0``, …)."""
    if not isinstance(api_version, str) or not api_version:
        return default
    group, _, version = api_version.rpartition("/")
    return version if group in ("", _GROUP) and version in ("1.0", "pre012") else default


def decode_metadata(raw: Any, default_version: str) -> JSON:
    """The typed ``DockerImage`` (docker10 field names) a wire ``dockerImageMetadata`` decodes to."""
    if not isinstance(raw, dict):
        return {}
    version = _version_of(raw.get("apiVersion"), default_version)
    decoded: JSON = {}
    for name, old_name, kind, _always in _IMAGE_FIELDS:
        key = old_name if version == "pre012" else name
        if raw.get(key) is None:
            continue
        value = raw[key]
        if kind in ("config", "config-pointer"):
            decoded[name] = _decode_config(value)
        elif kind == "time":
            decoded[name] = _go_time(value)
        else:
            decoded[name] = value
    return decoded


def encode_metadata(decoded: JSON, version: str) -> JSON:
    """The wire ``dockerImageMetadata`` of a typed ``DockerImage`` at ``version``."""
    encoded: JSON = {"kind": "DockerImage", "apiVersion": f"{_GROUP}/{version}"}
    pre012 = version == "pre012"
    for name, old_name, kind, always in _IMAGE_FIELDS:
        key = old_name if pre012 else name
        value = decoded.get(name)
        if kind == "string":
            value = value if isinstance(value, str) else ""
            if value or always:
                encoded[key] = value
        elif kind == "int":
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value:
                encoded[key] = int(value)
        elif kind == "time":
            # metav1.Time: the zero time is null, omitempty or not (pre012 keeps the key).
            encoded[key] = value if isinstance(value, str) and value else None
        elif kind == "config" or isinstance(value, dict):
            encoded[key] = _encode_config(value)
    return encoded


def _decode_config(value: Any) -> JSON:
    if not isinstance(value, dict):
        return {}
    return {name: value[name] for name, _kind in _CONFIG_FIELDS if value.get(name) is not None}


def _encode_config(value: Any) -> JSON:
    config = value if isinstance(value, dict) else {}
    encoded: JSON = {}
    for name, kind in _CONFIG_FIELDS:
        item = config.get(name)
        if item is None or item == "" or item is False or (kind == "int" and item == 0):
            continue
        if kind in ("list", "set", "map") and not item:
            continue
        # map[string]struct{}: only the keys carry anything.
        encoded[name] = {key: {} for key in item} if kind == "set" else item
    return encoded


def _go_time(value: Any) -> str | None:
    """A timestamp as ``metav1.Time`` encodes it: RFC 3339 in UTC, whole seconds."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        # Go accepts nanosecond fractions Python's parser may not: cut them off.
        head, _, _fraction = text.partition(".")
        try:
            moment = datetime.fromisoformat(head.replace("Z", "") + "+00:00")
        except ValueError:
            return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def convert_image_metadata(image: JSON) -> None:
    """Decode ``dockerImageMetadata`` by its apiVersion, fill it from the manifest when it is not
    filled in, and encode it back at ``dockerImageMetadataVersion`` (in place)."""
    version = metadata_version(image)
    decoded = decode_metadata(image.get("dockerImageMetadata"), version)
    _fill_from_manifest(image, decoded)
    image["dockerImageMetadata"] = encode_metadata(decoded, version)


def _annotations(image: JSON) -> JSON:
    meta = image.setdefault("metadata", {})
    annotations = meta.get("annotations")
    if not isinstance(annotations, dict):
        annotations = {}
        meta["annotations"] = annotations
    return annotations


def _reorder_layers(image: JSON) -> None:
    """``reorderImageLayers``: layers are stored base first; schema 2 images without the order
    annotation listed them the other way round."""
    layers = image.get("dockerImageLayers")
    if not isinstance(layers, list) or not layers:
        return
    order = ((image.get("metadata") or {}).get("annotations") or {}).get(LAYERS_ORDER_ANNOTATION)
    if order is None:
        media_type = image.get("dockerImageManifestMediaType")
        if media_type in (SCHEMA1_MANIFEST, SCHEMA1_SIGNED_MANIFEST):
            order = "ascending"
        elif media_type == SCHEMA2_MANIFEST:
            order = "descending"
        else:
            return
    if order == "descending":
        layers.reverse()
    _annotations(image)[LAYERS_ORDER_ANNOTATION] = "ascending"


def _fill_from_manifest(image: JSON, decoded: JSON) -> None:
    """``InternalImageWithMetadata``: layers for schema 1 and 2 manifests, metadata from a schema 2
    config blob (what fails there is skipped here, as the server only logs it)."""
    manifest_text = image.get("dockerImageManifest")
    if not isinstance(manifest_text, str) or not manifest_text:
        return
    _reorder_layers(image)
    if image.get("dockerImageLayers") and int(decoded.get("Size") or 0) > 0 and image.get("dockerImageManifestMediaType"):
        return
    try:
        manifest = json.loads(manifest_text)
    except ValueError:
        return
    if not isinstance(manifest, dict) or manifest.get("manifests") is not None:
        return  # a manifest list carries no layers or config of its own
    schema_version = manifest.get("schemaVersion")
    if schema_version not in (1, 2) or not _fill_layers(image, manifest, schema_version):
        return
    if schema_version == 1:
        image["dockerImageManifestMediaType"] = SCHEMA1_MANIFEST
        decoded["Size"] = 0
    else:
        image["dockerImageManifestMediaType"] = SCHEMA2_MANIFEST
        config_text = image.get("dockerImageConfig")
        if not isinstance(config_text, str) or not config_text:
            return
        try:
            config = json.loads(config_text)
        except ValueError:
            return
        if not isinstance(config, dict):
            return
        _metadata_from_config(config, decoded)
        decoded["Id"] = str((manifest.get("config") or {}).get("digest") or "")
        decoded["Size"] = len(config_text.encode("utf-8"))
    counted = {str((manifest.get("config") or {}).get("digest") or "")} if schema_version == 2 else set()
    for layer in image.get("dockerImageLayers") or []:
        name = str(layer.get("name") or "")
        if name in counted:
            continue
        counted.add(name)
        decoded["Size"] = int(decoded.get("Size") or 0) + int(layer.get("size") or 0)


def _fill_layers(image: JSON, manifest: JSON, schema_version: int) -> bool:
    """``fillImageLayers``: the layers from the manifest, base first, unless the registry gave them."""
    if not image.get("dockerImageLayers"):
        if schema_version == 2:
            image["dockerImageLayers"] = [
                {"name": str(layer.get("digest") or ""), "size": int(layer.get("size") or 0),
                 "mediaType": str(layer.get("mediaType") or "")}
                for layer in manifest.get("layers") or [] if isinstance(layer, dict)]
        else:
            history, fs_layers = manifest.get("history") or [], manifest.get("fsLayers") or []
            if len(history) != len(fs_layers):
                return False
            layers: list[JSON] = []
            for entry, fs_layer in zip(history, fs_layers, strict=True):
                try:
                    size = int(json.loads(entry.get("v1Compatibility") or "{}").get("Size") or 0)
                except (ValueError, AttributeError):
                    size = 0
                layers.append({"name": str(fs_layer.get("blobSum") or ""), "size": size, "mediaType": SCHEMA1_LAYER})
            layers.reverse()  # schema 1 lists the newest layer first
            image["dockerImageLayers"] = layers
    _annotations(image)[LAYERS_ORDER_ANNOTATION] = "ascending"
    return True


def _metadata_from_config(config: JSON, decoded: JSON) -> None:
    """``Convert_imageconfig_to_api_DockerImage``: the image config blob's fields (lower-case names)."""
    for name, old_name, kind, _always in _IMAGE_FIELDS:
        if name in ("Id", "Size") or config.get(old_name) is None:
            continue
        value = config[old_name]
        if kind in ("config", "config-pointer"):
            decoded[name] = _decode_config(value)
        elif kind == "time":
            decoded[name] = _go_time(value)
        else:
            decoded[name] = value
