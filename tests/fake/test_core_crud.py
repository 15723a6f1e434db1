"""Create, read, update, patch and delete through the generic handlers (server-semantics.md §2, §12)."""

from __future__ import annotations

import json

import httpx
import pytest
from _core_helpers import GROUP_PATH, digest, image_body, images_path, stream_body, streams_path

from imageapi.testing import FakeCluster, StatusError

MERGE = {"Content-Type": "application/merge-patch+json"}


def test_create_sets_server_fields_and_rv_grows(http: httpx.Client) -> None:
    first = http.post(streams_path(), json=stream_body("a"))
    second = http.post(streams_path(), json=stream_body("b"))
    assert first.status_code == second.status_code == 201
    a, b = first.json(), second.json()
    assert a["kind"] == "ImageStream" and a["apiVersion"] == "image.openshift.io/v1"
    assert a["metadata"]["namespace"] == "ns1"
    assert a["metadata"]["uid"] != b["metadata"]["uid"]
    assert a["metadata"]["creationTimestamp"].endswith("Z")
    assert int(b["metadata"]["resourceVersion"]) > int(a["metadata"]["resourceVersion"])
    assert a["metadata"]["generation"] == 1


def test_client_uid_and_timestamp_are_overwritten(http: httpx.Client) -> None:
    body = stream_body("a")
    body["metadata"] = {"name": "a", "uid": "mine", "creationTimestamp": "2000-01-01T00:00:00Z"}
    created = http.post(streams_path(), json=body).json()
    assert created["metadata"]["uid"] != "mine"
    assert created["metadata"]["creationTimestamp"] != "2000-01-01T00:00:00Z"


def test_get_returns_what_was_created(http: httpx.Client) -> None:
    created = http.post(streams_path(), json=stream_body("a", labels={"app": "x"})).json()
    fetched = http.get(streams_path(name="a"))
    assert fetched.status_code == 200
    assert fetched.json() == created


def test_get_missing_is_404_with_details(http: httpx.Client) -> None:
    response = http.get(streams_path(name="nope"))
    assert response.status_code == 404
    assert response.json() == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'imagestreams.image.openshift.io "nope" not found', "reason": "NotFound",
        "details": {"name": "nope", "group": "image.openshift.io", "kind": "imagestreams"}, "code": 404}


def test_duplicate_create_is_409_already_exists(http: httpx.Client) -> None:
    http.post(streams_path(), json=stream_body("a"))
    response = http.post(streams_path(), json=stream_body("a"))
    assert response.status_code == 409
    assert response.json()["reason"] == "AlreadyExists"
    assert response.json()["message"] == 'imagestreams.image.openshift.io "a" already exists'


def test_namespace_mismatch_on_create_is_400(http: httpx.Client) -> None:
    body = stream_body("a")
    body["metadata"] = {"name": "a", "namespace": "other"}
    response = http.post(streams_path(), json=body)
    assert response.status_code == 400
    assert response.json()["message"] == \
        "the namespace of the provided object does not match the namespace sent on the request"


def test_namespace_of_cluster_scoped_object_is_cleared(http: httpx.Client) -> None:
    body = image_body(digest(1))
    body["metadata"] = {"name": digest(1), "namespace": "whatever"}
    created = http.post(images_path(), json=body).json()
    assert "namespace" not in created["metadata"]


def test_resource_version_on_create_is_500(http: httpx.Client) -> None:
    body = stream_body("a")
    body["metadata"] = {"name": "a", "resourceVersion": "5"}
    response = http.post(streams_path(), json=body)
    assert response.status_code == 500
    status = response.json()
    assert status["message"] == "resourceVersion should not be set on objects to be created"
    assert "reason" not in status


def test_generate_name(http: httpx.Client) -> None:
    base = "x" * 70
    created = http.post(streams_path(), json={"metadata": {"generateName": base}}).json()
    name = created["metadata"]["name"]
    assert name.startswith("x" * 58) and len(name) == 63
    again = http.post(streams_path(), json={"metadata": {"generateName": "app-"}}).json()
    assert again["metadata"]["name"].startswith("app-") and len(again["metadata"]["name"]) == 9


def test_missing_name_is_422(http: httpx.Client) -> None:
    response = http.post(streams_path(), json={"metadata": {}})
    assert response.status_code == 422
    assert response.json()["reason"] == "Invalid"


