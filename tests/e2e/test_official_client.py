"""The official ``kubernetes`` Python client's DynamicClient against the fake cluster on loopback.

If the fake serves discovery, lists, patches and watches the way a real server does, an unmodified
third-party client works against it unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import config as kube_config
from kubernetes import watch as kube_watch
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ConflictError, NotFoundError

from imageapi.testing import FakeCluster

pytestmark = pytest.mark.e2e

NAMESPACE = "e2e"
API_VERSION = "image.openshift.io/v1"


@pytest.fixture
def cluster() -> Iterator[FakeCluster]:
    fake = FakeCluster(token="e2e-token", namespaces=[NAMESPACE])
    yield fake
    fake.close()


@pytest.fixture
def dynamic(cluster: FakeCluster, tmp_path: Path) -> Iterator[DynamicClient]:
    with cluster.serve() as server:
        kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig", namespace=NAMESPACE)
        api_client = kube_config.new_client_from_config(config_file=str(kubeconfig))
        try:
            yield DynamicClient(api_client)
        finally:
            api_client.close()


def _stream(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": "ImageStream", "metadata": {"name": name, "labels": labels}}


def _image(index: int, **labels: str) -> dict[str, Any]:
    name = "sha256:" + f"{index:064x}"
    return {"apiVersion": API_VERSION, "kind": "Image", "metadata": {"name": name, "labels": labels},
            "dockerImageReference": f"quay.io/example/app@{name}"}


def test_discovery(dynamic: DynamicClient) -> None:
    streams = dynamic.resources.get(api_version=API_VERSION, kind="ImageStream")
    assert streams.name == "imagestreams" and streams.namespaced
    assert "is" in streams.short_names
    images = dynamic.resources.get(api_version=API_VERSION, kind="Image")
    assert not images.namespaced
    istags = dynamic.resources.get(api_version=API_VERSION, kind="ImageStreamTag")
    assert "watch" not in istags.verbs
    assert sorted(streams.subresources["status"].verbs) == ["get", "patch", "update"]
    assert streams.subresources["layers"].kind == "ImageStreamLayers"


def test_imagestream_lifecycle(dynamic: DynamicClient) -> None:
    streams = dynamic.resources.get(api_version=API_VERSION, kind="ImageStream")
    created = streams.create(body=_stream("app", team="a"), namespace=NAMESPACE)
    assert created.metadata.uid and created.metadata.generation == 1
    fetched = streams.get(name="app", namespace=NAMESPACE)
    assert fetched.metadata.resourceVersion == created.metadata.resourceVersion
    assert fetched.status.dockerImageRepository.endswith(f"/{NAMESPACE}/app")

    merged = streams.patch(name="app", namespace=NAMESPACE, body={"metadata": {"labels": {"merge": "yes"}}},
                           content_type="application/merge-patch+json")
    assert merged.metadata.labels["merge"] == "yes"
    strategic = streams.patch(name="app", namespace=NAMESPACE,
                              body={"spec": {"tags": [{"name": "v1", "from": {"kind": "DockerImage",
                                                                              "name": "quay.io/example/app:v1"},
                                                       "reference": True}]}},
                              content_type="application/strategic-merge-patch+json")
    assert [tag.name for tag in strategic.spec.tags] == ["v1"]
    json_patched = streams.patch(name="app", namespace=NAMESPACE,
                                 body=[{"op": "add", "path": "/metadata/annotations", "value": {"j": "p"}}],
                                 content_type="application/json-patch+json")
    assert json_patched.metadata.annotations["j"] == "p"

    body = json_patched.to_dict()
    body["metadata"]["labels"]["replaced"] = "yes"
    replaced = streams.replace(body=body, namespace=NAMESPACE)
    assert replaced.metadata.labels["replaced"] == "yes"
    with pytest.raises(ConflictError):
        streams.replace(body=body, namespace=NAMESPACE)  # the resourceVersion in it is stale now

    deleted = streams.delete(name="app", namespace=NAMESPACE)
    assert deleted.status == "Success"
    with pytest.raises(NotFoundError):
        streams.get(name="app", namespace=NAMESPACE)


def test_list_with_selectors_and_paging(dynamic: DynamicClient) -> None:
    streams = dynamic.resources.get(api_version=API_VERSION, kind="ImageStream")
    for index in range(7):
        streams.create(body=_stream(f"s{index}", parity="even" if index % 2 == 0 else "odd"), namespace=NAMESPACE)
    even = streams.get(namespace=NAMESPACE, label_selector="parity=even")
    assert [item.metadata.name for item in even.items] == ["s0", "s2", "s4", "s6"]
    named = streams.get(namespace=NAMESPACE, field_selector="metadata.name=s3")
    assert [item.metadata.name for item in named.items] == ["s3"]
    names: list[str] = []
    token = None
    while True:
        page = streams.get(namespace=NAMESPACE, limit=3, _continue=token)
        names += [item.metadata.name for item in page.items]
        token = page.metadata["continue"]
        if not token:
            break
    assert names == [f"s{index}" for index in range(7)]


def test_images_crud_and_list(dynamic: DynamicClient) -> None:
    images = dynamic.resources.get(api_version=API_VERSION, kind="Image")
    first = images.create(body=_image(1, kind="base"))
    images.create(body=_image(2, kind="app"))
    assert [item.metadata.name for item in images.get(label_selector="kind=app").items] == [_image(2)["metadata"]["name"]]
    patched = images.patch(name=first.metadata.name, body={"metadata": {"labels": {"extra": "1"}}},
                           content_type="application/merge-patch+json")
    assert patched.metadata.labels["extra"] == "1"
    images.delete(name=first.metadata.name)
    assert len(images.get().items) == 1


def test_watch_imagestreams(cluster: FakeCluster, dynamic: DynamicClient) -> None:
    streams = dynamic.resources.get(api_version=API_VERSION, kind="ImageStream")
    rv = streams.get(namespace=NAMESPACE).metadata.resourceVersion

    def write() -> None:
        cluster.create("imagestreams", _stream("watched"), namespace=NAMESPACE)
        cluster.delete("imagestreams", "watched", namespace=NAMESPACE)

    seen: list[tuple[str, str]] = []
    writer = threading.Timer(0.2, write)
    writer.start()
    watcher = kube_watch.Watch()
    for event in streams.watch(namespace=NAMESPACE, resource_version=rv, timeout=20, watcher=watcher):
        seen.append((event["type"], event["object"].metadata.name))
        if len(seen) == 2:
            watcher.stop()
    writer.join()
    assert seen == [("ADDED", "watched"), ("DELETED", "watched")]


def test_watch_images(cluster: FakeCluster, dynamic: DynamicClient) -> None:
    images = dynamic.resources.get(api_version=API_VERSION, kind="Image")
    rv = images.get().metadata.resourceVersion
    cluster.create("images", _image(5))
    watcher = kube_watch.Watch()
    for event in images.watch(resource_version=rv, timeout=20, watcher=watcher):
        assert (event["type"], event["object"].metadata.name) == ("ADDED", _image(5)["metadata"]["name"])
        watcher.stop()


def test_imagestreamtag_create_get_delete(cluster: FakeCluster, dynamic: DynamicClient) -> None:
    assert cluster.registry is not None
    cluster.registry.add_image("quay.io/example/app:1.0")
    istags = dynamic.resources.get(api_version=API_VERSION, kind="ImageStreamTag")
    created = istags.create(namespace=NAMESPACE, body={
        "apiVersion": API_VERSION, "kind": "ImageStreamTag", "metadata": {"name": "app:1.0"},
        "tag": {"name": "1.0", "from": {"kind": "DockerImage", "name": "quay.io/example/app:1.0"}}})
    assert created.metadata.name == "app:1.0"
    fetched = istags.get(name="app:1.0", namespace=NAMESPACE)
    assert fetched.image.dockerImageReference.startswith("quay.io/example/app@sha256:")
    assert istags.delete(name="app:1.0", namespace=NAMESPACE).status == "Success"
    with pytest.raises(NotFoundError):
        istags.get(name="app:1.0", namespace=NAMESPACE)
