"""Request → response dispatch of the fake cluster, without any I/O (the transports do the I/O).

:class:`App` answers a :class:`Request` with a :class:`Response`: a status, headers and either a body
or a :class:`~imageapi.testing._watch.WatchStream` to pull chunks from. Every failure becomes a Status
body shaped as in server-semantics.md §12; nothing a client sends yields a traceback.

This module is the entry point and the routing: fault plans, health and discovery paths,
authentication, then the route's handler. The generic handlers live in ``_reads`` (get, list, watch)
and ``_writes`` (create, update, patch, delete), on the shared ``_appcore``; request bodies are read
in ``_bodies``. The image semantics are reached only through the strategy hooks
(``prepare_for_create``/``validate_*``/``prepare_for_update``/``decorate``/``field_value``) and the
after-write hooks; virtual resources and subresources are handed to their registered handlers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from . import _bodies, _discovery
from ._appcore import AppSettings, DefaultStrategy, Semantics
from ._contracts import JSON, VirtualResource
from ._faults import FaultPlan
from ._lists import parse_list_options, validate_list_options
from ._reads import ReadHandlers
from ._routes import Route, resolve
from ._status import StatusError, internal_error, method_not_allowed, path_not_found, unauthorized
from ._wire import JSON_CONTENT_TYPE, MAX_BODY_BYTES, Request, Response, json_response, status_response
from ._writes import WriteHandlers

logger = logging.getLogger("imageapi.testing")

_HEALTH_PATHS = frozenset({"/healthz", "/readyz", "/livez"})
# What a client is told of a bug in the fake: the traceback goes to the log, never into a Status.
UNHANDLED_ERROR_MESSAGE = "the fake cluster failed to handle the request (its log has the details)"


class App(ReadHandlers, WriteHandlers):
    """The sans-I/O HTTP application of one fake cluster."""

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
            response = status_response(internal_error(UNHANDLED_ERROR_MESSAGE))
        return self._with_plan(response, plan)

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
        document = self._discovery_document(path)
        if document is not None:
            return json_response(200, document)
        raw: bytes | None = None
        if path.startswith("/openapi/v3/"):
            raw = _discovery.openapi_v3_document(path[len("/openapi/v3/"):])
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

    def _discovery_document(self, path: str) -> Any:
        """The discovery document at ``path``, or None when it names none."""
        if path == "/version":
            return _discovery.version_info(self.config.flavour)
        if path == "/api":
            return _discovery.api_versions(self.settings.server_address)
        if path == "/apis":
            return _discovery.api_group_list()
        if path == "/openapi/v3":
            return _discovery.openapi_v3_index()
        if path.startswith("/apis/") and path.count("/") == 2:
            return _discovery.api_group(path[len("/apis/"):])
        return _discovery.resource_list(path)

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
            body = _bodies.object_body(request, info)
            self._check_namespace_for_create(route)
            code, document = virtual.create(self._write_context(request), route.namespace, body)
            return json_response(code, document)
        assert route.name is not None
        ctx = self._write_context(request)
        if verb == "update":
            body = _bodies.object_body(request, info)
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
            patched = _bodies.as_object(engine(live))
            code, document = virtual.update(ctx, route.namespace, route.name, patched)
            return json_response(code, document)
        if verb == "delete":
            options = _bodies.delete_options(request)
            if "All" in (options.get("dryRun") or []):
                ctx.dry_run = True
            return json_response(200, virtual.delete(ctx, route.namespace, route.name, options))
        raise method_not_allowed()


__all__ = ["MAX_BODY_BYTES", "App", "AppSettings", "DefaultStrategy", "Request", "Response", "Semantics",
           "json_response", "status_response"]
