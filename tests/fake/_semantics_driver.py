"""A driver that calls the image semantics as the fake core does, on the fake's real store.

It lets the semantics tests run without the HTTP core: ``Cluster`` prepares, validates and stores
objects through the strategies, runs the after-write hooks, and decorates on read, with a clock
that only moves when a test ticks it.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any

from imageapi.testing._cluster import _store_types
from imageapi.testing._contracts import JSON, RequestContext, ServerConfig
from imageapi.testing._registry import FakeRegistry
from imageapi.testing._semantics import AFTER_WRITE_HOOKS, STRATEGIES, SUBRESOURCE_HANDLERS, VIRTUAL_RESOURCES
from imageapi.testing._status import invalid, not_found
from imageapi.testing._store import Store

KINDS = {"images": "Image", "imagestreams": "ImageStream", "secrets": "Secret"}


class Cluster:
    """Drives strategies and handlers the way the core's generic handlers do."""

    def __init__(self, config: ServerConfig | None = None) -> None:
        self.elapsed = 0
        self.start = datetime(2026, 1, 1, tzinfo=timezone.utc)
        self.store = Store(_store_types(), now=self.now)
        self.config = config or ServerConfig()
        self.registry = FakeRegistry()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def tick(self, seconds: int = 1) -> None:
        """Advance the fake clock (it stands still otherwise, like one request's timestamps)."""
        self.elapsed += seconds

    def ctx(self, *, dry_run: bool = False, query: dict[str, str] | None = None) -> RequestContext:
        return RequestContext(store=self.store, config=self.config, registry=self.registry, now=self.now,
                              dry_run=dry_run, query=query or {})

    # store-backed resources ------------------------------------------------------------------------
    def create(self, resource: str, obj: JSON, namespace: str | None = "ns", *, dry_run: bool = False) -> JSON:
        ctx = self.ctx(dry_run=dry_run)
        obj = copy.deepcopy(obj)
        if resource == "images":
            namespace = None
        elif namespace is not None:
            obj.setdefault("metadata", {})["namespace"] = namespace
        strategy = STRATEGIES[resource]
        strategy.prepare_for_create(obj, ctx)
        errors = strategy.validate_create(obj, ctx)
        if errors:
            raise invalid(KINDS[resource], obj["metadata"].get("name", ""), errors)
        stored = self.store.create(resource, namespace, obj, dry_run=dry_run)
        if not dry_run and resource in AFTER_WRITE_HOOKS:
            AFTER_WRITE_HOOKS[resource](ctx, copy.deepcopy(stored))
        strategy.decorate(stored, ctx)
        return stored

    def update(self, resource: str, obj: JSON, namespace: str | None = "ns", subresource: str | None = None) -> JSON:
        ctx = self.ctx()
        if resource == "images":
            namespace = None
        new = copy.deepcopy(obj)
        old = self.store.get(resource, namespace, new["metadata"]["name"])
        if old is None:
            raise not_found(resource, new["metadata"]["name"])
        strategy = STRATEGIES[resource]
        strategy.prepare_for_update(new, old, ctx, subresource)
        errors = strategy.validate_update(new, old, ctx, subresource)
        if errors:
            raise invalid(KINDS[resource], new["metadata"]["name"], errors)
        stored = self.store.update(resource, namespace, new)
        if resource in AFTER_WRITE_HOOKS:
            AFTER_WRITE_HOOKS[resource](ctx, copy.deepcopy(stored))
        strategy.decorate(stored, ctx)
        return stored

    def get(self, resource: str, name: str, namespace: str | None = "ns") -> JSON:
        if resource == "images":
            namespace = None
        found = self.store.get(resource, namespace, name)
        if found is None:
            raise not_found(resource, name)
        STRATEGIES[resource].decorate(found, self.ctx())
        return found

    def put_secret(self, name: str, type_: str, namespace: str = "ns", annotations: dict[str, str] | None = None,
                   labels: dict[str, str] | None = None) -> JSON:
        meta: JSON = {"name": name, "namespace": namespace}
        if annotations:
            meta["annotations"] = annotations
        if labels:
            meta["labels"] = labels
        return self.store.create("secrets", namespace, {"kind": "Secret", "apiVersion": "v1", "metadata": meta,
                                                        "type": type_, "data": {}})

    # virtual resources ------------------------------------------------------------------------------
    def virtual(self, resource: str) -> Any:
        return VIRTUAL_RESOURCES[resource]

    def subresource(self, name: str) -> Any:
        return SUBRESOURCE_HANDLERS[("imagestreams", name)]


def stream(name: str, tags: list[JSON] | None = None, **spec: Any) -> JSON:
    """An ImageStream body."""
    body: JSON = {"kind": "ImageStream", "apiVersion": "image.openshift.io/v1", "metadata": {"name": name},
                  "spec": dict(spec)}
    if tags is not None:
        body["spec"]["tags"] = tags
    return body


def docker_tag(name: str, image: str, **extra: Any) -> JSON:
    """A spec tag pointing at an external image."""
    return {"name": name, "from": {"kind": "DockerImage", "name": image}, **extra}
