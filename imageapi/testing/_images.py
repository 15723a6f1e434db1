"""Image semantics (server-semantics.md §3) and the signature rules images share with ImageSignature (§4)."""

from __future__ import annotations

import re
from typing import Any

from .._resource_info import API_VERSION
from ._contracts import JSON, RequestContext
from ._image_metadata import convert_image_metadata, empty_docker_metadata, metadata_version
from ._references import DIGEST_PATTERN, InvalidReference, parse_reference, sha256_digest
from ._selectors import metadata_field_value
from ._status import FieldError
from ._store import copy_json
from ._stream_validation import validate_meta_update

MANAGED_SIGNATURE_ANNOTATION = "image.openshift.io/managed-signature"
MANIFEST_BLOB_STORED_ANNOTATION = "image.openshift.io/manifestBlobStored"
IMMUTABLE_IMAGE_FIELDS = ("dockerImageMetadata", "dockerImageMetadataVersion", "dockerImageLayers",
                          "dockerImageSignatures")
SERVER_SET_SIGNATURE_FIELDS = ("conditions", "imageIdentity", "signedClaims", "created", "issuedBy", "issuedTo")
_DIGEST_RE = re.compile(DIGEST_PATTERN)
# RFC 6838: type "/" subtype, each restricted-name characters.
_MEDIA_TYPE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}")


def validate_path_segment_name(name: str, path: str) -> list[FieldError]:
    """``ValidatePathSegmentName``: not ``.``/``..``, no ``/`` or ``%``."""
    if not name:
        return [FieldError("FieldValueRequired", path, "name or generateName is required")]
    errors = [FieldError("FieldValueInvalid", path, f"may not be '{bad}'", name, True) for bad in (".", "..")
              if name == bad]
    errors += [FieldError("FieldValueInvalid", path, f"may not contain '{bad}'", name, True) for bad in ("/", "%")
               if bad in name]
    return errors


def split_signature_name(name: str) -> tuple[str, str] | None:
    """``<imageName>@<signatureName>``: exactly one ``@`` and both halves non-empty."""
    if name.count("@") != 1:
        return None
    image_name, signature_name = name.split("@")
    if not image_name or not signature_name:
        return None
    return image_name, signature_name


def validate_signature(signature: JSON, prefix: str = "") -> list[FieldError]:
    """``validateImageSignature``: name form, type and content, no labels/annotations, condition rules."""
    errors: list[FieldError] = []
    meta = signature.get("metadata") or {}
    name = str(meta.get("name") or "")
    errors += validate_path_segment_name(name, f"{prefix}metadata.name") if not name else []
    if name and split_signature_name(name) is None:
        errors.append(FieldError("FieldValueInvalid", f"{prefix}metadata.name",
                                 "name must be of format <imageName>@<signatureName>", name, True))
    if meta.get("labels"):
        errors.append(FieldError("FieldValueForbidden", f"{prefix}metadata.labels", "signature labels cannot be set"))
    if meta.get("annotations"):
        errors.append(FieldError("FieldValueForbidden", f"{prefix}metadata.annotations",
                                 "signature annotations cannot be set"))
    if not signature.get("type"):
        errors.append(FieldError("FieldValueRequired", f"{prefix}type"))
    if not signature.get("content"):
        errors.append(FieldError("FieldValueRequired", f"{prefix}content"))
    conditions = {str(c.get("type")): c for c in signature.get("conditions") or [] if isinstance(c, dict)}
    trusted, for_image = conditions.get("Trusted"), conditions.get("ForImage")
    if trusted is not None and for_image is None:
        errors.append(FieldError("FieldValueInvalid", f"{prefix}conditions",
                                 'missing "ForImage" condition type', "", True))
    if for_image is not None and trusted is None:
        errors.append(FieldError("FieldValueInvalid", f"{prefix}conditions",
                                 'missing "Trusted" condition type', "", True))
    if trusted is None or trusted.get("status") == "Unknown":
        for key in ("imageIdentity", "signedClaims", "issuedBy", "issuedTo"):
            if signature.get(key):
                errors.append(FieldError("FieldValueInvalid", f"{prefix}{key}",
                                         "must be unset for unknown signature state", "", True))
    return errors


