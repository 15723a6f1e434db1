"""Paths, verbs, discovery and authentication of the fake cluster (server-semantics.md §1, §12)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from _core_helpers import GROUP_PATH, stream_body, streams_path

from imageapi._resource_table import RESOURCES
from imageapi.testing import FakeCluster

NOT_FOUND = "the server could not find the requested resource"
NOT_ALLOWED = "the server does not allow this method on the requested resource"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "reference"

# (method, path under the group) pairs that §1 says exist.
SERVED = [
    ("GET", "/images"), ("POST", "/images"), ("DELETE", "/images"), ("GET", "/watch/images"),
    ("GET", "/images/x"), ("PUT", "/images/x"), ("PATCH", "/images/x"), ("DELETE", "/images/x"),
    ("GET", "/watch/images/x"),
    ("POST", "/imagesignatures"), ("DELETE", "/imagesignatures/x"),
    ("GET", "/imagestreams"), ("GET", "/watch/imagestreams"),
    ("GET", "/namespaces/n/imagestreams"), ("POST", "/namespaces/n/imagestreams"),
    ("DELETE", "/namespaces/n/imagestreams"), ("GET", "/watch/namespaces/n/imagestreams"),
    ("GET", "/namespaces/n/imagestreams/x"), ("PUT", "/namespaces/n/imagestreams/x"),
    ("PATCH", "/namespaces/n/imagestreams/x"), ("DELETE", "/namespaces/n/imagestreams/x"),
    ("GET", "/watch/namespaces/n/imagestreams/x"),
    ("GET", "/namespaces/n/imagestreams/x/status"), ("PUT", "/namespaces/n/imagestreams/x/status"),
    ("PATCH", "/namespaces/n/imagestreams/x/status"),
    ("GET", "/namespaces/n/imagestreams/x/layers"), ("GET", "/namespaces/n/imagestreams/x/secrets"),
    ("GET", "/imagestreamtags"), ("GET", "/namespaces/n/imagestreamtags"), ("POST", "/namespaces/n/imagestreamtags"),
    ("GET", "/namespaces/n/imagestreamtags/s:t"), ("PUT", "/namespaces/n/imagestreamtags/s:t"),
    ("PATCH", "/namespaces/n/imagestreamtags/s:t"), ("DELETE", "/namespaces/n/imagestreamtags/s:t"),
    ("GET", "/imagetags"), ("GET", "/namespaces/n/imagetags"), ("POST", "/namespaces/n/imagetags"),
    ("GET", "/namespaces/n/imagetags/s:t"), ("PUT", "/namespaces/n/imagetags/s:t"),
    ("PATCH", "/namespaces/n/imagetags/s:t"), ("DELETE", "/namespaces/n/imagetags/s:t"),
    ("GET", "/namespaces/n/imagestreamimages/s@sha256:abc"),
    ("POST", "/namespaces/n/imagestreamimports"),
    ("POST", "/namespaces/n/imagestreammappings"),
]

# Paths that exist, called with a method they do not serve: 405.
WRONG_METHOD = [
    ("GET", "/namespaces/n/imagestreammappings"), ("PUT", "/namespaces/n/imagestreamimages/s@sha256:abc"),
    ("GET", "/imagesignatures/x"), ("GET", "/imagesignatures"), ("DELETE", "/namespaces/n/imagestreamtags"),
    ("GET", "/namespaces/n/imagestreamimports"), ("POST", "/imagestreams"), ("PUT", "/images"),
    ("POST", "/namespaces/n/imagestreams/x"), ("DELETE", "/namespaces/n/imagestreams/x/status"),
    ("POST", "/namespaces/n/imagestreams/x/layers"), ("POST", "/watch/images"),
]

# Paths that do not exist at all: 404.
NO_SUCH_PATH = [
    ("GET", "/namespaces/n/imagestreamimages"), ("GET", "/watch/namespaces/n/imagestreamtags"),
    ("GET", "/watch/imagetags"), ("GET", "/watch/namespaces/n/imagestreams/x/status"),
    ("GET", "/namespaces/n/images"), ("GET", "/imagestreams/x"), ("GET", "/namespaces/n/imagestreams/x/bogus"),
    ("GET", "/widgets"), ("GET", "/namespaces/n/imagestreams/x/status/extra"),
    ("GET", "/namespaces/n/imagestreammappings/x"), ("GET", "/watch/imagesignatures"),
]


def _status_of(response: httpx.Response) -> dict[str, object]:
    body: dict[str, object] = response.json()
    assert body["kind"] == "Status"
    assert body["apiVersion"] == "v1"
    assert body["code"] == response.status_code
    return body


@pytest.mark.parametrize(("method", "path"), SERVED)
def test_served_paths_are_neither_404_path_nor_405(http: httpx.Client, method: str, path: str) -> None:
    response = http.request(method, GROUP_PATH + path, json={} if method in ("POST", "PUT") else None,
                            headers={"Content-Type": "application/merge-patch+json"} if method == "PATCH" else None,
                            params={"timeoutSeconds": "1"} if "watch" in path else None)
    if response.status_code in (404, 405):
        assert response.json().get("message") not in (NOT_FOUND, NOT_ALLOWED)


@pytest.mark.parametrize(("method", "path"), WRONG_METHOD)
def test_wrong_method_is_405(http: httpx.Client, method: str, path: str) -> None:
    response = http.request(method, GROUP_PATH + path)
    assert response.status_code == 405
    status = _status_of(response)
    assert status["reason"] == "MethodNotAllowed"
    assert status["message"] == NOT_ALLOWED
    assert status["details"] == {}


@pytest.mark.parametrize(("method", "path"), NO_SUCH_PATH)
def test_unknown_path_is_404(http: httpx.Client, method: str, path: str) -> None:
    response = http.request(method, GROUP_PATH + path)
    assert response.status_code == 404
    status = _status_of(response)
    assert status["reason"] == "NotFound"
    assert status["message"] == NOT_FOUND
    assert list(status) == ["kind", "apiVersion", "metadata", "status", "message", "reason", "details", "code"]
    assert status["details"] == {}


@pytest.mark.parametrize("resource", ["imagestreamtags", "imagetags"])
def test_watch_param_on_tag_lists_is_405_with_kind(http: httpx.Client, resource: str) -> None:
    response = http.get(f"{GROUP_PATH}/namespaces/n/{resource}", params={"watch": "true"})
    assert response.status_code == 405
    assert response.json()["message"] == \
        f'watch is not supported on resources of kind "{resource}.image.openshift.io"'
    assert response.json()["details"] == {"group": "image.openshift.io", "kind": resource}


def test_export_parameter_is_rejected(http: httpx.Client) -> None:
    http.post(streams_path(), json=stream_body("a")).raise_for_status()
    response = http.get(streams_path(name="a"), params={"export": "true"})
    assert response.status_code == 400
    assert response.json()["message"] == "the export parameter, deprecated since v1.14, is no longer supported"


def test_token_is_required_when_configured() -> None:
    cluster = FakeCluster(token="s3cret")
    with httpx.Client(transport=cluster.transport(), base_url="http://fake") as client:
        missing = client.get(streams_path())
        wrong = client.get(streams_path(), headers={"Authorization": "Bearer nope"})
        right = client.get(streams_path(), headers={"Authorization": "Bearer s3cret"})
        discovery = client.get("/apis")
    for response in (missing, wrong, discovery):
        assert response.status_code == 401
        assert _status_of(response) == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                        "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
    assert right.status_code == 200


def test_group_discovery(http: httpx.Client) -> None:
    groups = http.get("/apis").json()
    assert groups["kind"] == "APIGroupList"
    assert [g["name"] for g in groups["groups"]] == ["apps", "batch", "coordination.k8s.io", "apps.openshift.io",
                                                     "build.openshift.io", "image.openshift.io"]
    image_group = groups["groups"][-1]
    assert image_group["preferredVersion"]["groupVersion"] == "image.openshift.io/v1"
    group = http.get("/apis/image.openshift.io").json()
    assert group["kind"] == "APIGroup"
    assert group["versions"] == [{"groupVersion": "image.openshift.io/v1", "version": "v1"}]


def test_resource_list_follows_the_resource_table(http: httpx.Client) -> None:
    listing = http.get(GROUP_PATH).json()
    assert listing["kind"] == "APIResourceList"
    assert listing["groupVersion"] == "image.openshift.io/v1"
    entries = {entry["name"]: entry for entry in listing["resources"]}
    for plural, info in RESOURCES.items():
        entry = entries[plural]
        assert entry["kind"] == info.kind
        assert entry["namespaced"] == info.namespaced
        assert entry["singularName"] == info.singular
        assert sorted(entry["verbs"]) == sorted(info.verbs)
        for sub in info.subresources.values():
            assert sorted(entries[f"{plural}/{sub.name}"]["verbs"]) == sorted(sub.verbs)
    assert entries["imagestreams"]["shortNames"] == ["is"]
    assert entries["imagestreams"]["categories"] == ["all"]
    assert entries["imagestreamtags"]["shortNames"] == ["istag"]
    assert entries["imagetags"]["shortNames"] == ["itag"]
    assert entries["imagestreamimages"]["shortNames"] == ["isimage"]
    assert "watch" not in entries["imagestreamtags"]["verbs"]
    assert entries["imagesignatures"]["verbs"] == ["create", "delete"]
    assert entries["imagestreams/layers"]["kind"] == "ImageStreamLayers"


def test_core_discovery_and_version(http: httpx.Client) -> None:
    assert http.get("/api").json()["versions"] == ["v1"]
    core = {entry["name"]: entry for entry in http.get("/api/v1").json()["resources"]}
    assert core["namespaces"]["namespaced"] is False
    assert core["secrets"]["namespaced"] is True
    version = http.get("/version").json()
    assert version["major"] == "1"
    assert version["gitVersion"].startswith("v1.")


def test_openapi_v3_index_and_document(http: httpx.Client) -> None:
    index = http.get("/openapi/v3").json()
    url = index["paths"]["apis/image.openshift.io/v1"]["serverRelativeURL"]
    assert url.startswith("/openapi/v3/apis/image.openshift.io/v1?hash=")
    document = http.get(url)
    assert document.status_code == 200
    served = document.json()
    shipped = json.loads((Path(__file__).resolve().parents[2] / "imageapi/schema/openapi-v3.json").read_text())
    assert served == shipped
    assert any(path.endswith("/imagestreams") for path in served["paths"])


def test_openapi_v2_is_swagger_with_definitions(http: httpx.Client) -> None:
    document = http.get("/openapi/v2").json()
    assert document["swagger"] == "2.0"
    assert document.get("definitions")
    text = json.dumps(document)
    assert "#/components/schemas/" not in text
    assert "#/definitions/" in text


@pytest.mark.reference_set
def test_openapi_v2_covers_the_published_definitions(http: httpx.Client) -> None:
    reference = SHARED / "openapi-image-v1.json"
    if not reference.exists():
        pytest.skip(f"reference OpenAPI document not found at {reference}")
    published = json.loads(reference.read_text())
    served = http.get("/openapi/v2").json()
    # Every top-level kind of the group that the published document defines is served too.
    published_kinds = {name.rsplit(".", 1)[-1] for name, definition in published.get("definitions", {}).items()
                       if ".image.v1." in name and not name.endswith("List")
                       and {"kind", "apiVersion", "metadata"} <= set(definition.get("properties", {}))}
    served_kinds = {name.rsplit(".", 1)[-1] for name in served["definitions"]}
    assert {"ImageStream", "Image", "ImageStreamTag"} <= published_kinds
    assert published_kinds <= served_kinds, published_kinds - served_kinds


def test_health_endpoints_need_no_token() -> None:
    cluster = FakeCluster(token="t")
    with httpx.Client(transport=cluster.transport(), base_url="http://fake") as client:
        assert client.get("/healthz").text == "ok"


def test_openapi_v2_as_protobuf_is_a_minimal_document(http: httpx.Client) -> None:
    response = http.get("/openapi/v2", headers={"Accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    assert response.content == b"\x0a\x032.0"  # field 1 (swagger), length 3, "2.0"
    json_too = http.get("/openapi/v2", headers={"Accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf,"
                                                          " application/json"})
    assert json_too.json()["swagger"] == "2.0"
