"""Manifests: YAML/JSON files to typed models and back, server-side apply, errors at file:line:column."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import anyio
import pytest
import yaml

from imageapi import manifests
from imageapi.errors import ConflictError
from imageapi.manifests import ManifestError, YAMLSyntaxError, parse_yaml
from imageapi.models import ImageStream, ImageStreamMapping, ImageTag
from imageapi.testing import FakeCluster

# What `oc get is -o yaml` prints for a stream tracking a tag, and a tag object, in one file.
OC_GET_YAML = """\
apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  annotations:
    openshift.io/image.dockerRepositoryCheck: "2024-05-01T10:00:00Z"
  creationTimestamp: "2024-05-01T09:59:58Z"
  generation: 2
  labels:
    app: web
  managedFields:
  - apiVersion: image.openshift.io/v1
    fieldsType: FieldsV1
    fieldsV1:
      f:spec:
        f:tags: {}
    manager: oc
    operation: Update
    time: "2024-05-01T09:59:58Z"
  name: web
  namespace: demo
  resourceVersion: "4711"
  uid: 0b6c5f0e-1111-4222-8333-944444444444
spec:
  lookupPolicy:
    local: false
  tags:
  - annotations: null
    from:
      kind: DockerImage
      name: quay.io/example/web:1.0
    generation: 2
    importPolicy:
      importMode: Legacy
    name: "1.0"
    referencePolicy:
      type: Source
  - annotations: null
    from:
      kind: ImageStreamTag
      name: web:1.0
    generation: 1
    importPolicy: {}
    name: latest
    referencePolicy:
      type: Local
status:
  dockerImageRepository: image-registry.openshift-image-registry.svc:5000/demo/web
  tags:
  - items:
    - created: "2024-05-01T10:00:00Z"
      dockerImageReference: quay.io/example/web@sha256:aaaa
      generation: 2
      image: sha256:aaaa
    tag: "1.0"
---
# a second document, after a comment
apiVersion: image.openshift.io/v1
kind: ImageTag
metadata:
  name: web:stable
spec:
  name: stable
  from: {kind: ImageStreamTag, name: "web:1.0"}