def validate_image(image: JSON, prefix: str = "") -> list[FieldError]:
    """``validateImage`` (create): name, reference, signatures, manifests (§3)."""
    meta = image.get("metadata") or {}
    errors = validate_path_segment_name(str(meta.get("name") or ""), f"{prefix}metadata.name")
    reference = image.get("dockerImageReference") or ""
    if not reference:
        errors.append(FieldError("FieldValueRequired", f"{prefix}dockerImageReference"))
    else:
        try:
            parse_reference(reference)
        except InvalidReference as error:
            errors.append(FieldError("FieldValueInvalid", f"{prefix}dockerImageReference", str(error), reference, True))
    for index, signature in enumerate(image.get("signatures") or []):
        errors += validate_signature(signature, f"{prefix}signatures[{index}].")
    manifests = image.get("dockerImageManifests") or []
    for index, manifest in enumerate(manifests):
        path = f"{prefix}dockerImageManifests[{index}]"
        digest = manifest.get("digest") or ""
        if not _DIGEST_RE.fullmatch(digest):
            errors.append(FieldError("FieldValueInvalid", f"{path}.digest", "digest is not a valid digest", digest, True))
        media_type = manifest.get("mediaType") or ""
        if not _MEDIA_TYPE_RE.fullmatch(media_type):
            errors.append(FieldError("FieldValueInvalid", f"{path}.mediaType", "invalid media type", media_type, True))
        for key in ("architecture", "os"):
            if not manifest.get(key):
                errors.append(FieldError("FieldValueRequired", f"{path}.{key}"))
        if int(manifest.get("manifestSize") or 0) < 0:
            errors.append(FieldError("FieldValueInvalid", f"{path}.manifestSize", "manifest size cannot be negative",
                                     manifest.get("manifestSize"), True))
    if manifests and image.get("dockerImageLayers"):
        errors.append(FieldError("FieldValueInvalid", f"{prefix}dockerImageLayers",
                                 "dockerImageLayers should not be set when dockerImageManifests is set",
                                 "", True))
    return errors


def prepare_image_for_create(image: JSON) -> None:
    """``PrepareForCreate``: metadata version, deprecated annotation, blob-stored manifests, and the
    Docker metadata as the server decodes, fills and encodes it (:mod:`._image_metadata`)."""
    if not image.get("dockerImageMetadataVersion"):
        image["dockerImageMetadataVersion"] = "1.0"
    meta = image.setdefault("metadata", {})
    meta.pop("generation", None)
    annotations = meta.get("annotations")
    if isinstance(annotations, dict):
        annotations.pop(MANAGED_SIGNATURE_ANNOTATION, None)
        if annotations.get(MANIFEST_BLOB_STORED_ANNOTATION) == "true":
            image.pop("dockerImageManifest", None)
            image.pop("dockerImageConfig", None)
        if not annotations:
            meta.pop("annotations", None)
    # The server decodes the metadata into its typed DockerImage (filling it from the manifest when it
    # is not filled in yet) and encodes it back at dockerImageMetadataVersion.
    convert_image_metadata(image)
    for signature in image.get("signatures") or []:
        if isinstance(signature, dict):
            signature.setdefault("kind", "ImageSignature")
            signature.setdefault("apiVersion", API_VERSION)


class ImageStrategy:
    """The ``images`` strategy the core calls around its generic CRUD."""

    def prepare_for_create(self, obj: JSON, ctx: RequestContext) -> None:
        """Defaults and cleanup; images have no generation."""
        prepare_image_for_create(obj)

    def validate_create(self, obj: JSON, ctx: RequestContext) -> list[FieldError]:
        """Name, reference, signatures and manifests rules."""
        return validate_image(obj)

    def prepare_for_update(self, new: JSON, old: JSON, ctx: RequestContext, subresource: str | None) -> None:
        """Immutable fields are silently kept; manifest and config change only to matching content."""
        for key in IMMUTABLE_IMAGE_FIELDS:
            if key in old:
                new[key] = copy_json(old[key])
            else:
                new.pop(key, None)
        name = str((old.get("metadata") or {}).get("name") or "")
        config_id = str((old.get("dockerImageMetadata") or {}).get("Id") or "")
        _keep_unless_digest_matches(new, old, "dockerImageManifest", name)
        _keep_unless_digest_matches(new, old, "dockerImageConfig", config_id)
        new.setdefault("metadata", {}).pop("generation", None)
        annotations = new["metadata"].get("annotations")
        if isinstance(annotations, dict):
            annotations.pop(MANAGED_SIGNATURE_ANNOTATION, None)

    def validate_update(self, new: JSON, old: JSON, ctx: RequestContext, subresource: str | None) -> list[FieldError]:
        """Name/namespace immutable, then the create rules."""
        return validate_meta_update(new, old) + validate_image(new)

    def decorate(self, obj: JSON, ctx: RequestContext) -> None:
        """Images always emit ``dockerImageMetadata`` and its version."""
        if not isinstance(obj.get("dockerImageMetadata"), dict):
            obj["dockerImageMetadata"] = empty_docker_metadata(metadata_version(obj))
        obj.setdefault("dockerImageMetadataVersion", "1.0")

    def field_value(self, obj: JSON, field_path: str) -> str:
        """Only ``metadata.name`` (and the meaningless ``metadata.namespace``)."""
        return metadata_field_value(obj, field_path)


def _keep_unless_digest_matches(new: JSON, old: JSON, key: str, expected_digest: str) -> None:
    value: Any = new.get(key)
    if value == old.get(key):
        return
    if value and expected_digest and sha256_digest(str(value)) == expected_digest:
        return
    if key in old:
        new[key] = old[key]
    else:
        new.pop(key, None)


def strip_manifest(image: JSON) -> JSON:
    """The image as istag/isimage/ISI show it: manifest and config cleared."""
    image.pop("dockerImageManifest", None)
    image.pop("dockerImageConfig", None)
    return image
