"""Every resource and verb against the fake cluster, in process, on both clients."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from imageapi import ConflictError, NotFoundError
from imageapi.models import (
    Image,
    ImageList,
    ImageSignature,
    ImageStream,
    ImageStreamImage,
    ImageStreamImport,
    ImageStreamLayers,
    ImageStreamList,
    ImageStreamTag,
    ImageTag,
    Preconditions,
    SecretList,
    Status,
)

DIGEST = "sha256:" + "ab" * 32


def image_body(digest: str = DIGEST, **labels: str) -> dict[str, Any]:
    return {"metadata": {"name": digest, "labels": labels}, "dockerImageReference": f"quay.io/org/app@{digest}"}


def test_images_crud(client: Any) -> None:
    created = client.images.create(image_body(team="a"))
    assert isinstance(created, Image)
    assert created.metadata.uid
    read = client.images.get(DIGEST)
    assert read.docker_image_reference == f"quay.io/org/app@{DIGEST}"

    read.metadata.labels = {"team": "b"}
    replaced = client.images.replace(read)
    assert replaced.metadata.labels == {"team": "b"}
    assert int(replaced.metadata.resource_version) > int(read.metadata.resource_version)

    patched = client.images.patch(DIGEST, {"metadata": {"annotations": {"note": "x"}}})
    assert patched.metadata.annotations == {"note": "x"}

    status = client.images.delete(DIGEST)
    assert isinstance(status, Status)
    assert status.status == "Success"
    with pytest.raises(NotFoundError):
        client.images.get(DIGEST)


def test_images_delete_collection_by_label(client: Any, cluster: Any) -> None:
    client.images.create(image_body("sha256:" + "01" * 32, team="a"))
    client.images.create(image_body("sha256:" + "02" * 32, team="a"))
    client.images.create(image_body("sha256:" + "03" * 32, team="b"))
    deleted = client.images.delete_collection(label_selector="team=a")
    assert isinstance(deleted, ImageList)
    assert sorted(item.metadata.name for item in deleted.items) == ["sha256:" + "01" * 32, "sha256:" + "02" * 32]
    assert [item["metadata"]["name"] for item in cluster.list("images")] == ["sha256:" + "03" * 32]


def test_image_signatures_create_and_delete(client: Any, cluster: Any) -> None:
    client.images.create(image_body())
    name = f"{DIGEST}@sig1"
    signature = client.image_signatures.create(
        {"metadata": {"name": name}, "type": "AtomicImageV1", "content": base64.b64encode(b"signed").decode()}
    )
    assert isinstance(signature, ImageSignature)
    assert signature.content == b"signed"
    assert [s["metadata"]["name"] for s in cluster.get("images", DIGEST)["signatures"]] == [name]
    assert client.image_signatures.delete(name).status == "Success"
    assert not cluster.get("images", DIGEST).get("signatures")


def test_image_streams_crud_in_the_default_namespace(client: Any, cluster: Any) -> None:
    created = client.image_streams.create(ImageStream(metadata={"name": "app"}))
    assert (created.metadata.namespace, created.metadata.generation) == ("demo", 1)
    assert created.status.docker_image_repository.endswith("/demo/app")

    stream = client.image_streams.get("app")
    stream.spec.lookup_policy.local = True
    replaced = client.image_streams.replace(stream)
    assert replaced.spec.lookup_policy.local is True
    assert replaced.metadata.generation == 2

    patched = client.image_streams.patch("app", {"metadata": {"labels": {"team": "a"}}})
    assert patched.metadata.labels == {"team": "a"}
    assert patched.metadata.generation == 2  # metadata-only: no new generation

    assert cluster.get("imagestreams", "app", namespace="demo")["metadata"]["labels"] == {"team": "a"}
    client.image_streams.delete("app")
    with pytest.raises(NotFoundError):
        client.image_streams.get("app")


def test_image_streams_patch_types(client: Any) -> None:
    client.image_streams.create({"metadata": {"name": "app"}, "spec": {"tags": [
        {"name": "a", "from": {"kind": "DockerImage", "name": "quay.io/org/app:a"}},
    ]}})
    strategic = client.image_streams.patch("app", {"spec": {"tags": [
        {"name": "b", "from": {"kind": "DockerImage", "name": "quay.io/org/app:b"}},
    ]}}, type="strategic")
    assert [tag.name for tag in strategic.spec.tags] == ["a", "b"]  # merged on the name key

    merged = client.image_streams.patch("app", {"spec": {"tags": [
        {"name": "c", "from": {"kind": "DockerImage", "name": "quay.io/org/app:c"}},
    ]}})
    assert [tag.name for tag in merged.spec.tags] == ["c"]  # a merge patch replaces lists

    json_patched = client.image_streams.patch(
        "app", [{"op": "add", "path": "/metadata/annotations", "value": {"via": "json-patch"}}]
    )
    assert json_patched.metadata.annotations == {"via": "json-patch"}

    applied = client.image_streams.patch(
        "app", {"metadata": {"name": "app", "labels": {"owner": "ci"}}}, type="apply", field_manager="ci"
    )
    assert applied.metadata.labels == {"owner": "ci"}


def test_image_streams_delete_collection(client: Any) -> None:
    for name in ("a", "b"):
        client.image_streams.create({"metadata": {"name": name, "labels": {"group": "x"}}})
    client.image_streams.create({"metadata": {"name": "c"}})
    deleted = client.image_streams.delete_collection(label_selector="group=x")
    assert isinstance(deleted, ImageStreamList)
    assert sorted(item.metadata.name for item in deleted.items) == ["a", "b"]
    assert client.image_streams.get("c").metadata.name == "c"


def test_image_stream_status_subresource(client: Any) -> None:
    client.image_streams.create({"metadata": {"name": "app"}})
    stream = client.image_streams.get_status("app")
    assert isinstance(stream, ImageStream)
    stream.metadata.labels = {"via": "status"}
    updated = client.image_streams.replace_status(stream)
    assert updated.metadata.labels == {"via": "status"}
    patched = client.image_streams.patch_status("app", {"metadata": {"annotations": {"a": "b"}}})
    assert patched.metadata.annotations == {"a": "b"}


def test_import_tag_read_layers_and_isimage(client: Any, cluster: Any) -> None:
    cluster.registry.add_image("quay.io/org/app:1.0", layers=3)
    result = client.image_stream_imports.import_image("app:1.0", from_="quay.io/org/app:1.0")
    assert isinstance(result, ImageStreamImport)
    digest = result.status.images[0].image.metadata.name
    assert result.status.import_.metadata.name == "app"

    client.image_streams.tag("app:1.0", "app:latest")  # pinned to the digest, as oc tag does
    stream = client.image_streams.get("app")
    assert {tag.name: tag.from_.kind for tag in stream.spec.tags} == {"1.0": "DockerImage", "latest": "ImageStreamImage"}

    istag = client.image_stream_tags.get("app:latest")
    assert isinstance(istag, ImageStreamTag)
    assert istag.image.metadata.name == digest

    layers = client.image_streams.layers("app")
    assert isinstance(layers, ImageStreamLayers)
    assert len(layers.images[digest].layers) == 3

    isimage = client.image_stream_images.get(f"app@{digest}")
    assert isinstance(isimage, ImageStreamImage)
    assert isimage.image.metadata.name == digest


def test_tag_from_an_external_reference_creates_the_stream(client: Any) -> None:
    client.image_streams.tag("quay.io/org/app:2.0", "fresh:stable", reference_policy="Local")
    stream = client.image_streams.get("fresh")
    tag = stream.spec.tags[0]
    assert (stream.metadata.name, tag.name, tag.from_.kind, tag.from_.name) == (
        "fresh", "stable", "DockerImage", "quay.io/org/app:2.0"
    )
    assert tag.reference_policy.type == "Local"


def test_image_stream_imports_create(client: Any, cluster: Any) -> None:
    cluster.registry.add_image("quay.io/org/app:1.0")
    preview = client.image_stream_imports.create({
        "metadata": {"name": "app"},
        "spec": {"import": False, "images": [{"from": {"kind": "DockerImage", "name": "quay.io/org/app:1.0"}}]},
    })
    assert preview.status.images[0].status.status == "Success"
    with pytest.raises(NotFoundError):  # import: false writes nothing
        client.image_streams.get("app")


def test_image_stream_tags_crud(client: Any) -> None:
    client.image_streams.create({"metadata": {"name": "app"}})
    created = client.image_stream_tags.create({
        "metadata": {"name": "app:v1"},
        "tag": {"from": {"kind": "DockerImage", "name": "quay.io/org/app:v1"}},
    })
    assert isinstance(created, ImageStreamTag)
    assert created.tag.name == "v1"

    # Image stream tags accept a blind PUT (no resourceVersion): the stream's current one is used.
    # (The simulated import controller may already have written the stream since the create.)
    replaced = client.image_stream_tags.replace(
        {"metadata": {"name": "app:v1", "annotations": {"note": "x"}}, "tag": created.tag.to_dict()}
    )
    assert replaced.tag.annotations == {"note": "x"}

    patched = client.image_stream_tags.patch("app:v1", {"metadata": {"annotations": {"note": "y"}}})
    assert patched.tag.annotations == {"note": "y"}

    assert client.image_stream_tags.delete("app:v1").status == "Success"
    assert not client.image_streams.get("app").spec.tags


def test_image_tags_crud(client: Any) -> None:
    created = client.image_tags.create({
        "metadata": {"name": "app:v1"},
        "spec": {"name": "v1", "from": {"kind": "DockerImage", "name": "quay.io/org/app:v1"}},
    })
    assert isinstance(created, ImageTag)
    read = client.image_tags.get("app:v1")
    assert read.spec.from_.name == "quay.io/org/app:v1"

    read.spec.from_.name = "quay.io/org/app:v2"
    replaced = client.image_tags.replace(read)
    assert replaced.spec.from_.name == "quay.io/org/app:v2"

    patched = client.image_tags.patch("app:v1", {"spec": {"from": {"name": "quay.io/org/app:v3"}}})
    assert patched.spec.from_.name == "quay.io/org/app:v3"
    assert client.image_tags.delete("app:v1").status == "Success"
    with pytest.raises(NotFoundError):
        client.image_tags.get("app:v1")


def test_image_stream_mappings_create_answers_a_status(client: Any, cluster: Any) -> None:
    client.image_streams.create({"metadata": {"name": "app"}})
    status = client.image_stream_mappings.create({
        "metadata": {"name": "app"},
        "tag": "v1",
        "image": image_body(),
    })
    assert isinstance(status, Status)
    assert (status.status, status.code) == ("Success", 201)
    assert client.image_stream_tags.get("app:v1").image.metadata.name == DIGEST


def test_secrets_subresource(client: Any, cluster: Any) -> None:
    cluster.add_secret("demo", "pull", type="kubernetes.io/dockerconfigjson", data={".dockerconfigjson": "{}"})
    cluster.add_secret("demo", "other", type="Opaque", data={"a": "b"})
    secrets = client.image_streams.secrets("any-name")
    assert isinstance(secrets, SecretList)
    assert [secret.metadata.name for secret in secrets.items] == ["pull"]


def test_dry_run_writes_nothing(client: Any, cluster: Any) -> None:
    answered = client.image_streams.create({"metadata": {"name": "app"}}, dry_run=True)
    assert answered.metadata.name == "app"
    assert cluster.list("imagestreams", "demo") == []


def test_namespaces_default_and_override(client: Any, cluster: Any) -> None:
    client.image_streams.create({"metadata": {"name": "app"}})
    client.image_streams.create({"metadata": {"name": "app"}}, namespace="other")
    client.with_options(namespace="third").image_streams.create({"metadata": {"name": "app"}})
    assert [item["metadata"]["namespace"] for item in cluster.list("imagestreams")] == ["demo", "other", "third"]


@pytest.mark.parametrize("as_model", [False, True], ids=["dict", "model"])
def test_delete_preconditions(client: Any, as_model: bool) -> None:
    uid = client.image_streams.create({"metadata": {"name": "app"}}).metadata.uid
    wrong = {"uid": "not-the-uid"}
    with pytest.raises(ConflictError, match="precondition"):
        client.image_streams.delete("app", preconditions=Preconditions(**wrong) if as_model else wrong)
    right = {"uid": uid}
    assert client.image_streams.delete("app", preconditions=Preconditions(**right) if as_model else right)
    with pytest.raises(NotFoundError):
        client.image_streams.get("app")
