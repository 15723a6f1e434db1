"""A blocking HTTP/1.1 transport for ``httpx.Client`` over the standard library's ``http.client``.

Why: against the fake cluster on loopback, a GET through httpx's default transport (httpcore and
h11, pure Python) cost 369 us of client CPU, the same GET through ``http.client`` 91 us; the
official Kubernetes client (urllib3 over ``http.client``) sent twice as many requests per second as
imageapi did. Everything above the transport stays httpx's: the client, auth flows, redirects,
cookies, content decoding, ``httpx.Response``. Only the wire work changes hands.

The transport keeps up to ``max_connections`` idle keep-alive connections per origin (LIFO, checked
for a close by the server before reuse), speaks plain HTTP and TLS (``verify`` as httpx takes it),
and raises httpx's own exceptions (``ConnectError``, ``ReadTimeout``, ``RemoteProtocolError``…), so
errors and retries behave as with httpx's transport. Streaming bodies (watches) are read as they
arrive; ``network_stream`` in the response extensions exposes the socket, for ``Watcher.stop``.

The client uses it only where it can do everything httpx's transport would: no proxy, no HTTP/2,
no ``sni_hostname`` (those go to ``httpx.HTTPTransport``, see ``imageapi._client``).
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
from collections.abc import Iterator
from typing import Any

import httpx

__all__ = ["HTTP11Transport"]

_READ_SIZE = 64 * 1024
_Origin = tuple[str, str, int]


class _NetworkStream:
    """What ``response.extensions["network_stream"]`` offers httpx users: ``get_extra_info``."""

    def __init__(self, connection: http.client.HTTPConnection) -> None:
        self._connection = connection

    def get_extra_info(self, info: str) -> Any:
        if info == "socket":
            return self._connection.sock
        return None


def closed_by_peer(sock: socket.socket | None) -> bool:
    """Whether an idle connection's socket is readable: an idle HTTP/1.1 peer only sends EOF."""
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class _Body(httpx.SyncByteStream):
    """A response body read from ``http.client`` as it arrives; the connection goes back to the pool
    once the body was read to its end, and is closed otherwise."""

    def __init__(self, transport: HTTP11Transport, origin: _Origin, request: httpx.Request,
                 connection: http.client.HTTPConnection, response: http.client.HTTPResponse) -> None:
        self._transport = transport
        self._request = request
        self._origin = origin
        self._connection = connection
        self._response: http.client.HTTPResponse | None = response
        self._done = False

    def __iter__(self) -> Iterator[bytes]:
        response = self._response
        if response is None:
            raise httpx.StreamClosed()
        # The read timeout as the request says when the body is first read, as httpcore does: a
        # watch opened under a deadline reads its stream under the inactivity timeout.
        sock = self._connection.sock
        if sock is not None:
            sock.settimeout(self._request.extensions.get("timeout", {}).get("read"))
        try:
            while True:
                chunk = response.read1(_READ_SIZE)
                if not chunk:
                    break
                yield chunk
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out reading the response") from exc
        except http.client.IncompleteRead as exc:
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body") from exc
        except (http.client.HTTPException, ValueError) as exc:
            raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__) from exc
        except OSError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__) from exc
        self._done = True

    def close(self) -> None:
        response, self._response = self._response, None
        if response is None:
            return
        if self._done and not response.will_close:
            response.close()  # fully read: closing the response leaves the connection open
            self._transport._release(self._origin, self._connection)
        else:
            response.close()
            self._connection.close()


