"""Container image references (``registry/namespace/name:tag@digest``), read the way ``oc`` reads them.

The split follows library-go's ``reference.Parse``: the first path component is a registry only when
it looks like a host (it holds a ``.`` or a ``:``, or is ``localhost``); the next component is the
namespace and the rest the name. ``oc tag`` infers its source kind from these parts, and ``oc adm
prune images`` matches pod images to image streams with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

__all__ = ["ImageReference", "InvalidReferenceError", "is_digest", "parse_reference"]

# The distribution reference grammar (docker/distribution ``reference/regexp.go``).
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"{_HOST_PART}(?:\.{_HOST_PART})*(?::[0-9]+)?"
_REFERENCE = re.compile(
    rf"(?P<repository>(?:{_HOST}/)?{_COMPONENT}(?:/{_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?"
)
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
_NAME_LIMIT = 255


class InvalidReferenceError(ValueError):
    """Text that is not a container image reference."""


@dataclass(frozen=True)
class ImageReference:
    """The parts of an image reference; any may be empty except ``name``."""

    registry: str = ""
    namespace: str = ""
    name: str = ""
    tag: str = ""
    id: str = ""

    @property
    def name_string(self) -> str:
        """``name@id``, ``name:tag`` or ``name`` (library-go's ``NameString``)."""
        if self.id:
            return f"{self.name}@{self.id}"
        if self.tag:
            return f"{self.name}:{self.tag}"
        return self.name

    @property
    def repository(self) -> str:
        """``registry/namespace/name`` without tag or digest."""
        return "/".join(part for part in (self.registry, self.namespace, self.name) if part)

    def exact(self) -> str:
        """Every part that is set, nothing defaulted (library-go's ``Exact``)."""
        return "/".join(part for part in (self.registry, self.namespace, self.name_string) if part)

    def most_specific(self) -> str:
        """``repository@id`` when the digest is known, else :meth:`exact`."""
        return f"{self.repository}@{self.id}" if self.id else self.exact()

    def with_id(self, image_id: str) -> ImageReference:
        """The same repository pinned to ``image_id`` (the tag dropped)."""
        return replace(self, tag="", id=image_id)

    def docker_client_defaults(self) -> ImageReference:
        """What a Docker client assumes: ``docker.io``, ``library/`` on Docker Hub, tag ``latest``."""
        registry = self.registry or "docker.io"
        namespace = self.namespace
        if not namespace and registry in ("docker.io", "index.docker.io", "registry-1.docker.io"):
            namespace = "library"
        return replace(self, registry=registry, namespace=namespace, tag=self.tag or "latest")


def is_digest(text: str) -> bool:
    """Whether ``text`` is a digest (``sha256:<hex>``)."""
    return bool(_DIGEST.fullmatch(text))


def parse_reference(text: str) -> ImageReference:
    """Split ``text`` into its parts; :class:`InvalidReferenceError` when it is not a reference."""
    match = _REFERENCE.fullmatch(text or "")
    if match is None or len(match["repository"]) > _NAME_LIMIT:
        raise InvalidReferenceError(f"invalid reference format: {text!r}")
    repository = match["repository"]
    first, slash, rest = repository.partition("/")
    registry, path = "", repository
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    namespace, slash, name = path.partition("/")
    if not slash:
        namespace, name = "", path
    return ImageReference(registry=registry, namespace=namespace, name=name, tag=match["tag"] or "",
                          id=match["digest"] or "")
