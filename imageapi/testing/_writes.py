"""The write handlers of the fake's dispatcher: create, update (PUT), patch (every patch type and
server-side apply), delete and deletecollection of store-backed resources.

One generic path per verb: namespace and name checks, the resource's strategy, managedFields, the
store, then the after-write hooks (the simulated controllers). ``create_object`` and
``update_object`` are shared with PATCH (an apply may create) and with the semantics layer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .._resource_info import ResourceInfo
from . import _bodies, _decode, _discovery
from ._appcore import AppCore, api_version
from ._contracts import JSON, RequestContext
from ._lists import build_matcher, parse_list_options, validate_list_options
from ._managed_fields import apply_ownership, default_manager, record_update
from ._patch import STRATEGIC_MERGE_PATCH, PatchOptions, PatchSchema, patch_query_bool
from ._routes import Route
from ._status import (
    STALE_OBJECT,
    FieldError,
    StatusError,
    already_exists,
    bad_request,
    conflict,
    invalid,
    not_found,
    success_status,
)
from ._store import copy_json, format_time, generate_name
from ._wire import RawValue, Request, Response, json_response

_GENERATE_NAME_ATTEMPTS = 8
_PATCH_ATTEMPTS = 5


class WriteHandlers(AppCore):
    """create, update, patch, delete and deletecollection."""

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
        body = _bodies.object_body(request, info)
        warnings = _bodies.unknown_fields(request, info, body)
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
        return self.context(request.query, dry_run=_bodies.dry_run(request.query), field_manager=manager)

    def _record_update(self, info: ResourceInfo, old: JSON | None, new: JSON, ctx: RequestContext,
                       subresource: str | None) -> None:
        record_update(self._field_sets, info.kind, old, new, ctx.field_manager or "unknown", api_version(info),
                      format_time(ctx.now()), skip_status=_skips_status(info, subresource), subresource=subresource)

    def _apply_ownership(self, info: ResourceInfo, live: JSON | None, applied: JSON, merged: JSON,
                         ctx: RequestContext, subresource: str | None, force: bool) -> None:
        apply_ownership(self._field_sets, info.kind, live, applied, merged, ctx.field_manager or "unknown",
                        api_version(info), format_time(ctx.now()), force=force,
                        skip_status=_skips_status(info, subresource), subresource=subresource)

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
        body = _bodies.object_body(request, info)
        warnings = _bodies.unknown_fields(request, info, body)
        ctx = self._write_context(request)
        updated = self.update_object(info, route.namespace, route.name, body, ctx, route.subresource,
                                     require_resource_version=info.plural in self.semantics.conditional_updates)
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
                                                         "must be specified for an update", RawValue("0x0"), True)],
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
            if managed_fields is None:
                body["metadata"].pop("managedFields", None)
            else:
                body["metadata"]["managedFields"] = managed_fields
        updated = self.store.update(info.plural, namespace, body, dry_run=ctx.dry_run)
        if updated["metadata"].get("resourceVersion") == old_meta.get("resourceVersion") and not ctx.dry_run:
            # The store skipped a write that changed nothing: no event happened, so no controller wakes.
            self.strategy(info.plural).decorate(updated, ctx)
            return updated
        return self._respond_after_write(info, updated, ctx)

    def _patch_engine(self, request: Request, info: ResourceInfo) -> tuple[PatchOptions, Callable[[JSON | None], JSON],
                                                                             Any]:
        """The checked options, the engine and the decoded body of a PATCH. Type and options are
        checked (415, 422) before the body is read, as the server's handler does; the dispatch is
        ``_patch.PatchOptions``, the same one ``patch_document`` uses."""
        options = PatchOptions.checked(request.headers.get("content-type", ""),
                                       field_manager=request.query.get("fieldManager"),
                                       force=patch_query_bool(request.query.get("force")))
        patch = _bodies.json_body(request, what=_decode.patch_error_prefix(options.patch_type))
        engine = options.engine(patch, _patch_schema(info.kind))
        shown = patch if options.patch_type == STRATEGIC_MERGE_PATCH else None

        def checked(live: JSON | None) -> JSON:
            # The patched object is decoded into the Go type again: a wrong type is the handler's 422.
            patched = _bodies.as_object(engine(live))
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
                created_body = _bodies.as_object(engine(None))
                warnings = _bodies.unknown_fields(request, info, created_body)
                created_body.setdefault("metadata", {}).setdefault("name", route.name)
                if created_body["metadata"]["name"] != route.name:
                    raise bad_request(f"the name of the object ({created_body['metadata']['name']}) does not match "
                                      f"the name on the URL ({route.name})")
                self._check_namespace_for_create(route)
                self._apply_ownership(info, None, patch, created_body, ctx, None, force)
                created = self.create_object(info, route.namespace, created_body, ctx, record_managers=False)
                return json_response(201, created, warnings)
            live_rv = live["metadata"].get("resourceVersion")
            patched = _bodies.as_object(engine(live))
            # Like the server, unknown fields are judged on the patched object, not on the patch (whose
            # strategic-merge directives are not fields).
            warnings = _bodies.unknown_fields(request, info, patched)
            _bodies.check_type(patched, info)
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

    def _delete(self, route: Route, request: Request) -> Response:
        info = route.info
        assert route.name is not None
        options = _bodies.delete_options(request)
        dry_run = _bodies.dry_run(request.query) or "All" in (options.get("dryRun") or [])
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
        options = _bodies.delete_options(request)
        dry_run = _bodies.dry_run(request.query) or "All" in (options.get("dryRun") or [])
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
        return json_response(200, {"kind": info.list_kind, "apiVersion": api_version(info),
                                   "metadata": metadata, "items": deleted})


def _skips_status(info: ResourceInfo, subresource: str | None) -> bool:
    """Writes to the main resource of a kind with a /status subresource do not own its status."""
    return subresource is None and "status" in info.subresources


@functools.cache
def _patch_schema(kind: str) -> PatchSchema:
    return PatchSchema.for_kind(_discovery.normalized_schema() or {}, kind)


__all__ = ["WriteHandlers"]
