"""Resources outside the image group (Leases, Pods and the other workload kinds prune and controllers
read): served from the same store as the image resources, with the same resourceVersion, metadata,
selectors, paging and watch behaviour, and listed in discovery and the OpenAPI v3 index."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from imageapi.testing import FakeCluster
from imageapi.testing._workloads import WORKLOAD_KINDS

LEASES = "/apis/coordination.k8s.io/v1/namespaces/ctl/leases"
PODS = "/api/v1/namespaces/web/pods"


def lease(name: str = "imageapi-controller", **spec: Any) -> dict[str, Any]:
    """A Lease as client-go's LeaseLock first writes it (MicroTimes with six fractional digits)."""
    body: dict[str, Any] = {
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": name, "creationTimestamp": None, "labels": {"app.kubernetes.io/name": "imageapi"}},
        "spec": {"holderIdentity": "controller-7d9f8-abcde_1b2c", "leaseDurationSeconds": 15,
                 "acquireTime": "2026-12-02T07:00:00.000000Z", "renewTime": "2026-12-02T07:00:00.000000Z",
                 "leaseTransitions": 0},
    }
    body["spec"].update(spec)
    return body


def pod(name: str = "web-6d4cf56db6-x7k2p", image: str = "quay.io/example/app@sha256:" + "a" * 64,
        **labels: str) -> dict[str, Any]:
    """A Pod as a ReplicaSet creates it, carrying the status block a live server had reported."""
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": name, "labels": {"app": "web", "pod-template-hash": "6d4cf56db6", **labels},
            "annotations": {"openshift.io/scc": "restricted-v2"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-6d4cf56db6",
                                 "uid": "0b5e7f0e-4e4a-4bb1-9d53-6a1f1f0f3f11", "controller": True,
                                 "blockOwnerDeletion": True}],
        },
        "spec": {
            "containers": [{"name": "app", "image": image, "imagePullPolicy": "IfNotPresent",
                            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}],
            "restartPolicy": "Always", "nodeName": None, "serviceAccountName": "default",
        },
        "status": {"phase": "Running", "podIP": "10.128.2.17",
                   "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0,
                                          "image": image, "imageID": image}]},
    }


def _ok(response: httpx.Response, code: int = 200) -> dict[str, Any]:
    assert response.status_code == code, response.text
    body: dict[str, Any] = response.json()
    return body


# -- Lease ------------------------------------------------------------------------------------------


def test_lease_create_get_list_update_delete(http: httpx.Client, cluster: FakeCluster) -> None:
    created = _ok(http.post(LEASES, json=lease()), 201)
    meta = created["metadata"]
    assert meta["namespace"] == "ctl" and meta["uid"] and meta["creationTimestamp"]
    assert int(meta["resourceVersion"]) == cluster.resource_version
    assert "generation" not in meta
    assert created["spec"]["holderIdentity"] == "controller-7d9f8-abcde_1b2c"
    assert _ok(http.get(f"{LEASES}/imageapi-controller")) == created

    renewed = {**created, "spec": {**created["spec"], "renewTime": "2026-12-02T07:00:10.500000Z"}}
    updated = _ok(http.put(f"{LEASES}/imageapi-controller", json=renewed))
    assert int(updated["metadata"]["resourceVersion"]) > int(meta["resourceVersion"])
    assert updated["metadata"]["uid"] == meta["uid"]
    assert updated["spec"]["renewTime"] == "2026-12-02T07:00:10.500000Z"

    listing = _ok(http.get(LEASES, params={"labelSelector": "app.kubernetes.io/name=imageapi"}))
    assert listing["kind"] == "LeaseList" and listing["apiVersion"] == "coordination.k8s.io/v1"
    assert [item["metadata"]["name"] for item in listing["items"]] == ["imageapi-controller"]
    assert listing["metadata"]["resourceVersion"] == str(cluster.resource_version)

    status = _ok(http.delete(f"{LEASES}/imageapi-controller"))
    assert status["status"] == "Success"
    assert status["details"] == {"name": "imageapi-controller", "group": "coordination.k8s.io", "kind": "leases",
                                 "uid": meta["uid"]}
    missing = http.get(f"{LEASES}/imageapi-controller")
    assert missing.status_code == 404
    assert missing.json()["message"] == 'leases.coordination.k8s.io "imageapi-controller" not found'


