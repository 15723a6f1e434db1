"""A transport wrapper that can hold watch requests: while the gate is closed, a watch (re)connect
waits before it reaches the server. Tests use it to make writes and a compaction happen exactly
while an informer is disconnected, so that its resume gets 410 and it must relist."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import httpx

from imageapi.testing import FakeCluster


class WatchGate:
    """Closed: watch requests wait (``blocked`` is set once one does). Open: they pass."""

    def __init__(self) -> None:
        self._open = threading.Event()
        self._open.set()
        self.blocked = threading.Event()
        self.log: list[str] = []
        self.held_versions: list[int] = []
        """The resourceVersion each held watch wanted to resume from (closes expecting a relist)."""
        self._record = True

    def close(self, *, expect_relist: bool = True) -> None:
        """Hold watch (re)connects. ``expect_relist``: the resume point of the held watch is recorded
        in ``held_versions`` (the test then expects the resume to need a relist)."""
        self._record = expect_relist
        self.blocked.clear()
        self._open.clear()

    def open(self) -> None:
        self.log.append("open")
        self._open.set()

    def wait_blocked(self, timeout: float = 30.0) -> None:
        if not self.blocked.wait(timeout):
            raise AssertionError("no watch request reached the closed gate")

    def _held(self, request: httpx.Request) -> None:
        version = request.url.params.get("resourceVersion")
        self.log.append(f"held {version}")
        if version and self._record and not self.blocked.is_set():
            self.held_versions.append(int(version))
        self.blocked.set()

    def _is_watch(self, request: httpx.Request) -> bool:
        return request.url.params.get("watch") == "true"

    def hold(self, request: httpx.Request) -> None:
        if self._is_watch(request) and not self._open.is_set():
            self._held(request)
            self._open.wait(60)

    async def hold_async(self, request: httpx.Request) -> None:
        if self._is_watch(request) and not self._open.is_set():
            self._held(request)
            while not self._open.is_set():
                await asyncio.sleep(0.01)


class GatedTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, gate: WatchGate) -> None:
        self._inner, self._gate = inner, gate

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._gate.hold(request)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


class AsyncGatedTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, gate: WatchGate) -> None:
        self._inner, self._gate = inner, gate

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self._gate.hold_async(request)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class RoutedTransport(httpx.BaseTransport):
    """In process, to whichever cluster ``route(request)`` names at each request (tests restart or
    swap clusters under a running informer); ``answered(cluster, request)`` hears of each answer."""

    def __init__(self, route: Callable[[httpx.Request], FakeCluster],
                 answered: Callable[[FakeCluster, httpx.Request], None] | None = None) -> None:
        self._route, self._answered = route, answered

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        cluster = self._route(request)
        response = cluster.transport().handle_request(request)
        if self._answered is not None:
            self._answered(cluster, request)
        return response


class AsyncRoutedTransport(httpx.AsyncBaseTransport):
    """:class:`RoutedTransport` for async clients."""

    def __init__(self, route: Callable[[httpx.Request], FakeCluster],
                 answered: Callable[[FakeCluster, httpx.Request], None] | None = None) -> None:
        self._route, self._answered = route, answered

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        cluster = self._route(request)
        response = await cluster.async_transport().handle_async_request(request)
        if self._answered is not None:
            self._answered(cluster, request)
        return response
