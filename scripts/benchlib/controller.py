"""Benchmark section ``controller``: imageapi's informer against the official client's, and events
through informer -> work queue -> a no-op reconcile.

One fake cluster is served on loopback from a separate process (its CPU is not counted), seeded
with N image streams (three spec tags and six status items each, ~2.5 kB of JSON). In the same run:

- **sync**: in a fresh subprocess per run (one warm-up round first, then interleaved rounds with
  alternating order), an informer over the N streams is started and timed until
  its cache holds all of them (``Informer(...).wait_for_sync()``; the official
  ``kubernetes.informer.SharedInformer`` until its ``ObjectCache`` holds N keys). Printed: median
  wall seconds to sync over interleaved runs and the ratio (goal imageapi <= 0.5x), and memory per
  cached object: growth of RSS (``VmRSS`` after the sync and a full collection, minus before the
  informer started) / N (goal imageapi <= the official one). The official informer has no typed
  model for image streams: it runs over ``CustomObjectsApi.list_namespaced_custom_object`` through a
  small adapter giving the list answer the ``.items``/``.metadata`` attributes its ``_initial_list``
  reads (it caches the plain dicts; its list is one unpaged request without a resourceVersion, a
  consistent read, as that informer sends it). imageapi's informer lists as client-go's reflector
  does, ``resourceVersion=0&limit=500``, which the fake (like a real API server) answers from its
  watch cache, whole, in one response. Printed next to the sync figures: how long the server takes to
  answer each of the two lists on its own (one plain GET each, body read), so the share of the
  difference that is the server's is visible.
- **cache reads**: what the read-only guarantee costs: one ``cache.get`` (a fresh model decoded
  from the stored bytes) against the in-memory ``dict`` lookup the official cache does, per read.
- **events**: a controller (imageapi ``Controller``: informer -> ``WorkQueue`` -> 2 workers -> a
  no-op ``reconcile``) over a namespace of K streams while the server process updates them E times
  round-robin (direct store writes, as fast as it can): events per second from the first write to
  the last event delivered and its key reconciled. The server's own write rate is printed next to
  it: when the two are close, the figure is the server's, not the pipeline's.

``--quick`` uses small sizes so the section runs in seconds; its figures are indicative only.
"""

from __future__ import annotations

import multiprocessing
import statistics
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from typing import Any

from benchlib._cluster import NAMESPACE, WATCH_NAMESPACE, stream

FULL = {"streams": 100_000, "hot": 1_000, "events": 20_000, "repeat": 3, "reads": 20_000}
QUICK = {"streams": 5_000, "hot": 200, "events": 2_000, "repeat": 1, "reads": 2_000}


def _serve(conn: Connection, streams: int, hot: int) -> None:
    """The server process: seed N streams (and K hot ones), serve, and write on request."""
    from imageapi.testing import FakeCluster

    cluster = FakeCluster(namespaces=[NAMESPACE, WATCH_NAMESPACE], continue_token_ttl=3600.0)
    store = cluster.store
    for index in range(streams):
        store.create("imagestreams", NAMESPACE, stream(index))
    hot_streams = [store.create("imagestreams", WATCH_NAMESPACE, stream(index, WATCH_NAMESPACE))
                   for index in range(hot)]
    with cluster.serve() as server:
        conn.send(server.url)
        while (command := conn.recv()) != "stop":
            _, count = command
            start = time.perf_counter()
            for step in range(count):
                index = step % len(hot_streams)
                current = hot_streams[index]
                current["metadata"]["labels"]["step"] = str(step)
                current["metadata"].pop("resourceVersion", None)
                hot_streams[index] = store.update("imagestreams", WATCH_NAMESPACE, current)
            conn.send(time.perf_counter() - start)
    cluster.close()


class _Server:
    def __init__(self, streams: int, hot: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, streams, hot), daemon=True)
        self._process.start()
        self.url: str = self._conn.recv()

    def write(self, count: int) -> None:
        self._conn.send(("write", count))

    def written(self) -> float:
        seconds: float = self._conn.recv()
        return seconds

    def close(self) -> None:
        self._conn.send("stop")
        self._process.join(30)


