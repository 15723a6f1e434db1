"""Building requests and decoding responses, without sending anything (sans-I/O).

Every call the client makes goes through the two halves of this module:

* the ``build_*_request`` functions turn *(resource, namespace, name, body, options)* into an
  :class:`ApiRequest`: method, path, query parameters, headers and body bytes. They know the URL
  layout of the API group, the patch content types and the write/delete option spellings.
* :func:`check_response` raises the :mod:`imageapi.errors` class for a failed response, and
  :func:`decode_response` turns a successful body into a typed model with the request's own
  ``decode`` (one of :func:`decoder`, :func:`status_or`). A body that is not the expected object
  (not JSON, wrong-typed fields, another kind) raises :class:`~imageapi.errors.ProtocolError`.

The sync and async clients only move bytes between these two halves (see ``_base_client``), so
there is exactly one place that decides what goes on the wire. :func:`build_list_request` and
:func:`build_watch_request` serve the pagers and watchers (``imageapi.pagination``, ``imageapi.watch``).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast
from urllib.parse import quote

from ._resource_info import ResourceInfo

if TYPE_CHECKING:
    from pydantic import ValidationError

    from .errors import ApiError, ProtocolError

JSONDict = dict[str, Any]

PatchType = Literal["merge", "json", "strategic", "apply"]
FieldValidation = Literal["Ignore", "Warn", "Strict"]
PropagationPolicy = Literal["Orphan", "Background", "Foreground"]

PATCH_CONTENT_TYPES: Mapping[str, str] = {
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    # Server-side apply takes YAML; JSON is a subset of YAML, so the body stays JSON.
    "apply": "application/apply-patch+yaml",
}


class SupportsToDict(Protocol):
    """Anything serialisable to its wire form: the generated models (``to_dict()`` uses wire names)."""

    def to_dict(self) -> JSONDict:
        """The object as JSON with wire (camelCase) names, unset fields omitted."""


Body = SupportsToDict | Mapping[str, Any]
Decoder = Callable[[bytes], Any]


@dataclass(frozen=True)
class ApiRequest:
    """One HTTP request, fully described but not sent.

    ``path`` is absolute from the server root (``/apis/image.openshift.io/v1/…``); the client joins
    it to its base URL. ``decode`` turns a successful response body into the typed result.
    """

    method: str
    path: str
    decode: Decoder
    params: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    content: bytes | None = None


@dataclass(frozen=True)
class WriteOptions:
    """Options of create, replace and patch (``dryRun``, ``fieldManager``, ``fieldValidation``)."""

    dry_run: bool = False
    field_manager: str | None = None
    field_validation: FieldValidation | None = None

    def params(self) -> list[tuple[str, str]]:
        """The query parameters the server reads for these options."""
        params: list[tuple[str, str]] = []
        if self.dry_run:
            params.append(("dryRun", "All"))
        if self.field_manager is not None:
            params.append(("fieldManager", self.field_manager))
        if self.field_validation is not None:
            params.append(("fieldValidation", self.field_validation))
        return params


@dataclass(frozen=True)
class DeleteOptions:
    """Options of delete and delete_collection, sent as a ``DeleteOptions`` body.

    The server decodes query parameters only when the body is empty, so everything goes in the body.
    ``preconditions`` is a mapping (``{"uid": …, "resourceVersion": …}``) or a ``Preconditions`` model.
    """

    dry_run: bool = False
    grace_period_seconds: int | None = None
    propagation_policy: PropagationPolicy | None = None
    preconditions: Body | None = None

    def body(self) -> JSONDict | None:
        """The DeleteOptions object, or None when no option is set (then no body is sent)."""
        options: JSONDict = {}
        if self.dry_run:
            options["dryRun"] = ["All"]
        if self.grace_period_seconds is not None:
            options["gracePeriodSeconds"] = self.grace_period_seconds
        if self.propagation_policy is not None:
            options["propagationPolicy"] = self.propagation_policy
        if self.preconditions is not None:
            preconditions = to_json_object(self.preconditions)
            if preconditions:
                options["preconditions"] = preconditions
        if not options:
            return None
        return {"kind": "DeleteOptions", "apiVersion": "v1", **options}


@dataclass(frozen=True)
class ListOptions:
    """Selection options shared by list, watch, delete_collection and ``imagestreams/{name}/secrets``."""

    label_selector: str | None = None
    field_selector: str | None = None
    limit: int | None = None
    continue_: str | None = None
    resource_version: str | None = None

    def params(self) -> list[tuple[str, str]]:
        """The query parameters the server reads for these options."""
        pairs = (
            ("labelSelector", self.label_selector),
            ("fieldSelector", self.field_selector),
            ("limit", None if self.limit is None else str(self.limit)),
            ("continue", self.continue_),
            ("resourceVersion", self.resource_version),
        )
        return [(name, value) for name, value in pairs if value is not None]


# --------------------------------------------------------------------------------------------------
# Bodies


def to_json_object(body: Body) -> JSONDict:
    """A model or mapping as a fresh JSON dict with wire names (the caller's object is not touched)."""
    if isinstance(body, Mapping):
        # Copied all the way down, so the caller's data is never mutated; models nested in a dict
        # are written with their own wire names.
        return {key: _plain(value) for key, value in body.items()}
    to_dict = getattr(body, "to_dict", None)
    if to_dict is None:
        raise TypeError(f"expected a model or a mapping, got {type(body).__name__}")
    result = to_dict()
    if not isinstance(result, dict):
        raise TypeError(f"{type(body).__name__}.to_dict() did not return a dict")
    return result


# Values copied as they are, tested by exact type first: a body's leaves are almost all of these, and
# the abstract Mapping check below costs more than the copy itself (it was a sixth of a create's CPU).
_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind in _JSON_SCALARS:
        return value
    if kind is dict or isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if kind is list or isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    return value


def object_name(body: JSONDict) -> str | None:
    """``metadata.name`` of a JSON object, if any."""
    return _metadata_string(body, "name")


def check_namespace(namespace: object) -> str:
    """``namespace`` itself when it is a usable namespace name given by a caller.

    Raises ``TypeError`` for a non-string and ``ValueError`` for ``""``: an empty namespace is never
    what a caller means, and quietly reading it as "the default" would send writes somewhere the
    caller did not choose. Callers that accept ``None`` ("use the default") check for it first.
    """
    if not isinstance(namespace, str):
        raise TypeError(f"namespace must be a str, not {type(namespace).__name__}")
    if not namespace:
        raise ValueError("namespace must not be empty (pass None, or leave it out, to use the default)")
    return namespace


def object_namespace(body: JSONDict) -> str | None:
    """``metadata.namespace`` of a JSON object, if any."""
    return _metadata_string(body, "namespace")


def _metadata_string(body: JSONDict, key: str) -> str | None:
    metadata = body.get("metadata")
    if isinstance(metadata, Mapping):
        value = metadata.get(key)
        return value if isinstance(value, str) and value else None
    return None


def _encode(document: Any) -> bytes:
    # Compact separators: the server does not care and it keeps bodies small.
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# --------------------------------------------------------------------------------------------------
# Paths


def _collection_path(info: ResourceInfo, namespace: str | None) -> str:
    """The path of a collection: in ``namespace``, or across all namespaces (and cluster-scoped) when None."""
    # The core group ("" : pods, secrets) lives under /api/v1; every named group under /apis/<group>.
    parts = ["", "apis", info.group, info.version] if info.group else ["", "api", info.version]
    if namespace:
        parts += ["namespaces", quote(namespace, safe="")]
    parts.append(info.plural)
    return "/".join(parts)


def resource_path(
    info: ResourceInfo,
    namespace: str | None,
    name: str | None = None,
    subresource: str | None = None,
) -> str:
    """The URL path of a collection, an object or one of its subresources, checked against the scope.

    Names are percent-encoded except for ``:`` and ``@``, which the image API uses inside names
    (``app:latest``, ``app@sha256:…``, ``sha256:…@sig``) and which are legal in a path segment.
    """
    if info.namespaced and not namespace:
        raise ValueError(f"{info.plural} are namespaced: a namespace is required")
    if not info.namespaced and namespace:
        raise ValueError(f"{info.plural} are cluster-scoped: they take no namespace")
    if name is not None and name in ("", ".", ".."):
        # An empty name would address the collection, and "." or ".." a different path altogether.
        raise ValueError(f"{name!r} is not an object name")
    if subresource is not None and name is None:
        raise ValueError("a subresource needs an object name")
    path = _collection_path(info, namespace)
    if name is not None:
        path += "/" + quote(name, safe=":@")
    if subresource is not None:
        path += "/" + subresource
    return path


# --------------------------------------------------------------------------------------------------
# Requests per verb


def _json_request(
    method: str,
    path: str,
    decode: Decoder,
    params: Sequence[tuple[str, str]] = (),
    document: Any = None,
    content_type: str = "application/json",
) -> ApiRequest:
    """A request that accepts JSON and sends ``document``, when there is one, as a ``content_type`` body."""
    if document is None:
        return ApiRequest(method, path, decode, tuple(params), (("Accept", "application/json"),))
    headers = (("Accept", "application/json"), ("Content-Type", content_type))
    return ApiRequest(method, path, decode, tuple(params), headers, _encode(document))


def build_get_request(
    info: ResourceInfo,
    namespace: str | None,
    name: str,
    decode: Decoder,
    *,
    subresource: str | None = None,
    list_options: ListOptions | None = None,
) -> ApiRequest:
    """``GET`` one object (or a subresource such as ``status``, ``layers``, ``secrets``)."""
    params = list_options.params() if list_options is not None else []
    return _json_request("GET", resource_path(info, namespace, name, subresource), decode, params)


def build_create_request(
    info: ResourceInfo,
    namespace: str | None,
    body: JSONDict,
    decode: Decoder,
    options: WriteOptions,
) -> ApiRequest:
    """``POST`` a new object to its collection."""
    return _json_request("POST", resource_path(info, namespace), decode, options.params(), body)


def build_replace_request(
    info: ResourceInfo,
    namespace: str | None,
    name: str,
    body: JSONDict,
    decode: Decoder,
    options: WriteOptions,
    *,
    subresource: str | None = None,
) -> ApiRequest:
    """``PUT`` a whole object (its ``metadata.resourceVersion`` makes it conditional)."""
    return _json_request("PUT", resource_path(info, namespace, name, subresource), decode, options.params(), body)


def resolve_patch_type(body: Any, patch_type: PatchType | None) -> PatchType:
    """The patch type to send: the one asked for, else ``json`` for a list of operations, else ``merge``."""
    if patch_type is None:
        return "json" if isinstance(body, (list, tuple)) else "merge"
    if patch_type not in PATCH_CONTENT_TYPES:
        raise ValueError(f"unknown patch type {patch_type!r}: use one of {sorted(PATCH_CONTENT_TYPES)}")
    is_operations = isinstance(body, (list, tuple))
    if (patch_type == "json") != is_operations:
        raise ValueError("a JSON patch is a list of operations; the other patch types take an object")
    return patch_type


def build_patch_request(
    info: ResourceInfo,
    namespace: str | None,
    name: str,
    body: Body | Sequence[Mapping[str, Any]],
    decode: Decoder,
    options: WriteOptions,
    *,
    patch_type: PatchType | None = None,
    force: bool | None = None,
    subresource: str | None = None,
    kind: str | None = None,
) -> ApiRequest:
    """``PATCH`` an object with a merge, JSON, strategic-merge or server-side-apply patch.

    Server-side apply needs a field manager (the server rejects an apply without one) and a body
    that names its ``apiVersion`` and ``kind``; both are filled in from the resource when missing.
    ``force`` exists only for apply.
    """
    resolved = resolve_patch_type(body, patch_type)
    document: Any
    if resolved == "json":
        assert isinstance(body, (list, tuple))
        document = [_plain(operation) for operation in body]
    else:
        document = to_json_object(cast(Body, body))
    params = options.params()
    if resolved == "apply":
        if options.field_manager is None:
            raise ValueError("server-side apply needs a field_manager")
        document.setdefault("apiVersion", info.api_version)
        document.setdefault("kind", kind or info.kind)
        if force is not None:
            params.append(("force", "true" if force else "false"))
    elif force is not None:
        raise ValueError("force applies only to server-side apply (type='apply')")
    path = resource_path(info, namespace, name, subresource)
    return _json_request("PATCH", path, decode, params, document, PATCH_CONTENT_TYPES[resolved])


def build_delete_request(
    info: ResourceInfo,
    namespace: str | None,
    name: str,
    decode: Decoder,
    options: DeleteOptions,
) -> ApiRequest:
    """``DELETE`` one object, with a ``DeleteOptions`` body when any option is set."""
    return _json_request("DELETE", resource_path(info, namespace, name), decode, (), options.body())


def build_delete_collection_request(
    info: ResourceInfo,
    namespace: str | None,
    decode: Decoder,
    options: DeleteOptions,
    list_options: ListOptions,
) -> ApiRequest:
    """``DELETE`` the objects of a collection that match the selectors."""
    return _json_request("DELETE", resource_path(info, namespace), decode, list_options.params(), options.body())


def build_list_request(
    info: ResourceInfo, namespace: str | None, decode: Decoder, list_options: ListOptions
) -> ApiRequest:
    """``GET`` a collection (one page). ``namespace=None`` on a namespaced resource lists all namespaces.

    The seam for the ``list`` verb and its pager.
    """
    return _json_request("GET", _collection_path(info, namespace), decode, list_options.params())


def build_watch_request(
    info: ResourceInfo,
    namespace: str | None,
    decode: Decoder,
    list_options: ListOptions,
    *,
    allow_bookmarks: bool = True,
    timeout_seconds: int | None = None,
) -> ApiRequest:
    """``GET ?watch=true`` on a collection: the seam for the ``watch`` verb (the body is a stream of
    ``WatchEvent`` lines, decoded line by line by the caller, not by ``decode``)."""
    params = [*list_options.params(), ("watch", "true")]
    if allow_bookmarks:
        params.append(("allowWatchBookmarks", "true"))
    if timeout_seconds is not None:
        params.append(("timeoutSeconds", str(timeout_seconds)))
    return _json_request("GET", _collection_path(info, namespace), decode, params)


# --------------------------------------------------------------------------------------------------
# Responses


def check_response(
    request: ApiRequest, url: object, status_code: int, headers: Mapping[str, str], content: bytes
) -> None:
    """Raise the :mod:`imageapi.errors` class for a failed response; return quietly on a 2xx.

    Kept apart from decoding so that the retry loop sees the typed error of each attempt and the
    body is decoded once, after the last one.
    """
    if not 200 <= status_code < 300:
        raise response_error(request.method, url, status_code, headers, content)


def response_error(
    method: str, url: object, status_code: int, headers: Mapping[str, str], content: bytes
) -> ApiError:
    """The :class:`imageapi.errors.ApiError` subclass for a failed response."""
    from .errors import error_from_response

    return error_from_response(method, url, status_code, headers, content)


class BodyMismatch(Exception):
    """Raised by a decoder for a 2xx body that is not the expected object; :func:`decode_response`
    turns it into a :class:`~imageapi.errors.ProtocolError` naming the request (decoders see only bytes)."""

    def __init__(
        self, expected: str, problems: tuple[str, ...] = (), *, kind: str | None = None,
        original: ValidationError | None = None,
    ) -> None:
        super().__init__(expected)
        self.expected = expected
        self.problems = problems
        self.kind = kind
        self.original = original

    @classmethod
    def from_validation(cls, expected: str, error: ValidationError, *, tagged: bool = False) -> BodyMismatch:
        """The mismatch for pydantic's ``error``: one line per problem, located by wire path.
        ``tagged``: the locations start with a tagged union's tag, which is not part of the body."""
        from .models._base import wire_path

        problems = []
        for problem in error.errors(include_url=False):
            location = problem["loc"][1:] if tagged and problem["loc"] else problem["loc"]
            path = wire_path(location)
            problems.append(f"{path}: {problem['msg']}" if path else problem["msg"])
        return cls(expected, tuple(problems), original=error)

    def error(self, method: str, url: object, body: bytes) -> ProtocolError:
        """The :class:`~imageapi.errors.ProtocolError` for this mismatch in the answer to ``method url``."""
        from .errors import body_error

        return body_error(self.expected, method, url, body, self.problems, kind=self.kind).with_original(self.original)


def decode_response(request: ApiRequest, url: object, content: bytes) -> Any:
    """The typed result of ``request`` from the 2xx body ``content``.

    Raises :class:`~imageapi.errors.ProtocolError` (with the URL, an excerpt and the problems in wire
    paths) when the body is not the object the request asked for, never pydantic's own error.
    """
    try:
        result = request.decode(content)
    except BodyMismatch as mismatch:
        raise mismatch.error(request.method, url, content) from None
    if getattr(request.decode, "lazy", False):  # a list page decoded lazily: its later errors name the URL
        from .models import _lazy

        _lazy.attach_origin(result, _lazy.Origin(type(result).__name__, request.method, str(url)))
    return result


def check_kind(result: Any, expected_kind: str | None) -> Any:
    """``result`` itself, unless it declares a ``kind`` other than ``expected_kind`` (then
    :class:`BodyMismatch`): an ImageStream GET answered with an Image is not silently an ImageStream.
    A body without ``kind`` is accepted (odd proxies and fakes leave it out; the server never does)."""
    kind = getattr(result, "kind", None)
    if expected_kind is not None and kind is not None and kind != expected_kind:
        raise BodyMismatch(expected_kind, kind=str(kind))
    return result


@functools.cache
def model_class(type_name: str) -> Any:
    """The generated model class called ``type_name`` (``ImageStream``, ``Status``, …), imported lazily."""
    models = importlib.import_module("imageapi.models")
    return getattr(models, type_name)


@functools.cache
def decoder(type_name: str) -> Decoder:
    """A decoder of response bodies into the model ``type_name`` (one per type); raises
    :class:`BodyMismatch` for a body that is not one."""

    def decode(content: bytes) -> Any:
        cls = model_class(type_name)
        return decode_model(cls, content, type_name, cls.__kind__)

    return decode


def decode_model(
    cls: type[Any], content: bytes, label: str, expected_kind: str | None, *, lazy: bool = False
) -> Any:
    """``content`` validated as ``cls``; :class:`BodyMismatch` (named ``label``) when it is not one.

    ``lazy=True`` (list pages) parses the JSON now and validates each field when it is read (see
    ``imageapi.models._lazy``), for the SDK's models; other pydantic models are validated at once."""
    from pydantic import ValidationError

    try:
        if lazy and getattr(cls, "validate_all", None) is not None:
            result = cls.from_json(content, lazy=True)
        else:
            parse = getattr(cls, "from_json", None) or cls.model_validate_json
            result = parse(content)
    except ValidationError as error:
        raise BodyMismatch.from_validation(label, error) from None
    return check_kind(result, expected_kind)


@functools.cache
def page_decoder(type_name: str) -> Decoder:
    """A decoder of list pages into the list model ``type_name`` whose items validate lazily:
    a page is mostly read for a few fields of each item (see ``imageapi.models._lazy``)."""

    def decode(content: bytes) -> Any:
        cls = model_class(type_name)
        return decode_model(cls, content, type_name, cls.__kind__, lazy=True)

    decode.lazy = True  # type: ignore[attr-defined]  # read by decode_response
    return decode


@functools.cache
def model_decoder(model: type[Any], *, lazy: bool = False) -> Decoder:
    """A decoder of response bodies into the pydantic model class ``model`` (generic accessors)."""
    decode = functools.partial(decode_model, model, label=model.__name__, expected_kind=None, lazy=lazy)
    decode.lazy = lazy  # type: ignore[attr-defined]  # read by decode_response
    return decode


@functools.cache
def status_or(type_name: str) -> Decoder:
    """A decoder for answers that are either a ``Status`` or a ``type_name`` object.

    Delete answers a Status when the object is gone at once, and the object itself when finalizers
    keep it (``propagationPolicy=Foreground`` on image streams). The choice is made by the decoded
    ``kind``, wherever it sits in the body, in the same single pass over the bytes that builds the model.
    """
    object_class = model_class(type_name)
    return status_or_model(object_class, object_class.__kind__ or type_name)


@functools.cache
def status_or_model(object_class: type[Any], kind: str) -> Decoder:
    """:func:`status_or` for a model class whose objects say ``kind`` (generic accessors too)."""
    validator = _status_or_adapter(object_class, kind)

    def decode(content: bytes) -> Any:
        from pydantic import ValidationError

        try:
            with _gc_pause_for(content):
                return validator.validate_json(content)
        except ValidationError as error:
            if error.errors()[0]["type"] not in _UNTAGGED:
                raise BodyMismatch.from_validation(f"Status or {kind}", error, tagged=True) from None
        # No ``kind`` (or an unexpected one): not a Status, so it can only be the object. The
        # server always writes ``kind``, so this second pass is for odd proxies and fakes only.
        return decode_model(object_class, content, kind, kind)

    return decode


# pydantic's error types for a tagged union whose tag is missing or names no choice.
_UNTAGGED = frozenset({"union_tag_not_found", "union_tag_invalid"})


def _status_or_adapter(object_class: type[Any], kind: str) -> Any:
    """A pydantic ``TypeAdapter`` choosing ``Status`` or ``object_class`` by the body's ``kind`` key.

    A tagged union reads the tag from the parsed JSON and then validates that same parsed document
    with the chosen model, so the body is parsed once (the models' ``kind`` fields are plain strings,
    not ``Literal``, hence the hand-built core schema instead of ``Field(discriminator=...)``).
    """
    from typing import Annotated

    from pydantic import GetPydanticSchema, TypeAdapter
    from pydantic_core import core_schema

    status_class = model_class("Status")

    def schema(_source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.tagged_union_schema(
            choices={
                "Status": handler.generate_schema(status_class),
                kind: handler.generate_schema(object_class),
            },
            discriminator="kind",
        )

    return TypeAdapter(Annotated[Any, GetPydanticSchema(schema)])


def _gc_pause_for(content: bytes) -> AbstractContextManager[object]:
    """The models' hold on full GC passes for a large body (what ``ApiModel.from_json`` does), else nothing."""
    from .models import _base as model_base

    if len(content) < model_base._GC_PAUSE_MIN_BYTES:
        return contextlib.nullcontext()
    return model_base._gc_paused()
