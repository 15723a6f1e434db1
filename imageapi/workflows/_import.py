"""``oc import-image`` as a flow (``client.image_streams.import_image``).

The algorithm is oc's (openshift/oc ``pkg/cli/importimage/importimage.go``): read the stream; with no
stream, ``confirm=True`` creates it from ``from_`` (or the target name itself); with ``all=True``
import the whole repository (``from_``, else ``spec.dockerImageRepository``, else every DockerImage
spec tag); otherwise import one tag, following spec tags that point at other tags of the stream, and
refuse to change a tag's source (that is what ``tag`` is for). The ImageStreamImport carries the
stream's ``resourceVersion``, so the import fails with ``ConflictError`` rather than writing over a
change made since the stream was read. ``dry_run=True`` asks the registry without writing
(``spec.import: false``): the plan form of an import.

Beyond oc: the answer is a typed :class:`ImportResult` (imported tags with digest and pull spec,
failed tags with their reason, remote tags left out), and an import that imported nothing raises the
error class of the server's per-image reason (``NotFoundError``, ``UnauthorizedError``, …) with that
reason's message; oc prints "imported with errors" and exits 0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .._base_client import Flow
from .._reference import InvalidReferenceError, parse_reference
from .._request import ApiRequest, model_class, resource_path
from ..errors import ApiError, error_from_response
from ._common import JSON, image_info, json_request, read_stream
from ._streams import (
    CircularReferenceError,
    CrossStreamReferenceError,
    InvalidTagReferenceError,
    TagNotFoundError,
    follow_tag_reference,
    resource_version_of,
    spec_tag,
    spec_tags,
)
from ._tag import normalize_reference_policy

if TYPE_CHECKING:
    from ..models import ImageStreamImport

__all__ = ["FailedTag", "ImportResult", "ImportedTag"]

_API_VERSION = "image.openshift.io/v1"
_INSECURE_ANNOTATION = "openshift.io/image.insecureRepository"
_REPOSITORY_CHECK_ANNOTATION = "openshift.io/image.dockerRepositoryCheck"

ImportMode = Literal["Legacy", "PreserveOriginal"]


@dataclass(frozen=True)
class ImportedTag:
    """A tag the import resolved: its digest and the pull spec it was imported from."""

    tag: str
    digest: str
    pull_spec: str


@dataclass(frozen=True)
class FailedTag:
    """A tag the server could not import, with its per-image Status (``reason``, ``message``)."""

    tag: str
    source: str
    reason: str
    message: str
    status: JSON


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, with ``dry_run``, would do).

    ``image_stream_import`` is the server's whole answer; ``stream`` the stream after the import
    (None on a dry run); ``not_imported`` the remote tags over the server's per-import limit.
    """

    namespace: str
    name: str
    dry_run: bool
    created: bool
    imported: tuple[ImportedTag, ...]
    failed: tuple[FailedTag, ...]
    not_imported: tuple[str, ...]
    image_stream_import: ImageStreamImport

    @property
    def ok(self) -> bool:
        """Whether every requested image imported."""
        return not self.failed

    def __str__(self) -> str:
        head = "imported" if self.ok else "imported with errors"
        if self.dry_run:
            head += " (dry run)"
        lines = [f"{self.namespace}/{self.name} {head}"]
        lines += [f"  {item.tag}: {item.pull_spec}" for item in self.imported]
        lines += [f"  error: tag {item.tag} failed: {item.message}" for item in self.failed]
        if self.not_imported:
            lines.append(f"  info: the remote repository contained {len(self.not_imported)} additional tags which "
                         f"were not imported: {', '.join(self.not_imported)}")
        return "\n".join(lines)


@dataclass(frozen=True)
class ImportOptions:
    """``oc import-image``'s flags."""

    from_: str | None = None
    all: bool = False
    confirm: bool = False
    reference_policy: str | None = None
    import_mode: ImportMode | None = None
    scheduled: bool = False
    insecure: bool | None = None
    dry_run: bool = False


def parse_target(target: str, namespace: str) -> tuple[str, str, str | None]:
    """``[namespace/]stream[:tag]`` → ``(namespace, stream, tag or None)`` with oc's messages."""
    try:
        ref = parse_reference(target)
    except InvalidReferenceError:
        raise ValueError("the image name must be a valid container image pull spec or reference to an image "
                         "stream (e.g. myregistry/myteam/image:tag)") from None
    if ref.id:
        raise ValueError("to import images by ID, use the 'tag' command")
    if ref.registry or "/" in ref.name:
        raise ValueError(f"{target!r} is not [namespace/]stream[:tag]")
    return ref.namespace or namespace, ref.name, ref.tag or None


