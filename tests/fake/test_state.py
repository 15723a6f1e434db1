"""State that survives a restart (``FakeCluster(state=PATH)``, ``imageapi serve --state FILE``), and the
"Too large resource version" answer of a cluster asked about a revision it never reached."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from imageapi.testing import FakeCluster, StateFileError

STREAMS = "/apis/image.openshift.io/v1/namespaces/team/imagestreams"
LEASES = "/apis/coordination.k8s.io/v1/namespaces/team/leases"
CONFIGMAPS = "/api/v1/namespaces/team/configmaps"
CHILD_TIMEOUT = 60.0  # a bound for each child process, not a timing assertion


def stream(name: str) -> dict[str, Any]:
    """An image stream as a template creates one: tags with policies, annotations and a tracking tag."""
    return {
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
        "metadata": {"name": name, "labels": {"app": name}, "annotations": {"openshift.io/display-name": name},
                     "creationTimestamp": None},
        "spec": {"lookupPolicy": {"local": False}, "tags": [
            {"name": "1.0", "annotations": {"description": "first"},
             "from": {"kind": "DockerImage", "name": f"quay.io/example/{name}:1.0"}, "generation": None,
             "importPolicy": {"scheduled": False}, "referencePolicy": {"type": "Source"}},
            {"name": "latest", "from": {"kind": "ImageStreamTag", "name": "1.0"},
             "referencePolicy": {"type": "Local"}}]},
    }


@contextmanager
def opened(path: Path, **options: Any) -> Iterator[tuple[FakeCluster, httpx.Client]]:
    """A cluster on ``path`` and a plain httpx client over its in-process transport, closed after."""
    cluster = FakeCluster(state=path, **options)
    try:
        with httpx.Client(transport=cluster.transport(), base_url="http://fake") as http:
            yield cluster, http
    finally:
        cluster.close()


def _ok(response: httpx.Response, code: int = 200) -> dict[str, Any]:
    assert response.status_code == code, response.text
    body: dict[str, Any] = response.json()
    return body


def _watch(http: httpx.Client, path: str, since: str, count: int | None = None) -> list[dict[str, Any]]:
    """The events of a watch from ``since``: ``count`` of them, or all until the server's 1 s timeout."""
    params = {"watch": "true", "resourceVersion": since, "timeoutSeconds": "1"}
    events: list[dict[str, Any]] = []
    with http.stream("GET", path, params=params) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line:
                events.append(json.loads(line))
            if len(events) == count:
                break
    return events


def _write_some(http: httpx.Client) -> None:
    for name in ("app", "web"):
        _ok(http.post(STREAMS, json=stream(name)), 201)
    lease = _ok(http.post(LEASES, json={"metadata": {"name": "leader"}, "spec": {
        "holderIdentity": "a", "leaseDurationSeconds": 15, "renewTime": "2026-12-02T07:00:00.000000Z"}}), 201)
    lease["spec"]["holderIdentity"] = "b"
    _ok(http.put(f"{LEASES}/leader", json=lease))
    _ok(http.post(CONFIGMAPS, json={"metadata": {"name": "settings"}, "data": {"mode": "fast"}}), 201)
    _ok(http.delete(f"{STREAMS}/web"))