_PROBE_HEAD = """
import gc, os, sys, time

def rss_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

url, namespace, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
"""

_IMAGEAPI_PROBE = _PROBE_HEAD + """
from imageapi import Client
from imageapi.controllers import Informer
client = Client(base_url=url, namespace=namespace)
client.image_streams.list(chunk_size=1).pages().__next__()   # imports, models, connection: before
gc.collect()
before = rss_kib()
start = time.perf_counter()
informer = Informer(client.image_streams).start()
assert informer.wait_for_sync(timeout=600)
seconds = time.perf_counter() - start
assert len(informer.cache) == expected, len(informer.cache)
gc.collect()
print(seconds, rss_kib() - before, len(informer.cache))
informer.stop()
"""

_OFFICIAL_PROBE = _PROBE_HEAD + """
from types import SimpleNamespace
from kubernetes import client as k8s
from kubernetes.informer import SharedInformer
configuration = k8s.Configuration()
configuration.host = url
api = k8s.CustomObjectsApi(k8s.ApiClient(configuration))

def list_streams(**kwargs):
    answer = api.list_namespaced_custom_object("image.openshift.io", "v1", plural="imagestreams", **kwargs)
    if kwargs.get("watch"):
        return answer
    # SharedInformer reads .items and .metadata.resource_version, as on its typed list answers
    return SimpleNamespace(items=answer["items"],
                           metadata=SimpleNamespace(resource_version=answer["metadata"]["resourceVersion"]))

api.list_namespaced_custom_object("image.openshift.io", "v1", namespace, "imagestreams", limit=1)
gc.collect()
before = rss_kib()
start = time.perf_counter()
informer = SharedInformer(list_streams, namespace=namespace)
informer.start()
while len(informer.cache.list_keys()) < expected:
    time.sleep(0.005)
seconds = time.perf_counter() - start
gc.collect()
print(seconds, rss_kib() - before, len(informer.cache.list_keys()), flush=True)
os._exit(0)  # its daemon thread may sit in a socket read: interpreter shutdown under it can abort
"""


def _probe(script: str, url: str, expected: int) -> tuple[float, float]:
    output = subprocess.run([sys.executable, "-c", script, url, NAMESPACE, str(expected)], check=True,
                            capture_output=True, text=True, timeout=1800).stdout.split()
    seconds, growth_kib, count = float(output[0]), int(output[1]), int(output[2])
    if count != expected:
        raise AssertionError(f"the informer cached {count} streams, expected {expected}")
    return seconds, growth_kib * 1024 / expected


def _compare_sync(url: str, sizes: dict[str, int]) -> None:
    scripts = {"imageapi": _IMAGEAPI_PROBE, "kubernetes": _OFFICIAL_PROBE}
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in scripts}
    for run in range(sizes["repeat"] + 1):
        # Alternate which goes first (the server process warms up); the first round only warms.
        for name in (list(scripts) if run % 2 else list(reversed(scripts))):
            result = _probe(scripts[name], url, sizes["streams"])
            if run:
                samples[name].append(result)
    seconds = {name: statistics.median(s for s, _ in values) for name, values in samples.items()}
    memory = {name: statistics.median(m for _, m in values) for name, values in samples.items()}
    ratio = seconds["imageapi"] / seconds["kubernetes"]
    print(f"  informer sync of {sizes['streams']:,} image streams (median of {sizes['repeat']}): "
          f"imageapi {seconds['imageapi']:.1f} s, kubernetes {seconds['kubernetes']:.1f} s -> {ratio:.2f}x  "
          f"(goal <= 0.5x: {'met' if ratio <= 0.5 else 'NOT met'})")
    memory_ratio = memory["imageapi"] / memory["kubernetes"]
    print(f"  memory per cached object: imageapi {memory['imageapi'] / 1024:.1f} kB, kubernetes "
          f"{memory['kubernetes'] / 1024:.1f} kB -> {memory_ratio:.2f}x  "
          f"(goal <= 1x: {'met' if memory_ratio <= 1 else 'NOT met'})")


