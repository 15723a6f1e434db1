"""httpx transports that hand requests straight to a fake cluster's :class:`~imageapi.testing._app.App`.

Both stream watch bodies: a client reading ``response.iter_lines()`` gets each event as it happens,
and closing the response ends the watch. The async transport waits for events in a worker thread
(through anyio, so it runs under asyncio and trio alike) and never blocks the event loop for longer
than one in-memory request takes.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import anyio.to_thread
import httpx

from ._app import App
from ._watch import WatchCut, WatchStream
from ._wire import Request, Response

_POLL_SECONDS = 0.25
# anyio 4.1 renamed ``cancellable`` to ``abandon_on_cancel``; httpx accepts older anyio releases too.
_ABANDON_ON_CANCEL: dict[str, Any] = (
    {"abandon_on_cancel": True} if "abandon_on_cancel" in inspect.signature(anyio.to_thread.run_sync).parameters
    else {"cancellable": True})


def _to_app_request(request: httpx.Request, body: bytes) -> Request:
    return Request.from_wire(request.method, request.url.path, request.url.params.multi_items(),
                             request.headers.items(), body)


def _dropped(request: httpx.Request) -> httpx.RemoteProtocolError:
    return httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)


def _truncated(request: httpx.Request) -> httpx.RemoteProtocolError:
    return httpx.RemoteProtocolError("peer closed connection without sending complete message body", request=request)


class _WatchBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A watch response body for either transport: each event as the stream yields it, and a
    :class:`WatchCut` surfaces as the error a client sees when a server drops the connection."""

    def __init__(self, stream: WatchStream, request: httpx.Request) -> None:
        self._stream = stream
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        try:
            while True:
                chunk = self._stream.next_chunk(_POLL_SECONDS)
                if chunk is None:
                    return
                if chunk:
                    yield chunk
        except WatchCut:
            raise _truncated(self._request) from None
        finally:
            self._stream.close()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            while True:
                # Whatever is already queued is taken without a thread hop; only the wait is offloaded.
                chunk = self._stream.next_chunk(0)
                if chunk == b"":
                    chunk = await anyio.to_thread.run_sync(self._stream.next_chunk, _POLL_SECONDS,
                                                           **_ABANDON_ON_CANCEL)
                if chunk is None:
                    return
                if chunk:
                    yield chunk
        except WatchCut:
            raise _truncated(self._request) from None
        finally:
            self._stream.close()

    def close(self) -> None:
        self._stream.close()

    async def aclose(self) -> None:
        self._stream.close()


class _TruncatedBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """The first bytes of a body, then the error of a connection closed mid-body (fault injection)."""

    def __init__(self, body: bytes, request: httpx.Request) -> None:
        self._body = body
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        if self._body:
            yield self._body
        raise _truncated(self._request)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._body:
            yield self._body
        raise _truncated(self._request)


def _build_response(response: Response, request: httpx.Request) -> httpx.Response:
    if response.drop_before_processing:
        raise _dropped(request)
    headers = list(response.headers)
    if response.stream is not None:
        headers.append(("Transfer-Encoding", "chunked"))
        return httpx.Response(response.status, headers=headers, stream=_WatchBody(response.stream, request),
                              request=request)
    if response.drop_after_bytes is not None:
        headers.append(("Content-Length", str(len(response.body))))
        partial = response.body[:response.drop_after_bytes]
        return httpx.Response(response.status, headers=headers, stream=_TruncatedBody(partial, request),
                              request=request)
    return httpx.Response(response.status, headers=headers, content=response.body, request=request)


class FakeTransport(httpx.BaseTransport):
    """A sync httpx transport backed by a fake cluster (``cluster.transport()``)."""

    def __init__(self, app: App) -> None:
        self._app = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Serve one request in the calling thread."""
        response = self._app.handle(_to_app_request(request, request.read()))
        if response.delay:
            time.sleep(response.delay)
        return _build_response(response, request)


class AsyncFakeTransport(httpx.AsyncBaseTransport):
    """An async httpx transport backed by a fake cluster (``cluster.async_transport()``)."""

    def __init__(self, app: App) -> None:
        self._app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Serve one request; the in-memory work is short enough to run on the event loop."""
        response = self._app.handle(_to_app_request(request, await request.aread()))
        if response.delay:
            await anyio.sleep(response.delay)
        return _build_response(response, request)
