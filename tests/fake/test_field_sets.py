"""Field sets as structured-merge-diff defines them, on the documents of ``data/``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from imageapi.testing import _discovery
from imageapi.testing import _managed_fields as mf

DATA = Path(__file__).parent / "data"
SETS = mf.FieldSets(_discovery.normalized_schema())


def _documents() -> list[dict[str, Any]]:
    documents = [yaml.safe_load((DATA / "nodejs-imagestream.yaml").read_text())]
    documents += yaml.safe_load((DATA / "imagestream-list.yaml").read_text())["items"]
    documents.append({"kind": "Image", "apiVersion": "image.openshift.io/v1",
                      "metadata": {"name": "sha256:" + "a" * 64, "labels": {}, "finalizers": ["a", "b"],
                                   "ownerReferences": [{"uid": "u1", "kind": "ImageStream", "name": "s"}]},
                      "dockerImageReference": "quay.io/x@sha256:" + "a" * 64,
                      "dockerImageLayers": [{"name": "sha256:" + "b" * 64, "size": 1}],
                      "dockerImageMetadata": {"kind": "DockerImage", "Config": {"Env": ["A=1"]}}})
    return documents


@pytest.mark.parametrize("document", _documents(), ids=lambda doc: str(doc["metadata"]["name"]))
@pytest.mark.parametrize("skip_status", [True, False])
def test_a_creates_tree_is_what_the_comparison_with_nothing_adds(document: dict[str, Any], skip_status: bool) -> None:
    kind, ignored = str(document["kind"]), frozenset({"status"}) if skip_status else frozenset()
    generic = mf.to_fields_v1(SETS.compare(kind, None, document, ignored=ignored).changed)
    assert json.dumps(SETS.created_tree(kind, document, ignored=ignored)) == json.dumps(generic)
    assert mf.from_fields_v1(generic) == SETS.compare(kind, None, document, ignored=ignored).changed


def test_segments_paths_and_fieldsv1_as_the_server_writes_them() -> None:
    image = _documents()[-1]
    added = SETS.compare("Image", None, image, ignored=frozenset()).changed
    assert ("f:metadata", "f:finalizers", 'v:"a"') in added          # a set list: values
    assert ("f:metadata", "f:ownerReferences", 'k:{"uid":"u1"}') in added  # keyed by uid, atomic element
    assert ("f:metadata", "f:ownerReferences", 'k:{"uid":"u1"}', "f:kind") not in added
    assert ("f:dockerImageLayers",) in added                          # no merge strategy: atomic
    assert ("f:dockerImageLayers", "f:name") not in added
    tree = mf.to_fields_v1(added)
    assert list(tree["f:metadata"]) == ["f:finalizers", "f:labels", "f:ownerReferences"]
    assert tree["f:metadata"]["f:finalizers"] == {".": {}, 'v:"a"': {}, 'v:"b"': {}}
    assert mf.dotted(("f:spec", "f:tags", 'k:{"name":"1.0"}', "f:from")) == '.spec.tags[name="1.0"].from'
    assert mf.dotted(("f:metadata", "f:finalizers", 'v:"a"')) == '.metadata.finalizers[="a"]'


def test_an_applied_configuration_owns_leaves_and_elements_only() -> None:
    stream = _documents()[0]
    applied = SETS.applied("ImageStream", stream, ignored=frozenset({"status"}))
    tag = ("f:spec", "f:tags", 'k:{"name":"latest"}')
    assert tag in applied and (*tag, "f:from") in applied and (*tag, "f:referencePolicy", "f:type") in applied
    assert (*tag, "f:referencePolicy") not in applied and ("f:spec",) not in applied
    assert (*tag, "f:generation") in applied    # an explicit null is a leaf the applier owns
    assert ("f:spec", "f:tags", 'k:{"name":"18-ubi8-minimal"}', "f:importPolicy") not in applied  # {}: nothing
