"""ImageStream strategy: naming, validation, generations, tag events, main vs /status, reads."""

from __future__ import annotations

import pytest
from _semantics_driver import Cluster, docker_tag, stream

from imageapi.testing._contracts import ServerConfig
from imageapi.testing._status import StatusError

REPO = "image-registry.openshift-image-registry.svc:5000"


@pytest.fixture
def cluster() -> Cluster:
    return Cluster(ServerConfig(simulate_import_controller=False))


def test_create_sets_generation_defaults_and_repository(cluster: Cluster) -> None:
    created = cluster.create("imagestreams", stream("app", [docker_tag("latest", "quay.io/org/app:1.0")]))
    assert created["metadata"]["generation"] == 1
    tag = created["spec"]["tags"][0]
    assert tag == {"name": "latest", "annotations": None, "from": {"kind": "DockerImage", "name": "quay.io/org/app:1.0"},
                   "generation": 1, "importPolicy": {"importMode": "Legacy"}, "referencePolicy": {"type": "Source"}}
    assert created["spec"]["lookupPolicy"] == {"local": False}
    assert created["status"] == {"dockerImageRepository": f"{REPO}/ns/app"}


def test_create_discards_client_status(cluster: Cluster) -> None:
    body = stream("app")
    body["status"] = {"tags": [{"tag": "x", "items": [{"dockerImageReference": "a/b", "image": "i", "generation": 1}]}]}
    assert "tags" not in cluster.create("imagestreams", body)["status"]


def test_tags_are_sorted_and_duplicates_collapse_last_wins(cluster: Cluster) -> None:
    created = cluster.create("imagestreams", stream("app", [
        docker_tag("b", "quay.io/x/b:1", reference=True), docker_tag("a", "quay.io/x/a:1", reference=True),
        docker_tag("b", "quay.io/x/b:2", reference=True),
    ]))
    assert [t["name"] for t in created["spec"]["tags"]] == ["a", "b"]
    assert created["spec"]["tags"][1]["from"]["name"] == "quay.io/x/b:2"
    assert [t["tag"] for t in created["status"]["tags"]] == ["a", "b"]


@pytest.mark.parametrize(("name", "why"), [
    ("App", 'must match "[a-z0-9]+(?:[._-][a-z0-9]+)*"'),
    ("a..b", 'must match "[a-z0-9]+(?:[._-][a-z0-9]+)*"'),
    ("-a", 'must match "[a-z0-9]+(?:[._-][a-z0-9]+)*"'),
    ("a_", 'must match "[a-z0-9]+(?:[._-][a-z0-9]+)*"'),
    ("a/b", "may not contain '/'"),  # the path-segment rule answers first
])
def test_bad_names_are_rejected(cluster: Cluster, name: str, why: str) -> None:
    with pytest.raises(StatusError) as caught:
        cluster.create("imagestreams", stream(name))
    assert caught.value.code == 422
    assert caught.value.message == (f'ImageStream.image.openshift.io "{name}" is invalid: '
                                    f'metadata.name: Invalid value: "{name}": {why}')


def test_namespace_and_name_length_limit(cluster: Cluster) -> None:
    with pytest.raises(StatusError) as caught:
        cluster.create("imagestreams", stream("a" * 251), namespace="ns12")
    assert "'namespace/name' cannot be longer than 255 characters" in caught.value.message


