"""What reaches a watch that is not a watch event: garbage raises ProtocolError, a cut line reconnects.

Every test runs against Client and AsyncClient (the ``mode`` fixture), over ``httpx.MockTransport``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from imageapi.errors import ImageAPIError, ProtocolError

from . import _listwatch
from ._listwatch import Consumer

consumer = _listwatch.consumer

PROXY_PAGE = (b"<html><head><title>502</title><style>body{color:red}</style></head>\n"
              b"<body><h1>Bad Gateway</h1><p>The upstream API server did not answer.</p></body></html>\n")


def event_line(name: str, rv: int) -> bytes:
    obj = {"kind": "ImageStream", "apiVersion": "image.openshift.io/v1",
           "metadata": {"name": name, "namespace": "demo", "resourceVersion": str(rv)}}
    return json.dumps({"type": "ADDED", "object": obj}).encode() + b"\n"


class CutStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that sends ``data`` and then loses the connection (``httpx.ReadError``)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def __iter__(self) -> Iterator[bytes]:
        yield self._data
        raise httpx.ReadError("connection reset by peer")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._data
        raise httpx.ReadError("connection reset by peer")


def test_a_proxy_page_on_a_200_watch_raises_protocol_error(make_client: Any, consumer: Consumer) -> None:
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, content=PROXY_PAGE, headers={"Content-Type": "text/html"})

    client = make_client(transport=httpx.MockTransport(answer), namespace="demo")
    with pytest.raises(ProtocolError) as raised:
        consumer.events(client.image_streams.watch(resource_version="5"), 1)
    error = raised.value
    assert isinstance(error, ImageAPIError)
    assert error.url.startswith("https://api.example.test:6443/apis/image.openshift.io/v1/namespaces/demo/imagestreams?")
    assert "watch=true" in error.url and error.url in str(error)
    assert error.excerpt == "Bad Gateway The upstream API server did not answer."  # text only, from the page body
    assert len(requests) == 1  # raised, not retried: reading the stream again would read the same page


def test_a_garbage_line_after_good_events_raises_after_delivering_them(make_client: Any, consumer: Consumer) -> None:
    body = event_line("a", 6) + b'{"type": "ADDED", "object": {"metadata": \n'
    client = make_client(transport=httpx.MockTransport(lambda request: httpx.Response(200, content=body)),
                         namespace="demo")
    delivered: list[str] = []
    with pytest.raises(ProtocolError, match="not a watch event") as raised:
        consumer.events(client.image_streams.watch(resource_version="5"), 2,
                        on_event=lambda event: delivered.append(event.object.metadata.name))
    assert delivered == ["a"]
    assert '"metadata"' in raised.value.excerpt


def test_a_line_cut_by_a_dropped_connection_reconnects_and_loses_nothing(
    make_client: Any, consumer: Consumer, sleeps: list[float]
) -> None:
    whole_b = event_line("b", 7)
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if len(requests) == 1:
            return httpx.Response(200, stream=CutStream(event_line("a", 6) + whole_b[: len(whole_b) // 2]))
        return httpx.Response(200, content=whole_b + event_line("c", 8))

    client = make_client(transport=httpx.MockTransport(answer), namespace="demo")
    events = consumer.events(client.image_streams.watch(resource_version="5"), 3)
    assert [event.object.metadata.name for event in events] == ["a", "b", "c"]
    assert [request.url.params["resourceVersion"] for request in requests] == ["5", "6"]
    assert len(sleeps) == 1  # a failure: reconnected after one backoff
