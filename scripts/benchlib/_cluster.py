"""The seeded fake cluster that the client benchmarks (``client``, ``peers``) talk to over loopback.

The server runs in its own process, so its CPU is not counted as the client's: the parent reads the
server's CPU time (``Server.cpu_seconds``) to say how busy it was during each measurement.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from multiprocessing.connection import Connection
from typing import Any

NAMESPACE = "bench"
"""Where the listed image streams live."""

WATCH_NAMESPACE = "hot"
"""Where the one stream whose MODIFIED events are replayed lives."""

GET_NAMESPACE = "gets"
"""A namespace with one stream (``GET_NAME``): a get by field selector scans only it."""

GET_NAME = "target"

WRITE_NAMESPACE = "writes"
"""Where the create benchmarks write."""


def _digest(seed: str) -> str:
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


def stream(index: int, namespace: str = NAMESPACE, name: str | None = None) -> dict[str, Any]:
    """An image stream as a busy namespace has them: three spec tags, and history in the status."""
    name = name or f"app-{index:06d}"
    tags = ["latest", "1.0", "1.1"]
    return {
        "apiVersion": "image.openshift.io/v1",
        "kind": "ImageStream",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name, "team": f"t{index % 17}"},
                     "annotations": {"openshift.io/image.dockerRepositoryCheck": "2024-01-01T00:00:00Z"}},
        "spec": {"lookupPolicy": {"local": False}, "tags": [
            {"name": tag, "from": {"kind": "DockerImage", "name": f"quay.io/team/{name}:{tag}"},
             "importPolicy": {"importMode": "Legacy"}, "referencePolicy": {"type": "Source"}}
            for tag in tags]},
        "status": {"dockerImageRepository": f"image-registry.openshift-image-registry.svc:5000/{namespace}/{name}",
                   "tags": [{"tag": tag, "items": [
                       {"created": "2024-01-01T00:00:00Z", "dockerImageReference":
                        f"quay.io/team/{name}@{_digest(name + tag + str(generation))}",
                        "image": _digest(name + tag + str(generation)), "generation": generation}
                       for generation in (1, 2)]} for tag in tags]},
    }


def new_stream(name: str) -> dict[str, Any]:
    """The body a create sends: a stream with spec tags that do not import (no status: the server owns it)."""
    body = stream(0, WRITE_NAMESPACE, name)
    del body["status"]
    for tag in body["spec"]["tags"]:
        tag["from"] = {"kind": "ImageStreamTag", "namespace": NAMESPACE, "name": f"app-000000:{tag['name']}"}
    return body


def image(index: int) -> dict[str, Any]:
    """An Image with five layers and Docker metadata."""
    name = _digest(f"image-{index}")
    return {
        "metadata": {"name": name, "annotations": {"image.openshift.io/dockerLayersOrder": "ascending"}},
        "dockerImageReference": f"quay.io/team/app{index % 211}@{name}",
        "dockerImageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "dockerImageLayers": [
            {"name": _digest(f"layer-{index}-{layer}"), "size": 1000 + layer * 4096,
             "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip"} for layer in range(5)],
        "dockerImageMetadata": {"kind": "DockerImage", "apiVersion": "image.openshift.io/1.0",
                                "Id": name, "Architecture": "amd64", "Size": 123456789},
    }


def _serve(conn: Connection, streams: int, images: int, events: int) -> None:
    """The server process: seed the store directly (fast), replay history on watches, serve until told."""
    from imageapi.testing import FakeCluster

    cluster = FakeCluster(watch_history_size=events + 100, continue_token_ttl=3600.0,
                          namespaces=[NAMESPACE, WATCH_NAMESPACE, GET_NAMESPACE, WRITE_NAMESPACE])
    store = cluster.store
    for index in range(streams):
        store.create("imagestreams", NAMESPACE, stream(index))
    for index in range(images):
        store.create("images", None, image(index))
    store.create("imagestreams", GET_NAMESPACE, stream(0, GET_NAMESPACE, GET_NAME))
    hot = store.create("imagestreams", WATCH_NAMESPACE, stream(999_999, WATCH_NAMESPACE))
    before_events = store.current_resource_version()
    for generation in range(events):
        hot["metadata"]["labels"]["generation"] = str(generation)
        hot["metadata"].pop("resourceVersion", None)
        hot = store.update("imagestreams", WATCH_NAMESPACE, hot)
    with cluster.serve() as server:
        conn.send((server.url, str(before_events)))
        conn.recv()  # until the parent is done
    cluster.close()


class Server:
    """The seeded fake cluster, served on loopback from a child process."""

    def __init__(self, streams: int, images: int, events: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, streams, images, events), daemon=True)
        self._process.start()
        self.url: str
        self.events_from: str
        self.url, self.events_from = self._conn.recv()
        self.pid = self._process.pid

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far."""
        assert self.pid is not None
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self._conn.send("stop")
        self._process.join(30)


PEAK_RSS_PROBE = """
import sys

def _status_kib(key):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(key + ":"))

def report(count, before):
    # VmHWM is this process's own high-water mark; ru_maxrss would include the parent's peak,
    # inherited across fork (subprocess forks the benchmark process, then execs this one).
    print(count, before, _status_kib("VmHWM"))
"""
"""Shared head of the memory probes: ``report(count, before)`` prints count, VmRSS before, VmHWM now."""

