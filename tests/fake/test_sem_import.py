"""The fake registry, ImageStreamImport and the simulated import controller."""

from __future__ import annotations

import json

import pytest
from _semantics_driver import Cluster, docker_tag, stream

from imageapi.testing._contracts import ServerConfig
from imageapi.testing._references import sha256_digest
from imageapi.testing._registry import FakeRegistry
from imageapi.testing._status import StatusError


def isi(name: str, *images: dict, import_: bool = True, **spec: object) -> dict:
    return {"kind": "ImageStreamImport", "apiVersion": "image.openshift.io/v1", "metadata": {"name": name},
            "spec": {"import": import_, "images": list(images), **spec}}


def from_(ref: str, to: str | None = None) -> dict:
    item: dict = {"from": {"kind": "DockerImage", "name": ref}}
    if to:
        item["to"] = {"name": to}
    return item


# --- registry --------------------------------------------------------------------------------------

def test_registry_images_are_realistic_and_deterministic() -> None:
    image = FakeRegistry().add_image("quay.io/org/app:1.0", layers=[100, 200], labels={"v": "1"})
    assert image == FakeRegistry().add_image("quay.io/org/app:1.0", layers=[100, 200], labels={"v": "1"})
    assert image["metadata"]["name"] == sha256_digest(image["dockerImageManifest"])
    manifest = json.loads(image["dockerImageManifest"])
    assert manifest["schemaVersion"] == 2
    assert manifest["config"]["digest"] == sha256_digest(image["dockerImageConfig"])
    assert [layer["size"] for layer in image["dockerImageLayers"]] == [100, 200]
    metadata = image["dockerImageMetadata"]
    assert metadata["kind"] == "DockerImage" and metadata["apiVersion"] == "image.openshift.io/1.0"
    assert metadata["Id"] == manifest["config"]["digest"]
    assert metadata["Config"]["Labels"] == {"v": "1"}
    assert metadata["Architecture"] == "amd64"
    assert image["dockerImageReference"] == f"quay.io/org/app@{image['metadata']['name']}"


def test_registry_different_tags_differ_and_layer_count() -> None:
    registry = FakeRegistry()
    one, two = registry.add_image("quay.io/org/app:1"), registry.add_image("quay.io/org/app:2", layers=3)
    assert one["metadata"]["name"] != two["metadata"]["name"]
    assert len(one["dockerImageLayers"]) == 8 and len(two["dockerImageLayers"]) == 3
    assert registry.tags("quay.io/org/app") == ["1", "2"]


# --- ImageStreamImport -----------------------------------------------------------------------------

@pytest.fixture
def cluster() -> Cluster:
    return Cluster(ServerConfig(simulate_import_controller=False))


def test_import_false_reports_without_writing(cluster: Cluster) -> None:
    image = cluster.registry.add_image("quay.io/org/app:1.0")
    code, body = cluster.virtual("imagestreamimports").create(cluster.ctx(), "ns", isi("app", from_("quay.io/org/app:1.0"),
                                                                                      import_=False))
    assert code == 201
    result = body["status"]["images"][0]
    assert result["status"] == {"metadata": {}, "status": "Success"}
    assert result["tag"] == "1.0"
    assert result["image"]["metadata"]["name"] == image["metadata"]["name"]
    assert "dockerImageManifest" not in result["image"]
    assert "import" not in body["status"]
    assert body["metadata"]["uid"] and body["metadata"]["namespace"] == "ns"
    assert cluster.store.get("imagestreams", "ns", "app") is None
    assert cluster.store.get("images", None, image["metadata"]["name"]) is None


