"""The schema derived from the reference pages agrees with the published OpenAPI definitions.

Left: the committed ``imageapi/schema/image.openshift.io-v1.json`` (stage 1, from the pages).
Right: ``read_openapi`` of ``../shared/reference/openapi-image-v1.release-4.17.json`` (the definitions
openshift/api published for the same release). They must agree on every kind, type name, field,
field type, required flag and merge extension. Each known difference is listed below with its reason;
a listed difference that no longer shows up fails too, so the list cannot go stale.

The hand-written ``meta_types.json`` is held to the reference's meta types the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from imageapi_codegen.openapi_reader import read_openapi

ROOT = Path(__file__).resolve().parents[2]
DOCS_SCHEMA = ROOT / "imageapi" / "schema" / "image.openshift.io-v1.json"
META_TYPES = ROOT / "scripts" / "imageapi_codegen" / "meta_types.json"
REFERENCE = ROOT.parent / "shared" / "reference" / "openapi-image-v1.release-4.17.json"

pytestmark = pytest.mark.reference_set  # compares with the published definitions (tests/conftest.py)

EXTENSION_KEYS = ("patchMergeKey", "patchStrategy", "listType", "listMapKeys", "mapType")

# ---- known differences, each with its reason ---------------------------------------------------

#: Types the pages never render by name; the pages path adds them from group_types.json, so every
#: published definition has a model of its name (their fields are compared like every other type's).
UNRENDERED_TYPES = {"DockerImageReference", "SignatureGenericEntity"}

_NO_WIDTH = "the pages write 'integer' without a width; the published definition says int64"
_DOCS_INTEGER = {"type": "integer", "format": None}
_INT64 = {"type": "integer", "format": "int64"}

#: (type, field) → (TypeRef from the pages, TypeRef from the reference, reason).
FIELD_TYPE_DIFFERENCES = {
    ("ImageLayer", "size"): (_DOCS_INTEGER, _INT64, _NO_WIDTH),
    ("ImageLayerData", "size"): (_DOCS_INTEGER, _INT64, _NO_WIDTH),
    ("ImageManifest", "manifestSize"): (_DOCS_INTEGER, _INT64, _NO_WIDTH),
    ("ImageStreamTag", "generation"): (_DOCS_INTEGER, _INT64, _NO_WIDTH),
    ("TagEvent", "generation"): (_DOCS_INTEGER, _INT64, _NO_WIDTH),
    ("TagEventCondition", "generation"): (_DOCS_INTEGER, _INT64, _NO_WIDTH),
    ("TagReference", "generation"): (_DOCS_INTEGER, _INT64, _NO_WIDTH),
}

#: Meta types the reference has and meta_types.json does not, with the reason.
META_REFERENCE_ONLY_TYPES = {
    "SecretList": "core/v1 SecretList is extracted as a generic envelope, but the API answers "
    "imagestreams/secrets with the group's own SecretList, which is a group type",
}

_NO_GVK_IN_FILE = (
    "the published file carries no x-kubernetes-group-version-kind; the reader infers gvks for group "
    "kinds only, while meta_types.json names the core/v1 kind these envelopes are served as"
)
#: Meta type → (gvk in meta_types.json, gvk read from the reference, reason).
META_GVK_DIFFERENCES = {
    "DeleteOptions": ({"group": "", "kind": "DeleteOptions", "version": "v1"}, None, _NO_GVK_IN_FILE),
    "Secret": ({"group": "", "kind": "Secret", "version": "v1"}, None, _NO_GVK_IN_FILE),
    "Status": ({"group": "", "kind": "Status", "version": "v1"}, None, _NO_GVK_IN_FILE),
}

#: (meta type, field, extension key) → (value in meta_types.json, value in the reference, reason).
META_EXTENSION_DIFFERENCES = {
    ("Status", "details", "listType"): (
        None,
        "atomic",
        "a 4.17 generator quirk on a field that is not a list (dropped on master; reference README)",
    ),
}


# ---- inputs ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    """The published 4.17 definitions, read into the normalized form."""
    if not REFERENCE.exists():
        pytest.skip(f"reference definitions not found at {REFERENCE} (they live outside the repository)")
    return read_openapi(json.loads(REFERENCE.read_text()), source=REFERENCE.name, release="4.17")


@pytest.fixture(scope="module")
def docs_types() -> dict[str, Any]:
    """The group types stage 1 derived from the pages."""
    if not DOCS_SCHEMA.exists():
        pytest.skip(f"stage 1 has not committed {DOCS_SCHEMA.relative_to(ROOT)} yet")
    types: dict[str, Any] = json.loads(DOCS_SCHEMA.read_text())["types"]
    return types


def _shared_fields(docs_types: dict[str, Any], reference: dict[str, Any]) -> list[tuple[str, str, Any, Any]]:
    """(type, field, docs field, reference field) for every field both sides have."""
    shared = []
    for type_name in sorted(docs_types.keys() & reference["types"].keys()):
        docs_fields = docs_types[type_name]["fields"]
        reference_fields = reference["types"][type_name]["fields"]
        for field in sorted(docs_fields.keys() & reference_fields.keys()):
            shared.append((type_name, field, docs_fields[field], reference_fields[field]))
    return shared


# ---- group types -------------------------------------------------------------------------------


def test_same_type_names(docs_types: dict[str, Any], reference: dict[str, Any]) -> None:
    assert sorted(reference["types"].keys() - docs_types.keys()) == []
    assert sorted(docs_types.keys() - reference["types"].keys()) == []
    assert docs_types.keys() >= UNRENDERED_TYPES


def test_same_kinds(docs_types: dict[str, Any], reference: dict[str, Any]) -> None:
    """The same types are top-level kinds, with the same group, version and kind."""
    mismatches = [
        (name, docs_types[name]["gvk"], reference["types"][name]["gvk"])
        for name in sorted(docs_types.keys() & reference["types"].keys())
        if docs_types[name]["gvk"] != reference["types"][name]["gvk"]
    ]
    assert mismatches == []
    kinds = sorted(name for name, type_def in docs_types.items() if type_def["gvk"])
    assert "ImageStream" in kinds and "ImageStreamList" in kinds


def test_same_fields(docs_types: dict[str, Any], reference: dict[str, Any]) -> None:
    mismatches = []
    for name in sorted(docs_types.keys() & reference["types"].keys()):
        docs_fields = set(docs_types[name]["fields"])
        reference_fields = set(reference["types"][name]["fields"])
        if docs_fields != reference_fields:
            mismatches.append(
                (name, sorted(docs_fields - reference_fields), sorted(reference_fields - docs_fields))
            )
    assert mismatches == []


def test_same_field_types(docs_types: dict[str, Any], reference: dict[str, Any]) -> None:
    observed = {}
    for type_name, field, docs_field, reference_field in _shared_fields(docs_types, reference):
        if docs_field["type"] != reference_field["type"]:
            observed[(type_name, field)] = (docs_field["type"], reference_field["type"])
    expected = {key: (docs, ref) for key, (docs, ref, _reason) in FIELD_TYPE_DIFFERENCES.items()}
    assert observed == expected


def test_same_required_flags(docs_types: dict[str, Any], reference: dict[str, Any]) -> None:
    mismatches = [
        (type_name, field, docs_field["required"], reference_field["required"])
        for type_name, field, docs_field, reference_field in _shared_fields(docs_types, reference)
        if docs_field["required"] != reference_field["required"]
    ]
    assert mismatches == []
    # The 4.17 definitions require ImageStreamStatus.dockerImageRepository (master dropped it).
    assert docs_types["ImageStreamStatus"]["fields"]["dockerImageRepository"]["required"] is True


def test_same_merge_and_list_extensions(docs_types: dict[str, Any], reference: dict[str, Any]) -> None:
    """Strategic merge patch needs these exact keys: spec.tags by name, status.tags by tag, …"""
    mismatches = [
        (type_name, field, key, docs_field.get(key), reference_field.get(key))
        for type_name, field, docs_field, reference_field in _shared_fields(docs_types, reference)
        for key in EXTENSION_KEYS
        if docs_field.get(key) != reference_field.get(key)
    ]
    assert mismatches == []


# ---- meta types --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def meta_types() -> dict[str, Any]:
    """The hand-written meta types."""
    types: dict[str, Any] = json.loads(META_TYPES.read_text())["types"]
    return types


def test_meta_types_agree(meta_types: dict[str, Any], reference: dict[str, Any]) -> None:
    reference_meta = reference["metaTypes"]
    assert sorted(reference_meta.keys() - meta_types.keys()) == sorted(META_REFERENCE_ONLY_TYPES)
    assert sorted(meta_types.keys() - reference_meta.keys()) == []
    gvks = {}
    fields = []
    types = []
    required = []
    extensions = {}
    for name in sorted(meta_types.keys() & reference_meta.keys()):
        mine, theirs = meta_types[name], reference_meta[name]
        if mine["gvk"] != theirs["gvk"]:
            gvks[name] = (mine["gvk"], theirs["gvk"])
        if mine.get("mapType") != theirs.get("mapType"):
            extensions[(name, None, "mapType")] = (mine.get("mapType"), theirs.get("mapType"))
        if set(mine["fields"]) != set(theirs["fields"]):
            fields.append((name, sorted(set(mine["fields"]) ^ set(theirs["fields"]))))
        for field in sorted(mine["fields"].keys() & theirs["fields"].keys()):
            a, b = mine["fields"][field], theirs["fields"][field]
            if a["type"] != b["type"]:
                types.append((name, field, a["type"], b["type"]))
            if a["required"] != b["required"]:
                required.append((name, field, a["required"], b["required"]))
            for key in EXTENSION_KEYS:
                if a.get(key) != b.get(key):
                    extensions[(name, field, key)] = (a.get(key), b.get(key))
    assert (fields, types, required) == ([], [], [])
    assert gvks == {name: (mine, theirs) for name, (mine, theirs, _reason) in META_GVK_DIFFERENCES.items()}
    assert extensions == {
        key: (mine, theirs) for key, (mine, theirs, _reason) in META_EXTENSION_DIFFERENCES.items()
    }
