"""ImageStreamImage, ImageStreamMapping, ImageStreamImport over HTTP, and the layers/secrets subresources."""

from __future__ import annotations

from typing import Any

import pytest

from imageapi.testing._cluster import FakeCluster

API = "/apis/image.openshift.io/v1/namespaces/ns"
INTERNAL = "image-registry.openshift-image-registry.svc:5000"


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster(namespaces=["ns"])


def call(cluster: FakeCluster, method: str, path: str, body: Any = None, **query: str) -> tuple[int, Any]:
    return cluster.request(method, API + path, body=body, query=query)


def tagged_stream(cluster: FakeCluster, **images: str) -> dict[str, dict]:
    """A stream ``app`` whose tags resolve (through the simulated controller) to registry images."""
    published = {tag: cluster.registry.add_image(ref) for tag, ref in images.items()}
    cluster.create("imagestreams", {"metadata": {"name": "app", "annotations": {"note": "n"}}, "spec": {"tags": [
        {"name": tag, "from": {"kind": "DockerImage", "name": ref}} for tag, ref in images.items()]}}, "ns")
    return published


# --- ImageStreamImage ----------------------------------------------------------------------------------

def test_isimage_by_digest_and_prefix(cluster: FakeCluster) -> None:
    digest = tagged_stream(cluster, latest="quay.io/org/app:1")["latest"]["metadata"]["name"]
    for image_id in (digest, digest[:12], digest[7:15]):
        status, body = call(cluster, "GET", f"/imagestreamimages/app@{image_id}")
        assert status == 200
        assert body["kind"] == "ImageStreamImage"
        assert body["metadata"]["name"] == f"app@{image_id}"
        assert body["metadata"]["annotations"]["note"] == "n"
        assert "uid" not in body["metadata"] and "resourceVersion" not in body["metadata"]
        assert body["image"]["metadata"]["name"] == digest
        assert "dockerImageManifest" not in body["image"]


def test_isimage_errors(cluster: FakeCluster) -> None:
    tagged_stream(cluster, latest="quay.io/org/app:1")
    status, body = call(cluster, "GET", "/imagestreamimages/app@sha256:ffff")
    assert (status, body["message"]) == (404, 'imagestreamimage.image.openshift.io "app@sha256:ffff" not found')
    status, body = call(cluster, "GET", "/imagestreamimages/app")
    assert (status, body["message"]) == (400, "ImageStreamImages must be retrieved with <name>@<id>")
    status, body = call(cluster, "GET", "/imagestreamimages/none@abc")
    assert (status, body["message"]) == (404, 'imagestreams.image.openshift.io "none" not found')


def test_isimage_finds_manifest_list_children(cluster: FakeCluster) -> None:
    listed = cluster.registry.add_image("quay.io/org/multi:1", manifest_list=True)
    cluster.create("imagestreams", {"metadata": {"name": "app"}, "spec": {"tags": [
        {"name": "m", "from": {"kind": "DockerImage", "name": "quay.io/org/multi:1"},
         "importPolicy": {"importMode": "PreserveOriginal"}}]}}, "ns")
    child = listed["dockerImageManifests"][1]["digest"]
    status, body = call(cluster, "GET", f"/imagestreamimages/app@{child}")
    assert status == 200 and body["image"]["metadata"]["name"] == child


# --- ImageStreamMapping ------------------------------------------------------------------------------

def mapping(tag: str | None = "v1", name: str = "sha256:" + "cd" * 32, **image: Any) -> dict:
    body: dict = {"metadata": {"name": "app"}, "image": {"metadata": {"name": name}, **image}}
    if tag is not None:
        body["tag"] = tag
    return body


def test_mapping_creates_image_and_tags_it_answering_a_status(cluster: FakeCluster) -> None:
    cluster.create("imagestreams", {"metadata": {"name": "app"}}, "ns")
    status, body = call(cluster, "POST", "/imagestreammappings", mapping())
    assert status == 201
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
    digest = "sha256:" + "cd" * 32
    image = cluster.get("images", digest)
    assert image["dockerImageReference"] == f"{INTERNAL}/ns/app@{digest}"
    stream = cluster.get("imagestreams", "app", "ns")
    event = stream["status"]["tags"][0]["items"][0]
    assert event["image"] == digest and event["generation"] == stream["metadata"]["generation"]
    assert "tags" not in stream["spec"]


