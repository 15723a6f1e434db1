"""ImageStreamTag and ImageTag through the fake cluster's HTTP handling (server-semantics.md §6, §7)."""

from __future__ import annotations

from typing import Any

import pytest

from imageapi.testing._cluster import FakeCluster
from imageapi.testing._status import StatusError

API = "/apis/image.openshift.io/v1/namespaces/ns"


@pytest.fixture
def cluster() -> FakeCluster:
    cluster = FakeCluster(namespaces=["ns"])
    cluster.registry.add_image("quay.io/org/app:1.0")
    cluster.registry.add_image("quay.io/org/app:2.0")
    return cluster


def call(cluster: FakeCluster, method: str, path: str, body: Any = None, **query: str) -> tuple[int, Any]:
    return cluster.request(method, API + path, body=body, query=query)


def make_stream(cluster: FakeCluster, name: str = "app", labels: dict[str, str] | None = None,
                tags: dict[str, str] | None = None) -> dict:
    tag_list = [{"name": tag, "from": {"kind": "DockerImage", "name": ref}}
                for tag, ref in (tags or {"latest": "quay.io/org/app:1.0"}).items()]
    metadata: dict = {"name": name}
    if labels:
        metadata["labels"] = labels
    return cluster.create("imagestreams", {"metadata": metadata, "spec": {"tags": tag_list}}, "ns")


# --- ImageStreamTag ----------------------------------------------------------------------------------

def test_istag_get_projects_stream_and_image(cluster: FakeCluster) -> None:
    make_stream(cluster, labels={"team": "a"})
    stream = cluster.get("imagestreams", "app", "ns")
    istag = cluster.get("imagestreamtags", "app:latest", "ns")
    assert istag["kind"] == "ImageStreamTag"
    assert istag["metadata"]["uid"] == stream["metadata"]["uid"]
    assert istag["metadata"]["resourceVersion"] == stream["metadata"]["resourceVersion"]
    assert istag["metadata"]["labels"] == {"team": "a"}
    event = stream["status"]["tags"][0]["items"][0]
    assert istag["metadata"]["creationTimestamp"] == event["created"]
    assert istag["generation"] == event["generation"]
    assert istag["tag"]["name"] == "latest"
    assert istag["lookupPolicy"] == {"local": False}
    assert istag["image"]["metadata"]["name"] == event["image"]
    assert "dockerImageManifest" not in istag["image"] and "dockerImageConfig" not in istag["image"]
    assert istag["image"]["dockerImageMetadata"]["Architecture"] == "amd64"


def test_istag_local_reference_policy_uses_internal_repository(cluster: FakeCluster) -> None:
    make_stream(cluster)
    stream = cluster.get("imagestreams", "app", "ns")
    stream["spec"]["tags"][0]["referencePolicy"] = {"type": "Local"}
    status, _ = call(cluster, "PUT", "/imagestreams/app", stream)
    assert status == 200
    istag = cluster.get("imagestreamtags", "app:latest", "ns")
    digest = istag["image"]["metadata"]["name"]
    assert istag["image"]["dockerImageReference"] == f"image-registry.openshift-image-registry.svc:5000/ns/app@{digest}"


def test_istag_404_when_tag_has_no_image_even_with_spec_tag(cluster: FakeCluster) -> None:
    make_stream(cluster, tags={"pending": "quay.io/org/missing:1"})
    status, body = call(cluster, "GET", "/imagestreamtags/app:pending")
    assert status == 404
    assert body["message"] == 'imagestreamtags.image.openshift.io "app:pending" not found'
    status, body = call(cluster, "GET", "/imagestreamtags/nostream:x")
    assert body["message"] == 'imagestreams.image.openshift.io "nostream" not found'


@pytest.mark.parametrize("name", ["app", "a:b:c", "app@sha256:x", ":x", "app:"])
def test_istag_bad_names(cluster: FakeCluster, name: str) -> None:
    status, body = call(cluster, "GET", f"/imagestreamtags/{name}")
    assert status == 400
    assert body["message"] == "ImageStreamTags must be retrieved with <name>:<tag>"


