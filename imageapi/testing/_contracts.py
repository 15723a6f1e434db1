"""The seams inside the fake cluster.

The fake is built in two layers that meet here:

* the **core** (``_store``, ``_app``, lists, watch, transports): a versioned object store with one
  cluster-wide resourceVersion, the HTTP routes, paging, selectors, watch and fault injection. It
  knows nothing about images.
* the **image semantics** (``_images``, ``_imagestreams``, ``_virtual``, ``_registry``): strategies
  for the two store-backed resources (images, imagestreams) and handlers for the virtual resources
  (imagestreamtags, imagetags, imagestreamimages, imagestreammappings, imagestreamimports,
  imagesignatures, and the ``layers``/``secrets`` subresources).

Objects are plain JSON dicts (wire names) throughout. The store hands out deep copies, so a handler
may mutate what it reads. Failures are raised as :class:`imageapi.testing._status.StatusError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ._registry import FakeRegistry
from ._status import FieldError

JSON = dict[str, Any]

# The in-cluster registry service the server reports in status.dockerImageRepository.
DEFAULT_REGISTRY_HOSTNAME = "image-registry.openshift-image-registry.svc:5000"


class ObjectStore(Protocol):
    """Versioned storage of images and imagestreams (and core secrets/namespaces)."""

    def get(self, resource: str, namespace: str | None, name: str) -> JSON | None:
        """A deep copy of the stored object, or None."""

    def list(self, resource: str, namespace: str | None) -> list[JSON]:
        """Deep copies of the stored objects in key order (namespace, name); all namespaces for None."""

    def create(self, resource: str, namespace: str | None, obj: JSON, *, dry_run: bool = False) -> JSON:
        """Store a new object: sets uid, creationTimestamp, resourceVersion; 409 AlreadyExists on a clash.

        Runs no strategy: callers (the generic handlers, the virtual resources) prepare and validate first.
        """

    def update(self, resource: str, namespace: str | None, obj: JSON, *, dry_run: bool = False) -> JSON:
        """Replace an object; ``obj.metadata.resourceVersion`` must equal the stored one (409 Conflict
        otherwise), 404 when missing. Assigns a new resourceVersion. Runs no strategy."""

    def delete(self, resource: str, namespace: str | None, name: str, *, dry_run: bool = False) -> JSON:
        """Remove an object and return its last state (resourceVersion set to the deletion revision)."""

    def current_resource_version(self) -> int:
        """The cluster-wide revision of the last write."""


@dataclass
class ServerConfig:
    """Options of one fake cluster that the semantics need."""

    internal_registry_hostname: str = DEFAULT_REGISTRY_HOSTNAME
    external_registry_hostname: str | None = None
    flavour: str = "current"  # "4.17" or "current"
    default_import_mode: str = "Legacy"
    # Image semantics (imageapi.testing._import): run the simulated image import controller after
    # writes to an imagestream, and cap the tags a repository import takes (the rest are reported
    # in ``additionalTags``), as the server's MaxImagesBulkImportedPerRepository does.
    simulate_import_controller: bool = True
    max_images_bulk_imported_per_repository: int = 50


@dataclass
class RequestContext:
    """What a strategy or virtual handler may use while serving one request."""

    store: ObjectStore
    config: ServerConfig
    registry: FakeRegistry
    now: Callable[[], datetime]
    dry_run: bool = False
    field_manager: str | None = None
    query: Mapping[str, str] = field(default_factory=dict)
    user: str = "fake-user"


class StoreStrategy(Protocol):
    """Behaviour of a store-backed resource (``images``, ``imagestreams``) around the generic CRUD."""

    def prepare_for_create(self, obj: JSON, ctx: RequestContext) -> None:
        """Set server-owned fields on a new object (status, generation, defaults)."""

    def validate_create(self, obj: JSON, ctx: RequestContext) -> list[FieldError]:
        """Field errors that make the create fail with 422."""

    def prepare_for_update(self, new: JSON, old: JSON, ctx: RequestContext, subresource: str | None) -> None:
        """Reconcile an update (PUT or the result of a PATCH) of the main resource (``subresource``
        None) or of ``status`` with the stored object."""

    def validate_update(self, new: JSON, old: JSON, ctx: RequestContext, subresource: str | None) -> list[FieldError]:
        """Field errors that make the update fail with 422."""

    def decorate(self, obj: JSON, ctx: RequestContext) -> None:
        """Adjust an object on every read (get, list, watch event): e.g. status.dockerImageRepository."""

    def field_value(self, obj: JSON, field_path: str) -> str:
        """The value of a supported field-selector field; raise 400 BadRequest for any other field."""


class VirtualResource(Protocol):
    """A resource computed from images and streams. Methods it does not support are never called:
    the routes consult the generated resource table first and answer 405/404 themselves."""

    def get(self, ctx: RequestContext, namespace: str | None, name: str) -> JSON:
        """The object (or raise StatusError)."""

    def list(self, ctx: RequestContext, namespace: str | None) -> JSON:
        """The whole list response body (``kind``, ``apiVersion``, ``metadata``, ``items``); the handler
        applies ``ctx.query`` (selectors, limit) itself because these resources page quirkily."""

    def create(self, ctx: RequestContext, namespace: str | None, body: JSON) -> tuple[int, JSON]:
        """HTTP code and response body."""

    def update(self, ctx: RequestContext, namespace: str | None, name: str, body: JSON) -> tuple[int, JSON]:
        """HTTP code and response body; PATCH on these resources is applied by the core to the result
        of ``get`` (or an empty object) and then sent here."""

    def delete(self, ctx: RequestContext, namespace: str | None, name: str, options: JSON) -> JSON:
        """The Status body of a successful delete."""


class SubresourceHandler(Protocol):
    """``imagestreams/{name}/layers`` and ``imagestreams/{name}/secrets``."""

    def get(self, ctx: RequestContext, namespace: str, name: str) -> JSON:
        """The response body."""


# Registration: ``imageapi/testing/_semantics.py`` (image semantics layer) exports
#
#     STRATEGIES: dict[str, StoreStrategy]                       # "images", "imagestreams"
#     VIRTUAL_RESOURCES: dict[str, VirtualResource]              # "imagestreamtags", "imagetags", …
#     SUBRESOURCE_HANDLERS: dict[tuple[str, str], SubresourceHandler]  # ("imagestreams", "layers"), …
#
# and the core's routes look resources up there. Core Secrets live in the same store under the
# resource name "secrets" (namespaced, core/v1 objects), so the ``/secrets`` subresource can list them.