def test_a_stale_lease_update_is_409_and_the_holder_keeps_the_lease(http: httpx.Client) -> None:
    """Two candidates read the same Lease; the one that writes second holds a stale resourceVersion."""
    created = _ok(http.post(LEASES, json=lease()), 201)
    first = {**created, "spec": {**created["spec"], "holderIdentity": "candidate-a", "leaseTransitions": 1}}
    second = {**created, "spec": {**created["spec"], "holderIdentity": "candidate-b", "leaseTransitions": 1}}
    _ok(http.put(f"{LEASES}/imageapi-controller", json=first))
    stale = http.put(f"{LEASES}/imageapi-controller", json=second)
    assert stale.status_code == 409
    assert stale.json()["reason"] == "Conflict"
    assert stale.json()["message"] == (
        'Operation cannot be fulfilled on leases.coordination.k8s.io "imageapi-controller": the object has been '
        "modified; please apply your changes to the latest version and try again")
    assert stale.json()["details"] == {"name": "imageapi-controller", "group": "coordination.k8s.io",
                                       "kind": "leases"}
    assert _ok(http.get(f"{LEASES}/imageapi-controller"))["spec"]["holderIdentity"] == "candidate-a"


def test_an_update_without_resource_version_is_unconditional(http: httpx.Client) -> None:
    # Lease's strategy allows unconditional updates (unlike the image strategies): the last write wins.
    _ok(http.post(LEASES, json=lease()), 201)
    body = lease(holderIdentity="forced")
    assert _ok(http.put(f"{LEASES}/imageapi-controller", json=body))["spec"]["holderIdentity"] == "forced"


def test_lease_micro_times_are_normalised_to_utc_with_six_digits(http: httpx.Client) -> None:
    created = _ok(http.post(LEASES, json=lease(acquireTime="2026-12-02T09:00:00.123456+02:00", renewTime=None)),
                  201)
    assert created["spec"]["acquireTime"] == "2026-12-02T07:00:00.123456Z"
    assert "renewTime" not in created["spec"]  # a nil pointer is omitted


@pytest.mark.parametrize(("field", "value", "detail"), [
    ("leaseDurationSeconds", "15", "json: cannot unmarshal string into Go struct field "
                                   "LeaseSpec.spec.leaseDurationSeconds of type int32"),
    ("leaseTransitions", 1.5, "json: cannot unmarshal number 1.5 into Go struct field "
                              "LeaseSpec.spec.leaseTransitions of type int32"),
    ("holderIdentity", 7, "json: cannot unmarshal number into Go struct field LeaseSpec.spec.holderIdentity "
                          "of type string"),
    ("renewTime", "2026-12-02T07:00:00Z", 'parsing time "2026-12-02T07:00:00Z" as '
                                          '"2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000"'),
    ("acquireTime", "2026-12-02T07:00:00.123456789Z", 'parsing time "2026-12-02T07:00:00.123456789Z" as '
                                                      '"2006-01-02T15:04:05.000000Z07:00": cannot parse "789Z" '
                                                      'as "Z07:00"'),
])
def test_wrongly_typed_lease_fields_are_refused_as_the_decoder_does(http: httpx.Client, field: str, value: Any,
                                                                     detail: str) -> None:
    response = http.post(LEASES, json=lease(**{field: value}))
    assert response.status_code == 400
    assert response.json()["reason"] == "BadRequest"
    assert response.json()["message"] == f'Lease in version "v1" cannot be handled as a Lease: {detail}'


def test_lease_spec_values_are_validated(http: httpx.Client) -> None:
    response = http.post(LEASES, json=lease(leaseDurationSeconds=0, leaseTransitions=-1))
    assert response.status_code == 422
    assert response.json()["message"] == (
        'Lease.coordination.k8s.io "imageapi-controller" is invalid: [spec.leaseDurationSeconds: Invalid value: 0: '
        "must be greater than 0, spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0]")


