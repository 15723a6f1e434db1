"""Fixtures for the client tests: one test body exercises both Client and AsyncClient.

``make_client(mode, ...)`` returns a client with a blocking surface. In ``"sync"`` mode that is a
plain :class:`imageapi.Client`; in ``"async"`` mode it is an :class:`imageapi.AsyncClient` whose
verbs are awaited on an event loop running in a portal thread, so the same assertions run against
the real async code path (the async driver, the async transport, the async retry sleep).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import anyio.from_thread
import httpx
import pytest

from imageapi import AsyncClient, Client
from imageapi.resources._base import Resource

BASE_URL = "https://api.example.test:6443"


class BlockingResource:
    """Calls an async resource accessor's verbs and waits for them on the portal's loop."""

    def __init__(self, resource: Resource, portal: Any) -> None:
        self._resource = resource
        self._portal = portal

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._resource, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._portal.call(functools.partial(value, *args, **kwargs))

        return call


class BlockingAsyncClient:
    """An AsyncClient with the blocking surface of Client (for parametrized tests)."""

    def __init__(self, client: AsyncClient, portal: Any) -> None:
        self.wrapped = client
        self._portal = portal

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.wrapped, name)
        if isinstance(value, Resource):
            return BlockingResource(value, self._portal)
        return value

    def with_options(self, **kwargs: Any) -> BlockingAsyncClient:
        return BlockingAsyncClient(self.wrapped.with_options(**kwargs), self._portal)

    def close(self) -> None:
        self._portal.call(self.wrapped.aclose)

    def __enter__(self) -> BlockingAsyncClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    """Which client a test runs against."""
    return str(request.param)


@pytest.fixture
def portal() -> Iterator[Any]:
    """An event loop in a thread, for driving AsyncClient from a blocking test body."""
    with anyio.from_thread.start_blocking_portal("asyncio") as running:
        yield running


@pytest.fixture
def sleeps() -> list[float]:
    """The delays the client slept between retries (nothing really sleeps)."""
    return []


ClientMaker = Callable[..., Any]


@pytest.fixture
def make_client(mode: str, portal: Any, sleeps: list[float]) -> Iterator[ClientMaker]:
    """``make_client(transport=…, async_transport=…, **kwargs)``: a client of the current mode.

    ``transport`` serves the sync client, ``async_transport`` the async one (an ``httpx.MockTransport``
    serves both). Retry sleeps are recorded in ``sleeps`` instead of slept.
    """
    opened: list[Any] = []

    def record(delay: float) -> None:
        sleeps.append(delay)

    async def record_async(delay: float) -> None:
        sleeps.append(delay)

    def make(*, transport: Any = None, async_transport: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("base_url", BASE_URL)
        client: Any
        if mode == "sync":
            client = Client(transport=transport, sleep=record, **kwargs)
        else:
            client = BlockingAsyncClient(
                AsyncClient(transport=async_transport or transport, sleep=record_async, **kwargs), portal
            )
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()


class Recorder:
    """An ``httpx.MockTransport`` handler that records requests and answers from a script."""

    def __init__(self, *answers: httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]) -> None:
        self.requests: list[httpx.Request] = []
        self._answers = list(answers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self._answers.pop(0) if len(self._answers) > 1 else self._answers[0] if self._answers else None
        if answer is None:
            return httpx.Response(200, json={"kind": "Status", "apiVersion": "v1", "status": "Success"})
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        # A fresh response each time: a scripted answer may be served more than once.
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


@pytest.fixture
def cluster() -> Iterator[Any]:
    """A fresh fake cluster (namespaces are created on first use)."""
    from imageapi.testing import FakeCluster

    fake = FakeCluster()
    yield fake
    fake.close()


@pytest.fixture
def client(make_client: ClientMaker, cluster: Any) -> Any:
    """A client of the current mode talking to ``cluster`` in process, default namespace ``demo``."""
    return make_client(transport=cluster.transport(), async_transport=cluster.async_transport(), namespace="demo")


def send_raw(client: Any, request: Any) -> Any:
    """Send a hand-built :class:`~imageapi._request.ApiRequest` through either client (for requests
    the typed surface refuses to make, such as a verb a resource does not have)."""
    from imageapi._base_client import single

    if isinstance(client, BlockingAsyncClient):
        return client._portal.call(functools.partial(client.wrapped._run, single(request)))
    return client._run(single(request))
