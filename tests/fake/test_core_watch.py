"""Watch streams over the in-process transports (server-semantics.md §14).

A watch subscribes when the request is handled, so a test can open the stream, make its writes and
only then read the lines: the events wait in the stream, and no timing is involved.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from _core_helpers import GROUP_PATH, digest, image_body, images_path, stream_body, streams_path

from imageapi.testing import FakeCluster

MERGE = {"Content-Type": "application/merge-patch+json"}
Event = dict[str, Any]


def _read(lines: Iterator[str], count: int) -> list[Event]:
    return [json.loads(next(lines)) for _ in range(count)]


def _summary(events: list[Event]) -> list[tuple[str, str]]:
    return [(event["type"], event["object"]["metadata"].get("name", "")) for event in events]


def _current_rv(http: httpx.Client) -> str:
    rv: str = http.get(streams_path()).json()["metadata"]["resourceVersion"]
    return rv


def test_changes_after_a_resource_version(http: httpx.Client) -> None:
    http.post(streams_path(), json=stream_body("old"))
    rv = _current_rv(http)
    with http.stream("GET", streams_path(), params={"watch": "true", "resourceVersion": rv,
                                                    "timeoutSeconds": "30"}) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["Transfer-Encoding"] == "chunked"
        http.post(streams_path(), json=stream_body("a"))
        http.patch(streams_path(name="a"), json={"metadata": {"labels": {"x": "1"}}}, headers=MERGE)
        http.delete(streams_path(name="a"))
        deletion_rv = _current_rv(http)
        events = _read(response.iter_lines(), 3)
    assert _summary(events) == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]
    added = events[0]["object"]
    assert added["kind"] == "ImageStream" and added["apiVersion"] == "image.openshift.io/v1"
    assert added["status"]["dockerImageRepository"].endswith("/ns1/a")  # decorated like a GET
    assert events[1]["object"]["metadata"]["labels"] == {"x": "1"}
    assert events[2]["object"]["metadata"]["resourceVersion"] == deletion_rv
    rvs = [int(event["object"]["metadata"]["resourceVersion"]) for event in events]
    assert rvs == sorted(rvs) and rvs[0] > int(rv)


def test_unset_resource_version_starts_with_the_current_state_on_417() -> None:
    cluster = FakeCluster(flavour="4.17")
    with httpx.Client(transport=cluster.transport(), base_url="http://fake") as http:
        for name in ("a", "b"):
            http.post(streams_path(), json=stream_body(name))
        with http.stream("GET", streams_path(), params={"watch": "1", "allowWatchBookmarks": "true",
                                                        "timeoutSeconds": "30"}) as response:
            http.post(streams_path(), json=stream_body("c"))
            events = _read(response.iter_lines(), 3)
    # 4.17 has no WatchList: no initial-events-end bookmark between the state and the changes.
    assert _summary(events) == [("ADDED", "a"), ("ADDED", "b"), ("ADDED", "c")]


def test_current_flavour_defaults_to_initial_events_with_end_bookmark(http: httpx.Client) -> None:
    for name in ("a", "b"):
        http.post(streams_path(), json=stream_body(name))
    list_rv = _current_rv(http)
    with http.stream("GET", streams_path(), params={"watch": "1", "allowWatchBookmarks": "true",
                                                    "timeoutSeconds": "30"}) as response:
        http.post(streams_path(), json=stream_body("c"))
        events = _read(response.iter_lines(), 4)
    assert [event["type"] for event in events] == ["ADDED", "ADDED", "BOOKMARK", "ADDED"]
    bookmark = events[2]["object"]
    assert bookmark == {"kind": "ImageStream", "apiVersion": "image.openshift.io/v1",
                        "metadata": {"resourceVersion": list_rv,
                                     "annotations": {"k8s.io/initial-events-end": "true"}}}


def test_explicit_send_initial_events(http: httpx.Client) -> None:
    http.post(streams_path(), json=stream_body("a"))
    params = {"watch": "1", "sendInitialEvents": "true", "resourceVersionMatch": "NotOlderThan",
              "resourceVersion": "1", "allowWatchBookmarks": "true", "timeoutSeconds": "30"}
    with http.stream("GET", streams_path(), params=params) as response:
        events = _read(response.iter_lines(), 2)
    assert [event["type"] for event in events] == ["ADDED", "BOOKMARK"]
    assert events[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_send_initial_events_false_starts_now(http: httpx.Client) -> None:
    http.post(streams_path(), json=stream_body("a"))
    with http.stream("GET", streams_path(), params={"watch": "1", "sendInitialEvents": "false",
                                                    "timeoutSeconds": "30"}) as response:
        http.post(streams_path(), json=stream_body("b"))
        events = _read(response.iter_lines(), 1)
    assert _summary(events) == [("ADDED", "b")]


@pytest.mark.parametrize(("flavour", "params", "fragment"), [
    ("current", {"sendInitialEvents": "true"},
     "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"),
    ("current", {"resourceVersionMatch": "NotOlderThan", "resourceVersion": "1"},
     "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"),
    ("4.17", {"sendInitialEvents": "true", "resourceVersionMatch": "NotOlderThan"},
     "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled"),
    ("4.17", {"sendInitialEvents": "false"},
     "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled"),
])
def test_watch_option_errors_are_422(flavour: str, params: dict[str, str], fragment: str) -> None:
    cluster = FakeCluster(flavour=flavour)
    with httpx.Client(transport=cluster.transport(), base_url="http://fake") as http:
        response = http.get(streams_path(), params={"watch": "true", **params})
    assert response.status_code == 422
    assert fragment in response.json()["message"]


def test_selector_moves_are_added_and_deleted(http: httpx.Client) -> None:
    http.post(streams_path(), json=stream_body("a", labels={"team": "y"}))
    rv = _current_rv(http)
    with http.stream("GET", streams_path(), params={"watch": "1", "resourceVersion": rv, "labelSelector": "team=x",
                                                    "timeoutSeconds": "30"}) as response:
        http.patch(streams_path(name="a"), json={"metadata": {"labels": {"team": "x"}}}, headers=MERGE)
        http.patch(streams_path(name="a"), json={"metadata": {"annotations": {"n": "1"}}}, headers=MERGE)
        http.patch(streams_path(name="a"), json={"metadata": {"labels": {"team": "z"}}}, headers=MERGE)
        left_rv = _current_rv(http)
        http.post(streams_path(), json=stream_body("b", labels={"team": "x"}))
        events = _read(response.iter_lines(), 4)
    assert _summary(events) == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a"), ("ADDED", "b")]
    # Leaving the selection shows the last state that matched, at the revision of the change.
    assert events[2]["object"]["metadata"]["labels"] == {"team": "x"}
    assert events[2]["object"]["metadata"]["resourceVersion"] == left_rv


def test_namespace_watch_ignores_other_namespaces(http: httpx.Client) -> None:
    rv = _current_rv(http)
    with http.stream("GET", streams_path("ns1"), params={"watch": "1", "resourceVersion": rv,
                                                         "timeoutSeconds": "30"}) as response:
        http.post(streams_path("ns2"), json=stream_body("elsewhere"))
        http.post(streams_path("ns1"), json=stream_body("here"))
        events = _read(response.iter_lines(), 1)
    assert _summary(events) == [("ADDED", "here")]


def test_all_namespaces_and_cluster_scoped_watches(http: httpx.Client) -> None:
    rv = _current_rv(http)
    with http.stream("GET", f"{GROUP_PATH}/imagestreams", params={"watch": "1", "resourceVersion": rv,
                                                                  "timeoutSeconds": "30"}) as streams, \
            http.stream("GET", images_path(), params={"watch": "1", "resourceVersion": rv,
                                                      "timeoutSeconds": "30"}) as images:
        http.post(streams_path("ns2"), json=stream_body("s"))
        http.post(images_path(), json=image_body(digest(1)))
        assert _summary(_read(streams.iter_lines(), 1)) == [("ADDED", "s")]
        image_event = _read(images.iter_lines(), 1)[0]
    assert image_event["type"] == "ADDED"
    assert image_event["object"]["kind"] == "Image"


@pytest.mark.parametrize("form", ["field-selector", "watch-path"])
def test_single_object_watch(http: httpx.Client, form: str) -> None:
    rv = _current_rv(http)
    if form == "watch-path":
        path, params = f"{GROUP_PATH}/watch/namespaces/ns1/imagestreams/a", {"resourceVersion": rv}
    else:
        path, params = streams_path(), {"watch": "1", "resourceVersion": rv, "fieldSelector": "metadata.name=a"}
    with http.stream("GET", path, params={**params, "timeoutSeconds": "30"}) as response:
        http.post(streams_path(), json=stream_body("b"))
        http.post(streams_path(), json=stream_body("a"))
        events = _read(response.iter_lines(), 1)
    assert _summary(events) == [("ADDED", "a")]


def test_watch_path_with_a_different_name_selector_is_400(http: httpx.Client) -> None:
    response = http.get(f"{GROUP_PATH}/watch/namespaces/ns1/imagestreams/a", params={"fieldSelector": "metadata.name=b"})
    assert response.status_code == 400
    assert response.json()["message"] == "fieldSelector metadata.name doesn't match requested name"


def test_bad_selector_is_an_ordinary_error_response(http: httpx.Client) -> None:
    response = http.get(streams_path(), params={"watch": "1", "fieldSelector": "spec.nope=1"})
    assert response.status_code == 400


def test_timeout_ends_the_stream_after_a_bookmark(http: httpx.Client) -> None:
    rv = _current_rv(http)
    with http.stream("GET", streams_path(), params={"watch": "1", "resourceVersion": rv, "timeoutSeconds": "1",
                                                    "allowWatchBookmarks": "true"}) as response:
        http.post(streams_path(), json=stream_body("a"))
        events = [json.loads(line) for line in response.iter_lines()]
    assert [event["type"] for event in events] == ["ADDED", "BOOKMARK"]
    assert events[1]["object"]["metadata"]["resourceVersion"] == _current_rv(http)


def test_timeout_without_bookmarks_ends_silently(http: httpx.Client) -> None:
    rv = _current_rv(http)
    with http.stream("GET", streams_path(), params={"watch": "1", "resourceVersion": rv,
                                                    "timeoutSeconds": "1"}) as response:
        assert list(response.iter_lines()) == []


def test_periodic_bookmarks() -> None:
    cluster = FakeCluster(bookmark_interval=0.05)
    with httpx.Client(transport=cluster.transport(), base_url="http://fake") as http:
        rv = _current_rv(http)
        with http.stream("GET", streams_path(), params={"watch": "1", "resourceVersion": rv, "timeoutSeconds": "30",
                                                        "allowWatchBookmarks": "true"}) as response:
            events = _read(response.iter_lines(), 2)
    assert [event["type"] for event in events] == ["BOOKMARK", "BOOKMARK"]
    assert "annotations" not in events[0]["object"]["metadata"]


@pytest.mark.parametrize("how", ["compact", "overflow"])
def test_too_old_resource_version_is_a_200_with_one_error_event(how: str) -> None:
    cluster = FakeCluster(watch_history_size=3)
    with httpx.Client(transport=cluster.transport(), base_url="http://fake") as http:
        http.post(streams_path(), json=stream_body("a"))
        old_rv = _current_rv(http)
        for name in ("b", "c", "d", "e"):
            http.post(streams_path(), json=stream_body(name))
        if how == "compact":
            cluster.faults.compact_history()
        compacted = cluster.store.compacted_revision
        with http.stream("GET", streams_path(), params={"watch": "1", "resourceVersion": old_rv,
                                                        "timeoutSeconds": "30"}) as response:
            assert response.status_code == 200
            events = [json.loads(line) for line in response.iter_lines()]
    assert events == [{"type": "ERROR", "object": {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": f"too old resource version: {old_rv} ({compacted})", "reason": "Expired", "code": 410}}]


def test_history_within_the_window_is_replayed() -> None:
    cluster = FakeCluster(watch_history_size=100)
    with httpx.Client(transport=cluster.transport(), base_url="http://fake") as http:
        rv = _current_rv(http)
        for name in ("a", "b"):
            http.post(streams_path(), json=stream_body(name))
        with http.stream("GET", streams_path(), params={"watch": "1", "resourceVersion": rv,
                                                        "timeoutSeconds": "30"}) as response:
            events = _read(response.iter_lines(), 2)
    assert _summary(events) == [("ADDED", "a"), ("ADDED", "b")]


def test_closing_the_response_ends_the_watch(cluster: FakeCluster, http: httpx.Client) -> None:
    with http.stream("GET", streams_path(), params={"watch": "1"}) as response:
        assert cluster.store.watcher_count() == 1
        response.close()
    assert cluster.store.watcher_count() == 0


def test_cluster_close_ends_open_watches(cluster: FakeCluster, http: httpx.Client) -> None:
    with http.stream("GET", streams_path(), params={"watch": "1", "resourceVersion": _current_rv(http)}) as response:
        cluster.close()
        assert list(response.iter_lines()) == []


def test_events_arrive_while_the_reader_waits(cluster: FakeCluster, http: httpx.Client) -> None:
    rv = _current_rv(http)

    def write_later() -> None:
        with httpx.Client(transport=cluster.transport(), base_url="http://fake") as writer:
            for name in ("a", "b", "c"):
                writer.post(streams_path(), json=stream_body(name))

    with http.stream("GET", streams_path(), params={"watch": "1", "resourceVersion": rv,
                                                    "timeoutSeconds": "30"}) as response:
        lines = response.iter_lines()
        thread = threading.Thread(target=write_later)
        thread.start()
        events = _read(lines, 3)
        thread.join()
    assert _summary(events) == [("ADDED", "a"), ("ADDED", "b"), ("ADDED", "c")]


@pytest.mark.anyio
async def test_async_transport_streams_events(cluster: FakeCluster, ahttp: httpx.AsyncClient) -> None:
    rv = (await ahttp.get(streams_path())).json()["metadata"]["resourceVersion"]
    async with ahttp.stream("GET", streams_path(), params={"watch": "1", "resourceVersion": rv,
                                                           "timeoutSeconds": "30"}) as response:
        await ahttp.post(streams_path(), json=stream_body("a"))
        await ahttp.delete(streams_path(name="a"))
        events: list[Event] = []
        async for line in response.aiter_lines():
            events.append(json.loads(line))
            if len(events) == 2:
                break
    assert _summary(events) == [("ADDED", "a"), ("DELETED", "a")]
    assert cluster.store.watcher_count() == 0


@pytest.mark.anyio
async def test_async_watch_waits_for_events_from_another_thread(cluster: FakeCluster,
                                                                ahttp: httpx.AsyncClient) -> None:
    rv = (await ahttp.get(streams_path())).json()["metadata"]["resourceVersion"]

    def write_later() -> None:
        with httpx.Client(transport=cluster.transport(), base_url="http://fake") as writer:
            writer.post(streams_path(), json=stream_body("late"))

    async with ahttp.stream("GET", streams_path(), params={"watch": "1", "resourceVersion": rv,
                                                           "timeoutSeconds": "30"}) as response:
        thread = threading.Thread(target=write_later)
        thread.start()
        async for line in response.aiter_lines():
            event = json.loads(line)
            break
        thread.join()
    assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "late")


@pytest.mark.anyio
async def test_async_watch_timeout_ends_cleanly(ahttp: httpx.AsyncClient) -> None:
    rv = (await ahttp.get(streams_path())).json()["metadata"]["resourceVersion"]
    async with ahttp.stream("GET", streams_path(), params={"watch": "1", "resourceVersion": rv,
                                                           "timeoutSeconds": "1"}) as response:
        lines = [line async for line in response.aiter_lines()]
    assert lines == []


def test_watchers_share_event_lines_but_follow_the_server_configuration(cluster: FakeCluster,
                                                                         http: httpx.Client) -> None:
    """Every watcher sees the same line for the same write; a changed registry hostname shows in
    events rendered after the change, even of objects already sent."""
    params = {"watch": "true", "resourceVersion": "0", "timeoutSeconds": "30"}
    with http.stream("GET", streams_path(), params=params) as first, \
            http.stream("GET", streams_path(), params=params) as second:
        http.post(streams_path(), json=stream_body("a"))
        lines = [next(first.iter_lines()), next(second.iter_lines())]
    assert lines[0] == lines[1]
    assert json.loads(lines[0])["object"]["status"]["dockerImageRepository"].startswith(
        "image-registry.openshift-image-registry.svc:5000/")
    cluster.config.internal_registry_hostname = "registry.example.com"
    with http.stream("GET", streams_path(), params=params) as third:
        replayed = json.loads(next(third.iter_lines()))
    assert replayed["type"] == "ADDED"
    assert replayed["object"]["status"]["dockerImageRepository"] == "registry.example.com/ns1/a"


def test_a_replayed_event_follows_a_change_of_the_registry_hostname(cluster: FakeCluster, http: httpx.Client) -> None:
    # History events keep their rendered lines for later replays; those lines must not outlive the
    # configuration they were rendered with (status.dockerImageRepository is computed on every read).
    start = _current_rv(http)
    http.post(streams_path(), json=stream_body("app"))

    def replay() -> Event:
        params = {"watch": "true", "resourceVersion": start, "timeoutSeconds": "1"}
        with http.stream("GET", streams_path(), params=params) as response:
            (event,) = _read(response.iter_lines(), 1)
        return event

    first = replay()
    cluster.config.internal_registry_hostname = "registry.example.test:5000"
    second = replay()

    assert first["object"]["status"]["dockerImageRepository"].startswith(
        "image-registry.openshift-image-registry.svc:5000/")
    assert second["object"]["status"]["dockerImageRepository"] == "registry.example.test:5000/ns1/app"