def test_lease_watch_from_a_resource_version_sees_each_renewal(http: httpx.Client) -> None:
    created = _ok(http.post(LEASES, json=lease()), 201)
    current = created
    for second in (2, 4):
        renewed = {**current, "spec": {**current["spec"], "renewTime": f"2026-12-02T07:00:0{second}.000000Z"}}
        current = _ok(http.put(f"{LEASES}/imageapi-controller", json=renewed))
    params = {"watch": "true", "resourceVersion": created["metadata"]["resourceVersion"], "timeoutSeconds": "1"}
    with http.stream("GET", LEASES, params=params) as response:
        assert response.status_code == 200
        events = [json.loads(line) for line in response.iter_lines() if line]
    assert [(event["type"], event["object"]["spec"]["renewTime"]) for event in events] == [
        ("MODIFIED", "2026-12-02T07:00:02.000000Z"), ("MODIFIED", "2026-12-02T07:00:04.000000Z")]
    assert events[-1]["object"]["metadata"]["resourceVersion"] == current["metadata"]["resourceVersion"]


# -- Pods -------------------------------------------------------------------------------------------


def test_pod_create_resets_status_and_keeps_metadata(http: httpx.Client, cluster: FakeCluster) -> None:
    created = _ok(http.post(PODS, json=pod()), 201)
    meta = created["metadata"]
    assert meta["ownerReferences"][0]["name"] == "web-6d4cf56db6"
    assert meta["annotations"] == {"openshift.io/scc": "restricted-v2"}
    assert meta["generation"] == 1
    # The create strategy drops the status a client sends: a new pod is Pending.
    assert created["status"] == {"phase": "Pending", "qosClass": "Burstable"}
    assert created["spec"]["containers"][0]["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]
    assert _ok(http.get(f"{PODS}/{meta['name']}")) == created
    assert int(meta["resourceVersion"]) == cluster.resource_version


def test_pod_generate_name_and_name_validation(http: httpx.Client) -> None:
    body = pod()
    body["metadata"] = {"generateName": "web-6d4cf56db6-", "labels": {"app": "web"}}
    created = _ok(http.post(PODS, json=body), 201)
    name = created["metadata"]["name"]
    assert name.startswith("web-6d4cf56db6-") and len(name) == len("web-6d4cf56db6-") + 5
    bad = http.post(PODS, json=pod(name="Web_1"))
    assert bad.status_code == 422
    assert bad.json()["message"].startswith('Pod "Web_1" is invalid: metadata.name: Invalid value: "Web_1": a '
                                            "lowercase RFC 1123 subdomain must consist of")
    clash = http.post(PODS, json=pod(name=name))
    assert clash.status_code == 409
    assert clash.json()["message"] == f'pods "{name}" already exists'


def test_pod_update_keeps_status_and_a_status_update_keeps_spec(http: httpx.Client) -> None:
    created = _ok(http.post(PODS, json=pod()), 201)
    path = f"{PODS}/{created['metadata']['name']}"
    running = {**created, "status": {"phase": "Running", "podIP": "10.128.2.17"}}
    status_written = _ok(http.put(f"{path}/status", json={**running, "spec": {"containers": []},
                                                          "metadata": {**running["metadata"], "labels": {}}}))
    assert status_written["status"] == {"phase": "Running", "podIP": "10.128.2.17"}
    assert status_written["spec"] == created["spec"]  # a status write changes only the status
    assert status_written["metadata"]["labels"] == created["metadata"]["labels"]
    assert status_written["metadata"]["generation"] == 1

    relabelled = {**status_written, "status": {"phase": "Failed"},
                  "metadata": {**status_written["metadata"], "labels": {"app": "web", "tier": "front"}}}
    updated = _ok(http.put(path, json=relabelled))
    assert updated["status"] == {"phase": "Running", "podIP": "10.128.2.17"}  # the main resource keeps the status
    assert updated["metadata"]["labels"]["tier"] == "front"
    assert updated["metadata"]["generation"] == 1  # no spec change
    new_image = json.loads(json.dumps(updated))
    new_image["spec"]["containers"][0]["image"] = "quay.io/example/app:2.0"
    assert _ok(http.put(path, json=new_image))["metadata"]["generation"] == 2


def test_pod_lists_select_page_and_span_namespaces(http: httpx.Client) -> None:
    for index in range(5):
        _ok(http.post(PODS, json=pod(name=f"web-{index}", track="canary" if index % 2 else "stable")), 201)
    _ok(http.post("/api/v1/namespaces/other/pods", json=pod(name="web-0")), 201)
    canary = _ok(http.get(PODS, params={"labelSelector": "track=canary"}))
    assert [item["metadata"]["name"] for item in canary["items"]] == ["web-1", "web-3"]
    pending = _ok(http.get("/api/v1/pods", params={"fieldSelector": "status.phase=Pending,metadata.name=web-0"}))
    assert [(item["metadata"]["namespace"], item["metadata"]["name"]) for item in pending["items"]] == [
        ("other", "web-0"), ("web", "web-0")]
    names: list[str] = []
    params = {"limit": "2"}
    pages = 0
    while True:
        page = _ok(http.get(PODS, params=params))
        pages += 1
        names += [item["metadata"]["name"] for item in page["items"]]
        token = page["metadata"].get("continue")
        if not token:
            break
        params = {"limit": "2", "continue": token}
    assert pages == 3 and names == [f"web-{index}" for index in range(5)]
    unknown = http.get(PODS, params={"fieldSelector": "spec.bogus=x"})
    assert unknown.status_code == 400


def test_pod_watch_sees_create_update_and_delete(http: httpx.Client, cluster: FakeCluster) -> None:
    since = str(cluster.resource_version)
    created = _ok(http.post(PODS, json=pod()), 201)
    path = f"{PODS}/{created['metadata']['name']}"
    labelled = {**created, "metadata": {**created["metadata"], "labels": {"app": "web", "tier": "front"}}}
    _ok(http.put(path, json=labelled))
    _ok(http.delete(path))
    params = {"watch": "1", "resourceVersion": since, "timeoutSeconds": "1", "labelSelector": "app=web"}
    with http.stream("GET", PODS, params=params) as response:
        events = [json.loads(line) for line in response.iter_lines() if line]
    assert [event["type"] for event in events] == ["ADDED", "MODIFIED", "DELETED"]
    assert {event["object"]["kind"] for event in events} == {"Pod"}
    assert events[1]["object"]["metadata"]["labels"]["tier"] == "front"


@pytest.mark.anyio
async def test_pod_watch_over_the_async_transport(ahttp: httpx.AsyncClient, cluster: FakeCluster) -> None:
    since = str(cluster.resource_version)
    created = (await ahttp.post(PODS, json=pod()))
    assert created.status_code == 201
    params = {"watch": "true", "resourceVersion": since, "timeoutSeconds": "1"}
    async with ahttp.stream("GET", PODS, params=params) as response:
        events = [json.loads(line) async for line in response.aiter_lines() if line]
    assert [(event["type"], event["object"]["metadata"]["name"]) for event in events] == [
        ("ADDED", created.json()["metadata"]["name"])]


def test_deleting_a_namespace_deletes_its_workloads(http: httpx.Client) -> None:
    _ok(http.post(PODS, json=pod()), 201)
    _ok(http.delete("/api/v1/namespaces/web"))
    assert _ok(http.get("/api/v1/pods"))["items"] == []


# -- every kind of the table ------------------------------------------------------------------------


def _collection(kind_index: int, namespace: str = "apps") -> str:
    kind = WORKLOAD_KINDS[kind_index]
    prefix = f"/apis/{kind.group}/{kind.version}" if kind.group else f"/api/{kind.version}"
    return f"{prefix}/namespaces/{namespace}/{kind.plural}"


@pytest.mark.parametrize("kind_index", range(len(WORKLOAD_KINDS)),
                         ids=[kind.kind for kind in WORKLOAD_KINDS])
def test_every_workload_kind_is_stored_with_shared_revisions(http: httpx.Client, cluster: FakeCluster,
                                                             kind_index: int) -> None:
    kind = WORKLOAD_KINDS[kind_index]
    path = _collection(kind_index)
    body = {"apiVersion": kind.api_version, "kind": kind.kind,
            "metadata": {"name": "sample", "labels": {"app": "sample"}},
            "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "quay.io/example/app:1.0"}]}}}}
    cluster.add_namespace("apps")
    before = cluster.resource_version
    created = _ok(http.post(path, json=body), 201)
    assert created["kind"] == kind.kind and created["apiVersion"] == kind.api_version
    assert int(created["metadata"]["resourceVersion"]) == before + 1 == cluster.resource_version
    assert created["spec"] == body["spec"]  # stored as sent: no schema beyond metadata
    assert ("generation" in created["metadata"]) == kind.generation
    wrong_kind = http.post(path, json={**body, "kind": "ImageStream"})
    assert wrong_kind.status_code == 400
    listing = _ok(http.get(path))
    assert listing["kind"] == f"{kind.kind}List"
    assert [item["metadata"]["name"] for item in listing["items"]] == ["sample"]
    patched = _ok(http.patch(f"{path}/sample", content=json.dumps({"metadata": {"labels": {"patched": "yes"}}}),
                             headers={"Content-Type": "application/merge-patch+json"}))
    assert patched["metadata"]["labels"] == {"app": "sample", "patched": "yes"}
    assert _ok(http.delete(f"{path}/sample"))["details"]["kind"] == kind.plural


def test_discovery_lists_every_workload_group_and_resource(http: httpx.Client) -> None:
    core = {entry["name"]: entry for entry in _ok(http.get("/api/v1"))["resources"]}
    assert {"pods", "pods/status", "configmaps", "replicationcontrollers", "namespaces", "secrets"} <= set(core)
    assert core["pods"]["shortNames"] == ["po"] and core["pods"]["namespaced"] is True
    groups = {group["name"]: group for group in _ok(http.get("/apis"))["groups"]}
    for kind in WORKLOAD_KINDS:
        if kind.group:
            assert groups[kind.group]["preferredVersion"]["groupVersion"] == kind.api_version
            assert _ok(http.get(f"/apis/{kind.group}"))["versions"] == [
                {"groupVersion": kind.api_version, "version": kind.version}]
        prefix = f"/apis/{kind.api_version}" if kind.group else "/api/v1"
        entries = {entry["name"]: entry for entry in _ok(http.get(prefix))["resources"]}
        assert entries[kind.plural]["kind"] == kind.kind
        assert ("status" in {name.split("/")[-1] for name in entries if name.startswith(f"{kind.plural}/")}) == \
            kind.status_subresource
    assert http.get("/apis/networking.k8s.io").status_code == 404
    assert http.get("/apis/networking.k8s.io/v1/namespaces/x/ingresses").status_code == 404


def test_openapi_v3_declares_field_validation_on_every_patch(http: httpx.Client) -> None:
    """kubectl leaves validation to the server only when the kind's PATCH takes fieldValidation."""
    index = _ok(http.get("/openapi/v3"))["paths"]
    for kind in WORKLOAD_KINDS:
        group_path = f"apis/{kind.api_version}" if kind.group else "api/v1"
        document = _ok(http.get("/" + index[group_path]["serverRelativeURL"].lstrip("/")))
        patches = [item["patch"] for item in document["paths"].values() if "patch" in item
                   and item["patch"]["x-kubernetes-group-version-kind"]["kind"] == kind.kind]
        assert patches, kind.kind
        for operation in patches:
            assert "fieldValidation" in {parameter["name"] for parameter in operation["parameters"]}
        schemas = document["components"]["schemas"]
        kind_schemas = [schema for schema in schemas.values()
                        if {"group": kind.group, "version": kind.version, "kind": kind.kind}
                        in schema.get("x-kubernetes-group-version-kind", [])]
        assert len(kind_schemas) == 1 and kind_schemas[0]["x-kubernetes-preserve-unknown-fields"] is True
        ref = kind_schemas[0]["properties"]["metadata"]["allOf"][0]["$ref"]
        assert ref.rsplit("/", 1)[-1] in schemas