def _policy(options: ImportOptions, insecure: bool, scheduled: bool) -> JSON:
    policy: JSON = {}
    if insecure:
        policy["insecure"] = True
    if scheduled:
        policy["scheduled"] = True
    if options.import_mode:
        policy["importMode"] = options.import_mode
    return policy


def _reference_policy(options: ImportOptions) -> JSON:
    if options.reference_policy is None:
        return {}
    return {"type": normalize_reference_policy(options.reference_policy)}


def _image_spec(source: str, tag: str, options: ImportOptions, insecure: bool, scheduled: bool) -> JSON:
    image: JSON = {"from": {"kind": "DockerImage", "name": source}, "to": {"name": tag}}
    if policy := _policy(options, insecure, scheduled):
        image["importPolicy"] = policy
    if reference := _reference_policy(options):
        image["referencePolicy"] = reference
    return image


def _repository_spec(source: str, options: ImportOptions, insecure: bool) -> JSON:
    repository: JSON = {"from": {"kind": "DockerImage", "name": source}}
    if policy := _policy(options, insecure, options.scheduled):
        repository["importPolicy"] = policy
    if reference := _reference_policy(options):
        repository["referencePolicy"] = reference
    return repository


def _tag_images(stream: JSON, tags: dict[str, str], options: ImportOptions, insecure: bool) -> list[JSON]:
    images = []
    for tag, source in tags.items():
        old = (spec_tag(stream, tag) or {}).get("importPolicy") or {}
        images.append(_image_spec(source, tag, options, insecure or bool(old.get("insecure")),
                                  options.scheduled or bool(old.get("scheduled"))))
    return images


def _import_all(stream: JSON, options: ImportOptions, insecure: bool) -> JSON:
    """The ISI spec of ``--all`` on an existing stream."""
    spec = stream.get("spec") or {}
    repository = str(spec.get("dockerImageRepository") or "")
    source = options.from_
    if not source:
        if repository:
            source = repository
        else:
            tags = {str(entry["name"]): str(entry["from"]["name"]) for entry in spec_tags(stream)
                    if (entry.get("from") or {}).get("kind") == "DockerImage"}
            if not tags:
                raise ValueError("image stream does not have tags pointing to external container images")
            return {"images": _tag_images(stream, tags, options, insecure)}
    if source != repository and not options.confirm:
        if not repository:
            raise ValueError("the image stream does not currently import an entire Docker repository, "
                             "pass confirm=True to update")
        raise ValueError(f'the image stream has a different import spec "{repository}", pass confirm=True to update')
    return {"repository": _repository_spec(source, options, insecure)}


def _import_tag(stream: JSON, tag: str, options: ImportOptions, insecure: bool) -> JSON:
    """The ISI spec of a one-tag import on an existing stream."""
    source = options.from_
    try:
        final, existing, followed = follow_tag_reference(stream, tag)
    except InvalidTagReferenceError:
        raise ValueError(f'tag "{tag}" points to an invalid imagestreamtag') from None
    except CrossStreamReferenceError:
        raise ValueError(f'tag "{tag}" points to an imagestreamtag from another ImageStream') from None
    except CircularReferenceError:
        raise ValueError(f'tag "{tag}" on the image stream is a reference to same tag') from None
    except TagNotFoundError:
        if not source and tag == "latest":
            source = str((stream.get("spec") or {}).get("dockerImageRepository") or "")
        if not source:
            raise ValueError(f'the tag "{tag}" does not exist on the image stream - choose an existing tag to import '
                             "or use the 'tag' command to create a new tag") from None
        return {"images": _tag_images(stream, {tag: source}, options, insecure)}
    origin = existing.get("from")
    if origin and origin.get("kind") != "DockerImage":
        raise ValueError(f'tag "{tag}" points to existing {origin.get("kind")} "{origin.get("name")}", '
                         "it cannot be re-imported")
    if not origin:
        raise ValueError(f"tag \"{tag}\" already exists - you must use the 'tag' command if you want to change the "
                         f'source to "{source}"')
    if source and source != origin.get("name"):
        if followed:
            raise ValueError(f'the tag "{tag}" points to the tag "{final}" which points to "{origin.get("name")}" - '
                             f"use the 'tag' command if you want to change the source to \"{source}\"")
        raise ValueError(f'the tag "{tag}" points to "{origin.get("name")}" - use the \'tag\' command if you want '
                         f'to change the source to "{source}"')
    return {"images": _tag_images(stream, {final if followed else tag: str(origin.get("name"))}, options, insecure)}


def _new_stream_spec(target: str, name: str, tag: str, options: ImportOptions, insecure: bool) -> JSON:
    source = options.from_ or target
    if options.all:
        return {"repository": _repository_spec(source, options, insecure)}
    return {"images": [_image_spec(source, tag, options, insecure, options.scheduled)]}


