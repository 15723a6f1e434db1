"""``image_streams.tag`` and ``image_stream_imports.import_image``: the request sequences they make.

Scripted answers (httpx.MockTransport) pin down the decisions; the fake-cluster tests show the
same verbs working end to end.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from client.conftest import Recorder
from imageapi import ConflictError, NotFoundError, UnauthorizedError
from imageapi.models import ImageStreamImport
from imageapi.resources import split_stream_tag, tag_source

V1 = "/apis/image.openshift.io/v1"
DIGEST = "sha256:" + "ab" * 32


def status(code: int, reason: str, message: str = "x") -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": reason,
            "message": message, "code": code}


def stream(tags: list[dict[str, Any]], rv: str = "5") -> dict[str, Any]:
    return {"kind": "ImageStream", "apiVersion": "image.openshift.io/v1",
            "metadata": {"name": "app", "namespace": "demo", "resourceVersion": rv}, "spec": {"tags": tags}}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("other:1.0", {"kind": "ImageStreamTag", "name": "other:1.0"}),
        ("shared/other:1.0", {"kind": "ImageStreamTag", "name": "other:1.0", "namespace": "shared"}),
        (f"other@{DIGEST}", {"kind": "ImageStreamImage", "name": f"other@{DIGEST}"}),
        ("quay.io/org/app:1.0", {"kind": "DockerImage", "name": "quay.io/org/app:1.0"}),
        (f"localhost:5000/app@{DIGEST}", {"kind": "DockerImage", "name": f"localhost:5000/app@{DIGEST}"}),
        ("other", {"kind": "DockerImage", "name": "other"}),  # neither tag nor digest: oc reads a pull spec
    ],
)
def test_tag_sources_are_recognised(source: str, expected: dict[str, str]) -> None:
    assert tag_source(source) == expected


def test_a_source_kind_overrides_the_inference() -> None:
    assert tag_source("nginx:1", "DockerImage") == {"kind": "DockerImage", "name": "nginx:1"}
    assert tag_source("nginx:1", "docker") == {"kind": "DockerImage", "name": "nginx:1"}


@pytest.mark.parametrize("bad", ["app", "app:", ":tag", "a:b:c", "ns/app:tag", "app@sha256:x"])
def test_tag_targets_must_be_stream_colon_tag(bad: str) -> None:
    with pytest.raises(ValueError):
        split_stream_tag(bad)


def istag(rv: str = "6") -> dict[str, Any]:
    return {"kind": "ImageStreamTag", "apiVersion": "image.openshift.io/v1",
            "metadata": {"name": "app:stable", "namespace": "demo", "resourceVersion": rv}, "tag": None}


def test_tag_creates_the_tag_through_imagestreamtags_when_the_stream_is_missing(make_client: Any) -> None:
    recorder = Recorder(httpx.Response(404, json=status(404, "NotFound")), httpx.Response(201, json=istag()))
    client = make_client(transport=recorder.transport(), namespace="demo")
    client.image_streams.tag("quay.io/org/app:1.0", "app:stable")
    get, post = recorder.requests
    assert (get.method, get.url.path) == ("GET", f"{V1}/namespaces/demo/imagestreams/app")
    assert (post.method, post.url.path) == ("POST", f"{V1}/namespaces/demo/imagestreamtags")
    assert json.loads(post.content)["tag"] == {
        "name": "stable", "from": {"kind": "DockerImage", "name": "quay.io/org/app:1.0"}, "importPolicy": {},
        "referencePolicy": {"type": "Source"}, "generation": 0,
    }


def test_tag_updates_the_imagestreamtag_conditionally(make_client: Any) -> None:
    existing = {"name": "stable", "from": {"kind": "DockerImage", "name": "old:1"},
                "importPolicy": {"scheduled": True}, "referencePolicy": {"type": "Local"}}
    recorder = Recorder(httpx.Response(200, json=stream([existing, {"name": "other"}])), httpx.Response(200, json=istag()))
    client = make_client(transport=recorder.transport(), namespace="demo")
    client.image_streams.tag("quay.io/org/app:2", "app:stable")
    put = recorder.last
    assert (put.method, put.url.path) == ("PUT", f"{V1}/namespaces/demo/imagestreamtags/app:stable")
    sent = json.loads(put.content)
    assert sent["metadata"]["resourceVersion"] == "5"  # the stream's, as read
    assert sent["tag"]["from"] == {"kind": "DockerImage", "name": "quay.io/org/app:2"}


def test_tag_rereads_and_retries_on_conflict(make_client: Any) -> None:
    recorder = Recorder(
        httpx.Response(200, json=stream([], rv="5")),
        httpx.Response(409, json=status(409, "Conflict")),
        httpx.Response(200, json=stream([], rv="6")),
        httpx.Response(200, json=istag()),
    )
    client = make_client(transport=recorder.transport(), namespace="demo")
    client.image_streams.tag("quay.io/org/app:2", "app:stable")
    assert [request.method for request in recorder.requests] == ["GET", "PUT", "GET", "PUT"]
    assert json.loads(recorder.last.content)["metadata"]["resourceVersion"] == "6"


def test_tag_gives_up_after_repeated_conflicts(make_client: Any) -> None:
    recorder = Recorder(
        *[answer for _ in range(5) for answer in (
            httpx.Response(200, json=stream([])), httpx.Response(409, json=status(409, "Conflict")),
        )]
    )
    client = make_client(transport=recorder.transport(), namespace="demo")
    with pytest.raises(ConflictError):
        client.image_streams.tag("quay.io/org/app:2", "app:stable")
    assert len(recorder.requests) == 10


def test_tag_falls_back_to_the_stream_when_imagestreamtags_are_refused(make_client: Any) -> None:
    recorder = Recorder(
        httpx.Response(200, json=stream([{"name": "other"}])),
        httpx.Response(405, json=status(405, "MethodNotAllowed")),
        httpx.Response(200, json=stream([{"name": "other"}])),
        httpx.Response(200, json=stream([])),
    )
    client = make_client(transport=recorder.transport(), namespace="demo")
    client.image_streams.tag("quay.io/org/app:2", "app:stable")
    assert [(r.method, r.url.path.rsplit("/", 2)[-2]) for r in recorder.requests] == [
        ("GET", "imagestreams"), ("PUT", "imagestreamtags"), ("GET", "imagestreams"), ("PUT", "imagestreams")]
    sent = json.loads(recorder.last.content)
    assert sent["metadata"]["resourceVersion"] == "5"
    assert [tag["name"] for tag in sent["spec"]["tags"]] == ["other", "stable"]


def isi_answer(image_status: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "ImageStreamImport", "apiVersion": "image.openshift.io/v1",
            "metadata": {"name": "app", "namespace": "demo"},
            "spec": {"import": True, "images": [{"from": {"kind": "DockerImage", "name": "quay.io/org/app:1.0"}}]},
            "status": {"images": [{"status": image_status, "tag": "1.0"}]}}


def test_import_image_posts_an_import_with_import_true(make_client: Any) -> None:
    recorder = Recorder(httpx.Response(201, json=isi_answer({"status": "Success", "metadata": {}})))
    client = make_client(transport=recorder.transport(), namespace="elsewhere")
    result = client.image_stream_imports.import_image("demo/app:latest", from_="quay.io/org/app:1.0",
                                                      reference_policy="Local")
    assert isinstance(result, ImageStreamImport)
    post = recorder.last
    assert (post.method, post.url.path) == ("POST", f"{V1}/namespaces/demo/imagestreamimports")
    assert json.loads(post.content) == {
        "apiVersion": "image.openshift.io/v1",
        "kind": "ImageStreamImport",
        "metadata": {"name": "app"},
        "spec": {"import": True, "images": [{
            "from": {"kind": "DockerImage", "name": "quay.io/org/app:1.0"},
            "to": {"name": "latest"},
            "referencePolicy": {"type": "Local"},
        }]},
    }


def test_import_image_raises_the_class_of_the_failed_import(make_client: Any) -> None:
    failure = {**status(401, "Unauthorized", "you may not have access to the container image"), "metadata": {}}
    recorder = Recorder(httpx.Response(201, json=isi_answer(failure)))
    client = make_client(transport=recorder.transport(), namespace="demo")
    with pytest.raises(UnauthorizedError, match="may not have access") as caught:
        client.image_stream_imports.import_image("app:1.0", from_="quay.io/org/app:1.0")
    answer = caught.value.image_stream_import
    assert isinstance(answer, ImageStreamImport)  # the whole answer, for the caller to inspect
    assert answer.to_dict()["status"]["images"][0]["status"]["reason"] == "Unauthorized"


def test_errors_of_other_calls_carry_no_image_stream_import(make_client: Any) -> None:
    recorder = Recorder(httpx.Response(404, json=status(404, "NotFound")))
    client = make_client(transport=recorder.transport(), namespace="demo")
    with pytest.raises(NotFoundError) as caught:
        client.image_streams.get("app")
    assert caught.value.image_stream_import is None


def test_import_image_target_forms(make_client: Any) -> None:
    recorder = Recorder(httpx.Response(201, json=isi_answer({"status": "Success", "metadata": {}})))
    client = make_client(transport=recorder.transport(), namespace="demo")
    client.image_stream_imports.import_image("app", from_="quay.io/org/app:1.0")
    assert json.loads(recorder.last.content)["spec"]["images"][0]["to"] == {"name": "latest"}
    with pytest.raises(ValueError, match="disagree"):
        client.image_stream_imports.import_image("a/app:1", from_="x.io/a:1", namespace="b")
    with pytest.raises(ValueError):
        client.image_stream_imports.import_image("app@sha256:abc", from_="x.io/a:1")


def test_import_image_not_found_is_a_not_found_error(make_client: Any) -> None:
    failure = {**status(404, "NotFound", 'dockerimage.image.openshift.io "quay.io/org/nope:1" not found')}
    recorder = Recorder(httpx.Response(201, json=isi_answer(failure)))
    client = make_client(transport=recorder.transport(), namespace="demo")
    with pytest.raises(NotFoundError):
        client.image_stream_imports.import_image("app:1", from_="quay.io/org/nope:1")
