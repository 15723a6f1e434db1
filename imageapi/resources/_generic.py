"""Accessors for kinds outside the image group: ``client.resource(api_version, plural, kind=...)``.

::

    pods = client.resource("v1", "pods", kind="Pod")                       # GenericObject items
    for pod in pods.list(namespace="demo"):
        print(pod.metadata.name, pod.spec["containers"][0]["image"])

    leases = client.resource("coordination.k8s.io/v1", "leases", model=Lease)   # a typed model

A generic accessor is the image accessors' verb mixins over a :class:`~imageapi._resource_info.ResourceInfo`
built from its arguments, so get/list/create/replace/patch/delete/watch send exactly what they send
for image streams (paths under ``/api/v1`` for the core group, ``/apis/<group>/<version>`` otherwise).
Only what the answers decode to differs: the given model, or :class:`~imageapi.models.generic.GenericObject`,
and :class:`~imageapi.models.generic.ObjectList` of it for lists. Since nothing is known about the
resource at build time, every verb is offered; the server refuses what it does not serve.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from .._request import Decoder, model_decoder, status_or_model
from .._resource_info import ResourceInfo
from ..controllers.informer import AsyncInformer, Informer
from ..models import Status
from ..models.generic import GenericObject, ObjectList
from ..pagination import AsyncPager, Pager
from ..watch import AsyncWatcher, Watcher
from ._base import Driver, Resource
from ._listing import Inform, List, Watch
from ._resources import AsyncResult
from ._verbs import Create, Delete, DeleteCollection, Get, Patch, Replace

__all__ = ["AsyncGenericResource", "GenericResource", "generic_info"]

ModelT = TypeVar("ModelT")

#: The verbs a generic accessor offers (what Kubernetes serves on an ordinary resource).
GENERIC_VERBS = frozenset({"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"})


def generic_info(api_version: str, plural: str, kind: str, namespaced: bool) -> ResourceInfo:
    """The resource-table row of a resource known only by its API version, plural and kind."""
    if not isinstance(api_version, str) or not api_version or api_version.count("/") > 1:
        raise ValueError(f"api_version must be 'group/version' or 'v1' (the core group), not {api_version!r}")
    group, _, version = api_version.rpartition("/")
    if not version or (api_version.count("/") == 1 and not group):
        raise ValueError(f"api_version must be 'group/version' or 'v1' (the core group), not {api_version!r}")
    if not plural or "/" in plural or plural != plural.lower():
        raise ValueError(f"plural must be the lower-case resource name (such as 'deployments'), not {plural!r}")
    if not kind or not kind[0].isupper():
        raise ValueError(f"kind must be the CamelCase kind (such as 'Deployment'), not {kind!r}")
    return ResourceInfo(
        plural=plural, singular=kind.lower(), kind=kind, list_kind=f"{kind}List", namespaced=namespaced,
        verbs=GENERIC_VERBS, short_names=(), categories=(), list_chunking=True, create_response_type=None,
        subresources={}, group=group, version=version,
    )


class _GenericBase(Resource):
    """Decodes answers of its kind into its model, and of its list kind into ``ObjectList[model]``."""

    def __init__(self, client: Driver, info: ResourceInfo, model: type[Any]) -> None:
        super().__init__(client)
        self._info = info
        # Held as Hashable too: the decoders are cached per model class.
        self._object_model: Any = model
        self._list_model: Any = ObjectList[model]  # type: ignore[valid-type]

    @property
    def model(self) -> Any:
        """The model class objects of this resource decode to."""
        return self._object_model

    def _own_model(self, type_name: str) -> Any:
        if type_name == self._info.kind:
            return self._object_model
        if type_name == self._info.list_kind:
            return self._list_model
        return None

    def _model(self, type_name: str) -> Any:
        return self._own_model(type_name) or super()._model(type_name)

    def _decoder(self, type_name: str) -> Decoder:
        own = self._own_model(type_name)
        return model_decoder(own) if own is not None else super()._decoder(type_name)

    def _status_or(self, type_name: str) -> Decoder:
        own = self._own_model(type_name)
        return status_or_model(own, type_name) if own is not None else super()._status_or(type_name)

    def _page_decoder(self, type_name: str) -> Decoder:
        own = self._own_model(type_name)
        return model_decoder(own, lazy=True) if own is not None else super()._page_decoder(type_name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._info.api_version} {self._info.plural}>"


class GenericResource(
    _GenericBase,
    Get[str, ModelT],
    Create[str, ModelT | Mapping[str, Any], ModelT],
    Replace[str, ModelT | Mapping[str, Any], ModelT],
    Patch[str, ModelT | Mapping[str, Any], ModelT],
    Delete[str, Status | ModelT],
    DeleteCollection[str, ObjectList[ModelT]],
    List[str, Pager[ModelT, ObjectList[ModelT]]],
    Watch[str, Watcher[ModelT]],
    Inform[str, Informer[ModelT]],
    Generic[ModelT],
):
    """``client.resource(...)``: any resource, with the common verbs (see the module docs).

    ``namespace=`` is refused at run time on a cluster-scoped resource (``namespaced=False``).
    """


class AsyncGenericResource(
    _GenericBase,
    Get[str, AsyncResult[ModelT]],
    Create[str, ModelT | Mapping[str, Any], AsyncResult[ModelT]],
    Replace[str, ModelT | Mapping[str, Any], AsyncResult[ModelT]],
    Patch[str, ModelT | Mapping[str, Any], AsyncResult[ModelT]],
    Delete[str, AsyncResult[Status | ModelT]],
    DeleteCollection[str, AsyncResult[ObjectList[ModelT]]],
    List[str, AsyncPager[ModelT, ObjectList[ModelT]]],
    Watch[str, AsyncWatcher[ModelT]],
    Inform[str, AsyncInformer[ModelT]],
    Generic[ModelT],
):
    """``client.resource(...)`` on the async client (see :class:`GenericResource`)."""


def generic_accessor(
    client: Any, accessor_class: type[Any], api_version: str, plural: str, kind: str | None,
    namespaced: bool, model: type[Any] | None,
) -> Any:
    """The accessor ``accessor_class`` of ``client`` for a resource, cached per client and arguments."""
    if model is not None and not (isinstance(model, type) and hasattr(model, "model_validate_json")):
        raise TypeError(f"model must be a pydantic model class, not {model!r}")
    kind = kind or getattr(model, "__kind__", None)
    if kind is None:
        raise TypeError("pass kind=... (the model does not name its kind)")
    if not isinstance(namespaced, bool):
        raise TypeError(f"namespaced must be a bool, not {type(namespaced).__name__}")
    key = (accessor_class.__name__, api_version, plural, kind, namespaced, model)
    accessors = client.__dict__.setdefault("_accessors", {})
    accessor = accessors.get(key)
    if accessor is None:
        info = generic_info(api_version, plural, kind, namespaced)
        accessor = accessor_class(client, info, model or GenericObject)
        accessors[key] = accessor
    return accessor
