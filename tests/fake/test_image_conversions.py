"""Image conversions (server-semantics.md §3): ``dockerImageMetadata`` is decoded by its apiVersion and
served as the server encodes it, and an image without metadata gets it from its manifest and config."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from imageapi import Client
from imageapi.testing import FakeCluster
from imageapi.testing._references import sha256_digest

CONFIG_BLOB = json.dumps({
    "architecture": "amd64", "os": "linux", "created": "2023-11-07T08:41:20.482917337Z",
    "docker_version": "20.10.23", "author": "Red Hat, Inc.",
    "config": {"User": "1001", "Env": ["PATH=/opt/app-root/bin:/usr/bin", "NODE_VERSION=18"],
               "Cmd": ["/bin/sh", "-c", "$STI_SCRIPTS_PATH/usage"], "WorkingDir": "/opt/app-root/src",
               "ExposedPorts": {"8080/tcp": {}}, "Labels": {"io.k8s.display-name": "Node.js 18"}},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "1" * 64, "sha256:" + "2" * 64]},
}, separators=(",", ":"))
LAYERS = [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 39_350_119,
           "digest": "sha256:" + "a" * 64},
          {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 1_742,
           "digest": "sha256:" + "b" * 64}]
MANIFEST = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": len(CONFIG_BLOB),
               "digest": sha256_digest(CONFIG_BLOB)},
    "layers": LAYERS,
}, indent=3)
DIGEST = sha256_digest(MANIFEST)


@pytest.fixture
def client(cluster: FakeCluster) -> Iterator[Client]:
    with cluster.client() as opened:
        yield opened


def _image(**fields: Any) -> dict[str, Any]:
    return {"apiVersion": "image.openshift.io/v1", "kind": "Image",
            "metadata": {"name": DIGEST, "annotations": {"openshift.io/image.managed": "true"}},
            "dockerImageReference": f"registry.access.redhat.com/ubi8/nodejs-18@{DIGEST}", **fields}


def test_legacy_1_0_metadata_is_served_as_image_openshift_io_1_0(client: Client) -> None:
    legacy = {"kind": "DockerImage", "apiVersion": "1.0", "Id": sha256_digest(CONFIG_BLOB),
              "Created": "2023-11-07T08:41:20.482917337Z", "DockerVersion": "20.10.23",
              "Config": {"User": "1001", "Env": ["NODE_VERSION=18"], "Tty": False, "Labels": {}},
              "Architecture": "amd64", "Size": 39_354_000, "Comment": "", "NotAField": "dropped"}
    created = client.images.create(_image(dockerImageMetadata=legacy, dockerImageMetadataVersion="1.0")).to_dict()
    served = client.images.get(DIGEST).to_dict()
    expected = {"kind": "DockerImage", "apiVersion": "image.openshift.io/1.0", "Id": sha256_digest(CONFIG_BLOB),
                "Created": "2023-11-07T08:41:20Z", "ContainerConfig": {}, "DockerVersion": "20.10.23",
                "Config": {"User": "1001", "Env": ["NODE_VERSION=18"]}, "Architecture": "amd64", "Size": 39_354_000}
    for image in (created, served):
        assert image["dockerImageMetadata"] == expected
        assert list(image["dockerImageMetadata"]) == list(expected)  # the typed struct's order
        assert image["dockerImageMetadataVersion"] == "1.0"


def test_pre012_metadata_keeps_its_lower_case_layout(client: Client) -> None:
    old = {"kind": "DockerImage", "apiVersion": "pre012", "id": "0f6a8c2c", "created": "2014-06-01T12:00:00Z",
           "container_config": {"Cmd": ["/bin/bash"]}, "docker_version": "0.11.1", "size": 120_000_000}
    served = client.images.create(_image(dockerImageMetadata=old, dockerImageMetadataVersion="pre012")).to_dict()
    assert served["dockerImageMetadata"] == {
        "kind": "DockerImage", "apiVersion": "image.openshift.io/pre012", "id": "0f6a8c2c",
        "created": "2014-06-01T12:00:00Z", "container_config": {"Cmd": ["/bin/bash"]}, "docker_version": "0.11.1",
        "size": 120_000_000}


def test_an_image_without_metadata_gets_it_from_its_manifest_and_config(client: Client) -> None:
    served = client.images.create(_image(dockerImageManifest=MANIFEST, dockerImageConfig=CONFIG_BLOB)).to_dict()
    assert served["dockerImageManifestMediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert served["dockerImageLayers"] == [{"name": layer["digest"], "size": layer["size"],
                                            "mediaType": layer["mediaType"]} for layer in LAYERS]
    assert served["metadata"]["annotations"] == {"openshift.io/image.managed": "true",
                                                 "image.openshift.io/dockerLayersOrder": "ascending"}
    assert served["dockerImageMetadata"] == {
        "kind": "DockerImage", "apiVersion": "image.openshift.io/1.0", "Id": sha256_digest(CONFIG_BLOB),
        "Created": "2023-11-07T08:41:20Z", "ContainerConfig": {}, "DockerVersion": "20.10.23",
        "Author": "Red Hat, Inc.",
        "Config": {"User": "1001", "ExposedPorts": {"8080/tcp": {}},
                   "Env": ["PATH=/opt/app-root/bin:/usr/bin", "NODE_VERSION=18"],
                   "Cmd": ["/bin/sh", "-c", "$STI_SCRIPTS_PATH/usage"], "WorkingDir": "/opt/app-root/src",
                   "Labels": {"io.k8s.display-name": "Node.js 18"}},
        "Architecture": "amd64", "Size": len(CONFIG_BLOB) + sum(layer["size"] for layer in LAYERS)}


def test_an_image_with_no_metadata_at_all_serves_the_empty_struct(client: Client) -> None:
    served = client.images.create(_image()).to_dict()
    assert served["dockerImageMetadata"] == {"kind": "DockerImage", "apiVersion": "image.openshift.io/1.0",
                                             "Id": "", "Created": None, "ContainerConfig": {}}
    assert served["dockerImageMetadataVersion"] == "1.0"


def test_a_mapping_converts_the_image_it_creates(cluster: FakeCluster, client: Client) -> None:
    client.image_streams.create({"metadata": {"name": "nodejs"}}, namespace="demo")
    client.image_stream_mappings.create({
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping",
        "metadata": {"name": "nodejs"}, "tag": "18",
        "image": _image(dockerImageMetadata={"kind": "DockerImage", "apiVersion": "1.0", "Id": "abc",
                                             "Architecture": "arm64"}),
    }, namespace="demo")
    stored = cluster.get("images", DIGEST)
    assert stored["dockerImageMetadata"] == {"kind": "DockerImage", "apiVersion": "image.openshift.io/1.0",
                                             "Id": "abc", "Created": None, "ContainerConfig": {},
                                             "Architecture": "arm64"}
    istag = client.image_stream_tags.get("nodejs:18", namespace="demo").to_dict()
    assert istag["image"]["dockerImageMetadata"]["apiVersion"] == "image.openshift.io/1.0"