def _server_answers(url: str) -> None:
    import httpx

    path = f"{url}/apis/image.openshift.io/v1/namespaces/{NAMESPACE}/imagestreams"
    shapes = {"consistent, unpaged (kubernetes)": {},
              "resourceVersion=0&limit=500 (imageapi)": {"resourceVersion": "0", "limit": "500"}}
    seconds = {}
    with httpx.Client(timeout=600) as http:
        for name, params in shapes.items():
            runs = []
            for _ in range(3):
                start = time.perf_counter()
                http.get(path, params=params).read()
                runs.append(time.perf_counter() - start)
            seconds[name] = statistics.median(runs)
    print("  the server's answer alone (one GET, body read, median of 3): " +
          ", ".join(f"{name} {value:.2f} s" for name, value in seconds.items()))


def _cache_reads(sizes: dict[str, int]) -> None:
    from imageapi.controllers import Cache
    from imageapi.models import ImageStream

    cache: Cache[ImageStream] = Cache(ImageStream)
    plain: dict[str, Any] = {}
    count = 1_000
    for index in range(count):
        document = stream(index)
        document["metadata"]["resourceVersion"] = str(index + 1)
        cache.put(ImageStream.from_dict(document))
        plain[f"{NAMESPACE}/app-{index:06d}"] = document
    keys = list(plain)
    reads = sizes["reads"]

    def timed(read: Any) -> float:
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            for step in range(reads):
                read(keys[step % count])
            runs.append((time.perf_counter() - start) / reads)
        return statistics.median(runs)

    fresh = timed(cache.get_by_key)
    shared = timed(plain.get)
    models = [ImageStream.from_dict(plain[key]) for key in keys[:200]]
    start = time.perf_counter()
    for model in models * 5:
        cache.put(model)
    put = (time.perf_counter() - start) / (len(models) * 5)
    print(f"  cache read (fresh model per read, the read-only guarantee): {fresh * 1e6:.1f} us per get, "
          f"{fresh / shared:,.0f}x a shared-dict lookup; {put * 1e6:.1f} us per stored change (encode + index)")


def _events(server: _Server, sizes: dict[str, int]) -> None:
    import threading

    from imageapi import Client
    from imageapi.controllers import Controller, Informer

    total, hot = sizes["events"], sizes["hot"]
    seen = 0
    all_seen = threading.Event()
    lock = threading.Lock()

    def count(*_: object) -> None:
        nonlocal seen
        with lock:
            seen += 1
            if seen >= total:
                all_seen.set()

    with Client(base_url=server.url, namespace=WATCH_NAMESPACE) as client:
        informer = Informer(client.image_streams)
        controller = Controller(informer, lambda key: None, workers=2)
        with controller:
            assert informer.wait_for_sync(timeout=600)
            informer.add_handler(on_update=count)
            reconciled_before = controller.stats.reconciles
            start = time.perf_counter()
            server.write(total)
            server_seconds = server.written()
            assert all_seen.wait(600), f"{seen} of {total} events arrived"
            while len(controller.queue) or controller.queue.processing or controller.queue.delayed:
                time.sleep(0.001)
            elapsed = time.perf_counter() - start
            reconciles = controller.stats.reconciles - reconciled_before
    print(f"  events through informer -> queue -> no-op reconcile ({total:,} updates over {hot:,} streams): "
          f"{total / elapsed:,.0f} events/s, {reconciles:,} reconciles (changes to a queued key coalesce); "
          f"the server wrote at {total / server_seconds:,.0f}/s")


def run(quick: bool) -> None:
    """Print the figures of this section."""
    sizes = QUICK if quick else FULL
    print(f"  seeding a fake cluster in a server process: {sizes['streams']:,} image streams")
    server = _Server(sizes["streams"], sizes["hot"])
    try:
        _compare_sync(server.url, sizes)
        _server_answers(server.url)
        _cache_reads(sizes)
        _events(server, sizes)
    finally:
        server.close()
