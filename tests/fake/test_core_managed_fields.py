"""``metadata.managedFields`` and server-side apply ownership (conflicts, removal of dropped fields)."""

from __future__ import annotations

from typing import Any

import httpx
from _core_helpers import stream_body, streams_path

APPLY = {"Content-Type": "application/apply-patch+yaml"}
MERGE = {"Content-Type": "application/merge-patch+json"}


def _entries(obj: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(entry["manager"], entry["operation"]): entry for entry in obj["metadata"].get("managedFields", [])}


def _config(labels: dict[str, str], tags: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
                            "metadata": {"name": "app", "labels": labels}}
    if tags is not None:
        body["spec"] = {"tags": [{"name": tag, "from": {"kind": "DockerImage", "name": f"quay.io/x/app:{tag}"}}
                                 for tag in tags]}
    return body


def _apply(http: httpx.Client, config: dict[str, Any], manager: str = "deployer", force: bool = False) -> httpx.Response:
    params = {"fieldManager": manager, **({"force": "true"} if force else {})}
    return http.patch(streams_path(name="app"), json=config, headers=APPLY, params=params)


def test_create_records_an_update_entry(http: httpx.Client) -> None:
    created = http.post(streams_path(), json=stream_body("app", labels={"team": "a"}),
                        params={"fieldManager": "creator"}).json()
    entry = _entries(created)[("creator", "Update")]
    assert entry["apiVersion"] == "image.openshift.io/v1"
    assert entry["fieldsType"] == "FieldsV1"
    # An Update owns the map it added, too ("."), as the server records it.
    assert entry["fieldsV1"]["f:metadata"]["f:labels"] == {".": {}, "f:team": {}}
    assert "f:status" not in entry["fieldsV1"]  # the main resource does not own status
    assert entry["time"].endswith("Z")


def test_manager_defaults_to_the_user_agent_product(http: httpx.Client) -> None:
    created = http.post(streams_path(), json=stream_body("app"), headers={"User-Agent": "my-tool/1.2 (linux)"}).json()
    assert ("my-tool", "Update") in _entries(created)


def test_an_update_takes_over_the_fields_it_changes(http: httpx.Client) -> None:
    http.post(streams_path(), json=stream_body("app", labels={"team": "a", "tier": "web"}),
              params={"fieldManager": "creator"})
    changed = http.patch(streams_path(name="app"), json={"metadata": {"labels": {"team": "b"}}}, headers=MERGE,
                         params={"fieldManager": "editor"}).json()
    entries = _entries(changed)
    assert entries[("editor", "Update")]["fieldsV1"]["f:metadata"]["f:labels"] == {"f:team": {}}
    # The creator keeps the label map itself (it added it) and the label nobody else changed.
    assert entries[("creator", "Update")]["fieldsV1"]["f:metadata"]["f:labels"] == {".": {}, "f:tier": {}}


def test_apply_removes_fields_it_no_longer_applies(http: httpx.Client) -> None:
    assert _apply(http, _config({"team": "a", "tier": "web"}, ["v1", "v2"])).status_code == 201
    applied = _apply(http, _config({"team": "a"}, ["v1"]))
    assert applied.status_code == 200, applied.text
    stream = applied.json()
    assert stream["metadata"]["labels"] == {"team": "a"}
    assert [tag["name"] for tag in stream["spec"]["tags"]] == ["v1"]
    fields = _entries(stream)[("deployer", "Apply")]["fieldsV1"]
    assert 'k:{"name":"v1"}' in fields["f:spec"]["f:tags"]
    assert 'k:{"name":"v2"}' not in fields["f:spec"]["f:tags"]


def test_apply_keeps_dropped_fields_another_manager_also_owns(http: httpx.Client) -> None:
    _apply(http, _config({"team": "a", "tier": "web"}))
    http.patch(streams_path(name="app"), json={"metadata": {"labels": {"tier": "db"}}}, headers=MERGE,
               params={"fieldManager": "editor"})
    stream = _apply(http, _config({"team": "a"})).json()
    assert stream["metadata"]["labels"] == {"team": "a", "tier": "db"}