def test_istag_list_quirks(cluster: FakeCluster) -> None:
    make_stream(cluster, "a", labels={"team": "x"})
    make_stream(cluster, "b", tags={"v1": "quay.io/org/app:1.0", "pending": "quay.io/org/missing:1"})
    status, body = call(cluster, "GET", "/imagestreamtags")
    assert status == 200
    assert body["metadata"] == {}
    assert [item["metadata"]["name"] for item in body["items"]] == ["a:latest", "b:v1"]
    item = body["items"][0]
    assert set(item["image"]) == {"metadata", "dockerImageReference", "dockerImageMetadata", "dockerImageMetadataVersion"}
    # limit pages through streams, and no continue token comes back
    _, body = call(cluster, "GET", "/imagestreamtags", limit="1")
    assert [item["metadata"]["name"] for item in body["items"]] == ["a:latest"]
    assert body["metadata"] == {}
    _, body = call(cluster, "GET", "/imagestreamtags", labelSelector="team=x")
    assert [item["metadata"]["name"] for item in body["items"]] == ["a:latest"]
    # the stream list is filtered on the stream name first, so an istag name matches nothing
    _, body = call(cluster, "GET", "/imagestreamtags", fieldSelector="metadata.name=a:latest")
    assert body["items"] is None
    status, body = call(cluster, "GET", "/imagestreamtags", fieldSelector="tag=x")
    assert status == 400


def test_istag_list_empty_is_null(cluster: FakeCluster) -> None:
    _, body = call(cluster, "GET", "/imagestreamtags")
    assert body == {"kind": "ImageStreamTagList", "apiVersion": "image.openshift.io/v1", "metadata": {}, "items": None}


def test_istag_create_adds_spec_tag_and_creates_stream(cluster: FakeCluster) -> None:
    body = {"metadata": {"name": "new:v1"}, "tag": {"from": {"kind": "DockerImage", "name": "quay.io/org/app:2.0"}}}
    status, created = call(cluster, "POST", "/imagestreamtags", body)
    assert status == 201
    assert created["tag"]["name"] == "v1"
    stream = cluster.get("imagestreams", "new", "ns")
    assert stream["metadata"]["generation"] >= 1
    assert [t["name"] for t in stream["spec"]["tags"]] == ["v1"]
    status, again = call(cluster, "POST", "/imagestreamtags", body)
    assert status == 409
    assert again["message"] == 'imagestreamtag.image.openshift.io "new:v1" already exists'


def test_istag_created_from_docker_image_resolves_afterwards(cluster: FakeCluster) -> None:
    body = {"metadata": {"name": "new:v1"}, "tag": {"from": {"kind": "DockerImage", "name": "quay.io/org/app:2.0"}}}
    status, created = call(cluster, "POST", "/imagestreamtags", body)
    assert status == 201
    assert created["image"]["metadata"] == {}  # the answer predates the (simulated) import controller
    assert created["metadata"]["creationTimestamp"] == cluster.get("imagestreams", "new", "ns")["metadata"]["creationTimestamp"]
    istag = cluster.get("imagestreamtags", "new:v1", "ns")
    assert istag["image"]["dockerImageReference"].startswith("quay.io/org/app@sha256:")


def test_istag_create_without_colon_is_a_client_error(cluster: FakeCluster) -> None:
    # Deviation: the real server answers 500 here; the fake answers 400 with the same message.
    status, body = call(cluster, "POST", "/imagestreamtags", {"metadata": {"name": "nocolon"}, "tag": None})
    assert status == 400
    assert body["message"] == '"nocolon" must be of the form <stream_name>:<tag>'


def test_istag_create_tag_annotations_must_match(cluster: FakeCluster) -> None:
    body = {"metadata": {"name": "app:v1", "annotations": {"a": "1"}},
            "tag": {"annotations": {"a": "2"}, "from": {"kind": "DockerImage", "name": "quay.io/org/app:1.0"}}}
    status, answer = call(cluster, "POST", "/imagestreamtags", body)
    assert status == 422
    assert "tag annotations must not be provided or must be equal to the object meta annotations" in answer["message"]


