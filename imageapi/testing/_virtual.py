"""Shared machinery of the virtual resources: stream read-modify-write with retries, image access,
projections of a tag onto its image, and the stream-level list pass-through of istag/itag lists."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import ClassVar

from .._resource_info import API_VERSION
from ._contracts import JSON, RequestContext
from ._images import prepare_image_for_create, strip_manifest, validate_image
from ._imagestreams import decorate_stream, prepare_create, prepare_update
from ._lists import ListOptions, Matcher, build_matcher, decode_continue, parse_list_options
from ._selectors import metadata_field_value
from ._status import StatusError, invalid, not_found, server_timeout
from ._store import copy_json
from ._stream_model import latest_event, new_stream, set_spec_tags, spec_tags
from ._stream_validation import validate_stream
from ._tag_events import tags_changed, wrap_tag_errors

STREAMS = "imagestreams"
IMAGES = "images"
RETRIES = 10
DOCKER_SECRET_TYPES = ("kubernetes.io/dockercfg", "kubernetes.io/dockerconfigjson")
EXCLUDE_SECRET_ANNOTATION = "openshift.io/image.excludeSecret"


class UnservedVerbs:
    """The :class:`~imageapi.testing._contracts.VirtualResource` methods of verbs a resource does not
    serve; a handler inherits them and defines the verbs it serves.

    The core never calls these (it answers 404/405 from the resource table first); they exist so every
    handler satisfies the protocol, and would answer 404 for ``resource`` if the table ever let one through.
    """

    resource: ClassVar[str]

    def get(self, ctx: RequestContext, namespace: str | None, name: str) -> JSON:  # pragma: no cover
        """Not served."""
        raise not_found(self.resource, name)

    def list(self, ctx: RequestContext, namespace: str | None) -> JSON:  # pragma: no cover
        """Not served."""
        raise not_found(self.resource, "")

    def create(self, ctx: RequestContext, namespace: str | None, body: JSON) -> tuple[int, JSON]:  # pragma: no cover
        """Not served."""
        raise not_found(self.resource, "")

    def update(self, ctx: RequestContext, namespace: str | None, name: str,
               body: JSON) -> tuple[int, JSON]:  # pragma: no cover
        """Not served."""
        raise not_found(self.resource, name)

    def delete(self, ctx: RequestContext, namespace: str | None, name: str,
               options: JSON) -> JSON:  # pragma: no cover
        """Not served."""
        raise not_found(self.resource, name)


def new_uid() -> str:
    """A fresh object uid."""
    return str(uuid.uuid4())


def get_stream(ctx: RequestContext, namespace: str, name: str) -> JSON:
    """The decorated stream, or 404 ``imagestreams.image.openshift.io "<name>" not found``."""
    stream = ctx.store.get(STREAMS, namespace, name)
    if stream is None:
        raise not_found(STREAMS, name)
    decorate_stream(stream, ctx.config)
    return stream


def get_image(ctx: RequestContext, name: str) -> JSON:
    """The Image, or 404 ``images.image.openshift.io "<name>" not found``."""
    image = ctx.store.get(IMAGES, None, name)
    if image is None:
        raise not_found(IMAGES, name)
    return image


def create_image(ctx: RequestContext, image: JSON, *, dry_run: bool = False) -> JSON | None:
    """Create an Image through the image strategy; an existing one is left alone (returns None)."""
    prepared = copy_json(image)
    prepared.setdefault("kind", "Image")
    prepared.setdefault("apiVersion", API_VERSION)
    meta = prepared.setdefault("metadata", {})
    for key in ("uid", "resourceVersion", "creationTimestamp"):
        meta.pop(key, None)
    prepare_image_for_create(prepared)
    name = str(meta.get("name") or "")
    errors = validate_image(prepared)
    if errors:
        raise invalid("Image", name, errors)
    if ctx.store.get(IMAGES, None, name) is not None:
        return None
    try:
        return ctx.store.create(IMAGES, None, prepared, dry_run=dry_run)
    except StatusError as error:
        if error.reason == "AlreadyExists":
            return None
        raise


def write_stream_with_retries(
    ctx: RequestContext,
    namespace: str,
    name: str,
    mutate: Callable[[JSON | None], JSON | None],
    *,
    operation: str,
    resource: str,
    dry_run: bool,
    keep_status_on_create: bool = False,
    retries: int = RETRIES,
) -> tuple[JSON | None, JSON | None]:
    """Read the stream, let ``mutate`` change it (or build one from None), write it; retry conflicts.

    ``mutate`` returns the stream to write, or None for "no write". The write goes through the
    internal spec+status path: an update keeps the status given (§5.5), a create uses the normal create
    path unless ``keep_status_on_create``. After ``retries`` conflicts: 500 ServerTimeout.
    Returns (the stream before, the stream written or None).
    """
    for _ in range(retries):
        old = ctx.store.get(STREAMS, namespace, name)
        target = mutate(copy_json(old) if old is not None else None)
        if target is None:
            return old, None
        try:
            written = _write(ctx, namespace, name, old, target, dry_run, keep_status_on_create)
        except StatusError as error:
            if error.reason != "Conflict" and not (error.reason == "AlreadyExists" and old is None):
                raise
            continue
        if not dry_run:
            _after_stream_write(ctx, written)
        return old, written
    raise server_timeout(operation, resource)


def _after_stream_write(ctx: RequestContext, stream: JSON) -> None:
    """The import controller watches every stream write, not only the generic ones: run the hooks
    after the virtual resources' writes too (so an istag pointing at a DockerImage resolves)."""
    from ._semantics import AFTER_WRITE_HOOKS  # the registry imports this module

    hook = AFTER_WRITE_HOOKS.get(STREAMS)
    if hook is not None:
        hook(ctx, copy_json(stream))