def test_a_restart_keeps_objects_revision_and_watch_history(tmp_path: Path) -> None:
    path = tmp_path / "cluster.state"
    with opened(path) as (cluster, http):
        assert cluster.restored is False
        start = str(cluster.resource_version)
        _write_some(http)
        before = {plural: _ok(http.get(f"/{prefix}/{plural}")) for prefix, plural in (
            ("apis/image.openshift.io/v1", "imagestreams"), ("apis/coordination.k8s.io/v1", "leases"),
            ("api/v1", "configmaps"), ("api/v1", "namespaces"))}
        revision = cluster.resource_version
        history = {path: _watch(http, path, start) for path in (STREAMS, LEASES, CONFIGMAPS)}

    with opened(path) as (cluster, http):
        assert cluster.restored is True
        assert cluster.resource_version == revision
        after = {plural: _ok(http.get(f"/{prefix}/{plural}")) for prefix, plural in (
            ("apis/image.openshift.io/v1", "imagestreams"), ("apis/coordination.k8s.io/v1", "leases"),
            ("api/v1", "configmaps"), ("api/v1", "namespaces"))}
        # uids, timestamps, managedFields, generations, tag events: everything as it was.
        assert after == before
        assert {path: _watch(http, path, start, len(events)) for path, events in history.items()} == history
        assert {event["type"] for event in history[STREAMS]} >= {"ADDED", "DELETED"}
        assert [event["type"] for event in history[LEASES]] == ["ADDED", "MODIFIED"]
        created = _ok(http.post(CONFIGMAPS, json={"metadata": {"name": "next"}}), 201)
        assert int(created["metadata"]["resourceVersion"]) == revision + 1


def test_a_watch_resumed_across_a_restart_loses_no_event(tmp_path: Path) -> None:
    """A client watches, the server stops and starts again, the client resumes from the last
    resourceVersion it saw: it sees every write exactly once, without a relist."""
    path = tmp_path / "cluster.state"
    written: list[str] = []
    seen: list[str] = []
    with opened(path) as (cluster, http):
        since = str(cluster.resource_version)
        for index in range(20):
            written.append(_ok(http.post(CONFIGMAPS, json={"metadata": {"name": f"c{index}"}}), 201)
                           ["metadata"]["resourceVersion"])
        events = _watch(http, CONFIGMAPS, since, 20)
        seen += [event["object"]["metadata"]["resourceVersion"] for event in events]
        for index in range(20, 30):  # written after the client's last read, before the stop
            written.append(_ok(http.post(CONFIGMAPS, json={"metadata": {"name": f"c{index}"}}), 201)
                           ["metadata"]["resourceVersion"])
    with opened(path) as (cluster, http):
        for index in range(30, 40):
            written.append(_ok(http.post(CONFIGMAPS, json={"metadata": {"name": f"c{index}"}}), 201)
                           ["metadata"]["resourceVersion"])
        resumed = _watch(http, CONFIGMAPS, seen[-1], 20)
        seen += [event["object"]["metadata"]["resourceVersion"] for event in resumed]
    assert seen == written
    assert all(event["type"] == "ADDED" for event in resumed)


def test_the_history_window_and_compaction_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "cluster.state"
    with opened(path, watch_history_size=5) as (cluster, http):
        for index in range(10):
            _ok(http.post(CONFIGMAPS, json={"metadata": {"name": f"c{index}"}}), 201)
        revision = cluster.resource_version
    with opened(path, watch_history_size=5) as (cluster, http):
        expired = _watch(http, CONFIGMAPS, str(revision - 8))
        assert [(event["type"], event["object"]["code"]) for event in expired] == [("ERROR", 410)]
        assert len(_watch(http, CONFIGMAPS, str(revision - 4))) == 4
        cluster.faults.compact_history()
    with opened(path, watch_history_size=5) as (cluster, http):
        assert cluster.resource_version == revision
        assert _watch(http, CONFIGMAPS, str(revision - 1))[0]["object"]["code"] == 410
        assert _watch(http, CONFIGMAPS, str(revision)) == []


def test_a_state_file_is_used_by_one_cluster_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "cluster.state"
    with opened(path):
        with pytest.raises(StateFileError) as refused:
            FakeCluster(state=path)
        assert str(refused.value) == f"{path} is in use by another fake cluster"
    FakeCluster(state=path).close()  # released by close()


def _foreign_database(path: Path) -> None:
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE notes (text)")
        connection.commit()


def _truncated_state(path: Path) -> None:
    with opened(path) as (cluster, _http):
        for index in range(100):
            cluster.create("configmaps", {"metadata": {"name": f"c{index}"}, "data": {"blob": "x" * 2048}},
                           namespace="team")
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])  # a copy cut short, a disk that lost the end