def test_import_true_creates_stream_images_and_tag(cluster: Cluster) -> None:
    image = cluster.registry.add_image("quay.io/org/app:1.0")
    digest = image["metadata"]["name"]
    _, body = cluster.virtual("imagestreamimports").create(cluster.ctx(), "ns", isi("app", from_("quay.io/org/app:1.0")))
    imported = body["status"]["import"]
    assert imported["metadata"]["generation"] == 1
    assert imported["spec"]["tags"][0]["name"] == "1.0"
    assert imported["spec"]["tags"][0]["generation"] == 1
    event = imported["status"]["tags"][0]["items"][0]
    assert event["dockerImageReference"] == f"quay.io/org/app@{digest}"
    assert event["image"] == digest and event["generation"] == 1
    assert "openshift.io/image.dockerRepositoryCheck" in imported["metadata"]["annotations"]
    stored_image = cluster.store.get("images", None, digest)
    assert stored_image is not None and "dockerImageManifest" not in stored_image
    assert body["status"]["images"][0]["image"]["metadata"]["uid"] == stored_image["metadata"]["uid"]


def test_import_into_existing_stream_bumps_generation(cluster: Cluster) -> None:
    cluster.create("imagestreams", stream("app"))
    cluster.registry.add_image("quay.io/org/app:1.0")
    _, body = cluster.virtual("imagestreamimports").create(cluster.ctx(), "ns",
                                                           isi("app", from_("quay.io/org/app:1.0", "latest")))
    imported = body["status"]["import"]
    assert imported["metadata"]["generation"] == 2
    assert imported["spec"]["tags"][0]["generation"] == 2
    assert imported["status"]["tags"][0]["items"][0]["generation"] == 2


def test_unknown_image_fails_per_image_and_sets_condition(cluster: Cluster) -> None:
    _, body = cluster.virtual("imagestreamimports").create(cluster.ctx(), "ns", isi("app", from_("quay.io/org/nope:1")))
    failure = body["status"]["images"][0]["status"]
    assert failure["status"] == "Failure" and failure["reason"] == "NotFound" and failure["code"] == 404
    assert failure["message"] == 'dockerimage.image.openshift.io "quay.io/org/nope:1" not found'
    tag = body["status"]["import"]["status"]["tags"][0]
    assert tag["conditions"][0]["type"] == "ImportSuccess"
    assert tag["conditions"][0]["status"] == "False"
    assert tag["conditions"][0]["reason"] == "NotFound"


def test_unauthorized_reference(cluster: Cluster) -> None:
    cluster.registry.add_image("quay.io/org/secret:1")
    cluster.registry.fail("quay.io/org/secret:1")
    _, body = cluster.virtual("imagestreamimports").create(cluster.ctx(), "ns", isi("app", from_("quay.io/org/secret:1"),
                                                                                  import_=False))
    failure = body["status"]["images"][0]["status"]
    assert failure["reason"] == "Unauthorized" and failure["code"] == 401
    assert failure["message"] == 'you may not have access to the container image "quay.io/org/secret:1"'


def test_require_auth_uses_namespace_pull_secrets(cluster: Cluster) -> None:
    cluster.registry.add_image("private.example/org/app:1")
    cluster.registry.require_auth("private.example", "pull")
    create = cluster.virtual("imagestreamimports").create
    _, body = create(cluster.ctx(), "ns", isi("app", from_("private.example/org/app:1"), import_=False))
    assert body["status"]["images"][0]["status"]["reason"] == "Unauthorized"
    cluster.put_secret("pull", "kubernetes.io/dockerconfigjson")
    _, body = create(cluster.ctx(), "ns", isi("app", from_("private.example/org/app:1"), import_=False))
    assert body["status"]["images"][0]["status"]["status"] == "Success"


def test_digest_only_import_is_not_tagged(cluster: Cluster) -> None:
    digest = cluster.registry.add_image("quay.io/org/app:1.0")["metadata"]["name"]
    _, body = cluster.virtual("imagestreamimports").create(cluster.ctx(), "ns", isi("app", from_(f"quay.io/org/app@{digest}")))
    assert body["status"]["images"][0]["status"]["status"] == "Success"
    assert "tags" not in body["status"]["import"]["spec"]
    assert cluster.store.get("images", None, digest) is not None