def _write(ctx: RequestContext, namespace: str, name: str, old: JSON | None, target: JSON, dry_run: bool,
           keep_status_on_create: bool) -> JSON:
    target.setdefault("kind", "ImageStream")
    target.setdefault("apiVersion", API_VERSION)
    meta = target.setdefault("metadata", {})
    meta["name"], meta["namespace"] = name, namespace
    if old is None:
        for key in ("uid", "resourceVersion"):
            meta.pop(key, None)
        prepare_create(target, ctx, keep_status=keep_status_on_create)
        _validate_stream_write(target, None, ctx)
        written = ctx.store.create(STREAMS, namespace, target, dry_run=dry_run)
    else:
        meta["resourceVersion"] = (old.get("metadata") or {}).get("resourceVersion")
        prepare_update(target, old, ctx, reset_status=False)
        _validate_stream_write(target, old, ctx)
        written = ctx.store.update(STREAMS, namespace, target, dry_run=dry_run)
    decorate_stream(written, ctx.config)
    return written


def _validate_stream_write(stream: JSON, old: JSON | None, ctx: RequestContext) -> None:
    errors = validate_stream(stream)
    if not errors:
        errors = wrap_tag_errors(stream, tags_changed(old, copy_json(stream), ctx))
    if errors:
        raise invalid("ImageStream", str((stream.get("metadata") or {}).get("name") or ""), errors)


def pull_secret_names(ctx: RequestContext, namespace: str) -> list[str]:
    """Names of the namespace's docker pull secrets (the ones imports may use)."""
    return [str((secret.get("metadata") or {}).get("name") or "") for secret in docker_secrets(ctx, namespace)]


def docker_secrets(ctx: RequestContext, namespace: str) -> list[JSON]:
    """The namespace's secrets of a docker type, minus those annotated as excluded."""
    result = []
    for secret in ctx.store.list("secrets", namespace):
        if secret.get("type") not in DOCKER_SECRET_TYPES:
            continue
        annotations = (secret.get("metadata") or {}).get("annotations") or {}
        if annotations.get(EXCLUDE_SECRET_ANNOTATION) == "true":
            continue
        result.append(secret)
    return result


