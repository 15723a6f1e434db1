"""Server-side apply of real-world documents through the client: leaf-level ownership, shared fields,
exact conflicts, force, removal of dropped fields, and writes that change nothing.

The documents (``data/``) have the shapes OpenShift users write and servers return: a
samples-operator-like stream with many annotated tags, a tracking tag, ``referencePolicy``,
``importPolicy`` and ``generation: null``; an ImageStreamList as ``oc get is -o yaml`` prints it, with
server-set metadata, defaults and status blocks.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from imageapi import Client, ConflictError, manifests
from imageapi.testing import FakeCluster

DATA = Path(__file__).parent / "data"
NAMESPACE = "openshift"
GROUP_VERSION = "image.openshift.io/v1"


def _document(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DATA / name).read_text())
    return loaded


def _wire(obj: Any) -> dict[str, Any]:
    data: dict[str, Any] = obj.to_dict()
    return data


def _entries(obj: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(entry["manager"], entry["operation"]): entry for entry in obj["metadata"].get("managedFields", [])}


def _tag(stream: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(tag for tag in stream["spec"]["tags"] if tag["name"] == name)
    return found


def _tag_fields(entry: dict[str, Any], tag: str) -> dict[str, Any]:
    fields: dict[str, Any] = entry["fieldsV1"]["f:spec"]["f:tags"][f'k:{{"name":"{tag}"}}']
    return fields


@pytest.fixture
def client(cluster: FakeCluster) -> Iterator[Client]:
    # The images the samples point at, so the import controller fills status as on a live cluster.
    for repository in ("ubi8/nodejs-18", "ubi8/nodejs-16", "ubi8/nodejs-18-minimal"):
        cluster.registry.add_image(f"registry.access.redhat.com/{repository}:latest")
    with cluster.client(namespace=NAMESPACE) as opened:
        yield opened


@pytest.fixture
def nodejs(client: Client) -> dict[str, Any]:
    """The samples stream, created by the samples operator (an Update manager)."""
    created = client.image_streams.create(_document("nodejs-imagestream.yaml"), field_manager="cluster-samples-operator")
    return _wire(created)


def _apply(client: Client, body: dict[str, Any], manager: str = "gitops", force: bool = False) -> dict[str, Any]:
    return _wire(client.image_streams.patch(body["metadata"]["name"], body, type="apply", field_manager=manager,
                                            force=force))


def test_reapplying_equal_values_as_a_second_manager_shares_the_fields(client: Client, nodejs: dict[str, Any]) -> None:
    live = _wire(client.image_streams.get("nodejs"))
    applied = _apply(client, _document("nodejs-imagestream.yaml"))
    entries = _entries(applied)
    operator, gitops = entries[("cluster-samples-operator", "Update")], entries[("gitops", "Apply")]
    for entry in (operator, gitops):
        # Both own the leaves: the atomic `from`, the policies' fields, every annotation.
        tag = _tag_fields(entry, "18-ubi8")
        assert "f:from" in tag and "f:type" in tag["f:referencePolicy"]
        assert "f:iconClass" in tag["f:annotations"]
        assert "f:openshift.io/display-name" in entry["fieldsV1"]["f:metadata"]["f:annotations"]
    # The applied configuration owns its leaves and elements, never the objects around them.
    assert "." not in gitops["fieldsV1"]["f:spec"]["f:tags"]
    assert _tag_fields(gitops, "latest")["."] == {}
    assert "f:status" not in gitops["fieldsV1"]
    assert "." in _tag_fields(operator, "latest")["f:referencePolicy"]  # an Update owns what it added
    assert applied["spec"] == live["spec"] and applied["status"] == live["status"]
    assert int(applied["metadata"]["resourceVersion"]) == int(live["metadata"]["resourceVersion"]) + 1


def test_a_changed_value_conflicts_on_the_leaf_with_the_servers_message(client: Client,
                                                                         nodejs: dict[str, Any]) -> None:
    before = _wire(client.image_streams.get("nodejs"))
    changed = _document("nodejs-imagestream.yaml")
    changed["spec"]["tags"][0]["from"]["name"] = "registry.access.redhat.com/ubi9/nodejs-18:latest"
    with pytest.raises(ConflictError) as raised:
        _apply(client, changed)
    error = raised.value
    assert error.code == 409 and error.reason == "Conflict"
    assert error.message == ('Apply failed with 1 conflict: conflict with "cluster-samples-operator" using '
                             'image.openshift.io/v1: .spec.tags[name="18-ubi8"].from')
    assert [(cause.reason, cause.field, cause.message) for cause in error.causes] == [
        ("FieldManagerConflict", '.spec.tags[name="18-ubi8"].from',
         'conflict with "cluster-samples-operator" using image.openshift.io/v1')]
    assert _wire(client.image_streams.get("nodejs")) == before


def test_several_conflicts_are_grouped_by_manager_in_field_order(client: Client, nodejs: dict[str, Any]) -> None:
    changed = _document("nodejs-imagestream.yaml")
    changed["metadata"]["labels"]["samples.operator.openshift.io/managed"] = "false"
    changed["spec"]["tags"][1]["referencePolicy"]["type"] = "Source"
    changed["spec"]["tags"][1]["from"]["name"] = "registry.access.redhat.com/ubi8/nodejs-16:1-100"
    with pytest.raises(ConflictError) as raised:
        _apply(client, changed)
    assert raised.value.message == (
        'Apply failed with 3 conflicts: conflicts with "cluster-samples-operator" using image.openshift.io/v1:\n'
        '- .metadata.labels.samples.operator.openshift.io/managed\n'
        '- .spec.tags[name="16-ubi8"].from\n'
        '- .spec.tags[name="16-ubi8"].referencePolicy.type')
    assert [cause.field for cause in raised.value.causes] == [
        ".metadata.labels.samples.operator.openshift.io/managed", '.spec.tags[name="16-ubi8"].from',
        '.spec.tags[name="16-ubi8"].referencePolicy.type']


def test_force_moves_the_ownership_of_the_changed_fields_only(client: Client, nodejs: dict[str, Any]) -> None:
    changed = _document("nodejs-imagestream.yaml")
    changed["spec"]["tags"][0]["from"]["name"] = "registry.access.redhat.com/ubi9/nodejs-18:latest"
    forced = _apply(client, changed, force=True)
    assert _tag(forced, "18-ubi8")["from"]["name"] == "registry.access.redhat.com/ubi9/nodejs-18:latest"
    entries = _entries(forced)
    operator = _tag_fields(entries[("cluster-samples-operator", "Update")], "18-ubi8")
    assert "f:from" not in operator and "f:referencePolicy" in operator
    assert "f:from" in _tag_fields(entries[("gitops", "Apply")], "18-ubi8")


def test_a_second_apply_is_checked_against_the_new_owner(client: Client, nodejs: dict[str, Any]) -> None:
    changed = _document("nodejs-imagestream.yaml")
    changed["spec"]["tags"][0]["from"]["name"] = "registry.access.redhat.com/ubi9/nodejs-18:latest"
    _apply(client, changed, force=True)
    with pytest.raises(ConflictError) as raised:
        _apply(client, _document("nodejs-imagestream.yaml"), manager="rollback")
    # An Apply manager is named without an apiVersion.
    assert raised.value.message == ('Apply failed with 1 conflict: conflict with "gitops": '
                                    '.spec.tags[name="18-ubi8"].from')


def test_apply_removes_what_it_no_longer_applies_unless_another_manager_owns_it(client: Client) -> None:
    document = _document("nodejs-imagestream.yaml")
    _apply(client, document)
    trimmed = copy.deepcopy(document)
    trimmed["spec"]["tags"] = [tag for tag in trimmed["spec"]["tags"] if tag["name"] != "16-ubi8"]
    del trimmed["metadata"]["annotations"]["samples.operator.openshift.io/version"]
    stream = _apply(client, trimmed)
    assert [tag["name"] for tag in stream["spec"]["tags"]] == ["18-ubi8", "18-ubi8-minimal", "latest"]
    assert "samples.operator.openshift.io/version" not in stream["metadata"]["annotations"]

    # Shared with an Update manager, a dropped annotation stays.
    client.image_streams.patch("nodejs", {"metadata": {"annotations": {"owner": "team-a"}}}, field_manager="oc")
    _apply(client, {**trimmed, "metadata": {**trimmed["metadata"],
                                            "annotations": {**trimmed["metadata"]["annotations"], "owner": "team-a"}}})
    kept = _apply(client, trimmed)
    assert kept["metadata"]["annotations"]["owner"] == "team-a"


def test_applying_one_document_twice_is_a_no_op(cluster: FakeCluster, client: Client) -> None:
    _apply(client, _document("nodejs-imagestream.yaml"))
    # The import controller writes status after the apply; what the second apply meets is this.
    first = _wire(client.image_streams.get("nodejs"))
    revision = cluster.resource_version
    second = _apply(client, _document("nodejs-imagestream.yaml"))
    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert second["metadata"]["managedFields"] == first["metadata"]["managedFields"]
    assert cluster.resource_version == revision  # no write, so no watch event either


def test_writes_that_change_nothing_keep_the_revision_and_times_and_emit_no_event(
        cluster: FakeCluster, client: Client, nodejs: dict[str, Any]) -> None:
    nodejs = _wire(client.image_streams.get("nodejs"))
    revision = nodejs["metadata"]["resourceVersion"]
    replaced = _wire(client.image_streams.replace(nodejs, field_manager="editor"))
    merged = _wire(client.image_streams.patch("nodejs", {"metadata": {"labels": dict(nodejs["metadata"]["labels"])}},
                                              field_manager="editor"))
    strategic = _wire(client.image_streams.patch("nodejs", {"spec": {"tags": [{"name": "latest", "importPolicy": {}}]}},
                                                 type="strategic", field_manager="editor"))
    for written in (replaced, merged, strategic):
        assert written["metadata"]["resourceVersion"] == revision
        assert written["metadata"]["managedFields"] == nodejs["metadata"]["managedFields"]
    # A real change afterwards is the first event a watch from the old revision sees.
    with client.image_streams.watch(resource_version=revision) as watcher:
        client.image_streams.patch("nodejs", {"metadata": {"labels": {"tier": "samples"}}}, field_manager="editor")
        event = next(iter(watcher))
    assert event.type == "MODIFIED" and event.object.metadata.labels["tier"] == "samples"
    assert int(event.object.metadata.resource_version) == int(revision) + 1
    assert ("editor", "Update") in _entries(_wire(event.object))


def test_an_update_takes_only_the_fields_it_changed(client: Client, nodejs: dict[str, Any]) -> None:
    edited = _wire(client.image_streams.get("nodejs"))
    _tag(edited, "16-ubi8")["annotations"]["description"] = "Node.js 16, patched"
    written = _wire(client.image_streams.replace(edited, field_manager="editor"))
    entries = _entries(written)
    assert entries[("editor", "Update")]["fieldsV1"] == {
        "f:spec": {"f:tags": {'k:{"name":"16-ubi8"}': {"f:annotations": {"f:description": {}}}}}}
    assert "f:description" not in _tag_fields(entries[("cluster-samples-operator", "Update")], "16-ubi8")["f:annotations"]


def _recreate_export(client: Client) -> None:
    for item in _document("imagestream-list.yaml")["items"]:
        # Re-created from the export: what the server set on the old cluster has to go.
        for key in ("resourceVersion", "uid", "creationTimestamp", "generation"):
            item["metadata"].pop(key)
        client.image_streams.create(item, field_manager="oc")


def test_applying_a_live_export_as_a_second_manager_never_conflicts(client: Client) -> None:
    # `oc get is -o yaml | oc apply --server-side -f -`: server-set metadata, defaults and status
    # blocks as the server returns them; the applier takes none of status, and equal values are shared.
    _recreate_export(client)
    exported = manifests.dump(list(client.image_streams.list()))
    applied = manifests.apply(client, manifests.load(exported), field_manager="gitops")
    assert [stream.metadata.name for stream in applied] == ["httpd", "tools"]
    for stream in applied:
        entries = _entries(_wire(stream))
        assert "f:status" not in entries[("gitops", "Apply")]["fieldsV1"]
        assert ("oc", "Update") in entries
    again = manifests.apply(client, manifests.load(exported), field_manager="gitops")
    assert [stream.metadata.resource_version for stream in again] == [
        stream.metadata.resource_version for stream in applied]


def test_an_export_from_another_cluster_conflicts_only_on_what_that_server_set(client: Client) -> None:
    _recreate_export(client)
    with pytest.raises(ConflictError) as raised:
        manifests.apply(client, manifests.load((DATA / "imagestream-list.yaml").read_text()), field_manager="gitops")
    # The other cluster's tag generation and import-check time differ from this one's; the defaults,
    # the policies and the status block do not conflict.
    assert raised.value.message == (
        'Apply failed with 2 conflicts: conflicts with "oc" using image.openshift.io/v1:\n'
        "- .metadata.annotations.openshift.io/image.dockerRepositoryCheck\n"
        '- .spec.tags[name="latest"].generation')


def test_an_object_nobody_tracked_conflicts_with_before_first_apply(cluster: FakeCluster, client: Client) -> None:
    stream = _document("nodejs-imagestream.yaml")
    cluster.create("imagestreams", stream, namespace=NAMESPACE)
    stored = cluster.get("imagestreams", "nodejs", namespace=NAMESPACE)
    stored["metadata"].pop("managedFields", None)
    cluster.store.update("imagestreams", NAMESPACE, stored)
    changed = _document("nodejs-imagestream.yaml")
    changed["spec"]["tags"][3]["referencePolicy"]["type"] = "Source"
    with pytest.raises(ConflictError) as raised:
        _apply(client, changed)
    assert raised.value.message == ('Apply failed with 1 conflict: conflict with "before-first-apply" using '
                                    'image.openshift.io/v1: .spec.tags[name="latest"].referencePolicy.type')


@pytest.mark.anyio
async def test_async_client_shares_then_conflicts(cluster: FakeCluster) -> None:
    async with cluster.async_client(namespace=NAMESPACE) as aclient:
        await aclient.image_streams.create(_document("nodejs-imagestream.yaml"), field_manager="operator")
        shared = await aclient.image_streams.patch("nodejs", _document("nodejs-imagestream.yaml"), type="apply",
                                                   field_manager="gitops")
        assert ("gitops", "Apply") in _entries(_wire(shared))
        changed = _document("nodejs-imagestream.yaml")
        changed["spec"]["tags"][2]["importPolicy"] = {"importMode": "PreserveOriginal"}
        with pytest.raises(ConflictError) as raised:
            await aclient.image_streams.patch("nodejs", changed, type="apply", field_manager="gitops")
    assert raised.value.message == ('Apply failed with 1 conflict: conflict with "operator" using '
                                    'image.openshift.io/v1: .spec.tags[name="18-ubi8-minimal"].importPolicy.importMode')