def test_validation(cluster: Cluster) -> None:
    create = cluster.virtual("imagestreamimports").create
    with pytest.raises(StatusError) as caught:
        create(cluster.ctx(), "ns", isi("app"))
    assert caught.value.code == 422
    assert caught.value.message == ('ImageStreamImport.image.openshift.io "app" is invalid: spec.images: '
                                    'Invalid value: "null": you must specify at least one image or a repository import')
    with pytest.raises(StatusError) as caught:
        create(cluster.ctx(), "ns", isi("app", {"from": {"kind": "ImageStreamTag", "name": "x:y"}}))
    assert 'spec.images[0].from.kind: Invalid value: "ImageStreamTag": only DockerImage is supported' in caught.value.message
    with pytest.raises(StatusError) as caught:
        create(cluster.ctx(), "ns", isi("app", repository={"from": {"kind": "DockerImage", "name": "quay.io/a/b:1"}}))
    assert "you must specify an image repository, not a tag or ID" in caught.value.message


def test_resource_version_precondition(cluster: Cluster) -> None:
    created = cluster.create("imagestreams", stream("app"))
    body = isi("app", from_("quay.io/org/app:1"))
    body["metadata"]["resourceVersion"] = "999"
    with pytest.raises(StatusError) as caught:
        cluster.virtual("imagestreamimports").create(cluster.ctx(), "ns", body)
    assert caught.value.code == 409
    assert caught.value.message == ('Operation cannot be fulfilled on imagestream.image.openshift.io "app": the image '
                                    f'stream was updated from "999" to "{created["metadata"]["resourceVersion"]}"')


def test_dry_run_is_not_honoured(cluster: Cluster) -> None:
    cluster.registry.add_image("quay.io/org/app:1.0")
    cluster.virtual("imagestreamimports").create(cluster.ctx(dry_run=True), "ns", isi("app", from_("quay.io/org/app:1.0")))
    assert cluster.store.get("imagestreams", "ns", "app") is not None


def test_repository_import_with_limit() -> None:
    cluster = Cluster(ServerConfig(simulate_import_controller=False, max_images_bulk_imported_per_repository=2))
    cluster.registry.add_repository("quay.io/org/app", ["1", "2", "3"])
    _, body = cluster.virtual("imagestreamimports").create(
        cluster.ctx(), "ns", {"metadata": {"name": "app"},
                              "spec": {"import": True, "repository": {"from": {"kind": "DockerImage", "name": "quay.io/org/app"}}}})
    repository = body["status"]["repository"]
    assert repository["status"]["status"] == "Success"
    assert [result["tag"] for result in repository["images"]] == ["3", "2"]
    assert repository["additionalTags"] == ["1"]
    tags = body["status"]["import"]["spec"]["tags"]
    assert [(t["name"], t["from"]["name"]) for t in tags] == [("2", "quay.io/org/app:2"), ("3", "quay.io/org/app:3")]


def test_manifest_list_legacy_picks_amd64_and_preserve_keeps_list(cluster: Cluster) -> None:
    listed = cluster.registry.add_image("quay.io/org/multi:1", manifest_list=True)
    create = cluster.virtual("imagestreamimports").create
    _, body = create(cluster.ctx(), "ns", isi("app", from_("quay.io/org/multi:1"), import_=False))
    legacy = body["status"]["images"][0]
    amd64 = next(m for m in listed["dockerImageManifests"] if m["architecture"] == "amd64")
    assert legacy["image"]["metadata"]["name"] == amd64["digest"]
    item = from_("quay.io/org/multi:1")
    item["importPolicy"] = {"importMode": "PreserveOriginal"}
    _, body = create(cluster.ctx(), "ns", isi("app", item, import_=False))
    preserved = body["status"]["images"][0]
    assert preserved["image"]["metadata"]["name"] == listed["metadata"]["name"]
    assert len(preserved["manifests"]) == 4


# --- simulated controller ----------------------------------------------------------------------------

def test_controller_resolves_docker_tag_after_create() -> None:
    cluster = Cluster()
    digest = cluster.registry.add_image("quay.io/org/app:1.0")["metadata"]["name"]
    cluster.create("imagestreams", stream("app", [docker_tag("latest", "quay.io/org/app:1.0")]))
    read = cluster.get("imagestreams", "app")
    assert read["metadata"]["generation"] == 2
    assert read["spec"]["tags"][0]["generation"] == 2
    event = read["status"]["tags"][0]["items"][0]
    assert event["image"] == digest and event["generation"] == 2
    assert event["dockerImageReference"] == f"quay.io/org/app@{digest}"


