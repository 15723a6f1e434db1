"""``image_streams.tag`` / ``untag`` against the fake cluster: oc's cases, sync and async."""

from __future__ import annotations

import pytest

from imageapi import ConflictError, NotFoundError
from imageapi.workflows._tag import TagPlan, TagResult

from .conftest import Api, imported, latest_image, spec_tag, stream


def test_docker_image_source_creates_the_stream_and_is_imported(api: Api) -> None:
    api.cluster.registry.add_image("quay.io/org/app:2.0")
    result = api.client.image_streams.tag("quay.io/org/app:2.0", "app:stable")
    assert isinstance(result, TagResult)
    assert str(result) == "Tag app:stable set to quay.io/org/app:2.0."
    tag = spec_tag(api.cluster, "app", "stable")
    assert tag is not None and tag["from"] == {"kind": "DockerImage", "name": "quay.io/org/app:2.0"}
    assert latest_image(api.cluster, "app", "stable") is not None  # the import controller picked it up


def test_an_image_stream_tag_source_is_pinned_across_namespaces(api: Api) -> None:
    first = imported(api, "app", "quay.io/org/app:1", namespace="dev")
    api.client.image_streams.tag("quay.io/org/app:1", "dev/app:latest")
    result = api.client.image_streams.tag("dev/app:latest", "prod/app:1.0")
    assert spec_tag(api.cluster, "app", "1.0", "prod")["from"] == {  # type: ignore[index]
        "kind": "ImageStreamImage", "name": f"app@{first}", "namespace": "dev"}
    assert latest_image(api.cluster, "app", "1.0", "prod") == first
    assert str(result) == f"Tag prod/app:1.0 set to dev/app@{first}."
    # dev moves on; prod stays where it was pinned (oc without --alias)
    api.cluster.registry.add_image("quay.io/org/app:2")
    api.client.image_streams.tag("quay.io/org/app:2", "dev/app:latest")
    assert latest_image(api.cluster, "app", "latest", "dev") != first
    assert latest_image(api.cluster, "app", "1.0", "prod") == first


def test_alias_tracks_the_source_tag_within_one_stream(api: Api) -> None:
    imported(api, "app", "quay.io/org/app:1")
    api.client.image_streams.tag("quay.io/org/app:1", "app:latest")
    result = api.client.image_streams.tag("app:latest", "app:stable", alias=True)
    assert str(result) == "Tag app:stable set up to track app:latest."
    assert spec_tag(api.cluster, "app", "stable")["from"] == {"kind": "ImageStreamTag", "name": "app:latest"}  # type: ignore[index]
    api.cluster.registry.add_image("quay.io/org/app:2")
    api.client.image_streams.tag("quay.io/org/app:2", "app:latest")
    assert latest_image(api.cluster, "app", "stable") == latest_image(api.cluster, "app", "latest")


@pytest.mark.parametrize(("source", "destination"), [
    ("app:latest", "other:stable"),
    ("app:latest", "prod/app:stable"),
    ("shared/app:latest", "app:stable"),  # oc compares with the current namespace and lets this through
    ("quay.io/org/app:1", "app:x"),
])
def test_alias_across_streams_is_refused(api: Api, source: str, destination: str) -> None:
    with pytest.raises(ValueError, match=r"^cannot set alias across different Image Streams$"):
        api.client.image_streams.plan_tag(source, destination, alias=True)


def test_an_image_stream_image_source(api: Api) -> None:
    digest = imported(api, "app", "quay.io/org/app:1")
    api.client.image_streams.tag(f"app@{digest}", "app:pinned")
    assert spec_tag(api.cluster, "app", "pinned")["from"] == {"kind": "ImageStreamImage", "name": f"app@{digest}"}  # type: ignore[index]
    assert latest_image(api.cluster, "app", "pinned") == digest


