"""ImageStreamImport (server-semantics.md §11) and the simulated image import controller.

One implementation serves both: :func:`run_import` resolves the requested images against the fake
registry and, with ``import: true``, records them in the stream exactly as the server does;
:func:`import_controller_hook` (an after-write hook on imagestreams) builds the import the real
controller would post for spec tags whose generation is newer than their status, and runs it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._resource_info import API_VERSION
from ._contracts import JSON, RequestContext
from ._images import strip_manifest
from ._references import DockerImageReference, InvalidReference, parse_reference
from ._registry import RegistryError, RegistryImage, failure_status, not_found_status
from ._status import FieldError, StatusError, conflict, embedded, invalid, not_found, success_status
from ._store import copy_json
from ._stream_model import (
    default_tag_reference,
    latest_event,
    metadata,
    new_stream,
    now_text,
    set_spec_tags,
    set_status_tags,
    spec_tags,
    status_tags,
)
from ._stream_validation import validate_import_mode, validate_stream_name
from ._tag_events import record_tag_event
from ._virtual import UnservedVerbs, create_image, new_uid, pull_secret_names, write_stream_with_retries

DOCKER_REPOSITORY_CHECK = "openshift.io/image.dockerRepositoryCheck"
PREFER_ARCH = "importer.image.openshift.io/prefer-arch"
PREFER_OS = "importer.image.openshift.io/prefer-os"
SUCCESS: JSON = embedded(success_status())


@dataclass
class ImageResult:
    """The outcome of importing one reference: the ``ImageImportStatus`` plus the Images to store."""

    status: JSON
    images_to_store: list[JSON] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        """Whether the image was found."""
        return bool(self.status.get("status", {}).get("status") == "Success")


# --------------------------------------------------------------------------------------------------
# resolving against the registry


def import_one(ctx: RequestContext, namespace: str, from_name: str, import_policy: Mapping[str, Any] | None,
               include_manifest: bool, preferences: Mapping[str, str] | None = None) -> ImageResult:
    """Resolve ``from_name`` and build its ``ImageImportStatus`` (§11 "Registry access")."""
    registry = ctx.registry
    mode = (import_policy or {}).get("importMode") or ctx.config.default_import_mode
    try:
        reference = parse_reference(from_name)
    except InvalidReference as error:
        return ImageResult({"status": failure_status(422, "Invalid", f"{from_name}: {error}")})
    try:
        resolved = registry.resolve(from_name, pull_secret_names(ctx, namespace))
    except RegistryError as error:
        return ImageResult({"status": error.status, "tag": reference.tag or ("" if reference.id else "latest")})
    entry = resolved.entry
    source_tag = resolved.reference.tag
    children = [_with_reference(child, reference) for child in entry.children]
    if entry.children and mode != "PreserveOriginal":
        entry = RegistryImage(_pick_platform(entry.children, preferences or {}))
        children = []
    image = _with_reference(entry.image, reference)
    stored = [image, *children]
    shown = copy_json(image)
    if not include_manifest:
        strip_manifest(shown)
    status: JSON = {"status": copy_json(SUCCESS), "tag": source_tag, "image": shown}
    if children:
        status["manifests"] = [strip_manifest(copy_json(child)) if not include_manifest else copy_json(child)
                               for child in children]
    return ImageResult(status, stored)


def _with_reference(image: JSON, reference: DockerImageReference) -> JSON:
    """The registry's image with the user's repository and ``@digest`` (``MostSpecific``)."""
    result: JSON = copy_json(image)
    result["dockerImageReference"] = reference.with_id(result["metadata"]["name"]).most_specific()
    return result


def _pick_platform(children: list[JSON], preferences: Mapping[str, str]) -> JSON:
    """Legacy import of a manifest list: the child for the preferred (default linux/amd64) platform."""
    arch = preferences.get(PREFER_ARCH) or "amd64"
    system = preferences.get(PREFER_OS) or "linux"
    for child in children:
        config = json.loads(child.get("dockerImageConfig") or "{}")
        if (config.get("architecture"), config.get("os")) == (arch, system):
            return child
    return children[0]


# --------------------------------------------------------------------------------------------------
# the ImageStreamImport resource


def validate_import(isi: JSON, namespace: str) -> list[FieldError]:
    """``ValidateImageStreamImport`` (§11 Validation), in the server's order and wording."""
    spec = isi.get("spec") or {}
    images = spec.get("images") or []
    repository = spec.get("repository")
    errors: list[FieldError] = []
    for index, item in enumerate(images):
        path = f"spec.images[{index}]"
        source = item.get("from") or {}
        if source.get("kind") != "DockerImage":
            errors.append(FieldError("FieldValueInvalid", f"{path}.from.kind", "only DockerImage is supported",
                                     source.get("kind") or "", True))
            continue
        to = item.get("to")
        if isinstance(to, dict) and not to.get("name"):
            errors.append(FieldError("FieldValueInvalid", f"{path}.to.name", "the name of the target tag must be specified",
                                     "", True))
        errors += _validate_source_name(str(source.get("name") or ""), f"{path}.from.name", "")
        errors += validate_import_mode((item.get("importPolicy") or {}).get("importMode"),
                                       f"{path}.importPolicy.importMode")
    if isinstance(repository, dict):
        source = repository.get("from") or {}
        if source.get("kind") != "DockerImage":
            errors.append(FieldError("FieldValueInvalid", "spec.repository.from.kind", "only DockerImage is supported",
                                     source.get("kind") or "", True))
        else:
            name = str(source.get("name") or "")
            name_errors = _validate_source_name(name, "spec.repository.from.name",
                                                "container image references require a name")
            errors += name_errors
            if name and not name_errors and name != "*":
                ref = parse_reference(name)
                if ref.tag or ref.id:
                    errors.append(FieldError("FieldValueInvalid", "spec.repository.from.name",
                                             "you must specify an image repository, not a tag or ID", name, True))
        errors += validate_import_mode((repository.get("importPolicy") or {}).get("importMode"),
                                       "spec.repository.importPolicy.importMode")
    if not images and not isinstance(repository, dict):
        # The server passes a nil value, which renders as "null".
        errors.append(FieldError("FieldValueInvalid", "spec.images",
                                 "you must specify at least one image or a repository import", "null", True))
    meta = isi.get("metadata") or {}
    name_errors = validate_stream_name(str(meta.get("name") or ""), namespace)
    # ISI applies only the name rule, not the namespace/name length rule of streams.
    return errors + [error for error in name_errors if "cannot be longer" not in error.detail]