def test_validation_failure_is_422_with_causes(http: httpx.Client) -> None:
    response = http.post(images_path(), json={"metadata": {"name": digest(1)}})
    assert response.status_code == 422
    status = response.json()
    assert status["reason"] == "Invalid"
    assert status["details"]["kind"] == "Image"
    assert any(cause["field"] == "dockerImageReference" for cause in status["details"]["causes"])


def test_put_without_resource_version_is_422_naming_the_plural(http: httpx.Client) -> None:
    http.post(streams_path(), json=stream_body("a"))
    response = http.put(streams_path(name="a"), json=stream_body("a"))
    assert response.status_code == 422
    status = response.json()
    assert status["message"] == ('imagestreams.image.openshift.io "a" is invalid: metadata.resourceVersion: '
                                 "Invalid value: 0x0: must be specified for an update")
    assert status["details"]["kind"] == "imagestreams"


def test_put_with_stale_resource_version_is_409(http: httpx.Client) -> None:
    created = http.post(streams_path(), json=stream_body("a")).json()
    stale = json.loads(json.dumps(created))
    created["metadata"]["labels"] = {"v": "1"}
    assert http.put(streams_path(name="a"), json=created).status_code == 200
    stale["metadata"]["labels"] = {"v": "2"}
    response = http.put(streams_path(name="a"), json=stale)
    assert response.status_code == 409
    assert response.json()["reason"] == "Conflict"
    assert response.json()["message"] == (
        'Operation cannot be fulfilled on imagestreams.image.openshift.io "a": the object has been modified; '
        "please apply your changes to the latest version and try again")


