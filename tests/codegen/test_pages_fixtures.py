"""The page parser and the normalizer on the fixture pages in ``tests/codegen/pages``.

The fixtures are small pages written for these tests in the layouts of the published reference (the
OCP 4.17 book, an OKD 4.6 single-kind page, an untitled page, a lossy rendering), so stage 1 is
tested in every clone. The same behaviours on the full reference set are in test_docs_parser.py and
test_docs_normalize.py, which run where that set is present.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from imageapi_codegen import docs, emit_models, normalize

PAGES = Path(__file__).resolve().parent / "pages"
ROOT = Path(__file__).resolve().parents[2]
BOOK = "010_book.txt"
OKD_PAGE = "011_imagestream_okd46.txt"
UNTITLED_PAGE = "012_istag_untitled.txt"
LOSSY_PAGE = "013_isimport_lossy.txt"
BASE = "/apis/image.openshift.io/v1"

BOOK_TYPES = {
    "Image", "ImageBlobReferences", "ImageLayer", "ImageLayerData", "ImageLookupPolicy", "ImageManifest",
    "ImageSignature", "ImageStream", "ImageStreamLayers", "ImageStreamSpec", "ImageStreamStatus",
    "NamedTagEventList", "TagEvent", "TagEventCondition", "TagImportPolicy", "TagReference", "TagReferencePolicy",
}


@pytest.fixture(scope="module")
def pages() -> dict[str, docs.PageDoc]:
    return {page.file: page for page in docs.parse_seeds(PAGES)}


@pytest.fixture(scope="module")
def book_types(pages: dict[str, docs.PageDoc]) -> dict[str, Any]:
    known = {kind.kind for page in pages.values() for kind in page.kinds}
    return docs.page_types(pages[BOOK], known)


@pytest.fixture(scope="module")
def schema(pages: dict[str, docs.PageDoc]) -> dict[str, Any]:
    return normalize.normalize(list(pages.values()))


def field(types: dict[str, Any], type_name: str, wire: str) -> dict[str, Any]:
    spec: dict[str, Any] = types[type_name]["fields"][wire]
    return spec


def operation(schema: dict[str, Any], plural: str, method: str, path: str) -> dict[str, Any]:
    for candidate in schema["resources"][plural]["operations"]:
        if candidate["method"] == method and candidate["path"] == BASE + path:
            found: dict[str, Any] = candidate
            return found
    raise AssertionError(f"no {method} {path} on {plural}")


# ---- pages --------------------------------------------------------------------------------------


def test_kinds_titles_and_releases(pages: dict[str, docs.PageDoc]) -> None:
    found = {name: ([kind.kind for kind in page.kinds], page.release) for name, page in pages.items()}
    assert found == {
        BOOK: (["Image", "ImageStream", "ImageStreamLayers"], "4.17"),  # the overview chapter is no kind
        OKD_PAGE: (["ImageStream"], "4.6"),  # from the cached page's URL and title
        UNTITLED_PAGE: (["ImageStreamTag"], "4.14"),  # the kind from its text, the release from README.md
        LOSSY_PAGE: (["ImageStreamImport"], None),
    }
    assert pages[BOOK].title == "Image APIs"
    assert {(kind.group, kind.version) for kind in pages[BOOK].kinds} == {("image.openshift.io", "v1")}
    (note,) = pages[UNTITLED_PAGE].diagnostics
    assert (note.severity, note.message) == ("info", "page has no title; kind ImageStreamTag inferred from its text")


def test_book_types_are_the_api_type_names(book_types: dict[str, Any]) -> None:
    # Named from the first words of each nested section's description; TagReference and the two
    # ImageLayer-like rows appear once each although the book inlines them by path.
    assert set(book_types) == BOOK_TYPES
    assert book_types["ImageStream"]["gvk"] == {"group": "image.openshift.io", "version": "v1", "kind": "ImageStream"}
    assert book_types["TagReference"]["gvk"] is None


@pytest.mark.parametrize(
    ("type_name", "wire", "expected_type", "required"),
    [
        ("Image", "dockerImageLayers", {"type": "array", "items": {"type": "ref", "name": "ImageLayer"}}, False),
        ("ImageLayer", "size", {"type": "integer", "format": None}, True),  # "integer": no width on the page
        ("Image", "metadata", {"type": "ref", "name": "ObjectMeta"}, False),  # ObjectMeta_v2
        ("Image", "dockerImageMetadata", {"type": "RawExtension"}, False),
        ("Image", "dockerImageSignatures", {"type": "array", "items": {"type": "string"}}, False),
        ("ImageSignature", "created", {"type": "Time"}, False),
        ("ImageSignature", "signedClaims", {"type": "map", "values": {"type": "string"}}, False),
        ("ImageSignature", "type", {"type": "string"}, True),
        ("ImageStreamLayers", "blobs", {"type": "map", "values": {"type": "ref", "name": "ImageLayerData"}}, True),
        ("ImageBlobReferences", "layers", {"type": "array", "items": {"type": "string"}}, False),
        ("ImageStreamSpec", "tags", {"type": "array", "items": {"type": "ref", "name": "TagReference"}}, False),
        ("TagReference", "from", {"type": "ref", "name": "ObjectReference"}, False),
        ("TagReference", "annotations", {"type": "map", "values": {"type": "string"}}, False),
        ("TagReference", "name", {"type": "string"}, True),
        ("TagImportPolicy", "importMode", {"type": "string"}, False),
        ("NamedTagEventList", "items", {"type": "array", "items": {"type": "ref", "name": "TagEvent"}}, True),
        ("ImageStreamStatus", "dockerImageRepository", {"type": "string"}, True),
        ("ImageLookupPolicy", "local", {"type": "boolean"}, True),
    ],
)
def test_field_types_and_required_flags(
    book_types: dict[str, Any], type_name: str, wire: str, expected_type: dict[str, Any], required: bool
) -> None:
    spec = field(book_types, type_name, wire)
    assert spec["type"] == expected_type
    assert spec["required"] is required


def test_descriptions_come_from_the_rows_without_page_chrome(book_types: dict[str, Any]) -> None:
    assert field(book_types, "ImageLayer", "name")["description"] == "The layer's name in the underlying blob store."
    assert "Compatibility level" not in book_types["ImageSignature"]["description"]
    assert book_types["ImageSignature"]["description"].startswith("ImageSignature carries one signature")


def test_item_rows_are_not_fields(book_types: dict[str, Any]) -> None:
    assert "dockerImageLayers[]" not in book_types["Image"]["fields"]
    assert "blobs{}" not in book_types["ImageStreamLayers"]["fields"]
    assert "tags[]" not in book_types["ImageStreamSpec"]["fields"]


def test_older_page_layout_and_schema(pages: dict[str, docs.PageDoc]) -> None:
    types = docs.page_types(pages[OKD_PAGE], {"ImageStream"})
    assert set(types["TagImportPolicy"]["fields"]) == {"insecure", "scheduled"}  # no importMode in 4.6
    assert types["TagReference"]["fields"]["from"]["type"] == {"type": "ref", "name": "ObjectReference"}  # meta/v1
    assert types["TagEvent"]["fields"]["created"]["type"] == {"type": "Time"}  # "Time meta/v1"
    assert set(types["ImageStream"]["fields"]) == {"apiVersion", "kind", "metadata", "spec", "status"}  # ".spec" rows


def test_operations_have_body_response_and_parameters(pages: dict[str, docs.PageDoc]) -> None:
    operations = {(op.method, op.path): op for page in pages.values() for kind in page.kinds for op in kind.operations}
    create = operations[("POST", f"{BASE}/namespaces/{{namespace}}/imagestreams")]
    assert (create.body_type, create.response_type) == ("ImageStream", "ImageStream")
    assert operations[("DELETE", f"{BASE}/images/{{name}}")].response_type == "Status"  # "Status_v5 schema"
    layers = operations[("GET", f"{BASE}/namespaces/{{namespace}}/imagestreams/{{name}}/layers")]
    assert layers.response_type == "ImageStreamLayers"
    patch = operations[("PATCH", f"{BASE}/namespaces/{{namespace}}/imagestreams/{{name}}")]
    assert [parameter.name for parameter in patch.parameters] == ["dryRun", "fieldManager", "force"]  # OKD page
    listing = next(
        op for kind in pages[BOOK].kinds for op in kind.operations
        if (op.method, op.path) == ("GET", f"{BASE}/namespaces/{{namespace}}/imagestreams")
    )
    assert listing.parameters == []  # the 4.17 layout drops list parameters


def test_lossy_page_is_detected_and_not_trusted(pages: dict[str, docs.PageDoc]) -> None:
    page = pages[LOSSY_PAGE]
    assert page.trusted_for_fields is False
    errors = [d for d in page.diagnostics if d.severity == "error"]
    assert (errors[0].file, errors[0].section) == (LOSSY_PAGE, "5.1. Specification")
    assert "property names and types lost in 2 of 2" in errors[0].message
    assert "parameter names lost" in errors[1].message
    assert docs.page_types(page, {"ImageStreamImport"}) == {}
    assert pages[BOOK].trusted_for_fields is True


# ---- normalized schema ----------------------------------------------------------------------


def test_sources_and_reported_errors(schema: dict[str, Any]) -> None:
    sources = {source["file"]: source for source in schema["sources"]}
    assert set(sources) == {BOOK, OKD_PAGE, UNTITLED_PAGE, LOSSY_PAGE}
    assert sources[LOSSY_PAGE]["trustedForFields"] is False
    errors = {(d["file"], d["section"]) for d in schema["diagnostics"] if d["severity"] == "error"}
    assert (LOSSY_PAGE, "5.1. Specification") in errors


def test_newest_page_wins_for_schemas_and_loser_is_reported(schema: dict[str, Any]) -> None:
    assert "importMode" in schema["types"]["TagImportPolicy"]["fields"]  # 4.17 over 4.6
    (note,) = [d for d in schema["diagnostics"] if d["section"] == "TagImportPolicy"]
    assert (note["file"], note["severity"]) == (OKD_PAGE, "info")
    assert "newer adds importMode" in note["message"]


def test_list_parameters_are_merged_from_older_pages(schema: dict[str, Any]) -> None:
    op = operation(schema, "imagestreams", "GET", "/namespaces/{namespace}/imagestreams")
    names = [parameter["name"] for parameter in op["parameters"]]
    assert {"labelSelector", "fieldSelector", "limit", "continue", "resourceVersion", "watch"} <= set(names)
    assert names == sorted(names)
    label = next(parameter for parameter in op["parameters"] if parameter["name"] == "labelSelector")
    assert label["description"].startswith("A selector to restrict the list of returned objects by their labels")


def test_list_kinds_are_synthesized(schema: dict[str, Any]) -> None:
    image_list = schema["types"]["ImageList"]
    assert image_list["fields"]["items"]["type"] == {"type": "array", "items": {"type": "ref", "name": "Image"}}
    assert image_list["fields"]["metadata"]["type"] == {"type": "ref", "name": "ListMeta"}
    assert image_list["gvk"]["kind"] == "ImageList"


def test_server_semantics_win_over_the_pages(schema: dict[str, Any]) -> None:
    tags = schema["resources"]["imagestreamtags"]
    # The untitled page documents get and delete only; the server serves the virtual verbs, never watch.
    assert "watch" not in tags["verbs"]
    assert tags["listChunking"] is False and tags["shortNames"] == ["istag"]
    streams = schema["resources"]["imagestreams"]
    assert streams["shortNames"] == ["is"] and streams["categories"] == ["all"]
    watch = operation(schema, "imagestreams", "GET", "/watch/namespaces/{namespace}/imagestreams")
    assert (watch["action"], watch["responseType"]) == ("watch", "WatchEvent")
    overrides = [d for d in schema["diagnostics"] if d["file"] == "server-semantics.md"]
    assert overrides and {d["severity"] for d in overrides} <= {"info", "warning"}


def test_output_is_deterministic(pages: dict[str, docs.PageDoc], schema: dict[str, Any]) -> None:
    again = normalize.normalize(list(reversed(list(pages.values()))))
    assert json.dumps(again, sort_keys=True) == json.dumps(schema, sort_keys=True)


# ---- stage 2 on the fixture schema ----------------------------------------------------------


def test_fixture_schema_renders_importable_models(schema: dict[str, Any], tmp_path: Path) -> None:
    meta = json.loads((ROOT / "scripts" / "imageapi_codegen" / "meta_types.json").read_text(encoding="utf-8"))
    files = emit_models.render(schema, meta, package="fixture_models")
    package = tmp_path / "fixture_models"
    package.mkdir()
    for bundled, name in (
        (emit_models.OUTPUT_PATHS["meta"], "meta.py"),
        (emit_models.OUTPUT_PATHS["group"], "image_v1.py"),
        (emit_models.OUTPUT_PATHS["index"], "__init__.py"),
    ):
        (package / name).write_text(files[bundled], encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        models = importlib.import_module("fixture_models")
        layers = models.ImageStreamLayers.model_validate(
            {"blobs": {"sha256:aa": {"size": 10, "mediaType": "application/x"}}, "images": {}}
        )
        assert layers.blobs["sha256:aa"].size == 10
        stream = models.ImageStream.model_validate(
            {"metadata": {"name": "app"}, "spec": {"tags": [{"name": "1.0", "importPolicy": {"importMode": "Legacy"}}]}}
        )
        assert stream.spec.tags[0].import_policy.import_mode == "Legacy"
        assert stream.api_version == "image.openshift.io/v1"
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.split(".")[0] == "fixture_models"]:
            del sys.modules[name]
