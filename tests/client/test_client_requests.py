"""What goes on the wire for each verb: method, path, query, headers, body (httpx.MockTransport).

Every test runs against Client and AsyncClient (the ``mode`` fixture).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from client.conftest import BASE_URL, Recorder
from imageapi.models import ImageStream, Preconditions, Status

V1 = "/apis/image.openshift.io/v1"


def stream_json(name: str = "app", namespace: str = "demo", **extra: Any) -> dict[str, Any]:
    return {
        "kind": "ImageStream",
        "apiVersion": "image.openshift.io/v1",
        "metadata": {"name": name, "namespace": namespace, "resourceVersion": "7", **extra},
    }


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


@pytest.fixture
def echo_stream() -> Recorder:
    return Recorder(httpx.Response(200, json=stream_json()))


def test_get_builds_the_object_path_and_decodes_a_model(make_client: Any, echo_stream: Recorder) -> None:
    client = make_client(transport=echo_stream.transport(), namespace="demo")
    stream = client.image_streams.get("app")
    assert isinstance(stream, ImageStream)
    assert stream.metadata.name == "app"
    request = echo_stream.last
    assert request.method == "GET"
    assert str(request.url) == f"{BASE_URL}{V1}/namespaces/demo/imagestreams/app"
    assert request.headers["accept"] == "application/json"
    assert request.content == b""


def test_names_with_colon_and_at_stay_readable_other_characters_are_escaped(make_client: Any) -> None:
    # A body without kind decodes as whatever was asked for (an ImageStream answer to an
    # imagestreamtag GET would be a ProtocolError): this test is about the paths.
    echo_stream = Recorder(httpx.Response(200, json={"metadata": {"name": "x"}}))
    client = make_client(transport=echo_stream.transport(), namespace="demo")
    client.image_stream_tags.get("app:latest")
    assert echo_stream.last.url.raw_path.decode().endswith("/imagestreamtags/app:latest")
    client.image_stream_images.get("app@sha256:abc")
    assert echo_stream.last.url.raw_path.decode().endswith("/imagestreamimages/app@sha256:abc")
    client.image_streams.get("a/b")
    assert echo_stream.last.url.raw_path.decode().endswith("/imagestreams/a%2Fb")


def test_an_empty_name_is_refused_before_anything_is_sent(make_client: Any, echo_stream: Recorder) -> None:
    # Without this check, get("") would read the whole collection.
    client = make_client(transport=echo_stream.transport(), namespace="demo")
    for name in ("", ".", ".."):
        with pytest.raises(ValueError, match="not an object name"):
            client.image_streams.get(name)
    assert echo_stream.requests == []


def test_namespace_defaults_to_the_clients_and_can_be_overridden(make_client: Any, echo_stream: Recorder) -> None:
    client = make_client(transport=echo_stream.transport(), namespace="team-a")
    client.image_streams.get("app")
    assert echo_stream.last.url.path == f"{V1}/namespaces/team-a/imagestreams/app"
    client.image_streams.get("app", namespace="team-b")
    assert echo_stream.last.url.path == f"{V1}/namespaces/team-b/imagestreams/app"


def test_without_any_namespace_the_default_namespace_is_used(make_client: Any, echo_stream: Recorder) -> None:
    client = make_client(transport=echo_stream.transport())
    assert client.namespace == "default"
    client.image_streams.get("app")
    assert echo_stream.last.url.path == f"{V1}/namespaces/default/imagestreams/app"


def test_create_takes_the_namespace_from_the_body_when_none_is_given(make_client: Any) -> None:
    recorder = Recorder(httpx.Response(201, json=stream_json(namespace="from-body")))
    client = make_client(transport=recorder.transport(), namespace="client-ns")
    client.image_streams.create({"metadata": {"name": "app", "namespace": "from-body"}})
    assert recorder.last.url.path == f"{V1}/namespaces/from-body/imagestreams"
    client.image_streams.create({"metadata": {"name": "app"}})
    assert recorder.last.url.path == f"{V1}/namespaces/client-ns/imagestreams"


def test_cluster_scoped_resources_refuse_a_namespace(make_client: Any) -> None:
    echo_stream = Recorder(httpx.Response(200, json={"metadata": {"name": "sha256:abc"}}))
    client = make_client(transport=echo_stream.transport(), namespace="demo")
    with pytest.raises(TypeError, match="cluster-scoped"):
        client.images.get("sha256:abc", namespace="demo")
    client.images.get("sha256:abc")
    assert echo_stream.last.url.path == f"{V1}/images/sha256:abc"


def test_create_sends_a_model_and_a_dict_the_same_way(make_client: Any) -> None:
    recorder = Recorder(httpx.Response(201, json=stream_json()))
    client = make_client(transport=recorder.transport(), namespace="demo")
    created = client.image_streams.create(
        ImageStream(metadata={"name": "app", "labels": {"team": "a"}}, spec={"lookupPolicy": {"local": True}})
    )
    assert isinstance(created, ImageStream)
    from_model = body_of(recorder.last)
    client.image_streams.create(
        {"metadata": {"name": "app", "labels": {"team": "a"}}, "spec": {"lookup_policy": {"local": True}}}
    )
    from_dict = body_of(recorder.last)
    # Dicts are sent as given (snake_case keys are the caller's business) but gain apiVersion/kind.
    assert from_model["apiVersion"] == from_dict["apiVersion"] == "image.openshift.io/v1"
    assert from_model["kind"] == from_dict["kind"] == "ImageStream"
    assert from_model["spec"] == {"lookupPolicy": {"local": True}}
    assert recorder.last.method == "POST"
    assert recorder.last.url.path == f"{V1}/namespaces/demo/imagestreams"
    assert recorder.last.headers["content-type"] == "application/json"


def test_create_does_not_modify_the_callers_dict(make_client: Any) -> None:
    recorder = Recorder(httpx.Response(201, json=stream_json()))
    client = make_client(transport=recorder.transport(), namespace="demo")
    body = {"metadata": {"name": "app"}}
    client.image_streams.create(body)
    assert body == {"metadata": {"name": "app"}}


def test_write_options_become_query_parameters(make_client: Any) -> None:
    recorder = Recorder(httpx.Response(201, json=stream_json()))
    client = make_client(transport=recorder.transport(), namespace="demo")
    client.image_streams.create(
        {"metadata": {"name": "app"}}, dry_run=True, field_manager="ci", field_validation="Strict"
    )
    assert dict(recorder.last.url.params) == {"dryRun": "All", "fieldManager": "ci", "fieldValidation": "Strict"}
    client.image_streams.create({"metadata": {"name": "app"}})
    assert dict(recorder.last.url.params) == {}


def test_replace_puts_to_the_name_in_the_body(make_client: Any, echo_stream: Recorder) -> None:
    client = make_client(transport=echo_stream.transport(), namespace="demo")
    stream = ImageStream.from_dict(stream_json())
    client.image_streams.replace(stream, dry_run=True)
    request = echo_stream.last
    assert request.method == "PUT"
    assert request.url.path == f"{V1}/namespaces/demo/imagestreams/app"
    assert body_of(request)["metadata"]["resourceVersion"] == "7"
    assert dict(request.url.params) == {"dryRun": "All"}


def test_replace_without_a_name_is_refused(make_client: Any, echo_stream: Recorder) -> None:
    client = make_client(transport=echo_stream.transport(), namespace="demo")
    with pytest.raises(ValueError, match=r"metadata\.name"):
        client.image_streams.replace({"spec": {}})
    assert echo_stream.requests == []


@pytest.mark.parametrize(
    ("patch_type", "body", "content_type"),
    [
        (None, {"metadata": {"labels": {"a": "b"}}}, "application/merge-patch+json"),
        ("merge", {"metadata": {"labels": {"a": "b"}}}, "application/merge-patch+json"),
        ("strategic", {"spec": {"tags": [{"name": "x"}]}}, "application/strategic-merge-patch+json"),
        ("json", [{"op": "add", "path": "/metadata/labels", "value": {"a": "b"}}], "application/json-patch+json"),
        (None, [{"op": "remove", "path": "/metadata/labels"}], "application/json-patch+json"),
    ],
)
def test_patch_types_choose_the_content_type(
    make_client: Any, echo_stream: Recorder, patch_type: str | None, body: Any, content_type: str
) -> None:
    client = make_client(transport=echo_stream.transport(), namespace="demo")
    client.image_streams.patch("app", body, type=patch_type)
    request = echo_stream.last
    assert request.method == "PATCH"
    assert request.url.path == f"{V1}/namespaces/demo/imagestreams/app"
    assert request.headers["content-type"] == content_type
    assert body_of(request) == body


def test_server_side_apply_needs_a_field_manager_and_names_the_kind(make_client: Any, echo_stream: Recorder) -> None:
    client = make_client(transport=echo_stream.transport(), namespace="demo")
    with pytest.raises(ValueError, match="field_manager"):
        client.image_streams.patch("app", {"metadata": {"name": "app"}}, type="apply")
    client.image_streams.patch(
        "app", {"metadata": {"name": "app"}}, type="apply", field_manager="me", force=True
    )
    request = echo_stream.last
    assert request.headers["content-type"] == "application/apply-patch+yaml"
    assert dict(request.url.params) == {"fieldManager": "me", "force": "true"}
    assert body_of(request) == {
        "metadata": {"name": "app"}, "apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
    }


def test_patch_refuses_mismatched_type_and_body(make_client: Any, echo_stream: Recorder) -> None:
    client = make_client(transport=echo_stream.transport(), namespace="demo")
    with pytest.raises(ValueError, match="list of operations"):
        client.image_streams.patch("app", {"a": 1}, type="json")
    with pytest.raises(ValueError, match="list of operations"):
        client.image_streams.patch("app", [{"op": "remove", "path": "/x"}], type="merge")
    with pytest.raises(ValueError, match="force"):
        client.image_streams.patch("app", {"a": 1}, force=True)
    assert echo_stream.requests == []


def test_delete_without_options_sends_no_body(make_client: Any) -> None:
    recorder = Recorder(httpx.Response(200, json={"kind": "Status", "apiVersion": "v1", "status": "Success"}))
    client = make_client(transport=recorder.transport(), namespace="demo")
    result = client.image_streams.delete("app")
    assert isinstance(result, Status)
    assert result.status == "Success"
    assert recorder.last.method == "DELETE"
    assert recorder.last.content == b""


@pytest.mark.parametrize(
    "preconditions",
    [{"uid": "u-1", "resourceVersion": "9"}, Preconditions(uid="u-1", resource_version="9")],
    ids=["dict", "model"],
)
def test_delete_options_travel_in_a_delete_options_body(make_client: Any, preconditions: Any) -> None:
    recorder = Recorder(httpx.Response(200, json={"kind": "Status", "apiVersion": "v1", "status": "Success"}))
    client = make_client(transport=recorder.transport(), namespace="demo")
    client.image_streams.delete(
        "app", grace_period_seconds=0, propagation_policy="Background", preconditions=preconditions, dry_run=True
    )
    request = recorder.last
    assert request.url.path == f"{V1}/namespaces/demo/imagestreams/app"
    assert dict(request.url.params) == {}  # the server ignores query options when a body is sent
    assert body_of(request) == {
        "kind": "DeleteOptions",
        "apiVersion": "v1",
        "dryRun": ["All"],
        "gracePeriodSeconds": 0,
        "propagationPolicy": "Background",
        "preconditions": {"uid": "u-1", "resourceVersion": "9"},
    }


def test_delete_answering_the_object_decodes_the_object(make_client: Any) -> None:
    # propagationPolicy=Foreground on an image stream: finalizers keep it and the server returns it.
    recorder = Recorder(httpx.Response(200, json=stream_json(finalizers=["foregroundDeletion"])))
    client = make_client(transport=recorder.transport(), namespace="demo")
    result = client.image_streams.delete("app", propagation_policy="Foreground")
    assert isinstance(result, ImageStream)


def test_delete_collection_sends_selectors_and_decodes_the_list(make_client: Any) -> None:
    answer = {"kind": "ImageStreamList", "apiVersion": "image.openshift.io/v1", "metadata": {},
              "items": [stream_json("a"), stream_json("b")]}
    recorder = Recorder(httpx.Response(200, json=answer))
    client = make_client(transport=recorder.transport(), namespace="demo")
    deleted = client.image_streams.delete_collection(label_selector="team=a", field_selector="metadata.name=a")
    assert [item.metadata.name for item in deleted.items] == ["a", "b"]
    request = recorder.last
    assert request.method == "DELETE"
    assert request.url.path == f"{V1}/namespaces/demo/imagestreams"
    assert dict(request.url.params) == {"labelSelector": "team=a", "fieldSelector": "metadata.name=a"}


def test_status_subresource_verbs(make_client: Any, echo_stream: Recorder) -> None:
    client = make_client(transport=echo_stream.transport(), namespace="demo")
    assert isinstance(client.image_streams.get_status("app"), ImageStream)
    assert echo_stream.last.url.path == f"{V1}/namespaces/demo/imagestreams/app/status"
    client.image_streams.replace_status(stream_json())
    assert (echo_stream.last.method, echo_stream.last.url.path) == ("PUT", f"{V1}/namespaces/demo/imagestreams/app/status")
    client.image_streams.patch_status("app", {"status": {"tags": []}})
    assert (echo_stream.last.method, echo_stream.last.url.path) == ("PATCH", f"{V1}/namespaces/demo/imagestreams/app/status")


def test_layers_and_secrets_subresources(make_client: Any) -> None:
    layers = {"kind": "ImageStreamLayers", "apiVersion": "image.openshift.io/v1", "metadata": {"name": "app"},
              "blobs": {}, "images": {}}
    secrets = {"kind": "SecretList", "apiVersion": "image.openshift.io/v1", "metadata": {}, "items": []}
    recorder = Recorder(httpx.Response(200, json=layers), httpx.Response(200, json=secrets))
    client = make_client(transport=recorder.transport(), namespace="demo")
    assert type(client.image_streams.layers("app")).__name__ == "ImageStreamLayers"
    assert recorder.last.url.path == f"{V1}/namespaces/demo/imagestreams/app/layers"
    assert type(client.image_streams.secrets("app", label_selector="a=b", limit=5)).__name__ == "SecretList"
    assert recorder.last.url.path == f"{V1}/namespaces/demo/imagestreams/app/secrets"
    assert dict(recorder.last.url.params) == {"labelSelector": "a=b", "limit": "5"}


def test_image_stream_mapping_create_returns_the_status(make_client: Any) -> None:
    answer = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
    recorder = Recorder(httpx.Response(201, json=answer))
    client = make_client(transport=recorder.transport(), namespace="demo")
    result = client.image_stream_mappings.create(
        {"metadata": {"name": "app"}, "tag": "latest", "image": {"metadata": {"name": "sha256:abc"}}}
    )
    assert isinstance(result, Status)
    assert result.code == 201
    assert recorder.last.url.path == f"{V1}/namespaces/demo/imagestreammappings"
    assert body_of(recorder.last)["kind"] == "ImageStreamMapping"


def test_per_call_timeout_overrides_the_clients(make_client: Any, echo_stream: Recorder) -> None:
    client = make_client(transport=echo_stream.transport(), namespace="demo", timeout=12.0)
    client.image_streams.get("app")
    assert echo_stream.last.extensions["timeout"]["read"] == 12.0
    client.image_streams.get("app", timeout=3.0)
    assert echo_stream.last.extensions["timeout"]["read"] == 3.0
    client.image_streams.get("app", timeout=None)
    assert echo_stream.last.extensions["timeout"]["read"] is None


def test_with_options_changes_defaults_and_shares_the_pool(make_client: Any, echo_stream: Recorder) -> None:
    client = make_client(transport=echo_stream.transport(), namespace="demo", timeout=12.0)
    other = client.with_options(namespace="other", timeout=2.0)
    other.image_streams.get("app")
    assert echo_stream.last.url.path == f"{V1}/namespaces/other/imagestreams/app"
    assert echo_stream.last.extensions["timeout"]["read"] == 2.0
    # The original keeps its own defaults, and closing the copy leaves the pool open.
    other.close()
    client.image_streams.get("app")
    assert echo_stream.last.url.path == f"{V1}/namespaces/demo/imagestreams/app"
    assert echo_stream.last.extensions["timeout"]["read"] == 12.0


def test_token_is_sent_as_a_bearer_header(make_client: Any, echo_stream: Recorder) -> None:
    client = make_client(transport=echo_stream.transport(), namespace="demo", token="s3cret")
    client.image_streams.get("app")
    assert echo_stream.last.headers["authorization"] == "Bearer s3cret"


def test_a_loaded_configuration_gives_server_namespace_auth_and_sni(make_client: Any, echo_stream: Recorder) -> None:
    from imageapi.auth import BearerTokenAuth
    from imageapi.config import ClientConfig

    config = ClientConfig(server="https://cluster.test:6443", namespace="from-context",
                          auth=BearerTokenAuth("tok"), tls_server_name="api.internal")
    client = make_client(transport=echo_stream.transport(), base_url=None, config=config)
    assert client.namespace == "from-context"
    client.image_streams.get("app")
    request = echo_stream.last
    assert str(request.url) == f"https://cluster.test:6443{V1}/namespaces/from-context/imagestreams/app"
    assert request.headers["authorization"] == "Bearer tok"
    assert request.extensions["sni_hostname"] == "api.internal"


def test_base_url_and_a_configuration_are_exclusive() -> None:
    from imageapi import Client
    from imageapi.config import ClientConfig

    with pytest.raises(TypeError, match="not both"):
        Client(base_url=BASE_URL, config=ClientConfig(server=BASE_URL))


def test_delete_recognises_a_status_by_its_decoded_kind_wherever_kind_appears(make_client: Any) -> None:
    # A proxy or another server may reorder keys and pretty-print: ``kind`` comes last, far from the front.
    status = {"apiVersion": "v1", "metadata": {}, "status": "Success",
              "details": {"name": "app", "group": "image.openshift.io", "kind": "imagestreams", "uid": "u" * 300},
              "kind": "Status"}
    recorder = Recorder(httpx.Response(200, content=json.dumps(status, indent=4).encode(),
                                       headers={"Content-Type": "application/json"}))
    client = make_client(transport=recorder.transport(), namespace="demo")
    result = client.image_streams.delete("app")
    assert isinstance(result, Status)
    assert result.status == "Success"
    assert result.details is not None and result.details.name == "app"


def test_delete_decodes_an_object_that_merely_mentions_status_as_the_object(make_client: Any) -> None:
    # The text '"kind":"Status"' inside an annotation near the front must not turn the object into a Status.
    stream = {"metadata": {"name": "app", "namespace": "demo", "annotations": {"note": '{"kind":"Status"}'},
                           "finalizers": ["foregroundDeletion"]},
              "kind": "ImageStream", "apiVersion": "image.openshift.io/v1"}
    recorder = Recorder(httpx.Response(200, json=stream))
    client = make_client(transport=recorder.transport(), namespace="demo")
    result = client.image_streams.delete("app", propagation_policy="Foreground")
    assert isinstance(result, ImageStream)
    assert result.metadata is not None and result.metadata.finalizers == ["foregroundDeletion"]


def test_delete_answer_without_kind_decodes_as_the_object(make_client: Any) -> None:
    recorder = Recorder(httpx.Response(200, json={"metadata": {"name": "app", "namespace": "demo"}}))
    client = make_client(transport=recorder.transport(), namespace="demo")
    assert isinstance(client.image_streams.delete("app"), ImageStream)