def _validate_source_name(name: str, path: str, required_detail: str) -> list[FieldError]:
    """A ``from.name``: required, and parseable unless it is the legacy ``*``."""
    if not name:
        return [FieldError("FieldValueRequired", path, required_detail)]
    if name == "*":
        return []
    try:
        parse_reference(name)
    except InvalidReference as error:
        return [FieldError("FieldValueInvalid", path, str(error), name, True)]
    return []


def _default_import(isi: JSON, config_mode: str) -> None:
    """``SetDefaults_ImageImportSpec``: ``to`` from the source tag, default policies."""
    spec = isi.setdefault("spec", {})
    for item in spec.get("images") or []:
        if not item.get("to"):
            try:
                tag = parse_reference(str((item.get("from") or {}).get("name") or "")).tag
            except InvalidReference:
                tag = ""
            if tag:
                item["to"] = {"name": tag}
        _default_policies(item, config_mode)
    if isinstance(spec.get("repository"), dict):
        _default_policies(spec["repository"], config_mode)


def _default_policies(item: JSON, config_mode: str) -> None:
    policy = item.setdefault("importPolicy", {}) or {}
    item["importPolicy"] = policy
    if not policy.get("importMode"):
        policy["importMode"] = config_mode
    reference_policy = item.setdefault("referencePolicy", {}) or {}
    item["referencePolicy"] = reference_policy
    if not reference_policy.get("type"):
        reference_policy["type"] = "Source"


