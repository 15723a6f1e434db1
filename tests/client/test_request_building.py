"""The client builds its httpx requests from parts prepared once (joined URLs, merged headers); what
goes on the wire must be exactly what ``httpx.Client.build_request`` makes from the same call."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from imageapi import AsyncClient, Client
from imageapi._base_client import NOT_GIVEN, ClientCore
from imageapi._request import ApiRequest, decoder

REQUESTS = [
    ApiRequest("GET", "/apis/image.openshift.io/v1/namespaces/demo/imagestreams/app", decoder("ImageStream"),
               headers=(("Accept", "application/json"),)),
    ApiRequest("GET", "/apis/image.openshift.io/v1/namespaces/demo/imagestreams", decoder("ImageStreamList"),
               params=(("limit", "500"), ("continue", "a b&c=d")), headers=(("Accept", "application/json"),)),
    ApiRequest("PATCH", "/apis/image.openshift.io/v1/namespaces/demo/imagestreamtags/app:1.0",
               decoder("ImageStreamTag"), params=(("fieldManager", "me"),),
               headers=(("Accept", "application/json"), ("Content-Type", "application/merge-patch+json")),
               content=b'{"tag":null}'),
]


def _expected(core: ClientCore, request: ApiRequest, timeout: httpx.Timeout) -> httpx.Request:
    return core._http.build_request(
        request.method, request.path, params=list(request.params), headers=list(request.headers),
        content=request.content, timeout=timeout, extensions=core._request_extensions or None,
    )


def _same(built: httpx.Request, expected: httpx.Request) -> None:
    assert built.method == expected.method
    assert str(built.url) == str(expected.url)
    assert built.headers.raw == expected.headers.raw
    assert built.content == expected.content
    assert built.extensions == expected.extensions


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
@pytest.mark.parametrize("base_url", ["https://api.example.test:6443", "https://rancher.example.test/k8s/clusters/c-1/"])
@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: f"{r.method}")
def test_requests_are_what_httpx_would_build(client_class: type, base_url: str, request_: ApiRequest) -> None:
    core = client_class(base_url=base_url, headers={"X-Team": "a"}, token="secret")
    timeout = httpx.Timeout(7.0, connect=2.0)
    for _ in range(2):  # the second time from the prepared parts
        _same(core._http_request(request_, timeout), _expected(core, request_, timeout))
    _same(core._http_request(request_, NOT_GIVEN), _expected(core, request_, core._timeout))


def test_changed_client_headers_and_cookies_are_sent() -> None:
    core = Client(base_url="https://api.example.test")
    request = REQUESTS[0]
    core._http_request(request, NOT_GIVEN)
    core._http.headers["X-Later"] = "1"
    assert core._http_request(request, NOT_GIVEN).headers["X-Later"] == "1"
    core._http.cookies.set("session", "abc", domain="api.example.test")
    built = core._http_request(request, NOT_GIVEN)
    _same(built, _expected(core, request, core._timeout))
    assert built.headers["Cookie"] == "session=abc"


def test_a_cookie_the_server_sets_is_kept_and_sent_back(make_client: Any) -> None:
    # The jar skips responses without Set-Cookie (http.cookiejar costs ~40 us a request); a response
    # that sets one is still read, and the cookie goes out with the next request, in both clients.
    sent: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get("Cookie"))
        headers = {"Set-Cookie": "route=abc; Path=/"} if len(sent) == 2 else {}
        return httpx.Response(200, json={"kind": "ImageStream", "metadata": {"name": "app"}}, headers=headers)

    client = make_client(transport=httpx.MockTransport(answer), namespace="demo")
    for _ in range(3):
        client.image_streams.get("app")
    assert sent == [None, None, "route=abc"]


def test_responses_without_set_cookie_never_reach_the_cookie_library(monkeypatch: pytest.MonkeyPatch) -> None:
    import http.cookiejar

    calls: list[object] = []
    original = http.cookiejar.CookieJar.extract_cookies
    monkeypatch.setattr(http.cookiejar.CookieJar, "extract_cookies",
                        lambda jar, response, request: calls.append(response) or original(jar, response, request))
    answer = httpx.MockTransport(lambda request: httpx.Response(200, json={"kind": "ImageStream"}))
    with Client(base_url="https://api.example.test:6443", token="t", transport=answer) as client:
        client.image_streams.get("app", namespace="demo")
    assert calls == []
