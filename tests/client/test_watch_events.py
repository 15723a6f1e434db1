"""watch(): typed events, the initial state, list-then-watch, bookmarks, errors, stop(); both clients."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import pytest

from imageapi import AsyncClient, Client
from imageapi._resource_table import RESOURCES
from imageapi._retry import RetryPolicy
from imageapi.errors import (
    APIConnectionError,
    ResourceExpiredError,
    ResourceVersionTooLargeError,
    ServerError,
    ServerTimeoutError,
)
from imageapi.models import Image, ImageStream
from imageapi.testing import FakeCluster
from imageapi.watch import INITIAL_EVENTS_END_ANNOTATION, WatchMachine

from . import _listwatch
from ._listwatch import Consumer, Recording

# Fixtures shared with the other list and watch tests.
consumer = _listwatch.consumer
rclient = _listwatch.rclient
recording = _listwatch.recording


def create(cluster: Any, name: str, namespace: str = "demo", **labels: str) -> dict[str, Any]:
    return cluster.create("imagestreams", {"metadata": {"name": name, "labels": labels}},  # type: ignore[no-any-return]
                          namespace=namespace)


def relabel(cluster: Any, name: str, namespace: str = "demo", **labels: str) -> None:
    stream = cluster.get("imagestreams", name, namespace=namespace)
    stream["metadata"]["labels"] = labels
    status, body = cluster.request("PUT", cluster.url_path("imagestreams", namespace, name), body=stream)
    assert status == 200, body


def test_events_are_typed_and_follow_the_writes(client: Any, cluster: Any, consumer: Consumer) -> None:
    start = str(cluster.resource_version)
    create(cluster, "a")
    relabel(cluster, "a", team="x")
    cluster.delete("imagestreams", "a", namespace="demo")

    events = consumer.events(client.image_streams.watch(resource_version=start), 3)

    assert [(event.type, event.object.metadata.name) for event in events] == [
        ("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]
    assert all(isinstance(event.object, ImageStream) for event in events)
    assert events[1].object.metadata.labels == {"team": "x"}
    versions = [int(event.object.metadata.resource_version) for event in events]
    assert versions == sorted(versions) and len(set(versions)) == 3


def test_without_resource_version_the_current_state_comes_first(rclient: Any, cluster: Any,
                                                                consumer: Consumer, recording: Recording) -> None:
    for name in ("a", "b", "c"):
        create(cluster, name)
    listed_at = str(cluster.resource_version)

    def add_later(event: Any) -> None:
        if event.object.metadata.name == "c":
            create(cluster, "d")

    events = consumer.events(rclient.image_streams.watch(chunk_size=2), 4, on_event=add_later)

    assert [(event.type, event.object.metadata.name) for event in events] == [
        ("ADDED", "a"), ("ADDED", "b"), ("ADDED", "c"), ("ADDED", "d")]
    # The initial state is one consistent (paged) list; the watch continues from its version.
    watches = recording.watch_requests()
    assert watches[0].params["resourceVersion"] == listed_at
    assert watches[0].params["allowWatchBookmarks"] == "true"
    assert recording.urls[0].params.get("watch") is None


def test_the_end_of_the_initial_state_is_a_bookmark_when_asked(client: Any, cluster: Any,
                                                               consumer: Consumer) -> None:
    create(cluster, "a")
    events = consumer.events(client.image_streams.watch(bookmarks=True), 2)
    assert [event.type for event in events] == ["ADDED", "BOOKMARK"]
    marker = events[1].object.metadata
    assert marker.annotations == {INITIAL_EVENTS_END_ANNOTATION: "true"}
    assert marker.resource_version == str(cluster.resource_version)


def test_list_then_watch_misses_nothing(client: Any, cluster: Any, consumer: Consumer) -> None:
    for name in ("a", "b"):
        create(cluster, name)
    pager = client.image_streams.list(chunk_size=1)
    listed = consumer.items(pager)
    create(cluster, "c")
    relabel(cluster, "a", v="2")

    events = consumer.events(client.image_streams.watch(resource_version=pager.resource_version), 2)

    assert [item.metadata.name for item in listed] == ["a", "b"]
    assert [(event.type, event.object.metadata.name) for event in events] == [("ADDED", "c"), ("MODIFIED", "a")]


def test_selectors_name_and_cluster_scope(client: Any, cluster: Any, consumer: Consumer) -> None:
    start = str(cluster.resource_version)
    create(cluster, "a", app="web")
    create(cluster, "b", app="db")
    create(cluster, "c", app="web")
    digest = "sha256:" + "ab" * 32
    cluster.create("images", {"metadata": {"name": digest}, "dockerImageReference": f"quay.io/x@{digest}"})

    by_label = consumer.events(client.image_streams.watch(resource_version=start, label_selector={"app": "web"}), 2)
    by_name = consumer.events(client.image_streams.watch(resource_version=start, name="b"), 1)
    images = consumer.events(client.images.watch(resource_version=start), 1)

    assert [event.object.metadata.name for event in by_label] == ["a", "c"]
    assert [event.object.metadata.name for event in by_name] == ["b"]
    assert isinstance(images[0].object, Image) and images[0].object.metadata.name == digest


def test_watch_exists_only_where_the_server_serves_it(client: Any) -> None:
    assert not hasattr(client.image_stream_tags, "watch")
    assert not hasattr(client.image_tags, "watch")
    assert RESOURCES["imagestreams"].supports("watch")


def test_bookmarks_are_requested_always_and_yielded_when_asked(make_client: Any, consumer: Consumer) -> None:
    """Bookmarks move the resume point past events the watch filters out (another namespace)."""
    cluster = FakeCluster(bookmark_interval=0.2)
    try:
        client = make_client(transport=cluster.transport(), async_transport=cluster.async_transport(),
                             namespace="demo")
        start = str(cluster.resource_version)
        for index in range(3):
            create(cluster, f"x{index}", namespace="other")
        target = str(cluster.resource_version)
        watcher = client.image_streams.watch(resource_version=start, bookmarks=True)
        events = consumer.events(watcher, 1)
        assert events[0].type == "BOOKMARK"
        assert events[0].object.metadata.resource_version == target
        assert watcher.resource_version == target
    finally:
        cluster.close()


def test_bookmarks_are_not_yielded_by_default(make_client: Any, consumer: Consumer) -> None:
    quick = FakeCluster(bookmark_interval=0.1)
    try:
        quick_client = make_client(transport=quick.transport(), async_transport=quick.async_transport(),
                                   namespace="demo")
        start = str(quick.resource_version)

        def write_later() -> None:
            time.sleep(0.5)  # several bookmark intervals pass first
            create(quick, "late")

        threading.Thread(target=write_later, daemon=True).start()
        events = consumer.events(quick_client.image_streams.watch(resource_version=start), 1)
        assert [(event.type, event.object.metadata.name) for event in events] == [("ADDED", "late")]
    finally:
        quick.close()


def test_410_after_compaction_is_raised_and_not_retried(rclient: Any, cluster: Any, consumer: Consumer,
                                                        recording: Recording) -> None:
    create(cluster, "a")
    old = str(cluster.resource_version)
    create(cluster, "b")
    cluster.faults.compact_history()

    watcher = rclient.image_streams.watch(resource_version=old)
    with pytest.raises(ResourceExpiredError) as raised:
        consumer.events(watcher, None)

    assert raised.value.code == 410
    assert len(recording.watch_requests()) == 1
    assert watcher.reconnects == 0


def test_410_response_is_raised_and_not_retried(rclient: Any, cluster: Any, consumer: Consumer,
                                                recording: Recording) -> None:
    cluster.faults.fail_next(1, method="GET", path="*/imagestreams", status=410, reason="Expired")
    watcher = rclient.image_streams.watch(resource_version=str(cluster.resource_version))
    with pytest.raises(ResourceExpiredError):
        consumer.events(watcher, None)
    assert len(recording.watch_requests()) == 1
    assert watcher.reconnects == 0


def test_a_resource_version_ahead_of_the_server_is_raised_at_once(rclient: Any, cluster: Any, consumer: Consumer,
                                                                  sleeps: list[float], recording: Recording) -> None:
    """The fake answers with the ERROR event (504, cause ResourceVersionTooLarge) a real server sends:
    the caller must relist, so it gets a typed error at once, without a backoff or a second request."""
    ahead = str(cluster.resource_version + 500)
    watcher = rclient.image_streams.watch(resource_version=ahead)
    with pytest.raises(ResourceVersionTooLargeError) as raised:
        consumer.events(watcher, None)

    assert raised.value.code == 504
    assert isinstance(raised.value, ServerTimeoutError)  # still what it was before it had a name
    assert [cause.reason for cause in raised.value.causes] == ["ResourceVersionTooLarge"]
    assert len(recording.watch_requests()) == 1
    assert sleeps == []
    assert watcher.reconnects == 0


TOO_LARGE_STATUS = {
    "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "code": 504, "reason": "Timeout",
    "message": "Timeout: Too large resource version: 900, current: 2",
    "details": {"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                "retryAfterSeconds": 1},
}


def test_a_too_large_answer_to_opening_the_stream_is_not_retried(rclient: Any, cluster: Any, consumer: Consumer,
                                                                 sleeps: list[float], recording: Recording) -> None:
    """The same Status as the HTTP answer (not an event) is not a 504 to wait out either, although it
    carries a Retry-After: a plain 504 is retried (see the next test), this one relists."""
    cluster.faults.fail_next(1, method="GET", path="*/imagestreams", status=504, body=TOO_LARGE_STATUS,
                             headers={"Retry-After": "1"})
    watcher = rclient.image_streams.watch(resource_version=str(cluster.resource_version))
    with pytest.raises(ResourceVersionTooLargeError):
        consumer.events(watcher, None)
    assert len(recording.watch_requests()) == 1
    assert sleeps == []


def test_a_plain_504_on_opening_the_stream_is_retried(rclient: Any, cluster: Any, consumer: Consumer,
                                                      sleeps: list[float], recording: Recording) -> None:
    start = str(cluster.resource_version)
    create(cluster, "a")
    cluster.faults.fail_next(1, method="GET", path="*/imagestreams", status=504, reason="Timeout", retry_after=1)

    events = consumer.events(rclient.image_streams.watch(resource_version=start), 1)

    assert [event.object.metadata.name for event in events] == ["a"]
    assert len(recording.watch_requests()) == 2
    assert sleeps == [1.0]


def test_failed_connections_are_retried_with_backoff(rclient: Any, cluster: Any, consumer: Consumer,
                                                     sleeps: list[float], recording: Recording) -> None:
    start = str(cluster.resource_version)
    create(cluster, "a")
    cluster.faults.drop_connection(2, method="GET", path="*/imagestreams", before_processing=True)

    events = consumer.events(rclient.image_streams.watch(resource_version=start), 1)

    assert [event.object.metadata.name for event in events] == ["a"]
    assert len(recording.watch_requests()) == 3
    assert len(sleeps) == 2


def test_retry_after_is_honoured_between_reconnects(rclient: Any, cluster: Any, consumer: Consumer,
                                                    sleeps: list[float], recording: Recording) -> None:
    start = str(cluster.resource_version)
    create(cluster, "a")
    cluster.faults.fail_next(1, method="GET", path="*/imagestreams", status=503, retry_after=2)

    events = consumer.events(rclient.image_streams.watch(resource_version=start), 1)

    assert [event.object.metadata.name for event in events] == ["a"]
    assert len(recording.watch_requests()) == 2
    assert sleeps == [2.0]


def test_persistent_failure_ends_the_watch_after_the_retries(rclient: Any, cluster: Any, consumer: Consumer,
                                                             sleeps: list[float], recording: Recording) -> None:
    cluster.faults.drop_connection(None, method="GET", path="*/imagestreams", before_processing=True)
    with pytest.raises(APIConnectionError):
        consumer.events(rclient.image_streams.watch(resource_version="1", retries=2), None)
    assert len(recording.watch_requests()) == 3
    assert len(sleeps) == 2


def test_stop_from_another_thread_ends_an_idle_watch(client: Any, cluster: Any, consumer: Consumer) -> None:
    watcher = client.image_streams.watch(resource_version=str(cluster.resource_version))
    # The consumer's watchdog calls watcher.stop() from a timer thread.
    assert consumer.events(watcher, None, watchdog=0.3) == []
    assert watcher.stopped


def test_stop_from_another_thread_over_a_socket(make_client: Any, cluster: Any, consumer: Consumer) -> None:
    with cluster.serve() as server:
        client = make_client(base_url=server.url, namespace="demo")
        start = str(cluster.resource_version)
        create(cluster, "a")
        watcher = client.image_streams.watch(resource_version=start)
        events = consumer.events(watcher, None, watchdog=0.5)
    assert [event.object.metadata.name for event in events] == ["a"]


@pytest.mark.anyio
async def test_stop_from_another_task() -> None:
    cluster = FakeCluster()
    async with AsyncClient(base_url="http://fake", transport=cluster.async_transport(), namespace="demo") as client:
        watcher = client.image_streams.watch(resource_version=str(cluster.resource_version))
        received: list[Any] = []

        async def consume() -> None:
            async with watcher:
                async for event in watcher:
                    received.append(event)

        async with anyio.create_task_group() as group:
            group.start_soon(consume)
            await anyio.sleep(0.2)
            create(cluster, "a")
            while not received:
                await anyio.sleep(0.02)
            watcher.stop()
    cluster.close()
    assert [event.object.metadata.name for event in received] == ["a"]


def test_options_reach_the_wire(rclient: Any, cluster: Any, consumer: Consumer, recording: Recording) -> None:
    create(cluster, "a", app="web")
    start = str(cluster.resource_version - 1)
    consumer.events(rclient.image_streams.watch(
        resource_version=start, label_selector={"app": "web"}, field_selector="metadata.name=a", timeout_seconds=30,
    ), 1)
    params = recording.watch_requests()[0].params
    assert params["labelSelector"] == "app=web"
    assert params["fieldSelector"] == "metadata.name=a"
    assert params["timeoutSeconds"] == "30"
    assert params["resourceVersion"] == start
    assert params["allowWatchBookmarks"] == "true"


# -- the sans-I/O machine --------------------------------------------------------------------------


def machine(**overrides: Any) -> WatchMachine[Any]:
    options: dict[str, Any] = {
        "label_selector": None, "field_selector": None, "resource_version": "5", "bookmarks": False,
        "policy": RetryPolicy(attempts=3, jitter=False), "timeout_seconds": None,
        "list_decode": lambda content: None, "chunk_size": 10,
    }
    options.update(overrides)
    return WatchMachine(RESOURCES["imagestreams"], "demo", ImageStream, **options)


def line(event_type: str, name: str, rv: int) -> bytes:
    obj = {"kind": "ImageStream", "apiVersion": "image.openshift.io/v1",
           "metadata": {"name": name, "namespace": "demo", "resourceVersion": str(rv)}}
    return json.dumps({"type": event_type, "object": obj}).encode() + b"\n"


def test_machine_decodes_lines_split_across_chunks() -> None:
    watch = machine()
    data = line("ADDED", "a", 6) + line("MODIFIED", "a", 7)
    events = []
    for start in range(0, len(data), 7):  # chunks that cut lines anywhere
        events += list(watch.feed(data[start:start + 7]))
    assert [(event.type, event.object.metadata.name) for event in events] == [("ADDED", "a"), ("MODIFIED", "a")]
    assert watch.resource_version == "7"


def test_machine_drops_a_cut_line_and_resumes_from_the_last_whole_event() -> None:
    watch = machine()
    watch.stream_opened()
    events = list(watch.feed(line("ADDED", "a", 6) + line("ADDED", "b", 7)[:20]))
    assert [event.object.metadata.name for event in events] == ["a"]
    watch.stream_ended(APIConnectionError("cut", method="GET", url="x"))
    watch.next_action()  # the backoff wait
    reopened = watch.next_action()
    assert dict(reopened.request.params)["resourceVersion"] == "6"  # type: ignore[union-attr]
    watch.stream_opened()
    assert [event.object.metadata.name for event in watch.feed(line("ADDED", "b", 7))] == ["b"]


def test_machine_raises_error_events_as_typed_errors() -> None:
    status = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": "etcd is sad",
              "reason": "InternalError", "code": 500}
    with pytest.raises(ServerError) as raised:
        list(machine().feed(json.dumps({"type": "ERROR", "object": status}).encode() + b"\n"))
    assert raised.value.code == 500 and "etcd is sad" in str(raised.value)


def test_machine_reconnects_at_once_after_a_clean_end() -> None:
    watch = machine()
    watch.stream_opened()
    list(watch.feed(line("ADDED", "a", 9)))
    watch.stream_ended(None)
    action = watch.next_action()
    assert dict(action.request.params)["resourceVersion"] == "9"  # type: ignore[union-attr]
    assert watch.reconnects == 1


# -- stopping and closing at awkward moments -------------------------------------------------------


def test_stop_during_the_initial_state_ends_the_iteration(client: Any, cluster: Any, consumer: Consumer) -> None:
    for name in ("a", "b", "c"):
        create(cluster, name)
    watcher = client.image_streams.watch()  # the initial state: one page of three ADDED events
    events = consumer.events(watcher, None, on_event=lambda event: watcher.stop())
    assert [event.object.metadata.name for event in events] == ["a"]


class _ProbedBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A watch body that records whether it was read and closed."""

    def __init__(self) -> None:
        self.read = False
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        self.read = True
        yield b'{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}}\n'

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.read = True
        yield line("ADDED", "a", 6)
        yield line("ADDED", "b", 7)

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def test_stop_while_the_stream_is_being_opened_never_reads_it() -> None:
    # stop() from another thread can land after the request was sent but before the driver knows
    # the response (nothing to interrupt yet): the driver must not then block reading the stream.
    body = _ProbedBody()
    watcher: Any = None

    def answer(request: httpx.Request) -> httpx.Response:
        watcher.stop()
        return httpx.Response(200, stream=body)

    with Client(base_url="http://fake", transport=httpx.MockTransport(answer), namespace="demo") as client:
        watcher = client.image_streams.watch(resource_version="5")
        with watcher:
            assert list(watcher) == []
    assert not body.read and body.closed


@pytest.mark.anyio
async def test_async_close_releases_the_stream_at_once() -> None:
    body = _ProbedBody()

    async def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=body)

    async with AsyncClient(base_url="http://fake", transport=httpx.MockTransport(answer),
                           namespace="demo") as client:
        async with client.image_streams.watch(resource_version="5") as watcher:
            async for _event in watcher:
                break
        assert body.closed  # on leaving ``async with``, not whenever the generator is collected
