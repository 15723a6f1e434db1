"""``image_streams.import_image`` against the fake cluster: oc import-image's cases, sync and async."""

from __future__ import annotations

import json

import httpx
import pytest
from client.conftest import Recorder

from imageapi import Client, NotFoundError, UnauthorizedError
from imageapi.models import ImageStreamImport
from imageapi.workflows._import import ImportResult

from .conftest import Api, latest_image, spec_tag, stream


def test_confirm_creates_the_stream_and_imports_one_tag(api: Api) -> None:
    image = api.cluster.registry.add_image("quay.io/org/app:1.0")
    result = api.client.image_streams.import_image("app:1.0", from_="quay.io/org/app:1.0", confirm=True)
    assert isinstance(result, ImportResult)
    assert result.created and result.ok and not result.dry_run
    [tag] = result.imported
    assert (tag.tag, tag.digest) == ("1.0", image["metadata"]["name"])
    assert tag.pull_spec == f"quay.io/org/app@{tag.digest}"
    assert latest_image(api.cluster, "app", "1.0") == tag.digest
    assert str(result) == f"demo/app imported\n  1.0: quay.io/org/app@{tag.digest}"
    assert isinstance(result.image_stream_import, ImageStreamImport)


def test_a_missing_stream_needs_confirm(api: Api) -> None:
    with pytest.raises(ValueError, match=r'^no image stream named "app" exists, pass confirm=True to create and import$'):
        api.client.image_streams.import_image("app", from_="quay.io/org/app:1.0")


def test_re_import_of_an_existing_tag_uses_its_source(api: Api) -> None:
    api.cluster.registry.add_image("quay.io/org/app:1.0")
    api.client.image_streams.import_image("app", from_="quay.io/org/app:1.0", confirm=True)
    moved = api.cluster.registry.add_image("quay.io/org/app:1.0", labels={"rebuilt": "yes"})
    result = api.client.image_streams.import_image("app")  # tag latest, source from the spec tag
    assert result.imported[0].digest == moved["metadata"]["name"] == latest_image(api.cluster, "app", "latest")


def test_a_different_source_for_an_existing_tag_is_refused(api: Api) -> None:
    api.cluster.registry.add_image("quay.io/org/app:1.0")
    api.client.image_streams.import_image("app:1.0", from_="quay.io/org/app:1.0", confirm=True)
    with pytest.raises(ValueError, match=r"^the tag \"1.0\" points to \"quay.io/org/app:1.0\" - use the 'tag' command"):
        api.client.image_streams.import_image("app:1.0", from_="quay.io/org/other:1.0")
    with pytest.raises(ValueError, match=r"^the tag \"9\" does not exist on the image stream"):
        api.client.image_streams.import_image("app:9")


def test_all_imports_the_whole_repository(api: Api) -> None:
    api.cluster.registry.add_repository("quay.io/org/tools", ["1.0", "1.1", "latest"])
    result = api.client.image_streams.import_image("tools", from_="quay.io/org/tools", all=True, confirm=True)
    assert sorted(tag.tag for tag in result.imported) == ["1.0", "1.1", "latest"]
    assert {latest_image(api.cluster, "tools", tag) for tag in ("1.0", "1.1", "latest")} == {
        tag.digest for tag in result.imported}


def test_oc_target_rules(api: Api) -> None:
    with pytest.raises(ValueError, match=r'^cannot specify a tag "app:1" as well as all=True$'):
        api.client.image_streams.import_image("app:1", all=True)
    with pytest.raises(ValueError, match=r"^to import images by ID, use the 'tag' command$"):
        api.client.image_streams.import_image("app@sha256:" + "a" * 64)


def test_partial_failure_returns_each_reason(api: Api) -> None:
    api.cluster.registry.add_image("quay.io/org/a:1")
    api.cluster.create("imagestreams", {"metadata": {"name": "app"}, "spec": {"tags": [
        {"name": "a", "from": {"kind": "DockerImage", "name": "quay.io/org/a:1"}},
        {"name": "b", "from": {"kind": "DockerImage", "name": "quay.io/org/b:1"}}]}}, "demo")
    result = api.client.image_streams.import_image("app", all=True)
    assert [tag.tag for tag in result.imported] == ["a"]
    [failed] = result.failed
    assert (failed.tag, failed.source, failed.reason) == ("b", "quay.io/org/b:1", "NotFound")
    assert "quay.io/org/b:1" in failed.message
    assert not result.ok
    assert f"error: tag b failed: {failed.message}" in str(result)
    assert str(result).startswith("demo/app imported with errors")


