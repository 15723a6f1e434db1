"""The informer's cache: fresh models on every read, indexes kept right through changes."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from imageapi.controllers import (
    IMAGE_DIGEST,
    NAMESPACE,
    SOURCE_REPOSITORY,
    Cache,
    Informer,
    image_digests,
    object_key,
    source_repositories,
)
from imageapi.controllers.cache import docker_repository
from imageapi.models import ImageStream
from imageapi.testing import FakeCluster

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64


def stream(name: str, namespace: str = "demo", *, digests: tuple[str, ...] = (), sources: tuple[dict[str, Any], ...] = (),
           version: str = "1") -> ImageStream:
    return ImageStream.from_dict({
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
        "metadata": {"name": name, "namespace": namespace, "resourceVersion": version,
                     "annotations": {"openshift.io/image.dockerRepositoryCheck": "2024-01-01T00:00:00Z"}},
        "spec": {"lookupPolicy": {"local": False},
                 "tags": [{"name": f"t{i}", "from": source, "referencePolicy": {"type": "Source"},
                           "importPolicy": {"importMode": "Legacy"}, "generation": 1}
                          for i, source in enumerate(sources)]},
        "status": {"dockerImageRepository": f"image-registry.openshift-image-registry.svc:5000/{namespace}/{name}",
                   "tags": [{"tag": "latest", "items": [
                       {"created": "2024-01-01T00:00:00Z", "dockerImageReference": f"quay.io/x@{digest}",
                        "image": digest, "generation": 1} for digest in digests]}]},
    })


def test_readers_get_fresh_models_and_cannot_change_what_is_stored() -> None:
    cache: Cache[ImageStream] = Cache(ImageStream)
    original = stream("app", digests=(DIGEST_A,))
    cache.put(original)
    original.metadata.labels = {"changed": "after put"}  # the caller's object is not the stored one
    first = cache.get("app", namespace="demo")
    assert first is not None and first.metadata.labels is None
    first.status.tags[0].items.clear()
    first.metadata.annotations["x"] = "y"
    again = cache.get("app", namespace="demo")
    assert again is not None and again is not first
    assert again.to_dict() == stream("app", digests=(DIGEST_A,)).to_dict()
    by_namespace = cache.by_index(NAMESPACE, "demo")
    assert [s.metadata.name for s in by_namespace] == ["app"] and by_namespace[0].metadata.annotations.get("x") is None


def test_indexes_follow_updates_and_deletes() -> None:
    cache: Cache[ImageStream] = Cache(ImageStream, {IMAGE_DIGEST: image_digests, SOURCE_REPOSITORY: source_repositories})
    cache.put(stream("a", digests=(DIGEST_A, DIGEST_B), sources=({"kind": "DockerImage", "name": "quay.io/org/app:1.0"},)))
    cache.put(stream("b", "other", digests=(DIGEST_B,), sources=(
        {"kind": "ImageStreamTag", "name": "base:latest"},
        {"kind": "ImageStreamImage", "name": f"base@{DIGEST_A}", "namespace": "shared"},
        {"kind": "DockerImage", "name": f"registry.local:5000/org/app@{DIGEST_A}"},
    )))
    assert cache.index_keys(IMAGE_DIGEST, DIGEST_B) == ["demo/a", "other/b"]
    assert cache.index_keys(IMAGE_DIGEST, DIGEST_A) == ["demo/a"]
    assert cache.index_values(SOURCE_REPOSITORY) == ["other/base", "quay.io/org/app", "registry.local:5000/org/app",
                                                     "shared/base"]
    assert cache.index_keys(NAMESPACE, "other") == ["other/b"]
    # an update moves the object between index values
    cache.put(stream("a", digests=(DIGEST_A,), version="2"))
    assert cache.index_keys(IMAGE_DIGEST, DIGEST_B) == ["other/b"]
    assert cache.index_keys(SOURCE_REPOSITORY, "quay.io/org/app") == []
    assert cache.resource_version("demo/a") == "2"
    cache.delete("other/b")
    assert cache.index_values(IMAGE_DIGEST) == [DIGEST_A]
    assert cache.index_keys(NAMESPACE, "other") == [] and len(cache) == 1
    with pytest.raises(KeyError, match="no index 'nope'"):
        cache.by_index("nope", "x")


def test_an_index_added_later_covers_what_is_cached() -> None:
    cache: Cache[ImageStream] = Cache(ImageStream)
    cache.put(stream("a", digests=(DIGEST_A,)))
    cache.put(stream("b"))
    cache.add_indexer("has-images", lambda s: ["yes" if list(image_digests(s)) else "no"])
    assert cache.index_keys("has-images", "yes") == ["demo/a"]
    assert cache.index_keys("has-images", "no") == ["demo/b"]
    with pytest.raises(ValueError, match="exists"):
        cache.add_indexer("has-images", lambda s: [])


def test_docker_repository_drops_tag_and_digest_but_keeps_a_registry_port() -> None:
    assert docker_repository("quay.io/org/app:1.0") == "quay.io/org/app"
    assert docker_repository(f"quay.io/org/app@{DIGEST_A}") == "quay.io/org/app"
    assert docker_repository("localhost:5000/app") == "localhost:5000/app"
    assert docker_repository("nginx") == "nginx"


def test_object_key_is_namespace_slash_name() -> None:
    assert object_key(stream("a")) == "demo/a"
    with pytest.raises(ValueError):
        object_key(ImageStream.from_dict({"metadata": {}}))


def test_a_handler_mutating_its_object_does_not_touch_the_cache_and_a_late_handler_gets_the_cache_first() -> None:
    cluster = FakeCluster(namespaces=["demo"])
    with cluster.client(namespace="demo") as client:
        client.image_streams.create({"metadata": {"name": "a", "labels": {"app": "a"}}})
        client.image_streams.create({"metadata": {"name": "b"}})

        def vandal(obj: ImageStream, is_initial: bool) -> None:
            obj.metadata.labels = {"vandal": "yes"}
            obj.metadata.name = "renamed"

        with Informer(client.image_streams) as informer:
            informer.add_handler(on_add=vandal)
            assert informer.wait_for_sync(timeout=10)
            late: list[tuple[str, bool]] = []
            informer.add_handler(on_add=lambda obj, is_initial: late.append((obj.metadata.name, is_initial)))
            assert late == [("a", True), ("b", True)]
            cached = informer.cache.get("a", namespace="demo")
            assert cached is not None and cached.metadata.labels == {"app": "a"}
            assert informer.cache.list_keys() == ["demo/a", "demo/b"]


def test_resync_hands_every_cached_object_to_on_update_on_the_clock() -> None:
    from imageapi.controllers import FakeClock

    cluster = FakeCluster(namespaces=["demo"])
    clock = FakeClock()
    updates: list[tuple[str, bool]] = []
    with cluster.client(namespace="demo") as client:
        for name in ("a", "b"):
            client.image_streams.create({"metadata": {"name": name}})
        informer = client.image_streams.informer(clock=clock, resync_period=30.0)
        informer.add_handler(on_update=lambda old, new: updates.append(
            (new.metadata.name, old is not new and old.to_dict() == new.to_dict())))
        with informer:
            assert informer.wait_for_sync(timeout=10)
            assert clock.wait_for_waiters(1, timeout=10)
            clock.advance(29.0)
            assert clock.wait_for_waiters(1, timeout=10)
            assert updates == []
            clock.advance(1.0)
            for _ in range(200):
                if len(updates) == 2:
                    break
                threading.Event().wait(0.05)
    assert sorted(updates) == [("a", True), ("b", True)]
    with pytest.raises(ValueError, match="resync_period"):
        Informer(FakeCluster().client().image_streams, resync_period=0)


def test_full_collections_wait_while_a_list_is_stored_and_resume_after_it() -> None:
    """A (re)list's pages outlive the young generations; full GC passes over them find nothing and
    cost a third of a sync's CPU, so they are held back until the list is stored."""
    import gc

    cluster = FakeCluster(namespaces=["demo"])
    saved = gc.get_threshold()
    with cluster.client(namespace="demo") as client:
        for index in range(3):
            client.image_streams.create({"metadata": {"name": f"s{index}"}})
        during: list[tuple[int, bool]] = []
        all_four = threading.Event()

        def on_add(obj: ImageStream, is_initial: bool) -> None:
            during.append((gc.get_threshold()[2], is_initial))
            if len(during) == 4:
                all_four.set()

        informer = Informer(client.image_streams, chunk_size=1)
        informer.add_handler(on_add=on_add)
        with informer:
            assert informer.wait_for_sync(timeout=10)
            client.image_streams.create({"metadata": {"name": "later"}})  # from the watch, not a list
            assert all_four.wait(10)
        assert [initial for _, initial in during] == [True, True, True, False]
        assert all(threshold > saved[2] for threshold, _ in during[:3])  # held over every page
        assert during[3][0] == saved[2]  # watch events: collections as usual
    assert gc.get_threshold() == saved
