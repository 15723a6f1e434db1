"""Images and ImageSignatures through the fake cluster (server-semantics.md §3, §4)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from imageapi.testing._cluster import FakeCluster
from imageapi.testing._references import sha256_digest

API = "/apis/image.openshift.io/v1"
DIGEST = "sha256:" + "ab" * 32
CONTENT = base64.b64encode(b"signature bytes").decode()


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster()


def call(cluster: FakeCluster, method: str, path: str, body: Any = None, **query: str) -> tuple[int, Any]:
    return cluster.request(method, API + path, body=body, query=query)


def image(name: str = DIGEST, **fields: Any) -> dict:
    return {"metadata": {"name": name}, "dockerImageReference": f"quay.io/org/app@{DIGEST}", **fields}


def test_create_defaults_and_no_generation(cluster: FakeCluster) -> None:
    body = image()
    body["metadata"]["annotations"] = {"image.openshift.io/managed-signature": "true", "keep": "me"}
    status, created = call(cluster, "POST", "/images", body)
    assert status == 201
    assert created["dockerImageMetadataVersion"] == "1.0"
    assert created["metadata"]["annotations"] == {"keep": "me"}
    assert "generation" not in created["metadata"]
    assert created["dockerImageMetadata"]["kind"] == "DockerImage"


def test_manifest_blob_stored_clears_manifest_and_config(cluster: FakeCluster) -> None:
    body = image(dockerImageManifest="{}", dockerImageConfig="{}")
    body["metadata"]["annotations"] = {"image.openshift.io/manifestBlobStored": "true"}
    _, created = call(cluster, "POST", "/images", body)
    assert "dockerImageManifest" not in created and "dockerImageConfig" not in created


@pytest.mark.parametrize(("reference", "message"), [
    ("", "dockerImageReference: Required value"),
    ("Not A Ref", 'dockerImageReference: Invalid value: "Not A Ref": invalid reference format'),
])
def test_reference_required_and_parsed(cluster: FakeCluster, reference: str, message: str) -> None:
    status, body = call(cluster, "POST", "/images", {"metadata": {"name": "x"}, "dockerImageReference": reference})
    assert status == 422
    assert body["message"] == f'Image.image.openshift.io "x" is invalid: {message}'


def test_name_is_any_path_segment(cluster: FakeCluster) -> None:
    assert call(cluster, "POST", "/images", image("not-a-digest"))[0] == 201
    status, body = call(cluster, "POST", "/images", image(".."))
    assert status == 422 and "may not be '..'" in body["message"]


def test_manifests_rules(cluster: FakeCluster) -> None:
    body = image(dockerImageManifests=[{"digest": "nope", "mediaType": "bad", "manifestSize": -1}],
                 dockerImageLayers=[{"name": DIGEST, "size": 1, "mediaType": "x/y"}])
    status, answer = call(cluster, "POST", "/images", body)
    assert status == 422
    for text in ("dockerImageManifests[0].digest", "dockerImageManifests[0].mediaType",
                 "dockerImageManifests[0].architecture: Required value", "dockerImageManifests[0].os: Required value",
                 "dockerImageManifests[0].manifestSize",
                 "dockerImageLayers should not be set when dockerImageManifests is set"):
        assert text in answer["message"]


def test_update_keeps_immutable_fields_and_mismatched_manifest(cluster: FakeCluster) -> None:
    manifest = '{"schemaVersion":2}'
    name = sha256_digest(manifest)
    _, created = call(cluster, "POST", "/images", image(name, dockerImageLayers=[{"name": DIGEST, "size": 5,
                                                                                    "mediaType": "x/y"}]))
    created["dockerImageLayers"] = []
    created["dockerImageManifest"] = "not the manifest"
    created["metadata"]["labels"] = {"a": "b"}
    status, updated = call(cluster, "PUT", f"/images/{name}", created)
    assert status == 200
    assert updated["dockerImageLayers"] == [{"name": DIGEST, "size": 5, "mediaType": "x/y"}]
    assert "dockerImageManifest" not in updated
    assert updated["metadata"]["labels"] == {"a": "b"}
    updated["dockerImageManifest"] = manifest
    _, again = call(cluster, "PUT", f"/images/{name}", updated)
    assert again["dockerImageManifest"] == manifest


def test_field_selector_only_name(cluster: FakeCluster) -> None:
    call(cluster, "POST", "/images", image())
    status, body = call(cluster, "GET", "/images", fieldSelector=f"metadata.name={DIGEST}")
    assert status == 200 and len(body["items"]) == 1
    status, body = call(cluster, "GET", "/images", fieldSelector="dockerImageReference=x")
    assert status == 400
    assert body["message"] == '"dockerImageReference" is not a known field selector: only "metadata.name", "metadata.namespace"'


def test_signatures_in_image_are_validated(cluster: FakeCluster) -> None:
    body = image(signatures=[{"metadata": {"name": "bad"}, "type": "AtomicImageV1", "content": CONTENT}])
    status, answer = call(cluster, "POST", "/images", body)
    assert status == 422
    assert ('signatures[0].metadata.name: Invalid value: "bad": name must be of format <imageName>@<signatureName>'
            in answer["message"])


# --- ImageSignature ----------------------------------------------------------------------------------

def signature(name: str = f"{DIGEST}@sig1", content: str = CONTENT) -> dict:
    return {"metadata": {"name": name}, "type": "AtomicImageV1", "content": content}


def test_signature_create_appends_and_returns_201(cluster: FakeCluster) -> None:
    call(cluster, "POST", "/images", image())
    body = signature()
    body["conditions"] = [{"type": "Trusted", "status": "True"}]
    status, created = call(cluster, "POST", "/imagesignatures", body)
    assert status == 201
    assert created["kind"] == "ImageSignature" and created["metadata"]["uid"]
    assert "conditions" not in created
    stored = cluster.get("images", DIGEST)
    assert [s["metadata"]["name"] for s in stored["signatures"]] == [f"{DIGEST}@sig1"]


def test_signature_duplicates_and_missing_image(cluster: FakeCluster) -> None:
    status, body = call(cluster, "POST", "/imagesignatures", signature())
    assert (status, body["message"]) == (404, f'images.image.openshift.io "{DIGEST}" not found')
    call(cluster, "POST", "/images", image())
    call(cluster, "POST", "/imagesignatures", signature())
    status, body = call(cluster, "POST", "/imagesignatures", signature(f"{DIGEST}@other"))
    assert status == 409
    assert body["message"] == f'imageSignatures.image.openshift.io "{DIGEST}@other" already exists'


def test_signature_validation(cluster: FakeCluster) -> None:
    status, body = call(cluster, "POST", "/imagesignatures", {"metadata": {"name": "nope", "labels": {"a": "b"}}})
    assert status == 422
    for text in ('metadata.name: Invalid value: "nope": name must be of format <imageName>@<signatureName>',
                 "metadata.labels: Forbidden: signature labels cannot be set",
                 "type: Required value", "content: Required value"):
        assert text in body["message"]


def test_signature_delete(cluster: FakeCluster) -> None:
    call(cluster, "POST", "/images", image())
    call(cluster, "POST", "/imagesignatures", signature())
    status, body = call(cluster, "DELETE", f"/imagesignatures/{DIGEST}@sig1")
    assert status == 200 and body["status"] == "Success"
    assert "signatures" not in cluster.get("images", DIGEST)
    status, body = call(cluster, "DELETE", f"/imagesignatures/{DIGEST}@sig1")
    assert (status, body["message"]) == (404, f'imageSignatures.image.openshift.io "{DIGEST}@sig1" not found')
    status, body = call(cluster, "DELETE", "/imagesignatures/no-at-sign")
    assert (status, body["message"]) == (400, "ImageSignatures must be accessed with <imageName>@<signatureName>")


def test_signature_dry_run_is_not_honoured(cluster: FakeCluster) -> None:
    call(cluster, "POST", "/images", image())
    call(cluster, "POST", "/imagesignatures", signature(), dryRun="All")
    assert len(cluster.get("images", DIGEST)["signatures"]) == 1
