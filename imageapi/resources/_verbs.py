"""One mixin per verb. A resource accessor inherits the mixins of the verbs its resource serves.

Each mixin is generic in:

* ``NamespaceT`` — ``str`` for namespaced resources, ``None`` for cluster-scoped ones, so that
  ``client.images.get("x", namespace="a")`` is a type error (and a ``TypeError`` at run time);
* ``InputT`` — what the verb accepts as a body (the model, or any mapping in wire or snake_case form);
* ``ResultT`` — what it returns: the model on the sync client, a coroutine of it on the async one.

The mixins only gather arguments into a flow; the request itself is built by
:mod:`imageapi._request`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar, cast

from .._base_client import NOT_GIVEN, Flow, NotGiven, RetriesTypes, TimeoutTypes, single
from .._deadline import DeadlineTypes
from .._request import (
    Body,
    DeleteOptions,
    FieldValidation,
    ListOptions,
    PatchType,
    PropagationPolicy,
    WriteOptions,
    build_create_request,
    build_delete_collection_request,
    build_delete_request,
    build_get_request,
    build_patch_request,
    build_replace_request,
    object_name,
    to_json_object,
)
from ._base import Resource, with_kind

NamespaceT = TypeVar("NamespaceT")
InputT = TypeVar("InputT")
ResultT = TypeVar("ResultT")

PatchBody = Body | Sequence[Mapping[str, Any]]
"""A patch: an object (merge, strategic, apply) or a list of JSON-patch operations."""


class VerbBase(Resource):
    """Flows shared by a verb on the resource and its twins on subresources (``get``/``get_status``/
    ``layers``, ``replace``/``replace_status``, ``patch``/``patch_status``)."""

    def _response_type(self, subresource: str | None) -> str:
        """The model a successful answer decodes to: the resource's kind, or the subresource's type."""
        if subresource is None:
            return self._info.kind
        return self._info.subresources[subresource].response_type

    def _get_flow(
        self,
        name: str,
        namespace: object,
        subresource: str | None = None,
        list_options: ListOptions | None = None,
    ) -> Flow[Any]:
        request = build_get_request(
            self._info, self._namespace(namespace), name, self._decoder(self._response_type(subresource)),
            subresource=subresource, list_options=list_options,
        )
        return single(request)

    def _replace_flow(
        self,
        body: Body,
        namespace: object,
        subresource: str | None,
        options: WriteOptions,
    ) -> Flow[Any]:
        document = with_kind(self._info.api_version, self._info.kind, to_json_object(body))
        name = object_name(document)
        if name is None:
            raise ValueError("replace needs the object's metadata.name")
        request = build_replace_request(
            self._info, self._namespace(namespace, document), name, document,
            self._decoder(self._response_type(subresource)), options, subresource=subresource,
        )
        return single(request)

    def _patch_flow(
        self,
        name: str,
        body: PatchBody,
        namespace: object,
        subresource: str | None,
        options: WriteOptions,
        patch_type: PatchType | None,
        force: bool | None,
    ) -> Flow[Any]:
        request = build_patch_request(
            self._info, self._namespace(namespace), name, body, self._decoder(self._response_type(subresource)),
            options, patch_type=patch_type, force=force, subresource=subresource,
        )
        return single(request)


class Get(VerbBase, Generic[NamespaceT, ResultT]):
    """``get``: read one object by name."""

    _verb: ClassVar[str | None] = "get"

    def get(
        self,
        name: str,
        *,
        namespace: NamespaceT | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> ResultT:
        """Read the object called ``name`` (raises ``NotFoundError`` when it does not exist)."""
        return cast(ResultT, self._call(self._get_flow(name, namespace), timeout, retries, deadline))


class Create(VerbBase, Generic[NamespaceT, InputT, ResultT]):
    """``create``: add a new object (POST)."""

    _verb: ClassVar[str | None] = "create"

    def create(
        self,
        body: InputT,
        *,
        namespace: NamespaceT | None = None,
        dry_run: bool = False,
        field_manager: str | None = None,
        field_validation: FieldValidation | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> ResultT:
        """Create ``body`` (a model or a dict). The namespace is the argument, else the body's, else
        the client's. Raises ``AlreadyExistsError`` when the name is taken, ``InvalidError`` when the
        server rejects the object. Returns what the server stored."""
        document = with_kind(self._info.api_version, self._info.kind, to_json_object(cast(Body, body)))
        options = WriteOptions(dry_run, field_manager, field_validation)
        response_type = self._info.create_response_type or self._info.kind
        request = build_create_request(
            self._info, self._namespace(namespace, document), document,
            self._decoder(response_type), options,
        )
        return cast(ResultT, self._call(single(request), timeout, retries, deadline))


class Replace(VerbBase, Generic[NamespaceT, InputT, ResultT]):
    """``replace``: write a whole object back (PUT), conditional on its ``resourceVersion``."""

    _verb: ClassVar[str | None] = "update"

    def replace(
        self,
        body: InputT,
        *,
        namespace: NamespaceT | None = None,
        dry_run: bool = False,
        field_manager: str | None = None,
        field_validation: FieldValidation | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> ResultT:
        """Replace the object named by ``body.metadata.name`` with ``body``.

        Send back the ``metadata.resourceVersion`` you read: a stale one raises ``ConflictError``
        (re-read and retry, e.g. with :func:`imageapi.retry_on_conflict`).
        """
        flow = self._replace_flow(
            cast(Body, body), namespace, None, WriteOptions(dry_run, field_manager, field_validation)
        )
        return cast(ResultT, self._call(flow, timeout, retries, deadline))


class Patch(VerbBase, Generic[NamespaceT, InputT, ResultT]):
    """``patch``: change part of an object (merge, JSON, strategic-merge patch, or server-side apply)."""

    _verb: ClassVar[str | None] = "patch"

    def patch(
        self,
        name: str,
        body: InputT | Sequence[Mapping[str, Any]],
        *,
        namespace: NamespaceT | None = None,
        type: PatchType | None = None,
        force: bool | None = None,
        dry_run: bool = False,
        field_manager: str | None = None,
        field_validation: FieldValidation | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> ResultT:
        """Patch the object called ``name``.

        ``type`` is ``"merge"`` (the default for an object), ``"json"`` (the default for a list of
        operations), ``"strategic"`` or ``"apply"`` (server-side apply: needs ``field_manager``;
        ``force=True`` takes over fields other managers own). Patches are never retried after the
        request was sent: applying one twice can differ from applying it once.
        """
        flow = self._patch_flow(
            name, cast(PatchBody, body), namespace, None,
            WriteOptions(dry_run, field_manager, field_validation), type, force,
        )
        return cast(ResultT, self._call(flow, timeout, retries, deadline))


class Delete(VerbBase, Generic[NamespaceT, ResultT]):
    """``delete``: remove one object."""

    _verb: ClassVar[str | None] = "delete"

    def delete(
        self,
        name: str,
        *,
        namespace: NamespaceT | None = None,
        grace_period_seconds: int | None = None,
        propagation_policy: PropagationPolicy | None = None,
        preconditions: Body | None = None,
        dry_run: bool = False,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> ResultT:
        """Delete the object called ``name``; the options travel in a ``DeleteOptions`` body.

        ``preconditions`` (``{"uid": …, "resourceVersion": …}`` or a ``Preconditions`` model) makes
        the delete fail with ``ConflictError`` unless the stored object still matches. Returns the
        server's ``Status``, or the object itself when finalizers delay its removal.
        """
        options = DeleteOptions(dry_run, grace_period_seconds, propagation_policy, preconditions)
        request = build_delete_request(
            self._info, self._namespace(namespace), name,
            self._status_or(self._info.kind), options,
        )
        return cast(ResultT, self._call(single(request), timeout, retries, deadline))


class DeleteCollection(VerbBase, Generic[NamespaceT, ResultT]):
    """``delete_collection``: remove every object of a namespace (or cluster) matching the selectors."""

    _verb: ClassVar[str | None] = "deletecollection"

    def delete_collection(
        self,
        *,
        namespace: NamespaceT | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        grace_period_seconds: int | None = None,
        propagation_policy: PropagationPolicy | None = None,
        dry_run: bool = False,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> ResultT:
        """Delete all objects matching ``label_selector``/``field_selector`` (all of them when both are
        None). Returns the list of deleted objects, as the server sends it."""
        list_kind = self._info.list_kind or self._info.kind
        request = build_delete_collection_request(
            self._info, self._namespace(namespace), self._status_or(list_kind),
            DeleteOptions(dry_run, grace_period_seconds, propagation_policy),
            ListOptions(label_selector=label_selector, field_selector=field_selector),
        )
        return cast(ResultT, self._call(single(request), timeout, retries, deadline))
