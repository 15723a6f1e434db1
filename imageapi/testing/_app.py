"""Request → response dispatch of the fake cluster, without any I/O (the transports do the I/O).

:class:`App` answers a :class:`Request` with a :class:`Response`: a status, headers and either a body
or a :class:`~imageapi.testing._watch.WatchStream` to pull chunks from. Every failure becomes a Status
body shaped as in server-semantics.md §12; nothing a client sends yields a traceback.

The generic handlers here serve the store-backed resources (images, imagestreams, and the core
namespaces and secrets) and call the image semantics only through the strategy hooks
(``prepare_for_create``/``validate_*``/``prepare_for_update``/``decorate``/``field_value``) and the
after-write hooks; virtual resources and subresources are handed to their registered handlers.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .._resource_info import GROUP, ResourceInfo
from . import _decode, _discovery, _protobuf
from ._contracts import JSON, RequestContext, ServerConfig, StoreStrategy, SubresourceHandler, VirtualResource
from ._faults import FaultPlan, Faults
from ._lists import (
    ListOptions,
    build_matcher,
    list_objects,
    parse_list_options,
    parse_resource_version,
    timeout_too_large,
    validate_list_options,
)
from ._managed_fields import FieldSets, apply_ownership, default_manager, record_update
from ._patch import STRATEGIC_MERGE_PATCH, PatchOptions, PatchSchema, patch_query_bool
from ._registry import FakeRegistry
from ._routes import CORE_PREFIX, GROUP_PREFIX, Route, resolve
from ._selectors import metadata_field_value
from ._status import (
    STALE_OBJECT,
    FieldError,
    StatusError,
    already_exists,
    bad_request,
    conflict,
    internal_error,
    invalid,
    method_not_allowed,
    not_found,
    path_not_found,
    request_entity_too_large,
    success_status,
    unauthorized,
    unsupported_media_type,
)
from ._store import LineMemo, Store, copy_json, format_time, generate_name
from ._unknown_fields import prune_unknown_fields
from ._watch import WatchSpec, WatchStream, encode_event

logger = logging.getLogger("imageapi.testing")

MAX_BODY_BYTES = 3 * 1024 * 1024
JSON_CONTENT_TYPE = "application/json"
_GENERATE_NAME_ATTEMPTS = 8
_PATCH_ATTEMPTS = 5
_RENDER_CACHE_SIZE = 4096
_HEALTH_PATHS = frozenset({"/healthz", "/readyz", "/livez"})


class _RawValue:
    """A field value that the Status message shows unquoted (Go's ``%#v`` of a uint64 zero)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


@dataclass
class Request:
    """An HTTP request as the transports hand it over."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes = b""
    # Strict-decoding errors found while decoding the body (duplicate fields): reported with the
    # unknown fields, as warnings or, with fieldValidation=Strict, as the 400.
    strict_errors: list[str] = field(default_factory=list)

    @classmethod
    def from_wire(cls, method: str, path: str, query: Iterable[tuple[str, str]], headers: Iterable[tuple[str, str]],
                  body: bytes) -> Request:
        """A request from what a transport read: a repeated query parameter counts with its first value
        (``url.Values.Get``), and header names are lower-cased. ``path`` is already percent-decoded."""
        first_values: dict[str, str] = {}
        for key, value in query:
            first_values.setdefault(key, value)
        return cls(method, path, first_values, {name.lower(): value for name, value in headers}, body)


@dataclass
class Response:
    """What to send back: a body, or a watch stream to pull chunks from."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    stream: WatchStream | None = None
    delay: float = 0.0
    drop_after_bytes: int | None = None
    drop_before_processing: bool = False


class DefaultStrategy:
    """The strategy of resources without image semantics (core secrets and namespaces)."""

    def prepare_for_create(self, obj: JSON, ctx: RequestContext) -> None:
        """Nothing to prepare."""

    def validate_create(self, obj: JSON, ctx: RequestContext) -> list[FieldError]:
        """No validation."""
        return []

    def prepare_for_update(self, new: JSON, old: JSON, ctx: RequestContext, subresource: str | None) -> None:
        """Nothing to reconcile."""

    def validate_update(self, new: JSON, old: JSON, ctx: RequestContext, subresource: str | None) -> list[FieldError]:
        """No validation."""
        return []

    def decorate(self, obj: JSON, ctx: RequestContext) -> None:
        """Nothing computed on read."""

    def field_value(self, obj: JSON, field_path: str) -> str:
        """Only the metadata fields every resource supports."""
        return metadata_field_value(obj, field_path)


@dataclass
class Semantics:
    """The registries the image semantics layer exports (see ``_contracts``)."""

    strategies: Mapping[str, StoreStrategy] = field(default_factory=dict)
    virtual_resources: Mapping[str, VirtualResource] = field(default_factory=dict)
    subresource_handlers: Mapping[tuple[str, str], SubresourceHandler] = field(default_factory=dict)
    after_write_hooks: Mapping[str, Callable[[RequestContext, JSON], None]] = field(default_factory=dict)


@dataclass
class AppSettings:
    """Cluster options the dispatcher needs."""

    token: str | None = None
    require_namespaces: bool = False
    default_watch_timeout: float = 1800.0
    bookmark_interval: float = 60.0
    server_address: str = "127.0.0.1"


def _dumps(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode() + b"\n"


def json_response(status: int, document: Any, headers: list[tuple[str, str]] | None = None) -> Response:
    """A JSON response."""
    return Response(status, [("Content-Type", JSON_CONTENT_TYPE), *(headers or [])], _dumps(document))


def status_response(error: StatusError) -> Response:
    """The response for a Status error. Like ``responsewriters.ErrorNegotiated``, a positive
    ``details.retryAfterSeconds`` also becomes a ``Retry-After`` header."""
    headers = dict(error.headers)
    retry_after = (error.details or {}).get("retryAfterSeconds")
    if isinstance(retry_after, int) and retry_after > 0 and "Retry-After" not in headers:
        headers["Retry-After"] = str(retry_after)
    return json_response(error.code, error.to_status(), list(headers.items()))


class _RenderedCache:
    """Wire bytes of stored objects, reused while the object and the server configuration are the same.

    A read is decorated from the object and the configuration only (as Strategy.Decorate is), and the
    store never mutates a stored dict, so an entry is valid exactly while it names this very dict and
    an equal configuration. The loopback server's threads share the cache without a lock: a lost or
    stale entry costs a re-render, never wrong bytes.
    """

    def __init__(self, size: int = _RENDER_CACHE_SIZE) -> None:
        self._entries: dict[Hashable, tuple[JSON, tuple[Any, ...], bytes]] = {}
        self._size = size

    def get(self, key: Hashable, obj: JSON, config: tuple[Any, ...]) -> bytes | None:
        """The bytes kept for ``obj`` under ``key``, or None."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] is obj and entry[1] == config:
            return entry[2]
        return None

    def put(self, key: Hashable, obj: JSON, config: tuple[Any, ...], data: bytes) -> None:
        """Keep ``data`` for ``obj`` (everything is dropped when the cache is full: a cheap bound)."""
        if len(self._entries) >= self._size:
            self._entries.clear()
        self._entries[key] = (obj, config, data)


class App:
    """The sans-I/O HTTP application of one fake cluster."""

    def __init__(self, store: Store, config: ServerConfig, registry: FakeRegistry, semantics: Semantics, faults: Faults,
                 settings: AppSettings, now: Callable[[], datetime], stopping: threading.Event) -> None:
        self.store = store
        self.config = config
        self.registry = registry
        self.semantics = semantics
        self.faults = faults
        self.settings = settings
        self._now = now
        self.stopping = stopping
        self._default_strategy = DefaultStrategy()
        self._store_resources = store.resources()
        self._field_sets = FieldSets(_discovery.normalized_schema())
        self._get_bodies = _RenderedCache()  # by (resource, namespace, name)
        self._event_lines = _RenderedCache()  # by (id(obj), event type)

    # -- entry point ----------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Answer one request (never raises)."""
        plan = self.faults.plan(request.method, request.path)
        if plan.drop_before_processing:
            return self._with_plan(Response(0, []), plan)
        if plan.failure is not None:
            failure = plan.failure
            return self._with_plan(Response(failure.status, list(failure.headers.items()), failure.body), plan)
        try:
            response = self._dispatch(request)
        except StatusError as error:
            response = status_response(error)
        except Exception:  # a bug in a handler: the traceback goes to the log, never to the client
            logger.exception("fake cluster: unhandled error for %s %s", request.method, request.path)
            response = status_response(internal_error("the fake cluster failed to handle the request (its log "
                                                      "has the details)"))
        return self._with_plan(response, plan)

    def context(self, query: Mapping[str, str], *, dry_run: bool = False, field_manager: str | None = None) -> RequestContext:
        """A request context for the semantics layer."""
        return RequestContext(store=self.store, config=self.config, registry=self.registry, now=self._now,
                              dry_run=dry_run, field_manager=field_manager, query=query)

    @staticmethod
    def _with_plan(response: Response, plan: FaultPlan) -> Response:
        response.delay = plan.delay
        response.drop_after_bytes = plan.drop_after_bytes
        response.drop_before_processing = plan.drop_before_processing
        return response

    def _dispatch(self, request: Request) -> Response:
        path = request.path
        if path in _HEALTH_PATHS:
            return Response(200, [("Content-Type", "text/plain; charset=utf-8")], b"ok")
        self._authenticate(request)
        if request.method == "GET" and (path.count("/") <= 3 or path.startswith("/openapi/")):  # not resources
            document = self._discovery(path, request.headers.get("accept", ""))
            if document is not None:
                return document
        route = resolve(request.method, path, request.query.get("watch", "").lower() in ("true", "1"))
        return self._serve(route, request)

    def _authenticate(self, request: Request) -> None:
        token = self.settings.token
        if token is None:
            return
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or given.strip() != token:
            raise unauthorized()

    def _discovery(self, path: str, accept: str) -> Response | None:
        path = path.rstrip("/") or "/"
        documents: dict[str, Callable[[], Any]] = {
            "/version": lambda: _discovery.version_info(self.config.flavour),
            "/api": lambda: _discovery.api_versions(self.settings.server_address),
            CORE_PREFIX: _discovery.core_resource_list,
            "/apis": _discovery.api_group_list,
            f"/apis/{GROUP}": _discovery.api_group,
            GROUP_PREFIX: _discovery.image_resource_list,
            "/openapi/v3": _discovery.openapi_v3_index,
        }
        if path in documents:
            return json_response(200, documents[path]())
        raw: bytes | None = None
        if path == f"/openapi/v3/{_discovery.OPENAPI_V3_GROUP_PATH}":
            raw = _discovery.openapi_v3_bytes()
        elif path == "/openapi/v2":
            if _discovery.wants_protobuf_only(accept):
                # client-go asks for the v2 document only as protobuf (kubectl's validation fallback).
                return Response(200, [("Content-Type", _discovery.OPENAPI_V2_PROTOBUF)],
                                _discovery.openapi_v2_protobuf())
            raw = _discovery.openapi_v2_bytes()
        else:
            return None
        if raw is None:
            return status_response(path_not_found())
        return Response(200, [("Content-Type", JSON_CONTENT_TYPE)], raw)

    # -- routing to handlers --------------------------------------------------------------------

    def _serve(self, route: Route, request: Request) -> Response:
        verb = route.verb
        if verb == "watch":
            return self._watch(route, request)
        if route.subresource is not None and route.subresource != "status":
            # Computed subresources (layers, secrets) belong to the semantics layer.
            handler = self.semantics.subresource_handlers.get((route.plural, route.subresource))
            if handler is None:
                raise path_not_found()
            assert route.namespace is not None and route.name is not None
            return json_response(200, handler.get(self.context(request.query), route.namespace, route.name))
        virtual = self.semantics.virtual_resources.get(route.plural)
        if virtual is not None:
            return self._serve_virtual(virtual, route, request)
        if route.plural not in self._store_resources:
            raise path_not_found()
        handlers: dict[str, Callable[[Route, Request], Response]] = {
            "get": self._get, "list": self._list, "create": self._create, "update": self._update,
            "patch": self._patch, "delete": self._delete, "deletecollection": self._delete_collection,
        }
        return handlers[verb](route, request)

    def strategy(self, resource: str) -> StoreStrategy:
        """The strategy of a store-backed resource (a no-op one for the core resources)."""
        return self.semantics.strategies.get(resource, self._default_strategy)

    # -- rendering ------------------------------------------------------------------------------

    def render(self, resource: str, obj: JSON, ctx: RequestContext) -> JSON:
        """A copy of a stored object as the wire shows it (decorated)."""
        rendered: JSON = copy_json(obj)
        self.strategy(resource).decorate(rendered, ctx)
        return rendered

    def _event_line(self, resource: str, event_type: str, obj: JSON, ctx: RequestContext,
                    memo: LineMemo | None) -> bytes:
        """The watch line of an event on a stored object. Every watcher of the resource sends the same
        bytes, so they are rendered and encoded once, not once per watcher.

        ``memo`` is the history event's own store of its lines (None for objects of an initial
        state): it outlives the bounded cache, so a replay longer than that cache still renders each
        event once. Threads race on it harmlessly: they would store equal bytes."""
        config = self._config_key()
        if memo is not None:
            kept = memo.get(event_type)
            if kept is not None and kept[0] == config:
                return kept[1]
        key = (id(obj), event_type)  # the entry holds obj, so its id is not reused while it lives
        line = self._event_lines.get(key, obj, config)
        if line is None:
            line = encode_event(event_type, self.render(resource, obj, ctx))
            self._event_lines.put(key, obj, config, line)
        if memo is not None:
            memo[event_type] = (config, line)
        return line

    def _config_key(self) -> tuple[Any, ...]:
        # ServerConfig is flat, so its field values identify it (dataclasses.astuple's deep copy cost
        # microseconds per GET).
        return tuple(vars(self.config).values())

    # -- request bodies -------------------------------------------------------------------------

    def _body(self, request: Request, *, required: bool = True,
              what: str = "couldn't get version/kind; json parse error: ") -> Any:
        """A JSON body parsed as the Go server parses it (``_decode``); ``what`` prefixes its errors."""
        if len(request.body) > MAX_BODY_BYTES:
            raise request_entity_too_large(MAX_BODY_BYTES)
        if not request.body.strip():
            if required:
                raise bad_request("the body of the request was empty")
            return None
        document, strict = _decode.decode_document(request.body, what)
        request.strict_errors.extend(strict)
        return document

    @staticmethod
    def _body_media_type(request: Request) -> str:
        """Bodies are JSON (YAML only as far as JSON is YAML), or protobuf for the core kinds typed
        clients send that way. Anything else is 415, as a server answers a media type it cannot decode."""
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type in ("", "application/json", "application/yaml", "*/*") or media_type.endswith("+json"):
            return "application/json"
        if media_type == _protobuf.MEDIA_TYPE:
            return media_type
        raise unsupported_media_type("the body of the request was in an unknown format - accepted media types "
                                     "include: application/json, application/yaml")

    def _object_body(self, request: Request, info: ResourceInfo) -> JSON:
        if self._body_media_type(request) == _protobuf.MEDIA_TYPE:
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
        self._check_type(body, info)
        if body.get("metadata") is None:
            body["metadata"] = {}
        return body

    @staticmethod
    def _check_type(body: JSON, info: ResourceInfo) -> None:
        expected = info.api_version if info.group else info.version
        api_version = body.get("apiVersion")
        if api_version and api_version != expected:
            raise bad_request(f"the API version in the data ({api_version}) does not match the expected API "
                              f"version ({expected})")
        kind = body.get("kind")
        if kind and kind != info.kind:
            raise bad_request(f'{kind} in version "{info.version}" cannot be handled as a {info.kind}: '
                              f'no kind "{kind}" is registered for version "{expected}"')

    def _unknown_fields(self, request: Request, info: ResourceInfo, body: JSON) -> list[tuple[str, str]]:
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

    # -- generic handlers -----------------------------------------------------------------------

    def _get(self, route: Route, request: Request) -> Response:
        if request.query.get("export"):
            raise bad_request("the export parameter, deprecated since v1.14, is no longer supported")
        assert route.name is not None
        info = route.info
        rv_text = request.query.get("resourceVersion")
        if rv_text not in (None, "", "0"):
            # "Not older than": the fake always has the latest state, unless asked for one it never reached.
            assert rv_text is not None
            requested, current = parse_resource_version(rv_text), self.store.current_resource_version()
            if requested > current:
                raise timeout_too_large(requested, current)
        stored = self.store.peek(info.plural, route.namespace, route.name)
        if stored is None:
            raise not_found(info.plural, route.name, info.group)
        # GETs are the hot path of polling clients and benchmarks: reuse the body of an unchanged object.
        cache_key = (info.plural, route.namespace, route.name)
        config = self._config_key()
        body = self._get_bodies.get(cache_key, stored, config)
        if body is None:
            body = _dumps(self.render(info.plural, stored, self.context(request.query)))
            self._get_bodies.put(cache_key, stored, config, body)
        return Response(200, [("Content-Type", JSON_CONTENT_TYPE)], body)

    def _list_options(self, route: Route, request: Request, *, is_watch: bool) -> ListOptions:
        opts = parse_list_options(request.query)
        if route.name is not None:  # /watch/.../{name}: a single-object watch is a name field selector
            requirement = f"metadata.name={route.name}"
            existing = [part.strip() for part in opts.field_selector.split(",") if part.strip()]
            for part in existing:
                if part.replace("==", "=").startswith("metadata.name=") and part.replace("==", "=") != requirement:
                    raise bad_request("fieldSelector metadata.name doesn't match requested name")
            opts.field_selector = ",".join([*existing, requirement]) if requirement not in existing else \
                opts.field_selector
        validate_list_options(opts, is_watch=is_watch, watch_list_enabled=self.config.flavour != "4.17")
        return opts

    def _list(self, route: Route, request: Request) -> Response:
        info = route.info
        opts = self._list_options(route, request, is_watch=False)
        matcher = build_matcher(opts, self.strategy(info.plural).field_value)
        chunk, metadata = list_objects(self.store, info.plural, route.namespace, opts, matcher)
        ctx = self.context(request.query)
        strategy = self.strategy(info.plural)
        items = []
        for obj in chunk:
            item: JSON = copy_json(obj)
            strategy.decorate(item, ctx)
            item.pop("kind", None)
            item.pop("apiVersion", None)
            items.append(item)
        return json_response(200, {"kind": info.list_kind, "apiVersion": self._api_version(info),
                                   "metadata": metadata, "items": items})

    @staticmethod
    def _api_version(info: ResourceInfo) -> str:
        return info.api_version if info.group else info.version

    def _watch(self, route: Route, request: Request) -> Response:
        info = route.info
        opts = self._list_options(route, request, is_watch=True)
        matcher = build_matcher(opts, self.strategy(info.plural).field_value)
        rv_text = opts.resource_version
        initial_state = rv_text in (None, "", "0")
        if self.config.flavour != "4.17" and initial_state and opts.send_initial_events is None \
                and not opts.resource_version_match:
            # The WatchList gate defaults a watch from "now" to a streaming list (SetListOptionsDefaults).
            opts.send_initial_events = True
        since: int | None
        if opts.send_initial_events or (initial_state and opts.send_initial_events is None):
            since = None
        elif initial_state:
            since = self.store.current_resource_version()
        else:
            assert rv_text is not None
            since = parse_resource_version(rv_text)
        timeout = opts.timeout_seconds if opts.timeout_seconds else self.settings.default_watch_timeout
        ctx = self.context(request.query)
        cut = self.faults.watch_cut()
        spec = WatchSpec(
            resource=info.plural, namespace=route.namespace, kind=info.kind, api_version=self._api_version(info),
            matcher=matcher, render=lambda obj: self.render(info.plural, obj, ctx),
            encode=lambda event_type, obj, memo: self._event_line(info.plural, event_type, obj, ctx, memo),
            since=since,
            send_initial_events_end=bool(opts.send_initial_events), allow_bookmarks=opts.allow_watch_bookmarks,
            timeout=timeout, bookmark_interval=self.settings.bookmark_interval,
            max_events=cut[0] if cut else None, abrupt_cut=cut[1] if cut else False,
        )
        stream = WatchStream(self.store, spec, self.stopping)
        return Response(200, [("Content-Type", JSON_CONTENT_TYPE), ("Cache-Control", "no-cache, private")],
                        stream=stream)

    def _check_namespace_for_create(self, route: Route) -> None:
        namespace = route.namespace
        if namespace is None:
            return
        if self.store.namespace_exists(namespace):
            return
        if self.settings.require_namespaces or not _decode.is_namespace_name(namespace):
            # A name that is no DNS-1123 label can name no namespace: the server's NamespaceLifecycle
            # admission answers 404 for it, and the fake must not create one on first use either.
            raise not_found("namespaces", namespace, group="")
        self.store.ensure_namespace(namespace)

    def _create(self, route: Route, request: Request) -> Response:
        info = route.info
        body = self._object_body(request, info)
        warnings = self._unknown_fields(request, info, body)
        self._check_namespace_for_create(route)
        ctx = self._write_context(request)
        created = self.create_object(info, route.namespace, body, ctx)
        return json_response(201, created, warnings)

    def create_object(self, info: ResourceInfo, namespace: str | None, body: JSON, ctx: RequestContext, *,
                      record_managers: bool = True) -> JSON:
        """The generic create path: namespace and name checks, strategy, managedFields, store, after-write
        hooks. Returns the created object as the response shows it (decorated); ``body`` is consumed."""
        meta = body["metadata"]
        if info.namespaced:
            given = meta.get("namespace")
            if given and given != namespace:
                raise bad_request("the namespace of the provided object does not match the namespace sent on the "
                                  "request")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        strategy = self.strategy(info.plural)
        generate_from = "" if meta.get("name") else str(meta.get("generateName") or "")
        for _attempt in range(_GENERATE_NAME_ATTEMPTS):
            # Only a generated name can be retried, and only then does the body need to survive an attempt.
            candidate = copy_json(body) if generate_from else body
            candidate_meta = candidate["metadata"]
            if generate_from:
                candidate_meta["name"] = generate_name(generate_from)
            name = candidate_meta.get("name") or ""
            if not name:
                raise invalid(info.kind, "", [FieldError("FieldValueRequired", "metadata.name",
                                                         "name or generateName is required")], info.group)
            strategy.prepare_for_create(candidate, ctx)
            errors = strategy.validate_create(candidate, ctx)
            if errors:
                raise invalid(info.kind, name, errors, info.group)
            if record_managers:
                self._record_update(info, None, candidate, ctx, None)
            try:
                created = self.store.create(info.plural, namespace, candidate, dry_run=ctx.dry_run)
            except StatusError as error:
                if generate_from and error.reason == "AlreadyExists":
                    continue
                raise
            return self._respond_after_write(info, created, ctx)
        # Every generated name clashed (practically unreachable): the server's 409 names the base.
        raise already_exists(info.plural, generate_from, info.group)

    def _write_context(self, request: Request) -> RequestContext:
        """The context of a write: dry run, and the field manager (``fieldManager``, else the
        User-Agent's product, as the server derives it)."""
        manager = request.query.get("fieldManager") or default_manager(request.headers.get("user-agent", ""))
        return self.context(request.query, dry_run=_dry_run(request.query), field_manager=manager)

    def _record_update(self, info: ResourceInfo, old: JSON | None, new: JSON, ctx: RequestContext,
                       subresource: str | None) -> None:
        record_update(self._field_sets, info.kind, old, new, ctx.field_manager or "unknown", self._api_version(info),
                      format_time(ctx.now()), skip_status=_skips_status(info, subresource))

    def _apply_ownership(self, info: ResourceInfo, live: JSON | None, applied: JSON, merged: JSON,
                         ctx: RequestContext, subresource: str | None, force: bool) -> None:
        apply_ownership(self._field_sets, info.kind, live, applied, merged, ctx.field_manager or "unknown",
                        self._api_version(info), format_time(ctx.now()), force=force,
                        skip_status=_skips_status(info, subresource))

    def _respond_after_write(self, info: ResourceInfo, written: JSON, ctx: RequestContext) -> JSON:
        """Run the after-write hook (the simulated controllers) and return the decorated response body.

        ``written`` is the store's answer, owned by this request: the response is a copy of it, taken
        before the hook, because the controller's own writes come after this one."""
        hook = self.semantics.after_write_hooks.get(info.plural)
        if hook is None or ctx.dry_run:
            self.strategy(info.plural).decorate(written, ctx)
            return written
        response = self.render(info.plural, written, ctx)
        hook(ctx, written)
        return response

    def _update(self, route: Route, request: Request) -> Response:
        info = route.info
        assert route.name is not None
        body = self._object_body(request, info)
        warnings = self._unknown_fields(request, info, body)
        ctx = self._write_context(request)
        updated = self.update_object(info, route.namespace, route.name, body, ctx, route.subresource,
                                     require_resource_version=bool(info.group))
        return json_response(200, updated, warnings)

    def update_object(self, info: ResourceInfo, namespace: str | None, name: str, body: JSON, ctx: RequestContext,
                      subresource: str | None, *, require_resource_version: bool, record_managers: bool = True) -> JSON:
        """The generic update path shared by PUT and PATCH; returns the response body (decorated)."""
        meta = body["metadata"]
        body_name = meta.get("name") or ""
        if body_name != name:
            raise bad_request(f"the name of the object ({body_name}) does not match the name on the URL ({name})")
        if info.namespaced:
            given = meta.get("namespace")
            if given and given != namespace:
                raise bad_request("the namespace of the provided object does not match the namespace sent on the "
                                  "request")
        old = self.store.get(info.plural, namespace, name)
        if old is None:
            raise not_found(info.plural, name, info.group)
        if require_resource_version and not meta.get("resourceVersion"):
            # Neither image strategy allows unconditional updates; the error names the resource plural.
            raise invalid(info.plural, name, [FieldError("FieldValueInvalid", "metadata.resourceVersion",
                                                         "must be specified for an update", _RawValue("0x0"), True)],
                          info.group)
        managed_fields = meta.get("managedFields")
        old_meta = old.get("metadata", {})
        for kept in ("uid", "creationTimestamp", "deletionTimestamp", "generation"):
            if kept in old_meta:
                meta[kept] = old_meta[kept]
            else:
                meta.pop(kept, None)
        strategy = self.strategy(info.plural)
        strategy.prepare_for_update(body, old, ctx, subresource)
        errors = strategy.validate_update(body, old, ctx, subresource)
        if errors:
            raise invalid(info.kind, name, errors, info.group)
        if record_managers:
            self._record_update(info, old, body, ctx, subresource)
        else:
            # An apply has set managedFields already; the strategy must not have the last word on them.
            body["metadata"]["managedFields"] = managed_fields
        updated = self.store.update(info.plural, namespace, body, dry_run=ctx.dry_run)
        return self._respond_after_write(info, updated, ctx)

    def _patch_engine(self, request: Request, info: ResourceInfo) -> tuple[PatchOptions, Callable[[JSON | None], JSON],
                                                                             Any]:
        """The checked options, the engine and the decoded body of a PATCH. Type and options are
        checked (415, 422) before the body is read, as the server's handler does; the dispatch is
        ``_patch.PatchOptions``, the same one ``patch_document`` uses."""
        options = PatchOptions.checked(request.headers.get("content-type", ""),
                                       field_manager=request.query.get("fieldManager"),
                                       force=patch_query_bool(request.query.get("force")))
        patch = self._body(request, what=_decode.patch_error_prefix(options.patch_type))
        engine = options.engine(patch, _patch_schema(info.kind))
        shown = patch if options.patch_type == STRATEGIC_MERGE_PATCH else None

        def checked(live: JSON | None) -> JSON:
            # The patched object is decoded into the Go type again: a wrong type is the handler's 422.
            patched = _as_object(engine(live))
            _decode.check_patched(info.kind, patched, shown)
            return patched

        return options, checked, patch

    def _patch(self, route: Route, request: Request) -> Response:
        info = route.info
        assert route.name is not None
        options, engine, patch = self._patch_engine(request, info)
        ctx = self._write_context(request)
        is_apply = options.is_apply
        force = bool(options.force)
        for attempt in range(_PATCH_ATTEMPTS):
            live = self.store.get(info.plural, route.namespace, route.name)
            if live is None:
                if not is_apply or route.subresource is not None:
                    raise not_found(info.plural, route.name, info.group)
                created_body = _as_object(engine(None))
                warnings = self._unknown_fields(request, info, created_body)
                created_body.setdefault("metadata", {}).setdefault("name", route.name)
                if created_body["metadata"]["name"] != route.name:
                    raise bad_request(f"the name of the object ({created_body['metadata']['name']}) does not match "
                                      f"the name on the URL ({route.name})")
                self._check_namespace_for_create(route)
                self._apply_ownership(info, None, patch, created_body, ctx, None, force)
                created = self.create_object(info, route.namespace, created_body, ctx, record_managers=False)
                return json_response(201, created, warnings)
            live_rv = live["metadata"].get("resourceVersion")
            patched = _as_object(engine(live))
            # Like the server, unknown fields are judged on the patched object, not on the patch (whose
            # strategic-merge directives are not fields).
            warnings = self._unknown_fields(request, info, patched)
            self._check_type(patched, info)
            patched.setdefault("metadata", {})
            if not isinstance(patched["metadata"], dict):
                raise bad_request("metadata must be an object")
            explicit_rv = patched["metadata"].get("resourceVersion")
            if not explicit_rv:
                patched["metadata"]["resourceVersion"] = live_rv
            if is_apply:
                self._apply_ownership(info, live, patch, patched, ctx, route.subresource, force)
            try:
                updated = self.update_object(info, route.namespace, route.name, patched, ctx, route.subresource,
                                             require_resource_version=False, record_managers=not is_apply)
            except StatusError as error:
                # A patch without its own resourceVersion is retried on a concurrent write, like
                # GuaranteedUpdate does; one that names a stale version fails.
                if error.reason == "Conflict" and explicit_rv in (None, "", live_rv) and attempt + 1 < _PATCH_ATTEMPTS:
                    continue
                raise
            return json_response(200, updated, warnings)
        raise conflict(info.plural, route.name, STALE_OBJECT, info.group)

    def _delete_options(self, request: Request) -> JSON:
        if request.body.strip() and self._body_media_type(request) != "application/json":
            # DeleteOptions in protobuf: the fake reads only the JSON form; a plain delete needs none.
            raise _protobuf.unsupported("DeleteOptions")
        body = self._body(request, required=False)
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise bad_request("couldn't get version/kind; json parse error: DeleteOptions must be an object")
        return body

    def _delete(self, route: Route, request: Request) -> Response:
        info = route.info
        assert route.name is not None
        options = self._delete_options(request)
        dry_run = _dry_run(request.query) or "All" in (options.get("dryRun") or [])
        preconditions = options.get("preconditions") or {}
        with self.store.lock:
            current = self.store.get(info.plural, route.namespace, route.name)
            if current is None:
                raise not_found(info.plural, route.name, info.group)
            meta = current["metadata"]
            expected_uid = preconditions.get("uid")
            if expected_uid is not None and expected_uid != meta.get("uid"):
                raise conflict(info.kind, route.name,
                               f"the UID in the precondition ({expected_uid}) does not match the UID in record "
                               f"({meta.get('uid')}). The object might have been deleted and then recreated",
                               info.group)
            expected_rv = preconditions.get("resourceVersion")
            if expected_rv is not None and expected_rv != meta.get("resourceVersion"):
                raise conflict(info.kind, route.name,
                               f"the ResourceVersion in the precondition ({expected_rv}) does not match the "
                               f"ResourceVersion in record ({meta.get('resourceVersion')}). The object might have "
                               "been modified", info.group)
            self.store.delete(info.plural, route.namespace, route.name, dry_run=dry_run)
            if info.plural == "namespaces" and not dry_run:
                self._empty_namespace(route.name)
        details: JSON = {"name": route.name}
        if info.group:
            details["group"] = info.group
        details["kind"] = info.plural
        details["uid"] = meta.get("uid")
        return json_response(200, success_status(details))

    def _empty_namespace(self, namespace: str) -> None:
        """The namespace controller's work, done at once: a deleted namespace loses its content."""
        for resource in sorted(self._store_resources):
            if not self.store.type_info(resource).namespaced:
                continue
            snapshot = self.store.snapshot(resource)
            start, end = snapshot.window(namespace)
            for obj in snapshot.objects[start:end]:
                self.store.delete(resource, namespace, obj["metadata"]["name"])

    def _delete_collection(self, route: Route, request: Request) -> Response:
        info = route.info
        options = self._delete_options(request)
        dry_run = _dry_run(request.query) or "All" in (options.get("dryRun") or [])
        opts = parse_list_options(request.query)
        validate_list_options(opts, is_watch=False, watch_list_enabled=True)
        matcher = build_matcher(opts, self.strategy(info.plural).field_value)
        ctx = self.context(request.query, dry_run=dry_run)
        deleted: list[JSON] = []
        snapshot = self.store.snapshot(info.plural)
        start, end = snapshot.window(route.namespace)
        for obj in snapshot.objects[start:end]:
            if matcher is not None and not matcher(obj):
                continue
            meta = obj["metadata"]
            try:
                last = self.store.delete(info.plural, meta.get("namespace"), meta["name"], dry_run=dry_run)
            except StatusError as error:
                if error.code == 404:  # deleted concurrently: not ours to report
                    continue
                raise
            item = self.render(info.plural, last, ctx)
            item.pop("kind", None)
            item.pop("apiVersion", None)
            deleted.append(item)
        metadata = {"resourceVersion": str(self.store.current_resource_version())}
        return json_response(200, {"kind": info.list_kind, "apiVersion": self._api_version(info),
                                   "metadata": metadata, "items": deleted})

    # -- virtual resources ----------------------------------------------------------------------

    def _serve_virtual(self, virtual: VirtualResource, route: Route, request: Request) -> Response:
        info = route.info
        verb = route.verb
        if verb == "get":
            assert route.name is not None
            return json_response(200, virtual.get(self.context(request.query), route.namespace, route.name))
        if verb == "list":
            opts = parse_list_options(request.query)
            validate_list_options(opts, is_watch=False, watch_list_enabled=True)
            return json_response(200, virtual.list(self.context(request.query), route.namespace))
        if verb == "create":
            body = self._object_body(request, info)
            self._check_namespace_for_create(route)
            code, document = virtual.create(self._write_context(request), route.namespace, body)
            return json_response(code, document)
        assert route.name is not None
        ctx = self._write_context(request)
        if verb == "update":
            body = self._object_body(request, info)
            code, document = virtual.update(ctx, route.namespace, route.name, body)
            return json_response(code, document)
        if verb == "patch":
            _options, engine, _patch = self._patch_engine(request, info)
            try:
                live: JSON | None = virtual.get(ctx, route.namespace, route.name)
            except StatusError as error:
                if error.code != 404:
                    raise
                live = None
            patched = _as_object(engine(live))
            code, document = virtual.update(ctx, route.namespace, route.name, patched)
            return json_response(code, document)
        if verb == "delete":
            options = self._delete_options(request)
            if "All" in (options.get("dryRun") or []):
                ctx.dry_run = True
            return json_response(200, virtual.delete(ctx, route.namespace, route.name, options))
        raise method_not_allowed()


def _skips_status(info: ResourceInfo, subresource: str | None) -> bool:
    """Writes to the main resource of a kind with a /status subresource do not own its status."""
    return subresource is None and "status" in info.subresources


def _as_object(value: Any) -> JSON:
    if not isinstance(value, dict):
        raise bad_request("the patched object is not a JSON object")
    return value


def _dry_run(query: Mapping[str, str]) -> bool:
    value = query.get("dryRun")
    if not value:
        return False
    if value != "All":
        raise bad_request(f'Invalid dryRun parameter: "{value}": supported values: "All"')
    return True


@functools.cache
def _patch_schema(kind: str) -> PatchSchema:
    return PatchSchema.for_kind(_discovery.normalized_schema() or {}, kind)


__all__ = ["App", "AppSettings", "Request", "Response", "Semantics", "json_response", "status_response"]
