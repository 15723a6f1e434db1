"""The retry policy: what is retried, how long it waits, and retry_on_conflict."""

from __future__ import annotations

import dataclasses
import json
import logging
import random
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from imageapi._retry import (
    CLIENT_GO_DEFAULT_BACKOFF,
    CLIENT_GO_DEFAULT_RETRY,
    DEFAULT_CONFLICT_BACKOFF,
    ConflictBackoff,
    RetryPolicy,
    async_retry_on_conflict,
    async_retrying,
    is_retryable,
    retry_on_conflict,
    retrying,
)
from imageapi.errors import (
    ApiError,
    ConflictError,
    NotFoundError,
    ServerError,
    TooManyRequestsError,
    error_from_response,
    error_from_transport,
)

BASE = "https://api.example.com:6443/apis/image.openshift.io/v1/namespaces/ns/imagestreams"
NO_JITTER = RetryPolicy(attempts=3, base=0.5, cap=8.0, jitter=False)

Step = Callable[[httpx.Request], httpx.Response]


def answer(code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Step:
    def step(request: httpx.Request) -> httpx.Response:
        return httpx.Response(code, content=body, headers=headers)
    return step


def fail(exc_type: type[httpx.TransportError]) -> Step:
    def step(request: httpx.Request) -> httpx.Response:
        raise exc_type("failed", request=request)
    return step


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"kind": "ImageStream"})


class Script:
    """A MockTransport handler that plays the given steps in order and counts requests."""

    def __init__(self, *steps: Step) -> None:
        self.steps: Iterator[Step] = iter(steps)
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return next(self.steps)(request)


def send(policy: RetryPolicy, method: str, script: Script, sleeps: list[float], url: str = BASE) -> httpx.Response:
    """What the client does: one request per attempt, errors mapped to imageapi exceptions."""
    with httpx.Client(transport=httpx.MockTransport(script)) as client:
        for attempt in retrying(policy, method, url, sleep=sleeps.append):
            with attempt:
                try:
                    response = client.request(method, url)
                except httpx.TransportError as exc:
                    raise error_from_transport(method, url, exc) from exc
                if response.status_code >= 400:
                    raise error_from_response(method, url, response.status_code, response.headers, response.content)
                return response
    raise AssertionError("unreachable")


def status_body(code: int, reason: str, **details: Any) -> bytes:
    return json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": reason,
                       "reason": reason, "code": code, "details": details}).encode()


@pytest.mark.parametrize("code", [429, 500, 502, 503, 504])
def test_reads_retry_retryable_statuses_with_exponential_backoff(code: int) -> None:
    script = Script(answer(code), answer(code), ok)
    sleeps: list[float] = []
    response = send(NO_JITTER, "GET", script, sleeps)
    assert response.status_code == 200
    assert script.calls == 3
    assert sleeps == [0.5, 1.0]


def test_attempts_count_every_try_and_the_last_error_is_raised() -> None:
    script = Script(answer(503), answer(503), answer(503), ok)
    with pytest.raises(ServerError) as info:
        send(NO_JITTER, "GET", script, [])
    assert info.value.code == 503
    assert script.calls == 3


@pytest.mark.parametrize("policy", [RetryPolicy(0), RetryPolicy(attempts=1), RetryPolicy.disabled()])
def test_retries_can_be_disabled(policy: RetryPolicy) -> None:
    script = Script(answer(503), ok)
    with pytest.raises(ServerError):
        send(policy, "GET", script, [])
    assert script.calls == 1


@pytest.mark.parametrize("exc_type", [httpx.ConnectError, httpx.ReadTimeout, httpx.RemoteProtocolError,
                                      httpx.PoolTimeout, httpx.ReadError])
def test_reads_retry_transport_errors(exc_type: type[httpx.TransportError]) -> None:
    script = Script(fail(exc_type), ok)
    assert send(NO_JITTER, "GET", script, []).status_code == 200
    assert script.calls == 2


