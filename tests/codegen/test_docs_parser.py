"""The page parser: kinds, named nested types, field types and required flags, lossy pages.

Field expectations below were checked by hand against the 4.17 book (seed 002): the section and
row each comes from is named next to it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from imageapi_codegen import docs

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SEEDS = SHARED / "seeds"
REFERENCE = SHARED / "reference" / "openapi-image-v1.release-4.17.json"
BOOK = "002_053aaec3cf30669f.txt"
IMAGESTREAM_PAGE = "000_b7f0e21d9e12eb75.txt"
ISTAG_PAGE = "001_b325ce04cd727ee5.txt"
IMAGE_PAGE = "003_54999cf42c5a9fd3.txt"
LOSSY_PAGE = "004_3590576ed84a8dba.txt"

needs_seeds = pytest.mark.reference_set  # the full reference set (tests/conftest.py)

KINDS = {
    "Image",
    "ImageSignature",
    "ImageStreamImage",
    "ImageStreamImport",
    "ImageStreamLayers",
    "ImageStreamMapping",
    "ImageStream",
    "ImageStreamTag",
    "ImageTag",
    "SecretList",
}
NESTED = {
    "ImageBlobReferences",
    "ImageImportSpec",
    "ImageImportStatus",
    "ImageLayer",
    "ImageLayerData",
    "ImageLookupPolicy",
    "ImageManifest",
    "ImageStreamImportSpec",
    "ImageStreamImportStatus",
    "ImageStreamSpec",
    "ImageStreamStatus",
    "NamedTagEventList",
    "RepositoryImportSpec",
    "RepositoryImportStatus",
    "SignatureCondition",
    "SignatureIssuer",
    "SignatureSubject",
    "TagEvent",
    "TagEventCondition",
    "TagImportPolicy",
    "TagReference",
    "TagReferencePolicy",
}


@pytest.fixture(scope="module")
def pages() -> dict[str, docs.PageDoc]:
    if not SEEDS.is_dir():
        pytest.skip(f"seed pages not found at {SEEDS}")
    return {page.file: page for page in docs.parse_seeds(SEEDS)}


@pytest.fixture(scope="module")
def book_types(pages: dict[str, docs.PageDoc]) -> dict[str, Any]:
    known = {kind.kind for page in pages.values() for kind in page.kinds}
    return docs.page_types(pages[BOOK], known)


def field(types: dict[str, Any], type_name: str, wire: str) -> dict[str, Any]:
    spec: dict[str, Any] = types[type_name]["fields"][wire]
    return spec


@needs_seeds
def test_book_has_every_kind_with_its_group_version(pages: dict[str, docs.PageDoc]) -> None:
    kinds = {kind.kind: kind for kind in pages[BOOK].kinds}
    assert set(kinds) == KINDS
    assert {(kind.group, kind.version) for kind in kinds.values()} == {("image.openshift.io", "v1")}


@needs_seeds
def test_book_types_are_exactly_the_api_type_names(book_types: dict[str, Any]) -> None:
    # One entry per API type: no derived names ("ImageStreamSpecTags…") and no duplicates, although
    # ImageLayer is inlined nine times and TagReference three times in the book.
    assert set(book_types) == KINDS | NESTED


@needs_seeds
def test_kinds_carry_gvk_and_nested_types_do_not(book_types: dict[str, Any]) -> None:
    assert book_types["ImageStream"]["gvk"] == {
        "group": "image.openshift.io",
        "version": "v1",
        "kind": "ImageStream",
    }
    assert book_types["TagReference"]["gvk"] is None


@pytest.mark.parametrize(
    ("type_name", "wire", "expected_type", "required"),
    [
        # 2.1 Specification, rows dockerImageLayers / dockerImageLayers[] ("ImageLayer represents …")
        (
            "Image",
            "dockerImageLayers",
            {"type": "array", "items": {"type": "ref", "name": "ImageLayer"}},
            False,
        ),
        # 2.1.2 .dockerImageLayers[]: Required name, size, mediaType; size is "integer" (no width)
        ("ImageLayer", "size", {"type": "integer", "format": None}, True),
        ("Image", "metadata", {"type": "ref", "name": "ObjectMeta"}, False),  # ObjectMeta_v2
        ("Image", "dockerImageMetadata", {"type": "RawExtension"}, False),
        ("Image", "dockerImageSignatures", {"type": "array", "items": {"type": "string"}}, False),
        ("ImageSignature", "created", {"type": "Time"}, False),
        ("ImageSignature", "signedClaims", {"type": "map", "values": {"type": "string"}}, False),
        ("ImageSignature", "type", {"type": "string"}, True),
        # 6.1 blobs / blobs{} ("ImageLayerData contains …"); chapter 6 Required: blobs, images
        (
            "ImageStreamLayers",
            "blobs",
            {"type": "map", "values": {"type": "ref", "name": "ImageLayerData"}},
            True,
        ),
        ("ImageBlobReferences", "layers", {"type": "array", "items": {"type": "string"}}, False),
        # chapter 9: Required tag, generation, lookupPolicy, image; .tag is "TagReference specifies …"
        ("ImageStreamTag", "tag", {"type": "ref", "name": "TagReference"}, True),
        ("ImageStreamTag", "generation", {"type": "integer", "format": None}, True),
        ("ImageTag", "spec", {"type": "ref", "name": "TagReference"}, True),
        ("ImageTag", "status", {"type": "ref", "name": "NamedTagEventList"}, True),
        ("TagReference", "from", {"type": "ref", "name": "ObjectReference"}, False),
        ("TagReference", "annotations", {"type": "map", "values": {"type": "string"}}, False),
        ("TagReference", "name", {"type": "string"}, True),
        ("TagImportPolicy", "importMode", {"type": "string"}, False),
        # 5.1.3 .spec.images[]: to is LocalObjectReference_v2
        ("ImageImportSpec", "to", {"type": "ref", "name": "LocalObjectReference"}, False),
        # 5.1.35 .status.import: "An ImageStream stores …"
        ("ImageStreamImportStatus", "import", {"type": "ref", "name": "ImageStream"}, False),
        (
            "ImageImportStatus",
            "manifests",
            {"type": "array", "items": {"type": "ref", "name": "Image"}},
            False,
        ),
        ("ImageStreamStatus", "dockerImageRepository", {"type": "string"}, True),
        ("SecretList", "items", {"type": "array", "items": {"type": "ref", "name": "Secret"}}, True),
        ("SecretList", "metadata", {"type": "ref", "name": "ListMeta"}, False),
        ("ImageLookupPolicy", "local", {"type": "boolean"}, True),
    ],
)
@needs_seeds
def test_field_types_and_required_flags(
    book_types: dict[str, Any], type_name: str, wire: str, expected_type: dict[str, Any], required: bool
) -> None:
    spec = field(book_types, type_name, wire)
    assert spec["type"] == expected_type
    assert spec["required"] is required


@needs_seeds
def test_field_descriptions_come_from_the_rows(book_types: dict[str, Any]) -> None:
    assert field(book_types, "ImageLayer", "name")["description"] == (
        "Name of the layer as defined by the underlying store."
    )
    # The "Compatibility level" boilerplate is page chrome, not part of a description.
    assert "Compatibility level" not in book_types["ImageSignature"]["description"]


@needs_seeds
def test_items_rows_are_not_fields(book_types: dict[str, Any]) -> None:
    assert "dockerImageLayers[]" not in book_types["Image"]["fields"]
    assert "blobs{}" not in book_types["ImageStreamLayers"]["fields"]


def _reference_ref(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit(".", 1)[-1]
        return {"type": name} if name in ("Time", "RawExtension") else {"type": "ref", "name": name}
    kind = schema.get("type")
    if kind == "array":
        return {"type": "array", "items": _reference_ref(schema["items"])}
    if kind == "object":
        return {"type": "map", "values": _reference_ref(schema["additionalProperties"])}
    if kind == "integer":
        return {"type": "integer", "format": None}  # the pages give no width
    return {"type": "string" if schema.get("format") == "byte" else kind}  # bytes: see normalize


@needs_seeds
def test_book_agrees_with_the_published_definitions(book_types: dict[str, Any]) -> None:
    definitions = json.loads(REFERENCE.read_text(encoding="utf-8"))["definitions"]
    compared = 0
    for name, typedef in book_types.items():
        reference = definitions[f"com.github.openshift.api.image.v1.{name}"]
        required = set(reference.get("required", []))
        assert set(typedef["fields"]) == set(reference.get("properties", {})), name
        for wire, spec in typedef["fields"].items():
            assert spec["type"] == _reference_ref(reference["properties"][wire]), f"{name}.{wire}"
            assert spec["required"] == (wire in required), f"{name}.{wire}"
            compared += 1
    assert compared == 145  # every field of the 32 types the book defines


@needs_seeds
def test_single_kind_pages(pages: dict[str, docs.PageDoc]) -> None:
    imagestream = pages[IMAGESTREAM_PAGE]
    assert [kind.kind for kind in imagestream.kinds] == ["ImageStream"]
    assert imagestream.release == "4.6"
    # Untitled pages: the kind comes from the text, the release from the seeds README.
    assert [kind.kind for kind in pages[ISTAG_PAGE].kinds] == ["ImageStreamTag"]
    assert pages[ISTAG_PAGE].release == "4.14"
    assert [kind.kind for kind in pages[IMAGE_PAGE].kinds] == ["Image"]
    assert pages[BOOK].release == "4.17"


@needs_seeds
def test_older_page_has_the_older_schema(pages: dict[str, docs.PageDoc]) -> None:
    types = docs.page_types(pages[IMAGESTREAM_PAGE], {"ImageStream"})
    assert set(types["TagImportPolicy"]["fields"]) == {"insecure", "scheduled"}  # no importMode in 4.6
    assert types["TagReference"]["fields"]["from"]["type"] == {"type": "ref", "name": "ObjectReference"}
    assert types["TagEvent"]["fields"]["created"]["type"] == {"type": "Time"}  # "Time meta/v1"


@needs_seeds
def test_older_pages_carry_query_parameters(pages: dict[str, docs.PageDoc]) -> None:
    def list_parameters(page: str) -> set[str]:
        operations = [op for kind in pages[page].kinds for op in kind.operations]
        found = [
            op
            for op in operations
            if op.method == "GET" and op.path.endswith("/namespaces/{namespace}/imagestreams")
        ]
        return {parameter.name for parameter in found[0].parameters}

    assert "labelSelector" in list_parameters(IMAGESTREAM_PAGE)
    assert "labelSelector" not in list_parameters(BOOK)


@needs_seeds
def test_operations_have_body_and_response_types(pages: dict[str, docs.PageDoc]) -> None:
    operations = {(op.method, op.path): op for kind in pages[BOOK].kinds for op in kind.operations}
    base = "/apis/image.openshift.io/v1"
    create = operations[("POST", f"{base}/namespaces/{{namespace}}/imagestreams")]
    assert (create.body_type, create.response_type) == ("ImageStream", "ImageStream")
    assert operations[("DELETE", f"{base}/images/{{name}}")].response_type == "Status"  # Status_v5
    assert operations[("GET", f"{base}/imagestreamtags")].response_type == "ImageStreamTagList"
    layers = operations[("GET", f"{base}/namespaces/{{namespace}}/imagestreams/{{name}}/layers")]
    assert layers.response_type == "ImageStreamLayers"


@needs_seeds
def test_lossy_seed_page_is_detected_and_not_trusted(pages: dict[str, docs.PageDoc]) -> None:
    page = pages[LOSSY_PAGE]
    assert page.trusted_for_fields is False
    errors = [d for d in page.diagnostics if d.severity == "error"]
    assert errors[0].file == LOSSY_PAGE
    assert errors[0].section == "5.1. Specification"
    assert "property names" in errors[0].message
    assert docs.page_types(page, {"ImageStreamImport"}) == {}
    assert pages[BOOK].trusted_for_fields is True
    assert not [d for d in pages[BOOK].diagnostics if d.severity == "error"]


SYNTHETIC_CHAPTER = """\
Chapter 1. Widget [example.io/v1]

