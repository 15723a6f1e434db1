"""Retries and transport failures, with scripted answers (httpx.MockTransport) and recorded sleeps.

Reads are retried on 429/5xx and transport errors; writes only when the server cannot have applied
them (429, or a failure before the request left); 409 never. Nothing really sleeps: the clients get
an injected sleep that records the delays.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from client.conftest import Recorder
from imageapi import (
    APIConnectionError,
    APITimeoutError,
    ConflictError,
    NotFoundError,
    RetryPolicy,
    ServerError,
    TooManyRequestsError,
)

STREAM = {"kind": "ImageStream", "apiVersion": "image.openshift.io/v1", "metadata": {"name": "app"}}
UNAVAILABLE = httpx.Response(503, text="upstream connect error")
THROTTLED = httpx.Response(429, headers={"Retry-After": "2"}, text="Too many requests, please try again later.")


def test_a_read_is_retried_after_503(make_client: Any, sleeps: list[float]) -> None:
    recorder = Recorder(UNAVAILABLE, UNAVAILABLE, httpx.Response(200, json=STREAM))
    client = make_client(transport=recorder.transport(), namespace="demo")
    assert client.image_streams.get("app").metadata.name == "app"
    assert len(recorder.requests) == 3
    assert len(sleeps) == 2


def test_retries_give_up_after_the_policy_and_raise_the_last_error(make_client: Any, sleeps: list[float]) -> None:
    recorder = Recorder(UNAVAILABLE)
    client = make_client(transport=recorder.transport(), namespace="demo", retries=2)
    with pytest.raises(ServerError) as caught:
        client.image_streams.get("app")
    assert caught.value.code == 503
    assert len(recorder.requests) == 3  # the first try and two retries
    assert len(sleeps) == 2


def test_429_honours_retry_after_even_for_a_create(make_client: Any, sleeps: list[float]) -> None:
    # A 429 is sent before any handler ran, so even a POST is safe to repeat.
    recorder = Recorder(THROTTLED, httpx.Response(201, json=STREAM))
    client = make_client(transport=recorder.transport(), namespace="demo")
    client.image_streams.create({"metadata": {"name": "app"}})
    assert [request.method for request in recorder.requests] == ["POST", "POST"]
    assert sleeps == [2.0]


def test_429_as_a_json_status_uses_retry_after_seconds(make_client: Any, sleeps: list[float]) -> None:
    status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": "TooManyRequests",
              "message": "slow down", "details": {"retryAfterSeconds": 3}, "code": 429}
    recorder = Recorder(httpx.Response(429, json=status), httpx.Response(200, json=STREAM))
    client = make_client(transport=recorder.transport(), namespace="demo")
    client.image_streams.get("app")
    assert sleeps == [3.0]


def test_a_create_is_not_repeated_after_a_503(make_client: Any, sleeps: list[float]) -> None:
    # The server may have stored the object before failing: repeating the POST could create twice.
    recorder = Recorder(UNAVAILABLE, httpx.Response(201, json=STREAM))
    client = make_client(transport=recorder.transport(), namespace="demo")
    with pytest.raises(ServerError):
        client.image_streams.create({"metadata": {"name": "app"}})
    assert len(recorder.requests) == 1
    assert sleeps == []


def test_a_dropped_connection_is_retried_for_a_read(make_client: Any) -> None:
    recorder = Recorder(httpx.RemoteProtocolError("peer closed connection"), httpx.Response(200, json=STREAM))
    client = make_client(transport=recorder.transport(), namespace="demo")
    assert client.image_streams.get("app").metadata.name == "app"
    assert len(recorder.requests) == 2


def test_a_dropped_connection_is_not_retried_for_a_create(make_client: Any) -> None:
    recorder = Recorder(httpx.RemoteProtocolError("peer closed connection"), httpx.Response(201, json=STREAM))
    client = make_client(transport=recorder.transport(), namespace="demo")
    with pytest.raises(APIConnectionError) as caught:
        client.image_streams.create({"metadata": {"name": "app"}})
    assert len(recorder.requests) == 1
    assert caught.value.method == "POST"
    assert caught.value.url.endswith("/apis/image.openshift.io/v1/namespaces/demo/imagestreams")


def test_a_connect_failure_is_retried_even_for_a_create(make_client: Any) -> None:
    # Nothing left the client, so the server cannot have acted on it.
    recorder = Recorder(httpx.ConnectError("connection refused"), httpx.Response(201, json=STREAM))
    client = make_client(transport=recorder.transport(), namespace="demo")
    client.image_streams.create({"metadata": {"name": "app"}})
    assert len(recorder.requests) == 2


def test_a_read_timeout_becomes_api_timeout_error_with_the_url(make_client: Any) -> None:
    recorder = Recorder(httpx.ReadTimeout("timed out"))
    client = make_client(transport=recorder.transport(), namespace="demo", retries=0)
    with pytest.raises(APITimeoutError) as caught:
        client.image_streams.get("app")
    assert "/namespaces/demo/imagestreams/app" in caught.value.url
    assert len(recorder.requests) == 1


def test_conflicts_and_not_found_are_never_retried(make_client: Any, sleeps: list[float]) -> None:
    conflict = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": "Conflict",
                "message": "the object has been modified", "code": 409}
    recorder = Recorder(httpx.Response(409, json=conflict))
    client = make_client(transport=recorder.transport(), namespace="demo")
    with pytest.raises(ConflictError):
        client.image_streams.replace({"metadata": {"name": "app", "resourceVersion": "1"}})
    missing = Recorder(httpx.Response(404, json={**conflict, "reason": "NotFound", "code": 404}))
    client = make_client(transport=missing.transport(), namespace="demo")
    with pytest.raises(NotFoundError):
        client.image_streams.get("app")
    assert len(recorder.requests) == len(missing.requests) == 1
    assert sleeps == []


def test_retries_per_call_and_per_client(make_client: Any) -> None:
    recorder = Recorder(UNAVAILABLE)
    client = make_client(transport=recorder.transport(), namespace="demo", retries=0)
    with pytest.raises(ServerError):
        client.image_streams.get("app")
    assert len(recorder.requests) == 1
    with pytest.raises(ServerError):
        client.image_streams.get("app", retries=1)
    assert len(recorder.requests) == 3
    with pytest.raises(ServerError):
        client.with_options(retries=RetryPolicy(attempts=4, jitter=False)).image_streams.get("app")
    assert len(recorder.requests) == 7


def test_a_retry_after_longer_than_the_policy_allows_is_raised_not_waited(
    make_client: Any, sleeps: list[float]
) -> None:
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "3600"}, text="later"))
    client = make_client(transport=recorder.transport(), namespace="demo")
    with pytest.raises(TooManyRequestsError) as caught:
        client.image_streams.get("app")
    assert caught.value.retry_after == 3600
    assert sleeps == []


def test_retries_must_be_an_int_or_a_policy(make_client: Any) -> None:
    with pytest.raises(ValueError):
        make_client(transport=Recorder().transport(), retries=-1)
    with pytest.raises(TypeError):
        make_client(transport=Recorder().transport(), retries="3")


def test_a_retry_log_line_names_the_full_url_without_userinfo_secrets(
    make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # The URL is joined only when a retry is logged; the line must still carry host and path.
    recorder = Recorder(UNAVAILABLE, httpx.Response(200, json=STREAM))
    client = make_client(transport=recorder.transport(), namespace="demo",
                         base_url="https://alice:hunter2@api.example.test:6443")
    with caplog.at_level(logging.DEBUG, logger="imageapi"):
        client.image_streams.get("app")
    (line,) = [record.getMessage() for record in caplog.records if record.name == "imageapi"]
    # The userinfo left the URL for the auth before any request was built.
    assert "GET https://api.example.test:6443/apis/image.openshift.io/v1/namespaces/demo/" \
           "imagestreams/app" in line
    assert "hunter2" not in line and "alice" not in line
    assert recorder.requests[0].headers["authorization"].startswith("Basic ")