def test_istag_create_dry_run_writes_nothing(cluster: FakeCluster) -> None:
    body = {"metadata": {"name": "dry:v1"}, "tag": {"from": {"kind": "DockerImage", "name": "quay.io/org/app:1.0"}}}
    status, _ = call(cluster, "POST", "/imagestreamtags", body, dryRun="All")
    assert status == 201
    status, _ = call(cluster, "GET", "/imagestreams/dry")
    assert status == 404


def test_istag_blind_put_creates_spec_tag_201_then_200(cluster: FakeCluster) -> None:
    make_stream(cluster)
    body = {"metadata": {"name": "app:extra", "annotations": {"note": "x"}},
            "tag": {"from": {"kind": "DockerImage", "name": "quay.io/org/app:2.0"}}}
    status, answer = call(cluster, "PUT", "/imagestreamtags/app:extra", body)
    assert status == 201
    assert answer["tag"]["annotations"] == {"note": "x"}
    status, _ = call(cluster, "PUT", "/imagestreamtags/app:extra", body)
    assert status == 200
    spec_tag = {t["name"]: t for t in cluster.get("imagestreams", "app", "ns")["spec"]["tags"]}["extra"]
    assert spec_tag["annotations"] == {"note": "x"}


def test_istag_put_with_stale_resource_version_conflicts(cluster: FakeCluster) -> None:
    make_stream(cluster)
    istag = cluster.get("imagestreamtags", "app:latest", "ns")
    current = istag["metadata"]["resourceVersion"]
    istag["metadata"]["resourceVersion"] = "1"
    status, body = call(cluster, "PUT", "/imagestreamtags/app:latest", istag)
    assert status == 409
    assert body["message"] == ('Operation cannot be fulfilled on imagestreamtags.image.openshift.io "app:latest": '
                               f"another caller has updated the resource version to {current}")


def test_istag_put_with_resource_version_on_missing_stream_is_404(cluster: FakeCluster) -> None:
    body = {"metadata": {"name": "gone:v1", "resourceVersion": "5"}, "tag": {"from": {"kind": "DockerImage",
                                                                                      "name": "quay.io/org/app:1.0"}}}
    status, answer = call(cluster, "PUT", "/imagestreamtags/gone:v1", body)
    assert (status, answer["message"]) == (404, 'imagestreamtags.image.openshift.io "gone:v1" not found')


def test_istag_reference_tag_response_shows_external_reference(cluster: FakeCluster) -> None:
    cluster.config.simulate_import_controller = False
    body = {"metadata": {"name": "ref:v1"},
            "tag": {"from": {"kind": "DockerImage", "name": "quay.io/org/app:1.0"}, "reference": True}}
    status, created = call(cluster, "POST", "/imagestreamtags", body)
    assert status == 201
    assert created["image"]["dockerImageReference"] == "quay.io/org/app:1.0"
    assert call(cluster, "GET", "/imagestreamtags/ref:v1")[0] == 404  # no image: GET is still 404


def test_istag_put_cannot_change_labels(cluster: FakeCluster) -> None:
    make_stream(cluster)
    istag = cluster.get("imagestreamtags", "app:latest", "ns")
    istag["metadata"]["labels"] = {"new": "label"}
    status, body = call(cluster, "PUT", "/imagestreamtags/app:latest", istag)
    assert status == 422
    assert body["message"] == ('ImageStreamTag.image.openshift.io "app:latest" is invalid: metadata: Invalid value: "": '
                               "may not update fields other than metadata.annotations")


