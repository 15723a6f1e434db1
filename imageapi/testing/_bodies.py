"""Reading request bodies and request options: media types, JSON and protobuf objects, the kind and
apiVersion check, unknown fields (``fieldValidation``), DeleteOptions and ``dryRun``.

Every refusal is the Status the server gives for the same body (400, 413, 415), never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .._resource_info import ResourceInfo
from . import _decode, _protobuf
from ._contracts import JSON
from ._status import bad_request, request_entity_too_large, unsupported_media_type
from ._unknown_fields import prune_unknown_fields
from ._wire import MAX_BODY_BYTES, Request


def json_body(request: Request, *, required: bool = True,
              what: str = "couldn't get version/kind; json parse error: ") -> Any:
    """The decoded JSON body (None when empty and not ``required``), parsed as the Go server parses it
    (``_decode``); ``what`` prefixes its errors as the handler reading the body prefixes them."""
    if len(request.body) > MAX_BODY_BYTES:
        raise request_entity_too_large(MAX_BODY_BYTES)
    if not request.body.strip():
        if required:
            raise bad_request("the body of the request was empty")
        return None
    document, strict = _decode.decode_document(request.body, what)
    request.strict_errors.extend(strict)
    return document


def body_media_type(request: Request) -> str:
    """Bodies are JSON (YAML only as far as JSON is YAML), or protobuf for the core kinds typed
    clients send that way. Anything else is 415, as a server answers a media type it cannot decode."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type in ("", "application/json", "application/yaml", "*/*") or media_type.endswith("+json"):
        return "application/json"
    if media_type == _protobuf.MEDIA_TYPE:
        return media_type
    raise unsupported_media_type("the body of the request was in an unknown format - accepted media types "
                                 "include: application/json, application/yaml")


def object_body(request: Request, info: ResourceInfo) -> JSON:
    """The object a create or update sends: a JSON object of ``info``'s kind with a metadata object."""
    if body_media_type(request) == _protobuf.MEDIA_TYPE:
        if len(request.body) > MAX_BODY_BYTES:
            raise request_entity_too_large(MAX_BODY_BYTES)
        body = _protobuf.decode_object(request.body)
    else:
        if len(request.body) > MAX_BODY_BYTES:
            raise request_entity_too_large(MAX_BODY_BYTES)
        if not request.body.strip():
            raise bad_request("the body of the request was empty")
        # Decoded against the kind's schema before anything reads it, as the Go decoder does.
        body, strict = _decode.decode_object(request.body, info.kind, info.version)
        request.strict_errors.extend(strict)
    check_type(body, info)
    if body.get("metadata") is None:
        body["metadata"] = {}
    return body


def check_type(body: JSON, info: ResourceInfo) -> None:
    """A body's ``apiVersion`` and ``kind``, when given, must be the resource's."""
    expected = info.api_version if info.group else info.version
    api_version = body.get("apiVersion")
    if api_version and api_version != expected:
        raise bad_request(f"the API version in the data ({api_version}) does not match the expected API "
                          f"version ({expected})")
    kind = body.get("kind")
    if kind and kind != info.kind:
        raise bad_request(f'{kind} in version "{info.version}" cannot be handled as a {info.kind}: '
                          f'no kind "{kind}" is registered for version "{expected}"')


def unknown_fields(request: Request, info: ResourceInfo, body: JSON) -> list[tuple[str, str]]:
    """Drop the fields the schema does not declare, as decoding into the server's Go types does.

    ``fieldValidation=Strict`` turns them into a 400; ``Warn`` (the default) answers with Warning
    headers; ``Ignore`` drops them silently."""
    mode = request.query.get("fieldValidation", "Warn")
    if mode not in ("Strict", "Warn", "Ignore"):
        raise bad_request(f'fieldValidation parameter unsupported: {mode}. Valid options are: '
                          '"Ignore", "Warn", "Strict"')
    problems = [f'unknown field "{path}"' for path in prune_unknown_fields(info.kind, body)]
    problems += request.strict_errors
    if not problems or mode == "Ignore":
        return []
    if mode == "Strict":
        raise bad_request("strict decoding error: " + ", ".join(problems))
    return [("Warning", "299 - " + json.dumps(problem)) for problem in problems]


def delete_options(request: Request) -> JSON:
    """The DeleteOptions of a delete (empty when the body is)."""
    if request.body.strip() and body_media_type(request) != "application/json":
        # DeleteOptions in protobuf: the fake reads only the JSON form; a plain delete needs none.
        raise _protobuf.unsupported("DeleteOptions")
    body = json_body(request, required=False)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise bad_request("couldn't get version/kind; json parse error: DeleteOptions must be an object")
    try:
        # Typed like the server's DeleteOptions, so a handler never meets `"preconditions": "x"`.
        _decode.decode_typed("DeleteOptions", body)
    except _decode.GoDecodeError as error:
        raise bad_request(error.message) from None
    return body


def as_object(value: Any) -> JSON:
    """A patch result, which must be a JSON object."""
    if not isinstance(value, dict):
        raise bad_request("the patched object is not a JSON object")
    return value


def dry_run(query: Mapping[str, str]) -> bool:
    """The ``dryRun`` query parameter ("All" or absent)."""
    value = query.get("dryRun")
    if not value:
        return False
    if value != "All":
        raise bad_request(f'Invalid dryRun parameter: "{value}": supported values: "All"')
    return True


__all__ = ["as_object", "body_media_type", "check_type", "delete_options", "dry_run", "json_body", "object_body",
           "unknown_fields"]