def test_apply_conflicts_with_another_manager_unless_forced(http: httpx.Client) -> None:
    http.post(streams_path(), json=stream_body("app"), params={"fieldManager": "creator"})
    http.patch(streams_path(name="app"), json={"metadata": {"labels": {"team": "ops"}}}, headers=MERGE,
               params={"fieldManager": "kubectl-label"})
    refused = _apply(http, _config({"team": "dev"}))
    assert refused.status_code == 409
    status = refused.json()
    assert status["reason"] == "Conflict"
    assert status["message"] == ('Apply failed with 1 conflict: conflict with "kubectl-label" using '
                                 "image.openshift.io/v1: .metadata.labels.team")
    assert status["details"]["causes"] == [{"reason": "FieldManagerConflict", "field": ".metadata.labels.team",
                                            "message": 'conflict with "kubectl-label" using image.openshift.io/v1'}]
    assert http.get(streams_path(name="app")).json()["metadata"]["labels"] == {"team": "ops"}
    forced = _apply(http, _config({"team": "dev"}), force=True)
    assert forced.status_code == 200
    assert forced.json()["metadata"]["labels"] == {"team": "dev"}
    # The forced field moves; the label map the other manager added stays its own.
    entries = _entries(forced.json())
    assert entries[("kubectl-label", "Update")]["fieldsV1"] == {"f:metadata": {"f:labels": {}}}
    assert entries[("deployer", "Apply")]["fieldsV1"]["f:metadata"]["f:labels"] == {"f:team": {}}


def test_applying_the_same_value_is_shared_ownership(http: httpx.Client) -> None:
    http.post(streams_path(), json=stream_body("app", labels={"team": "ops"}), params={"fieldManager": "creator"})
    agreed = _apply(http, _config({"team": "ops"}))
    assert agreed.status_code == 200
    entries = _entries(agreed.json())
    assert "f:team" in entries[("creator", "Update")]["fieldsV1"]["f:metadata"]["f:labels"]
    assert "f:team" in entries[("deployer", "Apply")]["fieldsV1"]["f:metadata"]["f:labels"]


def test_status_writes_are_entries_of_their_own_subresource(http: httpx.Client) -> None:
    http.post(streams_path(), json=stream_body("app"), params={"fieldManager": "creator"})
    status = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream", "metadata": {"name": "app"},
              "status": {"tags": [{"tag": "v1", "items": [{"created": "2024-05-02T09:12:44Z", "generation": 1,
                                                           "dockerImageReference": "quay.io/x/app@sha256:" + "a" * 64,
                                                           "image": "sha256:" + "a" * 64}]}]}}
    applied = http.patch(streams_path(name="app") + "/status", json=status, headers=APPLY,
                         params={"fieldManager": "status-writer"}).json()
    entry = next(entry for entry in applied["metadata"]["managedFields"] if entry["manager"] == "status-writer")
    assert entry["subresource"] == "status" and entry["operation"] == "Apply"
    assert set(entry["fieldsV1"]) == {"f:status"}
    assert 'k:{"tag":"v1"}' in entry["fieldsV1"]["f:status"]["f:tags"]


def test_an_update_that_takes_nothing_keeps_its_time_and_an_empty_entry_list_clears(http: httpx.Client) -> None:
    created = http.post(streams_path(), json=stream_body("app", labels={"team": "a"}),
                        params={"fieldManager": "creator"}).json()
    original = _entries(created)[("creator", "Update")]
    created["metadata"]["labels"]["tier"] = "web"
    changed = http.put(streams_path(name="app"), json=created, params={"fieldManager": "editor"}).json()
    assert _entries(changed)[("creator", "Update")] == original  # it lost nothing, so nothing moved
    # A client may replace managedFields; [{}] leaves only what this write itself changes.
    changed["metadata"]["managedFields"] = [{}]
    changed["metadata"]["labels"]["tier"] = "db"
    cleared = http.put(streams_path(name="app"), json=changed, params={"fieldManager": "editor"}).json()
    assert set(_entries(cleared)) == {("editor", "Update")}
    assert _entries(cleared)[("editor", "Update")]["fieldsV1"] == {"f:metadata": {"f:labels": {"f:tier": {}}}}
