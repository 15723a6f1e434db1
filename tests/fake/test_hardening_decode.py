"""Every body is decoded against the schema before a handler sees it, as the Go server decodes it
(issue 9 §1, §2): wrong types are 400 with Go's message naming the field, nothing wrong-typed is
stored, and no input reaches a handler that could raise."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from _core_helpers import digest, image_body, images_path, stream_body, streams_path

from imageapi.testing import FakeCluster
from imageapi.testing._decode import MAX_DEPTH, register_schema

JSON_HEADERS = {"Content-Type": "application/json"}


def post(http: httpx.Client, path: str, body: bytes | dict[str, Any], **params: str) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return http.post(path, content=content, headers=JSON_HEADERS, params=params)


def realistic_stream(name: str) -> dict[str, Any]:
    """An ImageStream as `oc get -o json` shows it: defaults, nulls, tracking tags, policies, status."""
    return {
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
        "metadata": {"name": name, "labels": {"app": name}, "annotations": {"openshift.io/image.dockerRepositoryCheck":
                                                                             "2024-01-01T00:00:00Z"},
                     "creationTimestamp": None},
        "spec": {"lookupPolicy": {"local": False}, "tags": [
            {"name": "1.0", "annotations": None, "from": {"kind": "DockerImage", "name": "quay.io/x/y:1.0"},
             "generation": 2, "importPolicy": {"importMode": "Legacy", "scheduled": False},
             "referencePolicy": {"type": "Source"}},
            {"name": "latest", "from": {"kind": "ImageStreamTag", "name": "1.0"}, "generation": None,
             "importPolicy": {}, "referencePolicy": {"type": "Local"}},
        ]},
        "status": {"dockerImageRepository": "", "tags": [
            {"tag": "1.0", "items": [{"created": "2024-01-01T00:00:00Z", "dockerImageReference": "quay.io/x/y@"
                                      + digest(1), "image": digest(1), "generation": 2}]}]},
    }


def test_a_realistic_manifest_with_nulls_and_status_is_accepted(http: httpx.Client) -> None:
    response = post(http, streams_path(), realistic_stream("full"))
    assert response.status_code == 201, response.text
    assert [tag["name"] for tag in response.json()["spec"]["tags"]] == ["1.0", "latest"]


@pytest.mark.parametrize(("path", "body", "message"), [
    # The reproducers: each was stored, and some broke every later list.
    (images_path(), {"metadata": {"name": 1.5}, "dockerImageReference": "x"},
     'Image in version "v1" cannot be handled as a Image: json: cannot unmarshal number into Go struct field '
     "ObjectMeta.metadata.name of type string"),
    (streams_path(), {"metadata": {"name": "a", "labels": 123}},
     'ImageStream in version "v1" cannot be handled as a ImageStream: json: cannot unmarshal number into Go '
     "struct field ObjectMeta.metadata.labels of type map[string]string"),
    (streams_path(), {"metadata": {"name": "a", "labels": "x"}},
     'ImageStream in version "v1" cannot be handled as a ImageStream: json: cannot unmarshal string into Go '
     "struct field ObjectMeta.metadata.labels of type map[string]string"),
    (streams_path(), {"metadata": {"name": "a", "annotations": {"k": 1}}},
     'ImageStream in version "v1" cannot be handled as a ImageStream: json: cannot unmarshal number into Go '
     "struct field ObjectMeta.metadata.annotations of type string"),
    (streams_path(), {"metadata": {"name": "a"}, "spec": {"tags": "nope"}},
     'ImageStream in version "v1" cannot be handled as a ImageStream: json: cannot unmarshal string into Go '
     "struct field ImageStreamSpec.spec.tags of type []v1.TagReference"),
    (streams_path(), {"metadata": {"name": "a"}, "spec": {"tags": 123}},
     'ImageStream in version "v1" cannot be handled as a ImageStream: json: cannot unmarshal number into Go '
     "struct field ImageStreamSpec.spec.tags of type []v1.TagReference"),
    (streams_path(), {"metadata": {"name": "a"}, "spec": {"tags": [{"name": "t", "from": {"name": 5}}]}},
     'ImageStream in version "v1" cannot be handled as a ImageStream: json: cannot unmarshal number into Go '
     "struct field ObjectReference.spec.tags.from.name of type string"),
    (streams_path(), {"metadata": {"name": "a"}, "spec": {"lookupPolicy": {"local": "yes"}}},
     'ImageStream in version "v1" cannot be handled as a ImageStream: json: cannot unmarshal string into Go '
     "struct field ImageLookupPolicy.spec.lookupPolicy.local of type bool"),
    (streams_path(), {"metadata": {"name": "a", "generation": 1.5}},
     'ImageStream in version "v1" cannot be handled as a ImageStream: json: cannot unmarshal number 1.5 into Go '
     "struct field ObjectMeta.metadata.generation of type int64"),
    (streams_path(), {"metadata": {"name": "a", "generation": 2 ** 63}},
     'ImageStream in version "v1" cannot be handled as a ImageStream: json: cannot unmarshal number '
     "9223372036854775808 into Go struct field ObjectMeta.metadata.generation of type int64"),
    (streams_path(), {"metadata": {"name": "a", "generation": True}},
     'ImageStream in version "v1" cannot be handled as a ImageStream: json: cannot unmarshal bool into Go '
     "struct field ObjectMeta.metadata.generation of type int64"),
    (streams_path(), {"metadata": "a"},
     'ImageStream in version "v1" cannot be handled as a ImageStream: json: cannot unmarshal string into Go '
     "struct field ImageStream.metadata of type v1.ObjectMeta"),
    (streams_path(), {"metadata": {"name": "a", "finalizers": "f"}},
     'ImageStream in version "v1" cannot be handled as a ImageStream: json: cannot unmarshal string into Go '
     "struct field ObjectMeta.metadata.finalizers of type []string"),
    (streams_path(), {"metadata": {"name": "a"}, "status": {"tags": [{"tag": "t", "items": [{"created": 5}]}]}},
     'ImageStream in version "v1" cannot be handled as a ImageStream: json: cannot unmarshal number into Go '
     "value of type string"),
    (streams_path(), {"metadata": {"name": "a"}, "status": {"tags": [{"tag": "t", "items": [{"created": "now"}]}]}},
     'ImageStream in version "v1" cannot be handled as a ImageStream: parsing time "now" as '
     '"2006-01-02T15:04:05Z07:00": cannot parse "now" as "2006"'),
    ("/api/v1/namespaces/ns1/secrets", {"metadata": {"name": "s"}, "data": {"k": "not base64!"}},
     'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3'),
])
def test_wrong_types_are_400_naming_the_go_field(http: httpx.Client, path: str, body: dict[str, Any],
                                                 message: str) -> None:
    response = post(http, path, body)
    assert response.status_code == 400
    assert response.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                               "message": message, "reason": "BadRequest", "code": 400}


@pytest.mark.parametrize(("body", "error"), [
    (b'{"metadata":{"name":"a","annotations":{"k":NaN}}}', "invalid character 'N' looking for beginning of value"),
    (b'{"metadata":{"name":"a","generation":Infinity}}', "invalid character 'I' looking for beginning of value"),
    (b'{"metadata":{"name":"a","generation":-Infinity}}', "invalid character 'I' in numeric literal"),
    (b'\xef\xbb\xbf{"metadata":{"name":"a"}}', "invalid character '\u00ef' looking for beginning of value"),
    ('{"metadata":{"name":"a"}}'.encode("utf-16"), "invalid character '\u00ff' looking for beginning of value"),
    ('{"metadata":{"name":"a"}}'.encode("utf-16-le"),
     "invalid character '\\x00' looking for beginning of object key string"),
    (b'{"metadata":{"name":"a"}', "unexpected end of JSON input"),
    (b'{"metadata" {}}', "invalid character '{' after object key"),
    (b'{"metadata":{} "x":1}', "invalid character '\"' after object key:value pair"),
    (b'{"a":[1 2]}', "invalid character '2' after array element"),
    (b'{} x', "invalid character 'x' after top-level value"),
    (b'{"a":"\\q"}', "invalid character 'q' in string escape code"),
    (b'{"kind":5}', "json: cannot unmarshal number into Go struct field .kind of type string"),
])
def test_what_go_cannot_scan_is_400_with_the_scanner_message(http: httpx.Client, body: bytes, error: str) -> None:
    response = post(http, streams_path(), body)
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.startswith("the object provided is unrecognized (must be of type ImageStream): couldn't get "
                              f"version/kind; json parse error: {error} (")
    assert response.json()["reason"] == "BadRequest"


def test_the_unrecognized_body_summary_is_the_first_30_bytes(http: httpx.Client) -> None:
    body = b'{"metadata":{"name":"abcdefghijklmnopqrstuvwxyz"}'
    assert post(http, streams_path(), body).json()["message"].endswith('({"metadata":{"name":"abcdefghi ...)')
    assert post(http, streams_path(), b"\xff").json()["message"].endswith("(ff)")


@pytest.mark.parametrize("literal", ["1e400", "-1e400", "9" * 400 + ".0"])
def test_numbers_beyond_float64_are_refused_in_int_and_free_form_fields(http: httpx.Client, literal: str) -> None:
    as_int = post(http, streams_path(), f'{{"metadata":{{"name":"a","generation":{literal}}}}}'.encode())
    assert as_int.status_code == 400
    assert as_int.json()["message"].endswith(f"cannot unmarshal number {literal} into Go struct field "
                                             "ObjectMeta.metadata.generation of type int64")
    free_form = post(http, images_path(), f'{{"metadata":{{"name":"{digest(1)}"}},"dockerImageReference":"x",'
                                          f'"dockerImageMetadata":{{"Size":{literal}}}}}'.encode())
    assert free_form.status_code == 400
    assert free_form.json()["message"].endswith(f"cannot unmarshal number {literal} into Go value of type float64")


def test_nothing_wrong_typed_is_stored_so_lists_and_watches_keep_working(cluster: FakeCluster,
                                                                         http: httpx.Client) -> None:
    hostile: list[dict[str, Any]] = [{"metadata": {"name": 1.5}}, {"metadata": {"name": "a", "labels": 123}},
               {"metadata": {"name": "b", "labels": {"x": None}, "annotations": {"a": 1}}}]
    for body in hostile:
        assert post(http, images_path(), {**body, "dockerImageReference": "r"}).status_code == 400
    assert post(http, images_path(), image_body(digest(2))).status_code == 201
    listed = http.get(images_path(), params={"labelSelector": "x"})
    assert listed.status_code == 200
    assert listed.json()["items"] == []
    assert [item["metadata"]["name"] for item in http.get(images_path()).json()["items"]] == [digest(2)]
    assert len(cluster.list("images")) == 1


def test_duplicate_keys_keep_the_last_value_and_warn(http: httpx.Client) -> None:
    body = b'{"metadata":{"name":"first","name":"dup","labels":{"a":"1","a":"2"}},"spec":{"lookupPolicy":{},' \
           b'"lookupPolicy":{"local":true}}}'
    response = post(http, streams_path(), body)
    assert response.status_code == 201
    created = response.json()
    assert created["metadata"]["name"] == "dup"
    assert created["metadata"]["labels"] == {"a": "2"}
    assert created["spec"]["lookupPolicy"] == {"local": True}
    assert response.headers.get_list("warning") == ['299 - "duplicate field \\"metadata.name\\""',
                                                    '299 - "duplicate field \\"metadata.labels[a]\\""',
                                                    '299 - "duplicate field \\"spec.lookupPolicy\\""']


def test_duplicate_keys_are_400_with_strict_field_validation(http: httpx.Client) -> None:
    response = post(http, streams_path(), b'{"metadata":{"name":"a","name":"b"},"bogus":1}', fieldValidation="Strict")
    assert response.status_code == 400
    assert response.json()["message"] == ('strict decoding error: unknown field "bogus", duplicate field '
                                          '"metadata.name"')


def test_a_patch_is_decoded_and_its_result_decoded_again(cluster: FakeCluster, http: httpx.Client) -> None:
    assert post(http, streams_path(), stream_body("app")).status_code == 201
    before = cluster.get("imagestreams", "app", namespace="ns1")
    merge = http.patch(streams_path(name="app"), content=b'{"metadata":{"labels":{"a":1}}}',
                       headers={"Content-Type": "application/merge-patch+json"})
    assert merge.status_code == 422
    assert merge.json()["message"].startswith(' "" is invalid: patch: Invalid value: "{')
    assert merge.json()["message"].endswith("json: cannot unmarshal number into Go struct field "
                                            "ObjectMeta.metadata.labels of type string")
    assert merge.json()["details"]["causes"][0]["field"] == "patch"
    strategic = http.patch(streams_path(name="app"), content=b'{"spec":{"tags":"x"}}',
                           headers={"Content-Type": "application/strategic-merge-patch+json"})
    assert strategic.status_code == 422
    assert strategic.json()["message"] == (' "" is invalid: patch: Invalid value: "map[spec:map[tags:x]]": json: '
                                           "cannot unmarshal string into Go struct field ImageStreamSpec.spec.tags "
                                           "of type []v1.TagReference")
    json_patch = http.patch(streams_path(name="app"), json=[{"op": "add", "path": "/metadata/name", "value": 1.5}],
                            headers={"Content-Type": "application/json-patch+json"})
    assert json_patch.status_code == 422
    nan = http.patch(streams_path(name="app"), content=b'{"metadata":{"annotations":{"a":NaN}}}',
                     headers={"Content-Type": "application/merge-patch+json"})
    assert nan.status_code == 400
    assert nan.json()["message"] == "error decoding patch: invalid character 'N' looking for beginning of value"
    assert cluster.get("imagestreams", "app", namespace="ns1") == before


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 900, 20_000])
def test_deep_nesting_is_400_not_a_recursion_error(http: httpx.Client, depth: int) -> None:
    assert post(http, streams_path(), stream_body("deep")).status_code == 201
    deep = b'{"metadata":{"annotations":' + b'{"a":' * depth + b'"x"' + b"}" * depth + b"}}"
    patch = http.patch(streams_path(name="deep"), content=deep, headers={"Content-Type": "application/merge-patch+json"})
    assert patch.status_code == 400
    assert patch.json()["message"].startswith("error decoding patch: invalid character '{' exceeded max depth")
    create = post(http, images_path(), b'{"dockerImageMetadata":' + b"[" * depth + b"]" * depth + b"}")
    assert create.status_code == 400
    assert "exceeded max depth" in create.json()["message"]


def test_values_stored_as_sent_keep_nesting_below_the_bound(http: httpx.Client) -> None:
    # A Pod's spec is stored as sent (no schema beyond metadata): nesting just under the bound survives
    # the decode, the store, the managed fields and the encoder.
    nested: Any = "leaf"
    for _ in range(MAX_DEPTH - 4):
        nested = {"k": nested}
    pod = {"metadata": {"name": "deep"}, "spec": {"containers": [{"name": "c", "image": "x"}], "extra": nested}}
    created = post(http, "/api/v1/namespaces/ns1/pods", pod)
    assert created.status_code == 201, created.text
    assert http.get("/api/v1/namespaces/ns1/pods/deep").json()["spec"]["extra"] == nested


def test_invalid_namespace_names_are_never_created(cluster: FakeCluster, http: httpx.Client) -> None:
    for namespace in ("Bad_NS", "a" * 64, "-x", "x."):
        response = post(http, streams_path(namespace), stream_body("a"))
        assert response.status_code == 404
        assert response.json()["message"] == f'namespaces "{namespace}" not found'
    assert {ns["metadata"]["name"] for ns in cluster.list("namespaces")} <= {"default", "kube-system", "kube-public"}
    assert post(http, streams_path("a" * 63), stream_body("a")).status_code == 201


def test_a_lone_surrogate_escape_is_decoded_as_the_replacement_character(http: httpx.Client) -> None:
    response = post(http, streams_path(), b'{"metadata":{"name":"s","annotations":{"a":"x\\ud800y"}}}')
    assert response.status_code == 201
    assert response.json()["metadata"]["annotations"] == {"a": "x\ufffdy"}


def test_kinds_without_a_schema_have_their_metadata_decoded(http: httpx.Client) -> None:
    response = post(http, "/api/v1/namespaces", {"metadata": {"name": "n", "labels": {"a": 1}}})
    assert response.status_code == 400
    assert response.json()["message"].endswith("cannot unmarshal number into Go struct field "
                                               "ObjectMeta.metadata.labels of type string")


def test_a_registered_schema_is_enforced() -> None:
    from imageapi.testing import _decode

    register_schema("HardeningProbe", {"fields": {"spec": {"type": {"type": "ref", "name": "HardeningProbeSpec"}}}})
    register_schema("HardeningProbeSpec", {"fields": {"replicas": {"type": {"type": "integer", "format": "int32"}}}})
    assert _decode.decode_typed("HardeningProbe", {"spec": {"replicas": 3}}) == []
    with pytest.raises(_decode.GoDecodeError) as caught:
        _decode.decode_typed("HardeningProbe", {"spec": {"replicas": 2 ** 31}})
    assert caught.value.message == ("json: cannot unmarshal number 2147483648 into Go struct field "
                                    "HardeningProbeSpec.spec.replicas of type int32")


def test_an_unexpected_error_is_a_generic_500_without_python_text(cluster: FakeCluster, http: httpx.Client,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("'<' not supported between instances of 'float' and 'str'")

    monkeypatch.setattr(cluster.app, "_dispatch", broken)
    response = http.get(images_path())
    assert response.status_code == 500
    status = response.json()
    assert status["reason"] == "InternalError"
    assert "TypeError" not in response.text and "float" not in response.text
    assert "Traceback" not in response.text
    assert any("unhandled error" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(("name", "detail"), [
    ("Bad_NS", "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
               "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
               "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"),
    ("a" * 64, "must be no more than 63 characters"),
])
def test_a_namespace_is_named_by_a_dns_label(cluster: FakeCluster, http: httpx.Client, name: str,
                                             detail: str) -> None:
    response = post(http, "/api/v1/namespaces", {"metadata": {"name": name}})
    assert response.status_code == 422
    assert response.json()["message"] == f'Namespace "{name}" is invalid: metadata.name: Invalid value: "{name}": ' \
                                         f"{detail}"
    assert response.json()["details"]["causes"] == [{"reason": "FieldValueInvalid", "field": "metadata.name",
                                                     "message": f'Invalid value: "{name}": {detail}'}]
    assert post(http, "/api/v1/namespaces", {"metadata": {"name": "fine-1"}}).status_code == 201
