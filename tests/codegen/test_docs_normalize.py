"""Merging the pages into the normalized schema, and the server's truth applied over them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from imageapi_codegen import docs, normalize, output

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"
BASE = "/apis/image.openshift.io/v1"
# The meta types docs/codegen.md lists as defined in meta_types.json.
META_NAMES = {
    "DeleteOptions",
    "ListMeta",
    "LocalObjectReference",
    "ObjectMeta",
    "ObjectReference",
    "Secret",
    "Status",
    "WatchEvent",
}

pytestmark = pytest.mark.reference_set  # the full reference pages (tests/conftest.py)


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return normalize.normalize(docs.parse_seeds(SEEDS))


def operation(schema: dict[str, Any], plural: str, method: str, path: str) -> dict[str, Any]:
    for candidate in schema["resources"][plural]["operations"]:
        if candidate["method"] == method and candidate["path"] == BASE + path:
            found: dict[str, Any] = candidate
            return found
    raise AssertionError(f"no {method} {path} on {plural}")


def parameter_names(op: dict[str, Any]) -> list[str]:
    return [parameter["name"] for parameter in op["parameters"]]


def info_messages(schema: dict[str, Any]) -> list[str]:
    return [d["message"] for d in schema["diagnostics"] if d["severity"] == "info"]


def test_header_and_sources(schema: dict[str, Any]) -> None:
    assert (schema["formatVersion"], schema["group"], schema["version"]) == (1, "image.openshift.io", "v1")
    sources = {source["file"]: source for source in schema["sources"]}
    assert len(sources) == 5
    assert sources["002_053aaec3cf30669f.txt"]["release"] == "4.17"
    assert sources["004_3590576ed84a8dba.txt"]["trustedForFields"] is False


def test_lossy_page_is_reported_in_the_schema(schema: dict[str, Any]) -> None:
    errors = [d for d in schema["diagnostics"] if d["severity"] == "error"]
    assert {(d["file"], d["section"]) for d in errors} >= {("004_3590576ed84a8dba.txt", "5.1. Specification")}


def test_list_parameters_merged_from_older_pages(schema: dict[str, Any]) -> None:
    # The 4.17 book lists no query parameters for this list; the OKD 4.6 page does.
    names = parameter_names(operation(schema, "imagestreams", "GET", "/namespaces/{namespace}/imagestreams"))
    assert {"labelSelector", "fieldSelector", "limit", "continue", "resourceVersion", "watch"} <= set(names)
    assert names == sorted(names)
    label = next(
        p
        for p in operation(schema, "imagestreams", "GET", "/imagestreams")["parameters"]
        if p["name"] == "labelSelector"
    )
    assert label["type"] == "string"
    assert label["description"].startswith(
        "A selector to restrict the list of returned objects by their labels"
    )


def test_book_parameters_kept_and_union_with_older_pages(schema: dict[str, Any]) -> None:
    patch = parameter_names(operation(schema, "images", "PATCH", "/images/{name}"))
    # fieldValidation is on 4.17 and 4.12; force and fieldManager only on the older page.
    assert {"dryRun", "fieldValidation", "fieldManager", "force", "pretty"} <= set(patch)


def test_newest_page_wins_for_schemas(schema: dict[str, Any]) -> None:
    # TagImportPolicy.importMode exists in 4.17 (book) but not in OKD 4.6 (the ImageStream page).
    assert "importMode" in schema["types"]["TagImportPolicy"]["fields"]


def test_every_kind_and_named_type_once(schema: dict[str, Any]) -> None:
    types = schema["types"]
    kinds = {name for name, typedef in types.items() if typedef["gvk"]}
    assert kinds == {
        "Image",
        "ImageList",
        "ImageSignature",
        "ImageStream",
        "ImageStreamImage",
        "ImageStreamImport",
        "ImageStreamLayers",
        "ImageStreamList",
        "ImageStreamMapping",
        "ImageStreamTag",
        "ImageStreamTagList",
        "ImageTag",
        "ImageTagList",
        "SecretList",
    }
    assert len(types) == 36


def test_list_types_are_synthesized_and_said_so(schema: dict[str, Any]) -> None:
    image_list = schema["types"]["ImageList"]
    assert image_list["fields"]["items"] == {
        "type": {"type": "array", "items": {"type": "ref", "name": "Image"}},
        "required": True,
        "description": "Items is a list of Image objects.",
    }
    assert image_list["fields"]["metadata"]["type"] == {"type": "ref", "name": "ListMeta"}
    assert any("ImageTagList is not described by the pages" in message for message in info_messages(schema))


@pytest.mark.parametrize("plural", ["imagestreamtags", "imagetags"])
def test_no_watch_no_deletecollection_on_virtual_tags(schema: dict[str, Any], plural: str) -> None:
    resource = schema["resources"][plural]
    assert resource["verbs"] == ["create", "delete", "get", "list", "patch", "update"]
    assert resource["listChunking"] is False
    assert not [op for op in resource["operations"] if "/watch/" in op["path"]]
    assert not [op for op in resource["operations"] if op["action"] in ("watch", "deletecollection")]
    listing = operation(schema, plural, "GET", f"/namespaces/{{namespace}}/{plural}")
    assert not {"watch", "allowWatchBookmarks", "sendInitialEvents"} & set(parameter_names(listing))
    assert "labelSelector" in parameter_names(listing)


def test_watch_paths_kept_where_the_server_serves_them(schema: dict[str, Any]) -> None:
    watch = operation(schema, "imagestreams", "GET", "/watch/namespaces/{namespace}/imagestreams")
    assert (watch["action"], watch["responseType"]) == ("watch", "WatchEvent")
    assert "resourceVersion" in parameter_names(watch)  # a watch takes the list's options
    assert schema["resources"]["imagestreams"]["listChunking"] is True


def test_imagestreammappings_create_answers_status(schema: dict[str, Any]) -> None:
    resource = schema["resources"]["imagestreammappings"]
    assert resource["createResponseType"] == "Status"
    assert (
        operation(schema, "imagestreammappings", "POST", "/namespaces/{namespace}/imagestreammappings")[
            "responseType"
        ]
        == "Status"
    )
    assert any("imagestreammappings create answers Status" in message for message in info_messages(schema))


def test_verbs_names_and_scope(schema: dict[str, Any]) -> None:
    resources = schema["resources"]
    assert set(resources) == {
        "images",
        "imagesignatures",
        "imagestreamimages",
        "imagestreamimports",
        "imagestreammappings",
        "imagestreams",
        "imagestreamtags",
        "imagetags",
    }
    assert resources["imagesignatures"]["verbs"] == ["create", "delete"]
    assert resources["imagestreamimages"]["verbs"] == ["get"]
    assert resources["imagestreamimports"]["verbs"] == ["create"]
    assert resources["images"]["namespaced"] is False
    assert resources["imagestreams"]["namespaced"] is True
    assert resources["imagestreams"]["shortNames"] == ["is"]
    assert resources["imagestreams"]["categories"] == ["all"]
    assert resources["imagestreamtags"]["shortNames"] == ["istag"]
    assert resources["imagetags"]["shortNames"] == ["itag"]
    assert resources["imagestreamimages"]["shortNames"] == ["isimage"]
    assert resources["imagestreamtags"]["singular"] == "imagestreamtag"
    assert resources["images"]["listKind"] == "ImageList"
    assert resources["imagesignatures"]["listKind"] is None


def test_imagestream_subresources(schema: dict[str, Any]) -> None:
    subresources = schema["resources"]["imagestreams"]["subresources"]
    assert subresources == {
        "layers": {
            "kind": "ImageStreamLayers",
            "verbs": ["get"],
            "requestType": None,
            "responseType": "ImageStreamLayers",
        },
        "secrets": {
            "kind": "SecretList",
            "verbs": ["get"],
            "requestType": None,
            "responseType": "SecretList",
        },
        "status": {
            "kind": "ImageStream",
            "verbs": ["get", "patch", "update"],
            "requestType": "ImageStream",
            "responseType": "ImageStream",
        },
    }
    secrets = operation(schema, "imagestreams", "GET", "/namespaces/{namespace}/imagestreams/{name}/secrets")
    assert "labelSelector" in parameter_names(secrets)  # it takes ListOptions


def test_operations_sorted_and_complete(schema: dict[str, Any]) -> None:
    for resource in schema["resources"].values():
        keys = [(op["path"], op["method"]) for op in resource["operations"]]
        assert keys == sorted(keys)
    deletecollection = operation(schema, "imagestreams", "DELETE", "/namespaces/{namespace}/imagestreams")
    assert deletecollection["action"] == "deletecollection"
    assert deletecollection["requestType"] == "DeleteOptions"
    assert deletecollection["responseType"] == "ImageStreamList"  # the server returns the deleted items
    patch = operation(schema, "imagetags", "PATCH", "/namespaces/{namespace}/imagetags/{name}")
    assert patch["requestType"] == "Patch"


def test_byte_fields_and_merge_keys(schema: dict[str, Any]) -> None:
    fields = schema["types"]["ImageSignature"]["fields"]
    assert fields["content"]["type"] == {"type": "byte"}
    tags = schema["types"]["ImageStreamSpec"]["fields"]["tags"]
    assert (tags["patchMergeKey"], tags["patchStrategy"]) == ("name", "merge")
    assert schema["types"]["ImageStreamStatus"]["fields"]["tags"]["patchMergeKey"] == "tag"


def test_every_override_is_an_info_diagnostic(schema: dict[str, Any]) -> None:
    overrides = [d for d in schema["diagnostics"] if d["file"] == "server-semantics.md"]
    assert overrides
    assert {d["severity"] for d in overrides} == {"info"}


def test_output_is_deterministic(schema: dict[str, Any]) -> None:
    again = normalize.normalize(docs.parse_seeds(SEEDS))
    assert output.dump_json(again) == output.dump_json(schema)


def test_committed_schema_is_current() -> None:
    import codegen  # the command's own generate(): the committed file also carries the meta types

    root = Path(__file__).resolve().parents[2]
    generated = codegen.generate(root, codegen.read_pages(root, SEEDS)).files[codegen.SCHEMA_PATH]
    committed = root / "imageapi" / "schema" / "image.openshift.io-v1.json"
    assert committed.read_text(encoding="utf-8") == generated
    assert "ObjectMeta" in output.load_json(generated)["metaTypes"]


def test_older_definitions_that_lose_are_reported(schema: dict[str, Any]) -> None:
    (note,) = [d for d in schema["diagnostics"] if d["section"] == "TagImportPolicy"]
    assert note["file"] == "000_b7f0e21d9e12eb75.txt"
    assert note["severity"] == "info"
    assert "newer adds importMode" in note["message"]


def test_undefined_type_names_are_warned_about() -> None:
    pages = docs.parse_seeds(SEEDS)
    assert not [
        d
        for d in normalize.normalize(pages, external_types=META_NAMES)["diagnostics"]
        if d["severity"] == "warning"
    ]
    without_meta = normalize.normalize(docs.parse_seeds(SEEDS), external_types=META_NAMES - {"ObjectMeta"})
    (warning,) = [d for d in without_meta["diagnostics"] if d["severity"] == "warning"]
    assert warning["message"] == "type ObjectMeta is used but defined nowhere"
