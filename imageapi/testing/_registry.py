"""The fake external container registry that ImageStreamImport (and the simulated import controller) reads.

Nothing here talks to a network: :class:`FakeRegistry` generates, from a reference alone, a realistic
schema2 manifest, a config blob, layer digests and sizes and the Docker-style metadata the image API
shows, deterministically for the same inputs. Tests add images (``add_image``) or whole repositories
(``add_repository``), and can make references fail the way a real registry makes imports fail.

Example (``FakeCluster().registry`` is one of these)::

    registry = FakeRegistry()
    image = registry.add_image("quay.io/org/app:1.0", labels={"version": "1.0"})
    image["metadata"]["name"]      # "sha256:…" (the manifest digest)
    registry.add_image("quay.io/org/multi:1", manifest_list=True)   # linux amd64/arm64/ppc64le/s390x
    registry.add_repository("quay.io/org/tools", ["1.0", "1.1", "latest"])
    registry.fail("quay.io/org/private")                            # Unauthorized for the repository
    registry.require_auth("private.example.com", "pull-secret")     # needs that docker secret
    registry.remove_image("quay.io/org/app:1.0")                    # the tag is gone (the digest stays)

Imports of unknown references fail per image with NotFound
``dockerimage.image.openshift.io "<ref>" not found``, as the server reports them. Short Docker Hub
names are normalised (``nginx`` is ``docker.io/library/nginx:latest``).
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from .._resource_info import API_VERSION
from ._references import DockerImageReference, InvalidReference, parse_reference, sha256_digest
from ._status import StatusError, embedded, not_found

JSON = dict[str, Any]

SCHEMA2_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
SCHEMA2_CONFIG = "application/vnd.docker.container.image.v1+json"
SCHEMA2_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DEFAULT_PLATFORMS: tuple[tuple[str, str, str], ...] = (
    ("amd64", "linux", ""), ("arm64", "linux", "v8"), ("ppc64le", "linux", ""), ("s390x", "linux", ""),
)
_EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)


class RegistryError(Exception):
    """An import of one reference failed; ``status`` is the per-image Status the server reports."""

    def __init__(self, status: JSON) -> None:
        super().__init__(status.get("message", ""))
        self.status = status


def failure_status(code: int, reason: str, message: str) -> JSON:
    """A failure ``Status`` as it appears inside ``ImageStreamImport.status`` (no kind/apiVersion)."""
    return embedded(StatusError(code, reason, message).to_status())


def not_found_status(reference: str) -> JSON:
    """NotFound ``dockerimage.image.openshift.io "<ref>" not found``."""
    return embedded(not_found("dockerimage", reference).to_status())


def unauthorized_status(reference: str) -> JSON:
    """Unauthorized ``you may not have access to the container image "<ref>"``."""
    return failure_status(401, "Unauthorized", f'you may not have access to the container image "{reference}"')


def repository_key(ref: DockerImageReference) -> str:
    """The registry-qualified repository used as a lookup key (``docker.io/library/nginx`` for ``nginx``)."""
    registry = ref.registry or "docker.io"
    if registry in ("docker.io", "index.docker.io", "registry-1.docker.io"):
        registry = "docker.io"
        namespace = ref.namespace or "library"
        return f"{registry}/{namespace}/{ref.name}"
    return f"{registry}/{ref.repository_path}"


@dataclass
class RegistryImage:
    """One manifest stored in the fake registry: its Image JSON and, for a manifest list, its children."""

    image: JSON
    children: list[JSON] = field(default_factory=list)

    @property
    def digest(self) -> str:
        """The manifest digest (the Image's name)."""
        return str(self.image["metadata"]["name"])


@dataclass
class Resolved:
    """The result of resolving a reference: the manifest found and the reference it was asked for."""

    entry: RegistryImage
    reference: DockerImageReference


class FakeRegistry:
    """An in-memory registry of generated images, keyed by repository and tag or digest.

    Thread-safe: the fake cluster may serve requests from several threads.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._tags: dict[str, dict[str, str]] = {}  # repository key -> tag -> digest
        self._manifests: dict[str, dict[str, RegistryImage]] = {}  # repository key -> digest -> entry
        self._failures: dict[str, JSON] = {}  # exact reference or repository key -> failure Status
        self._auth: dict[str, str] = {}  # registry host -> name of the pull secret it requires

    # -- content ------------------------------------------------------------------------------------

    def add_image(
        self,
        reference: str,
        *,
        architecture: str = "amd64",
        os: str = "linux",
        variant: str = "",
        layers: int | Sequence[int] = 8,
        labels: Mapping[str, str] | None = None,
        env: Sequence[str] | None = None,
        cmd: Sequence[str] | None = None,
        created: datetime | str | None = None,
        manifest_list: bool = False,
        platforms: Iterable[tuple[str, str, str]] | None = None,
    ) -> JSON:
        """Publish an image at ``reference`` (``repo:tag``; the tag defaults to ``latest``).

        ``layers`` is a layer count or a list of layer sizes. With ``manifest_list=True`` the tag points
        at a manifest list with one child per ``platforms`` entry ``(architecture, os, variant)`` (four
        common Linux platforms by default). Returns (a copy of) the Image JSON an import would produce:
        for a manifest list, the list's Image with ``dockerImageManifests`` filled.
        """
        ref = parse_reference(reference)
        tag = ref.tag or ("" if ref.id else "latest")
        key = repository_key(ref)
        repository = ref.repository
        if manifest_list:
            children = [
                self._build_image(repository, f"{tag}/{arch}/{system}/{var}", arch, system, var, layers,
                                  labels, env, cmd, created)
                for arch, system, var in (platforms or DEFAULT_PLATFORMS)
            ]
            entry = RegistryImage(self._build_list(repository, children), children)
        else:
            entry = RegistryImage(self._build_image(repository, tag, architecture, os, variant, layers, labels,
                                                    env, cmd, created))
        with self._lock:
            manifests = self._manifests.setdefault(key, {})
            manifests[entry.digest] = entry
            for child in entry.children:
                manifests[child["metadata"]["name"]] = RegistryImage(child)
            if tag:
                self._tags.setdefault(key, {})[tag] = entry.digest
        return copy.deepcopy(entry.image)

    def add_repository(self, repository: str, tags: Iterable[str] | Mapping[str, Mapping[str, Any]]) -> dict[str, JSON]:
        """Publish several tags under ``repository`` (for repository imports); returns tag -> Image.

        ``tags`` is a list of tag names, or a map of tag name to keyword arguments of :meth:`add_image`.
        """
        options: Mapping[str, Mapping[str, Any]] = tags if isinstance(tags, Mapping) else {tag: {} for tag in tags}
        return {tag: self.add_image(f"{repository}:{tag}", **dict(kwargs)) for tag, kwargs in options.items()}

    def remove_image(self, reference: str) -> None:
        """Unpublish a tag (``repo:tag``) or a manifest (``repo@digest``); unknown references are ignored."""
        ref = parse_reference(reference)
        key = repository_key(ref)
        with self._lock:
            if ref.id:
                self._manifests.get(key, {}).pop(ref.id, None)
                for tag, digest in list(self._tags.get(key, {}).items()):
                    if digest == ref.id:
                        del self._tags[key][tag]
            else:
                self._tags.get(key, {}).pop(ref.tag or "latest", None)

    def tags(self, repository: str) -> list[str]:
        """The tags published in ``repository``."""
        with self._lock:
            return sorted(self._tags.get(repository_key(parse_reference(repository)), {}))

    # -- failures and auth --------------------------------------------------------------------------

    def fail(self, reference: str, reason: str = "Unauthorized", message: str | None = None, code: int | None = None) -> None:
        """Make imports of ``reference`` (exact text, or a whole repository) fail with ``reason``.

        ``Unauthorized`` and ``NotFound`` use the server's messages; other reasons need ``message``
        (``InternalError`` defaults to code 500, ``BadRequest`` to 400, ``Forbidden`` to 403).
        """
        codes = {"Unauthorized": 401, "NotFound": 404, "BadRequest": 400, "Forbidden": 403, "InternalError": 500}
        if reason == "Unauthorized" and message is None:
            status = unauthorized_status(reference)
        elif reason == "NotFound" and message is None:
            status = not_found_status(reference)
        else:
            status = failure_status(code or codes.get(reason, 500), reason, message or reason)
        with self._lock:
            self._failures[reference] = status

    def clear_failure(self, reference: str) -> None:
        """Undo :meth:`fail`."""
        with self._lock:
            self._failures.pop(reference, None)

    def require_auth(self, registry_host: str, secret_name: str) -> None:
        """Imports from ``registry_host`` succeed only when the target namespace has a docker pull secret
        named ``secret_name``; otherwise they fail with Unauthorized."""
        with self._lock:
            self._auth[registry_host] = secret_name

    # -- lookups (used by the import code) ----------------------------------------------------------

    def resolve(self, reference: str, secret_names: Iterable[str] = ()) -> Resolved:
        """The manifest ``reference`` names (by tag, ``latest`` when none, or by digest).

        Raises :class:`RegistryError` with the per-image failure Status when it cannot be imported.
        """
        try:
            ref = parse_reference(reference)
        except InvalidReference as error:
            raise RegistryError(failure_status(422, "Invalid", f"{reference}: {error}")) from None
        if not ref.tag and not ref.id:
            ref = ref.with_tag("latest")
        key = repository_key(ref)
        with self._lock:
            failure = self._failures.get(reference) or self._failures.get(ref.exact()) or self._failures.get(ref.repository)
            if failure is not None:
                raise RegistryError(copy.deepcopy(failure))
            required = self._auth.get(ref.registry or "docker.io")
            if required is not None and required not in set(secret_names):
                raise RegistryError(unauthorized_status(ref.exact()))
            digest = ref.id or self._tags.get(key, {}).get(ref.tag, "")
            entry = self._manifests.get(key, {}).get(digest)
            if entry is None:
                raise RegistryError(not_found_status(ref.exact()))
            return Resolved(copy.deepcopy(entry), ref)

    def lookup(self, reference: str) -> JSON | None:
        """The Image JSON ``reference`` (``repo:tag`` or ``repo@digest``) names, or None (no failure rules)."""
        ref = parse_reference(reference)
        key = repository_key(ref)
        with self._lock:
            digest = ref.id or self._tags.get(key, {}).get(ref.tag or "latest", "")
            entry = self._manifests.get(key, {}).get(digest)
            return copy.deepcopy(entry.image) if entry else None

    def manifest(self, repository: str, digest: str) -> RegistryImage | None:
        """A manifest of ``repository`` by digest (children of manifest lists included)."""
        with self._lock:
            entry = self._manifests.get(repository_key(parse_reference(repository)), {}).get(digest)
            return copy.deepcopy(entry) if entry else None

    def auth_required(self, registry_host: str) -> str | None:
        """The pull secret name a registry requires, if any."""
        with self._lock:
            return self._auth.get(registry_host)

    # -- generation -------------------------------------------------------------------------------

    def _build_image(self, repository: str, tag: str, architecture: str, os: str, variant: str,
                     layers: int | Sequence[int], labels: Mapping[str, str] | None, env: Sequence[str] | None,
                     cmd: Sequence[str] | None, created: datetime | str | None) -> JSON:
        seed = f"{repository}:{tag}:{architecture}/{os}/{variant}"
        sizes = list(layers) if not isinstance(layers, int) else [_size(seed, index) for index in range(layers)]
        layer_digests = [sha256_digest(f"{seed}:layer:{index}:{size}") for index, size in enumerate(sizes)]
        created_text = _created_text(seed, created)
        container_config: JSON = {
            "Env": list(env) if env is not None else ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Cmd": list(cmd) if cmd is not None else ["/bin/sh"],
            "Labels": dict(labels) if labels else None,
        }
        config_blob: JSON = {
            "architecture": architecture, "os": os, "created": created_text,
            "config": container_config,
            "rootfs": {"type": "layers", "diff_ids": [sha256_digest(f"{digest}:diff") for digest in layer_digests]},
            "history": [{"created": created_text, "created_by": f"/bin/sh -c #(nop) layer {index}"}
                        for index in range(len(sizes))],
        }
        if variant:
            config_blob["variant"] = variant
        config_text = json.dumps(config_blob, sort_keys=True, separators=(",", ":"))
        config_digest = sha256_digest(config_text)
        manifest_text = json.dumps({
            "schemaVersion": 2, "mediaType": SCHEMA2_MANIFEST,
            "config": {"mediaType": SCHEMA2_CONFIG, "size": len(config_text), "digest": config_digest},
            "layers": [{"mediaType": SCHEMA2_LAYER, "size": size, "digest": digest}
                       for size, digest in zip(sizes, layer_digests, strict=True)],
        }, indent=3)
        digest = sha256_digest(manifest_text)
        metadata: JSON = {
            "kind": "DockerImage", "apiVersion": "image.openshift.io/1.0",
            "Id": config_digest, "Created": created_text,
            "ContainerConfig": {},
            "Config": {key: value for key, value in container_config.items() if value is not None},
            "Architecture": architecture,
            "Size": sum(sizes) + len(config_text),
        }
        return {
            "kind": "Image", "apiVersion": API_VERSION,
            "metadata": {"name": digest, "annotations": {"image.openshift.io/dockerLayersOrder": "ascending"}},
            "dockerImageReference": f"{repository}@{digest}",
            "dockerImageMetadata": metadata,
            "dockerImageMetadataVersion": "1.0",
            "dockerImageLayers": [{"name": digest_, "size": size, "mediaType": SCHEMA2_LAYER}
                                  for size, digest_ in zip(sizes, layer_digests, strict=True)],
            "dockerImageManifestMediaType": SCHEMA2_MANIFEST,
            "dockerImageManifest": manifest_text,
            "dockerImageConfig": config_text,
        }

    def _build_list(self, repository: str, children: list[JSON]) -> JSON:
        entries = []
        for child in children:
            config = json.loads(child["dockerImageConfig"])
            platform: JSON = {"architecture": config["architecture"], "os": config["os"]}
            if config.get("variant"):
                platform["variant"] = config["variant"]
            entries.append({"mediaType": SCHEMA2_MANIFEST, "size": len(child["dockerImageManifest"]),
                            "digest": child["metadata"]["name"], "platform": platform})
        manifest_text = json.dumps({"schemaVersion": 2, "mediaType": MANIFEST_LIST, "manifests": entries}, indent=3)
        digest = sha256_digest(manifest_text)
        return {
            "kind": "Image", "apiVersion": API_VERSION,
            "metadata": {"name": digest},
            "dockerImageReference": f"{repository}@{digest}",
            "dockerImageMetadata": {"kind": "DockerImage", "apiVersion": "image.openshift.io/1.0",
                                    "Id": "", "Created": None, "ContainerConfig": {}},
            "dockerImageMetadataVersion": "1.0",
            "dockerImageManifestMediaType": MANIFEST_LIST,
            "dockerImageManifest": manifest_text,
            "dockerImageManifests": [
                {"digest": entry["digest"], "mediaType": entry["mediaType"], "manifestSize": entry["size"],
                 "architecture": entry["platform"]["architecture"], "os": entry["platform"]["os"],
                 **({"variant": entry["platform"]["variant"]} if "variant" in entry["platform"] else {})}
                for entry in entries
            ],
        }


def _size(seed: str, index: int) -> int:
    """A plausible layer size (1 KiB to 64 MiB), derived from the seed."""
    value = int.from_bytes(hashlib.sha256(f"{seed}:size:{index}".encode()).digest()[:4], "big")
    return 1024 + value % (64 * 1024 * 1024)


def _created_text(seed: str, created: datetime | str | None) -> str:
    if isinstance(created, str):
        return created
    if created is None:
        offset = int.from_bytes(hashlib.sha256(f"{seed}:created".encode()).digest()[:4], "big") % (365 * 86400)
        created = _EPOCH + timedelta(seconds=offset)
    if created.tzinfo is not None:
        created = created.astimezone(timezone.utc)
    return created.strftime("%Y-%m-%dT%H:%M:%SZ")