def test_several_destinations_in_other_namespaces(api: Api) -> None:
    digest = imported(api, "app", "quay.io/org/app:1", namespace="dev")
    api.client.image_streams.tag("quay.io/org/app:1", "dev/app:latest")
    plan = api.client.image_streams.plan_tag("dev/app:latest", "qa/app:1.0", "prod/app:1.0", "app:candidate")
    assert isinstance(plan, TagPlan)
    assert [(c.namespace, c.name, c.action) for c in plan.changes] == [
        ("qa", "app:1.0", "create"), ("prod", "app:1.0", "create"), ("demo", "app:candidate", "create")]
    api.client.image_streams.apply_tag(plan)
    assert {latest_image(api.cluster, "app", tag, ns) for ns, tag in
            (("qa", "1.0"), ("prod", "1.0"), ("demo", "candidate"))} == {digest}
    # a destination in another namespace names the source namespace explicitly, as oc does
    assert spec_tag(api.cluster, "app", "candidate")["from"]["namespace"] == "dev"  # type: ignore[index]


def test_flags_set_the_spec_tag(api: Api) -> None:
    api.cluster.registry.add_image("quay.io/org/app:1")
    api.client.image_streams.tag("quay.io/org/app:1", "app:a", scheduled=True, insecure=True,
                                 reference_policy="local", import_mode="PreserveOriginal")
    tag = spec_tag(api.cluster, "app", "a")
    assert tag is not None
    assert tag["importPolicy"] == {"insecure": True, "scheduled": True, "importMode": "PreserveOriginal"}
    assert tag["referencePolicy"] == {"type": "Local"}
    result = api.client.image_streams.tag("quay.io/org/app:1", "app:ref", reference=True)
    assert spec_tag(api.cluster, "app", "ref")["reference"] is True  # type: ignore[index]
    # a reference tag is recorded at once, without import
    history = next(t for t in stream(api.cluster, "app")["status"]["tags"] if t["tag"] == "ref")
    assert history["items"][0]["dockerImageReference"] == "quay.io/org/app:1"
    assert "set to quay.io/org/app:1" in str(result)


def test_scheduled_message(api: Api) -> None:
    api.cluster.registry.add_image("quay.io/org/app:1")
    result = api.client.image_streams.tag("quay.io/org/app:1", "prod/app:a", scheduled=True)
    assert str(result) == "Tag prod/app:a set to import quay.io/org/app:1 periodically."


def test_docker_hub_short_names_need_source_kind(api: Api) -> None:
    assert api.client.image_streams.plan_tag("nginx:1", "app:n", source_kind="docker").changes[0].new["from"] == {
        "kind": "DockerImage", "name": "nginx:1"}
    with pytest.raises(NotFoundError):  # read as ImageStreamTag nginx:1, as oc reads it
        api.client.image_streams.plan_tag("nginx:1", "app:n")
    assert api.client.image_streams.plan_tag("nginx", "app:n").changes[0].new["from"]["kind"] == "DockerImage"


@pytest.mark.parametrize(("source", "destinations", "kwargs", "message"), [
    ("app:1", (), {}, "^at least a destination is required$"),
    ("app:1", ("app:x",), {"source_kind": "tarball"},
     "^invalid source 'tarball'; valid values are docker, dockerimage, imagestreamimage, imagestreamtag, isimage, istag$"),
    ("quay.io/a/b:1", ("app:x",), {"source_kind": "istag"},
     "^server in source is only allowed when providing a container image$"),
    ("app:1", ("app:x",), {"source_kind": "isimage"}, r"requires a valid <name>@<id> in source$"),
    ("app", ("app:x",), {"source_kind": "ImageStreamTag"}, r"requires a valid <name>:<tag> in source$"),
    ("app:1", ("a/b/c:x",), {}, "^invalid image stream 'a/b/c:x'$"),
    ("app:1", ("/c:x",), {}, "^invalid namespace '' for image stream '/c:x'$"),
    ("app:1", ("app",), {}, "^'app' must be of the form <stream_name>:<tag>$"),
    ("app:1", ("app:x",), {"reference_policy": "pull"}, "^reference policy must be set to 'Source' or 'Local'$"),
    ("quay.io/a:1", ("app:x",), {"alias": True, "scheduled": True},
     "^cannot set a container image tag as an alias and also set import flags$"),
    ("Not A Reference", ("app:x",), {}, "^invalid source"),
])
def test_oc_validation_messages(api: Api, source: str, destinations: tuple[str, ...], kwargs: dict[str, object],
                                message: str) -> None:
    with pytest.raises(ValueError, match=message):
        api.client.image_streams.plan_tag(source, *destinations, **kwargs)


