"""Benchmark section ``fake``: throughput of the fake cluster (``imageapi.testing``).

Printed figures (rates are medians of repeated runs in this process; the machine is shared, so they
are indicative, with the goals from the task next to them):

- in process, one thread, plain httpx over ``cluster.transport()``: GETs/s of one imagestream
  (goal >= 5,000/s) and creates/s of imagestreams (goal >= 2,000/s), plus creates of streams with a
  DockerImage spec tag, which the simulated import controller then imports (two writes each);
- server-side apply in process of a samples-like 4-tag stream: applies that create, applies that
  change a label (a write each), and unchanged re-applies (no write);
- ten watchers over the in-process transport while one writer makes N writes: every watcher must
  receive every event, in order (checked, not timed), plus the event delivery rate;
- over loopback: GETs/s with keep-alive (one ``httpx.Client``; one ``http.client`` connection, which
  shows the server's own cost), and with a new ``http.client`` connection per request for comparison.
"""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from collections.abc import Callable

import httpx

from imageapi.testing import FakeCluster

PATH = "/apis/image.openshift.io/v1/namespaces/bench/imagestreams"
WATCHERS = 10


def _rate(count: int, work: Callable[[], None], repeat: int) -> float:
    rates = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates)


def _line(label: str, rate: float, goal: float | None = None) -> str:
    text = f"  {label}: {rate:,.0f}/s"
    if goal is not None:
        text += f"  (goal >= {goal:,.0f}/s: {'met' if rate >= goal else 'NOT met'})"
    return text


def _stream_body(index: int, tagged: bool = False) -> dict[str, object]:
    body: dict[str, object] = {"metadata": {"name": f"s{index:06d}", "labels": {"app": "bench"}}}
    if tagged:
        # A DockerImage tag also wakes the simulated import controller: a second write per create.
        body["spec"] = {"tags": [{"name": "latest", "from": {"kind": "DockerImage", "name": "example.com/app:latest"}}]}
    return body


def _in_process(quick: bool) -> None:
    cluster = FakeCluster()
    with httpx.Client(transport=cluster.transport(), base_url="http://fake") as client:
        client.post(PATH, json=_stream_body(0)).raise_for_status()
        gets = 1_000 if quick else 5_000

        def get_many() -> None:
            for _ in range(gets):
                client.get(f"{PATH}/s000000")

        print(_line("in-process GET", _rate(gets, get_many, 3 if quick else 5), 5_000))
        creates = 500 if quick else 2_000
        counter = iter(range(1, 10_000_000))

        def create_many() -> None:
            for _ in range(creates):
                client.post(PATH, json=_stream_body(next(counter)))

        print(_line("in-process create", _rate(creates, create_many, 3 if quick else 5), 2_000))

        def create_tagged() -> None:
            for _ in range(creates):
                client.post(PATH, json=_stream_body(next(counter), tagged=True))

        print(_line("in-process create with a DockerImage tag (import controller runs)",
                    _rate(creates, create_tagged, 3 if quick else 5)))
    cluster.close()


def _applied_stream(index: int, revision: int) -> dict[str, object]:
    """A samples-like stream to apply: annotated tags, policies, a tracking tag; ``revision`` changes a label."""
    tags: list[dict[str, object]] = [
        {"name": version, "annotations": {"description": f"App {version}", "tags": "builder,app", "version": version},
         "from": {"kind": "DockerImage", "name": f"example.com/app:{version}"}, "reference": True,
         "importPolicy": {"importMode": "Legacy"}, "referencePolicy": {"type": "Local"}}
        for version in ("1.0", "1.1", "2.0")]
    tags.append({"name": "latest", "from": {"kind": "ImageStreamTag", "name": "2.0"},
                 "referencePolicy": {"type": "Local"}})
    return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
            "metadata": {"name": f"a{index:06d}", "labels": {"app": "bench", "revision": str(revision)},
                         "annotations": {"openshift.io/display-name": "App"}},
            "spec": {"lookupPolicy": {"local": False}, "tags": tags}}


