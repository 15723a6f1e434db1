"""The fake cluster over loopback HTTP: keep-alive, chunked watches, kubeconfig, the ``serve`` CLI."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from _core_helpers import stream_body, streams_path

from imageapi.testing import FakeCluster, FakeServer


@pytest.fixture
def server(cluster: FakeCluster) -> Iterator[FakeServer]:
    with cluster.serve() as running:
        yield running


def _wait_until(condition: object, seconds: float = 10.0) -> bool:
    """Poll a condition (a callable) until it holds; a wait for a background thread, not a timing check."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_binds_loopback_only(server: FakeServer) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert server.port > 0


def test_crud_over_loopback(server: FakeServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        created = client.post(streams_path(), json=stream_body("a"))
        assert created.status_code == 201
        fetched = client.get(streams_path(name="a"))
        assert fetched.json() == created.json()
        missing = client.get(streams_path(name="zzz"))
        assert missing.status_code == 404 and missing.json()["reason"] == "NotFound"
        assert client.delete(streams_path(name="a")).json()["status"] == "Success"


def test_keep_alive_serves_many_requests_on_one_connection(server: FakeServer) -> None:
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("POST", streams_path(), body=json.dumps(stream_body("a")),
                           headers={"Content-Type": "application/json"})
        first = connection.getresponse()
        assert first.status == 201
        first.read()
        sock = connection.sock
        for _ in range(3):
            connection.request("GET", streams_path(name="a"))
            response = connection.getresponse()
            assert response.status == 200
            assert response.getheader("Connection") != "close"
            json.loads(response.read())
        assert connection.sock is sock  # never reconnected
    finally:
        connection.close()


def test_watch_is_chunked_and_streams_events(cluster: FakeCluster, server: FakeServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        rv = client.get(streams_path()).json()["metadata"]["resourceVersion"]
        with client.stream("GET", streams_path(), params={"watch": "1", "resourceVersion": rv,
                                                          "timeoutSeconds": "30"}) as response:
            assert response.headers["Transfer-Encoding"] == "chunked"
            lines = response.iter_lines()
            cluster.create("imagestreams", stream_body("a"), namespace="ns1")
            first = json.loads(next(lines))
            cluster.delete("imagestreams", "a", namespace="ns1")
            second = json.loads(next(lines))
    assert (first["type"], second["type"]) == ("ADDED", "DELETED")


def test_watch_timeout_ends_the_chunked_body(server: FakeServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        rv = client.get(streams_path()).json()["metadata"]["resourceVersion"]
        with client.stream("GET", streams_path(), params={"watch": "1", "resourceVersion": rv,
                                                          "timeoutSeconds": "1"}) as response:
            assert list(response.iter_lines()) == []
        # The connection is still usable after a completed watch.
        assert client.get(streams_path()).status_code == 200


def test_client_disconnect_ends_the_watch(cluster: FakeCluster, server: FakeServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client, \
            client.stream("GET", streams_path(), params={"watch": "1"}):
        assert _wait_until(lambda: cluster.store.watcher_count() == 1)
    assert _wait_until(lambda: cluster.store.watcher_count() == 0)


def test_server_close_ends_open_watches(cluster: FakeCluster) -> None:
    server = cluster.serve()
    with httpx.Client(base_url=server.url, timeout=30) as client, \
            client.stream("GET", streams_path(), params={"watch": "1", "sendInitialEvents": "false"}) as response:
        server.close()
        assert list(response.iter_lines()) == []


def test_oversized_body_is_413_before_reading_it(server: FakeServer) -> None:
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(f"POST {streams_path()} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {4 * 1024 * 1024}\r\n\r\n".encode())
        reply = sock.makefile("rb").read()
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body)["reason"] == "RequestEntityTooLarge"


def test_drop_connection_over_loopback(cluster: FakeCluster, server: FakeServer) -> None:
    cluster.faults.drop_connection(method="POST", after_bytes=5)
    with httpx.Client(base_url=server.url) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(streams_path(), json=stream_body("a"))
        assert client.get(streams_path(name="a")).status_code == 200


def test_abrupt_watch_cut_over_loopback(cluster: FakeCluster, server: FakeServer) -> None:
    cluster.faults.cut_watches(after_events=1, abrupt=True)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        rv = client.get(streams_path()).json()["metadata"]["resourceVersion"]
        cluster.create("imagestreams", stream_body("a"), namespace="ns1")
        cluster.create("imagestreams", stream_body("b"), namespace="ns1")
        received: list[str] = []
        with pytest.raises(httpx.RemoteProtocolError), \
                client.stream("GET", streams_path(), params={"watch": "1", "resourceVersion": rv}) as response:
            for line in response.iter_lines():
                received.append(json.loads(line)["object"]["metadata"]["name"])
    assert received == ["a"]


def test_kubeconfig_with_token(tmp_path: Path) -> None:
    cluster = FakeCluster(token="tok-123")
    with cluster.serve() as server:
        path = server.write_kubeconfig(tmp_path / "kubeconfig", namespace="team")
        config = yaml.safe_load(path.read_text())
        assert config["current-context"] == "fake-cluster"
        assert config["clusters"][0]["cluster"]["server"] == server.url
        assert config["users"][0]["user"] == {"token": "tok-123"}
        assert config["contexts"][0]["context"]["namespace"] == "team"
        with httpx.Client(base_url=server.url) as client:
            assert client.get("/apis").status_code == 401
            assert client.get("/apis", headers={"Authorization": "Bearer tok-123"}).status_code == 200


def test_kubeconfig_without_token(server: FakeServer, tmp_path: Path) -> None:
    config = yaml.safe_load(server.write_kubeconfig(tmp_path / "kc").read_text())
    assert config["users"][0]["user"] in ({}, None)


def test_serve_command(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "fake.kubeconfig"
    process = subprocess.Popen(
        [sys.executable, "-m", "imageapi", "serve", "--port", "0", "--kubeconfig", str(kubeconfig),
         "--token", "T", "--seed", "demo"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert yaml.safe_load(kubeconfig.read_text())["users"][0]["user"]["token"] == "T"
        with httpx.Client(base_url=url, headers={"Authorization": "Bearer T"}) as client:
            streams = client.get(streams_path("demo")).json()["items"]
        assert [item["metadata"]["name"] for item in streams] == ["hello"]
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0


def test_malformed_content_length_is_400(server: FakeServer) -> None:
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(f"POST {streams_path()} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Length: lots\r\n\r\n".encode())
        reply = sock.makefile("rb").read()
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert json.loads(body)["reason"] == "BadRequest"


def test_chunked_request_body(server: FakeServer) -> None:
    payload = json.dumps(stream_body("chunky")).encode()
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        chunks = b"".join(f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
                          for piece in (payload[:10], payload[10:]))
        sock.sendall(f"POST {streams_path()} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n".encode() + chunks + b"0\r\n\r\n")
        reply = sock.makefile("rb").read()
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 201")
    assert json.loads(body)["metadata"]["name"] == "chunky"
