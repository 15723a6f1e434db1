"""The base of every resource accessor: scope, namespace defaulting, decoders, and the verb check.

A resource accessor (``client.image_streams``) is a small object bound to a client. Its verbs come
from mixins (:mod:`imageapi.resources._verbs`), one per verb; a concrete accessor lists exactly the
mixins of the verbs the server serves, and :meth:`Resource.__init_subclass__` compares that list with
the generated resource table, so an accessor can neither miss a verb nor offer one the server lacks.

Every verb builds a flow (see :mod:`imageapi._base_client`) and hands it to the client's driver; the
sync driver returns the result, the async driver a coroutine. That is why each verb mixin is generic
in its result type: ``ImageStream`` on :class:`imageapi.Client`, ``Coroutine[…, ImageStream]`` on
:class:`imageapi.AsyncClient`, with one implementation behind both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from .._base_client import NOT_GIVEN, Flow, NotGiven, RetriesTypes, TimeoutTypes
from .._deadline import DeadlineTypes
from .._request import (
    Decoder,
    JSONDict,
    check_namespace,
    decoder,
    model_class,
    object_namespace,
    page_decoder,
    status_or,
)

if TYPE_CHECKING:
    from .._resource_info import ResourceInfo

class Driver(Protocol):
    """What a resource needs from its client: the default namespace and a way to run a flow."""

    @property
    def namespace(self) -> str:
        """The default namespace."""

    def _run(
        self, flow: Flow[Any], timeout: TimeoutTypes | NotGiven, retries: RetriesTypes | NotGiven,
        deadline: DeadlineTypes | NotGiven = ...,
    ) -> Any:
        """The flow's result (sync client) or an awaitable of it (async client)."""


class Resource:
    """Base of the resource accessors. Subclasses name their resource: ``class X(…, plural="images")``."""

    #: The resource's row of the table (set per class; a generic accessor sets its own per instance).
    _info: ResourceInfo
    #: The verb a mixin provides (set on the mixin classes themselves).
    _verb: ClassVar[str | None] = None
    #: The (subresource, verb) pairs a mixin provides.
    _subresource_verbs: ClassVar[frozenset[tuple[str, str]]] = frozenset()

    def __init__(self, client: Driver) -> None:
        self._client = client

    def __init_subclass__(cls, plural: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if plural is None:
            return  # a mixin or an intermediate base
        from .._resource_table import RESOURCES

        info = RESOURCES[plural]
        cls._info = info
        offered = {klass.__dict__["_verb"] for klass in cls.__mro__ if klass.__dict__.get("_verb")}
        served = set(info.verbs)
        if offered != served:
            raise TypeError(
                f"{cls.__name__} offers verbs {sorted(offered)} but the server serves {sorted(served)} "
                f"on {plural}"
            )
        offered_sub: set[tuple[str, str]] = set()
        for klass in cls.__mro__:
            offered_sub |= klass.__dict__.get("_subresource_verbs", frozenset())
        served_sub = {(sub.name, verb) for sub in info.subresources.values() for verb in sub.verbs}
        if offered_sub != served_sub:
            raise TypeError(
                f"{cls.__name__} offers subresource verbs {sorted(offered_sub)} but the server serves "
                f"{sorted(served_sub)} on {plural}"
            )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._info.plural}>"

    @property
    def info(self) -> ResourceInfo:
        """The resource's row of the generated table: names, scope, verbs, subresources."""
        return self._info

    def _namespace(self, namespace: object, body: JSONDict | None = None) -> str | None:
        """The namespace of a call: the argument, else the body's ``metadata.namespace``, else the
        client's default. Cluster-scoped resources take none.

        ``namespace`` is typed by the verb mixins (``str`` or ``None`` per scope); it is checked here
        again for callers without a type checker.
        """
        if not self._info.namespaced:
            if namespace is not None:
                raise TypeError(f"{self._info.plural} are cluster-scoped: they take no namespace")
            return None
        if namespace is not None:
            return check_namespace(namespace)
        if body is not None:
            from_body = object_namespace(body)
            if from_body:
                return from_body
        return self._client.namespace

    # The models answers decode to, by type name. The image group's accessors use the generated
    # models; a generic accessor (``client.resource(...)``) maps its kind and list kind to its own.

    def _model(self, type_name: str) -> Any:
        """The model class of ``type_name`` objects."""
        return model_class(type_name)

    def _decoder(self, type_name: str) -> Decoder:
        """The decoder of an answer that is a ``type_name``."""
        return decoder(type_name)

    def _status_or(self, type_name: str) -> Decoder:
        """The decoder of an answer that is a ``Status`` or a ``type_name`` (deletes)."""
        return status_or(type_name)

    def _page_decoder(self, type_name: str) -> Decoder:
        """The decoder of a list page of ``type_name``: its items validate when they are read."""
        return page_decoder(type_name)

    def _call(
        self, flow: Flow[Any], timeout: TimeoutTypes | NotGiven, retries: RetriesTypes | NotGiven,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> Any:
        return self._client._run(flow, timeout, retries, deadline)


def with_kind(api_version: str, kind: str, body: Mapping[str, Any]) -> JSONDict:
    """A shallow copy of ``body`` with ``apiVersion`` and ``kind`` filled in when missing (YAML-loaded
    dicts usually carry both, hand-written ones often neither; the server needs them to decode)."""
    document = dict(body)
    document.setdefault("apiVersion", api_version)
    document.setdefault("kind", kind)
    return document