def _in_process_apply(quick: bool) -> None:
    """Server-side apply of a 4-tag stream: creates, updates by the owner, and unchanged re-applies."""
    cluster = FakeCluster(simulate_import_controller=False)
    apply = {"Content-Type": "application/apply-patch+yaml"}
    count = 300 if quick else 1_000
    repeat = 3 if quick else 5
    with httpx.Client(transport=cluster.transport(), base_url="http://fake") as client:
        created = iter(range(10_000_000))

        def apply_creates() -> None:
            for _ in range(count):
                index = next(created)
                client.patch(f"{PATH}/a{index:06d}", json=_applied_stream(index, 0), headers=apply,
                             params={"fieldManager": "gitops"}).raise_for_status()

        print(_line("in-process apply (creates)", _rate(count, apply_creates, repeat), 2_000))
        revisions = iter(range(1, 10_000_000))

        def apply_updates() -> None:
            for _ in range(count):
                client.patch(f"{PATH}/a000000", json=_applied_stream(0, next(revisions)), headers=apply,
                             params={"fieldManager": "gitops"}).raise_for_status()

        print(_line("in-process apply (a changed label: a write)", _rate(count, apply_updates, repeat), 2_000))
        unchanged = _applied_stream(0, 0)
        client.patch(f"{PATH}/a000000", json=unchanged, headers=apply, params={"fieldManager": "gitops"})

        def apply_unchanged() -> None:
            for _ in range(count):
                client.patch(f"{PATH}/a000000", json=unchanged, headers=apply,
                             params={"fieldManager": "gitops"}).raise_for_status()

        print(_line("in-process apply (unchanged: no write)", _rate(count, apply_unchanged, repeat), 2_000))
    cluster.close()


def _watchers(quick: bool) -> None:
    writes = 2_000 if quick else 10_000
    cluster = FakeCluster()
    received: list[list[str]] = [[] for _ in range(WATCHERS)]
    ready = threading.Barrier(WATCHERS + 1)

    def watch(index: int) -> None:
        with httpx.Client(transport=cluster.transport(), base_url="http://fake") as client, \
                client.stream("GET", PATH, params={"watch": "true", "resourceVersion": "0",
                                                   "timeoutSeconds": "600"}) as response:
            ready.wait()
            for line in response.iter_lines():
                event = json.loads(line)
                received[index].append(event["object"]["metadata"]["name"])
                if len(received[index]) == writes:
                    return

    threads = [threading.Thread(target=watch, args=(i,), daemon=True) for i in range(WATCHERS)]
    for thread in threads:
        thread.start()
    ready.wait()
    start = time.perf_counter()
    with httpx.Client(transport=cluster.transport(), base_url="http://fake") as client:
        for index in range(writes):
            client.post(PATH, json={"metadata": {"name": f"w{index:06d}"}})
    write_seconds = time.perf_counter() - start
    for thread in threads:
        thread.join(timeout=120)
    total_seconds = time.perf_counter() - start
    expected = [f"w{index:06d}" for index in range(writes)]
    complete = sum(1 for names in received if names == expected)
    print(f"  {WATCHERS} watchers x {writes:,} writes: {complete}/{WATCHERS} received every event in order "
          f"({'met' if complete == WATCHERS else 'NOT met'})")
    print(_line("writes while watched", writes / write_seconds))
    print(_line("events delivered (all watchers)", WATCHERS * writes / total_seconds))
    cluster.close()


def _loopback(quick: bool) -> None:
    cluster = FakeCluster()
    requests = 500 if quick else 2_000
    with cluster.serve() as server:
        with httpx.Client(base_url=server.url) as client:
            client.post(PATH, json=_stream_body(0)).raise_for_status()

            def keep_alive() -> None:
                for _ in range(requests):
                    client.get(f"{PATH}/s000000")

            print(_line("loopback GET, keep-alive", _rate(requests, keep_alive, 3)))
        host, port = "127.0.0.1", server.port

        def raw_keep_alive() -> None:
            connection = http.client.HTTPConnection(host, port)
            for _ in range(requests):
                connection.request("GET", f"{PATH}/s000000")
                connection.getresponse().read()
            connection.close()

        print(_line("loopback GET, keep-alive, http.client", _rate(requests, raw_keep_alive, 3)))
        fresh = requests // 4

        def new_connections() -> None:
            for _ in range(fresh):
                connection = http.client.HTTPConnection(host, port)
                connection.request("GET", f"{PATH}/s000000")
                connection.getresponse().read()
                connection.close()

        print(_line("loopback GET, new connection each, http.client", _rate(fresh, new_connections, 3)))
    cluster.close()


def run(quick: bool) -> None:
    """Print the fake cluster's figures."""
    _in_process(quick)
    _in_process_apply(quick)
    _watchers(quick)
    _loopback(quick)
