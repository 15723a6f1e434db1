"""error_from_response / error_from_transport: the exception a user catches for each server answer."""

from __future__ import annotations

import json
import pickle
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from imageapi import errors
from imageapi.errors import (
    AlreadyExistsError,
    APIConnectionError,
    ApiError,
    APITimeoutError,
    BadRequestError,
    ConfigError,
    ConflictError,
    ForbiddenError,
    ImageAPIError,
    InvalidError,
    MethodNotAllowedError,
    NotFoundError,
    ResourceExpiredError,
    ResourceVersionTooLargeError,
    ServerError,
    ServerTimeoutError,
    TooManyRequestsError,
    TransportError,
    UnauthorizedError,
    error_from_response,
    error_from_transport,
    parse_retry_after,
)
from imageapi.models import Status

URL = "https://api.example.com:6443/apis/image.openshift.io/v1/namespaces/ns/imagestreams/web"


def status(code: int, reason: str | None, message: str, details: dict[str, Any] | None = None) -> bytes:
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": message, "code": code}
    if reason:
        body["reason"] = reason
    if details is not None:
        body["details"] = details
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("code", "reason", "expected"),
    [
        (400, "BadRequest", BadRequestError),
        (401, "Unauthorized", UnauthorizedError),
        (403, "Forbidden", ForbiddenError),
        (404, "NotFound", NotFoundError),
        (405, "MethodNotAllowed", MethodNotAllowedError),
        (409, "AlreadyExists", AlreadyExistsError),
        (409, "Conflict", ConflictError),
        (410, "Expired", ResourceExpiredError),
        (410, "Gone", ResourceExpiredError),
        (422, "Invalid", InvalidError),
        (429, "TooManyRequests", TooManyRequestsError),
        (500, "InternalError", ServerError),
        (500, None, ServerError),
        (500, "ServerTimeout", ServerTimeoutError),
        (504, "Timeout", ServerTimeoutError),
    ],
)
def test_status_reason_picks_the_class(code: int, reason: str | None, expected: type[ApiError]) -> None:
    error = error_from_response("get", URL, code, {}, status(code, reason, "boom"))
    assert type(error) is expected
    assert error.code == code
    assert error.reason == reason
    assert error.message == "boom"
    assert error.method == "GET"
    assert error.url == URL
    assert isinstance(error.status, Status)  # the typed model, as the causes are
    assert (error.status.kind, error.status.code, error.status.message) == ("Status", code, "boom")


def test_reason_wins_over_http_code() -> None:
    # AlreadyExists and Conflict share 409: only the reason tells them apart.
    error = error_from_response("POST", URL, 409, {}, status(409, "AlreadyExists", "exists"))
    assert isinstance(error, AlreadyExistsError)
    assert not isinstance(error, ConflictError)


def test_not_found_details() -> None:
    body = status(404, "NotFound", 'imagestreams.image.openshift.io "web" not found',
                  {"name": "web", "group": "image.openshift.io", "kind": "imagestreams"})
    error = error_from_response("GET", URL, 404, {}, body)
    assert isinstance(error, NotFoundError)
    assert (error.details.name, error.details.group, error.details.kind) == (
        "web", "image.openshift.io", "imagestreams")
    assert str(error) == f'404 NotFound: imagestreams.image.openshift.io "web" not found (GET {URL})'


