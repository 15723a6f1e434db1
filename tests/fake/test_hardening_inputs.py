"""Query parameters, continue tokens and protobuf bodies are validated before a handler uses them
(issue 9 §2): each malformed one is a 400 Status, as the server answers, never a 500."""

from __future__ import annotations

import base64

import httpx
import pytest
from _core_helpers import stream_body, streams_path


def token(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("latin-1")).decode().rstrip("=")


@pytest.fixture
def populated(http: httpx.Client) -> httpx.Client:
    for index in range(3):
        assert http.post(streams_path(), json=stream_body(f"s{index}")).status_code == 201
    return http


@pytest.mark.parametrize("continue_token", [
    token("[" * 5000 + "]" * 5000),  # the reproducer: a RecursionError
    token("{" * 20_000),
    token('{"v":"meta.k8s.io/v1","rv":1e400,"start":"s0\\u0000"}'),
    token('{"v":"meta.k8s.io/v1","rv":true,"start":"s0\\u0000"}'),
    token('{"v":"meta.k8s.io/v1","rv":NaN,"start":"s0\\u0000"}'),
    token("\xff\xfe{"),
    "!!!not-base64",
])
def test_a_malformed_continue_token_is_400(populated: httpx.Client, continue_token: str) -> None:
    response = populated.get(streams_path(), params={"limit": "1", "continue": continue_token})
    assert response.status_code == 400
    assert response.json()["reason"] == "BadRequest"
    assert response.json()["message"].startswith("invalid continue token: ")


def test_a_good_continue_token_still_pages(populated: httpx.Client) -> None:
    first = populated.get(streams_path(), params={"limit": "2"}).json()
    rest = populated.get(streams_path(), params={"limit": "2", "continue": first["metadata"]["continue"]}).json()
    assert [item["metadata"]["name"] for item in first["items"] + rest["items"]] == ["s0", "s1", "s2"]


@pytest.mark.parametrize(("name", "value", "problem"), [
    ("limit", "1e400", "invalid syntax"), ("limit", "9" * 30, "value out of range"), ("limit", " 1", "invalid syntax"),
    ("limit", "1_0", "invalid syntax"), ("timeoutSeconds", "9" * 400, "value out of range"),
    ("timeoutSeconds", "\u0661", "invalid syntax"),
])
def test_integer_query_parameters_parse_like_strconv(http: httpx.Client, name: str, value: str, problem: str) -> None:
    response = http.get(streams_path(), params={name: value, "watch": "1" if name == "timeoutSeconds" else ""})
    assert response.status_code == 400
    assert response.json()["message"] == (f'unable to parse query parameter "{name}": strconv.ParseInt: parsing '
                                          f'"{value}": {problem}')


@pytest.mark.parametrize("version", ["-1", " 1", "1_0", "\u0661", "9" * 30])
def test_a_malformed_resource_version_is_400(http: httpx.Client, version: str) -> None:
    response = http.get(streams_path(name="s"), params={"resourceVersion": version})
    assert response.status_code == 400
    assert response.json()["message"] == f'invalid resource version "{version}"'


@pytest.mark.parametrize("body", [
    b"k8s\x00\x0a\x05\x08\x01",  # typeMeta is a varint where a message belongs (was a TypeError)
    b"k8s\x00\x12\x05\x0a\x03\x08\x01",  # the raw object's metadata is a varint
    b"k8s\x00\x0a\x04\x0a\x02v1\x12\x05\x0d\x00",  # a truncated fixed32
    b"k8s\x00\x0a\x0c\x0a\x02v1\x12\x06Secret\x12\x04\x1a\x02\xff\xfe",  # a type that is not UTF-8
    b"k8s\x00\xff",
    b"not protobuf",
])
def test_a_malformed_protobuf_body_is_400(http: httpx.Client, body: bytes) -> None:
    response = http.post("/api/v1/namespaces/ns1/secrets", content=body,
                         headers={"Content-Type": "application/vnd.kubernetes.protobuf"})
    assert response.status_code == 400
    assert response.json()["reason"] == "BadRequest"


def test_delete_options_of_the_wrong_type_are_400(populated: httpx.Client) -> None:
    response = populated.request("DELETE", streams_path(name="s0"), json={"preconditions": "x"})
    assert response.status_code == 400
    assert response.json()["message"] == ("json: cannot unmarshal string into Go struct field "
                                          "DeleteOptions.preconditions of type v1.Preconditions")
    assert populated.get(streams_path(name="s0")).status_code == 200
