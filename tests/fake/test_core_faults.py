"""Fault injection through ``cluster.faults`` (deterministic: counts, not chances)."""

from __future__ import annotations

import json

import httpx
import pytest
from _core_helpers import stream_body, streams_path

from imageapi.testing import FakeCluster
from imageapi.testing._app import Request


def test_fail_next_n_matching_requests(cluster: FakeCluster, http: httpx.Client) -> None:
    cluster.faults.fail_next(2, method="POST", path="*/imagestreams", status=503)
    assert http.get(streams_path()).status_code == 200  # other methods are untouched
    first = http.post(streams_path(), json=stream_body("a"))
    second = http.post(streams_path(), json=stream_body("a"))
    third = http.post(streams_path(), json=stream_body("a"))
    assert [first.status_code, second.status_code, third.status_code] == [503, 503, 201]
    assert first.json()["reason"] == "ServiceUnavailable"
    assert first.json()["code"] == 503
    # The failed requests were never handled: only the third created the stream.
    assert cluster.list("imagestreams", "ns1")[0]["metadata"]["name"] == "a"


def test_fail_with_custom_body_and_headers(cluster: FakeCluster, http: httpx.Client) -> None:
    cluster.faults.fail_next(status=500, body={"custom": True}, headers={"X-Test": "1"})
    cluster.faults.fail_next(status=502, body="bad gateway")
    custom = http.get(streams_path())
    plain = http.get(streams_path())
    assert custom.json() == {"custom": True} and custom.headers["X-Test"] == "1"
    assert plain.status_code == 502 and plain.text == "bad gateway"
    assert plain.headers["Content-Type"].startswith("text/plain")


def test_fail_with_status_reason_and_message(cluster: FakeCluster, http: httpx.Client) -> None:
    cluster.faults.fail_next(status=409, reason="Conflict", message="try again")
    status = http.get(streams_path()).json()
    assert status == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": "try again", "reason": "Conflict", "code": 409}


def test_too_many_requests_plain_text(cluster: FakeCluster, http: httpx.Client) -> None:
    cluster.faults.too_many_requests(retry_after=3)
    response = http.get(streams_path())
    assert response.status_code == 429
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.headers["Retry-After"] == "3"
    assert response.text == "Too many requests, please try again later."
    assert http.get(streams_path()).status_code == 200


def test_too_many_requests_as_status(cluster: FakeCluster, http: httpx.Client) -> None:
    cluster.faults.too_many_requests(retry_after=2, plain=False)
    response = http.get(streams_path())
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    status = response.json()
    assert status["reason"] == "TooManyRequests"
    assert status["details"] == {"retryAfterSeconds": 2}


def test_latency_is_attached_to_matching_responses(cluster: FakeCluster) -> None:
    cluster.faults.add_latency(0.25, path="*/imagestreams", count=1)
    delayed = cluster.app.handle(Request("GET", streams_path(), {}, {}))
    undelayed = cluster.app.handle(Request("GET", streams_path(), {}, {}))
    assert delayed.delay == 0.25
    assert undelayed.delay == 0.0


def test_latency_still_answers(cluster: FakeCluster, http: httpx.Client) -> None:
    cluster.faults.add_latency(0.01)
    assert http.get(streams_path()).status_code == 200


def test_drop_connection_after_handling(cluster: FakeCluster, http: httpx.Client) -> None:
    cluster.faults.drop_connection(method="POST", after_bytes=10)
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(streams_path(), json=stream_body("a"))
    # The write happened; only the answer was lost.
    assert http.get(streams_path(name="a")).status_code == 200


def test_drop_connection_before_handling(cluster: FakeCluster, http: httpx.Client) -> None:
    cluster.faults.drop_connection(method="POST", before_processing=True)
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(streams_path(), json=stream_body("a"))
    assert http.get(streams_path(name="a")).status_code == 404


@pytest.mark.anyio
async def test_drop_connection_async(cluster: FakeCluster, ahttp: httpx.AsyncClient) -> None:
    cluster.faults.drop_connection(method="GET")
    with pytest.raises(httpx.RemoteProtocolError):
        await ahttp.get(streams_path())
    assert (await ahttp.get(streams_path())).status_code == 200