def _tampered(path: Path, statement: str) -> None:
    """A state file of a few writes, then changed behind the fake's back by ``statement``."""
    with opened(path) as (_cluster, http):
        _write_some(http)
    with closing(sqlite3.connect(path)) as connection:
        connection.execute(statement)
        connection.commit()


@pytest.mark.parametrize(("prepare", "message"), [
    (lambda path: path.write_text("apiVersion: v1\nkind: Config\n"),
     "{path} is not an imageapi fake cluster state file (not an SQLite database)"),
    (lambda path: _foreign_database(path),
     "{path} is not an imageapi fake cluster state file (an SQLite database without its tables)"),
    (lambda path: _tampered(path, "UPDATE objects SET body = '{\"kind\": ' WHERE resource = 'leases'"),
     "{path} is corrupt (unreadable content: Expecting value: line 1 column 10 (char 9))"),
    (lambda path: _truncated_state(path), "{path} is corrupt (database disk image is malformed)"),
    (lambda path: _tampered(path, "DELETE FROM events WHERE rv = 4"),
     "{path} is corrupt (its watch history from revision 1 to 10 has 9 entries)"),
    (lambda path: path.mkdir(), "cannot use state file {path}: it is a directory"),
])
def test_foreign_and_corrupt_state_files_are_refused_in_one_line(tmp_path: Path, prepare: Any,
                                                                   message: str) -> None:
    path = tmp_path / "cluster.state"
    prepare(path)
    with pytest.raises(StateFileError) as refused:
        FakeCluster(state=path)
    assert str(refused.value) == message.format(path=path)
    assert "\n" not in str(refused.value)


def test_a_state_file_of_another_format_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cluster.state"
    FakeCluster(state=path).close()
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("UPDATE meta SET value = '99' WHERE key = 'version'")
        connection.commit()
    with pytest.raises(StateFileError, match="written in state format version 99; this imageapi reads version 1"):
        FakeCluster(state=path)


_WRITER = textwrap.dedent("""
    import sys
    from imageapi.testing import FakeCluster
    cluster = FakeCluster(state=sys.argv[1])
    index = 0
    while True:
        body = {"metadata": {"name": f"c{index}", "labels": {"i": str(index)}}, "data": {"blob": "x" * 4096}}
        created = cluster.create("configmaps", body, namespace="crash")
        print(index, created["metadata"]["resourceVersion"], flush=True)
        index += 1
""")


def test_a_process_killed_mid_write_leaves_a_whole_state_file(tmp_path: Path) -> None:
    path = tmp_path / "cluster.state"
    child = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    acknowledged: list[tuple[int, int]] = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            index, rv = line.split()
            acknowledged.append((int(index), int(rv)))
            if len(acknowledged) >= 300:
                break
        # Killed while it keeps writing: SIGKILL lands wherever the writer is, a transaction included.
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=CHILD_TIMEOUT)
        if child.stdout is not None:
            child.stdout.close()
    assert len(acknowledged) == 300

    cluster = FakeCluster(state=path)
    try:
        items = cluster.list("configmaps", "crash")
        last_rv = acknowledged[-1][1]
        # Every acknowledged write is there; at most the writes after the last line printed are extra.
        assert cluster.resource_version >= last_rv
        names = {item["metadata"]["name"] for item in items}
        assert {f"c{index}" for index, _rv in acknowledged} <= names
        indexes = sorted(int(name[1:]) for name in names)
        assert indexes == list(range(len(indexes)))  # no hole: writes land whole and in order
        # The store and its history agree: the newest object carries the newest revision.
        assert max(int(item["metadata"]["resourceVersion"]) for item in items) == cluster.resource_version
        assert all(item["data"]["blob"] == "x" * 4096 for item in items)
        created = cluster.create("configmaps", {"metadata": {"name": "after"}}, namespace="crash")
        assert int(created["metadata"]["resourceVersion"]) == cluster.resource_version
    finally:
        cluster.close()


