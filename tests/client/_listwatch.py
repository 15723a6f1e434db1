"""Helpers for the list and watch tests: one test body drives either client.

The fixtures (``consumer``, ``recording``, ``rclient``) are imported by the test modules that use them.

``consumer`` (a fixture built on ``portal`` from conftest) iterates a pager or a watcher
the way its client needs: plainly for :class:`imageapi.Client`, on the portal's event loop for
:class:`imageapi.AsyncClient` (the BlockingAsyncClient of conftest returns the real async pager or
watcher, whose iteration must happen on that loop).
"""

from __future__ import annotations

import functools
import select
import socket
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from imageapi.pagination import AsyncPager
from imageapi.watch import AsyncWatcher

WATCHDOG_SECONDS = 30.0
"""Safety net only: a watch that should have delivered everything long ago is stopped, so a lost
event fails the count assertion instead of hanging the run."""


class Consumer:
    """Iterates pagers and watchers of either client to completion from a blocking test body."""

    def __init__(self, portal: Any) -> None:
        self._portal = portal

    def items(self, pager: Any) -> list[Any]:
        """Every item of a pager."""
        if isinstance(pager, AsyncPager):
            return self._portal.call(functools.partial(_async_items, pager))  # type: ignore[no-any-return]
        return list(pager)

    def pages(self, pager: Any, between: Callable[[Any], None] | None = None) -> list[Any]:
        """Every page of a pager; ``between(page)`` runs after each page, before the next is fetched."""
        if isinstance(pager, AsyncPager):
            return self._portal.call(functools.partial(_async_pages, pager, between))  # type: ignore[no-any-return]
        pages = []
        for page in pager.pages():
            pages.append(page)
            if between is not None:
                between(page)
        return pages

    def events(
        self,
        watcher: Any,
        count: int | None,
        on_event: Callable[[Any], None] | None = None,
        watchdog: float = WATCHDOG_SECONDS,
    ) -> list[Any]:
        """Take ``count`` events (None: until the watch ends) and close the watcher.

        ``on_event(event)`` runs after each event (on the loop thread in async mode)."""
        timer = threading.Timer(watchdog, watcher.stop)
        timer.daemon = True
        timer.start()
        try:
            if isinstance(watcher, AsyncWatcher):
                return self._portal.call(  # type: ignore[no-any-return]
                    functools.partial(_async_events, watcher, count, on_event)
                )
            taken = _Taken(count, on_event)
            with watcher:
                if not taken.enough():
                    for event in watcher:
                        if taken.add(event):
                            break
            return taken.events
        finally:
            timer.cancel()


async def _async_items(pager: AsyncPager[Any, Any]) -> list[Any]:
    return [item async for item in pager]


async def _async_pages(pager: AsyncPager[Any, Any], between: Callable[[Any], None] | None) -> list[Any]:
    pages = []
    async for page in pager.pages():
        pages.append(page)
        if between is not None:
            between(page)
    return pages


async def _async_events(
    watcher: AsyncWatcher[Any], count: int | None, on_event: Callable[[Any], None] | None
) -> list[Any]:
    taken = _Taken(count, on_event)
    async with watcher:
        if not taken.enough():
            async for event in watcher:
                if taken.add(event):
                    break
    return taken.events


class _Taken:
    """The events taken so far, and when to stop taking: shared by the sync and async loops."""

    def __init__(self, count: int | None, on_event: Callable[[Any], None] | None) -> None:
        self.events: list[Any] = []
        self._count = count
        self._on_event = on_event

    def enough(self) -> bool:
        """Whether ``count`` events were taken (never, without a count: until the watch ends)."""
        return self._count is not None and len(self.events) >= self._count

    def add(self, event: Any) -> bool:
        """Take ``event`` and run ``on_event`` on it; True when that was enough."""
        self.events.append(event)
        if self._on_event is not None:
            self._on_event(event)
        return self.enough()


@pytest.fixture
def consumer(portal: Any) -> Consumer:
    """Iterates pagers and watchers of either client (it tells them apart by their class)."""
    return Consumer(portal)


@pytest.fixture
def recording(cluster: Any) -> Recording:
    """Records the requests of :func:`rclient`."""
    return Recording(cluster)


@pytest.fixture
def rclient(make_client: Any, recording: Recording) -> Any:
    """A client of the current mode whose requests are recorded, default namespace ``demo``."""
    return make_client(transport=recording, async_transport=recording, namespace="demo")


class Recording(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Wraps a fake cluster's transports and records each request (its URL) before passing it on."""

    def __init__(self, cluster: Any) -> None:
        self.urls: list[httpx.URL] = []
        self._sync = cluster.transport()
        self._async = cluster.async_transport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(request.url)
        return self._sync.handle_request(request)  # type: ignore[no-any-return]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(request.url)
        return await self._async.handle_async_request(request)  # type: ignore[no-any-return]

    def watch_requests(self) -> list[httpx.URL]:
        """The recorded watch requests."""
        return [url for url in self.urls if url.params.get("watch") == "true"]


class StallingProxy:
    """A TCP proxy on loopback that can freeze its open connections: they stay open but carry no
    more bytes (a half-open connection, as behind a dead NAT or a hung load balancer). Connections
    opened after :meth:`stall` work normally."""

    def __init__(self, upstream_port: int) -> None:
        self._upstream_port = upstream_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._frozen: set[int] = set()
        self._live: dict[int, list[socket.socket]] = {}
        self._closing = threading.Event()
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def stall(self) -> None:
        """Freeze every connection open now."""
        with self._lock:
            self._frozen.update(self._live)

    def close(self) -> None:
        """Stop accepting and close every connection, frozen ones included."""
        self._closing.set()
        self._listener.close()
        with self._lock:
            for pair in self._live.values():
                for sock in pair:
                    sock.close()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self._upstream_port))
            with self._lock:
                self.connections += 1
                ident = self.connections
                self._live[ident] = [client, upstream]
            threading.Thread(target=self._pump, args=(ident, client, upstream), daemon=True).start()

    def _pump(self, ident: int, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        try:
            while not self._closing.is_set():
                with self._lock:
                    frozen = ident in self._frozen
                if frozen:
                    # Hold everything: neither side hears from the other again.
                    self._closing.wait(0.05)
                    continue
                readable, _, _ = select.select(list(peers), [], [], 0.05)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    with self._lock:
                        if ident in self._frozen:
                            break  # frozen while reading: the bytes are lost, like on a dead link
                    peers[sock].sendall(data)
        except OSError:
            return
        finally:
            if ident not in self._frozen:
                client.close()
                upstream.close()