def test_invalid_causes() -> None:
    body = status(422, "Invalid", 'ImageStream.image.openshift.io "web" is invalid: spec.tags[a].from.name: Required value',
                  {"name": "web", "kind": "ImageStream", "causes": [
                      {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.tags[a].from.name"},
                      {"reason": "FieldValueInvalid", "message": "Invalid value: \"x\"", "field": "metadata.name"},
                  ]})
    error = error_from_response("PUT", URL, 422, {}, body)
    assert isinstance(error, InvalidError)
    assert [(c.field, c.reason) for c in error.causes] == [
        ("spec.tags[a].from.name", "FieldValueRequired"), ("metadata.name", "FieldValueInvalid")]
    assert error.causes[0].message == "Required value"


def test_json_429_status_retry_after_from_details_and_header() -> None:
    body = status(429, "TooManyRequests", "slow down", {"retryAfterSeconds": 7})
    error = error_from_response("GET", URL, 429, {}, body)
    assert isinstance(error, TooManyRequestsError)
    assert error.retry_after == 7.0
    # The header wins when both are present (it is what the server's filters compute).
    error = error_from_response("GET", URL, 429, {"Retry-After": "3"}, body)
    assert isinstance(error, TooManyRequestsError) and error.retry_after == 3.0


def test_plain_text_429_from_priority_and_fairness() -> None:
    error = error_from_response("GET", URL, 429, {"Retry-After": "1", "Content-Type": "text/plain"},
                                b"Too many requests, please try again later.\n")
    assert isinstance(error, TooManyRequestsError)
    assert error.status is None
    assert error.message == "Too many requests, please try again later."
    assert error.retry_after == 1.0


def test_html_502_from_a_proxy() -> None:
    html = (b"<html><head><title>502 Bad Gateway</title><style>body{color:red}</style></head>"
            b"<body>\n<center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center></body></html>")
    error = error_from_response("GET", URL, 502, {"Content-Type": "text/html"}, html)
    assert type(error) is ServerError
    assert error.message == "502 Bad Gateway nginx"
    assert "<" not in str(error)


def test_long_body_is_cut_to_an_excerpt() -> None:
    error = error_from_response("GET", URL, 503, {}, b"x " * 5000)
    assert isinstance(error, ServerError)
    assert len(error.message) <= 200
    assert error.message.endswith("…")


@pytest.mark.parametrize(
    ("causes", "message", "expected"),
    [
        ([{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
         "Timeout: Too large resource version: 9, current: 2", ResourceVersionTooLargeError),
        ([], "Timeout: Too large resource version: 9, current: 2", ResourceVersionTooLargeError),
        ([{"reason": "ResourceVersionTooLarge"}], "Timeout: request did not complete", ResourceVersionTooLargeError),
        ([], "Timeout: request did not complete within 60s", ServerTimeoutError),
    ],
)
def test_a_read_ahead_of_the_server_is_its_own_timeout(causes: list[dict[str, str]], message: str,
                                                        expected: type[ApiError]) -> None:
    body = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 504, "reason": "Timeout",
            "message": message, "details": {"causes": causes}}
    error = error_from_response("GET", URL, 504, {}, json.dumps(body).encode())
    assert type(error) is expected
    assert isinstance(error, ServerTimeoutError)


@pytest.mark.parametrize("body", [b"", b'{"kind":"Status","code":40', b'{"items": []}', b"[1, 2]"])
def test_non_status_bodies_fall_back_to_the_http_code(body: bytes) -> None:
    error = error_from_response("GET", URL, 404, {}, body)
    assert isinstance(error, NotFoundError)
    assert error.status is None
    assert error.message  # never empty
    if not body:
        assert error.message == "HTTP 404 Not Found"


def test_unknown_client_error_code_is_a_plain_api_error() -> None:
    error = error_from_response("GET", URL, 418, {}, b"teapot")
    assert type(error) is ApiError
    assert error.code == 418


def test_every_error_is_an_imageapi_error() -> None:
    assert issubclass(ServerTimeoutError, ServerError)
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, ImageAPIError), name
    assert errors.__all__ == sorted(errors.__all__)


def test_url_query_secrets_are_not_shown() -> None:
    error = error_from_response("GET", URL + "?access_token=hunter2&watch=1", 500, {}, b"")
    assert "hunter2" not in str(error)
    assert "watch=1" in str(error)


@pytest.mark.parametrize(
    ("exc", "cls", "sent"),
    [
        (httpx.ConnectError("refused"), APIConnectionError, False),
        (httpx.ConnectTimeout("slow"), APITimeoutError, False),
        (httpx.PoolTimeout("pool"), APITimeoutError, False),
        (httpx.ReadTimeout("read"), APITimeoutError, True),
        (httpx.RemoteProtocolError("Server disconnected"), APIConnectionError, True),
        (httpx.ReadError("reset"), APIConnectionError, True),
    ],
)
def test_transport_errors(exc: httpx.TransportError, cls: type[TransportError], sent: bool) -> None:
    error = error_from_transport("post", URL, exc)
    assert type(error) is cls
    assert error.request_sent is sent
    assert error.url == URL
    assert error.method == "POST"
    assert type(exc).__name__ in str(error)


def test_retry_after_forms() -> None:
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=timezone.utc)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") is None
    assert parse_retry_after(None) is None


def test_config_error_names_file_and_context() -> None:
    error = ConfigError("user 'admin' not found", path="/tmp/kc", context="dev")
    assert str(error) == "kubeconfig /tmp/kc, context 'dev': user 'admin' not found"


def test_errors_survive_pickling() -> None:
    body = status(422, "Invalid", "bad", {"name": "web", "causes": [{"field": "metadata.name", "reason": "FieldValueInvalid"}]})
    originals: list[ImageAPIError] = [
        error_from_response("PUT", URL, 422, {"Retry-After": "1"}, body),
        error_from_transport("GET", URL, httpx.ConnectError("refused")),
        ConfigError("bad", path="/kc", context="c"),
        errors.CredentialError("plugin failed", command="p", exit_code=2, stderr="oops"),
    ]
    for original in originals:
        copy = pickle.loads(pickle.dumps(original))
        assert type(copy) is type(original)
        assert str(copy) == str(original)
        # The low-level exception is not carried across (httpx's errors hold unpicklable requests).
        assert copy.__dict__.keys() == original.__dict__.keys() - {"original"}
        assert copy.original is None
    invalid = pickle.loads(pickle.dumps(originals[0]))
    assert isinstance(invalid, InvalidError)
    assert invalid.causes[0].field == "metadata.name"
    assert invalid.headers["retry-after"] == "1"


def test_importing_the_clients_and_errors_leaves_the_date_parser_unloaded() -> None:
    # Only an HTTP-date Retry-After needs dateutil's parser; importing it up front cost ~10 ms.
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from imageapi import AsyncClient, Client, NotFoundError, errors\n"
        "assert 'dateutil.parser' not in sys.modules, 'loaded at import'\n"
        "assert errors.parse_retry_after('Wed, 21 Oct 2015 07:28:30 GMT') == 0.0\n"
        "assert 'dateutil.parser' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)