@pytest.mark.parametrize("code", [400, 401, 403, 404, 409, 410, 422])
def test_client_errors_are_not_retried(code: int) -> None:
    script = Script(answer(code), ok)
    with pytest.raises(ApiError):
        send(NO_JITTER, "GET", script, [])
    assert script.calls == 1


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_writes_retry_429(method: str) -> None:
    script = Script(answer(429, b"Too many requests, please try again later.", {"Retry-After": "2"}), ok)
    sleeps: list[float] = []
    assert send(NO_JITTER, method, script, sleeps).status_code == 200
    assert sleeps == [2.0]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("exc_type", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
def test_writes_retry_when_the_request_never_left(method: str, exc_type: type[httpx.TransportError]) -> None:
    script = Script(fail(exc_type), ok)
    assert send(NO_JITTER, method, script, []).status_code == 200
    assert script.calls == 2


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("step", [answer(500), answer(502), answer(503), answer(504), fail(httpx.ReadTimeout),
                                  fail(httpx.RemoteProtocolError), fail(httpx.WriteTimeout),
                                  answer(409, status_body(409, "Conflict"))])
def test_writes_are_not_retried_when_the_server_may_have_applied_them(method: str, step: Step) -> None:
    script = Script(step, ok)
    with pytest.raises(Exception):  # noqa: B017 - which one depends on the step; the count is the point
        send(NO_JITTER, method, script, [])
    assert script.calls == 1


def test_retry_after_seconds_from_status_details() -> None:
    body = status_body(500, "ServerTimeout", retryAfterSeconds=2)
    script = Script(answer(500, body), ok)
    sleeps: list[float] = []
    send(NO_JITTER, "GET", script, sleeps)
    assert sleeps == [2.0]


def test_retry_after_http_date_in_the_past_means_no_wait() -> None:
    script = Script(answer(503, b"", {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), ok)
    sleeps: list[float] = []
    send(NO_JITTER, "GET", script, sleeps)
    assert sleeps == [0.0]


def test_retry_after_beyond_the_limit_is_raised_not_waited() -> None:
    policy = RetryPolicy(attempts=3, max_retry_after=60)
    script = Script(answer(429, b"", {"Retry-After": "3600"}), ok)
    sleeps: list[float] = []
    with pytest.raises(TooManyRequestsError) as info:
        send(policy, "GET", script, sleeps)
    assert info.value.retry_after == 3600
    assert script.calls == 1
    assert sleeps == []


def test_backoff_is_capped_and_jitter_stays_within_it() -> None:
    policy = RetryPolicy(attempts=10, base=0.5, cap=3.0, jitter=False)
    assert [policy.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    jittered = RetryPolicy(attempts=10, base=0.5, cap=3.0, jitter=True)
    rng = random.Random(7)
    draws = [jittered.backoff(4, rng) for _ in range(200)]
    assert all(0.0 <= d <= 3.0 for d in draws)
    assert len(set(draws)) > 100  # actually random, not a constant


def test_is_retryable_on_raw_httpx_errors() -> None:
    request = httpx.Request("POST", BASE)
    assert is_retryable(NO_JITTER, "POST", httpx.ConnectError("x", request=request))
    assert not is_retryable(NO_JITTER, "POST", httpx.ReadTimeout("x", request=request))
    assert is_retryable(NO_JITTER, "GET", httpx.ReadTimeout("x", request=request))
    assert not is_retryable(NO_JITTER, "GET", httpx.UnsupportedProtocol("x", request=request))
    assert not is_retryable(NO_JITTER, "GET", ValueError("not ours"))


def test_retry_is_logged_at_debug_without_query_secrets(caplog: pytest.LogCaptureFixture) -> None:
    script = Script(answer(503), ok)
    with caplog.at_level(logging.DEBUG, logger="imageapi"):
        send(NO_JITTER, "GET", script, [], url=BASE + "?watch=1&access_token=s3cr3t")
    (record,) = [r for r in caplog.records if r.name == "imageapi"]
    line = record.getMessage()
    assert record.levelno == logging.DEBUG
    assert "GET" in line and "watch=1" in line and "503" in line and "attempt 1 of 3" in line and "0.50s" in line
    assert "s3cr3t" not in line


@pytest.mark.anyio
async def test_async_retrying_shares_the_rules() -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503) if calls == 1 else httpx.Response(200)

    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        async for attempt in async_retrying(NO_JITTER, "GET", BASE, sleep=fake_sleep):
            with attempt:
                response = await client.get(BASE)
                if response.status_code >= 400:
                    raise error_from_response("GET", BASE, response.status_code, response.headers, b"")
    assert calls == 2
    assert sleeps == [0.5]

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ServerError):
            calls = 0
            async for attempt in async_retrying(NO_JITTER, "POST", BASE, sleep=fake_sleep):
                with attempt:
                    response = await client.post(BASE)
                    raise error_from_response("POST", BASE, response.status_code, response.headers, b"")
    assert calls == 1


def conflict() -> ConflictError:
    return ConflictError("Operation cannot be fulfilled", code=409, reason="Conflict")


def test_retry_on_conflict_reruns_until_success() -> None:
    calls = 0
    sleeps: list[float] = []

    def update() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise conflict()
        return "updated"

    assert retry_on_conflict(update, backoff=CLIENT_GO_DEFAULT_RETRY, sleep=sleeps.append,
                             rng=random.Random(1)) == "updated"
    assert calls == 3
    assert len(sleeps) == 2
    assert all(0.01 <= s <= 0.011 for s in sleeps)  # DefaultRetry: 10ms, jitter 0.1


def test_client_go_backoffs_keep_their_names_and_values() -> None:
    assert ConflictBackoff() == CLIENT_GO_DEFAULT_RETRY  # the dataclass defaults are DefaultRetry
    assert (CLIENT_GO_DEFAULT_RETRY.steps, CLIENT_GO_DEFAULT_RETRY.duration, CLIENT_GO_DEFAULT_RETRY.factor,
            CLIENT_GO_DEFAULT_RETRY.jitter) == (5, 0.01, 1.0, 0.1)
    assert (CLIENT_GO_DEFAULT_BACKOFF.steps, CLIENT_GO_DEFAULT_BACKOFF.duration, CLIENT_GO_DEFAULT_BACKOFF.factor,
            CLIENT_GO_DEFAULT_BACKOFF.jitter) == (4, 0.01, 5.0, 0.1)
    unjittered = dataclasses.replace(CLIENT_GO_DEFAULT_BACKOFF, jitter=0)
    assert [unjittered.delay(n) for n in (1, 2, 3)] == pytest.approx([0.01, 0.05, 0.25])


def test_the_default_conflict_backoff_is_full_jittered_exponential_and_bounded() -> None:
    backoff = DEFAULT_CONFLICT_BACKOFF
    rng = random.Random(7)
    for retry in range(1, 30):
        ceiling = min(1.0, 0.01 * 2 ** (retry - 1))
        waits = [backoff.delay(retry, rng) for _ in range(200)]
        assert all(0.0 <= wait <= ceiling for wait in waits)
        assert max(waits) > ceiling * 0.8 and min(waits) < ceiling * 0.2  # spread over the whole range
    assert backoff.steps >= 20 and backoff.max_elapsed is not None


def test_the_default_outlasts_conflicts_client_go_default_retry_gives_up_on() -> None:
    def conflicting(times: int) -> Callable[[], str]:
        calls = 0

        def update() -> str:
            nonlocal calls
            calls += 1
            if calls <= times:
                raise conflict()
            return "done"
        return update

    with pytest.raises(ConflictError):
        retry_on_conflict(conflicting(5), backoff=CLIENT_GO_DEFAULT_RETRY, sleep=lambda s: None)
    assert retry_on_conflict(conflicting(20), sleep=lambda s: None) == "done"


def test_max_elapsed_stops_before_a_wait_that_would_pass_it() -> None:
    calls, sleeps = 0, []

    def update() -> None:
        nonlocal calls
        calls += 1
        raise conflict()

    backoff = ConflictBackoff(steps=100, duration=5.0, jitter=0, max_elapsed=1.0)
    with pytest.raises(ConflictError):
        retry_on_conflict(update, backoff=backoff, sleep=sleeps.append)
    assert (calls, sleeps) == (1, [])  # the first wait alone would end past the bound


def _contend(backoff: ConflictBackoff, writers: int, increments: int) -> tuple[int, int]:
    """``writers`` clients over loopback each add one ``increments`` times to one annotation of one
    stream through ``retry_on_conflict``; returns (increments refused, increments lost)."""
    import threading

    from imageapi import Client
    from imageapi.testing import FakeCluster

    cluster = FakeCluster()
    refused: list[ConflictError] = []
    with cluster.serve() as server:
        def client() -> Client:
            return Client(server.url, token=cluster.token, namespace="demo")

        with client() as first:
            first.image_streams.create({"metadata": {"name": "counter", "annotations": {"n": "0"}}})

        def work() -> None:
            with client() as own:
                def increment() -> None:
                    stream = own.image_streams.get("counter")
                    stream.metadata.annotations["n"] = str(int(stream.metadata.annotations["n"]) + 1)
                    own.image_streams.replace(stream)

                for _ in range(increments):
                    try:
                        retry_on_conflict(increment, backoff=backoff)
                    except ConflictError as error:
                        refused.append(error)

        threads = [threading.Thread(target=work) for _ in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with client() as last:
            final = int(last.image_streams.get("counter").metadata.annotations["n"])
    cluster.close()
    return len(refused), writers * increments - len(refused) - final


def test_concurrent_writers_on_one_object_lose_nothing_and_are_not_refused() -> None:
    # scripts/contention.py runs 8 x 100 and prints the figures; this is the same at a tenth the size.
    assert _contend(DEFAULT_CONFLICT_BACKOFF, writers=8, increments=10) == (0, 0)


def test_retry_on_conflict_gives_up_after_steps_with_the_conflict() -> None:
    calls = 0

    def update() -> None:
        nonlocal calls
        calls += 1
        raise conflict()

    with pytest.raises(ConflictError):
        retry_on_conflict(update, backoff=ConflictBackoff(steps=4, duration=0.1, factor=2.0, jitter=0), sleep=lambda s: None)
    assert calls == 4
    backoff = ConflictBackoff(steps=4, duration=0.1, factor=2.0, jitter=0, cap=0.3)
    assert [backoff.delay(n) for n in (1, 2, 3)] == [0.1, 0.2, 0.3]


def test_retry_on_conflict_does_not_retry_other_errors() -> None:
    calls = 0

    def update() -> None:
        nonlocal calls
        calls += 1
        raise NotFoundError("gone", code=404, reason="NotFound")

    with pytest.raises(NotFoundError):
        retry_on_conflict(update, sleep=lambda s: None)
    assert calls == 1


@pytest.mark.anyio
async def test_async_retry_on_conflict() -> None:
    calls = 0

    async def update() -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise conflict()
        return calls

    async def no_sleep(seconds: float) -> None:
        return None

    assert await async_retry_on_conflict(update, sleep=no_sleep) == 2


@pytest.mark.parametrize(
    "failure",
    [httpx.UnsupportedProtocol("no ftp"), httpx.LocalProtocolError("malformed request")],
    ids=["unsupported-scheme", "local-protocol-error"],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_wrapped_permanent_transport_errors_are_not_retried(failure: httpx.TransportError, method: str) -> None:
    # A request that cannot be sent as built fails the same way every time: retrying only adds delay.
    wrapped = error_from_transport(method, BASE, failure)
    assert wrapped.permanent
    assert not is_retryable(NO_JITTER, method, wrapped)


def test_wrapped_connect_errors_stay_retryable_for_writes() -> None:
    wrapped = error_from_transport("POST", BASE, httpx.ConnectError("refused"))
    assert not wrapped.permanent and not wrapped.request_sent
    assert is_retryable(NO_JITTER, "POST", wrapped)
