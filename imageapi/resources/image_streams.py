"""What image streams have beyond the common verbs: ``/status``, ``/layers``, ``/secrets``, and oc's
single-stream workflows (``tag``, ``untag``, ``import_image``, ``set_image_lookup``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

from .._base_client import NOT_GIVEN, NotGiven, RetriesTypes, TimeoutTypes
from .._deadline import DeadlineTypes
from .._request import Body, FieldValidation, ListOptions, PatchType, WriteOptions
from ..errors import AlreadyExistsError, ConflictError
from ..workflows import _import, _lookup, _tag
from ..workflows._common import replanning
from ..workflows._tag import ImportMode, SourceKind, tag_source
from ._verbs import VerbBase

if TYPE_CHECKING:
    from ..models import ImageStream

StreamT = TypeVar("StreamT")
LayersT = TypeVar("LayersT")
SecretsT = TypeVar("SecretsT")

TagPlanT = TypeVar("TagPlanT")
TagResultT = TypeVar("TagResultT")
ImportT = TypeVar("ImportT")
LookupPlanT = TypeVar("LookupPlanT")
LookupResultT = TypeVar("LookupResultT")

__all__ = ["ImageStreamVerbs", "ImageStreamWorkflowVerbs", "SourceKind", "split_stream_tag", "tag_source"]


def split_stream_tag(name: str) -> tuple[str, str]:
    """``"app:latest"`` → ``("app", "latest")``; anything else is a ValueError."""
    stream, sep, tag = name.partition(":")
    if not sep or not stream or not tag or ":" in tag or "@" in name or "/" in name:
        raise ValueError(f"expected <stream>:<tag>, got {name!r}")
    return stream, tag


class ImageStreamVerbs(VerbBase, Generic[StreamT, LayersT, SecretsT]):
    """Image-stream-only verbs: the ``status``, ``layers`` and ``secrets`` subresources."""

    _subresource_verbs: ClassVar[frozenset[tuple[str, str]]] = frozenset(
        {("status", "get"), ("status", "update"), ("status", "patch"), ("layers", "get"), ("secrets", "get")}
    )

    def get_status(
        self,
        name: str,
        *,
        namespace: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> StreamT:
        """Read the stream through its ``/status`` subresource."""
        return cast(StreamT, self._call(self._get_flow(name, namespace, "status"), timeout, retries, deadline))

    def replace_status(
        self,
        body: ImageStream | Mapping[str, Any],
        *,
        namespace: str | None = None,
        dry_run: bool = False,
        field_manager: str | None = None,
        field_validation: FieldValidation | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> StreamT:
        """Write the stream's ``status`` (the server keeps ``spec`` as stored)."""
        flow = self._replace_flow(
            cast(Body, body), namespace, "status", WriteOptions(dry_run, field_manager, field_validation)
        )
        return cast(StreamT, self._call(flow, timeout, retries, deadline))

    def patch_status(
        self,
        name: str,
        body: ImageStream | Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        namespace: str | None = None,
        type: PatchType | None = None,
        force: bool | None = None,
        dry_run: bool = False,
        field_manager: str | None = None,
        field_validation: FieldValidation | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> StreamT:
        """Patch the stream's ``status`` (patch types as for :meth:`patch`)."""
        flow = self._patch_flow(
            name, body, namespace, "status", WriteOptions(dry_run, field_manager, field_validation), type, force
        )
        return cast(StreamT, self._call(flow, timeout, retries, deadline))

    def layers(
        self,
        name: str,
        *,
        namespace: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> LayersT:
        """The layers and blobs of every image the stream references (``ImageStreamLayers``)."""
        return cast(LayersT, self._call(self._get_flow(name, namespace, "layers"), timeout, retries, deadline))

    def secrets(
        self,
        name: str,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> SecretsT:
        """The pull secrets of the stream's namespace that imports would use (``SecretList``).

        The server ignores ``name`` (the stream need not exist) and returns only docker-config
        secrets not annotated ``openshift.io/image.excludeSecret: "true"``.
        """
        options = ListOptions(label_selector=label_selector, field_selector=field_selector, limit=limit,
                              continue_=continue_)
        return cast(SecretsT, self._call(self._get_flow(name, namespace, "secrets", options), timeout, retries, deadline))



class ImageStreamWorkflowVerbs(VerbBase, Generic[TagPlanT, TagResultT, ImportT, LookupPlanT, LookupResultT]):
    """``oc``'s single-stream workflows: ``tag``/``untag``, ``import_image`` and ``set_image_lookup``.

    Each write has a plan form (``plan_tag``, ``plan_untag``, ``plan_image_lookup``, and
    ``import_image(dry_run=True)``) that only reads; the apply step writes conditionally on what the
    plan read. The one-step forms plan and apply, re-planning after a conflict. See
    :mod:`imageapi.workflows._tag`, ``_import`` and ``_lookup`` for the algorithms and how they differ
    from oc's.
    """

    def plan_tag(
        self,
        source: str,
        *destinations: str,
        namespace: str | None = None,
        source_kind: str | None = None,
        alias: bool = False,
        reference: bool = False,
        scheduled: bool = False,
        insecure: bool = False,
        reference_policy: str = "Source",
        import_mode: ImportMode | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> TagPlanT:
        """Plan ``oc tag SOURCE DEST...`` without writing: a :class:`~imageapi.workflows._tag.TagPlan`.

        ``source`` is ``[namespace/]stream:tag`` (pinned to the image it points to now, unless
        ``alias=True``), ``[namespace/]stream@sha256:…``, or a pull spec such as
        ``quay.io/org/app:1.0``; ``source_kind`` overrides the inference (``"docker"``, ``"istag"``,
        ``"isimage"``, or the kind names). Each destination is ``[namespace/]stream:tag``; ``namespace``
        is the default of both (the client's when None). ``reference``, ``scheduled``, ``insecure``,
        ``reference_policy`` (``Source``/``Local``) and ``import_mode`` (``Legacy``/``PreserveOriginal``)
        set the spec tags as oc's flags do. Raises ``ValueError`` with oc's messages for bad input.
        """
        flow = _tag.plan_tag_flow(source, destinations, source_kind, self._tag_options(
            alias, reference, scheduled, insecure, reference_policy, import_mode), self._namespace(namespace) or "")
        return cast(TagPlanT, self._call(flow, timeout, retries, deadline))

    def apply_tag(
        self,
        plan: _tag.TagPlan,
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> TagResultT:
        """Write a plan from :meth:`plan_tag` or :meth:`plan_untag`.

        Each write is conditional on the destination stream's ``resourceVersion`` in the plan: a
        stream changed since raises ``ConflictError`` (``AlreadyExistsError`` when the tag was created
        meanwhile) and is left as the other writer made it.
        """
        return cast(TagResultT, self._call(_tag.apply_tag_flow(plan), timeout, retries, deadline))

    def tag(
        self,
        source: str,
        *destinations: str,
        namespace: str | None = None,
        source_kind: str | None = None,
        alias: bool = False,
        reference: bool = False,
        scheduled: bool = False,
        insecure: bool = False,
        reference_policy: str = "Source",
        import_mode: ImportMode | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> TagResultT:
        """``oc tag SOURCE DEST...``: plan (see :meth:`plan_tag`) and apply, re-reading and re-planning
        after a conflict. Returns a :class:`~imageapi.workflows._tag.TagResult` whose ``str()`` is oc's
        output; tags that already say this are not written again."""
        options = self._tag_options(alias, reference, scheduled, insecure, reference_policy, import_mode)
        current = self._namespace(namespace) or ""
        flow = replanning(lambda: _tag.plan_tag_flow(source, destinations, source_kind, options, current),
                          _tag.apply_tag_flow, (ConflictError, AlreadyExistsError))
        return cast(TagResultT, self._call(flow, timeout, retries, deadline))

    def plan_untag(
        self,
        *destinations: str,
        namespace: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> TagPlanT:
        """Plan ``oc tag -d DEST...`` (removing the spec tag and its history) without writing."""
        flow = _tag.plan_untag_flow(destinations, self._namespace(namespace) or "")
        return cast(TagPlanT, self._call(flow, timeout, retries, deadline))

    def untag(
        self,
        *destinations: str,
        namespace: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> TagResultT:
        """``oc tag -d DEST...``: remove each ``[namespace/]stream:tag`` (spec and history); a tag that
        is already gone is reported as absent, not an error."""
        current = self._namespace(namespace) or ""
        flow = replanning(lambda: _tag.plan_untag_flow(destinations, current), _tag.apply_tag_flow)
        return cast(TagResultT, self._call(flow, timeout, retries, deadline))

    def import_image(
        self,
        name: str,
        *,
        from_: str | None = None,
        namespace: str | None = None,
        all: bool = False,
        confirm: bool = False,
        reference_policy: str | None = None,
        import_mode: ImportMode | None = None,
        scheduled: bool = False,
        insecure: bool | None = None,
        dry_run: bool = False,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> ImportT:
        """``oc import-image NAME[:TAG]``: import from the tag's registry source into the stream.

        ``from_`` names the source (needed for a new tag or stream); ``confirm=True`` lets the import
        create the stream or change its repository; ``all=True`` imports every tag of the repository
        (``from_`` or ``spec.dockerImageRepository``); ``dry_run=True`` asks the registry without
        writing. ``insecure=None`` keeps the stream's ``openshift.io/image.insecureRepository``
        setting. Returns an :class:`~imageapi.workflows._import.ImportResult`; when no image imported,
        raises the error class of the server's reason (``NotFoundError``, ``UnauthorizedError``, …)
        with ``error.image_stream_import`` set. Raises ``ValueError`` with oc's messages for requests
        oc refuses.
        """
        options = _import.ImportOptions(from_=from_, all=all, confirm=confirm, reference_policy=reference_policy,
                                        import_mode=import_mode, scheduled=scheduled, insecure=insecure,
                                        dry_run=dry_run)
        flow = _import.result_flow(name, options, self._namespace(namespace) or "")
        return cast(ImportT, self._call(flow, timeout, retries, deadline))

    def plan_image_lookup(
        self,
        *names: str,
        enabled: bool = True,
        all: bool = False,
        label_selector: str | None = None,
        namespace: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> LookupPlanT:
        """Plan ``oc set image-lookup`` (``spec.lookupPolicy.local``) for the named streams, or all of
        them (``all=True``), or those matching ``label_selector``; ``str()`` is oc's table."""
        flow = _lookup.plan_lookup_flow(names, enabled, all, label_selector, self._namespace(namespace) or "")
        return cast(LookupPlanT, self._call(flow, timeout, retries, deadline))

    def apply_image_lookup(
        self,
        plan: _lookup.LookupPlan,
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> LookupResultT:
        """Write a plan from :meth:`plan_image_lookup`; a stream changed since raises ``ConflictError``."""
        return cast(LookupResultT, self._call(_lookup.apply_lookup_flow(plan), timeout, retries, deadline))

    def set_image_lookup(
        self,
        *names: str,
        enabled: bool = True,
        all: bool = False,
        label_selector: str | None = None,
        namespace: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> LookupResultT:
        """``oc set image-lookup NAME...`` (``enabled=False``: ``--enabled=false``): plan and apply,
        re-reading after a conflict; streams already set are not written."""
        flow = _lookup.set_lookup_flow(names, enabled, all, label_selector, self._namespace(namespace) or "")
        return cast(LookupResultT, self._call(flow, timeout, retries, deadline))

    @staticmethod
    def _tag_options(alias: bool, reference: bool, scheduled: bool, insecure: bool, reference_policy: str,
                     import_mode: ImportMode | None) -> _tag.TagOptions:
        return _tag.TagOptions(alias=alias, reference=reference, scheduled=scheduled, insecure=insecure,
                               reference_policy=_tag.normalize_reference_policy(reference_policy),
                               import_mode=import_mode)
