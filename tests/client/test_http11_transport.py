"""The clients' own transports against a real socket server: the blocking client's HTTP/1.1 one
(``imageapi._http11``) and the async client's (``imageapi._async_pool``). Connections are kept alive
and reused, one the server closed is not reused, and failures are httpx's (so the client's errors and
retries are unchanged)."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest

from imageapi import APIConnectionError, APITimeoutError, AsyncClient, Client
from imageapi._async_pool import AsyncPoolTransport
from imageapi._http11 import HTTP11Transport

STREAM = {"kind": "ImageStream", "apiVersion": "image.openshift.io/v1", "metadata": {"name": "app"}}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    connections = 0
    close_after_answer = False
    delay = 0.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Released each time the server has closed a connection.
        self.closed = threading.Semaphore(0)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the slow answer's client is gone when it is written: expected, not worth a traceback

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)
        self.closed.release()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self, status: int, body: dict[str, object]) -> None:
        if self.server.delay:
            threading.Event().wait(self.server.delay)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        if self.server.close_after_answer:
            self.close_connection = True

    def do_GET(self) -> None:
        self._answer(200, STREAM)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self._answer(201, {**STREAM, "metadata": json.loads(self.rfile.read(length))["metadata"]})


@pytest.fixture
def server() -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _client(server: _Server, **options: object) -> Client:
    return Client(base_url=f"http://127.0.0.1:{server.server_address[1]}", namespace="demo", **options)  # type: ignore[arg-type]


def test_the_blocking_client_keeps_one_connection_alive(server: _Server) -> None:
    with _client(server) as client:
        assert isinstance(client._http._transport, HTTP11Transport)
        for _ in range(5):
            assert client.image_streams.get("app").metadata.name == "app"
        created = client.image_streams.create({"metadata": {"name": "new"}})
    assert created.metadata.name == "new"
    assert server.connections == 1


def test_a_connection_the_server_closed_is_not_reused(server: _Server) -> None:
    server.close_after_answer = True
    with _client(server, retries=0) as client:
        for name in ("a", "b", "c"):  # a write too: it must not go out on the closed connection
            assert client.image_streams.create({"metadata": {"name": name}}).metadata.name == name
            # Next only once the server has closed: a request sent while the close is on its way
            # races it (unavoidable, the reason reads are re-sent), which is not what this tests.
            assert server.closed.acquire(timeout=5)
    assert server.connections == 3


def test_a_refused_connection_is_an_api_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Client(base_url=f"http://127.0.0.1:{port}", retries=0) as client, pytest.raises(APIConnectionError) as caught:
        client.image_streams.get("app", namespace="demo")
    assert caught.value.request_sent is False  # so even a write may be retried


def test_a_slow_answer_is_a_read_timeout(server: _Server) -> None:
    server.delay = 0.5
    with _client(server, retries=0, timeout=0.05) as client, pytest.raises(APITimeoutError):
        client.image_streams.get("app")


class _ChunkedEcho(BaseHTTPRequestHandler):
    """Answers a POST with the body it received, decoding a chunked one as an HTTP server must."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while (size := int(self.rfile.readline().split(b";")[0], 16)) > 0:
                body += self.rfile.read(size)
                assert self.rfile.read(2) == b"\r\n"
            assert self.rfile.readline() == b"\r\n"  # the end of an empty trailer
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def echo_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ChunkedEcho)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("parts", [[b'{"a": ', b"1}"], []], ids=["two chunks", "empty"])
def test_a_body_of_unknown_length_goes_out_chunked(echo_url: str, parts: list[bytes]) -> None:
    # httpx frames an iterator body with "Transfer-Encoding: chunked": the bytes must be chunks too,
    # and the connection must stay usable for the next request.
    with httpx.Client(transport=HTTP11Transport()) as http:
        response = http.post(f"{echo_url}/echo", content=iter(parts))
        assert response.request.headers["Transfer-Encoding"] == "chunked"
        assert response.content == b"".join(parts)
        assert http.post(f"{echo_url}/echo", content=b"next").content == b"next"


def test_a_plain_http_client_builds_no_tls_context(server: _Server) -> None:
    with _client(server) as client:
        client.image_streams.get("app")
        transport = client._http._transport
        assert isinstance(transport, HTTP11Transport)
        assert transport._ssl_context is None