def test_istag_put_without_tag_on_status_only_tag_is_400(cluster: FakeCluster) -> None:
    make_stream(cluster)
    stream = cluster.get("imagestreams", "app", "ns")
    stream["spec"]["tags"] = []
    call(cluster, "PUT", "/imagestreams/app", stream)  # the status tag stays
    istag = cluster.get("imagestreamtags", "app:latest", "ns")
    assert istag["tag"] is None
    status, body = call(cluster, "PUT", "/imagestreamtags/app:latest", istag)
    assert status == 400
    assert body["message"] == "imagestreamtag latest is not a spec tag in imagestream ns/app, cannot be updated"


def test_istag_delete_removes_spec_and_status(cluster: FakeCluster) -> None:
    make_stream(cluster)
    status, body = call(cluster, "DELETE", "/imagestreamtags/app:latest")
    assert status == 200
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    stream = cluster.get("imagestreams", "app", "ns")
    assert "tags" not in stream["spec"] and "tags" not in stream["status"]
    status, body = call(cluster, "DELETE", "/imagestreamtags/app:latest")
    assert status == 404
    assert body["message"] == 'imagestreamtags.image.openshift.io "app:latest" not found'


def test_istag_delete_uid_precondition(cluster: FakeCluster) -> None:
    make_stream(cluster)
    status, _ = call(cluster, "DELETE", "/imagestreamtags/app:latest", {"preconditions": {"uid": "nope"}})
    assert status == 409


# --- ImageTag ----------------------------------------------------------------------------------------

def test_itag_get_shows_spec_status_and_image(cluster: FakeCluster) -> None:
    make_stream(cluster)
    stream = cluster.get("imagestreams", "app", "ns")
    itag = cluster.get("imagetags", "app:latest", "ns")
    assert itag["metadata"]["name"] == "app:latest"
    assert itag["metadata"]["uid"] == stream["metadata"]["uid"]
    assert itag["metadata"]["generation"] == stream["metadata"]["generation"]
    assert itag["spec"]["name"] == "latest"
    assert itag["status"]["items"] == stream["status"]["tags"][0]["items"]
    assert itag["image"]["metadata"]["name"] == stream["status"]["tags"][0]["items"][0]["image"]


def test_itag_without_image_has_null_image_and_missing_is_404(cluster: FakeCluster) -> None:
    make_stream(cluster, tags={"pending": "quay.io/org/missing:1"})
    itag = cluster.get("imagetags", "app:pending", "ns")
    assert itag["image"] is None
    status, body = call(cluster, "GET", "/imagetags/app:nothing")
    assert status == 404
    assert body["message"] == 'imagetags.image.openshift.io "app:nothing" not found'
    status, body = call(cluster, "GET", "/imagetags/bad")
    assert (status, body["message"]) == (400, "ImageTags must be retrieved with <name>:<tag>")


def test_itag_list_alphabetical_with_null_images(cluster: FakeCluster) -> None:
    make_stream(cluster, tags={"z": "quay.io/org/app:1.0", "a": "quay.io/org/app:2.0"})
    _, body = call(cluster, "GET", "/imagetags")
    assert [item["metadata"]["name"] for item in body["items"]] == ["app:a", "app:z"]
    assert all(item["image"] is None for item in body["items"])
    assert body["metadata"] == {}


def test_itag_list_selectors_choose_streams_then_items(cluster: FakeCluster) -> None:
    make_stream(cluster, "a", labels={"team": "x"}, tags={"v1": "quay.io/org/app:1.0", "v2": "quay.io/org/app:2.0"})
    make_stream(cluster, "b", labels={"team": "y"})
    make_stream(cluster, "c", labels={"team": "x"})
    _, body = call(cluster, "GET", "/imagetags", labelSelector="team=x", fieldSelector="metadata.namespace=ns")
    assert [item["metadata"]["name"] for item in body["items"]] == ["a:v1", "a:v2", "c:latest"]
    _, body = call(cluster, "GET", "/imagetags", labelSelector="team=x", fieldSelector="metadata.namespace=other")
    assert body["items"] is None
    status, body = call(cluster, "GET", "/imagetags", labelSelector="team in (x")
    assert status == 400
    assert body["reason"] == "BadRequest"


