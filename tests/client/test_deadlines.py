"""``deadline=``: an overall limit on a call, which a server trickling bytes cannot stretch.

``timeout`` bounds each read; a server that sends one byte every 50 ms never trips it. These tests
serve such a server on loopback and check the outcome, not a duration: the call raises the deadline's
``APITimeoutError`` and hangs up long before the body could have been read (the server counts what
it managed to send), where without a deadline the same call completes.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from typing import Any

import httpx
import pytest

from imageapi import AsyncClient, Client, RetryPolicy
from imageapi._deadline import Deadline
from imageapi.errors import APITimeoutError, ServerError

from ._listwatch import Consumer, consumer  # noqa: F401  (fixture)
from ._rawhttp import RawServer

STREAM = json.dumps({"kind": "ImageStream", "apiVersion": "image.openshift.io/v1",
                     "metadata": {"name": "app", "namespace": "demo", "resourceVersion": "3"}}).encode()
DRIP_INTERVAL = 0.05


class DripServer(RawServer):
    """Answers each request by trickling, one byte per ``DRIP_INTERVAL``, either the body
    (``mode="body"``: headers at once, then the padded body after its first ``burst`` bytes) or the
    whole answer, headers included (``mode="headers"``). ``sent`` counts the bytes trickled before the
    client hung up. Each connection serves one answer (``Connection: close``)."""

    def __init__(self, mode: str, body: bytes, *, burst: int = 0) -> None:
        self.mode = mode
        self.body = body
        self.burst = burst
        self.sent = 0
        self.hung_up = threading.Event()
        super().__init__()

    def answer(self, connection: socket.socket, head: bytes) -> bool:
        start = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(self.body)}\r\n"
                 "Connection: close\r\n\r\n").encode()
        trickled = start + self.body if self.mode == "headers" else self.body[self.burst:]
        try:
            if self.mode == "body":
                connection.sendall(start + self.body[:self.burst])
            for index in range(len(trickled)):
                connection.sendall(trickled[index:index + 1])
                self.sent += 1
                time.sleep(DRIP_INTERVAL)
        except OSError:
            self.hung_up.set()
        return False


def padded(size: int) -> bytes:
    """The stream's JSON, padded with whitespace to ``size`` bytes (JSON allows trailing blanks)."""
    return STREAM + b" " * (size - len(STREAM))


def test_a_trickled_body_cannot_stretch_a_call_past_its_deadline(make_client: Any) -> None:
    server = DripServer("body", padded(400))  # 20 s of trickling
    try:
        client = make_client(base_url=server.url, namespace="demo", timeout=1.0, retries=0)
        with pytest.raises(APITimeoutError) as caught:
            client.image_streams.get("app", deadline=0.5)
        assert str(caught.value).startswith("deadline of 0.5s exceeded (GET http://127.0.0.1:")
        assert not caught.value.request_sent or caught.value.permanent  # never retried
        assert server.hung_up.wait(10)
        assert server.sent < 200  # gave up well before the body was in, not at its end
    finally:
        server.close()


def test_trickled_headers_cannot_stretch_an_async_call_past_its_deadline() -> None:
    # The async client cancels the request wherever it waits. (The sync client checks between body
    # chunks; while it reads the headers only the per-read timeout bounds it: see docs/configuration.md.)
    server = DripServer("headers", padded(100))

    async def call() -> None:
        async with AsyncClient(server.url, namespace="demo", timeout=1.0, retries=0) as client:
            await client.image_streams.get("app", deadline=0.5)

    try:
        with pytest.raises(APITimeoutError, match=r"deadline of 0\.5s exceeded"):
            asyncio.run(call())
        assert server.hung_up.wait(10)
        assert server.sent < 100
    finally:
        server.close()


def test_without_a_deadline_the_same_trickle_completes(make_client: Any) -> None:
    server = DripServer("body", padded(len(STREAM) + 10), burst=len(STREAM))
    try:
        client = make_client(base_url=server.url, namespace="demo", timeout=1.0)
        assert client.image_streams.get("app").metadata.name == "app"
    finally:
        server.close()


def test_the_client_default_deadline_applies_and_a_call_can_lift_it(make_client: Any) -> None:
    server = DripServer("body", padded(len(STREAM) + 20), burst=len(STREAM))  # 1 s of trickling
    try:
        client = make_client(base_url=server.url, namespace="demo", timeout=1.0, retries=0, deadline=0.3)
        assert client.deadline == 0.3
        with pytest.raises(APITimeoutError, match=r"deadline of 0\.3s"):
            client.image_streams.get("app")
        assert client.image_streams.get("app", deadline=None).metadata.name == "app"
        assert client.with_options(deadline=None).image_streams.get("app").metadata.name == "app"
    finally:
        server.close()


