"""ImageStream validation: names, spec tags, tag event references (§5.1) and the ``/status`` rules."""

from __future__ import annotations

import re
from typing import Any

from ._contracts import JSON
from ._references import InvalidReference, parse_reference
from ._status import FieldError
from ._stream_model import spec_tags, status_tags

STREAM_NAME_PATTERN = "[a-z0-9]+(?:[._-][a-z0-9]+)*"
_STREAM_NAME_RE = re.compile(STREAM_NAME_PATTERN)
TAG_KINDS = ("DockerImage", "ImageStreamImage", "ImageStreamTag")
IMPORT_MODES = ("Legacy", "PreserveOriginal")
REFERENCE_POLICY_TYPES = ("Source", "Local")


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
