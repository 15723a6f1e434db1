"""The loopback HTTP server of a fake cluster: ``with cluster.serve() as server: ...``.

HTTP/1.1 with keep-alive, one thread per connection, bound to 127.0.0.1 only. Watch responses use
chunked transfer encoding, one chunk per batch of events, and end when the stream ends, the client
goes away, or the server stops. Each response is written with one ``sendall`` and ``TCP_NODELAY``, so
small keep-alive requests do not stall on Nagle's algorithm.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import threading
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qsl, unquote, urlsplit

from ._app import MAX_BODY_BYTES, App, Request, Response, status_response
from ._status import StatusError, bad_request, request_entity_too_large
from ._watch import WatchCut

_POLL_SECONDS = 0.25
LOOPBACK = "127.0.0.1"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # bursts of new connections (benchmarks, parallel tests) must not be refused
    app: App
    stopping: threading.Event


def _client_gone(connection: socket.socket) -> bool:
    """Whether the peer has closed its end (readable, and a peek reads nothing)."""
    try:
        readable, _, _ = select.select([connection], [], [], 0)
        if not readable:
            return False
        return connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests and the CLI do not want an access log on stderr."""

    def _handle(self) -> None:
        url = urlsplit(self.path)
        request = Request.from_wire(self.command, unquote(url.path), parse_qsl(url.query, keep_blank_values=True),
                                    self.headers.items(), b"")
        try:
            request.body = self._read_body(request.headers)
        except ValueError:  # a Content-Length or chunk size that is not a number
            self.close_connection = True
            self._write(status_response(bad_request("malformed request body framing")))
            return
        except StatusError as error:
            self.close_connection = True
            self._write(status_response(error))
            return
        response = self.server.app.handle(request)
        if response.delay:
            self.server.stopping.wait(response.delay)
        if response.drop_before_processing:
            self._drop()
            return
        if response.stream is not None:
            self._stream(response)
            return
        self._write(response)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def _read_body(self, headers: Mapping[str, str]) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            parts: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                total += size
                if total > MAX_BODY_BYTES:
                    raise request_entity_too_large(MAX_BODY_BYTES)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(headers.get("content-length") or 0)
        if length > MAX_BODY_BYTES:
            raise request_entity_too_large(MAX_BODY_BYTES)
        return self.rfile.read(length) if length else b""

    def _head(self, status: int, headers: list[tuple[str, str]]) -> bytes:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        lines = [f"HTTP/1.1 {status} {phrase}"]
        lines += [f"{name}: {value}" for name, value in headers]
        if self.close_connection:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _write(self, response: Response) -> None:
        headers = [*response.headers, ("Content-Length", str(len(response.body)))]
        body = response.body
        if response.drop_after_bytes is not None:
            body = body[:response.drop_after_bytes]
        payload = self._head(response.status, headers) + (b"" if self.command == "HEAD" else body)
        try:
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True
            return
        if response.drop_after_bytes is not None:
            self._drop()

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _stream(self, response: Response) -> None:
        stream = response.stream
        assert stream is not None
        try:
            self.wfile.write(self._head(response.status, [*response.headers, ("Transfer-Encoding", "chunked")]))
            while not self.server.stopping.is_set():
                try:
                    chunk = stream.next_chunk(_POLL_SECONDS)
                except WatchCut:
                    self._drop()
                    return
                if chunk is None:
                    self.wfile.write(b"0\r\n\r\n")
                    return
                if chunk:
                    # One join, not two concatenations: a chunk holds up to a thousand events
                    # (megabytes), and each concatenation copied all of it once more.
                    self.wfile.write(b"".join((b"%x\r\n" % len(chunk), chunk, b"\r\n")))
                elif _client_gone(self.connection):
                    self.close_connection = True
                    return
            self.close_connection = True
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True
        finally:
            stream.close()


class FakeServer:
    """A running loopback server. ``url`` is its base URL; use as a context manager or call :meth:`close`."""

    def __init__(self, app: App, token: str | None, port: int = 0) -> None:
        self._server = _Server((LOOPBACK, port), _Handler)
        self._server.app = app
        self._server.stopping = threading.Event()
        self._token = token
        self.port = int(self._server.server_address[1])
        self.url = f"http://{LOOPBACK}:{self.port}"
        app.settings.server_address = f"{LOOPBACK}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"fake-cluster-{self.port}", daemon=True)
        self._thread.start()

    def write_kubeconfig(self, path: str | Path, *, namespace: str = "default", context: str = "fake-cluster") -> Path:
        """Write a kubeconfig pointing at this server (with the bearer token, if the cluster has one).

        The file is YAML (written as JSON-compatible flow scalars, so no YAML library is needed)."""
        target = Path(path)
        user = json.dumps({"token": self._token} if self._token else {})
        quoted_context = json.dumps(context)
        text = "\n".join([
            "apiVersion: v1",
            "kind: Config",
            "clusters:",
            f"- name: {quoted_context}",
            f"  cluster: {{server: {json.dumps(self.url)}}}",
            "users:",
            f"- name: {quoted_context}",
            f"  user: {user}",
            "contexts:",
            f"- name: {quoted_context}",
            f"  context: {{cluster: {quoted_context}, user: {quoted_context}, namespace: {json.dumps(namespace)}}}",
            f"current-context: {quoted_context}",
            "preferences: {}",
            "",
        ])
        target.write_text(text)
        return target

    def close(self) -> None:
        """Stop serving: open watch streams end, the listening socket closes."""
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