class HTTP11Transport(httpx.BaseTransport):
    """httpx's transport interface over ``http.client`` connections (HTTP/1.1, plain or TLS)."""

    def __init__(self, *, verify: ssl.SSLContext | str | bool = True, max_connections: int = 10) -> None:
        self._verify = verify
        self._ssl_context: ssl.SSLContext | None = None
        self._max_idle = max_connections
        self._idle: dict[_Origin, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()

    # -- the pool -------------------------------------------------------------------------------

    def _idle_connection(self, origin: _Origin) -> http.client.HTTPConnection | None:
        with self._lock:
            idle = self._idle.get(origin)
            while idle:
                connection = idle.pop()
                if not closed_by_peer(connection.sock):
                    return connection
                connection.close()
        return None

    def _release(self, origin: _Origin, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if len(idle) < self._max_idle:
                idle.append(connection)
                return
        connection.close()

    def _new_connection(self, origin: _Origin, connect_timeout: float | None) -> http.client.HTTPConnection:
        scheme, host, port = origin
        if scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=connect_timeout, context=self.tls_context())
        return http.client.HTTPConnection(host, port, timeout=connect_timeout)

    def tls_context(self) -> ssl.SSLContext:
        """The TLS context of ``https`` connections, made on first use: loading the CA bundle took
        several milliseconds of building a client, wasted on a plain-HTTP server (the client calls
        this at once for an ``https`` one, so a bad ``verify`` fails there)."""
        context = self._ssl_context
        if context is None:
            context = self._ssl_context = httpx.create_ssl_context(verify=self._verify)
        return context

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    # -- one request ----------------------------------------------------------------------------

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"Request URL has an unsupported protocol '{url.scheme}://'.")
        origin: _Origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        timeouts = request.extensions.get("timeout", {})
        body = request.read()
        connection = self._idle_connection(origin)
        response: http.client.HTTPResponse | None = None
        if connection is not None:
            try:
                response = self._exchange(connection, request, body, timeouts)
            except _Dropped as dropped:
                connection.close()
                if not (dropped.before_sent or request.method in _IDEMPOTENT):
                    raise dropped.as_httpx() from dropped.__cause__
                # The server closed the kept-alive connection as the request went out: nothing came
                # back, and the request is one that may be sent twice, so it goes again on a new
                # connection (as Go's and urllib3's pools do). A POST that may have arrived is not.
                connection = None
            except BaseException:
                connection.close()
                raise
        if connection is None or response is None:
            connection = self._new_connection(origin, timeouts.get("connect"))
            self._connect(connection)
            try:
                response = self._exchange(connection, request, body, timeouts)
            except _Dropped as dropped:
                connection.close()
                raise dropped.as_httpx() from dropped.__cause__
            except BaseException:
                connection.close()
                raise
        return httpx.Response(
            status_code=response.status,
            headers=response.getheaders(),
            stream=_Body(self, origin, request, connection, response),
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (response.reason or "").encode("ascii", "replace"),
                "network_stream": _NetworkStream(connection),
            },
        )

    @staticmethod
    def _connect(connection: http.client.HTTPConnection) -> None:
        try:
            connection.connect()
            # Each request goes out in one write, and waiting to coalesce it only adds latency.
            if connection.sock is not None:
                connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except TimeoutError as exc:
            connection.close()
            raise httpx.ConnectTimeout(str(exc) or "timed out connecting") from exc
        except (OSError, ssl.SSLError) as exc:
            connection.close()
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc

    @staticmethod
    def _exchange(connection: http.client.HTTPConnection, request: httpx.Request, body: bytes,
                  timeouts: dict[str, float | None]) -> http.client.HTTPResponse:
        """Send ``request`` and read the response head; failures raised as httpx's exceptions, or
        as :class:`_Dropped` when the peer closed the connection before answering."""
        try:
            if connection.sock is not None:
                connection.sock.settimeout(timeouts.get("write"))
            connection.putrequest(request.method, request.url.raw_path.decode("ascii"),
                                  skip_host=True, skip_accept_encoding=True)
            chunked = False
            for name, value in request.headers.raw:
                connection.putheader(name, value)
                if name.lower() == b"transfer-encoding" and value.lower() == b"chunked":
                    chunked = True
            # httpx frames a body of unknown length (an iterator) as chunked: its header is already
            # among the request's, so the bytes must go out in chunks too, or the server reads the
            # raw body as chunk sizes. A chunked empty body is still its last chunk.
            connection.endheaders(body if chunked else (body or None), encode_chunked=chunked)
        except TimeoutError as exc:
            raise httpx.WriteTimeout(str(exc) or "timed out sending the request") from exc
        except _DROPPED as exc:
            raise _Dropped(before_sent=True) from exc
        except OSError as exc:
            raise httpx.WriteError(str(exc) or type(exc).__name__) from exc
        try:
            if connection.sock is not None:
                connection.sock.settimeout(timeouts.get("read"))
            return connection.getresponse()
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out waiting for the response") from exc
        except _DROPPED as exc:
            raise _Dropped(before_sent=False) from exc
        except http.client.HTTPException as exc:
            raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__) from exc
        except OSError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__) from exc


_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

# The peer closed the connection: before reading the request, or before sending any answer.
_DROPPED = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class _Dropped(Exception):
    """The connection was closed by the peer before an answer (``before_sent``: while sending)."""

    def __init__(self, *, before_sent: bool) -> None:
        super().__init__("Server disconnected without sending a response.")
        self.before_sent = before_sent

    def as_httpx(self) -> httpx.TransportError:
        if self.before_sent:
            return httpx.WriteError(str(self))
        return httpx.RemoteProtocolError(str(self))
