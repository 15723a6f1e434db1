"""Hand-written (not generated from the image API schema): ``coordination.k8s.io/v1`` Lease.

Leases are what leader election runs on (:mod:`imageapi.controllers.leader`); the fields follow
``k8s.io/api/coordination/v1`` (``LeaseSpec``), including the newer ``preferredHolder`` and
``strategy``. ``acquireTime`` and ``renewTime`` are ``MicroTime``: RFC 3339 with microseconds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import Field

from imageapi.models._base import ApiModel, _TimeSchema, format_micro_time
from imageapi.models.meta import ListMeta, ObjectMeta

__all__ = ["Lease", "LeaseList", "LeaseSpec", "MicroTime"]


MicroTime = Annotated[datetime, _TimeSchema(format_micro_time)]
"""A timestamp with microseconds (``metav1.MicroTime``): a ``datetime`` in Python."""


class LeaseSpec(ApiModel):
    """Who holds a lease, since when, and for how long."""

    acquire_time: MicroTime | None = Field(default=None, alias="acquireTime", description="When the current holder acquired the lease.")
    """When the current holder acquired the lease."""

    holder_identity: str | None = Field(default=None, alias="holderIdentity", description="The identity of the current holder.")
    """The identity of the current holder (empty or missing: nobody holds it)."""

    lease_duration_seconds: int | None = Field(default=None, alias="leaseDurationSeconds", description="How long candidates wait after the last renewal before taking the lease over.")
    """How long candidates wait after the last renewal (``renewTime``) before taking the lease over."""

    lease_transitions: int | None = Field(default=None, alias="leaseTransitions", description="How many times the lease changed holders.")
    """How many times the lease changed holders."""

    preferred_holder: str | None = Field(default=None, alias="preferredHolder", description="The holder the coordinator wants next (with strategy).")
    """The holder a coordinated election wants next (set together with ``strategy``)."""

    renew_time: MicroTime | None = Field(default=None, alias="renewTime", description="When the holder last renewed the lease.")
    """When the holder last renewed the lease."""

    strategy: str | None = Field(default=None, description="The coordinated leader election strategy (e.g. OldestEmulationVersion).")
    """The coordinated leader election strategy (``OldestEmulationVersion``)."""


class Lease(ApiModel):
    """A ``coordination.k8s.io/v1`` Lease: a named lock with a holder and a renewal time."""

    __api_version__: ClassVar[str | None] = "coordination.k8s.io/v1"
    __kind__: ClassVar[str | None] = "Lease"

    api_version: str | None = Field(default="coordination.k8s.io/v1", alias="apiVersion", description="coordination.k8s.io/v1")
    """``coordination.k8s.io/v1``."""

    kind: str | None = Field(default="Lease", description="Lease")
    """``Lease``."""

    metadata: ObjectMeta | None = Field(default=None, description="Standard object metadata.")
    """Standard object metadata."""

    spec: LeaseSpec | None = Field(default=None, description="The lease's holder and timing.")
    """The lease's holder and timing."""


class LeaseList(ApiModel):
    """A list of Leases."""

    __api_version__: ClassVar[str | None] = "coordination.k8s.io/v1"
    __kind__: ClassVar[str | None] = "LeaseList"

    api_version: str | None = Field(default="coordination.k8s.io/v1", alias="apiVersion", description="coordination.k8s.io/v1")
    """``coordination.k8s.io/v1``."""

    kind: str | None = Field(default="LeaseList", description="LeaseList")
    """``LeaseList``."""

    metadata: ListMeta | None = Field(default=None, description="Standard list metadata.")
    """Standard list metadata."""

    items: list[Lease] | None = Field(default=None, description="The leases.")
    """The leases."""
