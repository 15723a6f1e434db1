"""Selectors of the imagestreamtags and imagetags lists are checked before any stream is read, like the
generic lists' (server-semantics.md §6, §7, §13): the server decodes and converts them with the query."""

from __future__ import annotations

import httpx
import pytest
from _core_helpers import GROUP_PATH, stream_body, streams_path

TAG_LISTS = ["imagestreamtags", "imagetags"]


def _list(http: httpx.Client, resource: str, namespace: str | None = "empty", **query: str) -> httpx.Response:
    scope = f"/namespaces/{namespace}" if namespace else ""
    return http.get(f"{GROUP_PATH}{scope}/{resource}", params=query)


@pytest.mark.parametrize("resource", TAG_LISTS)
@pytest.mark.parametrize(("query", "message"), [
    ({"labelSelector": "team in (x"}, None),
    ({"fieldSelector": "tag=x"}, '"tag" is not a known field selector: only "metadata.name", "metadata.namespace"'),
    ({"fieldSelector": "no-operator"}, "invalid selector: 'no-operator'; can't understand 'no-operator'"),
])
def test_bad_selector_is_400_with_no_stream_to_read(http: httpx.Client, resource: str, query: dict[str, str],
                                                     message: str | None) -> None:
    for namespace in ("empty", None):  # an empty namespace, and all namespaces of an empty cluster
        response = _list(http, resource, namespace, **query)
        assert response.status_code == 400, response.text
        assert response.json()["reason"] == "BadRequest"
        if message is not None:
            assert message in response.json()["message"]


@pytest.mark.parametrize("resource", [*TAG_LISTS, "imagestreams"])
def test_blank_selectors_answer_alike_on_every_list(http: httpx.Client, resource: str) -> None:
    # labels.Parse skips whitespace (select everything); fields.ParseSelector keeps it (a term it
    # cannot understand), so the generic and the virtual lists agree on both.
    assert _list(http, resource, labelSelector="   ").status_code == 200
    response = _list(http, resource, fieldSelector=" ")
    assert response.status_code == 400
    assert response.json()["message"] == "invalid selector: ' '; can't understand ' '"


def test_selectors_still_choose_streams_then_items(http: httpx.Client) -> None:
    # (imagetags lists spec-only tags, so no image is needed; test_sem_tags covers the istag list.)
    for name, team in (("a", "x"), ("b", "y")):
        tag = {"name": "t", "from": {"kind": "DockerImage", "name": "quay.io/o/i:1"}}
        assert http.post(streams_path(namespace="ns"), json=stream_body(name, labels={"team": team}, tags=[tag])
                         ).status_code == 201
    selected = _list(http, "imagetags", "ns", labelSelector="team=x").json()
    assert selected["metadata"] == {}
    assert [item["metadata"]["name"] for item in selected["items"]] == ["a:t"]
    # The stream list is filtered on the stream name first, so a tag's name matches no stream, and a
    # stream's name matches no item (the items are named <stream>:<tag>).
    assert _list(http, "imagetags", "ns", fieldSelector="metadata.name=a:t").json()["items"] is None
    assert _list(http, "imagetags", "ns", fieldSelector="metadata.name=a").json()["items"] is None
    assert len(_list(http, "imagetags", "ns", fieldSelector="metadata.namespace=ns").json()["items"]) == 2
