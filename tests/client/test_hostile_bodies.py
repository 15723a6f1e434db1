"""A 2xx answer that is not the API's JSON raises ``ProtocolError``, never pydantic's or httpx's error.

A table of hostile bodies (truncated JSON, HTML, nothing, a JSON array, wrong-typed fields, an object
of another kind, …) is served through ``httpx.MockTransport`` to every verb, on both clients; each
answer must raise an :class:`~imageapi.errors.ImageAPIError` (the promise of ``errors.py``) that
names the URL, shows an excerpt and locates the bad fields by wire path, with no low-level exception
chained into what the user's traceback shows.
"""

from __future__ import annotations

import gzip
import json
import traceback
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from imageapi.errors import ApiError, ImageAPIError, ProtocolError

from ._listwatch import Consumer, consumer  # noqa: F401  (fixture)

STREAM = {
    "kind": "ImageStream",
    "apiVersion": "image.openshift.io/v1",
    "metadata": {"name": "app", "namespace": "demo", "resourceVersion": "7", "uid": "u-1",
                 "creationTimestamp": "2024-05-01T10:00:00Z", "annotations": {"openshift.io/image.dockerRepositoryCheck": "2024-05-01T10:00:01Z"}},
    "spec": {"lookupPolicy": {"local": False},
             "tags": [{"name": "latest", "from": {"kind": "DockerImage", "name": "registry.example/app:latest"},
                       "importPolicy": {"importMode": "Legacy"}, "referencePolicy": {"type": "Source"},
                       "generation": 2, "annotations": None}]},
    "status": {"dockerImageRepository": "image-registry.openshift-image-registry.svc:5000/demo/app", "tags": None},
}


def _json(document: Any) -> bytes:
    return json.dumps(document).encode()


def _wrong_typed() -> bytes:
    stream = json.loads(json.dumps(STREAM))
    stream["spec"]["tags"][0]["from"]["name"] = 123
    stream["spec"]["tags"][0]["generation"] = "two"
    return _json(stream)


HTML = (b"<!DOCTYPE html><html><head><title>Application is not available</title><style>body{}</style>"
        b"</head><body><h1>Application is not available</h1><p>The route may be down.</p></body></html>")

# (id, body, what the message or the problems must mention)
HOSTILE: list[tuple[str, bytes, str]] = [
    ("truncated-json", _json(STREAM)[:60], "Invalid JSON"),
    ("html", HTML, "Application is not available"),
    ("empty", b"", "empty body"),
    ("whitespace", b" \n", "empty body"),
    ("json-array", _json([STREAM]), "ImageStream"),
    ("json-null", b"null", "ImageStream"),
    ("json-string", b'"ok"', "ImageStream"),
    ("wrong-typed-fields", _wrong_typed(), "spec.tags[0].from.name"),
    ("another-kind", _json({"kind": "Image", "apiVersion": "image.openshift.io/v1", "metadata": {"name": "sha256:abc"},
                            "dockerImageReference": "registry.example/app@sha256:abc"}), "kind Image"),
    ("not-utf8", b'{"kind":"ImageStream","metadata":{"name":"\xff\xfe"}}', "Invalid JSON"),
    ("nested-too-deep", b"[" * 5000 + b"]" * 5000, "ImageStream"),
]


def _respond(body: bytes, status: int = 200, **headers: str) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        # A stream, not content=: httpx would decode content (Content-Encoding) here, in the server.
        return httpx.Response(status, headers={"Content-Type": "application/json", **headers},
                              stream=httpx.ByteStream(body))
    return answer


def _list_of(*items: Any, continue_: str = "") -> bytes:
    return _json({"kind": "ImageStreamList", "apiVersion": "image.openshift.io/v1",
                  "metadata": {"resourceVersion": "9", "continue": continue_}, "items": list(items)})


