"""Watch resumption: streams cut by faults, ended by the server's timeout, or silently stalled.

Each test makes a scripted series of writes while the watch runs and compares the events received
with the writes made: the same (type, name) sequence, each event once, resourceVersions strictly
increasing. The counts are asserted and also recorded as test properties (``record_property``:
``writes``, ``events``, ``reconnects``), visible in the JUnit XML report and with ``-rA``.

Counts of one run (each scenario, per client): 150 writes → 150 events, 0 lost, 0 repeated;
reconnects: cut every 7 events ≥ 20, abrupt cuts every 11 events ≥ 13, server timeouts ≥ 1, one
stall → ≥ 1.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from . import _listwatch
from ._listwatch import Consumer, StallingProxy

# Fixtures shared with the other list and watch tests.
consumer = _listwatch.consumer

WRITES = 150


def write_script(cluster: Any, count: int, pause: float = 0.0) -> list[tuple[str, str]]:
    """Create, relabel and delete image streams in a fixed pattern; the expected (type, name) list."""
    expected: list[tuple[str, str]] = []
    live: list[str] = []
    for index in range(count):
        step = index % 5
        if step in (0, 1) or not live:
            name = f"s{index:04d}"
            cluster.create("imagestreams", {"metadata": {"name": name}}, namespace="demo")
            live.append(name)
            expected.append(("ADDED", name))
        elif step in (2, 3):
            name = live[-1]
            stream = cluster.get("imagestreams", name, namespace="demo")
            stream["metadata"]["labels"] = {"step": str(index)}
            status, body = cluster.request("PUT", cluster.url_path("imagestreams", "demo", name), body=stream)
            assert status == 200, body
            expected.append(("MODIFIED", name))
        else:
            name = live.pop(0)
            cluster.delete("imagestreams", name, namespace="demo")
            expected.append(("DELETED", name))
        if pause:
            time.sleep(pause)
    return expected


def check_and_record(events: list[Any], expected: list[tuple[str, str]], watcher: Any,
                     record_property: Any) -> None:
    received = [(event.type, event.object.metadata.name) for event in events]
    versions = [int(event.object.metadata.resource_version) for event in events]
    record_property("writes", len(expected))
    record_property("events", len(received))
    record_property("reconnects", watcher.reconnects)
    lost = len(set(expected) - set(received))
    assert received == expected, f"lost {lost}, received {len(received)} of {len(expected)}"
    assert versions == sorted(versions) and len(set(versions)) == len(versions), "an event came twice"


def run_with_writer(cluster: Any, consumer: Consumer, watcher: Any, pause: float = 0.0) -> tuple[list[Any], list]:
    expected: list[tuple[str, str]] = []
    writer = threading.Thread(target=lambda: expected.extend(write_script(cluster, WRITES, pause)), daemon=True)
    writer.start()
    events = consumer.events(watcher, WRITES)
    writer.join()
    return events, expected


@pytest.mark.parametrize("abrupt", [False, True], ids=["clean-cut", "abrupt-cut"])
def test_cut_streams_lose_and_repeat_nothing(client: Any, cluster: Any, consumer: Consumer, abrupt: bool,
                                             record_property: Any, sleeps: list[float]) -> None:
    """Every stream ends after a few events (cleanly, or by a dropped connection mid-body)."""
    after = 11 if abrupt else 7
    cluster.faults.cut_watches(after_events=after, abrupt=abrupt)
    watcher = client.image_streams.watch(resource_version=str(cluster.resource_version))

    events, expected = run_with_writer(cluster, consumer, watcher)

    check_and_record(events, expected, watcher, record_property)
    assert watcher.reconnects >= WRITES // after - 1
    if abrupt:
        # A dropped connection after events had arrived starts a new run of failures: one short
        # backoff each, never an exhausted retry budget.
        assert len(sleeps) >= WRITES // after - 1


def test_server_timeouts_lose_and_repeat_nothing(client: Any, cluster: Any, consumer: Consumer,
                                                 record_property: Any) -> None:
    """``timeoutSeconds=1``: the server ends each stream after a second (with a last bookmark)."""
    watcher = client.image_streams.watch(resource_version=str(cluster.resource_version), timeout_seconds=1)

    events, expected = run_with_writer(cluster, consumer, watcher, pause=0.01)

    check_and_record(events, expected, watcher, record_property)
    assert watcher.reconnects >= 1


def test_a_stalled_connection_is_detected_and_replaced(make_client: Any, cluster: Any, consumer: Consumer,
                                                        record_property: Any) -> None:
    """A proxy freezes the connection (open, silent): the inactivity timeout notices, the watch
    reconnects through a fresh connection and picks up where it stopped."""
    with cluster.serve() as server:
        proxy = StallingProxy(server.port)
        try:
            client = make_client(base_url=proxy.url, namespace="demo")
            start = str(cluster.resource_version)
            names = [f"s{index}" for index in range(6)]
            for name in names[:3]:
                cluster.create("imagestreams", {"metadata": {"name": name}}, namespace="demo")

            def stall_after_third(event: Any) -> None:
                if event.object.metadata.name == names[2]:
                    proxy.stall()
                    for name in names[3:]:
                        cluster.create("imagestreams", {"metadata": {"name": name}}, namespace="demo")

            watcher = client.image_streams.watch(resource_version=start, inactivity_timeout=1.0)
            events = consumer.events(watcher, len(names), on_event=stall_after_third)
        finally:
            proxy.close()

    check_and_record(events, [("ADDED", name) for name in names], watcher, record_property)
    assert watcher.reconnects >= 1
    assert proxy.connections >= 2
