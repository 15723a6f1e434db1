"""The read handlers of the fake's dispatcher: get, list and watch of store-backed resources.

Reads are the hot path of polling clients, informers and benchmarks, so wire bytes are cached: a GET
body per stored object, a watch line per event shared by every watcher of the resource, and the
encoded item of every stored object that a list served by the watch cache sent (an informer's
``resourceVersion=0`` list of 100,000 objects is then a join of kept bytes, as a real watch cache
answers from memory rather than reading and decoding etcd).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any

from ._appcore import AppCore, AppSettings, Semantics, api_version
from ._contracts import JSON, RequestContext, ServerConfig
from ._faults import Faults
from ._lists import (
    ListOptions,
    build_matcher,
    list_objects,
    parse_list_options,
    parse_resource_version,
    served_from_watch_cache,
    timeout_too_large,
    validate_list_options,
)
from ._registry import FakeRegistry
from ._routes import Route
from ._status import bad_request, not_found
from ._store import LineMemo, Store
from ._watch import WatchSpec, WatchStream, encode_event
from ._wire import JSON_CONTENT_TYPE, Request, Response, dumps, json_response

_RENDER_CACHE_SIZE = 4096


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

    def hold(self, count: int) -> None:
        """Make room for at least ``count`` entries (twice that: replaced objects linger until a clear)."""
        self._size = max(self._size, 2 * count)


class ReadHandlers(AppCore):
    """get, list and watch."""

    def __init__(self, store: Store, config: ServerConfig, registry: FakeRegistry, semantics: Semantics, faults: Faults,
                 settings: AppSettings, now: Callable[[], datetime], stopping: threading.Event) -> None:
        super().__init__(store, config, registry, semantics, faults, settings, now, stopping)
        self._get_bodies = _RenderedCache()  # by (resource, namespace, name)
        self._event_lines = _RenderedCache()  # by (id(obj), event type)
        self._list_items = _RenderedCache()  # by id(obj): grows to hold every object a cached list sent

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
            body = dumps(self.render(info.plural, stored, self.context(request.query)))
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
        head = {"kind": info.list_kind, "apiVersion": api_version(info), "metadata": metadata}
        if served_from_watch_cache(opts):
            return self._cached_list(info.plural, head, chunk, ctx)
        items = [self._list_item(info.plural, obj, ctx) for obj in chunk]
        return json_response(200, {**head, "items": items})

    def _list_item(self, resource: str, obj: JSON, ctx: RequestContext) -> JSON:
        """A stored object as a list shows it: decorated, without ``kind`` and ``apiVersion``."""
        item = self.render(resource, obj, ctx)
        item.pop("kind", None)
        item.pop("apiVersion", None)
        return item

    def _cached_list(self, resource: str, head: JSON, chunk: list[JSON], ctx: RequestContext) -> Response:
        """The body of a list served by the watch cache: the same bytes :func:`json_response` would
        write, joined from each object's kept encoding (rendered on its first list only)."""
        config = self._config_key()
        kept = self._list_items
        kept.hold(len(chunk))
        parts = []
        for obj in chunk:
            key = id(obj)  # the entry holds obj, so its id is not reused while it lives
            data = kept.get(key, obj, config)
            if data is None:
                data = json.dumps(self._list_item(resource, obj, ctx), separators=(",", ":")).encode()
                kept.put(key, obj, config, data)
            parts.append(data)
        opening = dumps(head)[:-2]  # without the closing brace and newline
        body = b"".join((opening, b',"items":[', b",".join(parts), b"]}\n"))
        return Response(200, [("Content-Type", JSON_CONTENT_TYPE)], body)

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
        if opts.send_initial_events and not initial_state:
            assert rv_text is not None
            requested = parse_resource_version(rv_text)
            # A streaming list "not older than" a revision the store never reached: the server waits
            # for it, then fails the watch with "Too large resource version" (the stream's one event).
            since = requested if requested > self.store.current_resource_version() else None
        elif opts.send_initial_events or (initial_state and opts.send_initial_events is None):
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
            resource=info.plural, namespace=route.namespace, kind=info.kind, api_version=api_version(info),
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


__all__ = ["ReadHandlers"]
