"""Over a real socket: the fake cluster served on 127.0.0.1, reached through a kubeconfig."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from imageapi import AsyncClient, Client, NotFoundError, UnauthorizedError
from imageapi.testing import FakeCluster


@pytest.fixture
def served() -> Iterator[tuple[FakeCluster, Any]]:
    cluster = FakeCluster(token="loopback-token")
    with cluster.serve() as server:
        yield cluster, server
    cluster.close()


def test_client_from_kubeconfig_over_loopback(served: tuple[FakeCluster, Any], tmp_path: Path) -> None:
    cluster, server = served
    kubeconfig = server.write_kubeconfig(tmp_path / "config", namespace="team")
    with Client.from_kubeconfig(kubeconfig) as client:
        assert client.namespace == "team"
        client.image_streams.create({"metadata": {"name": "app"}})
        assert client.image_streams.get("app").metadata.namespace == "team"
    assert cluster.get("imagestreams", "app", namespace="team")["metadata"]["name"] == "app"


def test_client_finds_kubeconfig_like_kubectl(
    served: tuple[FakeCluster, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, server = served
    monkeypatch.setenv("KUBECONFIG", str(server.write_kubeconfig(tmp_path / "config", namespace="found")))
    with Client() as client:
        assert client.namespace == "found"
        with pytest.raises(NotFoundError):
            client.image_streams.get("nothing")


def test_explicit_base_url_and_token(served: tuple[FakeCluster, Any]) -> None:
    _, server = served
    with Client(base_url=server.url, token="loopback-token", namespace="x") as client:
        assert client.image_streams.create({"metadata": {"name": "app"}}).metadata.namespace == "x"
    with Client(base_url=server.url) as anonymous, pytest.raises(UnauthorizedError):
        anonymous.image_streams.get("app", namespace="x")


@pytest.mark.anyio
async def test_async_client_over_loopback(served: tuple[FakeCluster, Any], tmp_path: Path) -> None:
    cluster, server = served
    cluster.registry.add_image("quay.io/org/app:1.0")
    async with AsyncClient.from_kubeconfig(server.write_kubeconfig(tmp_path / "config", namespace="demo")) as client:
        await client.image_stream_imports.import_image("app:1.0", from_="quay.io/org/app:1.0")
        await client.image_streams.tag("app:1.0", "app:latest")
        istag = await client.image_stream_tags.get("app:latest")
        assert istag.image is not None and istag.image.docker_image_reference.startswith("quay.io/org/app@sha256:")
        layers = await client.image_streams.layers("app")
        assert layers.images and istag.image.metadata and istag.image.metadata.name in layers.images


def test_ready_clients_for_a_fake_cluster() -> None:
    from imageapi._testing_clients import fake_async_client, fake_client

    cluster = FakeCluster(token="t")  # the cluster's token is sent for you
    with fake_client(cluster, namespace="n") as client:
        client.image_streams.create({"metadata": {"name": "app"}})
    assert cluster.get("imagestreams", "app", namespace="n")
    assert isinstance(fake_async_client(cluster), AsyncClient)