def test_itag_create_validation_and_conflict(cluster: FakeCluster) -> None:
    status, body = call(cluster, "POST", "/imagetags", {"metadata": {"name": "app:v1"}})
    assert status == 422
    assert "spec: Required value: spec is a required field during creation" in body["message"]
    status, body = call(cluster, "POST", "/imagetags", {"metadata": {"name": "app:v1"},
                                                        "spec": {"name": "other", "from": {"kind": "DockerImage",
                                                                                           "name": "quay.io/org/app:1.0"}}})
    assert status == 422
    assert 'spec.name: Invalid value: "other": must match image tag name' in body["message"]
    good = {"metadata": {"name": "app:v1"}, "spec": {"from": {"kind": "DockerImage", "name": "quay.io/org/app:1.0"}}}
    status, created = call(cluster, "POST", "/imagetags", good)
    assert status == 201 and created["spec"]["name"] == "v1"
    status, body = call(cluster, "POST", "/imagetags", good)
    assert status == 409
    assert body["message"] == 'imagetags.image.openshift.io "app:v1" already exists'


def test_itag_put_null_spec_deletes_spec_tag_keeps_status(cluster: FakeCluster) -> None:
    make_stream(cluster)
    itag = cluster.get("imagetags", "app:latest", "ns")
    itag["spec"] = None
    itag.pop("image")
    status, answer = call(cluster, "PUT", "/imagetags/app:latest", itag)
    assert status == 200
    assert answer["spec"] is None and answer["status"] is not None
    stream = cluster.get("imagestreams", "app", "ns")
    assert "tags" not in stream["spec"] and stream["status"]["tags"][0]["tag"] == "latest"


def test_itag_put_must_send_status_back(cluster: FakeCluster) -> None:
    make_stream(cluster)
    itag = cluster.get("imagetags", "app:latest", "ns")
    itag["status"] = None
    status, body = call(cluster, "PUT", "/imagetags/app:latest", itag)
    assert status == 422
    assert 'status: Invalid value: "": may not update fields other than spec' in body["message"]


def test_itag_blind_put_on_missing_stream_creates_it(cluster: FakeCluster) -> None:
    body = {"metadata": {"name": "fresh:v1"}, "spec": {"from": {"kind": "DockerImage", "name": "quay.io/org/app:1.0"}},
            "status": None}
    status, _ = call(cluster, "PUT", "/imagetags/fresh:v1", body)
    assert status == 201
    assert cluster.get("imagestreams", "fresh", "ns")["spec"]["tags"][0]["name"] == "v1"


def test_itag_delete(cluster: FakeCluster) -> None:
    make_stream(cluster)
    status, _ = call(cluster, "DELETE", "/imagetags/app:latest")
    assert status == 200
    status, body = call(cluster, "DELETE", "/imagetags/app:latest")
    assert (status, body["message"]) == (404, 'imagetags.image.openshift.io "app:latest" not found')


def test_status_error_type_is_reused(cluster: FakeCluster) -> None:
    with pytest.raises(StatusError) as caught:
        cluster.get("imagestreamtags", "app:latest", "ns")
    assert caught.value.code == 404


def test_itag_blind_put_creating_stream_requires_spec(cluster: FakeCluster) -> None:
    status, body = call(cluster, "PUT", "/imagetags/fresh:v1", {"metadata": {"name": "fresh:v1", "labels": {"a": "b"}},
                                                               "spec": None})
    assert status == 422
    assert "spec: Required value: spec is a required field during creation" in body["message"]


def test_missing_image_object_is_404_images_for_istag_get_only(cluster: FakeCluster) -> None:
    make_stream(cluster)
    digest = cluster.get("imagestreamtags", "app:latest", "ns")["image"]["metadata"]["name"]
    cluster.delete("images", digest)
    status, body = call(cluster, "GET", "/imagestreamtags/app:latest")
    assert (status, body["message"]) == (404, f'images.image.openshift.io "{digest}" not found')
    assert cluster.get("imagetags", "app:latest", "ns")["image"] is None
