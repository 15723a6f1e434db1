"""TEMPORARY stand-ins for modules other engineers are writing (resource table, selectors, patch).

Each import site tries the real module first; this file goes away once they have all landed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from .._resource_info import ResourceInfo, SubresourceInfo
from ._status import bad_request

_ALL = frozenset({"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"})
_TAGS = frozenset({"create", "delete", "get", "list", "patch", "update"})


def _res(plural: str, kind: str, namespaced: bool, verbs: frozenset[str], short: tuple[str, ...] = (),
         cats: tuple[str, ...] = (), subs: Mapping[str, SubresourceInfo] | None = None,
         list_kind: str | None = None, chunking: bool = True) -> ResourceInfo:
    return ResourceInfo(plural=plural, singular=plural[:-1], kind=kind,
                        list_kind=list_kind if list_kind is not None else (kind + "List" if "list" in verbs else None),
                        namespaced=namespaced, verbs=verbs, short_names=short, categories=cats,
                        list_chunking=chunking, create_response_type=kind if "create" in verbs else None,
                        subresources=subs or {})


RESOURCES: Mapping[str, ResourceInfo] = {
    "images": _res("images", "Image", False, _ALL),
    "imagesignatures": _res("imagesignatures", "ImageSignature", False, frozenset({"create", "delete"})),
    "imagestreams": _res("imagestreams", "ImageStream", True, _ALL, ("is",), ("all",), {
        "status": SubresourceInfo("status", "ImageStream", frozenset({"get", "patch", "update"}),
                                  "ImageStream", "ImageStream"),
        "layers": SubresourceInfo("layers", "ImageStreamLayers", frozenset({"get"}), None, "ImageStreamLayers"),
        "secrets": SubresourceInfo("secrets", "SecretList", frozenset({"get"}), None, "SecretList"),
    }),
    "imagestreamtags": _res("imagestreamtags", "ImageStreamTag", True, _TAGS, ("istag",), chunking=False),
    "imagetags": _res("imagetags", "ImageTag", True, _TAGS, ("itag",), chunking=False),
    "imagestreamimages": _res("imagestreamimages", "ImageStreamImage", True, frozenset({"get"}), ("isimage",)),
    "imagestreamimports": _res("imagestreamimports", "ImageStreamImport", True, frozenset({"create"})),
    "imagestreammappings": _res("imagestreammappings", "ImageStreamMapping", True, frozenset({"create"})),
}


class LabelSelector:
    """Equality-only label selector (stand-in)."""

    def __init__(self, requirements: list[tuple[str, str, str]]) -> None:
        self.requirements = requirements

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether the labels satisfy every requirement."""
        for key, op, value in self.requirements:
            if op == "exists" and key not in labels:
                return False
            if op == "=" and labels.get(key) != value:
                return False
            if op == "!=" and labels.get(key) == value:
                return False
        return True


def _split(text: str) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "!=" in part:
            key, value = part.split("!=", 1)
            out.append((key.strip(), "!=", value.strip()))
        elif "=" in part:
            key, value = part.split("==", 1) if "==" in part else part.split("=", 1)
            out.append((key.strip(), "=", value.strip()))
        else:
            out.append((part, "exists", ""))
    return out


def parse_label_selector(text: str) -> LabelSelector:
    """Parse an equality-based label selector."""
    return LabelSelector(_split(text))


class FieldSelector:
    """Equality-only field selector (stand-in)."""

    def __init__(self, requirements: list[tuple[str, str, str]]) -> None:
        self.requirements = requirements

    def matches(self, get_value: Callable[[str], str]) -> bool:
        """Whether the object's field values satisfy every requirement."""
        for field_path, op, value in self.requirements:
            actual = get_value(field_path)
            if (op == "=" and actual != value) or (op == "!=" and actual == value):
                return False
        return True


def parse_field_selector(text: str) -> FieldSelector:
    """Parse an equality-based field selector."""
    reqs = _split(text)
    for _key, op, _value in reqs:
        if op == "exists":
            raise bad_request(f'invalid selector: \'{text}\'; can\'t understand \'{text}\'')
    return FieldSelector(reqs)


def merge_patch(doc: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(doc) if isinstance(doc, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def json_patch(doc: Any, ops: Any) -> Any:
    """A small RFC 6902 subset: add, replace, remove, test."""
    doc = copy.deepcopy(doc)
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent = doc
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent[part]
        last = parts[-1]
        kind = op["op"]
        if isinstance(parent, list):
            index = len(parent) if last == "-" else int(last)
            if kind == "add":
                parent.insert(index, op["value"])
            elif kind == "replace":
                parent[index] = op["value"]
            elif kind == "remove":
                del parent[index]
        elif kind in ("add", "replace"):
            parent[last] = op["value"]
        elif kind == "remove":
            del parent[last]
        elif kind == "test" and parent.get(last) != op["value"]:
            raise bad_request("test failed")
    return doc


def strategic_merge_patch(doc: Any, patch: Any, schema: Any) -> Any:
    """Stand-in: a merge patch."""
    return merge_patch(doc, patch)


def apply_patch(live: Any, applied: Any, schema: Any, *, field_manager: str, force: bool) -> Any:
    """Stand-in: a merge patch onto the live object."""
    return merge_patch(live or {}, applied)


class PatchSchema:
    """Stand-in for the patch schema."""

    @classmethod
    def for_kind(cls, normalized_schema: Any, type_name: str) -> PatchSchema:
        """Nothing to look up in the stand-in."""
        return cls()
