"""Docker image references and digests, parsed the way the image API server parses them.

A reference is ``[registry/][namespace/]name[:tag][@digest]``. The server accepts names without a
registry (``nginx``), keeps the first path component as the namespace when there are two or more, and
rejects anything else with "invalid reference format". The grammar follows the distribution
reference rules (lower-case path components separated by ``.``, ``_``, ``__`` or dashes).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace

_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
DIGEST_PATTERN = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}"

_PATH_RE = re.compile(rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*")
_DOMAIN_RE = re.compile(_DOMAIN)
_TAG_RE = re.compile(_TAG)
_DIGEST_RE = re.compile(DIGEST_PATTERN)

INVALID_REFERENCE_FORMAT = "invalid reference format"


class InvalidReference(ValueError):
    """A string that is not a docker image reference."""


@dataclass(frozen=True)
class DockerImageReference:
    """The parts of ``registry/namespace/name:tag@id`` (any may be empty except ``name``)."""

    registry: str = ""
    namespace: str = ""
    name: str = ""
    tag: str = ""
    id: str = ""

    @property
    def repository_path(self) -> str:
        """``namespace/name`` (or just ``name``)."""
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    @property
    def repository(self) -> str:
        """The reference without tag or id: ``registry/namespace/name``."""
        return f"{self.registry}/{self.repository_path}" if self.registry else self.repository_path

    def exact(self) -> str:
        """The full string form: repository, then ``:tag`` and ``@id`` when set."""
        text = self.repository
        if self.tag:
            text += ":" + self.tag
        if self.id:
            text += "@" + self.id
        return text

    def most_specific(self) -> str:
        """``repository@id`` when an id is known, else ``repository:tag`` (the form imports report)."""
        if self.id:
            return f"{self.repository}@{self.id}"
        return self.exact()

    def with_id(self, image_id: str) -> DockerImageReference:
        """The same repository pointing at ``image_id`` (the tag is dropped, as MostSpecific does)."""
        return replace(self, tag="", id=image_id)

    def with_tag(self, tag: str) -> DockerImageReference:
        """The same repository with ``tag`` and no id."""
        return replace(self, tag=tag, id="")


def parse_reference(text: str) -> DockerImageReference:
    """Parse ``text`` or raise :class:`InvalidReference` with "invalid reference format"."""
    if not text:
        raise InvalidReference(INVALID_REFERENCE_FORMAT)
    remainder = text
    image_id = ""
    if "@" in remainder:
        remainder, image_id = remainder.split("@", 1)
        if not _DIGEST_RE.fullmatch(image_id):
            raise InvalidReference(INVALID_REFERENCE_FORMAT)
    tag = ""
    slash = remainder.rfind("/")
    colon = remainder.rfind(":")
    if colon > slash:
        remainder, tag = remainder[:colon], remainder[colon + 1:]
        if not _TAG_RE.fullmatch(tag):
            raise InvalidReference(INVALID_REFERENCE_FORMAT)
    registry = ""
    parts = remainder.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry = parts[0]
        if not _DOMAIN_RE.fullmatch(registry):
            raise InvalidReference(INVALID_REFERENCE_FORMAT)
        parts = parts[1:]
    path = "/".join(parts)
    if not path or not _PATH_RE.fullmatch(path) or len(path) > 255:
        raise InvalidReference(INVALID_REFERENCE_FORMAT)
    namespace, name = ("", parts[0]) if len(parts) == 1 else (parts[0], "/".join(parts[1:]))
    return DockerImageReference(registry=registry, namespace=namespace, name=name, tag=tag, id=image_id)


def is_valid_reference(text: str) -> bool:
    """Whether ``text`` parses as an image reference."""
    try:
        parse_reference(text)
    except InvalidReference:
        return False
    return True


def is_digest(text: str) -> bool:
    """Whether ``text`` has the digest form ``algorithm:hex`` (at least 32 hex digits)."""
    return bool(_DIGEST_RE.fullmatch(text))


def sha256_digest(data: bytes | str) -> str:
    """``sha256:<hex>`` of ``data`` (text is encoded as UTF-8)."""
    raw = data.encode() if isinstance(data, str) else data
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def digest_or_image_match(image_name: str, image_id: str) -> bool:
    """Whether ``image_id`` names ``image_name``: a prefix of the digest or of its hex part."""
    if image_name.startswith(image_id):
        return True
    _, _, hex_part = image_name.partition(":")
    return bool(hex_part) and hex_part.startswith(image_id)


def strip_tag_and_id(text: str) -> str:
    """A repository string with any tag or id removed; unparseable text is returned unchanged."""
    try:
        return parse_reference(text).repository
    except InvalidReference:
        return text
