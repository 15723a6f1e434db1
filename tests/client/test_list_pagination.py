"""list(): pagers over the fake cluster, on both clients (the ``mode`` fixture runs each test twice)."""

from __future__ import annotations

from typing import Any

import pytest

from imageapi.errors import ResourceExpiredError
from imageapi.models import Image, ImageStream, ImageStreamList

from . import _listwatch
from ._listwatch import Consumer, Recording

# Fixtures shared with the other list and watch tests.
consumer = _listwatch.consumer
rclient = _listwatch.rclient
recording = _listwatch.recording


def make_streams(cluster: Any, count: int, namespace: str = "demo", **labels: str) -> list[str]:
    names = [f"s{index:03d}" for index in range(count)]
    for name in names:
        cluster.create("imagestreams", {"metadata": {"name": name, "labels": dict(labels)}}, namespace=namespace)
    return names


def test_iterating_yields_every_item_across_pages(rclient: Any, cluster: Any, recording: Recording,
                                                  consumer: Consumer) -> None:
    names = make_streams(cluster, 23)
    pager = rclient.image_streams.list(chunk_size=5)
    assert recording.urls == [], "a pager is lazy: nothing is sent before iteration"

    items = consumer.items(pager)

    assert [item.metadata.name for item in items] == names
    assert all(isinstance(item, ImageStream) for item in items)
    assert len(recording.urls) == 5  # 5 + 5 + 5 + 5 + 3
    assert [url.params.get("limit") for url in recording.urls] == ["5"] * 5
    assert recording.urls[0].params.get("continue") is None
    assert all(url.params.get("continue") for url in recording.urls[1:])
    assert pager.resource_version == str(cluster.resource_version)


def test_pages_are_typed_list_objects_with_their_metadata(client: Any, cluster: Any,
                                                          consumer: Consumer) -> None:
    make_streams(cluster, 7)
    pager = client.image_streams.list(chunk_size=3)

    pages = consumer.pages(pager)

    assert all(isinstance(page, ImageStreamList) for page in pages)
    assert [len(page.items) for page in pages] == [3, 3, 1]
    assert [page.metadata.remaining_item_count for page in pages[:2]] == [4, 1]
    assert pages[-1].metadata.continue_ in (None, "")
    assert pager.remaining_item_count is None  # the last page leaves nothing


def test_pages_form_one_consistent_snapshot_while_writes_happen(client: Any, cluster: Any,
                                                                consumer: Consumer) -> None:
    """Objects created, changed and deleted between two pages do not show: every page is read at
    the first page's resourceVersion."""
    names = make_streams(cluster, 12)
    listed_at = cluster.resource_version

    def write_between(page: Any) -> None:
        cluster.create("imagestreams", {"metadata": {"name": f"zz-late-{cluster.resource_version}"}},
                       namespace="demo")
        if cluster.list("imagestreams", namespace="demo", fieldSelector=f"metadata.name={names[-1]}"):
            cluster.delete("imagestreams", names[-1], namespace="demo")
        stream = cluster.get("imagestreams", names[6], namespace="demo")
        stream["metadata"].setdefault("labels", {})["touched"] = "yes"
        status, _ = cluster.request("PUT", cluster.url_path("imagestreams", "demo", names[6]), body=stream)
        assert status == 200

    pages = consumer.pages(client.image_streams.list(chunk_size=4), between=write_between)

    listed = [item for page in pages for item in page.items]
    assert [item.metadata.name for item in listed] == names
    assert {page.metadata.resource_version for page in pages} == {str(listed_at)}
    assert all(int(item.metadata.resource_version) <= listed_at for item in listed)
    assert not (listed[6].metadata.labels or {}).get("touched")
    assert cluster.resource_version > listed_at  # the writes did happen


def test_expired_continue_token_raises_by_default(client: Any, cluster: Any, consumer: Consumer) -> None:
    make_streams(cluster, 9)
    pager = client.image_streams.list(chunk_size=4)

    with pytest.raises(ResourceExpiredError) as raised:
        consumer.pages(pager, between=lambda page: cluster.faults.expire_continue_tokens())

    assert raised.value.code == 410


def test_expired_continue_token_restarts_when_asked(client: Any, cluster: Any, consumer: Consumer) -> None:
    """``on_expired="restart"`` lists again from the first page: the first page's items come twice
    and the pager's resourceVersion becomes the restarted list's."""
    names = make_streams(cluster, 9)
    expired = []

    def expire_once(page: Any) -> None:
        if not expired:
            expired.append(True)
            cluster.create("imagestreams", {"metadata": {"name": "s999"}}, namespace="demo")
            cluster.faults.expire_continue_tokens()

    pager = client.image_streams.list(chunk_size=4, on_expired="restart")
    pages = consumer.pages(pager, between=expire_once)

    listed = [item.metadata.name for page in pages for item in page.items]
    assert listed == names[:4] + names + ["s999"]
    assert pager.restarts == 1
    assert pager.resource_version == str(cluster.resource_version)