class ImageStreamImportResource(UnservedVerbs):
    """``POST imagestreamimports``: resolve, report, and with ``import: true`` record (dryRun ignored)."""

    resource = "imagestreamimports"

    def create(self, ctx: RequestContext, namespace: str | None, body: JSON) -> tuple[int, JSON]:
        """201 with the ImageStreamImport and its status (§11)."""
        namespace = namespace or ""
        isi = copy_json(body)
        isi.pop("status", None)
        meta = metadata(isi)
        name = str(meta.get("name") or "")
        meta["namespace"] = namespace
        _default_import(isi, ctx.config.default_import_mode)
        errors = validate_import(isi, namespace)
        if errors:
            raise invalid("ImageStreamImport", name, errors)
        existing = ctx.store.get("imagestreams", namespace, name)
        _check_preconditions(meta, existing, name)
        status = run_import(ctx, namespace, name, isi["spec"])
        meta["uid"] = new_uid()
        meta["creationTimestamp"] = now_text(ctx)
        meta.pop("resourceVersion", None)
        isi["kind"], isi["apiVersion"] = "ImageStreamImport", API_VERSION
        isi["status"] = status
        return 201, isi


def _check_preconditions(meta: JSON, existing: JSON | None, name: str) -> None:
    """A body with resourceVersion and/or uid must match the stream (singular resource in messages)."""
    sent_rv, sent_uid = meta.get("resourceVersion"), meta.get("uid")
    if not sent_rv and not sent_uid:
        return
    if existing is None:
        raise not_found("imagestreams", name)
    current = existing.get("metadata") or {}
    if sent_uid and sent_uid != current.get("uid"):
        raise not_found("imagestream", name)
    if sent_rv and sent_rv != current.get("resourceVersion"):
        raise conflict("imagestream", name,
                       f'the image stream was updated from "{sent_rv}" to "{current.get("resourceVersion")}"')


def run_import(ctx: RequestContext, namespace: str, name: str, spec: JSON,
               preferences: Mapping[str, Mapping[str, str]] | None = None) -> JSON:
    """Resolve every requested image (and repository); with ``spec.import`` record them in the stream.

    ``preferences`` maps a destination tag to its spec tag annotations (prefer-arch/prefer-os), which the
    controller passes on. Returns the ImageStreamImport ``status``. Never dry-run (§2).
    """
    preferences = preferences or {}
    results: list[tuple[JSON, ImageResult]] = []
    image_statuses = []
    for item in spec.get("images") or []:
        to_tag = (item.get("to") or {}).get("name") or ""
        result = import_one(ctx, namespace, str(item["from"]["name"]), item.get("importPolicy"),
                            bool(item.get("includeManifest")), preferences.get(to_tag))
        results.append((item, result))
        image_statuses.append(result.status)
    status: JSON = {}
    if spec.get("images"):
        status["images"] = image_statuses
    repository = spec.get("repository")
    if isinstance(repository, dict):
        repository_status, repository_results = _import_repository(ctx, namespace, repository)
        status["repository"] = repository_status
        results.extend(repository_results)
    if spec.get("import"):
        stream = _record(ctx, namespace, name, results)
        if stream is not None:
            stream["kind"], stream["apiVersion"] = "ImageStream", API_VERSION
            status["import"] = stream
    return status


