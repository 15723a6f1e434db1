"""Tracking tags: a spec tag following another tag of its stream (``latest`` → ``10``) gets the followed
tag's newest event as it is, generation included (``UpdateTrackingTags``), whichever write gave the
followed tag that event: the stream's own create or update, an import, or an ImageStreamMapping."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from imageapi import Client
from imageapi.testing import FakeCluster

NAMESPACE = "openshift"
POSTGRES_10 = "registry.redhat.io/rhel8/postgresql-10:1-190"
POSTGRES_10_NEXT = "registry.redhat.io/rhel8/postgresql-10:1-201"


def _stream() -> dict[str, Any]:
    """A samples-like postgresql stream: ``latest`` tracks ``10``."""
    return {
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
        "metadata": {"name": "postgresql", "annotations": {"openshift.io/display-name": "PostgreSQL"}},
        "spec": {"lookupPolicy": {"local": False}, "tags": [
            {"name": "10", "annotations": {"description": "PostgreSQL 10 on RHEL 8", "tags": "database,postgresql",
                                           "version": "10"},
             "from": {"kind": "DockerImage", "name": POSTGRES_10}, "generation": None,
             "importPolicy": {"importMode": "Legacy"}, "referencePolicy": {"type": "Local"}},
            {"name": "latest", "annotations": {"description": "PostgreSQL (Latest)", "tags": "database,postgresql"},
             "from": {"kind": "ImageStreamTag", "name": "10"}, "generation": None,
             "importPolicy": {}, "referencePolicy": {"type": "Local"}},
        ]},
    }


@pytest.fixture
def client(cluster: FakeCluster) -> Iterator[Client]:
    cluster.registry.add_image(POSTGRES_10)
    cluster.registry.add_image(POSTGRES_10_NEXT)
    with cluster.client(namespace=NAMESPACE) as opened:
        yield opened


def _status(client: Client) -> tuple[dict[str, Any], dict[str, Any]]:
    stream = client.image_streams.get("postgresql").to_dict()
    status = {tag["tag"]: tag for tag in stream["status"].get("tags") or []}
    spec = {tag["name"]: tag for tag in stream["spec"]["tags"]}
    return spec, status


def test_the_follower_gets_the_imported_event_as_it_is(client: Client) -> None:
    client.image_streams.create(_stream(), field_manager="samples")
    _, status = _status(client)
    followed = status["10"]["items"][0]
    assert followed["image"] and followed["dockerImageReference"].endswith(followed["image"])
    assert status["latest"]["items"][0] == followed


def test_a_reimport_passes_the_new_generation_on_unchanged(client: Client) -> None:
    client.image_streams.create(_stream(), field_manager="samples")
    retargeted = _stream()
    retargeted["spec"]["tags"][0]["from"]["name"] = POSTGRES_10_NEXT
    client.image_streams.patch("postgresql", retargeted, type="apply", field_manager="samples", force=True)
    spec, status = _status(client)
    newest = status["10"]["items"][0]
    # The followed tag was imported at the stream's new generation; the follower's spec did not change.
    assert spec["latest"]["generation"] == 1 < spec["10"]["generation"] == newest["generation"]
    assert newest["dockerImageReference"].startswith("registry.redhat.io/rhel8/postgresql-10@")
    assert newest["image"] != status["10"]["items"][1]["image"]
    assert status["latest"]["items"][0] == newest
    assert [item["image"] for item in status["latest"]["items"]] == [item["image"] for item in status["10"]["items"]]


def test_a_mapping_passes_its_event_on(cluster: FakeCluster, client: Client) -> None:
    client.image_streams.create(_stream(), field_manager="samples")
    image = cluster.registry.add_image("image-registry.openshift-image-registry.svc:5000/openshift/postgresql:pushed")
    client.image_stream_mappings.create({
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping",
        "metadata": {"name": "postgresql"}, "tag": "10",
        "image": {"metadata": {"name": image["metadata"]["name"]},
                  "dockerImageReference": image["dockerImageReference"],
                  "dockerImageManifest": image["dockerImageManifest"],
                  "dockerImageManifestMediaType": image["dockerImageManifestMediaType"]},
    })
    _, status = _status(client)
    assert status["10"]["items"][0]["image"] == image["metadata"]["name"]
    assert status["latest"]["items"][0] == status["10"]["items"][0]


def test_a_follower_added_later_shares_the_event_and_its_generation(client: Client) -> None:
    stream = _stream()
    follower = stream["spec"]["tags"].pop()
    client.image_streams.create(stream, field_manager="samples")
    stream["spec"]["tags"].append(follower)
    client.image_streams.patch("postgresql", stream, type="apply", field_manager="samples", force=True)
    spec, status = _status(client)
    # The new tag's generation is the stream's; the event it takes from "10" is the same object on the
    # server (LatestTaggedImage), so both newest events carry that generation.
    assert spec["latest"]["generation"] == spec["10"]["generation"] + 1
    assert status["latest"]["items"][0] == status["10"]["items"][0]
    assert status["10"]["items"][0]["generation"] == spec["latest"]["generation"]
