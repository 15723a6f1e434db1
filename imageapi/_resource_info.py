"""Descriptions of the API resources, filled in by the generated ``imageapi._resource_table``.

The table says, per resource, what the real server supports (verbs, scope, subresources), so the
client only offers verbs that exist and the fake cluster only serves routes that exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

GROUP = "image.openshift.io"
VERSION = "v1"
API_VERSION = f"{GROUP}/{VERSION}"


@dataclass(frozen=True)
class SubresourceInfo:
    """A subresource such as ``imagestreams/status``: its verbs and body types."""

    name: str
    kind: str
    verbs: frozenset[str]
    request_type: str | None
    response_type: str


@dataclass(frozen=True)
class ResourceInfo:
    """One resource of the group: names, scope, verbs and subresources as the server has them."""

    plural: str
    singular: str
    kind: str
    list_kind: str | None
    namespaced: bool
    verbs: frozenset[str]
    short_names: tuple[str, ...]
    categories: tuple[str, ...]
    list_chunking: bool
    create_response_type: str | None
    subresources: Mapping[str, SubresourceInfo]
    group: str = GROUP
    version: str = VERSION

    @property
    def api_version(self) -> str:
        """The ``apiVersion`` string of this resource's objects (``v1`` alone for the core group)."""
        return f"{self.group}/{self.version}" if self.group else self.version

    def supports(self, verb: str) -> bool:
        """Whether the server serves ``verb`` (``get``, ``list``, ``watch``, …) on this resource."""
        return verb in self.verbs
