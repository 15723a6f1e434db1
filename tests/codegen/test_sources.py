"""Regenerating from an OpenAPI document or a live cluster: what a user on a newer OpenShift does.

Everything here runs in a fresh clone: the inputs are the OpenAPI document the package ships (the one
the fake cluster serves) and edits of it, and a fake cluster served on loopback stands in for a cluster.
"""

from __future__ import annotations

import copy
import importlib
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydantic
import pytest
from imageapi_codegen import emit_models
from test_cli import ROOT, SHIPPED_OPENAPI, run  # the folder is on sys.path (rootdir-relative imports)

from imageapi.testing import FakeCluster

# The bundled outputs that an OpenAPI input must reproduce exactly (the normalized schema itself
# differs: it records its sources and diagnostics).
STAGE_TWO = (*emit_models.OUTPUT_PATHS.values(), "imageapi/schema/openapi-v3.json")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A scratch checkout: what ``--out`` recognises as one (the models' hand-written base)."""
    root = tmp_path / "checkout"
    (root / "imageapi" / "models").mkdir(parents=True)
    shutil.copy2(ROOT / "imageapi" / "models" / "_base.py", root / "imageapi" / "models" / "_base.py")
    return root


@pytest.fixture
def served_kubeconfig(tmp_path: Path) -> Iterator[Path]:
    cluster = FakeCluster()
    with cluster.serve() as server:
        path = tmp_path / "fake.kubeconfig"
        server.write_kubeconfig(str(path))
        yield path
    cluster.close()


def shipped_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SHIPPED_OPENAPI.read_text(encoding="utf-8"))
    return document


def import_package(folder: Path) -> Any:
    """Import the generated package at ``folder`` (fresh, even if a test imported one of that name)."""
    for name in [name for name in sys.modules if name == folder.name or name.startswith(folder.name + ".")]:
        del sys.modules[name]
    sys.path.insert(0, str(folder.parent))
    try:
        return importlib.import_module(folder.name)
    finally:
        sys.path.remove(str(folder.parent))


def test_models_from_the_served_openapi_are_the_bundled_ones(
    served_kubeconfig: Path, checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, "--from-cluster", "--kubeconfig", str(served_kubeconfig), "--out", str(checkout))
    assert status == 0, err
    for relative in STAGE_TWO:
        assert (checkout / relative).read_text(encoding="utf-8") == (ROOT / relative).read_text(
            encoding="utf-8"
        ), relative
    # Discovery supplied what OpenAPI lacks, and the schema's diagnostics say so.
    _, out, _ = run(capsys, "--from-cluster", "--kubeconfig", str(served_kubeconfig), "--print-schema")
    messages = [item["message"] for item in json.loads(out)["diagnostics"]]
    assert any("shortNames and categories from discovery for: images," in message for message in messages)


def test_models_from_an_openapi_file_are_the_bundled_ones(checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "--from-openapi", str(SHIPPED_OPENAPI), "--out", str(checkout))
    assert status == 0, err
    for relative in STAGE_TWO:
        assert (checkout / relative).read_bytes() == (ROOT / relative).read_bytes(), relative


def test_an_added_field_is_typed_in_the_regenerated_package(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A newer server: TagImportPolicy gains an int64 field this release does not know.
    document = shipped_document()
    schemas = document["components"]["schemas"]
    policy = next(value for key, value in schemas.items() if key.endswith(".TagImportPolicy"))
    policy["properties"]["importTimeoutSeconds"] = {
        "description": "How long one import may take.",
        "type": "integer",
        "format": "int64",
    }
    newer = tmp_path / "openapi-newer.json"
    newer.write_text(json.dumps(document), encoding="utf-8")
    package_dir = tmp_path / "newer_models"

    status, _, err = run(capsys, "--from-openapi", str(newer), "--out", str(package_dir))
    assert status == 0, err
    assert sorted(path.name for path in package_dir.iterdir()) == [
        "__init__.py", "image_v1.py", "meta.py", "schema.json",
    ]
    models = import_package(package_dir)
    wire = {
        "apiVersion": "image.openshift.io/v1",
        "kind": "ImageStream",
        "metadata": {"name": "app", "namespace": "demo", "generation": None},
        "spec": {
            "lookupPolicy": {"local": False},
            "tags": [
                {
                    "name": "1.0",
                    "from": {"kind": "DockerImage", "name": "quay.io/example/app:1.0"},
                    "importPolicy": {"scheduled": True, "importMode": "Legacy", "importTimeoutSeconds": 30},
                    "referencePolicy": {"type": "Source"},
                    "annotations": None,
                }
            ],
        },
    }
    stream = models.ImageStream.model_validate(wire)
    policy_model = stream.spec.tags[0].import_policy
    assert policy_model.import_timeout_seconds == 30
    assert "importTimeoutSeconds" in type(policy_model).model_fields["import_timeout_seconds"].alias
    assert stream.to_dict()["spec"]["tags"][0]["importPolicy"]["importTimeoutSeconds"] == 30
    assert models.ImageStream.model_validate(stream.to_dict()) == stream
    bad = copy.deepcopy(wire)
    bad["spec"]["tags"][0]["importPolicy"]["importTimeoutSeconds"] = "soon"
    with pytest.raises(pydantic.ValidationError):
        models.ImageStream.model_validate(bad)
    # The bundled models keep the unknown field too, untyped (extra="allow"): nothing is lost.
    from imageapi.models import ImageStream

    assert ImageStream.model_validate(wire).to_dict()["spec"]["tags"][0]["importPolicy"]["importTimeoutSeconds"] == 30


def test_a_definitions_only_document_cannot_empty_a_checkout(
    checkout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = shipped_document()
    document["paths"] = {}
    bare = tmp_path / "definitions.json"
    bare.write_text(json.dumps(document), encoding="utf-8")
    status, _, err = run(capsys, "--from-openapi", str(bare), "--out", str(checkout))
    assert status == 2
    assert "describes no resources" in err and "--out DIR" in err
    assert not (checkout / "imageapi" / "_resource_table.py").exists()
    # As a models package it is fine: no resource table is written there.
    status, _, err = run(capsys, "--from-openapi", str(bare), "--out", str(tmp_path / "defs_only"))
    assert status == 0, err
    assert import_package(tmp_path / "defs_only").TagReference.__name__ == "TagReference"


def test_not_an_openapi_document_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "list.json"
    other.write_text('{"kind": "ImageStreamList", "items": []}', encoding="utf-8")
    status, _, err = run(capsys, "--from-openapi", str(other), "--print-schema")
    assert status == 2
    assert "list.json: not an OpenAPI document" in err


def test_a_yaml_document_reads_like_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    yaml = pytest.importorskip("yaml")
    as_yaml = tmp_path / "openapi.yaml"
    as_yaml.write_text(yaml.safe_dump(shipped_document()), encoding="utf-8")
    status, out, _ = run(capsys, "--from-openapi", str(as_yaml), "--print-schema")
    assert status == 0
    assert "ImageStream" in json.loads(out)["types"]


def test_from_cluster_without_a_usable_kubeconfig(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "--from-cluster", "--kubeconfig", str(tmp_path / "missing"), "--print-schema")
    assert status == 2
    assert err.startswith("error: cannot load the client configuration") and "nothing written" in err
    assert "Traceback" not in err


def test_kubeconfig_needs_from_cluster(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "--kubeconfig", "x", "--check")
    assert status == 2
    assert "only go with --from-cluster" in err