def test_no_retry_is_begun_whose_wait_would_end_past_the_deadline(make_client: Any, sleeps: list[float]) -> None:
    answers: list[httpx.Request] = []

    def unavailable(request: httpx.Request) -> httpx.Response:
        answers.append(request)
        return httpx.Response(503, json={"kind": "Status", "code": 503, "reason": "ServiceUnavailable"})

    policy = RetryPolicy(attempts=10, base=5.0, jitter=False)
    client = make_client(transport=httpx.MockTransport(unavailable), namespace="demo", retries=policy)
    with pytest.raises(ServerError):
        client.image_streams.get("app", deadline=1.0)
    assert (len(answers), sleeps) == (1, [])  # the first wait (5 s) would outlast the deadline
    with pytest.raises(ServerError):
        client.image_streams.get("app", deadline=60.0)
    assert len(answers) == 11 and len(sleeps) == 9  # with time to spare every retry runs


@pytest.mark.parametrize("bad", [0, -1.0, float("nan")])
def test_a_deadline_must_be_positive(make_client: Any, bad: float) -> None:
    client = make_client(transport=httpx.MockTransport(lambda request: httpx.Response(200, content=STREAM)))
    with pytest.raises(ValueError, match="deadline must be positive"):
        client.image_streams.get("app", namespace="demo", deadline=bad)
    with pytest.raises(ValueError):
        make_client(transport=httpx.MockTransport(lambda request: httpx.Response(200)), deadline=bad)


def test_a_deadline_is_seconds() -> None:
    with pytest.raises(TypeError, match="number of seconds"):
        Client("https://h", deadline="1")  # type: ignore[arg-type]


def test_each_timeout_phase_is_cut_to_what_remains() -> None:
    now = [100.0]
    limit = Deadline(2.0, clock=lambda: now[0])
    now[0] += 0.5
    cut = limit.timeout(httpx.Timeout(30.0, connect=1.0))
    assert (cut.connect, cut.read, cut.write, cut.pool) == (1.0, 1.5, 1.5, 1.5)
    assert limit.timeout(httpx.Timeout(None)).read == 1.5  # no timeout at all becomes the remainder
    assert limit.timeout(httpx.Timeout(30.0), read=False).read == 30.0
    now[0] += 5
    assert limit.expired() and limit.remaining() == 0.0
    assert limit.timeout(httpx.Timeout(30.0)).read > 0  # never 0 (httpx: "do not wait"), but tiny


class _SilentWatchServer(RawServer):
    """Answers a watch request after ``header_delay`` seconds, then sends one event after
    ``event_delay`` more and holds the stream open; ``attempts`` counts the watch requests."""

    def __init__(self, header_delay: float, event_delay: float = 0.0) -> None:
        self.header_delay = header_delay
        self.event_delay = event_delay
        self.attempts = 0
        super().__init__()

    def answer(self, connection: socket.socket, head: bytes) -> bool:
        self.attempts += 1
        self.hold(connection)
        time.sleep(self.header_delay)
        event = json.dumps({"type": "ADDED", "object": json.loads(STREAM)}).encode() + b"\n"
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\n")
        time.sleep(self.event_delay)
        connection.sendall(f"{len(event):x}\r\n".encode() + event + b"\r\n")
        return False


def test_a_watch_reconnect_attempt_is_bounded_by_the_deadline(make_client: Any, consumer: Consumer) -> None:  # noqa: F811
    server = _SilentWatchServer(header_delay=30.0)  # never answers in time
    try:
        client = make_client(base_url=server.url, namespace="demo", retries=RetryPolicy(attempts=2, base=0.0))
        watch = client.image_streams.watch(resource_version="3", deadline=0.3)
        with pytest.raises(APITimeoutError, match=r"deadline of 0\.3s exceeded"):
            consumer.events(watch, 1, watchdog=20)
        assert server.attempts == 2  # each attempt timed out, then the policy's attempts ran out
    finally:
        server.close()


def test_a_watch_stream_may_stay_silent_longer_than_the_deadline(make_client: Any, consumer: Consumer) -> None:  # noqa: F811
    # The deadline bounds opening the stream, not the stream: events may be minutes apart.
    server = _SilentWatchServer(header_delay=0.0, event_delay=1.0)  # silent 5x the deadline
    try:
        client = make_client(base_url=server.url, namespace="demo")
        watch = client.image_streams.watch(resource_version="3", deadline=0.2, inactivity_timeout=30)
        events = consumer.events(watch, 1, watchdog=20)
        assert [event.object.metadata.name for event in events] == ["app"]
        assert server.attempts == 1
    finally:
        server.close()
