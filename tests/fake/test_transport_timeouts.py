"""The in-process transports honour the client's read timeout as a socket would: a response held back
by injected latency, or a watch that stays silent, raises a timeout once the timeout has passed.

The bounds below only tell "gave up at the timeout" from "waited for the 3 s latency": they are far
apart on purpose, so a loaded machine cannot make them flaky.
"""

from __future__ import annotations

import time

import httpx
import pytest

from imageapi import APITimeoutError
from imageapi.testing import FakeCluster

LATENCY = 3.0
TIMEOUT = 0.5
WELL_UNDER_LATENCY = 2.5
STREAMS = "/apis/image.openshift.io/v1/namespaces/team/imagestreams"


@pytest.fixture
def slow_cluster(cluster: FakeCluster) -> FakeCluster:
    cluster.create("imagestreams", {"metadata": {"name": "app"}}, namespace="team")
    cluster.faults.add_latency(LATENCY)
    return cluster


def test_a_call_timeout_holds_over_the_sync_transport(slow_cluster: FakeCluster) -> None:
    with slow_cluster.client(retries=0) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            client.image_streams.get("app", namespace="team", timeout=TIMEOUT)
        assert time.monotonic() - started < WELL_UNDER_LATENCY


def test_the_client_default_timeout_holds_over_the_sync_transport(slow_cluster: FakeCluster) -> None:
    with slow_cluster.client(retries=0, timeout=TIMEOUT) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            client.image_streams.get("app", namespace="team")
        assert time.monotonic() - started < WELL_UNDER_LATENCY


@pytest.mark.anyio
async def test_a_call_timeout_holds_over_the_async_transport(slow_cluster: FakeCluster) -> None:
    async with slow_cluster.async_client(retries=0) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            await client.image_streams.get("app", namespace="team", timeout=TIMEOUT)
        assert time.monotonic() - started < WELL_UNDER_LATENCY


@pytest.mark.anyio
async def test_the_client_default_timeout_holds_over_the_async_transport(slow_cluster: FakeCluster) -> None:
    async with slow_cluster.async_client(retries=0, timeout=TIMEOUT) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            await client.image_streams.get("app", namespace="team")
        assert time.monotonic() - started < WELL_UNDER_LATENCY


def test_latency_within_the_timeout_is_only_a_delay(cluster: FakeCluster) -> None:
    cluster.faults.add_latency(0.05)
    with cluster.client(retries=0, timeout=5) as client:
        assert [stream.metadata.name for stream in client.image_streams.list(namespace="team")] == []


def test_plain_httpx_gets_its_read_timeout(slow_cluster: FakeCluster) -> None:
    with httpx.Client(transport=slow_cluster.transport(), base_url="http://fake", timeout=TIMEOUT) as http:
        with pytest.raises(httpx.ReadTimeout):
            http.get(f"{STREAMS}/app")
        # The request was handled all the same (a late answer is not an unapplied write).
        slow_cluster.faults.clear()
        assert http.get(f"{STREAMS}/app").status_code == 200


def test_a_silent_watch_times_out_like_a_socket_read(cluster: FakeCluster) -> None:
    params = {"watch": "true", "resourceVersion": str(cluster.resource_version)}
    with httpx.Client(transport=cluster.transport(), base_url="http://fake", timeout=TIMEOUT) as http, \
            http.stream("GET", STREAMS, params=params) as response:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            list(response.iter_lines())
        assert time.monotonic() - started < WELL_UNDER_LATENCY


@pytest.mark.anyio
async def test_a_silent_async_watch_times_out_like_a_socket_read(cluster: FakeCluster) -> None:
    params = {"watch": "true", "resourceVersion": str(cluster.resource_version)}
    async with httpx.AsyncClient(transport=cluster.async_transport(), base_url="http://fake",
                                 timeout=TIMEOUT) as http, http.stream("GET", STREAMS, params=params) as response:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            async for _line in response.aiter_lines():
                pass
        assert time.monotonic() - started < WELL_UNDER_LATENCY


def test_a_watch_with_events_keeps_going_past_the_read_timeout(cluster: FakeCluster) -> None:
    """Only silence counts: each event restarts the read timeout."""
    params = {"watch": "true", "resourceVersion": str(cluster.resource_version), "timeoutSeconds": "2"}
    names: list[str] = []
    with httpx.Client(transport=cluster.transport(), base_url="http://fake", timeout=TIMEOUT) as http, \
            http.stream("GET", STREAMS, params=params) as response:
        lines = response.iter_lines()
        for index in range(4):
            cluster.create("imagestreams", {"metadata": {"name": f"s{index}"}}, namespace="team")
            names.append(next(line for line in lines if line))
            time.sleep(TIMEOUT / 3)  # four pauses: longer in total than the timeout, each shorter
    assert len(names) == 4