def _calls(consume: Consumer) -> dict[str, Callable[[Any], Any]]:
    """Each verb, called the way a user calls it (pagers and watchers iterated)."""
    return {
        "get": lambda c: c.image_streams.get("app"),
        "get_status": lambda c: c.image_streams.get_status("app"),
        # List items (and watch events) validate each field when it is read: read them all.
        "list": lambda c: [item.validate_all() for item in consume.items(c.image_streams.list())],
        "create": lambda c: c.image_streams.create({"metadata": {"name": "app"}}),
        "replace": lambda c: c.image_streams.replace(STREAM),
        "patch": lambda c: c.image_streams.patch("app", {"metadata": {"labels": {"a": "b"}}}),
        "delete": lambda c: c.image_streams.delete("app"),
        "delete_collection": lambda c: c.image_streams.delete_collection(),
        "watch-initial-list": lambda c: [event.object.validate_all()
                                         for event in consume.events(c.image_streams.watch(), 1, watchdog=5)],
    }


VERBS = ["get", "get_status", "list", "create", "replace", "patch", "delete", "delete_collection",
         "watch-initial-list"]


def _assert_readable(error: BaseException, mention: str) -> None:
    assert isinstance(error, ProtocolError), repr(error)
    assert isinstance(error, ImageAPIError)
    assert error.url.startswith("https://api.example.test:6443/apis/image.openshift.io/v1/")
    assert mention in str(error) + " ".join(error.problems)
    assert "\n" not in str(error) and len(error.excerpt) <= 200
    # Nothing low-level is chained into the traceback a user sees, but it is kept for debugging.
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    shown = "".join(traceback.format_exception(error))
    assert "pydantic_core" not in shown and "ValidationError" not in shown
    assert error.original is None or isinstance(error.original, Exception)


@pytest.mark.parametrize("verb", VERBS)
@pytest.mark.parametrize(("case", "body", "mention"), HOSTILE, ids=[case for case, _, _ in HOSTILE])
def test_a_hostile_2xx_body_raises_protocol_error(
    make_client: Any, consumer: Consumer, verb: str, case: str, body: bytes, mention: str  # noqa: F811
) -> None:
    if verb in ("list", "watch-initial-list", "delete_collection") and case == "another-kind":
        body = _json({"kind": "ImageList", "apiVersion": "image.openshift.io/v1", "metadata": {}, "items": []})
        mention = "kind ImageList"
    if verb in ("list", "watch-initial-list", "delete_collection") and case == "wrong-typed-fields":
        body = _list_of(json.loads(_wrong_typed()))
        mention = "items[0].spec.tags[0].from.name"
    client = make_client(transport=httpx.MockTransport(_respond(body)), namespace="demo", retries=0)
    with pytest.raises(ImageAPIError) as caught:
        _calls(consumer)[verb](client)
    _assert_readable(caught.value, mention)


def test_wrong_typed_fields_are_named_by_wire_path(make_client: Any) -> None:
    client = make_client(transport=httpx.MockTransport(_respond(_wrong_typed())), namespace="demo")
    with pytest.raises(ProtocolError) as caught:
        client.image_streams.get("app")
    error = caught.value
    assert error.problems == (
        "spec.tags[0].from.name: Input should be a valid string",
        "spec.tags[0].generation: Input should be a valid integer, unable to parse string as an integer",
    )
    assert str(error).startswith(
        "the response is not a valid ImageStream: spec.tags[0].from.name: Input should be a valid string; "
    )
    assert "(GET https://api.example.test:6443/apis/image.openshift.io/v1/namespaces/demo/imagestreams/app)" in str(error)
    # The pydantic error is still there for whoever debugs it.
    assert type(error.original).__name__ == "ValidationError"


def test_every_page_of_a_list_is_checked(make_client: Any, consumer: Consumer) -> None:  # noqa: F811
    pages = iter([_list_of(STREAM, continue_="next"), HTML])
    client = make_client(transport=httpx.MockTransport(lambda request: _respond(next(pages))(request)),
                         namespace="demo")
    with pytest.raises(ProtocolError) as caught:
        consumer.items(client.image_streams.list(chunk_size=1))
    assert "continue=next" in caught.value.url
    assert "Application is not available" in caught.value.excerpt