Description

Widget is a made-up kind for testing.

Type
object

1.1. Specification

PropertyTypeDescription

{rows}
1.1.1. .spec

Description
WidgetSpec holds the settings.
Type
object
Required
  • size
PropertyTypeDescription

{spec_rows}
"""


def _write_page(tmp_path: Path, rows: str, spec_rows: str) -> Path:
    page = tmp_path / "100_widget.txt"
    page.write_text(SYNTHETIC_CHAPTER.format(rows=rows, spec_rows=spec_rows), encoding="utf-8")
    return page


def test_synthetic_page_parses(tmp_path: Path) -> None:
    page_path = _write_page(
        tmp_path,
        "spec\n\nobject\n\nWidgetSpec holds the settings.\n\nmetadata\n\nObjectMeta_v2\n\nStandard metadata.\n",
        "size\n\ninteger\n\nHow big.\n\ncolor\n\nstring\n\nWhich colour.\n",
    )
    page = docs.parse_page(page_path.read_text(encoding="utf-8"), page_path.name)
    types = docs.page_types(page, {"Widget"})
    assert page.trusted_for_fields is True
    assert types["Widget"]["fields"]["spec"]["type"] == {"type": "ref", "name": "WidgetSpec"}
    assert types["WidgetSpec"]["fields"]["size"] == {
        "type": {"type": "integer", "format": None},
        "required": True,
        "description": "How big.",
    }


def test_synthetic_lossy_page_is_detected(tmp_path: Path) -> None:
    # The same page with the name and type cells gone: only descriptions survive.
    page_path = _write_page(
        tmp_path, "WidgetSpec holds the settings.\n\nStandard metadata.\n", "How big.\n\nWhich colour.\n"
    )
    page = docs.parse_page(page_path.read_text(encoding="utf-8"), page_path.name)
    assert page.trusted_for_fields is False
    (error,) = [d for d in page.diagnostics if d.severity == "error"]
    assert (error.file, error.section) == ("100_widget.txt", "1.1. Specification")
    assert "2 of 2" in error.message
    assert docs.page_types(page, {"Widget"}) == {}


def test_pipe_table_with_empty_name_cells_is_lossy(tmp_path: Path) -> None:
    text = (
        "Chapter 1. Widget [example.io/v1]\n- Description\nWidget is made up.\n- Type\n-\nobject\n"
        "1.1. Specification\nProperty | Type | Description |\n---|---|---|\n|\n| How big. |\n|\n| Which colour. |\n"
    )
    page = docs.parse_page(text, "widget.txt")
    assert page.trusted_for_fields is False


def test_page_without_a_kind_is_a_parse_error() -> None:
    with pytest.raises(docs.PageParseError) as raised:
        docs.parse_page("Some unrelated text\n\nwith no headings at all\n", "stray.txt")
    assert raised.value.file == "stray.txt"
    assert "stray.txt" in str(raised.value)


HTML_PAGE = """<html><head><title>Widget</title><style>h1 {{}}</style></head><body>
<h1>Chapter 1. Widget [example.io/v1]</h1>
<dl><dt>Description</dt><dd><p>Widget is a made-up kind.</p></dd><dt>Type</dt><dd><code>object</code></dd></dl>
<h2>1.1. Specification</h2>
<table><thead><tr><th>Property</th><th>Type</th><th>Description</th></tr></thead><tbody>
<tr><td>{spec_name}</td><td>{spec_type}</td><td><p>WidgetSpec holds the settings.</p></td></tr>
</tbody></table>
<h3>1.1.1. .spec</h3>
<dl><dt>Description</dt><dd>WidgetSpec holds the settings.</dd><dt>Type</dt><dd>object</dd>
<dt>Required</dt><dd><ul><li><code>size</code></li></ul></dd></dl>
<table><tr><th>Property</th><th>Type</th><th>Description</th></tr>
<tr><td>{size_name}</td><td>{size_type}</td><td>How big &amp; wide.</td></tr></table>
<h2>1.2. API endpoints</h2>
<h3>1.2.1. /apis/example.io/v1/widgets</h3>
<dl><dt>HTTP method</dt><dd>GET</dd><dt>Description</dt><dd>list objects of kind Widget</dd></dl>
<table><caption>Table 1.1. Query parameters</caption>
<tr><th>Parameter</th><th>Type</th><th>Description</th></tr><tr><td>limit</td><td>integer</td><td>At most.</td></tr></table>
<table><caption>Table 1.2. HTTP responses</caption>
<tr><th>HTTP code</th><th>Reponse body</th></tr><tr><td>200 - OK</td><td>WidgetList schema</td></tr></table>
</body></html>
"""


def test_html_page_parses_like_text(tmp_path: Path) -> None:
    html = HTML_PAGE.format(
        spec_name="<code>spec</code>", spec_type="object", size_name="size", size_type="integer"
    )
    (tmp_path / "100_widget.html").write_text(html, encoding="utf-8")
    (page,) = docs.parse_seeds(tmp_path)
    types = docs.page_types(page, {"Widget"})
    assert types["Widget"]["fields"]["spec"]["type"] == {"type": "ref", "name": "WidgetSpec"}
    assert types["WidgetSpec"]["fields"]["size"] == {
        "type": {"type": "integer", "format": None},
        "required": True,
        "description": "How big & wide.",
    }
    (listing,) = page.kinds[0].operations
    assert (listing.method, listing.response_type) == ("GET", "WidgetList")
    assert [parameter.name for parameter in listing.parameters] == ["limit"]


def test_html_page_with_empty_name_cells_is_lossy(tmp_path: Path) -> None:
    html = HTML_PAGE.format(spec_name="", spec_type="", size_name="", size_type="")
    (tmp_path / "100_widget.html").write_text(html, encoding="utf-8")
    (page,) = docs.parse_seeds(tmp_path)
    assert page.trusted_for_fields is False
    assert [d.section for d in page.diagnostics if d.severity == "error"] == ["1.1. Specification"]