def resolved_reference(stream: JSON, tag: str, event: JSON) -> str:
    """The event's reference, resolved by the tag's referencePolicy (``Local`` → the stream's repository)."""
    policy = ((spec_tags(stream).get(tag) or {}).get("referencePolicy") or {}).get("type")
    repository = (stream.get("status") or {}).get("dockerImageRepository") or ""
    image = event.get("image") or ""
    if policy == "Local" and repository and image:
        return f"{repository}@{image}"
    return str(event.get("dockerImageReference") or "")


def tag_image(ctx: RequestContext, stream: JSON, tag: str, event: JSON) -> JSON:
    """The full Image behind a tag event, as istag/itag show it (manifest cleared, tag annotations merged).

    404 ``images.image.openshift.io "<digest>" not found`` when the Image object is gone.
    """
    image = strip_manifest(get_image(ctx, str(event.get("image") or "")))
    annotations = (spec_tags(stream).get(tag) or {}).get("annotations")
    if annotations:
        meta = image.setdefault("metadata", {})
        meta["annotations"] = {**(meta.get("annotations") or {}), **annotations}
    image["dockerImageReference"] = resolved_reference(stream, tag, event)
    image.pop("kind", None)
    image.pop("apiVersion", None)
    return image


def latest_image_or_none(ctx: RequestContext, stream: JSON, tag: str, *, missing_ok: bool = True) -> JSON | None:
    """The tag's latest image: None when there is no event with an image, or (``missing_ok``) when
    the Image object is gone; otherwise that is 404 ``images…`` (istag GET)."""
    event = latest_event(stream, tag)
    if event is None or not event.get("image"):
        return None
    try:
        return tag_image(ctx, stream, tag, event)
    except StatusError as error:
        if missing_ok and error.code == 404:
            return None
        raise


def _streams_for_tags(ctx: RequestContext, namespace: str | None, opts: ListOptions,
                      matcher: Matcher | None) -> list[JSON]:
    """The streams an istag/itag list walks: the request's selectors and limit/continue are applied to
    the *stream* list (§6 LIST), and no continue token ever reaches the client."""
    selected = []
    for stream in ctx.store.list(STREAMS, namespace):
        decorate_stream(stream, ctx.config)
        if matcher is None or matcher(stream):
            selected.append(stream)
    if opts.continue_token:
        # No token is ever handed out (the real server drops it too), but one given is decoded
        # and honoured against the stream list, as the server passes it through.
        _, start = decode_continue(opts.continue_token)
        selected = [stream for stream in selected if _stream_key(stream) >= start]
    return selected[:opts.limit] if opts.limit > 0 else selected


def _stream_key(stream: JSON) -> str:
    meta = stream.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def list_tag_views(ctx: RequestContext, namespace: str | None, list_kind: str,
                   views_of: Callable[[JSON], Iterable[JSON]]) -> JSON:
    """An istag/itag list: ``views_of(stream)`` gives the items of each stream the list walks, and
    the request's selectors, which chose the streams, filter those items a second time on their own
    labels and name/namespace fields.

    The selectors are parsed and their fields checked first, by the generic lists' ``build_matcher``,
    so a bad selector is a 400 even when no stream would be read (the server decodes and converts
    them before it lists anything, §13). Both kinds select on ``metadata.name`` and
    ``metadata.namespace`` only.
    """
    opts = parse_list_options(ctx.query)
    matcher = build_matcher(opts, metadata_field_value)
    items: list[JSON] = []
    for stream in _streams_for_tags(ctx, namespace, opts, matcher):
        for item in views_of(stream):
            item.pop("kind")
            item.pop("apiVersion")
            if matcher is None or matcher(item):
                items.append(item)
    return empty_list(list_kind, items)


# --------------------------------------------------------------------------------------------------
# istag and itag share their stream edits


