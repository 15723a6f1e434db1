"""Mirror a stream: make a destination stream (same or another cluster) carry the source's images.

::

    from imageapi.workflows import mirror

    plan = mirror.plan(client, "dev/app", "backup/app")                # same cluster
    plan = mirror.plan(dev_cluster, "dev/app", "app", to=dr_cluster)   # another cluster: two clients
    print(plan)
    result = mirror.apply(dr_cluster, plan)
    result = mirror.mirror(dev_cluster, "dev/app", "app", to=dr_cluster)   # plan and apply

For each source tag whose newest revision holds an image, the plan compares that digest with the
destination tag's newest; apply imports the differing ones in one ``ImageStreamImport`` of the
source pull specs pinned by digest (``repository@sha256:…``; the source's public registry name when
the stream has one), conditional on the destination's ``resourceVersion`` as the plan read it.
A second run finds every tag in place, plans nothing and writes nothing. oc has no command for
this (``oc image mirror`` copies registry content, not streams); by hand it is a loop of
``oc import-image``/``oc tag`` calls, one per tag.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, overload

from .._base_client import Flow
from .._reference import InvalidReferenceError, parse_reference
from .._request import model_class, resource_path
from ..errors import NotFoundError
from ._common import JSON, default_namespace, image_info, json_request, read_stream, run, split_stream
from ._import import FailedTag, import_failure
from ._streams import latest_event, resource_version_of, status_tags

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from .._client import AsyncClient, Client

__all__ = ["MirrorPlan", "MirrorResult", "MirroredTag", "apply", "mirror", "plan"]

_API_VERSION = "image.openshift.io/v1"


@dataclass(frozen=True)
class MirroredTag:
    """One tag: the pull spec to import, its digest, and what the destination has now."""

    tag: str
    pull_spec: str
    digest: str
    current: str | None
    action: Literal["import", "unchanged"]

    def __str__(self) -> str:
        if self.action == "unchanged":
            return f"unchanged {self.tag}: {self.digest}"
        return f"import    {self.tag}: {self.pull_spec} (now {self.current or '-'})"


@dataclass(frozen=True)
class MirrorPlan:
    """What ``mirror.apply`` would import into ``namespace/name``."""

    source: str
    namespace: str
    name: str
    resource_version: str | None
    tags: tuple[MirroredTag, ...]

    @property
    def imports(self) -> tuple[MirroredTag, ...]:
        """The tags to import."""
        return tuple(tag for tag in self.tags if tag.action == "import")

    def __str__(self) -> str:
        lines = [f"Mirror {self.source} -> {self.namespace}/{self.name}:", *(f"  {tag}" for tag in self.tags)]
        if not self.imports:
            lines.append("  nothing to change: every tag is in place")
        return "\n".join(lines)


@dataclass(frozen=True)
class MirrorResult:
    """What ``mirror.apply`` did: the tags imported, and those the destination could not import."""

    plan: MirrorPlan
    imported: tuple[MirroredTag, ...]
    failed: tuple[FailedTag, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether anything was written."""
        return bool(self.imported)

    def __str__(self) -> str:
        where = f"{self.plan.namespace}/{self.plan.name}"
        if not self.imported and not self.failed:
            return f"{where}: nothing to change, every tag is in place"
        lines = [f"{where}:{tag.tag} mirrored at {tag.digest}" for tag in self.imported]
        lines += [f"error: tag {item.tag} failed: {item.message}" for item in self.failed]
        return "\n".join(lines)


def _pull_spec(stream: JSON, event: JSON) -> str:
    """Where the destination can pull ``event``'s image: its repository pinned by digest, the public
    name of the integrated registry when the source stream has one."""
    digest = str(event["image"])
    status = stream.get("status") or {}
    try:
        repository = parse_reference(str(event.get("dockerImageReference") or "")).repository
    except InvalidReferenceError:
        repository = str(status.get("dockerImageRepository") or "")
    if status.get("publicDockerImageRepository") and repository == status.get("dockerImageRepository"):
        repository = str(status["publicDockerImageRepository"])
    return f"{repository}@{digest}"


def _read_source(namespace: str, name: str) -> Flow[JSON]:
    stream = yield from read_stream(namespace, name)
    if stream is None:
        raise NotFoundError(f'imagestreams.image.openshift.io "{name}" not found', code=404, reason="NotFound")
    return stream


def _combine(source_label: str, source: JSON, target: JSON | None, namespace: str, name: str,
             tags: Sequence[str] | None) -> MirrorPlan:
    wanted = set(tags) if tags is not None else None
    planned = []
    for history in status_tags(source):
        tag = str(history.get("tag") or "")
        event = latest_event(source, tag)
        if (wanted is not None and tag not in wanted) or not (event or {}).get("image"):
            continue
        assert event is not None
        current = latest_event(target, tag) if target is not None else None
        current_digest = str((current or {}).get("image") or "") or None
        digest = str(event["image"])
        planned.append(MirroredTag(tag=tag, pull_spec=_pull_spec(source, event), digest=digest,
                                   current=current_digest, action="unchanged" if current_digest == digest else "import"))
    missing = (wanted or set()) - {tag.tag for tag in planned}
    if missing:
        raise ValueError(f"{source_label} has no image for tag(s) {', '.join(sorted(missing))}")
    return MirrorPlan(source=source_label, namespace=namespace, name=name,
                      resource_version=resource_version_of(target) if target is not None else None, tags=tuple(planned))


