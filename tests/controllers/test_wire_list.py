"""An informer's list read item by item (``controllers._wire_list``): the metadata paging needs, each
item's exact wire text, malformed answers refused, and what the cache does with the text."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from imageapi import Client
from imageapi.controllers import Cache, Informer
from imageapi.controllers._wire_list import WireList, decoder
from imageapi.models import ImageStream
from imageapi.testing import FakeCluster

from .test_informer_consistency import NAMESPACE, stream_body


def item(name: str, version: str, namespace: str = "demo") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": namespace, "resourceVersion": version,
                         "labels": {"t\u00e9am": "caf\u00e9"}}, "spec": {"lookupPolicy": {"local": False}}}


def test_items_come_with_their_exact_wire_text_after_the_metadata() -> None:
    # spaced out as a pretty-printing proxy would, non-ASCII left unescaped as Go writes it
    items = [item("a", "1"), item("b", "2")]
    text = ('{ "kind" : "ImageStreamList", "apiVersion":"image.openshift.io/v1",\n "metadata": {"resourceVersion":"7",'
            '"continue":"tok","remainingItemCount":3},\n "items" : [ ' +
            " ,\n ".join(json.dumps(i, ensure_ascii=False, indent=1) for i in items) + " ]\n}\n")
    page = WireList(text, "ImageStreamList", text.encode())  # not ASCII: sliced as text
    assert (page.metadata.resource_version, page.metadata.continue_, page.metadata.remaining_item_count) == \
        ("7", "tok", 3)
    entries = list(page.entries())
    assert [document for document, _ in entries] == items
    assert [wire for _, wire in entries] == [json.dumps(i, ensure_ascii=False, indent=1).encode() for i in items]


@pytest.mark.parametrize("items", ["[]", "null"])
def test_an_empty_list_has_no_entries(items: str) -> None:
    page = WireList('{"kind":"ImageStreamList","metadata":{"resourceVersion":"3"},"items":' + items + "}",
                    "ImageStreamList")
    assert list(page.entries()) == []
    assert page.metadata.resource_version == "3" and page.metadata.continue_ is None


def test_items_before_the_metadata_are_read_too() -> None:
    page = WireList('{"items":[{"metadata":{"name":"a"}}],"metadata":{"resourceVersion":"9","continue":""}}',
                    "ImageStreamList")
    assert page.metadata.resource_version == "9" and page.metadata.continue_ is None
    assert list(page.entries()) == [({"metadata": {"name": "a"}}, b'{"metadata":{"name":"a"}}')]


def test_an_ascii_body_is_sliced_as_bytes_with_the_same_result() -> None:
    text = '{"metadata":{"resourceVersion":"1"},"items":[ {"metadata":{"name":"a"}} , {"metadata":{"name":"b"}} ]}'
    assert list(WireList(text, "ImageStreamList", text.encode()).entries()) == \
        list(WireList(text, "ImageStreamList").entries())


@pytest.mark.parametrize("body", [b"[]", b'{"metadata":{}', b'{"metadata" {}}', b"\xff", b'{"kind":"ImageList"}'])
def test_a_body_that_is_not_the_list_is_refused(body: bytes) -> None:
    from imageapi._request import BodyMismatch

    with pytest.raises(BodyMismatch):
        decoder("ImageStreamList")(body)


def test_the_cache_stores_the_wire_text_and_decodes_it_to_the_listed_object() -> None:
    cluster = FakeCluster(namespaces=[NAMESPACE])
    for index in range(3):
        cluster.store.create("imagestreams", NAMESPACE, stream_body(f"s{index}", index))
    with Client(transport=cluster.transport(), base_url="http://fake", namespace=NAMESPACE) as client:
        listed = {stream.metadata.name: stream for stream in client.image_streams.list()}
        with httpx.Client(transport=cluster.transport(), base_url="http://fake") as http:
            answer = http.get(f"/apis/image.openshift.io/v1/namespaces/{NAMESPACE}/imagestreams").json()
        wire = {entry["metadata"]["name"]: entry for entry in answer["items"]}
        added: list[Any] = []
        with Informer(client.image_streams) as informer:
            informer.add_handler(on_add=lambda obj, initial: added.append(obj))
            assert informer.wait_for_sync(timeout=10)
            for name, stream in listed.items():
                key = f"{NAMESPACE}/{name}"
                assert json.loads(informer.cache._items[key]) == wire[name]  # what the server sent
                assert informer.cache.get_by_key(key) == stream  # decodes to the model a list gives
    assert sorted(added, key=lambda s: s.metadata.name) == [listed[name] for name in sorted(listed)]


def test_store_builds_a_model_only_for_user_indexes() -> None:
    data = json.dumps(item("a", "1")).encode()
    built: list[int] = []

    def model() -> ImageStream:
        built.append(1)
        return ImageStream.from_json(data)

    cache: Cache[ImageStream] = Cache(ImageStream)
    cache.store("demo/a", data, "1", model)
    assert built == [] and cache.index_keys("namespace", "demo") == ["demo/a"]
    assert cache.resource_version("demo/a") == "1"
    cache.add_indexer("team", lambda s: list((s.metadata.labels or {}).values()))
    cache.store("demo/a", data, "2", model)
    assert built == [1] and cache.index_keys("team", "caf\u00e9") == ["demo/a"]

