"""The connection pool: ``max_connections`` bounds the requests in flight, ``http2`` is an option.

The async client queues requests beyond its pool itself (httpcore's queue is quadratic in a burst),
so a burst of concurrent calls never has more than ``max_connections`` requests in flight, and
every call of the burst still gets its answer.
"""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest

from imageapi import AsyncClient, Client
from imageapi._http11 import HTTP11Transport

STREAM = {"kind": "ImageStream", "apiVersion": "image.openshift.io/v1", "metadata": {"name": "app"}}


class _CountingTransport(httpx.AsyncBaseTransport):
    """Answers every request after a pause, counting how many are in flight at most."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most = 0
        self.served = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            await anyio.sleep(0.01)
            self.served += 1
            return httpx.Response(200, json={**STREAM, "metadata": {"name": request.url.path.rsplit("/", 1)[-1]}})
        finally:
            self.in_flight -= 1


@pytest.mark.anyio
async def test_a_burst_of_async_calls_keeps_within_max_connections() -> None:
    transport = _CountingTransport()
    async with AsyncClient(base_url="https://api.example.test", transport=transport, max_connections=3) as client:
        results: dict[int, str | None] = {}

        async def get(index: int) -> None:
            stream = await client.image_streams.get(f"app-{index}", namespace="demo")
            results[index] = stream.metadata.name if stream.metadata else None

        async with anyio.create_task_group() as group:
            for index in range(20):
                group.start_soon(get, index)
    assert transport.served == 20
    assert transport.most == 3  # queued beyond the pool, and the pool itself used in full
    assert results == {index: f"app-{index}" for index in range(20)}


@pytest.mark.anyio
async def test_with_options_copies_share_the_queue() -> None:
    transport = _CountingTransport()
    async with AsyncClient(base_url="https://api.example.test", transport=transport, max_connections=2) as client:
        other = client.with_options(namespace="other")
        async with anyio.create_task_group() as group:
            for index in range(6):
                group.start_soon(client.image_streams.get, f"a{index}")
                group.start_soon(other.image_streams.get, f"b{index}")
    assert transport.served == 12
    assert transport.most == 2


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
@pytest.mark.parametrize("bad", [0, -1, True, 2.5, "4"])
def test_max_connections_must_be_a_positive_int(client_class: Any, bad: Any) -> None:
    with pytest.raises(ValueError, match="max_connections must be a positive int"):
        client_class(base_url="https://api.example.test", max_connections=bad)


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
def test_http2_is_offered_only_when_asked_for(client_class: Any) -> None:
    pytest.importorskip("h2", reason="HTTP/2 needs the h2 package (the http2 extra)")
    pool = client_class(base_url="https://api.example.test", http2=True, max_connections=4)._http._transport._pool
    assert pool._http2 is True
    assert pool._max_connections == pool._max_keepalive_connections == 4  # all kept alive
    transport = client_class(base_url="https://api.example.test", max_connections=4)._http._transport
    if client_class is Client:
        assert isinstance(transport, HTTP11Transport)  # HTTP/1.1 only
        assert transport._max_idle == 4
    else:
        assert transport._pool._http2 is False