def test_spec_tag_validation_uses_map_key_paths(cluster: Cluster) -> None:
    with pytest.raises(StatusError) as caught:
        cluster.create("imagestreams", stream("app", [{"name": "latest", "from": {"kind": "DockerImage"}}]))
    assert caught.value.message == 'ImageStream.image.openshift.io "app" is invalid: spec.tags[latest].from.name: Required value'
    assert caught.value.details is not None
    assert caught.value.details["causes"] == [
        {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.tags[latest].from.name"}]


def test_bad_kind_reference_policy_and_unparseable_reference(cluster: Cluster) -> None:
    with pytest.raises(StatusError) as caught:
        cluster.create("imagestreams", stream("app", [
            {"name": "a", "from": {"kind": "Pod", "name": "x"}},
            {"name": "b", "from": {"kind": "DockerImage", "name": "UPPER/Case"}, "referencePolicy": {"type": "Odd"}},
        ]))
    message = caught.value.message
    assert "spec.tags[a].from.kind: Required value: valid values are 'DockerImage', 'ImageStreamImage', 'ImageStreamTag'" in message
    assert 'spec.tags[b].from.name: Invalid value: "UPPER/Case": invalid reference format' in message
    assert 'spec.tags[b].referencePolicy.type: Invalid value: "Odd": valid values are "Source", "Local"' in message


def test_scheduled_only_for_docker_images(cluster: Cluster) -> None:
    with pytest.raises(StatusError) as caught:
        cluster.create("imagestreams", stream("app", [
            {"name": "a", "from": {"kind": "ImageStreamTag", "name": "b"}, "importPolicy": {"scheduled": True}}]))
    assert "only tags pointing to Docker repositories may be scheduled for background import" in caught.value.message


def test_spec_repository_may_not_carry_tag(cluster: Cluster) -> None:
    with pytest.raises(StatusError) as caught:
        cluster.create("imagestreams", stream("app", dockerImageRepository="quay.io/org/app:1"))
    assert "the repository name may not contain a tag" in caught.value.message


def test_default_import_mode_comes_from_config() -> None:
    cluster = Cluster(ServerConfig(default_import_mode="PreserveOriginal", simulate_import_controller=False))
    created = cluster.create("imagestreams", stream("app", [docker_tag("a", "quay.io/x/a:1")]))
    assert created["spec"]["tags"][0]["importPolicy"] == {"importMode": "PreserveOriginal"}


def test_reference_tag_gets_event_at_creation_time(cluster: Cluster) -> None:
    created = cluster.create("imagestreams", stream("app", [docker_tag("a", "quay.io/x/a:1", reference=True)]))
    event = created["status"]["tags"][0]["items"][0]
    assert event == {"created": created["metadata"]["creationTimestamp"], "dockerImageReference": "quay.io/x/a:1",
                     "image": "", "generation": 1}


def _put(cluster: Cluster, obj: dict) -> dict:
    return cluster.update("imagestreams", obj)


def test_metadata_only_change_keeps_generation(cluster: Cluster) -> None:
    created = cluster.create("imagestreams", stream("app", [docker_tag("a", "quay.io/x/a:1")]))
    created["metadata"]["labels"] = {"x": "y"}
    assert _put(cluster, created)["metadata"]["generation"] == 1


def test_changed_reference_bumps_stream_and_tag_generation(cluster: Cluster) -> None:
    created = cluster.create("imagestreams", stream("app", [docker_tag("a", "quay.io/x/a:1"),
                                                            docker_tag("b", "quay.io/x/b:1")]))
    created["spec"]["tags"][0]["from"]["name"] = "quay.io/x/a:2"
    updated = _put(cluster, created)
    assert updated["metadata"]["generation"] == 2
    assert [t["generation"] for t in updated["spec"]["tags"]] == [2, 1]


def test_client_cannot_set_tag_generation_but_zero_requests_reimport(cluster: Cluster) -> None:
    created = cluster.create("imagestreams", stream("app", [docker_tag("a", "quay.io/x/a:1"),
                                                            docker_tag("b", "quay.io/x/b:1")]))
    created["spec"]["tags"][0]["generation"] = 7
    created["spec"]["tags"][1]["generation"] = None
    updated = _put(cluster, created)
    assert updated["metadata"]["generation"] == 1
    assert [t["generation"] for t in updated["spec"]["tags"]] == [1, 1]
    updated["spec"]["tags"][1]["generation"] = 0
    again = _put(cluster, updated)
    assert again["metadata"]["generation"] == 2
    assert [t["generation"] for t in again["spec"]["tags"]] == [1, 2]


def test_policy_change_bumps_stream_generation_only(cluster: Cluster) -> None:
    created = cluster.create("imagestreams", stream("app", [docker_tag("a", "quay.io/x/a:1")]))
    created["spec"]["tags"][0]["referencePolicy"] = {"type": "Local"}
    updated = _put(cluster, created)
    assert updated["metadata"]["generation"] == 2
    assert updated["spec"]["tags"][0]["generation"] == 1


def test_new_tag_gets_new_stream_generation(cluster: Cluster) -> None:
    created = cluster.create("imagestreams", stream("app", [docker_tag("a", "quay.io/x/a:1")]))
    created["spec"]["tags"].append(docker_tag("b", "quay.io/x/b:1", generation=99))
    updated = _put(cluster, created)
    assert [t["generation"] for t in updated["spec"]["tags"]] == [1, 2]


def test_main_put_discards_status_and_keeps_removed_tag_status(cluster: Cluster) -> None:
    created = cluster.create("imagestreams", stream("app", [docker_tag("a", "quay.io/x/a:1", reference=True)]))
    created["status"]["tags"] = []
    created["spec"]["tags"] = []
    updated = _put(cluster, created)
    assert "tags" not in updated["spec"]
    assert [t["tag"] for t in updated["status"]["tags"]] == ["a"]


def test_imagestreamtag_source_copies_event_and_tracking_tags_follow(cluster: Cluster) -> None:
    created = cluster.create("imagestreams", stream("app", [
        docker_tag("a", "quay.io/x/a:1", reference=True),
        {"name": "b", "from": {"kind": "ImageStreamTag", "name": "a"}},
    ]))
    status = {t["tag"]: t for t in created["status"]["tags"]}
    assert status["b"]["items"][0]["dockerImageReference"] == "quay.io/x/a:1"
    created["spec"]["tags"][0]["from"]["name"] = "quay.io/x/a:2"
    updated = _put(cluster, created)
    status = {t["tag"]: t for t in updated["status"]["tags"]}
    # Same (empty) image, new reference: the newest event is rewritten in place, not prepended.
    assert [i["dockerImageReference"] for i in status["a"]["items"]] == ["quay.io/x/a:2"]
    assert status["b"]["items"][0]["dockerImageReference"] == "quay.io/x/a:2"


def test_missing_other_stream_is_wrapped_internal_error(cluster: Cluster) -> None:
    with pytest.raises(StatusError) as caught:
        cluster.create("imagestreams", stream("app", [
            {"name": "a", "from": {"kind": "ImageStreamTag", "name": "other:x", "namespace": "elsewhere"}}]))
    assert caught.value.code == 422
    assert caught.value.message == ('ImageStream.image.openshift.io "app" is invalid: []: Internal error: '
                                    'imagestreams "app" is invalid: spec.tags[a].from.name: Not found: "other:x"')


def test_missing_source_tag_is_not_an_error(cluster: Cluster) -> None:
    created = cluster.create("imagestreams", stream("app", [{"name": "b", "from": {"kind": "ImageStreamTag", "name": "a"}}]))
    assert "tags" not in created["status"]


def _with_images(cluster: Cluster) -> dict:
    created = cluster.create("imagestreams", stream("src"))
    created["status"]["tags"] = [{"tag": "v1", "items": [
        {"created": "2026-01-01T00:00:00Z", "dockerImageReference": "quay.io/x/a@sha256:" + "ab" * 32,
         "image": "sha256:" + "ab" * 32, "generation": 1},
        {"created": "2026-01-01T00:00:00Z", "dockerImageReference": "quay.io/x/a@sha256:" + "ac" * 32,
         "image": "sha256:" + "ac" * 32, "generation": 1}]}]
    return cluster.update("imagestreams", created, subresource="status")


def test_imagestreamimage_source_resolves_prefix_and_rejects_ambiguity(cluster: Cluster) -> None:
    _with_images(cluster)
    created = cluster.create("imagestreams", stream("app", [
        {"name": "x", "from": {"kind": "ImageStreamImage", "name": "src@abab"}}]))
    assert created["status"]["tags"][0]["items"][0]["image"] == "sha256:" + "ab" * 32
    with pytest.raises(StatusError) as caught:
        cluster.create("imagestreams", stream("app2", [{"name": "x", "from": {"kind": "ImageStreamImage", "name": "src@a"}}]))
    assert "error generating tag event" in caught.value.message
    assert "multiple images match the prefix" in caught.value.message


def test_status_put_keeps_spec_tags_but_lookup_policy_changes(cluster: Cluster) -> None:
    created = cluster.create("imagestreams", stream("app", [docker_tag("a", "quay.io/x/a:1")]))
    created["spec"]["tags"] = []
    created["spec"]["lookupPolicy"] = {"local": True}
    created["metadata"]["labels"] = {"k": "v"}
    created["status"]["tags"] = [{"tag": "a", "items": [
        {"created": "2026-01-01T00:00:00Z", "dockerImageReference": "quay.io/x/a@sha256:" + "ab" * 32,
         "image": "sha256:" + "ab" * 32, "generation": 0}]}]
    updated = cluster.update("imagestreams", created, subresource="status")
    assert [t["name"] for t in updated["spec"]["tags"]] == ["a"]
    assert updated["spec"]["lookupPolicy"] == {"local": True}
    assert updated["metadata"]["labels"] == {"k": "v"}
    assert updated["metadata"]["generation"] == 1
    assert updated["status"]["tags"][0]["items"][0]["generation"] == 1


def test_status_put_rejects_new_bad_reference(cluster: Cluster) -> None:
    created = cluster.create("imagestreams", stream("app"))
    created["status"]["tags"] = [{"tag": "a", "items": [{"created": None, "dockerImageReference": "BAD", "image": "",
                                                          "generation": 1}]}]
    with pytest.raises(StatusError) as caught:
        cluster.update("imagestreams", created, subresource="status")
    assert 'status.tags[a].items[0].dockerImageReference: Invalid value: "BAD": invalid reference format' in caught.value.message


def test_repository_recomputed_on_read_from_config(cluster: Cluster) -> None:
    cluster.create("imagestreams", stream("app"))
    cluster.config.internal_registry_hostname = "registry.example:5000"
    assert cluster.get("imagestreams", "app")["status"]["dockerImageRepository"] == "registry.example:5000/ns/app"
    cluster.config.internal_registry_hostname = ""
    cluster.config.external_registry_hostname = "public.example"
    read = cluster.get("imagestreams", "app")
    assert read["status"]["dockerImageRepository"] == ""
    assert read["status"]["publicDockerImageRepository"] == "public.example/ns/app"


def test_field_selectors(cluster: Cluster) -> None:
    from imageapi.testing._semantics import STRATEGIES

    created = cluster.create("imagestreams", stream("app"))
    strategy = STRATEGIES["imagestreams"]
    assert strategy.field_value(created, "status.dockerImageRepository") == f"{REPO}/ns/app"
    with pytest.raises(StatusError) as caught:
        strategy.field_value(created, "spec.tags")
    assert caught.value.code == 400
    assert caught.value.message == ('"spec.tags" is not a known field selector: only "metadata.name", '
                                    '"metadata.namespace", "spec.dockerImageRepository", "status.dockerImageRepository"')


def test_tag_from_other_stream_is_pulled_through_this_stream(cluster: Cluster) -> None:
    source = cluster.create("imagestreams", stream("src"))
    digest = "sha256:" + "ef" * 32
    source["status"]["tags"] = [{"tag": "v1", "items": [
        {"created": "2026-01-01T00:00:00Z", "dockerImageReference": f"{REPO}/ns/src@{digest}", "image": digest,
         "generation": 1}]}]
    cluster.update("imagestreams", source, subresource="status")
    created = cluster.create("imagestreams", stream("app", [
        {"name": "copy", "from": {"kind": "ImageStreamTag", "name": "src:v1"}},
        {"name": "ref", "from": {"kind": "ImageStreamTag", "name": "src:v1"}, "reference": True},
    ]))
    events = {t["tag"]: t["items"][0] for t in created["status"]["tags"]}
    assert events["copy"]["dockerImageReference"] == f"{REPO}/ns/app@{digest}"
    assert events["ref"]["dockerImageReference"] == f"{REPO}/ns/src@{digest}"
    assert events["copy"]["image"] == digest and events["copy"]["generation"] == 1


def test_empty_values_sent_back_do_not_bump_generation(cluster: Cluster) -> None:
    created = cluster.create("imagestreams", stream("app", [docker_tag("a", "quay.io/x/a:1")]))
    created["spec"]["dockerImageRepository"] = ""
    created["spec"]["tags"][0]["reference"] = False
    created["spec"]["tags"][0]["from"]["namespace"] = ""
    created["spec"]["tags"][0]["importPolicy"]["insecure"] = False
    assert _put(cluster, created)["metadata"]["generation"] == 1
