"""Every error class, from responses the fake cluster really sends; retries with injected faults."""

from __future__ import annotations

from typing import Any

import pytest

from client.conftest import send_raw
from imageapi import (
    AlreadyExistsError,
    APIConnectionError,
    BadRequestError,
    ConflictError,
    InvalidError,
    MethodNotAllowedError,
    NotFoundError,
    ResourceExpiredError,
    ServerError,
    TooManyRequestsError,
    UnauthorizedError,
)
from imageapi._request import ListOptions, build_list_request, decoder
from imageapi._resource_table import RESOURCES


def test_404_not_found(client: Any) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.image_streams.get("missing")
    error = caught.value
    assert error.code == 404
    assert error.message == 'imagestreams.image.openshift.io "missing" not found'
    assert (error.details.name, error.details.kind) == ("missing", "imagestreams")
    assert error.method == "GET" and error.url.endswith("/namespaces/demo/imagestreams/missing")


def test_409_already_exists_differs_from_conflict(client: Any) -> None:
    client.image_streams.create({"metadata": {"name": "app"}})
    with pytest.raises(AlreadyExistsError):
        client.image_streams.create({"metadata": {"name": "app"}})
    stale = client.image_streams.get("app")
    client.image_streams.patch("app", {"metadata": {"labels": {"a": "b"}}})
    with pytest.raises(ConflictError) as caught:
        client.image_streams.replace(stale)
    assert not isinstance(caught.value, AlreadyExistsError)
    assert "the object has been modified" in caught.value.message


def test_422_invalid_lists_the_causes(client: Any) -> None:
    with pytest.raises(InvalidError) as caught:
        client.image_streams.create({"metadata": {"name": "Not_Valid"}})
    causes = caught.value.causes
    assert causes and causes[0].field == "metadata.name"
    assert causes[0].reason == "FieldValueInvalid"


def test_422_replace_without_resource_version(client: Any) -> None:
    client.image_streams.create({"metadata": {"name": "app"}})
    with pytest.raises(InvalidError) as caught:
        client.image_streams.replace({"metadata": {"name": "app"}})
    assert [cause.field for cause in caught.value.causes] == ["metadata.resourceVersion"]


def test_405_method_not_allowed(client: Any) -> None:
    # The typed surface has no list on imagestreammappings; send the request by hand to see the server's answer.
    info = RESOURCES["imagestreammappings"]
    request = build_list_request(info, "demo", decoder("Status"), ListOptions())
    with pytest.raises(MethodNotAllowedError) as caught:
        send_raw(client, request)
    assert caught.value.code == 405


def test_400_bad_request(client: Any) -> None:
    with pytest.raises(BadRequestError, match="ImageStreamTags must be retrieved with <name>:<tag>"):
        client.image_stream_tags.get("no-colon")


def test_401_from_a_token_protected_cluster(make_client: Any) -> None:
    from imageapi.testing import FakeCluster

    protected = FakeCluster(token="right")
    anonymous = make_client(transport=protected.transport(), async_transport=protected.async_transport())
    with pytest.raises(UnauthorizedError) as caught:
        anonymous.image_streams.get("app", namespace="demo")
    assert caught.value.code == 401
    wrong = make_client(transport=protected.transport(), async_transport=protected.async_transport(), token="wrong")
    with pytest.raises(UnauthorizedError):
        wrong.image_streams.get("app", namespace="demo")
    right = make_client(transport=protected.transport(), async_transport=protected.async_transport(), token="right")
    with pytest.raises(NotFoundError):  # authenticated: now the stream is simply missing
        right.image_streams.get("app", namespace="demo")


def test_410_expired_via_fault_injection(client: Any, cluster: Any) -> None:
    cluster.faults.fail_next(1, method="GET", status=410, reason="Expired", message="too old resource version")
    with pytest.raises(ResourceExpiredError, match="too old resource version"):
        client.image_streams.get("app")


def test_429_is_retried_then_succeeds(client: Any, cluster: Any, sleeps: list[float]) -> None:
    client.image_streams.create({"metadata": {"name": "app"}})
    cluster.faults.too_many_requests(2, retry_after=4, plain=True)
    assert client.image_streams.get("app").metadata.name == "app"
    assert sleeps == [4.0, 4.0]


def test_429_raised_when_retries_run_out(client: Any, cluster: Any) -> None:
    cluster.faults.too_many_requests(5, retry_after=1, plain=False)
    with pytest.raises(TooManyRequestsError) as caught:
        client.image_streams.get("app", retries=1)
    assert caught.value.retry_after == 1


def test_503_retried_for_reads(client: Any, cluster: Any, sleeps: list[float]) -> None:
    client.image_streams.create({"metadata": {"name": "app"}})
    cluster.faults.fail_next(2, method="GET", status=503)
    assert client.image_streams.get("app").metadata.name == "app"
    assert len(sleeps) == 2


def test_a_post_that_got_503_is_not_repeated(client: Any, cluster: Any) -> None:
    cluster.faults.fail_next(1, method="POST", status=503)
    with pytest.raises(ServerError):
        client.image_streams.create({"metadata": {"name": "app"}})
    # Had the client repeated the POST, the second try would have created the stream.
    assert cluster.list("imagestreams", "demo") == []


def test_a_post_whose_reply_was_lost_is_not_repeated(client: Any, cluster: Any) -> None:
    cluster.faults.drop_connection(1, method="POST")
    with pytest.raises(APIConnectionError):
        client.image_streams.create({"metadata": {"name": "app"}})
    # The server applied it; a retry would have met AlreadyExists instead of this clean failure.
    assert [item["metadata"]["name"] for item in cluster.list("imagestreams", "demo")] == ["app"]


def test_a_read_whose_connection_dropped_is_retried(client: Any, cluster: Any) -> None:
    client.image_streams.create({"metadata": {"name": "app"}})
    cluster.faults.drop_connection(1, method="GET")
    assert client.image_streams.get("app").metadata.name == "app"


def test_import_failure_is_typed(client: Any, cluster: Any) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.image_stream_imports.import_image("app:1.0", from_="quay.io/org/nothing:1.0")
    assert "quay.io/org/nothing:1.0" in caught.value.message
    cluster.registry.add_image("quay.io/org/private:1.0")
    cluster.registry.fail("quay.io/org/private:1.0", reason="Unauthorized")
    with pytest.raises(UnauthorizedError):
        client.image_stream_imports.import_image("app:1.0", from_="quay.io/org/private:1.0")
