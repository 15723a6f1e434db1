"""Lists: selectors, chunking, continue tokens, resourceVersion semantics (server-semantics.md §13)."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from _core_helpers import GROUP_PATH, digest, image_body, images_path, stream_body, streams_path

from imageapi.testing import FakeCluster


def _names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["metadata"]["name"] for item in response.json()["items"]]


@pytest.fixture
def populated(http: httpx.Client) -> httpx.Client:
    """Streams a..e in ns1 (team x for a, c, e) and z in ns0."""
    for name in "abcde":
        team = "x" if name in "ace" else "y"
        http.post(streams_path(), json=stream_body(name, labels={"team": team, "tier": name}))
    http.post(streams_path("ns0"), json=stream_body("z", labels={"team": "x"}))
    return http


def test_empty_store_list_has_items_array(http: httpx.Client) -> None:
    body = http.get(streams_path()).json()
    assert body["kind"] == "ImageStreamList"
    assert body["apiVersion"] == "image.openshift.io/v1"
    assert body["items"] == []
    assert body["metadata"]["resourceVersion"].isdigit()


def test_items_are_in_key_order_without_kind(populated: httpx.Client) -> None:
    everything = populated.get(f"{GROUP_PATH}/imagestreams").json()
    assert [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in everything["items"]] == \
        [("ns0", "z")] + [("ns1", name) for name in "abcde"]
    assert all("kind" not in item and "apiVersion" not in item for item in everything["items"])
    assert all(item["status"]["dockerImageRepository"] for item in everything["items"])  # decorated


@pytest.mark.parametrize(("selector", "expected"), [
    ("team=x", ["a", "c", "e"]),
    ("team!=x", ["b", "d"]),
    ("tier in (a,b)", ["a", "b"]),
    ("tier notin (a,b),team=x", ["c", "e"]),
    ("team", ["a", "b", "c", "d", "e"]),
    ("!team", []),
])
def test_label_selectors(populated: httpx.Client, selector: str, expected: list[str]) -> None:
    assert _names(populated.get(streams_path(), params={"labelSelector": selector})) == expected


def test_bad_label_selector_is_400(populated: httpx.Client) -> None:
    response = populated.get(streams_path(), params={"labelSelector": "team in x"})
    assert response.status_code == 400
    assert response.json()["reason"] == "BadRequest"


def test_field_selectors(populated: httpx.Client) -> None:
    assert _names(populated.get(streams_path(), params={"fieldSelector": "metadata.name=b"})) == ["b"]
    assert _names(populated.get(streams_path(), params={"fieldSelector": "metadata.name!=b"})) == ["a", "c", "d", "e"]
    assert _names(populated.get(f"{GROUP_PATH}/imagestreams", params={"fieldSelector": "metadata.namespace=ns0"})) \
        == ["z"]


def test_unknown_field_selector_is_400_even_on_an_empty_list(http: httpx.Client) -> None:
    response = http.get(images_path(), params={"fieldSelector": "spec.nothing=x"})
    assert response.status_code == 400
    assert response.json()["message"] == \
        '"spec.nothing" is not a known field selector: only "metadata.name", "metadata.namespace"'


def test_chunks_share_the_first_resource_version_and_count_the_rest(populated: httpx.Client) -> None:
    first = populated.get(streams_path(), params={"limit": "2"}).json()
    assert [i["metadata"]["name"] for i in first["items"]] == ["a", "b"]
    assert first["metadata"]["remainingItemCount"] == 3
    snapshot_rv = first["metadata"]["resourceVersion"]
    # Writes between chunks do not show up in this list.
    populated.delete(streams_path(name="c"))
    populated.post(streams_path(), json=stream_body("bb"))
    second = populated.get(streams_path(), params={"limit": "2", "continue": first["metadata"]["continue"]}).json()
    assert [i["metadata"]["name"] for i in second["items"]] == ["c", "d"]
    assert second["metadata"]["resourceVersion"] == snapshot_rv
    assert second["metadata"]["remainingItemCount"] == 1
    third = populated.get(streams_path(), params={"limit": "2", "continue": second["metadata"]["continue"]}).json()
    assert [i["metadata"]["name"] for i in third["items"]] == ["e"]
    assert "continue" not in third["metadata"]
    assert "remainingItemCount" not in third["metadata"]
    assert third["metadata"]["resourceVersion"] == snapshot_rv


def test_selectors_with_limit_have_no_remaining_count(populated: httpx.Client) -> None:
    first = populated.get(streams_path(), params={"limit": "1", "labelSelector": "team=x"}).json()
    assert [i["metadata"]["name"] for i in first["items"]] == ["a"]
    assert "continue" in first["metadata"]
    assert "remainingItemCount" not in first["metadata"]
    names = ["a"]
    token = first["metadata"]["continue"]
    while token:
        page = populated.get(streams_path(), params={"limit": "1", "labelSelector": "team=x", "continue": token})
        names += _names(page)
        token = page.json()["metadata"].get("continue")
    assert names == ["a", "c", "e"]


def test_continue_token_is_opaque_base64url(populated: httpx.Client) -> None:
    token = populated.get(streams_path(), params={"limit": "1"}).json()["metadata"]["continue"]
    assert "=" not in token
    decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    assert decoded["v"] == "meta.k8s.io/v1"


@pytest.mark.parametrize("token", ["!!!", "bm90IGpzb24", base64.urlsafe_b64encode(b'{"v":"x"}').decode()])
def test_malformed_continue_token_is_400(populated: httpx.Client, token: str) -> None:
    response = populated.get(streams_path(), params={"limit": "1", "continue": token})
    assert response.status_code == 400
    assert response.json()["message"].startswith("invalid continue token: ")


def test_resource_version_with_continue_is_400(populated: httpx.Client) -> None:
    token = populated.get(streams_path(), params={"limit": "1"}).json()["metadata"]["continue"]
    response = populated.get(streams_path(), params={"limit": "1", "continue": token, "resourceVersion": "3"})
    assert response.status_code == 400
    assert response.json()["message"] == "specifying resource version is not allowed when using continue"


def test_expired_token_gives_410_with_inconsistent_continuation(cluster: FakeCluster, populated: httpx.Client) -> None:
    first = populated.get(streams_path(), params={"limit": "2"}).json()
    populated.post(streams_path(), json=stream_body("cc"))
    cluster.faults.expire_continue_tokens()
    response = populated.get(streams_path(), params={"limit": "2", "continue": first["metadata"]["continue"]})
    assert response.status_code == 410
    status = response.json()
    assert status["reason"] == "Expired"
    assert status["message"].startswith("The provided continue parameter is too old")
    fresh = status["metadata"]["continue"]
    rest = populated.get(streams_path(), params={"limit": "10", "continue": fresh}).json()
    # The continuation reads the latest state: the stream created after the first chunk shows up.
    assert [i["metadata"]["name"] for i in rest["items"]] == ["c", "cc", "d", "e"]


def test_continue_tokens_expire_after_their_lifetime(http: httpx.Client) -> None:
    cluster = FakeCluster(continue_token_ttl=0.0)
    with httpx.Client(transport=cluster.transport(), base_url="http://fake") as client:
        for name in "abc":
            client.post(streams_path(), json=stream_body(name))
        token = client.get(streams_path(), params={"limit": "1"}).json()["metadata"]["continue"]
        assert client.get(streams_path(), params={"limit": "1", "continue": token}).status_code == 410


def test_exact_resource_version_list_reads_the_past(http: httpx.Client) -> None:
    http.post(streams_path(), json=stream_body("a"))
    rv = http.get(streams_path()).json()["metadata"]["resourceVersion"]
    http.post(streams_path(), json=stream_body("b"))
    http.delete(streams_path(name="a"))
    past = http.get(streams_path(), params={"resourceVersion": rv, "resourceVersionMatch": "Exact"})
    assert _names(past) == ["a"]
    assert past.json()["metadata"]["resourceVersion"] == rv
    assert _names(http.get(streams_path(), params={"resourceVersion": rv, "limit": "5"})) == ["a"]
    assert _names(http.get(streams_path(), params={"resourceVersion": rv})) == ["b"]  # not older than
    assert _names(http.get(streams_path(), params={"resourceVersion": "0"})) == ["b"]


def test_exact_list_after_compaction_is_410(cluster: FakeCluster, http: httpx.Client) -> None:
    http.post(streams_path(), json=stream_body("a"))
    rv = http.get(streams_path()).json()["metadata"]["resourceVersion"]
    http.post(streams_path(), json=stream_body("b"))
    cluster.faults.compact_history()
    response = http.get(streams_path(), params={"resourceVersion": rv, "resourceVersionMatch": "Exact"})
    assert response.status_code == 410
    assert response.json()["message"] == "The resourceVersion for the provided list is too old."


def test_future_resource_version_is_504(http: httpx.Client) -> None:
    response = http.get(streams_path(), params={"resourceVersion": "999999"})
    assert response.status_code == 504
    status = response.json()
    assert status["reason"] == "Timeout"
    assert status["message"].startswith("Timeout: Too large resource version: 999999, current: ")
    assert response.headers["Retry-After"] == "1"


@pytest.mark.parametrize(("params", "fragment"), [
    ({"resourceVersionMatch": "Exact"}, "resourceVersionMatch is forbidden unless resourceVersion is provided"),
    ({"resourceVersionMatch": "Exact", "resourceVersion": "0"}, 'resourceVersionMatch "exact" is forbidden'),
    ({"resourceVersionMatch": "Sometimes", "resourceVersion": "1"}, "Unsupported value"),
    ({"sendInitialEvents": "true"}, "sendInitialEvents is forbidden for list"),
])
def test_invalid_list_options_are_422(http: httpx.Client, params: dict[str, str], fragment: str) -> None:
    response = http.get(streams_path(), params=params)
    assert response.status_code == 422
    status = response.json()
    assert status["message"].startswith('ListOptions.meta.k8s.io "" is invalid: ')
    assert fragment in status["message"]


def test_match_with_continue_is_422(populated: httpx.Client) -> None:
    token = populated.get(streams_path(), params={"limit": "1"}).json()["metadata"]["continue"]
    response = populated.get(streams_path(), params={"continue": token, "resourceVersionMatch": "NotOlderThan"})
    assert response.status_code == 422
    assert "resourceVersionMatch is forbidden when continue is provided" in response.json()["message"]


def test_bad_limit_is_400(http: httpx.Client) -> None:
    assert http.get(streams_path(), params={"limit": "ten"}).status_code == 400


def test_cluster_scoped_paging(http: httpx.Client) -> None:
    for index in range(7):
        http.post(images_path(), json=image_body(digest(index)))
    names: list[str] = []
    token = ""
    while True:
        params = {"limit": "3", **({"continue": token} if token else {})}
        page = http.get(images_path(), params=params).json()
        names += [item["metadata"]["name"] for item in page["items"]]
        token = page["metadata"].get("continue", "")
        if not token:
            break
    assert names == [digest(index) for index in range(7)]


# -- lists the watch cache serves: limit ignored (cacher.shouldDelegateList, before KEP-4988) ---------


@pytest.mark.parametrize("params", [
    {"resourceVersion": "0", "limit": "2"},                                   # client-go's first list
    {"resourceVersion": "1", "resourceVersionMatch": "NotOlderThan", "limit": "2"},
    {"resourceVersion": "0", "resourceVersionMatch": "NotOlderThan", "limit": "2"},
])
def test_a_list_the_watch_cache_serves_ignores_limit(populated: httpx.Client, params: dict[str, str]) -> None:
    current = populated.get(streams_path()).json()["metadata"]["resourceVersion"]
    answer = populated.get(streams_path(), params=params)
    assert _names(answer) == ["a", "b", "c", "d", "e"]
    metadata = answer.json()["metadata"]
    assert metadata == {"resourceVersion": current}  # the cache's revision; no continue, no remaining count


def test_lists_delegated_to_storage_still_page(populated: httpx.Client) -> None:
    rv = populated.get(streams_path()).json()["metadata"]["resourceVersion"]
    for params in ({"limit": "2"}, {"resourceVersion": rv, "limit": "2"},
                   {"resourceVersion": rv, "resourceVersionMatch": "Exact", "limit": "2"}):
        page = populated.get(streams_path(), params=params).json()
        assert [i["metadata"]["name"] for i in page["items"]] == ["a", "b"], params
        assert page["metadata"]["continue"], params
        assert page["metadata"]["remainingItemCount"] == 3, params


def test_a_watch_cache_list_applies_selectors_and_scope(populated: httpx.Client) -> None:
    params = {"resourceVersion": "0", "limit": "1", "labelSelector": "team=x"}
    assert _names(populated.get(streams_path(), params=params)) == ["a", "c", "e"]
    everywhere = populated.get(f"{GROUP_PATH}/imagestreams", params=params)
    assert [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in everywhere.json()["items"]] == \
        [("ns0", "z"), ("ns1", "a"), ("ns1", "c"), ("ns1", "e")]


def test_a_watch_cache_list_sends_the_same_bytes_as_a_storage_list(populated: httpx.Client) -> None:
    """The watch cache joins kept item encodings: the body must be byte for byte what the storage
    path renders, also after a write changed one object (its kept bytes must not be reused)."""
    for _ in range(2):
        cached = populated.get(streams_path(), params={"resourceVersion": "0", "limit": "1"})
        assert cached.content == populated.get(streams_path()).content
        assert cached.headers["content-type"] == "application/json"
        populated.patch(streams_path(name="c"), json={"metadata": {"labels": {"changed": "yes"}}},
                        headers={"Content-Type": "application/merge-patch+json"})
    after = populated.get(streams_path(), params={"resourceVersion": "0"}).json()
    assert after["items"][2]["metadata"]["labels"]["changed"] == "yes"


def test_a_watch_cache_list_ahead_of_the_server_is_504(http: httpx.Client) -> None:
    response = http.get(streams_path(), params={"resourceVersion": "999999", "resourceVersionMatch": "NotOlderThan",
                                                "limit": "5"})
    assert response.status_code == 504
    assert response.json()["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge"