def _apply_flow(plan: MirrorPlan) -> Flow[MirrorResult]:
    todo = plan.imports
    if not todo:
        return MirrorResult(plan=plan, imported=())
    metadata: JSON = {"name": plan.name, "namespace": plan.namespace}
    if plan.resource_version is not None:
        metadata["resourceVersion"] = plan.resource_version
    body = {"kind": "ImageStreamImport", "apiVersion": _API_VERSION, "metadata": metadata, "spec": {
        "import": True,
        "images": [{"from": {"kind": "DockerImage", "name": tag.pull_spec}, "to": {"name": tag.tag}} for tag in todo]}}
    request = json_request("POST", resource_path(image_info("imagestreamimports"), plan.namespace), body)
    answer: JSON = yield request
    results = (answer.get("status") or {}).get("images") or []
    imported, failed = [], []
    for tag, entry in zip(todo, results, strict=False):
        status = entry.get("status") or {}
        if status.get("status") == "Failure":
            failed.append(FailedTag(tag=tag.tag, source=tag.pull_spec, reason=str(status.get("reason") or ""),
                                    message=str(status.get("message") or "unknown error prevented import"),
                                    status=status))
        else:
            imported.append(tag)
    if failed and not imported:
        raise import_failure(request, failed[0].status, model_class("ImageStreamImport").from_dict(answer))
    return MirrorResult(plan=plan, imported=tuple(imported), failed=tuple(failed))


def _is_async(client: Any) -> bool:
    from .._client import AsyncClient

    return isinstance(client, AsyncClient)


@overload
def plan(client: Client, source: str, destination: str | None = ..., *, to: Client | None = ...,
         tags: Sequence[str] | None = ..., namespace: str | None = ...) -> MirrorPlan: ...
@overload
def plan(client: AsyncClient, source: str, destination: str | None = ..., *, to: AsyncClient | None = ...,
         tags: Sequence[str] | None = ..., namespace: str | None = ...) -> Coroutine[Any, Any, MirrorPlan]: ...
def plan(client: Client | AsyncClient, source: str, destination: str | None = None, *,
         to: Client | AsyncClient | None = None, tags: Sequence[str] | None = None,
         namespace: str | None = None) -> Any:
    """Plan mirroring ``source`` (``[namespace/]stream`` read with ``client``) into ``destination``
    (default: the same name) on ``to`` (default: ``client``). ``tags`` limits the tags mirrored."""
    return _plan(client, source, destination, to if to is not None else client, tags, namespace)


def _plan(client: Client | AsyncClient, source: str, destination: str | None, target_client: Client | AsyncClient,
          tags: Sequence[str] | None, namespace: str | None) -> Any:
    if _is_async(client) != _is_async(target_client):
        raise TypeError("mirror needs two sync clients or two async clients")
    source_namespace, source_name = split_stream(source, default_namespace(client, namespace))
    dest_namespace, dest_name = split_stream(destination or source_name, default_namespace(target_client, namespace))
    label = f"{source_namespace}/{source_name}"
    read_source = run(client, _read_source(source_namespace, source_name))
    if inspect.isawaitable(read_source):
        async def both() -> MirrorPlan:
            origin = await read_source
            target = await run(target_client, read_stream(dest_namespace, dest_name))
            return _combine(label, origin, target, dest_namespace, dest_name, tags)

        return both()
    return _combine(label, read_source, run(target_client, read_stream(dest_namespace, dest_name)),
                    dest_namespace, dest_name, tags)


@overload
def apply(client: Client, plan: MirrorPlan) -> MirrorResult: ...
@overload
def apply(client: AsyncClient, plan: MirrorPlan) -> Coroutine[Any, Any, MirrorResult]: ...
def apply(client: Client | AsyncClient, plan: MirrorPlan) -> Any:
    """Import the planned tags into the destination (``client`` is the destination cluster's).

    One ImageStreamImport, conditional on the destination's version in the plan (``ConflictError``
    when it changed). When every image fails, raises the error class of the first reason; when some
    fail, ``result.failed`` lists them."""
    return run(client, _apply_flow(plan))


@overload
def mirror(client: Client, source: str, destination: str | None = ..., *, to: Client | None = ...,
           tags: Sequence[str] | None = ..., namespace: str | None = ...) -> MirrorResult: ...
@overload
def mirror(client: AsyncClient, source: str, destination: str | None = ..., *, to: AsyncClient | None = ...,
           tags: Sequence[str] | None = ..., namespace: str | None = ...) -> Coroutine[Any, Any, MirrorResult]: ...
def mirror(client: Client | AsyncClient, source: str, destination: str | None = None, *,
           to: Client | AsyncClient | None = None, tags: Sequence[str] | None = None,
           namespace: str | None = None) -> Any:
    """Plan (see :func:`plan`) and apply; a second run changes nothing and says so."""
    target_client = to if to is not None else client
    planned = _plan(client, source, destination, target_client, tags, namespace)
    if inspect.isawaitable(planned):
        async def then_apply() -> MirrorResult:
            return await run(target_client, _apply_flow(await planned))  # type: ignore[no-any-return]

        return then_apply()
    return run(target_client, _apply_flow(planned))
