"""Hand-written (not generated): models for objects of any kind, used by ``client.resource(...)``.

:class:`GenericObject` types what every Kubernetes object has (``apiVersion``, ``kind``,
``metadata`` as :class:`~imageapi.models.ObjectMeta`) and keeps every other field (``spec``,
``status``, ``data``, …) exactly as the server sent it (``extra="allow"``, as all models here), so a
get → change → replace round trip loses nothing. :class:`ObjectList` is the list of any item model.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import Field

from imageapi.models._base import ApiModel
from imageapi.models.meta import ListMeta, ObjectMeta

__all__ = ["GenericObject", "ObjectList"]

ItemT = TypeVar("ItemT")


class GenericObject(ApiModel):
    """An object of any kind: ``api_version``, ``kind`` and ``metadata`` typed, the rest kept as JSON.

    The other top-level fields are attributes holding plain JSON values (``obj.spec["replicas"]``),
    and are written back unchanged by ``to_dict``.
    """

    api_version: str | None = Field(default=None, alias="apiVersion", description="The object's group/version.")
    """The object's group/version (``apps/v1``; ``v1`` for the core group)."""

    kind: str | None = Field(default=None, description="The object's kind.")
    """The object's kind (``Deployment``)."""

    metadata: ObjectMeta | None = Field(default=None, description="Standard object metadata.")
    """Standard object metadata: name, namespace, labels, resourceVersion, …"""


class ObjectList(ApiModel, Generic[ItemT]):
    """A list answer of any kind (``PodList``, ``LeaseList``, …): its ``metadata`` and ``items``."""

    api_version: str | None = Field(default=None, alias="apiVersion", description="The list's group/version.")
    """The list's group/version."""

    kind: str | None = Field(default=None, description="The list's kind.")
    """The list's kind (``PodList``)."""

    metadata: ListMeta | None = Field(default=None, description="Standard list metadata.")
    """Standard list metadata: resourceVersion, continue token."""

    items: list[ItemT] | None = Field(default=None, description="The objects.")
    """The objects of this page."""