def test_a_restart_lists_the_current_state_even_after_an_explicit_resource_version(
        rclient: Any, cluster: Any, consumer: Consumer, recording: Recording) -> None:
    """The caller's resourceVersion names the snapshot whose continue token expired: sending it again
    would ask for that same snapshot (exact, with ``limit``), so the restart sends none."""
    names = make_streams(cluster, 9)
    listed_at = str(cluster.resource_version)
    expired = []

    def expire_once(page: Any) -> None:
        if not expired:
            expired.append(True)
            cluster.create("imagestreams", {"metadata": {"name": "s999"}}, namespace="demo")
            cluster.faults.expire_continue_tokens()

    pager = rclient.image_streams.list(chunk_size=4, resource_version=listed_at, on_expired="restart")
    pages = consumer.pages(pager, between=expire_once)

    assert [item.metadata.name for page in pages for item in page.items] == names[:4] + names + ["s999"]
    assert pager.resource_version == str(cluster.resource_version)
    first_pages = [url for url in recording.urls if "continue" not in url.params]
    assert [url.params.get("resourceVersion") for url in first_pages] == [listed_at, None]


def test_chunk_size_none_sends_no_limit(rclient: Any, cluster: Any, recording: Recording,
                                        consumer: Consumer) -> None:
    make_streams(cluster, 6)
    items = consumer.items(rclient.image_streams.list(chunk_size=None))
    assert len(items) == 6
    assert len(recording.urls) == 1
    assert "limit" not in recording.urls[0].params


@pytest.mark.parametrize("accessor", ["image_stream_tags", "image_tags"])
def test_no_limit_where_the_server_ignores_chunking(rclient: Any, cluster: Any, recording: Recording,
                                                    consumer: Consumer, accessor: str) -> None:
    """imagestreamtags and imagetags ignore ``limit``: sending it would make a truncated first
    page look like the whole list. The pager asks once, without ``limit``, and gets every tag."""
    assert cluster.registry is not None
    tags = ["1.0", "1.1", "2.0", "latest"]
    for tag in tags:
        cluster.registry.add_image(f"quay.io/example/app:{tag}")
    cluster.create("imagestreams", {"metadata": {"name": "app"}, "spec": {"tags": [
        {"name": tag, "from": {"kind": "DockerImage", "name": f"quay.io/example/app:{tag}"}} for tag in tags
    ]}}, namespace="demo")

    items = consumer.items(getattr(rclient, accessor).list(chunk_size=1))

    assert sorted(item.metadata.name for item in items) == [f"app:{tag}" for tag in tags]
    assert len(recording.urls) == 1
    assert "limit" not in recording.urls[0].params


def test_all_namespaces_and_default_namespace(client: Any, cluster: Any, consumer: Consumer) -> None:
    make_streams(cluster, 2, namespace="demo")
    make_streams(cluster, 3, namespace="other")

    everywhere = consumer.items(client.image_streams.list(all_namespaces=True, chunk_size=2))
    default = consumer.items(client.image_streams.list())
    other = consumer.items(client.image_streams.list(namespace="other"))

    assert sorted((item.metadata.namespace, item.metadata.name) for item in everywhere) == sorted(
        [("demo", "s000"), ("demo", "s001"), ("other", "s000"), ("other", "s001"), ("other", "s002")]
    )
    assert {item.metadata.namespace for item in default} == {"demo"}
    assert len(other) == 3
    with pytest.raises(TypeError):
        client.image_streams.list(namespace="demo", all_namespaces=True)


def test_cluster_scoped_images_list(client: Any, cluster: Any, consumer: Consumer) -> None:
    digests = []
    for index in range(5):
        digest = "sha256:" + f"{index:02x}" * 32
        cluster.create("images", {"metadata": {"name": digest}, "dockerImageReference": f"quay.io/x/y@{digest}"})
        digests.append(digest)

    items = consumer.items(client.images.list(chunk_size=2))

    assert [item.metadata.name for item in items] == digests
    assert all(isinstance(item, Image) for item in items)
    with pytest.raises(TypeError):
        client.images.list(namespace="demo")


def test_iterating_again_lists_again(client: Any, cluster: Any, consumer: Consumer) -> None:
    make_streams(cluster, 3)
    pager = client.image_streams.list(chunk_size=2)
    first = consumer.items(pager)
    cluster.create("imagestreams", {"metadata": {"name": "s100"}}, namespace="demo")
    second = consumer.items(pager)
    assert len(first) == 3
    assert len(second) == 4
    assert pager.resource_version == str(cluster.resource_version)


def test_bad_options_are_refused_before_sending(client: Any) -> None:
    with pytest.raises(ValueError):
        client.image_streams.list(chunk_size=0)
    with pytest.raises(ValueError):
        client.image_streams.list(on_expired="ignore")
