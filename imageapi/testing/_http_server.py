"""The loopback HTTP server of a fake cluster: ``with cluster.serve() as server: ...``.

HTTP/1.1 with keep-alive, one thread per connection, bound to 127.0.0.1 only. Watch responses use
chunked transfer encoding, one chunk per batch of events, and end when the stream ends, the client
goes away, or the server stops. Each response is written with one ``sendall`` and ``TCP_NODELAY``, so
small keep-alive requests do not stall on Nagle's algorithm.

The server reads requests itself, as strictly as Go's ``net/http`` does, and answers every framing
problem at once with a Status JSON (never an HTML page, never a wait for more bytes):

* a connection's first request must arrive within :data:`HEADER_TIMEOUT` of the connection, a later
  one's headers within :data:`HEADER_TIMEOUT` of its first byte, a body within :data:`BODY_TIMEOUT`
  (Go's ``ReadHeaderTimeout``: slow senders are cut off, the connection just closes); an idle
  keep-alive connection closes after :data:`IDLE_TIMEOUT`;
* a ``Content-Length`` that is not a plain decimal number, two that differ, or one beside
  ``Transfer-Encoding: chunked`` is 400; another transfer coding is 501;
* a request line that is not ``METHOD target HTTP/1.x`` is 400 (505 for another HTTP version), a method
  that is not an RFC 9110 token is 400; every other method goes to the routes, which answer an unknown
  one (``FOO``, ``get``, ``TRACE``) with 405 MethodNotAllowed, as the apiserver does;
* a header line without a colon is 400; request line and headers over 1 MiB are 431, as Go's server
  answers past ``MaxHeaderBytes`` (kube-apiserver's secure serving sets ``1 << 20``, Go's default). A
  long URL is not refused on its own: Go has no separate limit (Python's 64 KiB one answered 414 HTML);
  where Go writes these refusals as plain text, the fake writes a Status, so every client can read them;
* ``Host`` must name a loopback address (``127.0.0.1:<port>``, ``localhost:<port>``): any other name
  could come from a DNS-rebinding web page, and is 403, as is any request carrying an ``Origin`` header (no
  browser page has business with the fake);
* at most :data:`MAX_CONNECTIONS` connections are served at once; one more is answered 429 and closed.

:meth:`FakeServer.close` returns only once every watch stream has ended and every connection is
closed, so no event can arrive after it. A peer that resets its connection is not an error.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import re
import select
import socket
import tempfile
import threading
import time
from http import HTTPStatus
from pathlib import Path
from socketserver import BaseRequestHandler, ThreadingTCPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ._app import UNHANDLED_ERROR_MESSAGE, App
from ._status import StatusError, forbidden, internal_error, request_entity_too_large, too_many_requests
from ._watch import WatchCut
from ._wire import MAX_BODY_BYTES, Request, Response, status_response

logger = logging.getLogger("imageapi.testing")

_POLL_SECONDS = 0.25
LOOPBACK = "127.0.0.1"
HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 30.0
IDLE_TIMEOUT = 90.0
WRITE_TIMEOUT = 60.0
MAX_CONNECTIONS = 256
MAX_HEADER_BYTES = 1 << 20  # Go's http.DefaultMaxHeaderBytes
_CLOSE_GRACE_SECONDS = 5.0
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VERSION = re.compile(rb"HTTP/(\d)\.(\d)")
_PEER_GONE = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, TimeoutError)


class _FramingError(Exception):
    """A request the server refuses before routing it: answered with ``status`` and the connection closed."""

    def __init__(self, status: StatusError) -> None:
        super().__init__(status.message)
        self.status = status


def _refuse(code: int, message: str) -> _FramingError:
    reason = {400: "BadRequest", 403: "Forbidden", 413: "RequestEntityTooLarge"}.get(code)
    return _FramingError(StatusError(code, reason, message, None))


class _Timeout(Exception):
    """The peer did not send what it had to within its deadline."""


class _Reader:
    """Buffered reads from a socket, each bounded by the deadline of the current phase."""

    def __init__(self, connection: socket.socket) -> None:
        self._connection = connection
        self._buffer = bytearray()
        self.deadline = 0.0
        self.first_byte_at = 0.0  # when the current request's first byte arrived

    def _fill(self) -> bool:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise _Timeout()
        self._connection.settimeout(remaining)
        try:
            data = self._connection.recv(65536)
        except TimeoutError:
            raise _Timeout() from None
        if not data:
            return False
        self._buffer += data
        return True

    def has_buffered(self) -> bool:
        return bool(self._buffer)

    def readline(self, limit: int) -> bytes:
        """One line with its ending; raises :class:`_FramingError` 431 past ``limit`` bytes, returns a
        partial line at the end of the stream."""
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0:
                if end + 1 > limit:
                    raise _header_too_large()
                line = bytes(self._buffer[:end + 1])
                del self._buffer[:end + 1]
                return line
            if len(self._buffer) > limit:
                raise _header_too_large()
            if not self._fill():
                line = bytes(self._buffer)
                self._buffer.clear()
                return line

    def read(self, size: int) -> bytes:
        """Exactly ``size`` bytes; raises :class:`_FramingError` 400 when the stream ends before."""
        while len(self._buffer) < size:
            if not self._fill():
                raise _refuse(400, "unexpected EOF: the request body is shorter than its framing says")
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def wait_for_request(self, idle: float) -> bool:
        """Wait up to ``idle`` seconds for the first byte of the next request (False: none came)."""
        if not self._buffer:
            self.deadline = time.monotonic() + idle
            try:
                if not self._fill():
                    return False
            except _Timeout:
                return False
        self.first_byte_at = time.monotonic()
        return True


def _header_too_large() -> _FramingError:
    return _FramingError(StatusError(431, "RequestHeaderFieldsTooLarge",
                                     f"request header fields too large: the request line and headers exceed "
                                     f"{MAX_HEADER_BYTES} bytes", None))


def _client_gone(connection: socket.socket) -> bool:
    """Whether the peer has closed its end (readable, and a peek reads nothing)."""
    try:
        readable, _, _ = select.select([connection], [], [], 0)
        if not readable:
            return False
        return connection.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


def _is_loopback_host(host: str) -> bool:
    """Whether a Host header names a loopback address: ``localhost`` or a loopback IP literal, any
    port (a test's TCP proxy in front of the fake is fine). A DNS-rebinding page needs a domain name
    that resolves to 127.0.0.1, so any other name is refused."""
    name = host.strip().lower()
    if name.startswith("["):
        name = name[1:].partition("]")[0]
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class _ParsedHead:
    """The request line and headers of one request."""

    def __init__(self, method: str, target: str, minor: int, headers: list[tuple[str, str]]) -> None:
        self.method = method
        self.target = target
        self.minor = minor
        self.headers = headers

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name]


def _parse_request_line(line: bytes) -> tuple[str, str, int]:
    parts = line.rstrip(b"\r\n").split(b" ")
    if len(parts) != 3 or not parts[1]:
        raise _refuse(400, "malformed HTTP request " + json.dumps(line.rstrip(b"\r\n").decode("latin-1")[:200]))
    method, target, version = parts
    if not _TOKEN.fullmatch(method):
        raise _refuse(400, "invalid method " + json.dumps(method.decode("latin-1")[:100]))
    matched = _VERSION.fullmatch(version)
    if matched is None:
        raise _refuse(400, "malformed HTTP version " + json.dumps(version.decode("latin-1")[:100]))
    if matched.group(1) != b"1":
        raise _FramingError(StatusError(505, None, "HTTP Version Not Supported", None))
    return method.decode("ascii"), target.decode("latin-1"), int(matched.group(2))


def _parse_header_line(line: bytes, headers: list[tuple[str, str]]) -> None:
    text = line.rstrip(b"\r\n")
    if text[:1] in (b" ", b"\t"):
        if not headers:
            raise _refuse(400, "malformed MIME header initial line: " + json.dumps(text.decode("latin-1")[:200]))
        folded = text.strip(b" \t").decode("latin-1")
        headers[-1] = (headers[-1][0], f"{headers[-1][1]} {folded}")  # obsolete line folding
        return
    name, colon, value = text.partition(b":")
    if not colon:
        raise _refuse(400, "malformed MIME header line: " + json.dumps(text.decode("latin-1")[:200]))
    if not _TOKEN.fullmatch(name):
        raise _refuse(400, "malformed MIME header: invalid header field name " +
                      json.dumps(name.decode("latin-1")[:200]))
    headers.append((name.decode("ascii"), value.strip(b" \t").decode("latin-1")))


class _Server(ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # bursts of new connections (benchmarks, parallel tests) must not be refused
    block_on_close = False

    def __init__(self, address: tuple[str, int], app: App, max_connections: int) -> None:
        super().__init__(address, _Handler)
        self.app = app
        self.stopping = threading.Event()
        self.max_connections = max_connections
        self.lock = threading.Lock()
        self.connections: set[socket.socket] = set()
        self.streams = 0
        self.idle = threading.Condition(self.lock)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.lock:
            full = len(self.connections) >= self.max_connections or self.stopping.is_set()
            if not full:
                self.connections.add(request)
        if full:
            # Over the cap: answered at once (the apiserver's max-in-flight 429), without a thread.
            response = status_response(too_many_requests("Too many requests, please try again later.", 1))
            with contextlib.suppress(OSError):
                request.settimeout(1.0)
                request.sendall(_encode_response(response, close=True, head_only=False))
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.lock:
                self.connections.discard(request)
                self.idle.notify_all()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A peer that goes away is no error; anything else is logged, never printed to stderr."""
        logger.debug("fake cluster: connection from %s failed", client_address, exc_info=True)


def _encode_response(response: Response, *, close: bool, head_only: bool, body: bytes | None = None) -> bytes:
    payload = response.body if body is None else body
    headers = [*response.headers, ("Content-Length", str(len(response.body)))]
    return _head(response.status, headers, close) + (b"" if head_only else payload)


def _head(status: int, headers: list[tuple[str, str]], close: bool) -> bytes:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    lines = [f"HTTP/1.1 {status} {phrase}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _Handler(BaseRequestHandler):
    server: _Server
    request: socket.socket

    def setup(self) -> None:
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = _Reader(self.request)
        self.close_connection = False
        self.method = ""

    def handle(self) -> None:
        # The first request's headers are due HEADER_TIMEOUT after the connection opens (a silent
        # connection is a slow sender too); later ones after the keep-alive idle wait.
        since: float | None = time.monotonic()
        try:
            while not self.close_connection and not self.server.stopping.is_set():
                if not self.reader.wait_for_request(HEADER_TIMEOUT if since is not None else IDLE_TIMEOUT):
                    return
                self._handle_one(since)
                since = None
        except (_Timeout, *_PEER_GONE):
            return  # a slow or vanished peer: the connection just closes, as Go's server closes it
        except OSError:
            return
        except Exception:  # a bug here: logged, and the client gets a Status without Python text
            logger.exception("fake cluster: unhandled error on a loopback connection")
            self.close_connection = True
            with contextlib.suppress(OSError):
                self._send(_encode_response(status_response(internal_error(UNHANDLED_ERROR_MESSAGE)),
                                            close=True, head_only=False))

    # -- reading a request ----------------------------------------------------------------------

    def _read_head(self, since: float | None) -> _ParsedHead | None:
        """The request line and headers, due HEADER_TIMEOUT after ``since`` (None: the first byte)."""
        self.reader.deadline = (since if since is not None else self.reader.first_byte_at) + HEADER_TIMEOUT
        budget = MAX_HEADER_BYTES
        line = self.reader.readline(budget)
        while line in (b"\r\n", b"\n"):  # Go's server, like RFC 9112, ignores blank lines before a request
            line = self.reader.readline(budget)
        if not line:
            return None
        budget -= len(line)
        method, target, minor = _parse_request_line(line)
        headers: list[tuple[str, str]] = []
        while True:
            line = self.reader.readline(budget)
            if not line:
                raise _refuse(400, "unexpected EOF in the request headers")
            budget -= len(line)
            if line in (b"\r\n", b"\n"):
                return _ParsedHead(method, target, minor, headers)
            _parse_header_line(line, headers)

    def _check_head(self, head: _ParsedHead) -> None:
        hosts = head.values("host")
        if len(hosts) > 1:
            raise _refuse(400, "too many Host headers")
        if not hosts and head.minor >= 1:
            raise _refuse(400, "missing required Host header")
        if hosts and not _is_loopback_host(hosts[0]):
            raise _FramingError(forbidden(
                f"the fake cluster serves {LOOPBACK}:{self.server.server_address[1]} only: the Host "
                f"{json.dumps(hosts[0][:200])} is refused (a DNS-rebinding web page would send it)"))
        if head.values("origin"):
            raise _FramingError(forbidden("the fake cluster refuses requests from web pages (the request carries "
                                          "an Origin header)"))

    def _read_body(self, head: _ParsedHead) -> bytes:
        self.reader.deadline = time.monotonic() + BODY_TIMEOUT
        encodings = [part.strip().lower() for value in head.values("transfer-encoding")
                     for part in value.split(",") if part.strip()]
        lengths = {value.strip() for value in head.values("content-length")}
        if encodings:
            if lengths:
                raise _refuse(400, "http: Transfer-Encoding and Content-Length are both set")
            if encodings != ["chunked"]:
                raise _FramingError(StatusError(501, None, "unsupported transfer encoding: "
                                                + json.dumps(",".join(encodings)[:100]), None))
            self._continue(head)
            return self._read_chunked()
        if not lengths:
            return b""
        if len(lengths) > 1:
            raise _refuse(400, "http: message cannot contain multiple Content-Length headers")
        (text,) = lengths
        if not text.isdigit() or not text.isascii():
            raise _refuse(400, "bad Content-Length " + json.dumps(text[:100]))
        length = int(text)
        if length > MAX_BODY_BYTES:
            raise _FramingError(request_entity_too_large(MAX_BODY_BYTES))
        if length:
            self._continue(head)
        return self.reader.read(length) if length else b""

    def _continue(self, head: _ParsedHead) -> None:
        if any(value.lower() == "100-continue" for value in head.values("expect")):
            self.request.settimeout(WRITE_TIMEOUT)
            self.request.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.reader.readline(4096).rstrip(b"\r\n")
            size_text = line.split(b";", 1)[0].strip()
            if not size_text or not re.fullmatch(rb"[0-9a-fA-F]{1,15}", size_text):
                raise _refuse(400, "malformed chunked encoding")
            size = int(size_text, 16)
            if size == 0:
                for _ in range(64):  # trailers, then the blank line
                    trailer = self.reader.readline(8192)
                    if trailer in (b"\r\n", b"\n"):
                        return b"".join(parts)
                    if not trailer:
                        raise _refuse(400, "unexpected EOF in the chunked body")
                raise _refuse(400, "malformed chunked encoding: too many trailers")
            total += size
            if total > MAX_BODY_BYTES:
                raise _FramingError(request_entity_too_large(MAX_BODY_BYTES))
            parts.append(self.reader.read(size))
            if self.reader.read(2) != b"\r\n":  # each chunk's data ends with CRLF, as Go's reader insists
                raise _refuse(400, "malformed chunked encoding")

    def _handle_one(self, since: float | None) -> None:
        self.method = ""
        try:
            head = self._read_head(since)
            if head is None:
                self.close_connection = True
                return
            self.method = head.method
            connection = " ".join(head.values("connection")).lower()
            self.close_connection = "close" in connection or (head.minor == 0 and "keep-alive" not in connection)
            body = self._read_body(head)  # framing first, as Go's server reads it before any handler
            self._check_head(head)
            try:
                url = urlsplit(head.target)
            except ValueError:  # "http://[" and the like: url.ParseRequestURI refuses them too
                raise _refuse(400, "malformed HTTP request target " + json.dumps(head.target[:200])) from None
        except _FramingError as error:
            self.close_connection = True
            self._write(status_response(error.status))
            return
        request = Request.from_wire(head.method, unquote(url.path),
                                    parse_qsl(url.query, keep_blank_values=True), head.headers, body)
        self._dispatch(request)

    def _dispatch(self, request: Request) -> None:
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

    # -- writing --------------------------------------------------------------------------------

    def _send(self, data: bytes) -> None:
        self.request.settimeout(WRITE_TIMEOUT)
        self.request.sendall(data)

    def _write(self, response: Response) -> None:
        body = response.body
        if response.drop_after_bytes is not None:
            body = body[:response.drop_after_bytes]
        try:
            self._send(_encode_response(response, close=self.close_connection, head_only=self.method == "HEAD",
                                        body=body))
        except OSError:
            self.close_connection = True
            return
        if response.drop_after_bytes is not None:
            self._drop()

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.request.shutdown(socket.SHUT_RDWR)

    def _stream(self, response: Response) -> None:
        stream = response.stream
        assert stream is not None
        server = self.server
        with server.lock:
            server.streams += 1
        try:
            self._send(_head(response.status, [*response.headers, ("Transfer-Encoding", "chunked")],
                             self.close_connection))
            while not server.stopping.is_set():
                try:
                    chunk = stream.next_chunk(_POLL_SECONDS)
                except WatchCut:
                    self._drop()
                    return
                if chunk is None:
                    self._send(b"0\r\n\r\n")
                    return
                if server.stopping.is_set():
                    break  # close() has begun: nothing more is delivered
                if chunk:
                    # One join, not two concatenations: a chunk holds up to a thousand events
                    # (megabytes), and each concatenation copied all of it once more.
                    self._send(b"".join((b"%x\r\n" % len(chunk), chunk, b"\r\n")))
                elif _client_gone(self.request):
                    self.close_connection = True
                    return
            self.close_connection = True
            self._send(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True
        finally:
            stream.close()
            with server.lock:
                server.streams -= 1
                server.idle.notify_all()


class FakeServer:
    """A running loopback server. ``url`` is its base URL; use as a context manager or call :meth:`close`."""

    def __init__(self, app: App, token: str | None, port: int = 0, *,
                 max_connections: int = MAX_CONNECTIONS) -> None:
        self._server = _Server((LOOPBACK, port), app, max_connections)
        self._token = token
        self.port = int(self._server.server_address[1])
        self.url = f"http://{LOOPBACK}:{self.port}"
        app.settings.server_address = f"{LOOPBACK}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"fake-cluster-{self.port}", daemon=True)
        self._thread.start()

    def write_kubeconfig(self, path: str | Path, *, namespace: str = "default", context: str = "fake-cluster") -> Path:
        """Write a kubeconfig pointing at this server (with the bearer token, if the cluster has one).

        The file is YAML (written as JSON-compatible flow scalars, so no YAML library is needed). It
        holds a credential, so it is created with mode 0600 from the start: written to a private
        temporary file beside the target, then renamed over it."""
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
        _write_private(target, text.encode())
        return target

    def close(self) -> None:
        """Stop serving. Returns once every watch stream has ended (each with its final chunk, when the
        client still listens) and every connection is closed: no event is delivered after it."""
        server = self._server
        server.stopping.set()
        server.shutdown()
        server.server_close()
        deadline = time.monotonic() + _CLOSE_GRACE_SECONDS
        with server.lock:
            # Streams notice the stop within one poll; give them the time to write their last chunk.
            while server.streams and server.idle.wait(max(0.0, deadline - time.monotonic())):
                pass
            for connection in server.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            while server.connections and server.idle.wait(max(0.0, deadline - time.monotonic())):
                pass
        self._thread.join(timeout=_CLOSE_GRACE_SECONDS)

    def __enter__(self) -> FakeServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def _write_private(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically, the file readable by its owner only from its creation.

    A folder that does not exist (or cannot be written) is an ``OSError`` naming ``target``, not the
    temporary file the caller never asked for."""
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or Path("."))
    except OSError as error:
        raise type(error)(error.errno, error.strerror, str(target)) from None
    try:
        with os.fdopen(descriptor, "wb") as handle:  # mkstemp creates the file with mode 0600
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


__all__ = ["LOOPBACK", "FakeServer"]