def test_cut_watches_cleanly_after_k_events(cluster: FakeCluster, http: httpx.Client) -> None:
    cluster.faults.cut_watches(after_events=2, count=1)
    rv = http.get(streams_path()).json()["metadata"]["resourceVersion"]
    with http.stream("GET", streams_path(), params={"watch": "1", "resourceVersion": rv,
                                                    "timeoutSeconds": "30"}) as response:
        for name in "abc":
            http.post(streams_path(), json=stream_body(name))
        names = [json.loads(line)["object"]["metadata"]["name"] for line in response.iter_lines()]
    assert names == ["a", "b"]
    # count=1: the next watch is not cut.
    with http.stream("GET", streams_path(), params={"watch": "1", "resourceVersion": rv,
                                                    "timeoutSeconds": "30"}) as response:
        lines = response.iter_lines()
        assert [json.loads(next(lines))["object"]["metadata"]["name"] for _ in range(3)] == ["a", "b", "c"]


def test_cut_watches_abruptly(cluster: FakeCluster, http: httpx.Client) -> None:
    cluster.faults.cut_watches(after_events=1, abrupt=True)
    rv = http.get(streams_path()).json()["metadata"]["resourceVersion"]
    received: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError), \
            http.stream("GET", streams_path(), params={"watch": "1", "resourceVersion": rv,
                                                       "timeoutSeconds": "30"}) as response:
        http.post(streams_path(), json=stream_body("a"))
        http.post(streams_path(), json=stream_body("b"))
        for line in response.iter_lines():
            received.append(json.loads(line)["object"]["metadata"]["name"])
    assert received == ["a"]


def test_clear_removes_rules(cluster: FakeCluster, http: httpx.Client) -> None:
    cluster.faults.fail_next(None, status=500)
    assert http.get(streams_path()).status_code == 500
    assert http.get(streams_path()).status_code == 500
    cluster.faults.clear()
    assert http.get(streams_path()).status_code == 200


def test_retry_after_seconds_in_a_status_sets_the_header() -> None:
    from imageapi.testing._app import status_response
    from imageapi.testing._status import StatusError

    response = status_response(StatusError(500, "ServerTimeout", "try later", {"retryAfterSeconds": 4}))
    assert ("Retry-After", "4") in response.headers
    assert json.loads(response.body)["details"]["retryAfterSeconds"] == 4
    assert not any(name == "Retry-After" for name, _ in status_response(StatusError(500, None, "x")).headers)


def test_status_body_is_shaped_in_one_place() -> None:
    """An empty details dict is written as ``details: {}`` (generic 404/405), None leaves it out,
    and the HTTP layer sends exactly what the error shapes."""
    from imageapi.testing._app import status_response
    from imageapi.testing._status import bad_request, path_not_found

    generic = path_not_found().to_status()
    assert list(generic) == ["kind", "apiVersion", "metadata", "status", "message", "reason", "details", "code"]
    assert generic["details"] == {}
    assert "details" not in bad_request("no").to_status()
    for error in (path_not_found(), bad_request("no")):
        assert json.loads(status_response(error).body) == error.to_status()


def test_status_inside_an_import_has_no_type_meta() -> None:
    """ImageStreamImport reports per-image Status values shaped by the same code, without kind/apiVersion."""
    from imageapi.testing._registry import failure_status, not_found_status
    from imageapi.testing._status import embedded, success_status

    assert embedded(success_status()) == {"metadata": {}, "status": "Success"}
    assert not_found_status("quay.io/org/app") == {
        "metadata": {}, "status": "Failure", "message": 'dockerimage.image.openshift.io "quay.io/org/app" not found',
        "reason": "NotFound", "details": {"name": "quay.io/org/app", "group": "image.openshift.io", "kind": "dockerimage"},
        "code": 404}
    assert list(failure_status(401, "Unauthorized", "no")) == ["metadata", "status", "message", "reason", "code"]