def empty_list(kind: str, items: list[JSON]) -> JSON:
    """An istag/itag list: empty metadata, and ``items: null`` when nothing matched (§6 LIST)."""
    return {"kind": kind, "apiVersion": API_VERSION, "metadata": {}, "items": items or None}


def write_spec_tags(ctx: RequestContext, namespace: str, stream_name: str,
                    change: Callable[[dict[str, JSON]], bool], *, operation: str, resource: str, name: str,
                    sent_rv: str = "") -> tuple[JSON, bool]:
    """The write behind istag/itag create and update: ``change`` edits the stream's spec tags (a map by
    name) and says whether it added a spec tag; the stream is started when missing, and the edit is
    re-applied to a fresh read after a conflict. A ``sent_rv`` is checked on every attempt.

    Returns the written stream and what ``change`` said on the attempt that was written.
    """
    added = False

    def mutate(stream: JSON | None) -> JSON:
        nonlocal added
        check_resource_version(stream, sent_rv, resource, name)
        target = stream if stream is not None else new_stream(namespace, stream_name)
        tags = spec_tags(target)
        added = change(tags)
        set_spec_tags(target, tags)
        return target

    _, written = write_stream_with_retries(ctx, namespace, stream_name, mutate, operation=operation,
                                           resource=resource, dry_run=ctx.dry_run)
    assert written is not None  # mutate always returns a stream to write
    return written, added


def check_resource_version(stream: JSON | None, sent: str, resource: str, name: str) -> None:
    """The conditional part of a blind-PUT-capable update: a sent resourceVersion must be the stream's."""
    if not sent:
        return
    if stream is None:
        raise not_found(resource, name)
    current = str((stream.get("metadata") or {}).get("resourceVersion") or "")
    if sent != current:
        from ._status import conflict

        raise conflict(resource, name, f"another caller has updated the resource version to {current}")


def delete_tag(ctx: RequestContext, namespace: str, stream_name: str, tag: str, name: str, resource: str,
               options: JSON) -> JSON:
    """Remove both ``spec.tags[tag]`` and ``status.tags[tag]`` (istag and itag DELETE)."""
    from ._status import conflict, success_status
    from ._stream_model import set_spec_tags, set_status_tags, status_tags

    precondition_uid = ((options or {}).get("preconditions") or {}).get("uid")

    def mutate(stream: JSON | None) -> JSON | None:
        if stream is None:
            raise not_found(STREAMS, stream_name)
        if precondition_uid and precondition_uid != (stream.get("metadata") or {}).get("uid"):
            raise conflict(resource, name, "the UID precondition was not met")
        tags, statuses = spec_tags(stream), status_tags(stream)
        if tag not in tags and tag not in statuses:
            raise not_found(resource, name)
        tags.pop(tag, None)
        statuses.pop(tag, None)
        set_spec_tags(stream, tags)
        set_status_tags(stream, statuses)
        return stream

    write_stream_with_retries(ctx, namespace, stream_name, mutate, operation="delete", resource=resource,
                              dry_run=ctx.dry_run)
    return success_status()


def strip_nulls(value: object) -> object:
    """``value`` without null or empty members, so that two renderings of the same object compare equal."""
    if isinstance(value, dict):
        cleaned = {key: strip_nulls(item) for key, item in value.items()}
        return {key: item for key, item in cleaned.items() if item not in (None, {}, [])}
    if isinstance(value, list):
        return [strip_nulls(item) for item in value]
    return value


def metadata_changed(sent: JSON, projected: JSON, keys: tuple[str, ...]) -> bool:
    """Whether the client changed any of ``keys`` of the projected metadata (a name or namespace the
    client left out counts as unchanged: the server fills them from the URL)."""
    for key in keys:
        if key in ("name", "namespace") and not sent.get(key):
            continue
        if strip_nulls(sent.get(key)) != strip_nulls(projected.get(key)):
            return True
    return False