def test_mapping_errors(cluster: FakeCluster) -> None:
    status, body = call(cluster, "POST", "/imagestreammappings", mapping(tag=None))
    assert status == 422 and "tag: Required value" in body["message"]
    status, body = call(cluster, "POST", "/imagestreammappings", mapping(dockerImageReference="BAD REF"))
    assert status == 422 and 'image.dockerImageReference: Invalid value: "BAD REF"' in body["message"]
    status, body = call(cluster, "POST", "/imagestreammappings", mapping())
    assert (status, body["message"]) == (404, 'imagestreams.image.openshift.io "app" not found')


def test_mapping_dry_run_is_not_honoured(cluster: FakeCluster) -> None:
    cluster.create("imagestreams", {"metadata": {"name": "app"}}, "ns")
    call(cluster, "POST", "/imagestreammappings", mapping(), dryRun="All")
    assert cluster.get("imagestreams", "app", "ns")["status"]["tags"][0]["tag"] == "v1"


# --- ImageStreamImport over HTTP ----------------------------------------------------------------------

def test_import_over_http_and_istag_afterwards(cluster: FakeCluster) -> None:
    image = cluster.registry.add_image("quay.io/org/app:1.0")
    status, body = call(cluster, "POST", "/imagestreamimports", {
        "metadata": {"name": "app"},
        "spec": {"import": True, "images": [{"from": {"kind": "DockerImage", "name": "quay.io/org/app:1.0"},
                                             "to": {"name": "stable"}}]}})
    assert status == 201
    assert body["kind"] == "ImageStreamImport"
    assert body["status"]["import"]["kind"] == "ImageStream"
    istag = cluster.get("imagestreamtags", "app:stable", "ns")
    assert istag["image"]["metadata"]["name"] == image["metadata"]["name"]


def test_hook_resolves_tag_created_over_http(cluster: FakeCluster) -> None:
    image = cluster.registry.add_image("quay.io/org/app:1.0")
    status, created = call(cluster, "POST", "/imagestreams", {"metadata": {"name": "app"}, "spec": {"tags": [
        {"name": "latest", "from": {"kind": "DockerImage", "name": "quay.io/org/app:1.0"}}]}})
    assert status == 201
    assert "tags" not in created["status"]  # the response predates the (simulated) controller
    istag = cluster.get("imagestreamtags", "app:latest", "ns")
    assert istag["image"]["metadata"]["name"] == image["metadata"]["name"]


def test_hook_not_run_on_dry_run(cluster: FakeCluster) -> None:
    cluster.registry.add_image("quay.io/org/app:1.0")
    call(cluster, "POST", "/imagestreams", {"metadata": {"name": "app"}, "spec": {"tags": [
        {"name": "latest", "from": {"kind": "DockerImage", "name": "quay.io/org/app:1.0"}}]}}, dryRun="All")
    assert call(cluster, "GET", "/imagestreams/app")[0] == 404


# --- layers ---------------------------------------------------------------------------------------------

def test_layers_cover_the_whole_history(cluster: FakeCluster) -> None:
    first = cluster.registry.add_image("quay.io/org/app:1", layers=[10, 20])
    cluster.create("imagestreams", {"metadata": {"name": "app"}, "spec": {"tags": [
        {"name": "latest", "from": {"kind": "DockerImage", "name": "quay.io/org/app:1"}}]}}, "ns")
    second = cluster.registry.add_image("quay.io/org/app:1", layers=[30])  # the tag moves
    stream = cluster.get("imagestreams", "app", "ns")
    stream["spec"]["tags"][0]["generation"] = 0  # ask for a re-import
    assert call(cluster, "PUT", "/imagestreams/app", stream)[0] == 200
    status, body = call(cluster, "GET", "/imagestreams/app/layers")
    assert status == 200
    assert body["kind"] == "ImageStreamLayers"
    assert body["metadata"]["name"] == "app" and body["metadata"]["uid"]
    assert set(body["images"]) == {first["metadata"]["name"], second["metadata"]["name"]}
    entry = body["images"][first["metadata"]["name"]]
    assert entry["layers"] == [layer["name"] for layer in first["dockerImageLayers"]]
    assert entry["config"] == first["dockerImageMetadata"]["Id"]
    assert entry["imageMissing"] is False
    assert body["blobs"][entry["layers"][0]] == {"size": 10, "mediaType": first["dockerImageLayers"][0]["mediaType"]}
    assert body["blobs"][entry["config"]] == {"size": None, "mediaType": "application/vnd.docker.container.image.v1+json"}
    assert body["blobs"][first["metadata"]["name"]]["size"] is None