# -- reads ahead of the server's revision (no state) -------------------------------------------------

TOO_LARGE_STATUS = {
    "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": "Timeout", "code": 504,
    "details": {"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                "retryAfterSeconds": 1},
}


def test_a_list_ahead_of_a_fresh_server_is_too_large(http: httpx.Client, cluster: FakeCluster) -> None:
    current = cluster.resource_version
    response = http.get(CONFIGMAPS, params={"resourceVersion": str(current + 500)})
    assert response.status_code == 504
    assert response.headers["Retry-After"] == "1"
    assert response.json() == {**TOO_LARGE_STATUS,
                               "message": f"Timeout: Too large resource version: {current + 500}, current: {current}"}


def test_a_watch_ahead_of_a_fresh_server_ends_with_the_too_large_error(http: httpx.Client,
                                                                       cluster: FakeCluster) -> None:
    """A client resuming at a revision from before a restart without state must relist, not wait."""
    current = cluster.resource_version
    events = _watch(http, STREAMS, str(current + 500))
    assert events == [{"type": "ERROR", "object": {
        **TOO_LARGE_STATUS, "message": f"Timeout: Too large resource version: {current + 500}, current: {current}"}}]
    assert _watch(http, STREAMS, str(current)) == []  # its own revision is fine


def test_a_streaming_list_ahead_of_the_server_ends_with_the_too_large_error(http: httpx.Client,
                                                                            cluster: FakeCluster) -> None:
    current = cluster.resource_version
    params = {"watch": "true", "sendInitialEvents": "true", "resourceVersionMatch": "NotOlderThan",
              "allowWatchBookmarks": "true", "resourceVersion": str(current + 1), "timeoutSeconds": "1"}
    with http.stream("GET", STREAMS, params=params) as response:
        events = [json.loads(line) for line in response.iter_lines() if line]
    assert [(event["type"], event["object"]["code"], event["object"]["message"]) for event in events] == [
        ("ERROR", 504, f"Timeout: Too large resource version: {current + 1}, current: {current}")]


# -- imageapi serve --state ---------------------------------------------------------------------------


def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "imageapi", "serve", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _stop(server: subprocess.Popen[str]) -> str:
    server.send_signal(signal.SIGINT)
    _out, err = server.communicate(timeout=CHILD_TIMEOUT)
    return err


def test_serve_with_state_keeps_the_cluster_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "serve.state"
    server = _serve("--no-auth", "--state", str(path), "--seed", "demo")
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        with httpx.Client(base_url=url, timeout=CHILD_TIMEOUT) as http:
            lease = _ok(http.post("/apis/coordination.k8s.io/v1/namespaces/demo/leases",
                                  json={"metadata": {"name": "leader"}, "spec": {"holderIdentity": "a"}}), 201)
            streams = _ok(http.get("/apis/image.openshift.io/v1/namespaces/demo/imagestreams"))
    finally:
        _stop(server)
    server = _serve("--no-auth", "--state", str(path), "--seed", "demo")  # the seed is not applied twice
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        with httpx.Client(base_url=url, timeout=CHILD_TIMEOUT) as http:
            assert _ok(http.get("/apis/coordination.k8s.io/v1/namespaces/demo/leases/leader")) == lease
            again = _ok(http.get("/apis/image.openshift.io/v1/namespaces/demo/imagestreams"))
            assert again["items"] == streams["items"]
    finally:
        err = _stop(server)
    assert "Traceback" not in err


def test_serve_refuses_a_foreign_state_file_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a state file\n")
    server = _serve("--no-auth", "--state", str(path))
    out, err = server.communicate(timeout=CHILD_TIMEOUT)
    assert server.returncode == 1
    assert out == ""
    assert err == f"error: {path} is not an imageapi fake cluster state file (not an SQLite database)\n"