@pytest.mark.filterwarnings("ignore:`verify=<str>` is deprecated:DeprecationWarning")
def test_a_bad_ca_file_fails_when_an_https_client_is_built(tmp_path: Path) -> None:
    # The TLS context is made lazily for plain HTTP; an https client still fails at once, as before.
    with pytest.raises((OSError, ssl.SSLError)):
        Client(base_url="https://127.0.0.1:1", verify=str(tmp_path / "missing-ca.crt"))


# -- the async client's transport (imageapi._async_pool): the same promises ------------------------


def _async_client(server: _Server, **options: object) -> AsyncClient:
    return AsyncClient(base_url=f"http://127.0.0.1:{server.server_address[1]}", namespace="demo", **options)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_the_async_client_keeps_its_connections_alive(server: _Server) -> None:
    async with _async_client(server) as client:
        assert isinstance(client._http._transport, AsyncPoolTransport)
        for _ in range(5):
            assert (await client.image_streams.get("app")).metadata.name == "app"
        created = await client.image_streams.create({"metadata": {"name": "new"}})
        # A burst shares the pool's connections (at most max_connections of them).
        streams = await asyncio.gather(*(client.image_streams.get("app") for _ in range(30)))
    assert created.metadata.name == "new" and len(streams) == 30
    assert 1 <= server.connections <= 10


@pytest.mark.anyio
async def test_the_async_client_does_not_reuse_a_connection_the_server_closed(server: _Server) -> None:
    server.close_after_answer = True
    async with _async_client(server, retries=0) as client:
        for name in ("a", "b", "c"):
            assert (await client.image_streams.create({"metadata": {"name": name}})).metadata.name == name
            assert server.closed.acquire(timeout=5)  # (as in the blocking test above)
    assert server.connections == 3


@pytest.mark.anyio
async def test_the_async_client_reports_a_refused_connection_and_a_slow_answer(server: _Server) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with AsyncClient(base_url=f"http://127.0.0.1:{port}", retries=0) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.image_streams.get("app", namespace="demo")
    assert caught.value.request_sent is False
    server.delay = 0.5
    async with _async_client(server, retries=0, timeout=0.05) as client:
        with pytest.raises(APITimeoutError):
            await client.image_streams.get("app")


@pytest.mark.anyio
async def test_the_async_transport_streams_bodies_and_exposes_the_socket(echo_url: str) -> None:
    async with httpx.AsyncClient(transport=AsyncPoolTransport()) as http:
        async with http.stream("POST", f"{echo_url}/echo", content=b"x" * 100_000) as response:
            # The connection's socket, as httpx's own transport gives it (asyncio's socket wrapper).
            assert response.extensions["network_stream"].get_extra_info("socket").fileno() >= 0
            assert b"".join([part async for part in response.aiter_bytes()]) == b"x" * 100_000
        assert (await http.post(f"{echo_url}/echo", content=b"next")).content == b"next"


@pytest.mark.parametrize(("raised", "expected"), [
    (httpcore.ConnectTimeout, httpx.ConnectTimeout), (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout), (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.ConnectError, httpx.ConnectError), (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError), (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError), (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.ProxyError, httpx.ProxyError), (type("NewTimeout", (httpcore.TimeoutException,), {}), httpx.TimeoutException),
])
@pytest.mark.anyio
async def test_httpcore_failures_are_raised_as_httpx_ones(raised: type[Exception], expected: type[Exception]) -> None:
    class Failing:
        async def handle_async_request(self, request: object) -> object:
            raise raised("it failed")

    transport = AsyncPoolTransport()
    transport._pool = Failing()  # type: ignore[assignment]
    with pytest.raises(httpx.TransportError) as caught:
        await transport.handle_async_request(httpx.Request("GET", "http://127.0.0.1:1/"))
    assert type(caught.value) is expected and str(caught.value) == "it failed"
    assert isinstance(caught.value.__cause__, raised)


def test_the_async_client_keeps_httpx_transport_where_its_own_does_not_fit(server: _Server) -> None:
    assert isinstance(_async_client(server)._http._transport, AsyncPoolTransport)
    assert not isinstance(_async_client(server, http2=True)._http._transport, AsyncPoolTransport)
    mock = httpx.MockTransport(lambda request: httpx.Response(200))
    assert _async_client(server, transport=mock)._http._transport is mock


@pytest.mark.filterwarnings("ignore:`verify=<str>` is deprecated:DeprecationWarning")
def test_a_bad_ca_file_fails_when_an_https_async_client_is_built(tmp_path: Path) -> None:
    with pytest.raises((OSError, ssl.SSLError)):
        AsyncClient(base_url="https://127.0.0.1:1", verify=str(tmp_path / "missing-ca.crt"))
