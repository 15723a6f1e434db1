"""The loopback server under hostile framing (issue 9 §3 to §6): every refusal is an immediate Status
JSON, slow senders are cut off, only loopback Hosts and no browser Origins are served, the number of
connections is capped, close() means closed, and a peer's reset is not an error."""

from __future__ import annotations

import json
import socket
import stat
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _core_helpers import stream_body, streams_path

from imageapi.testing import FakeCluster, _http_server
from imageapi.testing._http_server import FakeServer


@pytest.fixture
def server(cluster: FakeCluster) -> Iterator[FakeServer]:
    with cluster.serve() as served:
        yield served


def connect(server: FakeServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def exchange(server: FakeServer, raw: bytes) -> tuple[bytes, Any]:
    """Send ``raw`` and read until the server closes: the status line and the JSON body."""
    with connect(server) as sock:
        sock.sendall(raw)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    return head.split(b"\r\n", 1)[0], json.loads(body)


def request(server: FakeServer, method: str = "GET", path: str = "/api", *, headers: str = "", body: bytes = b"",
            host: str | None = None) -> bytes:
    host_line = f"Host: {host if host is not None else f'127.0.0.1:{server.port}'}\r\n" if host != "" else ""
    return f"{method} {path} HTTP/1.1\r\n{host_line}{headers}Connection: close\r\n\r\n".encode() + body


def assert_status(answer: tuple[bytes, Any], code: int, reason: str | None = None) -> dict[str, Any]:
    line, status = answer
    assert line.startswith(f"HTTP/1.1 {code} ".encode())
    assert status["kind"] == "Status" and status["code"] == code and status["status"] == "Failure"
    if reason is not None:
        assert status["reason"] == reason
    return dict(status)


@pytest.mark.parametrize("length", ["-1", "lots", "1e3", "", "0x10", "+5", "5 5"])
def test_a_malformed_content_length_is_400_at_once(server: FakeServer, length: str) -> None:
    raw = request(server, "POST", streams_path(), headers=f"Content-Length: {length}\r\n")
    status = assert_status(exchange(server, raw), 400, "BadRequest")
    assert "Content-Length" in status["message"]


def test_conflicting_framing_is_400_and_unknown_codings_501(server: FakeServer) -> None:
    two = request(server, "POST", streams_path(), headers="Content-Length: 2\r\nContent-Length: 3\r\n", body=b"{}")
    assert_status(exchange(server, two), 400, "BadRequest")
    both = request(server, "POST", streams_path(), headers="Content-Length: 2\r\nTransfer-Encoding: chunked\r\n")
    assert_status(exchange(server, both), 400, "BadRequest")
    gzip = request(server, "POST", streams_path(), headers="Transfer-Encoding: gzip\r\n")
    assert_status(exchange(server, gzip), 501)
    bad_chunk = request(server, "POST", streams_path(), headers="Transfer-Encoding: chunked\r\n", body=b"zz\r\n")
    assert_status(exchange(server, bad_chunk), 400, "BadRequest")


@pytest.mark.parametrize("line", ["NoColonHere", " leading-space: x", "Bad Name: x", "Na\x01me: x"])
def test_a_malformed_header_line_is_400(server: FakeServer, line: str) -> None:
    raw = f"GET /api HTTP/1.1\r\n{line}\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
    status = assert_status(exchange(server, raw), 400, "BadRequest")
    assert "malformed MIME header" in status["message"]


@pytest.mark.parametrize(("line", "code"), [
    ("GET /api", 400), ("GET /api HTTP/1.1 extra", 400), ("GET /api HTTP/2.0", 505), ("GET /api HTTX/1.1", 400),
    ("G(T /api HTTP/1.1", 400),
])
def test_a_malformed_request_line_is_a_status(server: FakeServer, line: str, code: int) -> None:
    assert_status(exchange(server, f"{line}\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()), code)


@pytest.mark.parametrize("method", ["FOO", "get", "TRACE", "CONNECT", "PROPFIND"])
def test_unknown_methods_are_405_status_json_never_html(server: FakeServer, method: str) -> None:
    status = assert_status(exchange(server, request(server, method, streams_path())), 405, "MethodNotAllowed")
    assert status["message"] == "the server does not allow this method on the requested resource"


def test_long_urls_are_served_like_any_other_and_huge_headers_are_431(server: FakeServer) -> None:
    long_name = "a" * (100 * 1024)  # over Python's 64 KiB request-line limit, well under Go's 1 MiB
    assert_status(exchange(server, request(server, "GET", streams_path(name=long_name))), 404, "NotFound")
    huge = request(server, "GET", "/api", headers="X-Big: " + "b" * (1 << 20) + "\r\n")
    status = assert_status(exchange(server, huge), 431)
    assert "1048576" in status["message"]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.nip.io", "10.0.0.1"])
def test_a_host_that_is_not_loopback_is_403(cluster: FakeCluster, server: FakeServer, host: str) -> None:
    body = json.dumps(stream_body("rebound")).encode()
    raw = request(server, "POST", streams_path(), host=host, headers=f"Content-Length: {len(body)}\r\n", body=body)
    status = assert_status(exchange(server, raw), 403, "Forbidden")
    assert "DNS-rebinding" in status["message"]
    assert cluster.list("imagestreams", namespace="ns1") == []


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "127.0.0.1:1", "[::1]:8080", "localhost"])
def test_loopback_hosts_are_served(server: FakeServer, host: str) -> None:
    line, document = exchange(server, request(server, host=host.format(port=server.port)))
    assert line.startswith(b"HTTP/1.1 200 ")
    assert document["kind"] == "APIVersions"


def test_a_missing_host_is_400_on_http_1_1_only(server: FakeServer) -> None:
    assert_status(exchange(server, request(server, host="")), 400, "BadRequest")
    line, _ = exchange(server, b"GET /api HTTP/1.0\r\n\r\n")
    assert line.startswith(b"HTTP/1.1 200 ")


def test_a_cross_origin_post_creates_nothing(cluster: FakeCluster, server: FakeServer) -> None:
    # The reproducer: a web page's form POST (no Content-Type) with its own Origin.
    body = json.dumps(stream_body("from-a-page")).encode()
    raw = request(server, "POST", streams_path(), body=body,
                  headers=f"Origin: https://evil.example\r\nContent-Length: {len(body)}\r\n")
    status = assert_status(exchange(server, raw), 403, "Forbidden")
    assert "Origin" in status["message"]
    assert cluster.list("imagestreams", namespace="ns1") == []


def test_half_sent_requests_are_cut_off(cluster: FakeCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_http_server, "HEADER_TIMEOUT", 0.2)
    monkeypatch.setattr(_http_server, "BODY_TIMEOUT", 0.2)
    with cluster.serve() as server:
        sockets = [connect(server) for _ in range(21)]
        try:
            for index, sock in enumerate(sockets):
                if index % 3 == 0:  # headers never finish
                    sock.sendall(f"GET /api HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nX-Slow: ".encode())
                elif index % 3 == 1:  # the body never arrives
                    sock.sendall(request(server, "POST", streams_path(), headers="Content-Length: 100\r\n",
                                         body=b"{"))
                # index % 3 == 2: the connection opens and nothing is ever sent
            for sock in sockets:
                assert sock.recv(65536) == b""  # closed by the server, not by the 10 s client timeout
        finally:
            for sock in sockets:
                sock.close()


def test_connections_over_the_cap_are_429(cluster: FakeCluster) -> None:
    server = FakeServer(cluster.app, None, max_connections=3)
    try:
        held = [connect(server) for _ in range(3)]
        for sock in held:  # one request on each makes sure the server has accepted all three
            sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        status = assert_status(exchange(server, request(server)), 429, "TooManyRequests")
        assert status["details"] == {"retryAfterSeconds": 1}
        held.pop().close()
        _wait_for(lambda: len(server._server.connections) < 3)
        line, _ = exchange(server, request(server))
        assert line.startswith(b"HTTP/1.1 200")
        for sock in held:
            sock.close()
    finally:
        server.close()


def _wait_for(condition: Any) -> None:
    event = threading.Event()
    for _ in range(200):
        if condition():
            return
        event.wait(0.05)
    raise AssertionError("condition not reached")


def test_a_reset_idle_keep_alive_connection_prints_nothing(server: FakeServer, capfd: pytest.CaptureFixture[str]) -> None:
    sock = connect(server)
    sock.sendall(f"GET /api HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
    assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # linger 0: the peer sees a reset, not a FIN
    _wait_for(lambda: not server._server.connections)
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err and "ConnectionResetError" not in captured.err


def test_close_returns_only_when_no_watch_can_deliver(cluster: FakeCluster) -> None:
    server = cluster.serve()
    watchers = [connect(server) for _ in range(5)]
    for sock in watchers:
        sock.sendall(request(server, "GET", streams_path() + "?watch=true&sendInitialEvents=false"))
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    cluster.create("imagestreams", stream_body("before"), namespace="ns1")
    server.close()
    for index in range(20):  # writes after close() returned
        cluster.create("imagestreams", stream_body(f"after-{index}"), namespace="ns1")
    for sock in watchers:
        rest = b""
        while chunk := sock.recv(65536):
            rest += chunk
        sock.close()
        assert b"after-" not in rest
        assert rest.endswith(b"0\r\n\r\n")


def test_the_kubeconfig_is_private_from_its_creation(server: FakeServer, tmp_path: Path) -> None:
    target = tmp_path / "kubeconfig"
    target.write_text("old")
    target.chmod(0o644)
    server.write_kubeconfig(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "clusters:" in target.read_text()
    assert [path.name for path in tmp_path.iterdir()] == ["kubeconfig"]  # no temporary file left


def test_httpx_keeps_working_through_keep_alive(server: FakeServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        for index in range(20):
            assert client.post(streams_path(), json=stream_body(f"s{index}")).status_code == 201
        assert len(client.get(streams_path()).json()["items"]) == 20


def test_a_malformed_request_target_is_400(server: FakeServer) -> None:
    assert_status(exchange(server, request(server, "GET", "http://[broken/api")), 400, "BadRequest")


def test_a_bug_in_the_connection_handler_is_a_generic_500(server: FakeServer, monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    def broken(self: object, request: object) -> None:
        raise KeyError("secret-internal-detail")

    monkeypatch.setattr(_http_server._Handler, "_dispatch", broken)
    status = assert_status(exchange(server, request(server)), 500, "InternalError")
    assert "secret-internal-detail" not in json.dumps(status) and "KeyError" not in json.dumps(status)
    assert any("unhandled error" in record.getMessage() for record in caplog.records)
