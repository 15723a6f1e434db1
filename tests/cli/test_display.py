"""What a person sees: compact reprs, oc-style table rows, HTML cards and tables, pagers in notebooks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import anyio
import pytest

from imageapi import Client
from imageapi._display import human_duration, plain_table, table_rows, tags_up_to_width
from imageapi.display import Table
from imageapi.models import ImageStream, ImageStreamList, ImageTag
from imageapi.testing import FakeCluster

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)


@pytest.fixture
def client(cluster: FakeCluster) -> Iterator[Client]:
    with cluster.client(namespace="demo") as client:
        yield client


def _stream(tags: dict[str, int], name: str = "web") -> ImageStream:
    """A stream as the server returns it: status tags created ``minutes`` before NOW, managedFields, nulls."""
    return ImageStream.from_dict({
        "metadata": {
            "name": name, "namespace": "demo", "labels": {"app": "web", "tier": "<b>"},
            "creationTimestamp": "2024-05-01T09:00:00Z", "resourceVersion": "42", "uid": "u-1",
            "managedFields": [{"manager": "oc", "operation": "Update", "fieldsType": "FieldsV1",
                               "fieldsV1": {"f:spec": {"f:tags": {}}}, "time": "2024-05-01T09:00:00Z"}],
        },
        "spec": {"lookupPolicy": {"local": True}, "tags": [
            {"name": tag, "annotations": None, "from": {"kind": "DockerImage", "name": f"quay.io/x/web:{tag}"},
             "generation": 1, "importPolicy": {"importMode": "Legacy"}, "referencePolicy": {"type": "Source"}}
            for tag in tags]},
        "status": {
            "dockerImageRepository": "image-registry.openshift-image-registry.svc:5000/demo/web",
            "tags": [{"tag": tag, "items": [{
                "created": (NOW - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "dockerImageReference": f"quay.io/x/web@sha256:{index:064x}", "image": f"sha256:{index:064x}",
                "generation": 1}]} for index, (tag, minutes) in enumerate(tags.items())],
        },
    })


# -- reprs -------------------------------------------------------------------------------------------


def test_repr_is_short_and_leaves_out_managed_fields(client: Client) -> None:
    served = client.image_streams.get("hello")
    assert served.metadata is not None and served.metadata.managed_fields  # the server sent them
    for obj in (served, client.image_streams.layers("hello"), client.image_stream_tags.get("hello:1.0"),
                _stream({str(n): n for n in range(100)})):
        text = repr(obj)
        assert len(text) <= 340, text
        assert "managed" not in text and "=None" not in text.replace("annotations=None", "")
        assert text.startswith(type(obj).__name__ + "(")
    assert "name='hello'" in repr(served) and "namespace='demo'" in repr(served)
    assert "…+" in repr(_stream({str(n): n for n in range(100)}))  # long lists say how many were left out
    assert str(served) == repr(served)


def test_ipython_pretty_printing_uses_the_compact_repr(client: Client) -> None:
    class Printer:
        text_written = ""

        def text(self, value: str) -> None:
            self.text_written += value

    printer = Printer()
    served = client.image_streams.get("hello")
    served._repr_pretty_(printer, cycle=False)
    assert printer.text_written == repr(served)


# -- tables ------------------------------------------------------------------------------------------


def test_stream_rows_are_oc_get_is() -> None:
    headers, rows = table_rows([_stream({"1.0": 90, "latest": 5, "2.0": 30})], now=NOW)
    assert headers == ["NAME", "IMAGE REPOSITORY", "TAGS", "UPDATED"]
    # Tags newest first; UPDATED is the newest tag's age.
    assert rows == [["web", "image-registry.openshift-image-registry.svc:5000/demo/web", "latest,2.0,1.0",
                     "5 minutes ago"]]
    headers, rows = table_rows([_stream({"a": 1}), _stream({"b": 2}, name="other")], namespaces=True, now=NOW)
    assert headers[0] == "NAMESPACE" and [row[:2] for row in rows] == [["demo", "web"], ["demo", "other"]]


def test_many_tags_end_in_more() -> None:
    names = [f"v{n}.0.0-build" for n in range(12)]
    text = tags_up_to_width(names)
    assert text.endswith(" more...") and text.startswith("v0.0.0-build,v1.0.0-build")
    shown = text.split(" + ")[0].split(",")
    assert f"+ {12 - len(shown)} more..." in text and len(",".join(shown)) <= 50
    assert tags_up_to_width(["a-very-long-tag-name-that-alone-is-wider-than-forty", "b"]).endswith("+ 1 more...")
    assert tags_up_to_width(["1.0", "latest"]) == "1.0,latest"


def test_stream_tag_rows_and_wide(client: Client) -> None:
    tags = client.image_stream_tags.list().to_list()
    headers, rows = table_rows(tags)
    assert headers == ["NAME", "IMAGE REFERENCE", "UPDATED"]
    assert [row[0] for row in rows] == ["hello:1.0", "hello:latest"]
    assert rows[0][1].startswith("quay.io/example/hello@sha256:")
    headers, rows = table_rows(tags, wide=True)
    assert headers[-1] == "IMAGE NAME" and rows[0][-1].startswith("sha256:")


def test_image_tag_spec_and_status_like_oc() -> None:
    def itag(spec: dict[str, Any] | None, status: dict[str, Any] | None) -> list[str]:
        obj = ImageTag.from_dict({"metadata": {"name": "web:t"}, "spec": spec, "status": status})
        return table_rows([obj], now=NOW)[1][0]

    event = {"created": "2024-05-01T11:00:00Z", "image": "sha256:abc", "dockerImageReference": "q/x@sha256:abc",
             "generation": 2}
    assert itag({"name": "t", "from": {"kind": "DockerImage", "name": "q/x:1"}, "generation": 2},
                {"tag": "t", "items": [event]}) == ["web:t", "Tag", "image/sha256:abc", "1", "About an hour ago"]
    assert itag({"name": "t", "from": {"kind": "ImageStreamTag", "name": "other"}}, None)[1:3] == [
        "Track", "istag/other"]
    assert itag(None, {"tag": "t", "items": [event]})[1] == "Push"
    failed = {"tag": "t", "items": [], "conditions": [
        {"type": "ImportSuccess", "status": "False", "reason": "NotFound", "lastTransitionTime": "2024-05-01T11:58:00Z"}]}
    assert itag({"name": "t", "from": {"kind": "DockerImage", "name": "q/x:1"}, "importPolicy": {"scheduled": True}},
                failed) == ["web:t", "Scheduled", "ImportFailed (NotFound)", "", "2 minutes ago"]


def test_human_durations_read_like_oc() -> None:
    assert [human_duration(s) for s in (0.5, 1, 45, 60, 600, 3600, 5 * 3600, 3 * 86400, 20 * 86400, 90 * 86400)] == [
        "Less than a second", "1 second", "45 seconds", "About a minute", "10 minutes", "About an hour",
        "5 hours", "3 days", "2 weeks", "3 months"]


def test_plain_table_is_kubectl_aligned() -> None:
    assert plain_table(["NAME", "TAGS"], [["a", "1.0"], ["longer", ""]]) == "NAME     TAGS\na        1.0\nlonger\n"
    assert str(Table([])) == "No resources found.\n"


# -- HTML --------------------------------------------------------------------------------------------


def test_stream_card_has_kind_name_labels_and_tags_with_digests() -> None:
    card = _stream({"1.0": 90, "latest": 5})._repr_html_()
    assert "ImageStream <b>web</b>" in card and "in demo" in card
    assert "app=web" in card and "tier=&lt;b&gt;" in card and "<b>>" not in card  # escaped
    assert "Image repository" in card and "Image lookup" in card
    for digest in (f"sha256:{0:064x}", f"sha256:{1:064x}"):
        assert digest in card
    assert "<th>TAG</th>" in card and "<td>latest</td>" in card
    assert "managed" not in card.lower()


def test_list_kind_and_pager_render_tables(client: Client) -> None:
    page = ImageStreamList.from_dict({"items": [_stream({"1.0": 1}).to_dict()]})
    html = page._repr_html_()
    assert "<th>IMAGE REPOSITORY</th>" in html and "<td>web</td>" in html and "1 item" in html

    pager = client.image_stream_tags.list()
    html = pager._repr_html_()  # a notebook displaying a pager lists it
    assert "<th>IMAGE REFERENCE</th>" in html and "<td>hello:latest</td>" in html and "2 items" in html
    assert len(pager) == 2


def test_pager_len_and_index_only_after_to_list(client: Client) -> None:
    pager = client.image_streams.list()
    assert repr(pager) == "<Pager imagestreams in demo>"
    with pytest.raises(TypeError, match=r"call to_list\(\) first"):
        len(pager)
    with pytest.raises(TypeError):
        pager[0]
    items = pager.to_list()
    assert [s.metadata.name for s in items if s.metadata] == ["hello"]
    assert len(pager) == 1 and pager[0] == items[0] and pager[-1] == items[0]
    assert "1 items listed at resourceVersion" in repr(pager)
    items.clear()  # the caller's list is its own
    assert len(pager) == 1


def test_to_dataframe_flattens_columns_per_kind(client: Client) -> None:
    pytest.importorskip("pandas")
    frame = client.image_stream_tags.list().to_dataframe()
    assert list(frame.columns) == ["namespace", "name", "created", "labels", "image", "reference", "size",
                                   "generation"]
    assert list(frame["name"]) == ["hello:1.0", "hello:latest"]
    assert all(str(image).startswith("sha256:") for image in frame["image"])
    streams = client.image_streams.list().to_dataframe()
    assert streams.loc[0, "tags"] == 2 and streams.loc[0, "labels"] == "app=hello"


def test_to_dataframe_without_pandas_says_what_to_install(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(ImportError, match="pip install pandas"):
        client.image_streams.list().to_dataframe()


def test_async_pager_to_list_and_html(cluster: FakeCluster) -> None:
    async def main() -> None:
        async with cluster.async_client(namespace="demo") as client:
            pager = client.image_streams.list()
            assert "await pager.to_list()" in pager._repr_html_()
            [stream] = await pager.to_list()
            assert len(pager) == 1 and pager[0] is stream
            assert "<td>hello</td>" in pager._repr_html_()

    anyio.run(main)


def test_watch_events_repr_and_table(client: Client) -> None:
    with client.image_streams.watch() as watcher:
        event = next(iter(watcher))
    assert repr(event).startswith("Event(ADDED ImageStream demo/hello rv=")
    html = event._repr_html_()
    assert "<th>TYPE</th><th>NAME</th>" in html and "<td>ADDED</td><td>hello</td>" in html
    assert str(Table([event])).startswith("TYPE    NAME    IMAGE REPOSITORY")
