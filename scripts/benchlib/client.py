"""Benchmark section ``client``: imageapi's list and watch against the official ``kubernetes`` client.

One fake cluster is served on loopback from a separate process (so its CPU is not counted), seeded
with image streams, images, and a watch history of MODIFIED events. In this process, in the same run:

- **list**: all image streams with ``chunk_size``/``limit`` 500, touching each item's name, through
  ``client.image_streams.list()`` and through ``kubernetes.dynamic.DynamicClient``: client CPU per
  object (``time.process_time``), median of interleaved runs; goal imageapi <= 0.5x the official one;
- **watch**: consuming N MODIFIED events replayed from the history (watch from the resourceVersion
  before them), reading each event's type and name: events per second, and client CPU per event;
  goal imageapi >= 2x the official one. A third reader only counts lines: the rate at which the
  server process can deliver at all, which caps the events-per-second ratio on a small machine;
- **memory**: in a fresh subprocess, iterating every Image with chunk_size 500 and counting them:
  growth of RSS (current RSS before the list, the process's own high-water mark ``VmHWM`` after it;
  ``ru_maxrss`` would carry the benchmark process's peak, inherited across fork); goal <= 50 MB.

``--quick`` uses small sizes so the section runs in seconds; its figures are indicative only.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from benchlib._cluster import NAMESPACE, PEAK_RSS_PROBE, WATCH_NAMESPACE, Server

CHUNK = 500
FULL = {"streams": 20_000, "events": 20_000, "images": 100_000, "repeat": 5}
QUICK = {"streams": 2_000, "events": 2_000, "images": 10_000, "repeat": 3}


# -- the two clients --------------------------------------------------------------------------------


def _imageapi_list(client: Any) -> Callable[[], int]:
    def work() -> int:
        count = 0
        for stream in client.image_streams.list(namespace=NAMESPACE, chunk_size=CHUNK):
            count += bool(stream.metadata.name)
        return count

    return work


def _official_list(resource: Any) -> Callable[[], int]:
    def work() -> int:
        count, token = 0, None
        while True:
            page = resource.get(namespace=NAMESPACE, limit=CHUNK, _continue=token)
            for stream in page.items:
                count += bool(stream.metadata.name)
            token = page.metadata["continue"]
            if not token:
                return count

    return work


def _imageapi_watch(client: Any, since: str, total: int) -> Callable[[], int]:
    def work() -> int:
        count = 0
        with client.image_streams.watch(namespace=WATCH_NAMESPACE, resource_version=since) as watch:
            for event in watch:
                count += bool(event.type == "MODIFIED" and event.object.metadata.name)
                if count >= total:
                    break
        return count

    return work


def _official_watch(resource: Any, since: str, total: int) -> Callable[[], int]:
    def work() -> int:
        count = 0
        stream = resource.watch(namespace=WATCH_NAMESPACE, resource_version=since)
        try:
            for event in stream:
                count += bool(event["type"] == "MODIFIED" and event["object"].metadata.name)
                if count >= total:
                    break
        finally:
            stream.close()  # the generator's close releases its connection
        return count

    return work


def _raw_watch(url: str, since: str, total: int) -> Callable[[], int]:
    """The server's delivery ceiling: a reader that only counts lines, decoding nothing."""
    import httpx

    path = f"{url}/apis/image.openshift.io/v1/namespaces/{WATCH_NAMESPACE}/imagestreams"

    def work() -> int:
        count = 0
        with httpx.stream("GET", path, params={"watch": "true", "resourceVersion": since}, timeout=60) as response:
            for chunk in response.iter_raw():
                count += chunk.count(b"\n")
                if count >= total:
                    break
        return min(count, total)

    return work


def _measure(works: dict[str, Callable[[], int]], repeat: int, expected: int) -> dict[str, tuple[float, float]]:
    """Median (wall seconds, CPU seconds) per work, run round-robin; each run's count is checked."""
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in works}
    for _ in range(repeat):
        for name, work in works.items():
            wall, cpu = time.perf_counter(), time.process_time()
            count = work()
            samples[name].append((time.perf_counter() - wall, time.process_time() - cpu))
            if count != expected:
                raise AssertionError(f"{name} saw {count} objects, expected {expected}")
    return {name: (statistics.median(s[0] for s in values), statistics.median(s[1] for s in values))
            for name, values in samples.items()}