def test_controller_records_failure_once() -> None:
    cluster = Cluster()
    cluster.create("imagestreams", stream("app", [docker_tag("latest", "quay.io/org/missing:1")]))
    read = cluster.get("imagestreams", "app")
    condition = read["status"]["tags"][0]["conditions"][0]
    assert condition["reason"] == "NotFound" and condition["generation"] == read["metadata"]["generation"]
    # A metadata-only update does not trigger another import (generations are caught up).
    read["metadata"]["labels"] = {"a": "b"}
    assert cluster.update("imagestreams", read)["metadata"]["generation"] == read["metadata"]["generation"]


def test_controller_skips_reference_tags_and_can_be_switched_off() -> None:
    cluster = Cluster()
    cluster.registry.add_image("quay.io/org/app:1.0")
    created = cluster.create("imagestreams", stream("app", [docker_tag("latest", "quay.io/org/app:1.0", reference=True)]))
    assert cluster.get("imagestreams", "app")["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    off = Cluster(ServerConfig(simulate_import_controller=False))
    off.registry.add_image("quay.io/org/app:1.0")
    off.create("imagestreams", stream("app", [docker_tag("latest", "quay.io/org/app:1.0")]))
    assert "tags" not in off.get("imagestreams", "app")["status"]


def test_repeated_failure_keeps_one_condition_and_spec_tag(cluster: Cluster) -> None:
    create = cluster.virtual("imagestreamimports").create
    create(cluster.ctx(), "ns", isi("app", from_("quay.io/org/nope:1", "t")))
    cluster.tick()
    _, body = create(cluster.ctx(), "ns", isi("app", from_("quay.io/org/nope:1", "t")))
    stream = body["status"]["import"]
    assert len(stream["status"]["tags"][0]["conditions"]) == 1
    assert stream["spec"]["tags"][0]["from"] == {"kind": "DockerImage", "name": "quay.io/org/nope:1"}
    assert stream["metadata"]["generation"] == 1  # nothing changed the second time


def test_failure_then_success_clears_condition(cluster: Cluster) -> None:
    create = cluster.virtual("imagestreamimports").create
    create(cluster.ctx(), "ns", isi("app", from_("quay.io/org/late:1", "t")))
    cluster.registry.add_image("quay.io/org/late:1")
    _, body = create(cluster.ctx(), "ns", isi("app", from_("quay.io/org/late:1", "t")))
    tag = body["status"]["import"]["status"]["tags"][0]
    assert "conditions" not in tag
    assert tag["items"][0]["generation"] == body["status"]["import"]["metadata"]["generation"] == 2


def test_controller_honours_prefer_arch_annotation() -> None:
    cluster = Cluster()
    listed = cluster.registry.add_image("quay.io/org/multi:1", manifest_list=True)
    arm = next(m["digest"] for m in listed["dockerImageManifests"] if m["architecture"] == "arm64")
    tag = docker_tag("latest", "quay.io/org/multi:1", annotations={"importer.image.openshift.io/prefer-arch": "arm64"})
    cluster.create("imagestreams", stream("app", [tag]))
    assert cluster.get("imagestreams", "app")["status"]["tags"][0]["items"][0]["image"] == arm


def test_registry_lookup_by_tag_and_digest_and_remove() -> None:
    registry = FakeRegistry()
    image = registry.add_image("quay.io/org/app:1.0")
    digest = image["metadata"]["name"]
    assert registry.lookup("quay.io/org/app:1.0") == image
    assert registry.lookup(f"quay.io/org/app@{digest}") == image
    registry.remove_image("quay.io/org/app:1.0")
    assert registry.lookup("quay.io/org/app:1.0") is None
    assert registry.lookup(f"quay.io/org/app@{digest}") == image  # the manifest stays reachable by digest
    assert registry.lookup("docker.io/library/nginx") is None
    registry.add_image("nginx")
    assert registry.lookup("docker.io/library/nginx:latest") is not None
