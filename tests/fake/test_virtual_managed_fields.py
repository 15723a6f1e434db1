"""Writes through the virtual resources leave the stream's managedFields as they were (server-semantics.md §2).

The istag and itag REST code writes the stream through the internal registry, below the handlers
that maintain managedFields, so neither an edit of an existing stream nor a stream started by a
virtual write gets a managedFields entry, whatever fieldManager or User-Agent the request carries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from _core_helpers import GROUP_PATH, stream_body, streams_path

NAMESPACE_PATH = f"{GROUP_PATH}/namespaces/ns1"
MERGE = {"Content-Type": "application/merge-patch+json"}
FIELD_MANAGER = {"fieldManager": "tag-writer"}


def _tag(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "from": {"kind": "DockerImage", "name": f"quay.io/org/app:{name}"}, **extra}


def _managed_fields(http: httpx.Client, name: str = "app") -> Any:
    return http.get(streams_path(name=name)).json()["metadata"].get("managedFields")


def _istag_create(http: httpx.Client) -> httpx.Response:
    return http.post(f"{NAMESPACE_PATH}/imagestreamtags", json={"metadata": {"name": "app:new"}, "tag": _tag("new")},
                     params=FIELD_MANAGER)


def _istag_update(http: httpx.Client) -> httpx.Response:
    body = {"metadata": {"name": "app:v1", "annotations": {"note": "x"}}, "tag": _tag("v1", annotations={"note": "x"})}
    return http.put(f"{NAMESPACE_PATH}/imagestreamtags/app:v1", json=body, params=FIELD_MANAGER)


def _istag_patch(http: httpx.Client) -> httpx.Response:
    return http.patch(f"{NAMESPACE_PATH}/imagestreamtags/app:v1", json={"metadata": {"annotations": {"note": "y"}}},
                      headers=MERGE, params=FIELD_MANAGER)


def _itag_create(http: httpx.Client) -> httpx.Response:
    return http.post(f"{NAMESPACE_PATH}/imagetags", json={"metadata": {"name": "app:other"}, "spec": _tag("other")},
                     params=FIELD_MANAGER)


def _itag_update(http: httpx.Client) -> httpx.Response:
    itag = http.get(f"{NAMESPACE_PATH}/imagetags/app:v1").json()
    itag["spec"]["from"]["name"] = "quay.io/org/app:v1-fixed"
    return http.put(f"{NAMESPACE_PATH}/imagetags/app:v1", json=itag, params=FIELD_MANAGER)


def _istag_delete(http: httpx.Client) -> httpx.Response:
    return http.delete(f"{NAMESPACE_PATH}/imagestreamtags/app:v1")


def _itag_delete(http: httpx.Client) -> httpx.Response:
    return http.delete(f"{NAMESPACE_PATH}/imagetags/app:v1")


@pytest.mark.parametrize("write", [_istag_create, _istag_update, _istag_patch, _itag_create, _itag_update,
                                   _istag_delete, _itag_delete])
def test_virtual_write_leaves_stream_managed_fields_unchanged(http: httpx.Client,
                                                               write: Callable[[httpx.Client], httpx.Response]) -> None:
    created = http.post(streams_path(), json=stream_body("app", labels={"team": "x"}, tags=[_tag("v1")]),
                        params={"fieldManager": "creator"})
    assert created.status_code == 201
    before = created.json()["metadata"]["managedFields"]
    assert [entry["manager"] for entry in before] == ["creator"]
    response = write(http)
    assert response.status_code in (200, 201), response.text
    stream = http.get(streams_path(name="app")).json()
    assert stream["metadata"]["resourceVersion"] != created.json()["metadata"]["resourceVersion"]  # it did write
    assert stream["metadata"]["managedFields"] == before


def test_direct_write_by_another_manager_does_change_them(http: httpx.Client) -> None:
    # The control for the test above: the same change made on the stream itself is recorded.
    http.post(streams_path(), json=stream_body("app", tags=[_tag("v1")]), params={"fieldManager": "creator"})
    patched = http.patch(streams_path(name="app"), json={"spec": {"tags": [_tag("new")]}},
                         headers={"Content-Type": "application/strategic-merge-patch+json"}, params=FIELD_MANAGER)
    assert patched.status_code == 200
    assert {entry["manager"] for entry in patched.json()["metadata"]["managedFields"]} == {"creator", "tag-writer"}


@pytest.mark.parametrize(("resource", "body"), [
    ("imagestreamtags", {"metadata": {"name": "fresh:v1"}, "tag": _tag("v1")}),
    ("imagetags", {"metadata": {"name": "fresh:v1"}, "spec": _tag("v1")}),
])
def test_stream_started_by_a_virtual_write_has_no_managed_fields(http: httpx.Client, resource: str,
                                                                 body: dict[str, Any]) -> None:
    response = http.post(f"{NAMESPACE_PATH}/{resource}", json=body, params=FIELD_MANAGER)
    assert response.status_code == 201
    assert _managed_fields(http, "fresh") is None
