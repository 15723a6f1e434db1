"""The pytest fixtures that imageapi ships (entry point ``pytest11: imageapi``) and PATCH on virtual resources."""

from __future__ import annotations

import httpx
import pytest
from _core_helpers import stream_body, streams_path

from imageapi import AsyncClient, Client
from imageapi.testing import FakeCluster, FakeServer


def test_fake_cluster_fixture_is_fresh(fake_cluster: FakeCluster) -> None:
    assert isinstance(fake_cluster, FakeCluster)
    assert fake_cluster.list("imagestreams") == []
    fake_cluster.create("imagestreams", stream_body("a"), namespace="ns1")
    assert len(fake_cluster.list("imagestreams")) == 1


def test_fake_cluster_fixture_does_not_leak_between_tests(fake_cluster: FakeCluster) -> None:
    assert fake_cluster.list("imagestreams") == []


def test_fake_cluster_server_fixture(fake_cluster: FakeCluster, fake_cluster_server: FakeServer) -> None:
    fake_cluster.create("imagestreams", stream_body("a"), namespace="ns1")
    with httpx.Client(base_url=fake_cluster_server.url) as client:
        response = client.get(streams_path(name="a"))
    assert response.status_code == 200
    assert response.json()["metadata"]["name"] == "a"


def test_merge_patch_on_an_istag_goes_through_the_virtual_update(fake_cluster: FakeCluster) -> None:
    assert fake_cluster.registry is not None
    fake_cluster.registry.add_image("quay.io/example/app:1.0")
    with httpx.Client(transport=fake_cluster.transport(), base_url="http://fake") as client:
        istag = f"{streams_path()[:-len('imagestreams')]}imagestreamtags/app:1.0"
        # No istag yet: the patch applies to an empty object, and the update creates the spec tag.
        created = client.patch(istag, json={"metadata": {"name": "app:1.0"},
                                            "tag": {"name": "1.0", "from": {"kind": "DockerImage",
                                                                            "name": "quay.io/example/app:1.0"}}},
                               headers={"Content-Type": "application/merge-patch+json"})
        assert created.status_code == 201, created.text
        patched = client.patch(istag, json={"metadata": {"annotations": {"note": "hi"}}},
                               headers={"Content-Type": "application/merge-patch+json"})
        assert patched.status_code == 200, patched.text
        assert patched.json()["metadata"]["annotations"] == {"note": "hi"}
    spec_tags = fake_cluster.get("imagestreams", "app", namespace="ns1")["spec"]["tags"]
    assert spec_tags[0]["annotations"] == {"note": "hi"}


def test_fake_client_fixture_talks_to_the_fake_cluster(fake_cluster: FakeCluster, fake_client: Client) -> None:
    fake_client.image_streams.create({"metadata": {"name": "app"}}, namespace="demo")
    assert fake_cluster.get("imagestreams", "app", namespace="demo")["metadata"]["name"] == "app"
    assert fake_client.namespace == "default"


@pytest.mark.anyio
async def test_fake_async_client_fixture_talks_to_the_fake_cluster(
    fake_cluster: FakeCluster, fake_async_client: AsyncClient
) -> None:
    fake_cluster.create("imagestreams", stream_body("app"), namespace="demo")
    stream = await fake_async_client.image_streams.get("app", namespace="demo")
    assert stream.metadata is not None and stream.metadata.name == "app"


def test_cluster_client_sends_the_cluster_token() -> None:
    cluster = FakeCluster(token="s3cret-token")
    with cluster.client(namespace="demo") as client:
        client.image_streams.create({"metadata": {"name": "app"}})
    with httpx.Client(transport=cluster.transport(), base_url="http://fake") as anonymous:
        assert anonymous.get(streams_path()).status_code == 401
    assert cluster.get("imagestreams", "app", namespace="demo")["metadata"]["name"] == "app"
