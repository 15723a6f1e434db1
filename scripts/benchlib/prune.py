"""Benchmark section ``prune``: planning ``oc adm prune images`` over a large fake cluster.

The cluster holds 2,000 streams x 20 tags x 10 revisions (400,000 revisions; ``--quick``: 200
streams) seeded straight into the fake's store, and one Image per stream and revision (each stream's
tags share its ten images: 20,000 images; a distinct image per revision would be 400,000 Image
objects, more than the shared machine holds comfortably). ``prune.plan`` runs with its defaults,
in process and over loopback; printed are the median plan time of three runs in each mode, their
ratio, the revisions planned per second, and the requests made against the minimum the algorithm
needs: one listing of the streams and one of the images, page by page, plus one of each workload
kind the cluster serves (oc lists them unpaged; a page of 500 keeps each answer bounded).
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Generator
from datetime import datetime, timedelta, timezone
from typing import Any

from imageapi import Client
from imageapi.testing import FakeCluster
from imageapi.workflows import prune
from imageapi.workflows._common import PAGE_SIZE

TAGS = 20
REVISIONS = 10
REGISTRY = "image-registry.openshift-image-registry.svc:5000"


def _digest(stream: int, revision: int) -> str:
    return f"sha256:{stream:032x}{revision:032x}"


def _seed(streams: int) -> FakeCluster:
    cluster = FakeCluster(simulate_import_controller=False)
    store = cluster.store
    for index in range(streams):
        namespace = f"ns{index % 50:02d}"
        if index < 50:
            cluster.add_namespace(namespace)
        name = f"app{index:05d}"
        for revision in range(REVISIONS):
            digest = _digest(index, revision)
            store.create("images", None, {
                "apiVersion": "image.openshift.io/v1", "kind": "Image",
                "metadata": {"name": digest, "annotations": {"openshift.io/image.managed": "true"}},
                "dockerImageReference": f"{REGISTRY}/{namespace}/{name}@{digest}",
                "dockerImageMetadata": {"kind": "DockerImage", "apiVersion": "image.openshift.io/1.0", "Size": 1024},
                "dockerImageMetadataVersion": "1.0", "dockerImageManifestMediaType":
                    "application/vnd.docker.distribution.manifest.v2+json",
                "dockerImageLayers": [{"name": f"sha256:{revision:064x}", "size": 1024,
                                       "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip"}],
            })
        created = "2026-01-01T00:00:00Z"
        items = [{"created": created, "dockerImageReference": f"{REGISTRY}/{namespace}/{name}@{_digest(index, r)}",
                  "image": _digest(index, r), "generation": REVISIONS - r} for r in range(REVISIONS)]
        tags = [{"tag": f"t{tag:02d}", "items": items} for tag in range(TAGS)]
        spec_tags = [{"name": f"t{tag:02d}", "annotations": None, "generation": REVISIONS,
                      "importPolicy": {"importMode": "Legacy"}, "referencePolicy": {"type": "Source"}}
                     for tag in range(TAGS)]
        store.create("imagestreams", namespace, {
            "apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
            "metadata": {"name": name, "namespace": namespace, "generation": REVISIONS},
            "spec": {"lookupPolicy": {"local": False}, "tags": spec_tags},
            "status": {"dockerImageRepository": f"{REGISTRY}/{namespace}/{name}", "tags": tags},
        })
    return cluster


def _counting(flow: Generator[Any, Any, Any], counter: list[int]) -> Generator[Any, Any, Any]:
    """``flow``, counting the requests it yields."""
    try:
        request = next(flow)
        while True:
            counter[0] += 1
            try:
                answer = yield request
            except Exception as error:  # handed to the flow, which decides
                request = flow.throw(error)
            else:
                request = flow.send(answer)
    except StopIteration as stop:
        return stop.value


def _serves_workloads(client: Client) -> bool:
    from imageapi import NotFoundError

    try:
        next(client.resource("v1", "pods", kind="Pod").list(namespace="ns00").pages())
    except NotFoundError:
        return False
    return True


def _plan_once(client: Client, now: datetime, workloads: bool) -> tuple[float, int, prune.PrunePlan]:
    counter = [0]
    flow = prune._plan_flow(None, 3, timedelta(minutes=60), True, (), False, workloads, now)
    start = time.perf_counter()
    planned = client._run(_counting(flow, counter))
    return time.perf_counter() - start, counter[0], planned


def run(quick: bool) -> None:
    """Seed, then plan in process and over loopback; print medians, ratio and request counts."""
    streams = 200 if quick else 2_000
    seeded = time.perf_counter()
    cluster = _seed(streams)
    print(f"  seeded {streams:,} streams x {TAGS} tags x {REVISIONS} revisions "
          f"({streams * TAGS * REVISIONS:,} revisions, {streams * REVISIONS:,} images) "
          f"in {time.perf_counter() - seeded:.1f}s")
    now = datetime.now(timezone.utc) + timedelta(days=400)
    results: dict[str, list[tuple[float, int, prune.PrunePlan]]] = {}
    with cluster.client(timeout=600) as client:
        workloads = _serves_workloads(client)
        if not workloads:
            print("  (this fake serves no Pods yet: planned with read_workloads=False, no workload lists)")
        results["in process"] = [_plan_once(client, now, workloads) for _ in range(3)]
    with cluster.serve() as server, Client(base_url=server.url, timeout=600) as client:
        results["loopback"] = [_plan_once(client, now, workloads) for _ in range(3)]
    planned = results["in process"][0][2]
    kinds = len(prune.WORKLOADS) if workloads else 0
    served_kinds = kinds - len(planned.skipped_kinds)
    minimum = math.ceil(streams / PAGE_SIZE) + math.ceil(streams * REVISIONS / PAGE_SIZE) + kinds
    medians = {}
    for mode, runs in results.items():
        medians[mode] = statistics.median(seconds for seconds, _, _ in runs)
        requests = runs[0][1]
        rate = streams * TAGS * REVISIONS / medians[mode]
        print(f"  plan, {mode}: median {medians[mode]:.2f}s of 3 ({rate:,.0f} revisions/s); "
              f"{requests} requests, minimum {minimum} "
              f"({math.ceil(streams / PAGE_SIZE)} stream pages + {math.ceil(streams * REVISIONS / PAGE_SIZE)} "
              f"image pages + one list per workload kind read: {kinds}, of which {served_kinds} served here)")
    print(f"  loopback / in process: {medians['loopback'] / medians['in process']:.2f}x")
    print(f"  the plan: {len(planned.stream_writes):,} streams to update, {planned.removed_revisions:,} revisions "
          f"and {len(planned.image_deletes):,} images to remove")