def test_layers_missing_image_and_stream(cluster: FakeCluster) -> None:
    image = tagged_stream(cluster, latest="quay.io/org/app:1")["latest"]
    cluster.delete("images", image["metadata"]["name"])
    _, body = call(cluster, "GET", "/imagestreams/app/layers")
    assert body["images"][image["metadata"]["name"]] == {"layers": None, "config": None, "imageMissing": True}
    status, body = call(cluster, "GET", "/imagestreams/none/layers")
    assert (status, body["message"]) == (404, 'imagestreams.image.openshift.io "none" not found')


# --- secrets --------------------------------------------------------------------------------------------

def test_secrets_lists_docker_secrets_only(cluster: FakeCluster) -> None:
    cluster.add_secret("ns", "pull", "kubernetes.io/dockerconfigjson")
    cluster.add_secret("ns", "old", "kubernetes.io/dockercfg", labels={"a": "b"})
    cluster.add_secret("ns", "opaque", "Opaque")
    cluster.add_secret("ns", "hidden", "kubernetes.io/dockercfg", annotations={"openshift.io/image.excludeSecret": "true"})
    status, body = call(cluster, "GET", "/imagestreams/does-not-matter/secrets")
    assert status == 200
    assert body["kind"] == "SecretList" and body["apiVersion"] == "image.openshift.io/v1"
    assert [s["metadata"]["name"] for s in body["items"]] == ["old", "pull"]
    _, body = call(cluster, "GET", "/imagestreams/x/secrets", labelSelector="a=b")
    assert [s["metadata"]["name"] for s in body["items"]] == ["old"]


def test_mapping_of_managed_image_already_stored_uses_this_stream(cluster: FakeCluster) -> None:
    cluster.create("imagestreams", {"metadata": {"name": "app"}}, "ns")
    digest = "sha256:" + "cd" * 32
    managed = {"openshift.io/image.managed": "true"}
    cluster.create("images", {"metadata": {"name": digest, "annotations": managed},
                              "dockerImageReference": f"{INTERNAL}/other/x@{digest}"})
    body = mapping(dockerImageReference=f"{INTERNAL}/other/x@{digest}")
    body["image"]["metadata"]["annotations"] = managed
    assert call(cluster, "POST", "/imagestreammappings", body)[0] == 201
    event = cluster.get("imagestreams", "app", "ns")["status"]["tags"][0]["items"][0]
    assert event["dockerImageReference"] == f"{INTERNAL}/ns/app@{digest}"


def test_mapping_by_legacy_repository(cluster: FakeCluster) -> None:
    cluster.create("imagestreams", {"metadata": {"name": "app"}, "spec": {"dockerImageRepository": "quay.io/org/app"}},
                   "ns")
    body = mapping(dockerImageReference="quay.io/org/app@sha256:" + "cd" * 32)
    body["metadata"] = {}
    body["dockerImageRepository"] = "quay.io/org/app"
    assert call(cluster, "POST", "/imagestreammappings", body)[0] == 201
    body["dockerImageRepository"] = "quay.io/org/none"
    status, answer = call(cluster, "POST", "/imagestreammappings", body)
    assert status == 422
    assert 'dockerImageStream: Not found: "quay.io/org/none"' in answer["message"]


# --- imagestreams over HTTP -----------------------------------------------------------------------

def test_status_put_over_http_keeps_spec_and_changes_lookup_policy(cluster: FakeCluster) -> None:
    cluster.create("imagestreams", {"metadata": {"name": "app"}, "spec": {"tags": [
        {"name": "a", "from": {"kind": "DockerImage", "name": "quay.io/org/a:1"}, "reference": True}]}}, "ns")
    stream = cluster.get("imagestreams", "app", "ns")
    stream["spec"]["tags"] = []
    stream["spec"]["lookupPolicy"] = {"local": True}
    status, body = call(cluster, "PUT", "/imagestreams/app/status", stream)
    assert status == 200
    assert [t["name"] for t in body["spec"]["tags"]] == ["a"]
    assert body["spec"]["lookupPolicy"] == {"local": True}
    assert body["metadata"]["generation"] == stream["metadata"]["generation"]


def test_imagestream_field_selectors_over_http(cluster: FakeCluster) -> None:
    cluster.create("imagestreams", {"metadata": {"name": "app"}}, "ns")
    cluster.create("imagestreams", {"metadata": {"name": "other"}}, "ns")
    status, body = call(cluster, "GET", "/imagestreams",
                        fieldSelector=f"status.dockerImageRepository={INTERNAL}/ns/app")
    assert status == 200 and [s["metadata"]["name"] for s in body["items"]] == ["app"]
    status, body = call(cluster, "GET", "/imagestreams", fieldSelector="spec.tags=x")
    assert status == 400