def _import_repository(ctx: RequestContext, namespace: str, repository: JSON) -> tuple[JSON, list[tuple[JSON, ImageResult]]]:
    """``spec.repository``: every tag of the repository up to the bulk limit, the rest in additionalTags."""
    registry = ctx.registry
    source = str((repository.get("from") or {}).get("name") or "")
    reference = parse_reference(source)
    tags = sorted(registry.tags(source), reverse=True)
    limit = ctx.config.max_images_bulk_imported_per_repository
    if not tags:
        try:
            registry.resolve(source, pull_secret_names(ctx, namespace))
            failure = None
        except RegistryError as error:
            failure = error.status
        if failure is None or failure.get("reason") == "NotFound":
            failure = not_found_status(reference.repository)
        return {"status": failure}, []
    results: list[tuple[JSON, ImageResult]] = []
    statuses = []
    for tag in tags[:limit]:
        from_name = reference.with_tag(tag).exact()
        result = import_one(ctx, namespace, from_name, repository.get("importPolicy"),
                            bool(repository.get("includeManifest")))
        statuses.append(result.status)
        item = {"from": {"kind": "DockerImage", "name": from_name}, "to": {"name": tag}, "fromRepository": True,
                "importPolicy": repository.get("importPolicy"), "referencePolicy": repository.get("referencePolicy")}
        results.append((item, result))
    failed = sum(1 for _, result in results if not result.succeeded)
    repository_status: JSON = {"status": copy_json(SUCCESS), "images": statuses}
    if failed:
        message = ("one of the images from this repository failed to import" if failed == 1
                   else f"{failed} of the images from this repository failed to import")
        repository_status["status"] = failure_status(500, "ImportFailed", message)
        del repository_status["status"]["code"]
    if tags[limit:]:
        repository_status["additionalTags"] = tags[limit:]
    return repository_status, results


def _record(ctx: RequestContext, namespace: str, name: str, results: list[tuple[JSON, ImageResult]]) -> JSON | None:
    """``import: true``: store the Images, then tag them into the stream (created when missing)."""
    for _, result in results:
        for index, image in enumerate(result.images_to_store):
            stored = create_image(ctx, strip_manifest(copy_json(image)))
            shown = result.status.get("image") or {}
            if index == 0 and stored is not None and "dockerImageManifest" not in shown:
                # A new Image is reported as stored (uid, resourceVersion, creationTimestamp).
                stored.pop("kind", None)
                stored.pop("apiVersion", None)
                result.status["image"] = stored
    now = now_text(ctx)

    def mutate(stream: JSON | None) -> JSON | None:
        is_new = stream is None
        target = new_stream(namespace, name) if stream is None else stream
        next_generation = 1 if is_new else int(metadata(target).get("generation") or 0) + 1
        changed = is_new
        for item, result in results:
            tag = (item.get("to") or {}).get("name") or ""
            if not tag:
                continue
            if result.succeeded:
                changed |= _import_succeeded(target, tag, item, result.status["image"], next_generation, now, ctx)
            else:
                changed |= _import_failed(target, tag, item, result.status["status"], next_generation, now, ctx)
        annotations = metadata(target).setdefault("annotations", {}) or {}
        metadata(target)["annotations"] = annotations
        if not changed and DOCKER_REPOSITORY_CHECK in annotations:
            return None
        annotations[DOCKER_REPOSITORY_CHECK] = now
        return target

    before, written = write_stream_with_retries(ctx, namespace, name, mutate, operation="create",
                                                resource="imagestreamimports", dry_run=False,
                                                keep_status_on_create=True)
    if written is not None:
        return written
    if before is not None:
        from ._imagestreams import decorate_stream

        decorate_stream(before, ctx.config)
    return before


def _import_succeeded(stream: JSON, tag: str, item: JSON, image: JSON, generation: int, now: str,
                      ctx: RequestContext) -> bool:
    """``importSuccessful``: point the spec tag at the source and record the event when the tag changed."""
    tags = spec_tags(stream)
    spec_tag = tags.get(tag)
    latest = latest_event(stream, tag)
    reference = str(image.get("dockerImageReference") or "")
    digest = str(image["metadata"]["name"])
    changed = (
        latest is None
        or latest.get("dockerImageReference") != reference
        or latest.get("image") != digest
        or spec_tag is None
        or int(spec_tag.get("generation") or 0) > int(latest.get("generation") or 0)
    )
    if spec_tag is None:
        spec_tag = {"name": tag}
        if item.get("referencePolicy"):
            spec_tag["referencePolicy"] = copy_json(item["referencePolicy"])
        tags[tag] = spec_tag
    if changed:
        spec_tag["from"] = {"kind": "DockerImage", "name": (item.get("from") or {}).get("name")}
        spec_tag["generation"] = 0
        record_tag_event(stream, tag, {"created": now, "dockerImageReference": reference, "image": digest,
                                       "generation": generation})
    if item.get("importPolicy") is not None and spec_tag.get("importPolicy") != item["importPolicy"]:
        spec_tag["importPolicy"] = copy_json(item["importPolicy"])
        changed = True
    default_tag_reference(spec_tag, ctx.config)
    set_spec_tags(stream, tags)
    statuses = status_tags(stream)
    if statuses.get(tag, {}).get("conditions"):
        statuses[tag].pop("conditions")
        set_status_tags(stream, statuses)
        changed = True
    return changed