def plan_request(target: str, options: ImportOptions, namespace: str) -> Flow[tuple[ApiRequest, bool]]:
    """Read the stream and build the ImageStreamImport oc would post; ``(request, creates stream)``."""
    stream_namespace, name, tag = parse_target(target, namespace)
    if tag is not None and options.all:
        raise ValueError(f'cannot specify a tag "{target}" as well as all=True')
    if tag is None and not options.all:
        tag = "latest"
    stream = yield from read_stream(stream_namespace, name)
    metadata: JSON = {"name": name, "namespace": stream_namespace}
    if stream is None:
        if not options.confirm:
            raise ValueError(f'no image stream named "{name}" exists, pass confirm=True to create and import')
        spec = _new_stream_spec(target, name, tag or "latest", options, bool(options.insecure))
    else:
        annotations = (stream.get("metadata") or {}).get("annotations") or {}
        insecure = annotations.get(_INSECURE_ANNOTATION) == "true"
        if options.insecure is not None:  # the argument wins over the stream's annotation, as --insecure
            insecure = options.insecure
        if options.all:
            spec = _import_all(stream, options, insecure)
        else:
            assert tag is not None
            spec = _import_tag(stream, tag, options, insecure)
        metadata["resourceVersion"] = resource_version_of(stream)
    body = {"kind": "ImageStreamImport", "apiVersion": _API_VERSION, "metadata": metadata,
            "spec": {"import": not options.dry_run, **spec}}
    return json_request("POST", resource_path(image_info("imagestreamimports"), stream_namespace), body), stream is None


def import_failure(request: ApiRequest, status: JSON, answer: ImageStreamImport) -> ApiError:
    """The typed error (``NotFoundError``, ``UnauthorizedError``, …) for a failed image import.

    The server reports a failed import inside a successful (201) answer, as a ``Status`` per image;
    this is the exception a request failing with that Status would raise (its message is the
    Status message), with the whole ``ImageStreamImport`` answer as ``error.image_stream_import``.
    """
    code = status.get("code")
    http_code = code if isinstance(code, int) and code >= 400 else 500
    # A per-image Status carries no kind; without one it would not be read as a Status at all.
    body = {"kind": "Status", "apiVersion": "v1", **status}
    error = error_from_response(request.method, request.path, http_code, {}, json.dumps(body).encode())
    error.image_stream_import = answer
    return error


def _imported(entry: JSON, tag: str) -> ImportedTag | None:
    image = entry.get("image") or {}
    if (entry.get("status") or {}).get("status") == "Failure" or not image:
        return None
    return ImportedTag(tag=tag, digest=str((image.get("metadata") or {}).get("name") or ""),
                       pull_spec=str(image.get("dockerImageReference") or ""))


def result_flow(target: str, options: ImportOptions, namespace: str) -> Flow[ImportResult]:
    """Plan, post and read the answer of one ``oc import-image``."""
    request, creates = yield from plan_request(target, options, namespace)
    answer: JSON = yield request
    model = model_class("ImageStreamImport").from_dict(answer)
    sent = json.loads(request.content or b"{}")
    status = answer.get("status") or {}
    entries = list(status.get("images") or [])
    repository = status.get("repository") or {}
    entries += list(repository.get("images") or [])
    requested = list(sent["spec"].get("images") or [])
    imported, failed = [], []
    for index, entry in enumerate(entries):
        # status.images[i] answers spec.images[i], and its own "tag" is the source's tag: the target
        # tag is the one asked for. Repository images are tagged under their source tag.
        asked = requested[index] if index < len(requested) else None
        tag = str(((asked or {}).get("to") or {}).get("name") or entry.get("tag") or "")
        item = _imported(entry, tag)
        if item is not None:
            imported.append(item)
            continue
        image_status = entry.get("status") or {}
        failed.append(FailedTag(
            tag=tag, source=str(asked["from"]["name"]) if asked else "",
            reason=str(image_status.get("reason") or ""),
            message=str(image_status.get("message") or "unknown error prevented import"), status=image_status,
        ))
    repository_status = repository.get("status") or {}
    if not imported:
        first_failure = failed[0].status if failed else (
            repository_status if repository_status.get("status") == "Failure" else None)
        if first_failure is not None:
            raise import_failure(request, first_failure, model)
    return ImportResult(
        namespace=sent["metadata"]["namespace"], name=sent["metadata"]["name"], dry_run=options.dry_run,
        created=creates and not options.dry_run, imported=tuple(imported), failed=tuple(failed),
        not_imported=tuple(repository.get("additionalTags") or ()), image_stream_import=model,
    )