def _watch_answer(line: bytes) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("watch") == "true":
            return httpx.Response(200, content=line + b"\n")
        return httpx.Response(200, content=_list_of())
    return answer


@pytest.mark.parametrize(("line", "mention"), [
    (HTML, "not a watch event"),
    (b'{"type":"ADDED","object":{"kind":"Image","apiVersion":"image.openshift.io/v1","metadata":{"name":"x"}}}',
     "carries a Image"),
    (b'{"type":"ADDED","object":' + _wrong_typed() + b"}", "object.spec.tags[0].from.name"),
    (b'{"type":"EXPLODED","object":{}}', "not a watch event"),
    (b"[1,2,3]", "not a watch event"),
])
def test_a_watch_stream_line_that_is_not_an_event_of_the_kind_raises_protocol_error(
    make_client: Any, consumer: Consumer, line: bytes, mention: str  # noqa: F811
) -> None:
    client = make_client(transport=httpx.MockTransport(_watch_answer(line)), namespace="demo")
    with pytest.raises(ProtocolError) as caught:
        # An event's object validates its fields when they are read: read them all.
        [event.object.validate_all() for event in consumer.events(client.image_streams.watch(), 1, watchdog=5)]
    error = caught.value
    assert mention in str(error) + " ".join(error.problems)
    assert "watch=true" in error.url
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


def test_a_body_that_cannot_be_decompressed_is_a_protocol_error(make_client: Any) -> None:
    answer = _respond(b"\x1f\x8b not really gzip", **{"Content-Encoding": "gzip"})
    client = make_client(transport=httpx.MockTransport(answer), namespace="demo", retries=0)
    with pytest.raises(ProtocolError) as caught:
        client.image_streams.get("app")
    assert "could not be decoded" in str(caught.value)
    assert caught.value.__cause__ is None


def test_a_well_formed_compressed_body_still_decodes(make_client: Any) -> None:
    answer = _respond(gzip.compress(_json(STREAM)), **{"Content-Encoding": "gzip"})
    client = make_client(transport=httpx.MockTransport(answer), namespace="demo")
    assert client.image_streams.get("app").spec.tags[0].from_.name == "registry.example/app:latest"


@pytest.mark.parametrize(("status", "body"), [
    (500, HTML), (502, b""), (404, b"[]"), (409, b'{"kind":"Status","code":"409"}'), (301, b"moved"),
    (418, b'{"kind":"Status","status":"Failure","message":"\xff"}'),
])
def test_error_answers_of_any_shape_are_api_errors(make_client: Any, status: int, body: bytes) -> None:
    client = make_client(transport=httpx.MockTransport(_respond(body, status)), namespace="demo", retries=0)
    with pytest.raises(ApiError) as caught:
        client.image_streams.get("app")
    assert caught.value.code == status
    assert "\n" not in str(caught.value)


def test_a_watch_stream_that_cannot_be_decompressed_is_a_protocol_error(
    make_client: Any, consumer: Consumer  # noqa: F811
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("watch") == "true":
            return httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(b"\x1f\x8bxx"))
        return httpx.Response(200, content=_list_of())

    client = make_client(transport=httpx.MockTransport(answer), namespace="demo")
    with pytest.raises(ProtocolError, match="could not be decoded"):
        consumer.events(client.image_streams.watch(), 1, watchdog=5)


