"""``client.resource(...)`` and ``client.leases``: accessors for kinds outside the image group.

Every test runs against Client and AsyncClient (the ``mode`` fixture), over httpx.MockTransport.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from client._listwatch import Consumer
from client.conftest import BASE_URL, BlockingAsyncClient, BlockingResource, Recorder
from imageapi.errors import ConflictError, NotFoundError
from imageapi.models import ObjectMeta, Status
from imageapi.models.coordination_v1 import Lease, LeaseSpec
from imageapi.models.generic import GenericObject


def generic(client: Any, *args: Any, **kwargs: Any) -> Any:
    """``client.resource(...)`` with a blocking surface in either mode."""
    if isinstance(client, BlockingAsyncClient):
        return BlockingResource(client.wrapped.resource(*args, **kwargs), client._portal)
    return client.resource(*args, **kwargs)


@pytest.fixture
def consumer(portal: Any) -> Consumer:
    return Consumer(portal)


# A realistic Deployment as a server returns it: defaults, nulls, status block, managedFields.
DEPLOYMENT: dict[str, Any] = {
    "kind": "Deployment",
    "apiVersion": "apps/v1",
    "metadata": {
        "name": "web", "namespace": "demo", "uid": "0b9d5a3c-1c1e-4c1b-9d37-1e0c3f4f3a51",
        "resourceVersion": "4711", "generation": 3, "creationTimestamp": "2024-05-01T10:00:00Z",
        "labels": {"app": "web"}, "annotations": {"deployment.kubernetes.io/revision": "2"},
        "managedFields": [{"manager": "kubectl", "operation": "Update", "apiVersion": "apps/v1",
                           "time": "2024-05-01T10:00:00Z", "fieldsType": "FieldsV1",
                           "fieldsV1": {"f:spec": {"f:replicas": {}}}}],
    },
    "spec": {
        "replicas": 2, "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"creationTimestamp": None, "labels": {"app": "web"}},
                     "spec": {"containers": [{"name": "web", "image": "image-registry.openshift-image-registry.svc:5000/demo/hello@sha256:" + "a" * 64,
                                              "resources": {}, "imagePullPolicy": "IfNotPresent"}],
                              "restartPolicy": "Always", "dnsPolicy": "ClusterFirst"}},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
        "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
    },
    "status": {"observedGeneration": 3, "replicas": 2, "readyReplicas": 2,
               "conditions": [{"type": "Available", "status": "True", "lastUpdateTime": "2024-05-01T10:01:00Z"}]},
}

LEASE: dict[str, Any] = {
    "kind": "Lease",
    "apiVersion": "coordination.k8s.io/v1",
    "metadata": {"name": "ctl", "namespace": "demo", "resourceVersion": "12", "uid": "u-1",
                 "creationTimestamp": "2024-05-01T10:00:00Z"},
    "spec": {"holderIdentity": "pod-a_1234", "leaseDurationSeconds": 15,
             "acquireTime": "2024-05-01T10:00:00.000000Z", "renewTime": "2024-05-01T10:00:07.250000Z",
             "leaseTransitions": 4},
}


def test_core_group_paths_are_under_api_v1_and_named_groups_under_apis(make_client: Any) -> None:
    recorder = Recorder(httpx.Response(200, json={"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "p"}}))
    client = make_client(transport=recorder.transport(), namespace="demo")
    generic(client, "v1", "pods", kind="Pod").get("p")
    assert str(recorder.last.url) == f"{BASE_URL}/api/v1/namespaces/demo/pods/p"
    generic(client, "apps/v1", "deployments", kind="Deployment").get("web", namespace="other")
    assert str(recorder.last.url) == f"{BASE_URL}/apis/apps/v1/namespaces/other/deployments/web"
    generic(client, "v1", "namespaces", kind="Namespace", namespaced=False).get("demo")
    assert str(recorder.last.url) == f"{BASE_URL}/api/v1/namespaces/demo"


def test_generic_objects_type_metadata_and_keep_everything_else_losslessly(make_client: Any) -> None:
    recorder = Recorder(httpx.Response(200, json=DEPLOYMENT))
    client = make_client(transport=recorder.transport(), namespace="demo")
    deployments = generic(client, "apps/v1", "deployments", kind="Deployment")
    deployment = deployments.get("web")
    assert isinstance(deployment, GenericObject)
    assert isinstance(deployment.metadata, ObjectMeta)
    assert deployment.metadata.resource_version == "4711"
    assert deployment.metadata.creation_timestamp == datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
    assert deployment.spec["replicas"] == 2
    assert deployment.to_dict() == DEPLOYMENT  # nulls, managedFields and status included
    # and replace sends back exactly what was read
    deployments.replace(deployment)
    assert recorder.last.method == "PUT"
    assert str(recorder.last.url) == f"{BASE_URL}/apis/apps/v1/namespaces/demo/deployments/web"
    assert json.loads(recorder.last.content) == DEPLOYMENT


def test_create_fills_in_api_version_and_kind_and_takes_the_namespace_from_the_body(make_client: Any) -> None:
    recorder = Recorder(httpx.Response(201, json={**DEPLOYMENT, "metadata": {"name": "web", "namespace": "prod"}}))
    client = make_client(transport=recorder.transport(), namespace="demo")
    created = generic(client, "apps/v1", "deployments", kind="Deployment").create(
        {"metadata": {"name": "web", "namespace": "prod"}, "spec": {"replicas": 1}}, field_manager="me"
    )
    assert created.metadata.namespace == "prod"
    request = recorder.last
    assert (request.method, request.url.path) == ("POST", "/apis/apps/v1/namespaces/prod/deployments")
    assert request.url.params["fieldManager"] == "me"
    assert json.loads(request.content) == {"metadata": {"name": "web", "namespace": "prod"}, "spec": {"replicas": 1},
                                           "apiVersion": "apps/v1", "kind": "Deployment"}


def test_patch_and_apply_use_the_resources_kind(make_client: Any) -> None:
    recorder = Recorder(httpx.Response(200, json=DEPLOYMENT))
    client = make_client(transport=recorder.transport(), namespace="demo")
    deployments = generic(client, "apps/v1", "deployments", kind="Deployment")
    deployments.patch("web", {"spec": {"replicas": 3}})
    assert recorder.last.headers["content-type"] == "application/merge-patch+json"
    deployments.patch("web", {"spec": {"replicas": 3}}, type="apply", field_manager="ctl", force=True)
    assert recorder.last.headers["content-type"] == "application/apply-patch+yaml"
    assert json.loads(recorder.last.content) == {"spec": {"replicas": 3}, "apiVersion": "apps/v1", "kind": "Deployment"}
    assert recorder.last.url.params["force"] == "true"


def test_delete_answers_a_status_or_the_object_kept_by_finalizers(make_client: Any) -> None:
    kept = {**DEPLOYMENT, "metadata": {**DEPLOYMENT["metadata"], "deletionTimestamp": "2024-05-01T11:00:00Z",
                                       "finalizers": ["foregroundDeletion"]}}
    recorder = Recorder(
        httpx.Response(200, json={"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                  "details": {"name": "web", "group": "apps", "kind": "deployments"}}),
        httpx.Response(200, json=kept),
    )
    client = make_client(transport=recorder.transport(), namespace="demo")
    deployments = generic(client, "apps/v1", "deployments", kind="Deployment")
    assert isinstance(deployments.delete("web"), Status)
    second = deployments.delete("web", propagation_policy="Foreground")
    assert isinstance(second, GenericObject)
    assert second.metadata.finalizers == ["foregroundDeletion"]
    assert json.loads(recorder.last.content)["propagationPolicy"] == "Foreground"


def test_errors_are_the_sdks_typed_errors(make_client: Any) -> None:
    recorder = Recorder(
        httpx.Response(404, json={"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                                  "code": 404, "message": 'leases.coordination.k8s.io "x" not found',
                                  "details": {"name": "x", "group": "coordination.k8s.io", "kind": "leases"}}),
        httpx.Response(409, json={"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Conflict",
                                  "code": 409, "message": "the object has been modified"}),
    )
    client = make_client(transport=recorder.transport(), namespace="demo")
    with pytest.raises(NotFoundError, match="not found"):
        client.leases.get("x")
    with pytest.raises(ConflictError):
        client.leases.replace(LEASE)


def test_leases_decode_to_the_typed_lease_with_micro_times(make_client: Any) -> None:
    recorder = Recorder(httpx.Response(200, json=LEASE))
    client = make_client(transport=recorder.transport(), namespace="demo")
    lease = client.leases.get("ctl")
    assert str(recorder.last.url) == f"{BASE_URL}/apis/coordination.k8s.io/v1/namespaces/demo/leases/ctl"
    assert isinstance(lease, Lease)
    assert lease.spec.holder_identity == "pod-a_1234"
    assert lease.spec.renew_time == datetime(2024, 5, 1, 10, 0, 7, 250000, tzinfo=timezone.utc)
    assert lease.to_dict() == LEASE  # MicroTime written back with six fraction digits
    lease.spec = LeaseSpec(holder_identity="", lease_duration_seconds=1,
                           renew_time=datetime(2024, 5, 1, 10, 0, 8, tzinfo=timezone.utc))
    client.leases.replace(lease)
    assert json.loads(recorder.last.content)["spec"] == {
        "holderIdentity": "", "leaseDurationSeconds": 1, "renewTime": "2024-05-01T10:00:08.000000Z",
    }


def test_list_pages_into_typed_items_with_the_lists_resource_version(make_client: Any, consumer: Consumer) -> None:
    page = {"kind": "LeaseList", "apiVersion": "coordination.k8s.io/v1",
            "metadata": {"resourceVersion": "99", "continue": "tok"}, "items": [LEASE]}
    last = {**page, "metadata": {"resourceVersion": "99"}, "items": [{**LEASE, "metadata": {"name": "two"}}]}
    recorder = Recorder(httpx.Response(200, json=page), httpx.Response(200, json=last))
    client = make_client(transport=recorder.transport(), namespace="demo")
    pager = client.leases.list(label_selector={"app": "web"}, chunk_size=1)
    leases = consumer.items(pager)
    assert [lease.metadata.name for lease in leases] == ["ctl", "two"]
    assert all(isinstance(lease, Lease) for lease in leases)
    assert pager.resource_version == "99"
    assert recorder.requests[1].url.params["continue"] == "tok"
    assert recorder.requests[0].url.params["labelSelector"] == "app=web"


def test_list_all_namespaces_and_cluster_scoped(make_client: Any, consumer: Consumer) -> None:
    recorder = Recorder(httpx.Response(200, json={"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": None}))
    client = make_client(transport=recorder.transport(), namespace="demo")
    assert consumer.items(generic(client, "v1", "pods", kind="Pod").list(all_namespaces=True)) == []
    assert recorder.last.url.path == "/api/v1/pods"
    nodes = generic(client, "v1", "nodes", kind="Node", namespaced=False)
    consumer.items(nodes.list())
    assert recorder.last.url.path == "/api/v1/nodes"
    with pytest.raises(TypeError, match="cluster-scoped"):
        nodes.get("n1", namespace="demo")


def test_watch_yields_typed_events(make_client: Any, consumer: Consumer) -> None:
    listed = {"kind": "LeaseList", "apiVersion": "coordination.k8s.io/v1", "metadata": {"resourceVersion": "12"},
              "items": [LEASE]}
    changed = {**LEASE, "metadata": {**LEASE["metadata"], "resourceVersion": "13"}}
    lines = json.dumps({"type": "MODIFIED", "object": changed}) + "\n"

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("watch") == "true":
            return httpx.Response(200, content=lines.encode())
        return httpx.Response(200, json=listed)

    recorder = Recorder(answer)
    client = make_client(transport=recorder.transport(), namespace="demo")
    events = consumer.events(client.leases.watch(), 2)
    assert [(event.type, event.object.metadata.resource_version) for event in events] == [
        ("ADDED", "12"), ("MODIFIED", "13")]
    assert all(isinstance(event.object, Lease) for event in events)
    watch_request = next(r for r in recorder.requests if r.url.params.get("watch") == "true")
    assert watch_request.url.path == "/apis/coordination.k8s.io/v1/namespaces/demo/leases"
    assert watch_request.url.params["resourceVersion"] == "12"


def test_a_user_model_class_is_used_and_its_kind_stands_in(make_client: Any) -> None:
    recorder = Recorder(httpx.Response(200, json=LEASE))
    client = make_client(transport=recorder.transport(), namespace="demo")
    leases = generic(client, "coordination.k8s.io/v1", "leases", model=Lease)
    assert isinstance(leases.get("ctl"), Lease)


def test_bad_arguments_are_refused_at_the_call(make_client: Any) -> None:
    client = make_client(transport=Recorder().transport(), namespace="demo")
    with pytest.raises(ValueError, match="api_version"):
        generic(client, "apps/v1/extra", "deployments", kind="Deployment")
    with pytest.raises(ValueError, match="api_version"):
        generic(client, "/v1", "deployments", kind="Deployment")
    with pytest.raises(ValueError, match="plural"):
        generic(client, "apps/v1", "Deployments", kind="Deployment")
    with pytest.raises(ValueError, match="kind"):
        generic(client, "apps/v1", "deployments", kind="deployment")
    with pytest.raises(TypeError, match="kind"):
        generic(client, "apps/v1", "deployments")
    with pytest.raises(TypeError, match="pydantic model"):
        generic(client, "apps/v1", "deployments", kind="Deployment", model=dict)


def test_accessors_are_cached_per_client_and_arguments(make_client: Any) -> None:
    client = make_client(transport=Recorder().transport(), namespace="demo")
    raw = client.wrapped if isinstance(client, BlockingAsyncClient) else client
    assert raw.resource("v1", "pods", kind="Pod") is raw.resource("v1", "pods", kind="Pod")
    assert raw.leases is raw.leases
    assert raw.resource("v1", "pods", kind="Pod") is not raw.resource("v1", "pods", kind="Pod", namespaced=False)
    assert "leases" in repr(raw.leases)