def _import_failed(stream: JSON, tag: str, item: JSON, failure: JSON, generation: int, now: str,
                   ctx: RequestContext) -> bool:
    """``checkImportFailure``: an ImportSuccess=False condition (unless an identical one is there), which
    sets an existing spec tag's generation to 0; images asked for by ``spec.images`` also get a spec tag
    when they have none (``ensureSpecTag``), repository tags do not."""
    condition = {
        "type": "ImportSuccess", "status": "False", "lastTransitionTime": now,
        "reason": failure.get("reason") or "", "message": failure.get("message") or "unknown error prevented import",
        "generation": generation,
    }
    changed = False
    statuses = status_tags(stream)
    tags = spec_tags(stream)
    entry = statuses.setdefault(tag, {"tag": tag, "items": None})
    known = any(all(existing.get(key) == condition[key] for key in ("type", "status", "reason", "message"))
                for existing in entry.get("conditions") or [])
    if not known:
        entry["conditions"] = [condition]
        set_status_tags(stream, statuses)
        if tag in tags:
            tags[tag]["generation"] = 0
        changed = True
    if tag not in tags and not item.get("fromRepository"):
        tags[tag] = {"name": tag, "from": {"kind": "DockerImage", "name": (item.get("from") or {}).get("name")},
                     "generation": 0, "importPolicy": copy_json(item.get("importPolicy")),
                     "referencePolicy": copy_json(item.get("referencePolicy"))}
        default_tag_reference(tags[tag], ctx.config)
        changed = True
    set_spec_tags(stream, tags)
    return changed


# --------------------------------------------------------------------------------------------------
# the simulated import controller


def pending_imports(stream: JSON) -> list[JSON]:
    """The spec tags the image import controller would import: ``from: DockerImage``, not
    ``reference``, with a spec generation newer than every status event and condition of the tag."""
    pending = []
    statuses = status_tags(stream)
    for name, tag in spec_tags(stream).items():
        source = tag.get("from") or {}
        if source.get("kind") != "DockerImage" or tag.get("reference") or not source.get("name"):
            continue
        entry = statuses.get(name) or {}
        observed = [int(item.get("generation") or 0) for item in (entry.get("items") or [])[:1]]
        observed += [int(condition.get("generation") or 0) for condition in entry.get("conditions") or []]
        if int(tag.get("generation") or 0) > max(observed, default=0):
            pending.append(tag)
    return pending


def import_controller_hook(ctx: RequestContext, stored: JSON) -> None:
    """After a write to a stream, import its pending DockerImage tags as the controller would
    (an ImageStreamImport with ``import: true`` for each such tag). Off when
    ``ctx.config.simulate_import_controller`` is False."""
    if not ctx.config.simulate_import_controller:
        return
    pending = pending_imports(stored)
    if not pending:
        return
    meta = stored.get("metadata") or {}
    spec: JSON = {
        "import": True,
        "images": [
            {"from": {"kind": "DockerImage", "name": tag["from"]["name"]}, "to": {"name": tag["name"]},
             "importPolicy": copy_json(tag.get("importPolicy") or {}),
             "referencePolicy": copy_json(tag.get("referencePolicy") or {})}
            for tag in pending
        ],
    }
    preferences = {tag["name"]: dict(tag.get("annotations") or {}) for tag in pending}
    try:
        run_import(ctx, str(meta.get("namespace") or ""), str(meta.get("name") or ""), spec, preferences)
    except StatusError:
        # The real controller logs and retries later; a failed background import never fails the
        # user's request.
        return
