"""Real kubectl on the resources outside the image group: Lease and Pod create, get, list and watch.

kubectl resolves ``lease`` and ``po`` through discovery, checks in the OpenAPI v3 document that the
kinds take ``fieldValidation`` (and then leaves validation to the server), and follows watches from
its list's resourceVersion, as it does against a real cluster. The kubectl driver is the one of
``test_kubectl``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import test_kubectl
from test_kubectl import KUBECTL, NAMESPACE, Kubectl, write_manifest

from imageapi.testing import FakeCluster

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(KUBECTL is None, reason="kubectl is not on PATH; these tests drive the real binary"),
]

# The fixtures of test_kubectl: an ``e2e`` cluster and kubectl pointed at it on loopback.
cluster = test_kubectl.cluster
kubectl = test_kubectl.kubectl

LEASE = """\
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: imageapi-controller
  labels:
    app.kubernetes.io/name: imageapi
spec:
  holderIdentity: controller-0
  leaseDurationSeconds: 15
  acquireTime: "2026-12-02T07:00:00.000000Z"
  renewTime: "2026-12-02T07:00:05.250000Z"
  leaseTransitions: 0
"""

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
  annotations:
    openshift.io/scc: restricted-v2
spec:
  containers:
  - name: app
    image: quay.io/example/app:1.0
    imagePullPolicy: IfNotPresent
    ports:
    - containerPort: 8080
      protocol: TCP
    resources:
      limits: {cpu: 100m, memory: 64Mi}
  restartPolicy: Always
"""


def test_api_resources_lists_leases_and_pods(kubectl: Kubectl) -> None:
    wide = kubectl.run("api-resources", "--api-group=coordination.k8s.io", "-o", "name").stdout.split()
    core = kubectl.run("api-resources", "--api-group=", "-o", "name").stdout.split()

    assert wide == ["leases.coordination.k8s.io"]
    assert {"pods", "configmaps", "replicationcontrollers", "namespaces", "secrets"} <= set(core)


def test_lease_create_get_list_and_watch(kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path) -> None:
    created = kubectl.run("create", "-f", write_manifest(tmp_path, "lease.yaml", LEASE))
    got = kubectl.json("get", "lease", "imageapi-controller")
    listed = kubectl.run("get", "leases", "-l", "app.kubernetes.io/name=imageapi", "-o", "name").stdout.split()
    watch = kubectl.start("get", "lease", "imageapi-controller", "-w", "--output-watch-events", "-v=6", "-o",
                          'jsonpath={.type} {.object.spec.holderIdentity} {.object.metadata.resourceVersion}{"\\n"}',
                          request_timeout="15s")
    try:
        initial = watch.next_line()
        # A watch of one named object starts from "any" state (resourceVersion=0) and kubectl skips
        # its first event, which repeats the object it printed: change the lease once it is watching.
        watch.wait_for_log("watch=true")
        stored = cluster.get("leases", "imageapi-controller", namespace=NAMESPACE)
        stored["spec"]["holderIdentity"] = "controller-1"
        stored["spec"]["leaseTransitions"] = 1
        status, renewed = cluster.request(
            "PUT", cluster.url_path("leases", NAMESPACE, "imageapi-controller"), body=stored)
        changed = watch.next_line()
    finally:
        watch.stop()

    assert created.stdout.strip() == "lease.coordination.k8s.io/imageapi-controller created"
    assert got["spec"] == {"holderIdentity": "controller-0", "leaseDurationSeconds": 15,
                           "acquireTime": "2026-12-02T07:00:00.000000Z",
                           "renewTime": "2026-12-02T07:00:05.250000Z", "leaseTransitions": 0}
    assert got["metadata"]["uid"] == stored["metadata"]["uid"]
    assert listed == ["lease.coordination.k8s.io/imageapi-controller"]
    assert initial == f"ADDED controller-0 {got['metadata']['resourceVersion']}"
    assert status == 200
    assert changed == f"MODIFIED controller-1 {renewed['metadata']['resourceVersion']}"


def test_pod_create_get_list_and_watch(kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path) -> None:
    created = kubectl.run("create", "-f", write_manifest(tmp_path, "pod.yaml", POD))
    got = kubectl.json("get", "po", "web")
    listed = kubectl.run("get", "pods", "--field-selector=status.phase=Pending", "-o", "name").stdout.split()
    watch = kubectl.start("get", "pods", "-w", "--output-watch-events", "-o",
                          'jsonpath={.type} {.object.metadata.name} {.object.metadata.labels.tier}{"\\n"}', request_timeout="15s")
    try:
        initial = watch.next_line()
        kubectl.run("label", "pod", "web", "tier=front")
        labelled = watch.next_line()
        kubectl.run("delete", "pod", "web")
        deleted = watch.next_line()
    finally:
        watch.stop()

    assert created.stdout.strip() == "pod/web created"
    assert got["status"] == {"phase": "Pending", "qosClass": "Guaranteed"}
    assert got["spec"]["containers"][0]["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]
    assert json.dumps(got["metadata"]["annotations"]) == '{"openshift.io/scc": "restricted-v2"}'
    assert listed == ["pod/web"]
    assert initial == "ADDED web "
    assert labelled == "MODIFIED web front"
    assert deleted == "DELETED web front"
    assert cluster.list("pods", NAMESPACE) == []
