"""Manifests: YAML or JSON files of API objects, read into typed models, written back, applied.

::

    from imageapi import manifests

    objects = manifests.load_file("streams.yaml")      # [ImageStream(...), ImageStreamTag(...), ...]
    print(manifests.dump(objects))                     # YAML, wire names, no managedFields
    with Client() as client:
        manifests.apply(client, objects)               # like `kubectl apply --server-side -f`

A file may hold many YAML documents (``---``), a JSON object, and ``List`` kinds (``v1 List``,
``ImageStreamList``, …) whose items become objects of their own. Objects are typed by ``apiVersion``
and ``kind``; a kind outside ``image.openshift.io/v1`` is a :class:`ManifestError`. Every error names
the file, line and column where the problem is (a bad value: where that value is written).

YAML is read with PyYAML's safe loader (the C one when libyaml is there); timestamps stay strings,
as Kubernetes' own YAML reader keeps them, and a key written twice in one mapping is an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from os import PathLike, fspath
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .errors import ImageAPIError

if TYPE_CHECKING:
    from ._client import AsyncClient, Client
    from .models import ApiModel

__all__ = [
    "DEFAULT_FIELD_MANAGER",
    "ManifestError",
    "YAMLSyntaxError",
    "apply",
    "apply_async",
    "dump",
    "load",
    "load_file",
    "parse_yaml",
]

DEFAULT_FIELD_MANAGER = "imageapi"
"""The field manager ``apply`` writes as (kubectl's is ``kubectl``)."""

_IMAGE_API_VERSION = "image.openshift.io/v1"
_LIST_KINDS = frozenset({"List"})  # core v1 List: items of any kind


class ManifestError(ImageAPIError):
    """A manifest that cannot be read: names the file (or ``<string>``), line and column, and the problem."""

    def __init__(self, problem: str, *, path: str | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        self.problem = problem
        self.path = path
        self.line = line
        """1-based line of the problem, when known."""
        self.column = column
        """1-based column of the problem, when known."""
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path or "<string>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.problem}"


class YAMLSyntaxError(ValueError):
    """Text that is not YAML, or not the YAML we accept; ``line``/``column`` are 1-based.

    The message never quotes the offending text: a kubeconfig's broken line may hold a token.
    """

    def __init__(self, problem: str, line: int | None, column: int | None) -> None:
        self.problem = problem
        self.line = line
        self.column = column
        where = f"line {line}, column {column}: " if line is not None else ""
        super().__init__(f"{where}{problem}")


# -- reading YAML -----------------------------------------------------------------------------------

_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """PyYAML's safe loader (C parser when available) without timestamp resolution, refusing duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = self.construct_scalar(key_node)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r} in a mapping", key_node.start_mark
                    )
                seen.add(key)
        result: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return result


# Timestamps stay strings (as sigs.k8s.io/yaml keeps them): a model parses them, a kubeconfig never has one.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


def _syntax_error(exc: yaml.YAMLError, text: str | bytes) -> YAMLSyntaxError:
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or "not valid YAML"
    context = getattr(exc, "context", None)
    if context and context_mark is not None:
        problem = f"{problem} ({context} started at line {context_mark.line + 1}, column {context_mark.column + 1})"
    elif context:
        problem = f"{problem} ({context})"
    mark = problem_mark or context_mark
    # A construct left open until the end of the text (a flow mapping, a quote) is found wrong only
    # there; where it started is where to look.
    if context_mark is not None and problem_mark is not None and not text[problem_mark.index:].strip():
        mark = context_mark
    if mark is None:
        return YAMLSyntaxError(problem, None, None)
    return YAMLSyntaxError(problem, mark.line + 1, mark.column + 1)


def _compose(text: str | bytes) -> list[tuple[Any, yaml.Node]]:
    """Each document of ``text`` with its node tree (the node tree knows where each value was written)."""
    loader = _Loader(text)
    documents: list[tuple[Any, yaml.Node]] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            documents.append((loader.construct_document(node), node))
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, text) from None
    finally:
        loader.dispose()
    return documents


def parse_yaml(text: str | bytes) -> list[Any]:
    """The documents of a YAML text as plain Python values (PyYAML safe loading, timestamps as strings).

    Raises :class:`YAMLSyntaxError` with the line and column of a syntax error or a duplicate key.
    """
    return [data for data, _ in _compose(text)]


# -- typing documents -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """Where documents came from, to point errors at a line and column."""

    path: str | None
    text: str

    def error(self, problem: str, node: yaml.Node | None = None) -> ManifestError:
        if node is None:
            return ManifestError(problem, path=self.path)
        mark = node.start_mark
        return ManifestError(problem, path=self.path, line=mark.line + 1, column=mark.column + 1)


def _kinds() -> dict[tuple[str, str], type[ApiModel]]:
    """Every top-level kind the SDK has a model for, by (apiVersion, kind)."""
    from . import models

    kinds: dict[tuple[str, str], type[ApiModel]] = {}
    for name in models.__all__:
        value = getattr(models, name)
        api_version, kind = getattr(value, "__api_version__", None), getattr(value, "__kind__", None)
        if isinstance(value, type) and api_version and kind:
            kinds[(api_version, kind)] = value
    return kinds


def _child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    """The node of ``key`` (a mapping key or a sequence index) under ``node``, if it is there."""
    if isinstance(node, yaml.MappingNode) and isinstance(key, str):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                found: yaml.Node = value_node
                return found
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        child: yaml.Node = node.value[key]
        return child
    return None


def _node_at(node: yaml.Node | None, loc: Sequence[str | int]) -> yaml.Node | None:
    """The deepest node along a pydantic error location (the value itself, or its nearest parent)."""
    found = node
    for key in loc:
        child = _child(found, key)
        if child is None:
            break
        found = child
    return found


def _typed(data: Any, node: yaml.Node | None, source: _Source, kinds: dict[tuple[str, str], type[ApiModel]],
           defaults: tuple[str, str] | None = None) -> list[ApiModel]:
    """One document as models: a list kind expands to its items; ``defaults`` fills a list item's type."""
    from pydantic import ValidationError

    from .models import wire_path

    if not isinstance(data, dict):
        raise source.error(f"a manifest must be a mapping with apiVersion and kind, not {type(data).__name__}",
                           node)
    api_version = data.get("apiVersion") or (defaults[0] if defaults else None)
    kind = data.get("kind") or (defaults[1] if defaults else None)
    if not api_version or not kind:
        missing = "apiVersion" if not api_version else "kind"
        raise source.error(f"the object has no {missing}", node)
    if kind in _LIST_KINDS or (kind.endswith("List") and (api_version, kind) in kinds):
        items = data.get("items") or []
        if not isinstance(items, list):
            raise source.error(f"{kind}.items is not a list", _child(node, "items"))
        item_defaults = (api_version, kind[: -len("List")]) if kind not in _LIST_KINDS else None
        items_node = _child(node, "items")
        objects: list[ApiModel] = []
        for index, item in enumerate(items):
            objects.extend(_typed(item, _child(items_node, index) or node, source, kinds, item_defaults))
        return objects
    model = kinds.get((api_version, kind))
    if model is None:
        known = sorted({k for (v, k) in kinds if v == _IMAGE_API_VERSION and not k.endswith("List")})
        raise source.error(
            f"unknown kind {kind!r} of apiVersion {api_version!r}: imageapi reads image.openshift.io/v1 "
            f"kinds ({', '.join(known)})",
            _child(node, "kind") or node,
        )
    if defaults is not None:
        data = {"apiVersion": api_version, "kind": kind, **data}
    try:
        return [model.model_validate(data)]
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        path = wire_path(first["loc"])
        problem = f"{kind} {path}: {first['msg']}{more}" if path else f"{kind}: {first['msg']}{more}"
        raise source.error(problem, _node_at(node, first["loc"])) from None


_JSON_START = re.compile(r"\s*[\[{]")


def _documents(source: _Source) -> list[tuple[Any, yaml.Node | None]]:
    if _JSON_START.match(source.text):
        try:
            value = json.loads(source.text)
        except json.JSONDecodeError as exc:
            # JSON with YAML extras (comments, trailing commas are not) is still YAML: give YAML a go.
            try:
                return list(_compose(source.text))
            except YAMLSyntaxError:
                raise ManifestError(f"not valid JSON: {exc.msg}", path=source.path, line=exc.lineno,
                                    column=exc.colno) from None
        # Values are JSON's; positions come from the YAML node tree when the JSON is also YAML
        # (it nearly always is), so that errors in values still point at a line.
        try:
            nodes: list[yaml.Node | None] = [node for _, node in _compose(source.text)]
        except YAMLSyntaxError:
            nodes = [None]
        return [(value, nodes[0] if nodes else None)]
    try:
        return [(data, node) for data, node in _compose(source.text) if data is not None]
    except YAMLSyntaxError as exc:
        raise ManifestError(f"not valid YAML: {exc.problem}", path=source.path, line=exc.line,
                            column=exc.column) from None


def load(text: str | bytes, *, path: str | PathLike[str] | None = None) -> list[ApiModel]:
    """The objects of a YAML or JSON manifest text, typed (``ImageStream``, ``ImageStreamTag``, …).

    Several documents, ``List`` kinds and typed lists (``ImageStreamList``) are flattened into one
    list of objects in file order; empty documents are skipped. ``path`` only names the source in
    errors. Raises :class:`ManifestError` (file, line, column, problem).
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ManifestError(f"not UTF-8 text (byte {exc.start})",
                                path=fspath(path) if path else None) from None
    source = _Source(fspath(path) if path is not None else None, text)
    kinds = _kinds()
    objects: list[ApiModel] = []
    for data, node in _documents(source):
        objects.extend(_typed(data, node, source, kinds))
    return objects


def load_file(path: str | PathLike[str]) -> list[ApiModel]:
    """The objects of the manifest file at ``path`` (``-`` reads standard input); see :func:`load`."""
    if fspath(path) == "-":
        import sys

        return load(sys.stdin.read(), path="<stdin>")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ManifestError(f"cannot read the file: {exc.strerror or exc}", path=fspath(path)) from None
    return load(data, path=path)


# -- writing YAML ---------------------------------------------------------------------------------

_BaseDumper: type[Any] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[misc]
    """Safe dumper writing multi-line strings as literal blocks (readable install hints, certificates)."""


def _represent_str(dumper: Any, value: str) -> Any:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _wire(obj: ApiModel | dict[str, Any], managed_fields: bool) -> dict[str, Any]:
    data = obj if isinstance(obj, dict) else obj.to_dict()
    metadata = data.get("metadata")
    if not managed_fields and isinstance(metadata, dict) and "managedFields" in metadata:
        data = {**data, "metadata": {k: v for k, v in metadata.items() if k != "managedFields"}}
    return data


def dump(objects: ApiModel | dict[str, Any] | Iterable[ApiModel | dict[str, Any]], *,
         managed_fields: bool = False) -> str:
    """YAML text of one object or many (``---`` between them), in wire form: camelCase names, unset
    fields left out. ``metadata.managedFields`` is left out unless ``managed_fields=True``."""
    from .models import ApiModel

    items = [objects] if isinstance(objects, (ApiModel, dict)) else list(objects)
    documents = [_wire(item, managed_fields) for item in items]
    text: str = yaml.dump_all(documents, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                              allow_unicode=True, width=120)
    return text


# -- applying -------------------------------------------------------------------------------------


def _accessor_name(kind: str) -> str:
    """``ImageStreamTag`` → ``image_stream_tags`` (the client attribute of a kind)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower() + "s"


def _apply_call(client: Client | AsyncClient, obj: ApiModel, namespace: str | None) -> tuple[Any, str, str | None]:
    """The accessor, name and namespace an object is applied with; refuses what cannot be applied."""
    from ._resource_table import RESOURCES

    kind = type(obj).__kind__ or ""
    info = next((info for info in RESOURCES.values() if info.kind == kind), None)
    metadata = getattr(obj, "metadata", None)
    name = getattr(metadata, "name", None)
    if info is None or not info.supports("patch"):
        raise ValueError(f"{kind} objects cannot be applied: the server accepts only "
                         f"{'create' if info and info.supports('create') else 'nothing'} for them")
    if not name:
        raise ValueError(f"a {kind} to apply needs metadata.name")
    object_namespace = getattr(metadata, "namespace", None)
    if not info.namespaced:
        return getattr(client, _accessor_name(kind)), name, None
    if namespace is not None and object_namespace is not None and object_namespace != namespace:
        # kubectl refuses the same mismatch rather than guess which one was meant.
        raise ValueError(f"{kind} {name!r} is in namespace {object_namespace!r}, not the requested {namespace!r}")
    return getattr(client, _accessor_name(kind)), name, object_namespace or namespace


def _apply_body(obj: ApiModel) -> dict[str, Any]:
    # Server-side apply owns what the manifest states: status and server-set metadata are not intent.
    body = _wire(obj, managed_fields=False)
    body.pop("status", None)
    metadata = {key: value for key, value in (body.get("metadata") or {}).items()
                if key not in {"resourceVersion", "uid", "creationTimestamp", "generation", "selfLink"}}
    body["metadata"] = metadata
    return body


def apply(client: Client, objects: Iterable[ApiModel], *, field_manager: str = DEFAULT_FIELD_MANAGER,
          force: bool = False, dry_run: bool = False, namespace: str | None = None) -> list[ApiModel]:
    """Apply each object with server-side apply (``kubectl apply --server-side -f``); returns what the
    server answered, in order.

    ``namespace`` is used for objects that name none (else the client's default); an object naming
    another namespace is refused. ``force`` takes over fields other managers own (else the server
    answers 409 Conflict naming them). ``dry_run`` asks the server to validate without storing.
    """
    applied: list[ApiModel] = []
    for obj in objects:
        accessor, name, object_namespace = _apply_call(client, obj, namespace)
        extra = {} if object_namespace is None else {"namespace": object_namespace}
        applied.append(accessor.patch(name, _apply_body(obj), type="apply", field_manager=field_manager,
                                      force=force, dry_run=dry_run, **extra))
    return applied


async def apply_async(client: AsyncClient, objects: Iterable[ApiModel], *,
                      field_manager: str = DEFAULT_FIELD_MANAGER, force: bool = False, dry_run: bool = False,
                      namespace: str | None = None) -> list[ApiModel]:
    """:func:`apply` on an :class:`~imageapi.AsyncClient`."""
    applied: list[ApiModel] = []
    for obj in objects:
        accessor, name, object_namespace = _apply_call(client, obj, namespace)
        extra = {} if object_namespace is None else {"namespace": object_namespace}
        applied.append(await accessor.patch(name, _apply_body(obj), type="apply", field_manager=field_manager,
                                            force=force, dry_run=dry_run, **extra))
    return applied
