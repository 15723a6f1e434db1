"""What image streams have beyond the common verbs: ``/status``, ``/layers``, ``/secrets`` and ``tag``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar, cast

from .._base_client import NOT_GIVEN, Flow, NotGiven, RetriesTypes, TimeoutTypes
from .._deadline import DeadlineTypes
from .._request import (
    Body,
    FieldValidation,
    ListOptions,
    PatchType,
    WriteOptions,
    build_create_request,
    build_get_request,
    build_replace_request,
    to_json_object,
)
from ..errors import AlreadyExistsError, ConflictError, NotFoundError
from ._base import with_kind
from ._verbs import VerbBase

if TYPE_CHECKING:
    from ..models import ImageStream

StreamT = TypeVar("StreamT")
LayersT = TypeVar("LayersT")
SecretsT = TypeVar("SecretsT")

SourceKind = Literal["ImageStreamTag", "ImageStreamImage", "DockerImage"]

#: How many times ``tag`` re-reads the stream when another writer got in between.
TAG_CONFLICT_ATTEMPTS = 5


def split_stream_tag(name: str) -> tuple[str, str]:
    """``"app:latest"`` → ``("app", "latest")``; anything else is a ValueError."""
    stream, sep, tag = name.partition(":")
    if not sep or not stream or not tag or ":" in tag or "@" in name or "/" in name:
        raise ValueError(f"expected <stream>:<tag>, got {name!r}")
    return stream, tag


def _looks_like_registry(component: str) -> bool:
    # The same rule as the Docker reference grammar: a first component with a dot or a port, or
    # "localhost", is a registry host; otherwise it is a path component (a namespace here).
    return "." in component or ":" in component or component == "localhost"


def tag_source(source: str, kind: SourceKind | None = None) -> dict[str, str]:
    """The ``from`` reference of a spec tag for ``source``.

    * ``"other:tag"`` or ``"otherns/other:tag"`` → ImageStreamTag
    * ``"other@sha256:…"`` or ``"otherns/other@sha256:…"`` → ImageStreamImage
    * ``"quay.io/org/app:1.0"`` (a registry host first) → DockerImage

    Pass ``kind`` to decide yourself (``"DockerImage"`` for a Docker Hub short name like ``nginx:1``).
    """
    if not source:
        raise ValueError("the tag source must not be empty")
    first, slash, rest = source.partition("/")
    if kind == "DockerImage" or (kind is None and slash and _looks_like_registry(first)):
        return {"kind": "DockerImage", "name": source}
    namespace, name = (first, rest) if slash else (None, source)
    if not name or "/" in name:
        raise ValueError(f"cannot read {source!r} as [namespace/]stream:tag or [namespace/]stream@digest")
    if kind is None:
        if "@" in name:
            kind = "ImageStreamImage"
        elif ":" in name:
            kind = "ImageStreamTag"
        else:
            raise ValueError(f"{source!r} names no tag or digest: use stream:tag, stream@digest or a registry reference")
    reference = {"kind": kind, "name": name}
    if namespace:
        reference["namespace"] = namespace
    return reference


def _point_tag(
    entry: dict[str, Any], reference: dict[str, str], reference_policy: str | None
) -> dict[str, Any]:
    """Point the spec tag ``entry`` at ``reference``; its other settings stay (returns ``entry``)."""
    entry["from"] = dict(reference)
    if reference_policy is not None:
        entry["referencePolicy"] = {"type": reference_policy}
    return entry


class ImageStreamVerbs(VerbBase, Generic[StreamT, LayersT, SecretsT]):
    """Image-stream-only verbs: the ``status``, ``layers`` and ``secrets`` subresources, and ``tag``."""

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

    def tag(
        self,
        source: str,
        target: str,
        *,
        namespace: str | None = None,
        source_kind: SourceKind | None = None,
        reference_policy: Literal["Source", "Local"] | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> StreamT:
        """Point spec tag ``target`` (``"stream:tag"``) at ``source``, like ``oc tag``; returns the stream.

        ``source`` is ``"other:tag"`` (ImageStreamTag), ``"other@sha256:…"`` (ImageStreamImage) or a
        registry reference such as ``"quay.io/org/app:1.0"`` (DockerImage); see :func:`tag_source`.
        Creates the stream when it does not exist; on an existing tag only ``from`` (and
        ``referencePolicy`` when given) changes, its other settings stay. Re-reads and retries when
        another writer changed the stream in between.
        """
        stream, tag = split_stream_tag(target)
        reference = tag_source(source, source_kind)
        flow = self._tag_flow(stream, tag, reference, reference_policy, self._namespace(namespace))
        return cast(StreamT, self._call(flow, timeout, retries, deadline))

    def _tag_flow(
        self, stream: str, tag: str, reference: dict[str, str], reference_policy: str | None,
        namespace: str | None,
    ) -> Flow[Any]:
        kind = self._info.kind
        options = WriteOptions()
        for attempt in range(1, TAG_CONFLICT_ATTEMPTS + 1):
            try:
                current = yield build_get_request(self._info, namespace, stream, self._decoder(kind))
            except NotFoundError:
                spec_tag = _point_tag({"name": tag}, reference, reference_policy)
                new_stream = with_kind(self._info.api_version, kind,
                                       {"metadata": {"name": stream}, "spec": {"tags": [spec_tag]}})
                try:
                    return (yield build_create_request(self._info, namespace, new_stream, self._decoder(kind), options))
                except AlreadyExistsError:
                    continue  # created by someone else meanwhile: read it and update instead
            document = to_json_object(current)
            spec = document.setdefault("spec", {})
            tags: list[dict[str, Any]] = spec.get("tags") or []
            spec["tags"] = tags
            entry = next((item for item in tags if item.get("name") == tag), None)
            if entry is None:
                entry = {"name": tag}
                tags.append(entry)
            _point_tag(entry, reference, reference_policy)
            try:
                return (yield build_replace_request(self._info, namespace, stream, document, self._decoder(kind), options))
            except ConflictError:
                if attempt == TAG_CONFLICT_ATTEMPTS:
                    raise
        raise AssertionError("unreachable: the last attempt returns or raises")
