"""Just enough of the Kubernetes protobuf encoding to read the core objects typed clients send.

client-go's typed clients (``kubectl create secret``, ``kubectl create namespace``) send built-in
kinds as ``application/vnd.kubernetes.protobuf``: the 4-byte magic ``k8s\\0`` and a ``runtime.Unknown``
message (``typeMeta`` 1, ``raw`` 2) whose ``raw`` is the object's own message. The fake reads the
fields of core/v1 ``Secret`` and ``Namespace`` (and of ``ObjectMeta`` the ones a create can set) and
turns them into the JSON the rest of the fake works with. Anything else is answered with 415, so a
client can retry with JSON. Field numbers are those of ``k8s.io/api/core/v1/generated.proto`` and
``k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

from ._contracts import JSON
from ._status import StatusError, bad_request, unsupported_media_type

MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
_MAGIC = b"k8s\x00"
_VARINT, _FIXED64, _LENGTH_DELIMITED, _FIXED32 = 0, 1, 2, 5


class ProtobufError(ValueError):
    """The bytes are not a well-formed message."""


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if position >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
        shift += 7
        if shift > 63:
            raise ProtobufError("varint too long")


def _fields(data: Any) -> Iterator[tuple[int, int, Any]]:
    """``(field number, wire type, value)`` for every field: ints for varints, bytes otherwise.

    ``data`` is whatever a field held: a varint where a message belongs is a malformed body (400),
    never a TypeError further in."""
    if not isinstance(data, bytes):
        raise ProtobufError("expected an embedded message, found a varint")
    position = 0
    while position < len(data):
        key, position = _varint(data, position)
        number, wire_type = key >> 3, key & 7
        if wire_type == _VARINT:
            value, position = _varint(data, position)
            yield number, wire_type, value
        elif wire_type == _LENGTH_DELIMITED:
            length, position = _varint(data, position)
            if position + length > len(data):
                raise ProtobufError("truncated field")
            yield number, wire_type, data[position:position + length]
            position += length
        elif wire_type in (_FIXED64, _FIXED32):
            size = 8 if wire_type == _FIXED64 else 4
            if position + size > len(data):
                raise ProtobufError("truncated field")
            yield number, wire_type, data[position:position + size]
            position += size
        else:
            raise ProtobufError(f"unsupported wire type {wire_type}")


def _text(value: Any) -> str:
    if not isinstance(value, bytes):
        raise ProtobufError("expected a string")
    return value.decode("utf-8")


def _map_entry(value: Any) -> tuple[str, bytes]:
    key, item = "", b""
    for number, _wire, field in _fields(value):
        if number == 1:
            key = _text(field)
        elif number == 2:
            item = field
    return key, item


def _object_meta(data: bytes) -> JSON:
    meta: JSON = {}
    names = {1: "name", 2: "generateName", 3: "namespace", 6: "resourceVersion"}
    for number, _wire, value in _fields(data):
        if number in names:
            meta[names[number]] = _text(value)
        elif number in (11, 12):  # labels, annotations
            key, item = _map_entry(value)
            meta.setdefault("labels" if number == 11 else "annotations", {})[key] = _text(item)
        elif number == 14:
            meta.setdefault("finalizers", []).append(_text(value))
    return meta


def _secret(data: bytes) -> JSON:
    secret: JSON = {"apiVersion": "v1", "kind": "Secret"}
    for number, _wire, value in _fields(data):
        if number == 1:
            secret["metadata"] = _object_meta(value)
        elif number == 2:
            key, item = _map_entry(value)
            if not isinstance(item, bytes):
                raise ProtobufError("expected bytes for a data value")
            secret.setdefault("data", {})[key] = base64.b64encode(item).decode()
        elif number == 3:
            secret["type"] = _text(value)
        elif number == 4:
            key, item = _map_entry(value)
            secret.setdefault("stringData", {})[key] = _text(item)
        elif number == 5:
            if not isinstance(value, int):
                raise ProtobufError("expected a varint for immutable")
            secret["immutable"] = bool(value)
    # stringData is write-only: the server merges it into data.
    for key, text in secret.pop("stringData", {}).items():
        secret.setdefault("data", {})[key] = base64.b64encode(text.encode()).decode()
    return secret


def _namespace(data: bytes) -> JSON:
    namespace: JSON = {"apiVersion": "v1", "kind": "Namespace"}
    for number, _wire, value in _fields(data):
        if number == 1:
            namespace["metadata"] = _object_meta(value)
        elif number == 2:
            finalizers = [_text(item) for n, _w, item in _fields(value) if n == 1]
            if finalizers:
                namespace["spec"] = {"finalizers": finalizers}
    return namespace


_DECODERS: dict[tuple[str, str], Callable[[bytes], JSON]] = {
    ("v1", "Secret"): _secret,
    ("v1", "Namespace"): _namespace,
}


def unsupported(kind: str) -> StatusError:
    """415 for a protobuf body the fake cannot read."""
    return unsupported_media_type(f"the fake cluster reads {kind or 'this object'} only as JSON: the body of the "
                                  "request was in an unknown format - accepted media types include: "
                                  "application/json, application/yaml")


def decode_object(body: bytes) -> JSON:
    """The JSON form of a protobuf-encoded core object (415 for kinds the fake does not read)."""
    if not body.startswith(_MAGIC):
        raise bad_request("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]")
    api_version = kind = ""
    raw = b""
    try:
        for number, _wire, value in _fields(body[len(_MAGIC):]):
            if number == 1:
                for meta_number, _w, meta_value in _fields(value):
                    if meta_number == 1:
                        api_version = _text(meta_value)
                    elif meta_number == 2:
                        kind = _text(meta_value)
            elif number == 2:
                raw = value
        decoder = _DECODERS.get((api_version, kind))
        if decoder is None:
            raise unsupported(kind)
        return decoder(raw)
    except (ProtobufError, UnicodeDecodeError) as error:
        raise bad_request(f"unable to decode protobuf body: {error}") from None