...
"""


def test_realistic_documents_become_typed_models() -> None:
    web, tag = manifests.load(OC_GET_YAML, path="web.yaml")
    assert isinstance(web, ImageStream) and isinstance(tag, ImageTag)
    assert web.metadata is not None and web.metadata.name == "web"
    assert web.metadata.creation_timestamp == datetime(2024, 5, 1, 9, 59, 58, tzinfo=timezone.utc)
    # Timestamps in free-form maps stay the strings they were (PyYAML would make them datetimes).
    assert web.metadata.annotations == {"openshift.io/image.dockerRepositoryCheck": "2024-05-01T10:00:00Z"}
    assert web.spec is not None and web.spec.tags is not None
    assert [t.name for t in web.spec.tags] == ["1.0", "latest"]
    assert web.spec.tags[0].annotations is None  # explicit nulls kept
    assert tag.spec is not None and tag.spec.from_ is not None and tag.spec.from_.name == "web:1.0"


def test_list_kinds_are_flattened_and_items_typed_by_the_list() -> None:
    # `oc get is,istag -o yaml` writes a v1 List; typed lists from the API omit their items' kinds.
    text = yaml.safe_dump({
        "apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
        "items": [
            {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream", "metadata": {"name": "a"}},
            {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamList", "metadata": {},
             "items": [{"metadata": {"name": "b"}}, {"metadata": {"name": "c"}}]},
            {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag", "metadata": {"name": "a:1"},
             "tag": None, "generation": 0, "lookupPolicy": {"local": False}},
        ],
    })
    objects = manifests.load(text)
    assert [type(o).__name__ for o in objects] == ["ImageStream", "ImageStream", "ImageStream", "ImageStreamTag"]
    assert [o.metadata.name for o in objects if o.metadata] == ["a", "b", "c", "a:1"]  # type: ignore[attr-defined]
    assert objects[1].to_dict()["kind"] == "ImageStream"


def test_json_files_load_including_tab_indented_ones(tmp_path: Path) -> None:
    path = tmp_path / "streams.json"
    path.write_text(json.dumps({"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamList",
                                "items": [{"metadata": {"name": "x"}, "spec": {"tags": None}}]}, indent="\t"))
    [stream] = manifests.load_file(path)
    assert isinstance(stream, ImageStream) and stream.metadata is not None and stream.metadata.name == "x"


@pytest.mark.parametrize(
    ("text", "where", "fragment"),
    [
        # a bad value: the position of the value itself
        ("apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: web\nspec:\n"
         "  tags:\n  - name: a\n    generation: many\n", "m.yaml:8:17", "ImageStream spec.tags[0].generation"),
        ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n", "m.yaml:2:7", "unknown kind 'Deployment'"),
        ("kind: ImageStream\nmetadata: {name: x}\n", "m.yaml:1:1", "no apiVersion"),
        ("- just\n- a list\n", "m.yaml:1:1", "must be a mapping"),
        ("apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: a\n  name: b\n",
         "m.yaml:5:3", "duplicate key 'name'"),
        ("apiVersion: v1\nkind: List\nitems:\n- kind: ImageStream\n  metadata: {}\n", "m.yaml:4:3", "no apiVersion"),
        ("apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata: {name: [x\n", "m.yaml:3:18",
         "not valid YAML"),
        ('{"apiVersion": "image.openshift.io/v1",\n "kind": "ImageStream",\n "metadata": {"name": 5}}',
         "m.yaml:3:23", "metadata.name"),
        ('{"kind": "ImageStream",,}', "m.yaml:1:24", "not valid JSON"),
    ],
)
def test_errors_point_at_file_line_and_column(text: str, where: str, fragment: str) -> None:
    with pytest.raises(ManifestError) as info:
        manifests.load(text, path="m.yaml")
    assert str(info.value).startswith(where + ": "), str(info.value)
    assert fragment in str(info.value)


def test_unreadable_file_is_a_manifest_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="cannot read the file") as info:
        manifests.load_file(tmp_path / "absent.yaml")
    assert info.value.path == str(tmp_path / "absent.yaml")


def test_parse_yaml_errors_never_quote_the_text() -> None:
    secret = "sha256~do-not-print-me"
    for broken in (f'token: "{secret}\n', f"token: {secret}: x\n", f"a: [{secret}\n"):
        with pytest.raises(YAMLSyntaxError) as info:
            parse_yaml(broken)
        assert secret not in str(info.value)
        assert info.value.line == 1


def test_kubeconfig_reading_is_pyyaml_with_duplicate_keys_refused(tmp_path: Path) -> None:
    from imageapi.config import load_kubeconfig
    from imageapi.errors import ConfigError

    path = tmp_path / "config"
    path.write_text("apiVersion: v1\nclusters:\n- name: a\n  cluster:\n    server: https://a\n    server: https://b\n")
    with pytest.raises(ConfigError, match=r"not valid YAML: line 6, column 5: duplicate key 'server'"):
        load_kubeconfig(path)
    path.write_text("current-context: a\n---\ncurrent-context: b\n")
    with pytest.raises(ConfigError, match="several YAML documents"):
        load_kubeconfig(path)


def test_dump_writes_wire_names_without_managed_fields_and_round_trips() -> None:
    objects = manifests.load(OC_GET_YAML)
    text = manifests.dump(objects)
    assert "managedFields" not in text and "lookupPolicy:" in text and "dockerImageRepository:" in text
    assert "from_" not in text and "lookup_policy" not in text
    again = manifests.load(text)
    assert [o.to_dict() for o in again] == [
        {**o.to_dict(), "metadata": {k: v for k, v in o.to_dict()["metadata"].items() if k != "managedFields"}}
        for o in objects
    ]
    assert "managedFields" in manifests.dump(objects[0], managed_fields=True)
    # Multi-line values are literal blocks: readable, and loaded back the same.
    stream = ImageStream(metadata={"name": "x", "annotations": {"note": "line one\nline two\n"}})
    assert "note: |\n" in manifests.dump(stream)
    assert manifests.load(manifests.dump(stream))[0] == stream


def test_apply_creates_then_updates_through_server_side_apply() -> None:
    cluster = FakeCluster(namespaces=["demo"])
    with cluster.client(namespace="demo") as client:
        stream, _ = manifests.load(OC_GET_YAML)
        [created] = manifests.apply(client, [stream])
        assert isinstance(created, ImageStream) and created.metadata is not None
        managers = {(m.manager, m.operation) for m in created.metadata.managed_fields or []}
        assert ("imageapi", "Apply") in managers
        assert created.metadata.labels == {"app": "web"}
        # The file's status and server-set metadata are not intent: the server's own are kept.
        assert created.metadata.uid != "0b6c5f0e-1111-4222-8333-944444444444"

        changed = manifests.load(OC_GET_YAML.replace("app: web", "app: web2"))[0]
        [updated] = manifests.apply(client, [changed])
        assert updated.metadata is not None and updated.metadata.labels == {"app": "web2"}  # type: ignore[attr-defined]

        dry = manifests.load(OC_GET_YAML.replace("app: web", "app: dry"))[0]
        manifests.apply(client, [dry], dry_run=True)
        stored = client.image_streams.get("web")
        assert stored.metadata is not None and stored.metadata.labels == {"app": "web2"}

        # Another manager owning the label: a conflict unless forced, as kubectl apply.
        other = manifests.load(OC_GET_YAML.replace("app: web", "app: theirs"))[0]
        with pytest.raises(ConflictError):
            manifests.apply(client, [other], field_manager="someone-else")
        [forced] = manifests.apply(client, [other], field_manager="someone-else", force=True)
        assert forced.metadata is not None and forced.metadata.labels == {"app": "theirs"}  # type: ignore[attr-defined]


def test_apply_refuses_what_cannot_be_applied() -> None:
    cluster = FakeCluster(namespaces=["demo", "other"])
    with cluster.client(namespace="demo") as client:
        stream = ImageStream(metadata={"name": "x", "namespace": "other"})
        with pytest.raises(ValueError, match="namespace 'other', not the requested 'demo'"):
            manifests.apply(client, [stream], namespace="demo")
        with pytest.raises(ValueError, match=r"needs metadata\.name"):
            manifests.apply(client, [ImageStream(metadata={})])
        [applied] = manifests.apply(client, [stream])  # the object's own namespace wins without one asked
        assert applied.metadata is not None and applied.metadata.namespace == "other"  # type: ignore[attr-defined]

        with pytest.raises(ValueError, match="ImageStreamMapping objects cannot be applied"):
            manifests.apply(client, [ImageStreamMapping(metadata={"name": "x"})])


def test_apply_async() -> None:
    cluster = FakeCluster(namespaces=["demo"])

    async def main() -> None:
        async with cluster.async_client(namespace="demo") as client:
            [created] = await manifests.apply_async(client, manifests.load(OC_GET_YAML)[:1])
            assert created.metadata is not None and created.metadata.name == "web"  # type: ignore[attr-defined]

    anyio.run(main)
