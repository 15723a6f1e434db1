"""What every part of the fake's dispatcher shares: the cluster's state and settings, the strategy of
each store-backed resource, request contexts and rendering.

The dispatcher is :class:`imageapi.testing._app.App`, assembled from the read handlers
(``_reads``: get, list, watch) and the write handlers (``_writes``: create, update, patch, delete),
both built on :class:`AppCore`. None of them knows about images: image semantics arrive through
:class:`Semantics` (strategies, virtual resources, subresources, after-write hooks).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .._resource_info import ResourceInfo
from . import _discovery
from ._contracts import JSON, RequestContext, ServerConfig, StoreStrategy, SubresourceHandler, VirtualResource
from ._faults import Faults
from ._managed_fields import FieldSets
from ._registry import FakeRegistry
from ._selectors import metadata_field_value
from ._status import FieldError
from ._store import Store, copy_json


class DefaultStrategy:
    """The strategy of resources without semantics of their own (core secrets and namespaces, the
    workload resources): nothing beyond the generic metadata handling."""

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
    """The registries a semantics layer exports (see ``_contracts``)."""

    strategies: Mapping[str, StoreStrategy] = field(default_factory=dict)
    virtual_resources: Mapping[str, VirtualResource] = field(default_factory=dict)
    subresource_handlers: Mapping[tuple[str, str], SubresourceHandler] = field(default_factory=dict)
    after_write_hooks: Mapping[str, Callable[[RequestContext, JSON], None]] = field(default_factory=dict)
    # Resources whose strategy refuses an update without metadata.resourceVersion
    # (``AllowUnconditionalUpdate`` false).
    conditional_updates: frozenset[str] = frozenset()


@dataclass
class AppSettings:
    """Cluster options the dispatcher needs."""

    token: str | None = None
    require_namespaces: bool = False
    default_watch_timeout: float = 1800.0
    bookmark_interval: float = 60.0
    server_address: str = "127.0.0.1"


def api_version(info: ResourceInfo) -> str:
    """The ``apiVersion`` of a resource's objects (the core group's is the bare version)."""
    return info.api_version if info.group else info.version


class AppCore:
    """The state the handlers share, and the helpers they all use."""

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

    def context(self, query: Mapping[str, str], *, dry_run: bool = False, field_manager: str | None = None) -> RequestContext:
        """A request context for the semantics layer."""
        return RequestContext(store=self.store, config=self.config, registry=self.registry, now=self._now,
                              dry_run=dry_run, field_manager=field_manager, query=query)

    def strategy(self, resource: str) -> StoreStrategy:
        """The strategy of a store-backed resource (a no-op one for the core resources)."""
        return self.semantics.strategies.get(resource, self._default_strategy)

    def render(self, resource: str, obj: JSON, ctx: RequestContext) -> JSON:
        """A copy of a stored object as the wire shows it (decorated)."""
        rendered: JSON = copy_json(obj)
        self.strategy(resource).decorate(rendered, ctx)
        return rendered

    def _config_key(self) -> tuple[Any, ...]:
        # ServerConfig is flat, so its field values identify it (dataclasses.astuple's deep copy cost
        # microseconds per GET).
        return tuple(vars(self.config).values())


__all__ = ["AppCore", "AppSettings", "DefaultStrategy", "Semantics", "api_version"]
