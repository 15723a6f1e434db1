"""What ``prune`` counts as in use: each workload kind oc reads, read through the client.

Each kind is served by the fake cluster. A few cases the fake cannot stage (a pod created after the
cutoff, a cluster without the OpenShift kinds, an unparseable image, counting list pages) serve the
workload lists from a small transport beside the fake, with the page shape a real server gives.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from imageapi import AsyncClient, Client
from imageapi.testing import FakeCluster
from imageapi.workflows import prune

from .conftest import Api
from .test_prune import LATER, history, push

REGISTRY = "image-registry.openshift-image-registry.svc:5000"
OLD = (datetime.now(timezone.utc) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
RECENT = (LATER - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(name: str, created: str = OLD) -> dict[str, Any]:
    return {"name": name, "namespace": "demo", "uid": f"uid-{name}", "resourceVersion": "7",
            "creationTimestamp": created, "labels": {"app": name}}


def template(image: str, init: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "main", "image": image, "imagePullPolicy": "IfNotPresent",
                                            "resources": {}, "terminationMessagePath": "/dev/termination-log"}],
                            "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler"}
    if init:
        spec["initContainers"] = [{"name": "init", "image": init, "resources": {}}]
    return {"metadata": {"creationTimestamp": None, "labels": {"app": "x"}}, "spec": spec}


def pod(name: str, image: str, phase: str, created: str = OLD) -> dict[str, Any]:
    return {"metadata": meta(name, created), "spec": template(image)["spec"],
            "status": {"phase": phase, "qosClass": "BestEffort", "conditions": None}}


def build_object(kind: str, name: str, strategy: dict[str, Any]) -> dict[str, Any]:
    body = {"metadata": meta(name), "spec": {"strategy": strategy, "source": {"type": "Git", "git": {"uri": "x"}},
                                             "output": {}, "resources": {}}}
    if kind == "Build":
        body["status"] = {"phase": "Complete"}
    return body


class Workloads:
    """Answers list requests for the workload kinds; everything else goes to the fake cluster."""

    PATHS = {
        "/api/v1/pods": "pods", "/api/v1/replicationcontrollers": "replicationcontrollers",
        "/apis/apps/v1/deployments": "deployments", "/apis/apps/v1/replicasets": "replicasets",
        "/apis/apps/v1/statefulsets": "statefulsets", "/apis/apps/v1/daemonsets": "daemonsets",
        "/apis/batch/v1/jobs": "jobs", "/apis/batch/v1/cronjobs": "cronjobs",
        "/apis/build.openshift.io/v1/builds": "builds", "/apis/build.openshift.io/v1/buildconfigs": "buildconfigs",
        "/apis/apps.openshift.io/v1/deploymentconfigs": "deploymentconfigs",
    }

    def __init__(self, cluster: FakeCluster, items: dict[str, list[dict[str, Any]]]) -> None:
        self.cluster = cluster
        self.items = items
        self.listed: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        plural = self.PATHS.get(request.url.path)
        if plural is not None:
            self.listed.append(plural)
            if plural not in self.items:
                return httpx.Response(404, json={"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                                 "reason": "NotFound", "code": 404, "message": "the server could not "
                                                 "find the requested resource"})
            limit = int(request.url.params.get("limit", "500"))
            start = int(request.url.params.get("continue") or 0)
            page = self.items[plural][start:start + limit]
            more = start + limit < len(self.items[plural])
            return httpx.Response(200, json={"kind": "List", "apiVersion": "v1", "items": page,
                                             "metadata": {"resourceVersion": "99",
                                                          "continue": str(start + limit) if more else None}})
        status, body = self.cluster.request(request.method, request.url.path, body=request.content or None,
                                            query=dict(request.url.params), headers=dict(request.headers))
        return httpx.Response(status, content=json.dumps(body).encode() if body is not None else b"")


@pytest.fixture(params=["sync", "async"])
def run(request: pytest.FixtureRequest) -> Iterator[Any]:
    """``run(handler, fn, **kwargs)``: ``fn(client, **kwargs)`` with a client of the mode over ``handler``."""
    import anyio

    def call(handler: Workloads, fn: Any, **kwargs: Any) -> Any:
        transport = httpx.MockTransport(handler)
        if request.param == "sync":
            with Client(base_url="https://api.test", namespace="demo", transport=transport) as client:
                return fn(client, **kwargs)

        async def main() -> Any:
            async with AsyncClient(base_url="https://api.test", namespace="demo", transport=transport) as client:
                return await fn(client, **kwargs)

        return anyio.run(main)

    yield call


KINDS = ["pod", "replicationcontroller", "deploymentconfig", "replicaset", "deployment", "daemonset", "build",
         "buildconfig", "statefulset", "job", "cronjob"]


def _workload_bodies(digests: dict[str, list[str]]) -> dict[str, list[dict[str, Any]]]:
    """One object of each kind, each using revision 2 (the oldest) of its own stream."""

    def pinned(kind: str) -> str:
        return f"{REGISTRY}/demo/{kind}@{digests[kind][0]}"

    def body(name: str, spec: dict[str, Any]) -> dict[str, Any]:
        return {"metadata": {"name": name, "labels": {"app": name}}, "spec": spec}

    return {
        "pods": [pod("runner", pinned("pod"), "Running"),
                 pod("done-long-ago", f"{REGISTRY}/demo/pod@{digests['pod'][1]}", "Succeeded")],
        "replicationcontrollers": [body("rc", {"replicas": 1, "selector": {"app": "x"},
                                               "template": template(pinned("replicationcontroller"))})],
        "deploymentconfigs": [body("dc", {"replicas": 1, "selector": {"app": "x"}, "triggers": [{"type": "ConfigChange"}],
                                          "template": template("busybox", init=pinned("deploymentconfig"))})],
        "replicasets": [body("rs", {"replicas": 0, "selector": {"matchLabels": {"app": "x"}},
                                    "template": template(pinned("replicaset"))})],
        "deployments": [body("web", {"replicas": 2, "selector": {"matchLabels": {"app": "x"}},
                                     "strategy": {"type": "RollingUpdate"}, "template": template(pinned("deployment"))})],
        "daemonsets": [body("ds", {"selector": {"matchLabels": {"app": "x"}}, "template": template(pinned("daemonset"))})],
        "builds": [build_object("Build", "b-1", {"type": "Source", "sourceStrategy": {
            "from": {"kind": "ImageStreamImage", "name": f"build@{digests['build'][0]}"}}})],
        "buildconfigs": [build_object("BuildConfig", "bc", {"type": "Docker", "dockerStrategy": {
            "from": {"kind": "DockerImage", "name": pinned("buildconfig")}}})],
        "statefulsets": [body("db", {"serviceName": "db", "selector": {"matchLabels": {"app": "x"}},
                                     "template": template(pinned("statefulset"))})],
        "jobs": [body("migrate", {"template": {**template(pinned("job")), "spec": {
            **template(pinned("job"))["spec"], "restartPolicy": "Never"}}})],
        "cronjobs": [body("nightly", {"schedule": "0 0 * * *", "jobTemplate": {"spec": {"template": {
            **template(pinned("cronjob")), "spec": {**template(pinned("cronjob"))["spec"], "restartPolicy": "OnFailure"}}}}})],
    }


def test_each_workload_kind_keeps_the_image_it_uses(api: Api) -> None:
    """Pods, RCs, DCs, replica sets, deployments, daemon sets, builds, build configs, stateful sets,
    jobs and cron jobs, served by the fake and read through the client."""
    cluster = api.cluster
    digests = {kind: push(cluster, kind, count=3) for kind in KINDS}  # oldest first
    for plural, bodies in _workload_bodies(digests).items():
        for body in bodies:
            status = body.pop("status", None)
            body["metadata"] = {"name": body["metadata"]["name"], "labels": body["metadata"].get("labels", {})}
            created = cluster.create(plural, body, "demo")
            if plural == "pods":  # a pod's phase is its kubelet's to set: through /status
                code, _ = cluster.request("PUT", cluster.url_path(plural, "demo", created["metadata"]["name"])
                                          + "/status", body={**created, "status": status})
                assert code == 200
    planned = api.call(prune.plan, keep_tag_revisions=0, now=LATER)
    assert planned.skipped_kinds == ()
    for kind in KINDS:
        [entry] = [s for s in planned.streams if s.name == kind]
        kept = {(r.position, r.rule) for r in entry.revisions if r.rule}
        assert kept == {(2, "image-in-use")}, (kind, kept)
        reason = next(r.reason for r in entry.revisions if r.rule)
        assert reason.startswith(f"image used by {kind}/"), reason
    # the pod that finished long ago protects nothing
    assert next(s for s in planned.streams if s.name == "pod").revisions[1].rule is None
    result = api.call(prune.apply, planned)
    for kind in KINDS:
        assert digests[kind][0] in history(cluster, kind) and digests[kind][1] not in history(cluster, kind)
    assert digests["pod"][1] in result.deleted_images and digests["deployment"][0] not in result.deleted_images


def test_pods_count_when_running_pending_or_younger_than_the_cutoff(run: Any) -> None:
    cluster = FakeCluster()
    digests = push(cluster, "app", count=4)
    spec = f"{REGISTRY}/demo/app@"
    items: dict[str, list[dict[str, Any]]] = {"pods": [
        pod("running", spec + digests[0], "Running"), pod("pending", spec + digests[1], "Pending"),
        pod("young-failed", spec + digests[2], "Failed", created=RECENT),
        pod("old-succeeded", spec + digests[3], "Succeeded")]}
    items.update({plural: [] for plural in Workloads.PATHS.values() if plural != "pods"})
    planned = run(Workloads(cluster, items), prune.plan, keep_tag_revisions=0, now=LATER)
    assert [(r.position, r.rule) for r in planned.streams[0].revisions] == [
        (0, None), (1, "image-in-use"), (2, "image-in-use"), (3, "image-in-use")]


def test_a_tag_reference_keeps_revision_zero_and_pages_are_followed(run: Any) -> None:
    cluster = FakeCluster()
    push(cluster, "app", count=2)
    deployments = [{"metadata": meta(f"d{i}"), "spec": {"template": template("busybox")}} for i in range(1200)]
    deployments.append({"metadata": meta("uses-tag"), "spec": {"template": template(f"{REGISTRY}/demo/app:latest")}})
    items = {plural: [] for plural in Workloads.PATHS.values()}
    items["deployments"] = deployments
    handler = Workloads(cluster, items)
    planned = run(handler, prune.plan, keep_tag_revisions=0, now=LATER)
    assert handler.listed.count("deployments") == 3  # 1,201 items in pages of 500
    assert [(r.position, r.rule) for r in planned.streams[0].revisions] == [(0, "tag-in-use"), (1, None)]


def test_openshift_kinds_a_cluster_does_not_serve_are_skipped_and_said(run: Any) -> None:
    cluster = FakeCluster()
    push(cluster, "app", count=2)
    items = {plural: [] for plural in Workloads.PATHS.values()
             if plural not in ("builds", "buildconfigs", "deploymentconfigs")}
    planned = run(Workloads(cluster, items), prune.plan, keep_tag_revisions=1, now=LATER)
    assert planned.skipped_kinds == ("deploymentconfigs", "builds", "buildconfigs")
    assert "warning: builds are not served here; their image references were not read" in str(planned)
    del items["pods"]
    with pytest.raises(Exception, match="404"):
        run(Workloads(cluster, items), prune.plan, keep_tag_revisions=1, now=LATER)


def test_an_invalid_reference_stops_the_plan_unless_ignored(run: Any) -> None:
    cluster = FakeCluster()
    push(cluster, "app", count=2)
    items = {plural: [] for plural in Workloads.PATHS.values()}
    items["pods"] = [pod("bad", "Not/A:Valid:Ref", "Running")]
    with pytest.raises(ValueError, match="failed to build graph - no changes made"):
        run(Workloads(cluster, items), prune.plan, keep_tag_revisions=1, now=LATER)
    planned = run(Workloads(cluster, items), prune.plan, keep_tag_revisions=1, now=LATER, ignore_invalid_refs=True)
    assert len(planned.streams[0].removed) == 1
