"""Protobuf request bodies of core kinds, as client-go's typed clients send them."""

from __future__ import annotations

import httpx
import pytest

from imageapi.testing import FakeCluster
from imageapi.testing._protobuf import decode_object
from imageapi.testing._status import StatusError

PROTOBUF = {"Content-Type": "application/vnd.kubernetes.protobuf"}


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes | str) -> bytes:
    data = payload.encode() if isinstance(payload, str) else payload
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _entry(number: int, key: str, value: bytes | str) -> bytes:
    return _field(number, _field(1, key) + _field(2, value))


def _envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    return b"k8s\x00" + _field(1, _field(1, api_version) + _field(2, kind)) + _field(2, raw)


def _secret_bytes() -> bytes:
    meta = _field(1, "pull") + _entry(11, "app", "web") + _entry(12, "note", "hi")
    raw = (_field(1, meta) + _entry(2, ".dockerconfigjson", b'{"auths":{}}') + _field(3, "kubernetes.io/dockerconfigjson")
           + _entry(4, "extra", "text"))
    return _envelope("v1", "Secret", raw)


def test_decode_secret() -> None:
    assert decode_object(_secret_bytes()) == {
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "pull", "labels": {"app": "web"}, "annotations": {"note": "hi"}},
        "data": {".dockerconfigjson": "eyJhdXRocyI6e319", "extra": "dGV4dA=="},
        "type": "kubernetes.io/dockerconfigjson"}


def test_decode_namespace() -> None:
    raw = _field(1, _field(1, "team")) + _field(2, _field(1, "kubernetes"))
    assert decode_object(_envelope("v1", "Namespace", raw)) == {
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}, "spec": {"finalizers": ["kubernetes"]}}


@pytest.mark.parametrize(("body", "code"), [
    (b"not protobuf", 400),
    (b"k8s\x00\x0a\xff", 400),  # truncated
    (_envelope("v1", "ConfigMap", b""), 415),
])
def test_undecodable_bodies(body: bytes, code: int) -> None:
    with pytest.raises(StatusError) as raised:
        decode_object(body)
    assert raised.value.code == code


def test_create_secret_from_protobuf(cluster: FakeCluster, http: httpx.Client) -> None:
    response = http.post("/api/v1/namespaces/ns1/secrets", content=_secret_bytes(), headers=PROTOBUF)
    assert response.status_code == 201, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert cluster.get("secrets", "pull", namespace="ns1")["type"] == "kubernetes.io/dockerconfigjson"


def test_other_body_media_types_are_415(http: httpx.Client) -> None:
    response = http.post("/apis/image.openshift.io/v1/namespaces/ns1/imagestreams", content=b"<xml/>",
                         headers={"Content-Type": "application/xml"})
    assert response.status_code == 415
    assert response.json()["reason"] == "UnsupportedMediaType"
    image_stream = _envelope("image.openshift.io/v1", "ImageStream", b"")
    assert http.post("/apis/image.openshift.io/v1/namespaces/ns1/imagestreams", content=image_stream,
                     headers=PROTOBUF).status_code == 415