@pytest.mark.parametrize("failure", [
    httpx.ConnectError("refused"), httpx.ConnectTimeout("slow connect"), httpx.ReadTimeout("slow read"),
    httpx.WriteTimeout("slow write"), httpx.PoolTimeout("pool full"), httpx.ReadError("reset"),
    httpx.WriteError("broken pipe"), httpx.RemoteProtocolError("peer closed connection"),
    httpx.LocalProtocolError("bad request"), httpx.UnsupportedProtocol("ftp"), httpx.ProxyError("proxy said no"),
    httpx.DecodingError("bad gzip"),
], ids=lambda failure: type(failure).__name__)
@pytest.mark.parametrize("verb", ["get", "list", "create", "delete"])
def test_every_transport_failure_is_an_image_api_error(
    make_client: Any, consumer: Consumer, verb: str, failure: Exception  # noqa: F811
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise failure

    client = make_client(transport=httpx.MockTransport(fail), namespace="demo", retries=0)
    with pytest.raises(ImageAPIError) as caught:
        _calls(consumer)[verb](client)
    assert caught.value.original is failure
    assert "/httpx/" not in "".join(traceback.format_exception(caught.value))


class _ClosedUnderneath(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A watch body closed by something else mid-read: httpx raises StreamClosed."""

    def __iter__(self) -> Any:
        raise httpx.StreamClosed()
        yield b""  # pragma: no cover

    async def __aiter__(self) -> Any:
        raise httpx.StreamClosed()
        yield b""  # pragma: no cover


def test_a_watch_stream_closed_underneath_reconnects_instead_of_leaking_httpx_errors() -> None:
    from imageapi import Client

    answers = iter([httpx.Response(200, stream=_ClosedUnderneath()),
                    httpx.Response(200, content=b'{"type":"ADDED","object":' + _json(STREAM) + b"}\n")])
    with Client("https://api.example.test:6443", transport=httpx.MockTransport(lambda request: next(answers)),
                sleep=lambda seconds: None) as client:
        with client.image_streams.watch(namespace="demo", resource_version="5") as watch:
            event = next(watch)
        assert event.object.metadata.name == "app" and watch.reconnects == 1


def test_a_listed_item_with_a_wrong_typed_field_fails_when_that_field_is_read(
    make_client: Any, consumer: Consumer  # noqa: F811
) -> None:
    # List items validate each field when it is read: the good items, and the good fields of the
    # bad one, read as usual; the bad field raises with the request's URL and its path in the page.
    good = json.loads(json.dumps(STREAM))
    bad = json.loads(_wrong_typed())
    bad["metadata"]["name"] = "broken"
    client = make_client(transport=httpx.MockTransport(_respond(_list_of(good, bad))), namespace="demo")
    first, second = consumer.items(client.image_streams.list())
    assert first.spec.tags[0].from_.name == "registry.example/app:latest"
    assert second.metadata.name == "broken"
    assert second.spec.tags[0].name == good["spec"]["tags"][0]["name"]
    with pytest.raises(ProtocolError) as caught:
        _ = second.spec.tags[0].from_
    _assert_readable(caught.value, "items[1].spec.tags[0].from.name")
    assert caught.value.problems == ("items[1].spec.tags[0].from.name: Input should be a valid string",)
    # validate_all reports every bad field of the item at once.
    with pytest.raises(ProtocolError) as whole:
        second.validate_all()
    assert whole.value.problems == (
        "items[1].spec.tags[0].from.name: Input should be a valid string",
        "items[1].spec.tags[0].generation: Input should be a valid integer, unable to parse string as an integer",
    )
    assert "?limit=500" in whole.value.url


def test_an_eager_watch_raises_a_wrong_typed_event_as_it_arrives(
    make_client: Any, consumer: Consumer  # noqa: F811
) -> None:
    # lazy=False (what an informer's cache asks for) validates each event's object whole on arrival.
    line = b'{"type":"ADDED","object":' + _wrong_typed() + b"}"
    client = make_client(transport=httpx.MockTransport(_watch_answer(line)), namespace="demo")
    with pytest.raises(ProtocolError) as caught:
        consumer.events(client.image_streams.watch(lazy=False), 1, watchdog=5)
    assert "object.spec.tags[0].from.name" in " ".join(caught.value.problems)
    assert "watch=true" in caught.value.url
    # The default, lazy, delivers the event; the bad field raises when it is read.
    client = make_client(transport=httpx.MockTransport(_watch_answer(line)), namespace="demo")
    (event,) = consumer.events(client.image_streams.watch(), 1, watchdog=5)
    assert event.object.metadata.name == STREAM["metadata"]["name"]
    with pytest.raises(ProtocolError):
        _ = event.object.spec.tags[0].from_