def test_a_failed_import_raises_the_class_of_its_reason(api: Api) -> None:
    api.cluster.registry.fail("quay.io/org/private:1")
    with pytest.raises(UnauthorizedError) as caught:
        api.client.image_streams.import_image("app:1", from_="quay.io/org/private:1", confirm=True)
    error = caught.value
    assert error.reason == "Unauthorized"
    assert "\n" not in str(error) and "may not have access" in error.message
    answer = error.image_stream_import
    assert isinstance(answer, ImageStreamImport)
    assert answer.to_dict()["status"]["images"][0]["status"]["reason"] == "Unauthorized"
    with pytest.raises(NotFoundError, match=r"quay.io/org/nothing:1"):
        api.client.image_streams.import_image("other:1", from_="quay.io/org/nothing:1", confirm=True)


def test_dry_run_writes_nothing(api: Api) -> None:
    api.cluster.registry.add_image("quay.io/org/app:1.0")
    result = api.client.image_streams.import_image("app:1.0", from_="quay.io/org/app:1.0", confirm=True, dry_run=True)
    assert result.dry_run and not result.created and result.imported
    assert str(result).startswith("demo/app imported (dry run)")
    with pytest.raises(Exception, match=r"not found"):
        stream(api.cluster, "app")


def test_import_options_reach_the_spec_tag(api: Api) -> None:
    api.cluster.registry.add_image("quay.io/org/app:1.0")
    api.client.image_streams.import_image("app:1.0", from_="quay.io/org/app:1.0", confirm=True, scheduled=True,
                                          insecure=True, reference_policy="local", import_mode="PreserveOriginal")
    tag = spec_tag(api.cluster, "app", "1.0")
    assert tag is not None
    assert tag["importPolicy"] == {"insecure": True, "scheduled": True, "importMode": "PreserveOriginal"}
    assert tag["referencePolicy"] == {"type": "Local"}


def test_the_import_is_conditional_on_the_stream_version_read() -> None:
    existing = {"kind": "ImageStream", "apiVersion": "image.openshift.io/v1",
                "metadata": {"name": "app", "namespace": "demo", "resourceVersion": "41"},
                "spec": {"tags": [{"name": "latest", "from": {"kind": "DockerImage", "name": "quay.io/org/app:1"}}]}}
    recorder = Recorder(httpx.Response(200, json=existing),
                        httpx.Response(409, json={"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                                  "reason": "Conflict", "code": 409, "message": "updated"}))
    with Client(base_url="https://x.test", namespace="demo", transport=recorder.transport()) as client, \
            pytest.raises(Exception, match=r"409 Conflict"):
        client.image_streams.import_image("app")
    sent = json.loads(recorder.last.content)
    assert sent["metadata"] == {"name": "app", "namespace": "demo", "resourceVersion": "41"}
    assert sent["spec"]["images"] == [{"from": {"kind": "DockerImage", "name": "quay.io/org/app:1"},
                                       "to": {"name": "latest"}}]


def test_a_tag_that_follows_another_imports_the_tag_at_the_end_of_the_chain(api: Api) -> None:
    image = api.cluster.registry.add_image("quay.io/org/app:1.0")
    api.cluster.create("imagestreams", {"metadata": {"name": "app"}, "spec": {"tags": [
        {"name": "1.0", "from": {"kind": "DockerImage", "name": "quay.io/org/app:1.0"}},
        {"name": "latest", "from": {"kind": "ImageStreamTag", "name": "1.0"}}]}}, "demo")
    result = api.client.image_streams.import_image("app:latest")
    assert [(tag.tag, tag.digest) for tag in result.imported] == [("1.0", image["metadata"]["name"])]
    with pytest.raises(ValueError, match=r"^the tag \"latest\" points to the tag \"1.0\" which points to"):
        api.client.image_streams.import_image("app:latest", from_="quay.io/org/other:1")