_RSS_PROBE = PEAK_RSS_PROBE + """
from imageapi import Client
client = Client(base_url=sys.argv[1], namespace="default")
pager = client.images.list(chunk_size=int(sys.argv[2]))
# Everything but the list itself is loaded first: imports, models, the connection pool.
client.images.list(chunk_size=1).pages().__next__()
# The current RSS, not the peak so far: a transient peak while importing would otherwise hide growth.
before = _status_kib("VmRSS")
report(sum(1 for image in pager if image.metadata.name), before)
"""


def _rss_growth_mb(url: str, expected: int) -> float:
    output = subprocess.run([sys.executable, "-c", _RSS_PROBE, url, str(CHUNK)], check=True,
                            capture_output=True, text=True).stdout.split()
    count, before, after = (int(value) for value in output)
    if count != expected:
        raise AssertionError(f"the memory probe listed {count} images, expected {expected}")
    return (after - before) / 1024  # /proc/self/status counts KiB


def run(quick: bool) -> None:
    """Print the list CPU, watch rate and list memory figures (see the module docstring)."""
    from kubernetes import client as k8s_client
    from kubernetes.dynamic import DynamicClient

    from imageapi import Client

    sizes = QUICK if quick else FULL
    print(f"  seeding a fake cluster in a server process: {sizes['streams']:,} image streams, "
          f"{sizes['images']:,} images, {sizes['events']:,} MODIFIED events ...", flush=True)
    server = Server(sizes["streams"], sizes["images"], sizes["events"])
    try:
        configuration = k8s_client.Configuration()
        configuration.host = server.url
        api_client = k8s_client.ApiClient(configuration)
        official = DynamicClient(api_client)
        streams_api = official.resources.get(api_version="image.openshift.io/v1", kind="ImageStream")
        with api_client, Client(base_url=server.url, namespace=NAMESPACE) as ours:
            _compare_list_and_watch(ours, streams_api, server, sizes)

        growth = _rss_growth_mb(server.url, sizes["images"])
        print(f"  list {sizes['images']:,} images, chunk 500, peak RSS growth: {growth:.1f} MB  "
              f"(goal <= 50 MB: {'met' if growth <= 50 else 'NOT met'})")
    finally:
        server.close()


def _compare_list_and_watch(ours: Any, streams_api: Any, server: Server, sizes: dict[str, int]) -> None:
    """Print the list and watch figures of both clients."""
    listing = _measure({"imageapi": _imageapi_list(ours), "kubernetes": _official_list(streams_api)},
                       sizes["repeat"], sizes["streams"])
    per_object = {name: cpu / sizes["streams"] * 1e6 for name, (_, cpu) in listing.items()}
    ratio = per_object["imageapi"] / per_object["kubernetes"]
    print(f"  list {sizes['streams']:,} image streams, chunk 500, client CPU per object: "
          f"imageapi {per_object['imageapi']:.1f} us, kubernetes {per_object['kubernetes']:.1f} us "
          f"-> {ratio:.2f}x  (goal <= 0.5x: {'met' if ratio <= 0.5 else 'NOT met'})")

    watching = _measure({
        "imageapi": _imageapi_watch(ours, server.events_from, sizes["events"]),
        "kubernetes": _official_watch(streams_api, server.events_from, sizes["events"]),
        "raw": _raw_watch(server.url, server.events_from, sizes["events"]),
    }, sizes["repeat"], sizes["events"])
    rates = {name: sizes["events"] / wall for name, (wall, _) in watching.items()}
    cpu_per_event = {name: cpu / sizes["events"] * 1e6 for name, (_, cpu) in watching.items()}
    speedup = rates["imageapi"] / rates["kubernetes"]
    print(f"  watch {sizes['events']:,} MODIFIED events: imageapi {rates['imageapi']:,.0f}/s, "
          f"kubernetes {rates['kubernetes']:,.0f}/s -> {speedup:.2f}x  "
          f"(goal >= 2x: {'met' if speedup >= 2 else 'NOT met'}); client CPU per event "
          f"{cpu_per_event['imageapi']:.1f} us vs {cpu_per_event['kubernetes']:.1f} us")
    # The server process renders every event (copy, decorate, encode); when imageapi reaches
    # this rate the figure above measures the server, not the client.
    print(f"  watch: the server's delivery ceiling (a reader that decodes nothing): {rates['raw']:,.0f}/s; "
          f"client CPU per event ratio imageapi/kubernetes "
          f"{cpu_per_event['imageapi'] / cpu_per_event['kubernetes']:.2f}x")
