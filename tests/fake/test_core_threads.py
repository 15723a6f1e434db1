"""Several threads at once: writers, readers and watchers share one cluster safely."""

from __future__ import annotations

import json
import threading

import httpx
from _core_helpers import GROUP_PATH, stream_body, streams_path

from imageapi.testing import FakeCluster
from imageapi.testing._store import Store, TypeInfo

WRITERS = 4
WRITES_EACH = 50
WATCHERS = 3


def test_concurrent_writers_and_watchers_see_every_event_in_order(cluster: FakeCluster) -> None:
    total = WRITERS * WRITES_EACH
    with httpx.Client(transport=cluster.transport(), base_url="http://fake") as http:
        start_rv = http.get(f"{GROUP_PATH}/imagestreams").json()["metadata"]["resourceVersion"]
    received: list[list[tuple[str, int]]] = [[] for _ in range(WATCHERS)]

    def watch(index: int) -> None:
        with httpx.Client(transport=cluster.transport(), base_url="http://fake") as client, \
                client.stream("GET", f"{GROUP_PATH}/imagestreams",
                              params={"watch": "1", "resourceVersion": start_rv, "timeoutSeconds": "60"}) as response:
            for line in response.iter_lines():
                event = json.loads(line)
                received[index].append((event["object"]["metadata"]["name"],
                                        int(event["object"]["metadata"]["resourceVersion"])))
                if len(received[index]) == total:
                    return

    def write(writer: int) -> None:
        with httpx.Client(transport=cluster.transport(), base_url="http://fake") as client:
            for index in range(WRITES_EACH):
                response = client.post(streams_path(f"w{writer}"), json=stream_body(f"s{index:03d}"))
                assert response.status_code == 201

    watchers = [threading.Thread(target=watch, args=(i,)) for i in range(WATCHERS)]
    writers = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    for thread in watchers + writers:
        thread.start()
    for thread in watchers + writers:
        thread.join(timeout=120)
    assert all(not thread.is_alive() for thread in watchers + writers)
    for events in received:
        assert len(events) == total
        versions = [rv for _name, rv in events]
        assert versions == sorted(versions) and len(set(versions)) == total
        assert events == received[0]
    stored = cluster.list("imagestreams")
    assert len(stored) == total


def test_optimistic_concurrency_loses_no_update(cluster: FakeCluster) -> None:
    cluster.create("imagestreams", {"metadata": {"name": "counter", "annotations": {"n": "0"}}}, namespace="ns1")
    increments = 25
    conflicts: list[int] = []

    def increment() -> None:
        with httpx.Client(transport=cluster.transport(), base_url="http://fake") as client:
            done = 0
            while done < increments:
                current = client.get(streams_path(name="counter")).json()
                current["metadata"]["annotations"]["n"] = str(int(current["metadata"]["annotations"]["n"]) + 1)
                response = client.put(streams_path(name="counter"), json=current)
                if response.status_code == 409:
                    conflicts.append(1)
                    continue
                assert response.status_code == 200
                done += 1

    threads = [threading.Thread(target=increment) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    final = cluster.get("imagestreams", "counter", namespace="ns1")
    assert final["metadata"]["annotations"]["n"] == str(4 * increments)


def test_store_revisions_are_unique_under_contention() -> None:
    store = Store({"things": TypeInfo("Thing", "v1", "", True)})
    created: list[int] = []
    lock = threading.Lock()

    def create(prefix: str) -> None:
        for index in range(200):
            obj = store.create("things", "ns", {"metadata": {"name": f"{prefix}{index}"}})
            with lock:
                created.append(int(obj["metadata"]["resourceVersion"]))

    threads = [threading.Thread(target=create, args=(p,)) for p in "abcd"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(created) == list(range(1, 801))
    assert store.current_resource_version() == 800
