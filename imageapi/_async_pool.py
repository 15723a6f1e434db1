"""The async client's transport: httpx's transport interface over an httpcore connection pool whose
network streams answer the pool's questions about them cheaply.

Why: whenever a request starts or ends, httpcore's pool asks each idle HTTP/1.1 connection whether
the server closed it, and the connection asks its network stream for its socket
(``get_extra_info("is_readable")``). Over httpcore's anyio streams that lookup builds a dict of every
attribute of the stream each time: in a burst of 500 concurrent gets over 10 connections it was a
quarter of the client's CPU (``scripts/bench.py peers``, async row; 622 ms of wall time warm, 482 ms
with the lookup made once per connection). The streams here are httpcore's own anyio ones, wrapped
so that the socket is looked up once. The rest stays httpcore's (HTTP/1.1, pool, keep-alive, TLS) and
httpx's (client, auth, cookies, ``httpx.Response``); failures are raised as httpx's exceptions.

The client uses it only where it does everything httpx's own transport would: no proxy, no HTTP/2,
no transport of the caller's (see ``imageapi._client``).
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

from ._http11 import closed_by_peer

__all__ = ["AsyncPoolTransport"]

# httpcore's exceptions as httpx raises them from its own transport: by exact class first, then by
# the nearest base class (an httpcore subclass this table does not know still maps to its family).
_HTTPX_ERROR_OF: dict[type[Exception], type[httpx.TransportError]] = {
    httpcore.ConnectTimeout: httpx.ConnectTimeout,
    httpcore.ReadTimeout: httpx.ReadTimeout,
    httpcore.WriteTimeout: httpx.WriteTimeout,
    httpcore.PoolTimeout: httpx.PoolTimeout,
    httpcore.ConnectError: httpx.ConnectError,
    httpcore.ReadError: httpx.ReadError,
    httpcore.WriteError: httpx.WriteError,
    httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
    httpcore.LocalProtocolError: httpx.LocalProtocolError,
    httpcore.ProxyError: httpx.ProxyError,
    httpcore.UnsupportedProtocol: httpx.UnsupportedProtocol,
    httpcore.TimeoutException: httpx.TimeoutException,
    httpcore.NetworkError: httpx.NetworkError,
    httpcore.ProtocolError: httpx.ProtocolError,
}


@contextmanager
def _as_httpx_errors() -> Iterator[None]:
    """Raise httpcore's exceptions in the block as the httpx exceptions of the same meaning."""
    try:
        yield
    except Exception as exc:
        for cls in type(exc).__mro__:
            mapped = _HTTPX_ERROR_OF.get(cls)
            if mapped is not None:
                raise mapped(str(exc) or type(exc).__name__) from exc
        raise


class _Stream(httpcore.AsyncNetworkStream):
    """One connection's network stream (httpcore's anyio stream), its socket looked up once."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: Any = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # An idle HTTP/1.1 peer only ever sends EOF: readable means closed by the server.
            return closed_by_peer(self._socket)
        if info == "socket":
            return self._socket
        return self._inner.get_extra_info(info)


class _Backend(httpcore.AsyncNetworkBackend):
    """httpcore's anyio backend (asyncio or trio, whichever runs), its streams wrapped in ``_Stream``."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _Body(httpx.AsyncByteStream):
    """A response body as httpcore streams it, its failures raised as httpx's."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors():
            async for part in self._inner:
                yield part

    async def aclose(self) -> None:
        with _as_httpx_errors():
            await self._inner.aclose()


class AsyncPoolTransport(httpx.AsyncBaseTransport):
    """httpx's async transport interface over ``httpcore.AsyncConnectionPool`` with cheap streams.

    ``ssl_context`` is used for ``https`` origins (None: httpcore's default context, made when the
    first TLS connection is); ``max_connections`` bounds the pool, every connection kept alive.
    """

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None, max_connections: int = 10) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            network_backend=_Backend(),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx_errors():
            response = await self._pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()