def test_put_keeps_server_owned_metadata(http: httpx.Client) -> None:
    created = http.post(streams_path(), json=stream_body("a")).json()
    changed = json.loads(json.dumps(created))
    changed["metadata"].update(uid="forged", creationTimestamp="2000-01-01T00:00:00Z", generation=99,
                               labels={"a": "b"})
    updated = http.put(streams_path(name="a"), json=changed).json()
    assert updated["metadata"]["uid"] == created["metadata"]["uid"]
    assert updated["metadata"]["creationTimestamp"] == created["metadata"]["creationTimestamp"]
    assert updated["metadata"]["generation"] == 1
    assert updated["metadata"]["labels"] == {"a": "b"}
    assert int(updated["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])


def test_put_name_mismatch_is_400(http: httpx.Client) -> None:
    created = http.post(streams_path(), json=stream_body("a")).json()
    created["metadata"]["name"] = "b"
    response = http.put(streams_path(name="a"), json=created)
    assert response.status_code == 400
    assert response.json()["message"] == "the name of the object (b) does not match the name on the URL (a)"


def test_put_missing_object_is_404(http: httpx.Client) -> None:
    body = stream_body("a")
    body["metadata"] = {"name": "a", "resourceVersion": "1"}
    assert http.put(streams_path(name="a"), json=body).status_code == 404


def test_core_secrets_allow_unconditional_update(cluster: FakeCluster, http: httpx.Client) -> None:
    cluster.add_secret("ns1", "pull", data={".dockerconfigjson": "{}"})
    response = http.put("/api/v1/namespaces/ns1/secrets/pull",
                        json={"metadata": {"name": "pull"}, "type": "Opaque", "data": {}})
    assert response.status_code == 200
    assert response.json()["type"] == "Opaque"


@pytest.mark.parametrize(("content_type", "patch"), [
    ("application/merge-patch+json", {"metadata": {"labels": {"team": "a"}}}),
    ("application/strategic-merge-patch+json", {"metadata": {"labels": {"team": "a"}}}),
    ("application/json-patch+json", [{"op": "add", "path": "/metadata/labels", "value": {"team": "a"}}]),
])
def test_patch_types_without_resource_version(http: httpx.Client, content_type: str, patch: object) -> None:
    created = http.post(streams_path(), json=stream_body("a")).json()
    response = http.patch(streams_path(name="a"), content=json.dumps(patch), headers={"Content-Type": content_type})
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["metadata"]["labels"] == {"team": "a"}
    assert int(patched["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])


def test_patch_with_stale_resource_version_is_409(http: httpx.Client) -> None:
    created = http.post(streams_path(), json=stream_body("a")).json()
    http.patch(streams_path(name="a"), json={"metadata": {"labels": {"x": "1"}}}, headers=MERGE)
    stale = {"metadata": {"resourceVersion": created["metadata"]["resourceVersion"], "labels": {"x": "2"}}}
    response = http.patch(streams_path(name="a"), json=stale, headers=MERGE)
    assert response.status_code == 409


def test_apply_patch_needs_field_manager_and_creates(http: httpx.Client) -> None:
    applied = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
               "metadata": {"name": "a", "labels": {"by": "apply"}}}
    headers = {"Content-Type": "application/apply-patch+yaml"}
    missing = http.patch(streams_path(name="a"), json=applied, headers=headers)
    assert missing.status_code == 422
    assert "fieldManager" in missing.json()["message"]
    created = http.patch(streams_path(name="a"), json=applied, headers=headers,
                         params={"fieldManager": "tests", "force": "true"})
    assert created.status_code == 201
    applied["metadata"]["labels"] = {"by": "apply", "again": "yes"}
    updated = http.patch(streams_path(name="a"), json=applied, headers=headers, params={"fieldManager": "tests"})
    assert updated.status_code == 200
    assert updated.json()["metadata"]["labels"]["again"] == "yes"


def test_patch_with_unknown_content_type_is_415(http: httpx.Client) -> None:
    http.post(streams_path(), json=stream_body("a"))
    response = http.patch(streams_path(name="a"), json={}, headers={"Content-Type": "application/json"})
    assert response.status_code == 415
    assert response.json()["reason"] == "UnsupportedMediaType"


def test_patch_missing_object_is_404(http: httpx.Client) -> None:
    assert http.patch(streams_path(name="a"), json={}, headers=MERGE).status_code == 404


def test_delete_returns_success_status(http: httpx.Client) -> None:
    created = http.post(streams_path(), json=stream_body("a")).json()
    response = http.delete(streams_path(name="a"))
    assert response.status_code == 200
    assert response.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                               "details": {"name": "a", "group": "image.openshift.io", "kind": "imagestreams",
                                           "uid": created["metadata"]["uid"]}}
    assert http.get(streams_path(name="a")).status_code == 404
    assert http.delete(streams_path(name="a")).status_code == 404


@pytest.mark.parametrize("field", ["uid", "resourceVersion"])
def test_delete_precondition_mismatch_is_409(http: httpx.Client, field: str) -> None:
    http.post(streams_path(), json=stream_body("a"))
    options = {"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {field: "0"}}
    response = http.request("DELETE", streams_path(name="a"), json=options)
    assert response.status_code == 409
    status = response.json()
    assert status["reason"] == "Conflict"
    assert status["details"]["kind"] == "ImageStream"
    label = "UID" if field == "uid" else "ResourceVersion"
    assert f"the {label} in the precondition (0) does not match the {label} in record" in status["message"]
    assert http.get(streams_path(name="a")).status_code == 200


def test_delete_precondition_match_deletes(http: httpx.Client) -> None:
    created = http.post(streams_path(), json=stream_body("a")).json()
    options = {"preconditions": {"uid": created["metadata"]["uid"],
                                 "resourceVersion": created["metadata"]["resourceVersion"]}}
    assert http.request("DELETE", streams_path(name="a"), json=options).status_code == 200


def test_deletecollection_returns_deleted_objects(http: httpx.Client) -> None:
    for name, team in (("a", "x"), ("b", "y"), ("c", "x")):
        http.post(streams_path(), json=stream_body(name, labels={"team": team}))
    http.post(streams_path("other"), json=stream_body("d", labels={"team": "x"}))
    response = http.delete(streams_path(), params={"labelSelector": "team=x"})
    assert response.status_code == 200
    deleted = response.json()
    assert deleted["kind"] == "ImageStreamList"
    assert [item["metadata"]["name"] for item in deleted["items"]] == ["a", "c"]
    remaining = http.get(f"{GROUP_PATH}/imagestreams").json()["items"]
    assert sorted(item["metadata"]["name"] for item in remaining) == ["b", "d"]


def test_dry_run_validates_without_persisting(http: httpx.Client) -> None:
    rv_before = http.get(streams_path()).json()["metadata"]["resourceVersion"]
    created = http.post(streams_path(), json=stream_body("a"), params={"dryRun": "All"})
    assert created.status_code == 201
    assert created.json()["metadata"]["uid"]
    assert http.get(streams_path(name="a")).status_code == 404
    invalid = http.post(images_path(), json={"metadata": {"name": digest(1)}}, params={"dryRun": "All"})
    assert invalid.status_code == 422
    real = http.post(streams_path(), json=stream_body("a")).json()
    real["metadata"]["labels"] = {"dry": "run"}
    assert http.put(streams_path(name="a"), json=real, params={"dryRun": "All"}).json()["metadata"]["labels"] == \
        {"dry": "run"}
    assert "labels" not in http.get(streams_path(name="a")).json()["metadata"]
    assert http.delete(streams_path(name="a"), params={"dryRun": "All"}).status_code == 200
    assert http.get(streams_path(name="a")).status_code == 200
    assert int(rv_before) < int(http.get(streams_path()).json()["metadata"]["resourceVersion"])


def test_bad_dry_run_value_is_400(http: httpx.Client) -> None:
    assert http.post(streams_path(), json=stream_body("a"), params={"dryRun": "Yes"}).status_code == 400


def test_require_namespaces() -> None:
    cluster = FakeCluster(require_namespaces=True, namespaces=["present"])
    with httpx.Client(transport=cluster.transport(), base_url="http://fake") as client:
        missing = client.post(streams_path("absent"), json=stream_body("a"))
        present = client.post(streams_path("present"), json=stream_body("a"))
    assert missing.status_code == 404
    assert missing.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                              "message": 'namespaces "absent" not found', "reason": "NotFound",
                              "details": {"name": "absent", "kind": "namespaces"}, "code": 404}
    assert present.status_code == 201


def test_namespaces_are_created_on_first_use(cluster: FakeCluster, http: httpx.Client) -> None:
    http.post(streams_path("fresh"), json=stream_body("a"))
    assert cluster.get("namespaces", "fresh")["metadata"]["name"] == "fresh"


@pytest.mark.parametrize(("body", "fragment"), [
    (b"{not json", "json parse error"),
    (b"[1, 2]", "json parse error"),
    (b"", "empty"),
])
def test_malformed_bodies_are_400(http: httpx.Client, body: bytes, fragment: str) -> None:
    response = http.post(streams_path(), content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["reason"] == "BadRequest"
    assert fragment in response.json()["message"]


def test_wrong_api_version_or_kind_is_400(http: httpx.Client) -> None:
    wrong_version = http.post(streams_path(), json={"apiVersion": "v1", "kind": "ImageStream", "metadata": {"name": "a"}})
    assert wrong_version.status_code == 400
    assert wrong_version.json()["message"] == ("the API version in the data (v1) does not match the expected API "
                                               "version (image.openshift.io/v1)")
    wrong_kind = http.post(streams_path(), json={"apiVersion": "image.openshift.io/v1", "kind": "Image",
                                                 "metadata": {"name": "a"}})
    assert wrong_kind.status_code == 400
    assert "cannot be handled as a ImageStream" in wrong_kind.json()["message"]


def test_oversized_body_is_413(http: httpx.Client) -> None:
    body = stream_body("a")
    body["metadata"] = {"name": "a", "annotations": {"big": "x" * (3 * 1024 * 1024)}}
    response = http.post(streams_path(), json=body)
    assert response.status_code == 413
    assert response.json()["reason"] == "RequestEntityTooLarge"


def test_unknown_fields_strict_is_400_and_warn_warns(http: httpx.Client) -> None:
    body = stream_body("a")
    body["spec"] = {"bogus": 1, "tags": [{"name": "t", "nope": True}]}
    strict = http.post(streams_path(), json=body, params={"fieldValidation": "Strict"})
    assert strict.status_code == 400
    assert strict.json()["message"] == \
        'strict decoding error: unknown field "spec.bogus", unknown field "spec.tags[0].nope"'
    warned = http.post(streams_path(), json=body)
    assert warned.status_code == 201
    assert 'unknown field \\"spec.bogus\\"' in warned.headers["Warning"]
    # Like decoding into the server's types, unknown fields are not stored.
    stored = http.get(streams_path(name="a")).json()
    assert "bogus" not in stored["spec"]
    assert "nope" not in stored["spec"]["tags"][0]
    ignored = http.post(streams_path(), json={**body, "metadata": {"name": "c"}}, params={"fieldValidation": "Ignore"})
    assert ignored.status_code == 201
    assert "Warning" not in ignored.headers
    assert "bogus" not in ignored.json()["spec"]
    known = http.post(streams_path(), json=stream_body("b", labels={"a": "b"}), params={"fieldValidation": "Strict"})
    assert known.status_code == 201


def test_plain_json_helpers(cluster: FakeCluster) -> None:
    created = cluster.create("imagestreams", stream_body("a"), namespace="ns1")
    assert cluster.get("imagestreams", "a", namespace="ns1")["metadata"]["uid"] == created["metadata"]["uid"]
    assert [item["metadata"]["name"] for item in cluster.list("imagestreams", "ns1")] == ["a"]
    with pytest.raises(StatusError) as raised:
        cluster.get("imagestreams", "zzz", namespace="ns1")
    assert raised.value.code == 404
    cluster.delete("imagestreams", "a", namespace="ns1")
    assert cluster.list("imagestreams") == []


def test_add_secret_encodes_data(cluster: FakeCluster, http: httpx.Client) -> None:
    cluster.add_secret("ns1", "pull", "kubernetes.io/dockerconfigjson", {".dockerconfigjson": "{}"})
    secret = http.get("/api/v1/namespaces/ns1/secrets/pull").json()
    assert secret["kind"] == "Secret" and secret["apiVersion"] == "v1"
    assert secret["data"] == {".dockerconfigjson": "e30="}


def test_strict_patch_judges_the_patched_object(http: httpx.Client) -> None:
    http.post(streams_path(), json=stream_body("a", tags=[{"name": "t1"}, {"name": "t2"}]))
    patch = {"metadata": {"labels": {"ok": "1"}},
             "spec": {"$setElementOrder/tags": [{"name": "t2"}, {"name": "t1"}],
                      "tags": [{"name": "t1", "reference": True}]}}
    # Directives are not fields: a strategic merge patch that uses them passes Strict validation.
    fine = http.patch(streams_path(name="a"), json=patch, params={"fieldValidation": "Strict"},
                      headers={"Content-Type": "application/strategic-merge-patch+json"})
    assert fine.status_code == 200, fine.text
    assert [tag["name"] for tag in fine.json()["spec"]["tags"]] == ["t1", "t2"]
    unknown = http.patch(streams_path(name="a"), json={"spec": {"bogus": True}}, params={"fieldValidation": "Strict"},
                         headers={"Content-Type": "application/merge-patch+json"})
    assert unknown.status_code == 400
    assert unknown.json()["message"] == 'strict decoding error: unknown field "spec.bogus"'


def test_deleting_a_namespace_deletes_its_content(cluster: FakeCluster, http: httpx.Client) -> None:
    http.post(streams_path("doomed"), json=stream_body("a"))
    http.post(streams_path("kept"), json=stream_body("b"))
    cluster.add_secret("doomed", "pull")
    assert http.delete("/api/v1/namespaces/doomed").status_code == 200
    assert http.get(streams_path("doomed", "a")).status_code == 404
    assert http.get("/api/v1/namespaces/doomed/secrets/pull").status_code == 404
    assert http.get(streams_path("kept", "b")).status_code == 200


def test_import_controller_can_be_switched_off() -> None:
    cluster = FakeCluster(simulate_import_controller=False)
    assert cluster.registry is not None
    cluster.registry.add_image("quay.io/example/app:1.0")
    created = cluster.create("imagestreams", stream_body("a", tags=[
        {"name": "1.0", "from": {"kind": "DockerImage", "name": "quay.io/example/app:1.0"}}]), namespace="ns1")
    assert "tags" not in cluster.get("imagestreams", "a", namespace="ns1")["status"]
    assert created["metadata"]["generation"] == 1


def test_deeply_nested_body_is_400(http: httpx.Client) -> None:
    body = b'{"metadata": {"name": "a"}, "spec": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = http.post(streams_path(), content=body)
    assert response.status_code == 400


def test_get_with_resource_version(http: httpx.Client) -> None:
    created = http.post(streams_path(), json=stream_body("a")).json()
    rv = created["metadata"]["resourceVersion"]
    assert http.get(streams_path(name="a"), params={"resourceVersion": rv}).status_code == 200
    assert http.get(streams_path(name="a"), params={"resourceVersion": "0"}).status_code == 200
    assert http.get(streams_path(name="a"), params={"resourceVersion": "1"}).status_code == 200  # not older than
    ahead = http.get(streams_path(name="a"), params={"resourceVersion": str(int(rv) + 100)})
    assert ahead.status_code == 504
    assert ahead.json()["reason"] == "Timeout"
    assert http.get(streams_path(name="a"), params={"resourceVersion": "x"}).status_code == 400


def test_repeated_gets_follow_writes_and_configuration(cluster: FakeCluster, http: httpx.Client) -> None:
    http.post(streams_path(), json=stream_body("a"))
    first = http.get(streams_path(name="a")).json()
    assert http.get(streams_path(name="a")).json() == first
    http.patch(streams_path(name="a"), json={"metadata": {"labels": {"v": "2"}}}, headers=MERGE)
    assert http.get(streams_path(name="a")).json()["metadata"]["labels"] == {"v": "2"}
    cluster.config.internal_registry_hostname = "registry.example:5000"
    assert http.get(streams_path(name="a")).json()["status"]["dockerImageRepository"] == \
        "registry.example:5000/ns1/a"