def test_importing_flags_only_for_container_images(api: Api) -> None:
    imported(api, "app", "quay.io/org/app:1")
    api.client.image_streams.tag("quay.io/org/app:1", "app:latest")
    with pytest.raises(ValueError, match=r"^only container images can have importing flags set$"):
        api.client.image_streams.plan_tag("app:latest", "app:x", scheduled=True)


def test_a_source_tag_without_image_is_refused(api: Api) -> None:
    api.client.image_streams.tag("quay.io/org/missing:1", "app:latest")  # never imports
    with pytest.raises(ValueError, match=r'^"app:latest" is not currently pointing to an image'):
        api.client.image_streams.plan_tag("app:latest", "app:x")


def test_re_running_changes_nothing(api: Api) -> None:
    api.cluster.registry.add_image("quay.io/org/app:1")
    api.client.image_streams.tag("quay.io/org/app:1", "app:a", reference_policy="Local")
    version = stream(api.cluster, "app")["metadata"]["resourceVersion"]
    again = api.client.image_streams.tag("quay.io/org/app:1", "app:a", reference_policy="Local")
    assert again.applied == ()
    assert [c.action for c in again.plan.changes] == ["unchanged"]
    assert str(again) == "Tag app:a already set to quay.io/org/app:1."
    assert stream(api.cluster, "app")["metadata"]["resourceVersion"] == version


def test_an_existing_tag_keeps_its_annotations_and_import_mode(api: Api) -> None:
    api.cluster.create("imagestreams", {"metadata": {"name": "app"}, "spec": {"tags": [
        {"name": "a", "annotations": {"description": "the a tag"},
         "from": {"kind": "DockerImage", "name": "quay.io/org/app:1"},
         "importPolicy": {"importMode": "PreserveOriginal"}}]}}, "demo")
    api.client.image_streams.tag("quay.io/org/app:2", "app:a")
    tag = spec_tag(api.cluster, "app", "a")
    assert tag is not None
    assert tag["from"]["name"] == "quay.io/org/app:2"
    assert tag["annotations"] == {"description": "the a tag"}
    assert tag["importPolicy"]["importMode"] == "PreserveOriginal"


def test_a_stale_plan_is_refused_and_the_newer_change_stays(api: Api) -> None:
    api.cluster.registry.add_image("quay.io/org/app:1")
    api.client.image_streams.tag("quay.io/org/app:1", "app:a")
    plan = api.client.image_streams.plan_tag("quay.io/org/app:2", "app:a")
    api.client.image_streams.patch("app", {"metadata": {"labels": {"someone": "else"}}})
    with pytest.raises(ConflictError):
        api.client.image_streams.apply_tag(plan)
    assert spec_tag(api.cluster, "app", "a")["from"]["name"] == "quay.io/org/app:1"  # type: ignore[index]
    # the one-step form re-reads and succeeds
    api.client.image_streams.tag("quay.io/org/app:2", "app:a")
    assert spec_tag(api.cluster, "app", "a")["from"]["name"] == "quay.io/org/app:2"  # type: ignore[index]


def test_untag_removes_spec_and_history_and_a_rerun_finds_it_absent(api: Api) -> None:
    imported(api, "app", "quay.io/org/app:1")
    api.client.image_streams.tag("quay.io/org/app:1", "app:old")
    result = api.client.image_streams.untag("app:old", "nope:x")
    assert str(result) == 'Deleted tag demo/app:old.\nImage stream "nope" does not exist.'
    assert spec_tag(api.cluster, "app", "old") is None
    assert all(t["tag"] != "old" for t in stream(api.cluster, "app")["status"].get("tags") or [])
    again = api.client.image_streams.untag("app:old")
    assert [c.action for c in again.plan.changes] == ["absent"] and not again.applied
    assert str(again) == "Tag demo/app:old does not exist."


def test_plan_str_lists_each_destination(api: Api) -> None:
    api.cluster.registry.add_image("quay.io/org/app:1")
    api.client.image_streams.tag("quay.io/org/app:1", "app:a")
    plan = api.client.image_streams.plan_tag("quay.io/org/app:1", "app:a", "app:b")
    assert str(plan) == (
        "Tag plan for quay.io/org/app:1 (DockerImage quay.io/org/app:1):\n"
        "  unchanged demo/app:a\n"
        "  create    demo/app:b: nothing -> DockerImage quay.io/org/app:1"
    )
