"""``HTTP_PROXY``/``HTTPS_PROXY`` from the environment, as httpx honours them: the blocking client
goes through the proxy (its own fast transport would not), and a TLS server behind the proxy is
checked with the client's ``verify``, not the default CA bundle."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from imageapi import Client
from imageapi._http11 import HTTP11Transport

DATA = Path(__file__).parent / "data"
STREAM = {"kind": "ImageStream", "apiVersion": "image.openshift.io/v1", "metadata": {"name": "app"}}


class _Answer(BaseHTTPRequestHandler):
    """Answers every GET with an image stream; remembers the request targets it saw."""

    protocol_version = "HTTP/1.1"
    targets: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        type(self).targets.append(self.path)
        body = json.dumps(STREAM).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _serve(handler: type[BaseHTTPRequestHandler], context: ssl.SSLContext | None = None) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def http_proxy() -> Iterator[tuple[int, list[str]]]:
    """A forward proxy for plain HTTP that answers itself: the targets it saw (absolute URLs)."""
    handler = type("ProxyAnswer", (_Answer,), {"targets": []})
    for port in _serve(handler):
        yield port, handler.targets


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        sink.close()


class _Tunnel(BaseHTTPRequestHandler):
    """A CONNECT proxy sending every tunnel to 127.0.0.1 at the requested port (so the TLS server's
    name, ``api.internal``, needs no DNS); remembers the authorities asked for."""

    protocol_version = "HTTP/1.1"
    asked: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_CONNECT(self) -> None:
        type(self).asked.append(self.path)
        upstream = socket.create_connection(("127.0.0.1", int(self.path.rsplit(":", 1)[1])))
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        threading.Thread(target=_pipe, args=(upstream, self.connection), daemon=True).start()
        _pipe(self.connection, upstream)
        self.close_connection = True


@pytest.fixture
def tls_server_port() -> Iterator[int]:
    """A TLS server with a certificate for ``api.internal`` from the test CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(DATA / "server.crt"), str(DATA / "server.key"))
    handler = type("TLSAnswer", (_Answer,), {"targets": []})
    yield from _serve(handler, context)


@pytest.fixture
def connect_proxy() -> Iterator[tuple[int, list[str]]]:
    handler = type("Tunnel", (_Tunnel,), {"asked": []})
    for port in _serve(handler):
        yield port, handler.asked


def test_http_proxy_from_the_environment_is_used(
    monkeypatch: pytest.MonkeyPatch, http_proxy: tuple[int, list[str]]
) -> None:
    port, targets = http_proxy
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with Client(base_url="http://api.internal:6443", namespace="demo", retries=0) as client:
        assert client.image_streams.get("app").metadata.name == "app"
    assert targets == ["http://api.internal:6443/apis/image.openshift.io/v1/namespaces/demo/imagestreams/app"]


def test_no_proxy_keeps_the_fast_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with Client(base_url="http://127.0.0.1:6443") as client:
        assert isinstance(client._http._transport, HTTP11Transport)


def test_https_through_an_environment_proxy_checks_the_server_with_the_clients_verify(
    monkeypatch: pytest.MonkeyPatch, connect_proxy: tuple[int, list[str]], tls_server_port: int
) -> None:
    proxy_port, asked = connect_proxy
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy_port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    trusted = ssl.create_default_context(cafile=str(DATA / "ca.crt"))  # the default bundle lacks the test CA
    with Client(base_url=f"https://api.internal:{tls_server_port}", verify=trusted, namespace="demo",
                retries=0) as client:
        assert client.image_streams.get("app").metadata.name == "app"
    assert asked == [f"api.internal:{tls_server_port}"]
