"""``metadata.managedFields``: which field manager owns which fields (server-side apply bookkeeping).

This follows structured-merge-diff (``fieldpath``, ``typed``, ``merge/update.go``) and the layers the
API server wraps around it (``k8s.io/apiserver/.../fieldmanager``), at the level of leaf fields:

* A **field set** is a set of paths. A path is a tuple of ``FieldsV1`` segments: ``f:<field>`` for an
  object field or map key, ``k:{"name":"1.0"}`` for an element of an associative list (keyed by the
  merge keys of the schema: ``spec.tags`` by ``name``, ``status.tags`` by ``tag``, ``ownerReferences``
  by ``uid``), ``v:"x"`` for an element of a set list (``finalizers``). A path in the set is a
  *member*; in ``FieldsV1`` a member that also has children is written as its ``"."`` key.
  Scalars, atomic lists (every list without a merge strategy) and atomic objects (``from``: an
  ObjectReference is ``x-kubernetes-map-type: atomic``) are leaves; maps and objects are granular.
* An **applied configuration** owns its leaves and its list elements (``ToFieldSet``), never the
  objects around them.
* A **comparison** of two objects gives the paths added, modified (leaves whose value differs) and
  removed; a container that appears or disappears is itself added or removed.
* A write that is not an apply (create, update, patch) is an ``Update`` by its manager: it takes the
  fields it added or modified from every other manager, every manager loses the fields it removed,
  and its entry's time moves only when it took something.
* An ``Apply`` conflicts only on fields another manager owns whose value *this apply changes*;
  applying an equal value makes the field shared. ``force`` moves the ownership instead. Fields the
  manager applied last time and no longer applies are removed from the object unless another manager
  owns them. kubectl's own manager (``kubectl``) may take over, without conflict, the fields its
  client-side apply recorded in the ``last-applied-configuration`` annotation (the upgrade path from
  ``kubectl apply`` to ``kubectl apply --server-side``), and keeps that annotation in sync.
* An object that has no managedFields gets a ``before-first-apply`` Update entry owning all of it
  before its first apply, as the server does for objects created before field tracking.

Identity and server-owned metadata (name, namespace, uid, resourceVersion, generation,
creationTimestamp, managedFields, …) are never owned, nor is ``status`` of the main resource or
``spec`` of ``/status`` (the reset fields of each endpoint).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ._contracts import JSON
from ._status import StatusError

Path = tuple[str, ...]
FieldSet = set[Path]

# stripMetaManager: what no manager ever owns (deletion stamps are set below the field manager too).
_UNOWNED_METADATA = frozenset({
    "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
    "deletionGracePeriodSeconds", "managedFields", "selfLink", "clusterName",
})
_UNOWNED_TOP_LEVEL = frozenset({"apiVersion", "kind"})
LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
# The only manager whose server-side apply upgrades a client-side apply (lastAppliedManager).
KUBECTL_MANAGER = "kubectl"
BEFORE_FIRST_APPLY = "before-first-apply"

_STRUCT, _MAP, _LIST, _SCALAR, _UNTYPED = "struct", "map", "list", "scalar", "untyped"
_SCALAR_TYPES = frozenset({"string", "integer", "number", "boolean", "byte", "Time"})

# ObjectMeta as the server declares it, for schemas that do not carry the meta types.
_BUILTIN_OBJECT_META: dict[str, Any] = {
    "fields": {
        "annotations": {"type": {"type": "map", "values": {"type": "string"}}},
        "labels": {"type": {"type": "map", "values": {"type": "string"}}},
        "finalizers": {"type": {"type": "array", "items": {"type": "string"}}, "patchStrategy": "merge",
                       "listType": "set"},
        "ownerReferences": {"type": {"type": "array", "items": {"type": "ref", "name": "OwnerReference"}},
                            "patchStrategy": "merge", "patchMergeKey": "uid", "listType": "map",
                            "listMapKeys": ["uid"]},
    },
}
_BUILTIN_OWNER_REFERENCE: dict[str, Any] = {"fields": {}, "mapType": "atomic"}


# --------------------------------------------------------------------------- the schema as SMD sees it


class _Node:
    """One type of the schema as structured-merge-diff sees it: a struct (named fields), a map, a list
    (atomic, set or associative by ``keys``), a scalar, or untyped (deduced from the value: objects are
    granular maps, lists atomic)."""

    __slots__ = ("_children", "_element", "_fields", "_item_ref", "_types", "_values", "atomic", "keys",
                 "list_type", "shape")

    def __init__(self, types: Mapping[str, Mapping[str, Any]], shape: str, *, atomic: bool = False,
                 fields: Mapping[str, Any] | None = None, values: Mapping[str, Any] | None = None,
                 list_type: str = "atomic", keys: tuple[str, ...] = (), item_ref: Mapping[str, Any] | None = None
                 ) -> None:
        self._types = types
        self.shape = shape
        self.atomic = atomic
        self._fields = fields or {}
        self._values = values
        self.list_type = list_type
        self.keys = keys
        self._item_ref = item_ref
        self._children: dict[str, _Node] = {}
        self._element: _Node | None = None

    @property
    def granular(self) -> bool:
        """Whether values of this type are walked into (granular objects and maps, non-atomic lists)."""
        if self.shape == _LIST:
            return self.list_type != "atomic"
        return self.shape in (_STRUCT, _MAP, _UNTYPED) and not self.atomic

    def has_field(self, key: str) -> bool:
        """Whether ``key`` is a named field of this struct (``EnsureNamedFieldsAreMembers``)."""
        return self.shape == _STRUCT and key in self._fields

    def child(self, key: str) -> _Node:
        """The type of the value under ``key`` (a struct field or a map value)."""
        found = self._children.get(key)
        if found is None:
            if self.shape == _STRUCT:
                definition = self._fields.get(key)
                found = _field_node(self._types, definition) if definition is not None else _untyped(self._types)
            elif self.shape == _MAP and self._values is not None:
                found = _type_node(self._types, self._values, {})
            else:
                found = _untyped(self._types)
            self._children[key] = found
        return found

    def element(self) -> _Node:
        """The type of the elements of a list."""
        if self._element is None:
            self._element = _type_node(self._types, self._item_ref or {}, {})
        return self._element

    def segment(self, item: Any) -> str | None:
        """The path segment of a list element (None when it cannot be keyed: the list is then a leaf)."""
        if self.list_type == "set":
            return "v:" + _canonical(item) if not isinstance(item, (dict, list)) else None
        if not isinstance(item, dict) or any(key not in item for key in self.keys):
            return None
        return item_key(self.keys, item)


def _untyped(types: Mapping[str, Mapping[str, Any]]) -> _Node:
    return _Node(types, _UNTYPED)


def _field_node(types: Mapping[str, Mapping[str, Any]], field: Mapping[str, Any]) -> _Node:
    return _type_node(types, field.get("type") or {}, field)


def _type_node(types: Mapping[str, Mapping[str, Any]], type_ref: Mapping[str, Any], field: Mapping[str, Any]) -> _Node:
    kind = type_ref.get("type")
    if kind == "ref":
        definition = types.get(str(type_ref.get("name")))
        if definition is None or definition.get("freeForm"):
            return _untyped(types)
        return _Node(types, _STRUCT, atomic=definition.get("mapType") == "atomic",
                     fields=definition.get("fields") or {})
    if kind == "map":
        return _Node(types, _MAP, atomic=field.get("mapType") == "atomic", values=type_ref.get("values") or {})
    if kind == "array":
        list_type, keys = _list_semantics(field)
        return _Node(types, _LIST, list_type=list_type, keys=keys, item_ref=type_ref.get("items") or {})
    if kind in _SCALAR_TYPES:
        return _Node(types, _SCALAR)
    return _untyped(types)


def _list_semantics(field: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """``x-kubernetes-list-type`` (and keys) of a list field; without one, the patch strategy decides
    as the server's schema conversion does: ``merge`` with a merge key is associative, ``merge`` alone
    a set, anything else atomic."""
    list_type = field.get("listType")
    keys = tuple(field.get("listMapKeys") or ())
    merge_key = field.get("patchMergeKey")
    if list_type == "map":
        return "map", keys or ((merge_key,) if merge_key else ())
    if list_type in ("set", "atomic"):
        return str(list_type), ()
    if "merge" in str(field.get("patchStrategy") or "").split(","):
        return ("map", (merge_key,)) if merge_key else ("set", ())
    return "atomic", ()


class FieldSets:
    """Field sets and comparisons of objects, typed by the normalized schema."""

    def __init__(self, schema: Mapping[str, Any] | None) -> None:
        schema = schema or {}
        types: dict[str, Mapping[str, Any]] = {"ObjectMeta": _BUILTIN_OBJECT_META,
                                               "OwnerReference": _BUILTIN_OWNER_REFERENCE}
        types.update(schema.get("metaTypes") or {})
        types.update(schema.get("types") or {})
        self._types = types
        self._roots: dict[str, _Node] = {}

    def root(self, kind: str) -> _Node:
        """The type of a top-level kind; a kind the schema does not know is untyped but for ObjectMeta."""
        node = self._roots.get(kind)
        if node is None:
            fields = dict((self._types.get(kind) or {}).get("fields") or {})
            fields.setdefault("metadata", {"type": {"type": "ref", "name": "ObjectMeta"}})
            node = _Node(self._types, _STRUCT, fields=fields)
            self._roots[kind] = node
        return node

    def applied(self, kind: str, obj: JSON, *, ignored: frozenset[str]) -> FieldSet:
        """``ToFieldSet`` of an applied configuration: its leaves and list elements."""
        out: FieldSet = set()
        root = self.root(kind)
        for key, value in _owned_items(obj, ignored):
            if key == "metadata":
                meta = root.child("metadata")
                for meta_key, meta_value in value.items():
                    if meta_key not in _UNOWNED_METADATA:
                        _field_set(meta.child(meta_key), meta_value, ("f:metadata", f"f:{meta_key}"), out)
            else:
                _field_set(root.child(key), value, (f"f:{key}",), out)
        return out

    def compare(self, kind: str, old: JSON | None, new: JSON, *, ignored: frozenset[str]) -> Comparison:
        """``Compare`` of two objects of ``kind`` (``old`` None: an empty object, as on create)."""
        result = Comparison()
        root = self.root(kind)
        old_items = dict(_owned_items(old, ignored)) if old is not None else {}
        new_items = dict(_owned_items(new, ignored))
        for key in _union_keys(old_items, new_items):
            path = (f"f:{key}",)
            if key == "metadata":
                meta = root.child("metadata")
                old_meta, new_meta = old_items.get(key) or {}, new_items.get(key) or {}
                for meta_key in _union_keys(old_meta, new_meta):
                    if meta_key not in _UNOWNED_METADATA:
                        _compare_field(meta.child(meta_key), old_meta, new_meta, meta_key, path, result)
            elif old is None and isinstance(new_items[key], dict) and root.has_field(key):
                # The empty object of a create already holds the top-level structs (Go zero values).
                _compare(root.child(key), {}, new_items[key], path, result)
            else:
                _compare_field(root.child(key), old_items, new_items, key, (), result)
        return result

    def created_tree(self, kind: str, obj: JSON, *, ignored: frozenset[str]) -> JSON:
        """The ``fieldsV1`` of everything a create adds (``to_fields_v1(compare(None, obj).added)``,
        built in one walk)."""
        tree: JSON = {}
        root = self.root(kind)
        items = dict(_owned_items(obj, ignored))
        for key in sorted(items):
            value = items[key]
            if key == "metadata":
                meta = root.child("metadata")
                children = {f"f:{meta_key}": _added_tree(meta.child(meta_key), meta_value)
                            for meta_key, meta_value in sorted(value.items()) if meta_key not in _UNOWNED_METADATA}
                if children:
                    tree["f:metadata"] = children
            elif isinstance(value, dict) and root.has_field(key):
                children = _children_tree(root.child(key), value)
                if children:
                    tree[f"f:{key}"] = children
            else:
                tree[f"f:{key}"] = _added_tree(root.child(key), value)
        return tree

    def with_named_fields(self, kind: str, paths: Iterable[Path]) -> FieldSet:
        """``EnsureNamedFieldsAreMembers``: ``paths`` plus every struct field that has a member below it."""
        out: FieldSet = set()
        root = self.root(kind)
        for path in paths:
            out.add(path)
            node = root
            for index, segment in enumerate(path[:-1]):
                if segment.startswith("f:"):
                    name = segment[2:]
                    if node.has_field(name):
                        out.add(path[:index + 1])
                    node = node.child(name)
                else:
                    node = node.element()
        return out


def _owned_items(obj: JSON | None, ignored: frozenset[str]) -> Iterator[tuple[str, Any]]:
    for key, value in (obj or {}).items():
        if key in _UNOWNED_TOP_LEVEL or key in ignored:
            continue
        if key == "metadata":
            yield key, value if isinstance(value, dict) else {}
        else:
            yield key, value


def _union_keys(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    return [*old, *(key for key in new if key not in old)]


def _field_set(node: _Node, value: Any, path: Path, out: FieldSet) -> None:
    """``ToFieldSet`` below ``path``: leaves, and list elements with what they hold."""
    if value is None:
        # A null object or list holds nothing to own; a null scalar (or untyped value) is a leaf.
        if not node.granular or node.shape == _UNTYPED:
            out.add(path)
        return
    if isinstance(value, dict) and node.shape != _LIST and node.shape != _SCALAR:
        if node.atomic:
            out.add(path)
            return
        for key, item in value.items():
            _field_set(node.child(key), item, (*path, f"f:{key}"), out)
        return
    if isinstance(value, list) and node.shape == _LIST and node.list_type != "atomic":
        segments = [node.segment(item) for item in value]
        if None in segments:
            out.add(path)
            return
        element = node.element()
        for segment, item in zip(segments, value, strict=True):
            item_path = (*path, str(segment))
            out.add(item_path)
            if node.list_type == "map":
                _field_set(element, item, item_path, out)
        return
    out.add(path)


class Comparison:
    """What changed between two objects: paths added, modified (leaves) and removed."""

    __slots__ = ("added", "modified", "removed")

    def __init__(self) -> None:
        self.added: FieldSet = set()
        self.modified: FieldSet = set()
        self.removed: FieldSet = set()

    @property
    def changed(self) -> FieldSet:
        """Added or modified: what a write takes ownership of, and what an apply may conflict on."""
        return self.added | self.modified

    @property
    def same(self) -> bool:
        """Whether nothing changed."""
        return not (self.added or self.modified or self.removed)


def _compare_field(node: _Node, old: Mapping[str, Any], new: Mapping[str, Any], key: str, path: Path,
                   result: Comparison) -> None:
    child_path = (*path, f"f:{key}")
    if key not in new:
        _mark(node, old[key], child_path, result.removed)
    elif key not in old:
        _mark(node, new[key], child_path, result.added)
    else:
        _compare(node, old[key], new[key], child_path, result)


def _compare(node: _Node, old: Any, new: Any, path: Path, result: Comparison) -> None:
    if type(old) is type(new) and old == new:
        # Equal subtrees (the common case) hold no change; typed fields cannot switch between a
        # boolean and a number, which is all Python's == would confuse here.
        return
    if node.granular and node.shape != _LIST and _is_map_or_null(old) and _is_map_or_null(new) \
            and (old is not None or new is not None):
        old_map, new_map = old or {}, new or {}
        for key in _union_keys(old_map, new_map):
            _compare_field(node.child(key), old_map, new_map, key, path, result)
        return
    if node.granular and node.shape == _LIST and _is_list_or_null(old) and _is_list_or_null(new):
        old_items, new_items = _keyed(node, old or []), _keyed(node, new or [])
        if old_items is not None and new_items is not None:
            element = node.element()
            for segment in _union_keys(old_items, new_items):
                item_path = (*path, segment)
                if segment not in new_items:
                    _mark_item(node, element, old_items[segment], item_path, result.removed)
                elif segment not in old_items:
                    _mark_item(node, element, new_items[segment], item_path, result.added)
                elif node.list_type == "map":
                    _compare(element, old_items[segment], new_items[segment], item_path, result)
            return
    if not json_equal(old, new):
        result.modified.add(path)


def _is_map_or_null(value: Any) -> bool:
    return value is None or isinstance(value, dict)


def _is_list_or_null(value: Any) -> bool:
    return value is None or isinstance(value, list)


def _keyed(node: _Node, items: list[Any]) -> dict[str, Any] | None:
    keyed: dict[str, Any] = {}
    for item in items:
        segment = node.segment(item)
        if segment is None:
            return None
        keyed[segment] = item
    return keyed


def _mark(node: _Node, value: Any, path: Path, out: FieldSet) -> None:
    """Every path of a subtree that appears (or disappears) as a whole: the node itself, and what it holds."""
    out.add(path)
    if not node.granular or value is None:
        return
    if isinstance(value, dict) and node.shape != _LIST:
        for key, item in value.items():
            _mark(node.child(key), item, (*path, f"f:{key}"), out)
    elif isinstance(value, list) and node.shape == _LIST:
        keyed = _keyed(node, value)
        if keyed is not None:
            element = node.element()
            for segment, item in keyed.items():
                _mark_item(node, element, item, (*path, segment), out)


def _added_tree(node: _Node, value: Any) -> JSON:
    """The ``fieldsV1`` node of a value that appears as a whole: itself (``"."``) and what it holds."""
    children = _children_tree(node, value)
    return {".": {}, **children} if children else {}


def _children_tree(node: _Node, value: Any) -> JSON:
    if not node.granular or value is None:
        return {}
    if isinstance(value, dict) and node.shape != _LIST:
        return {f"f:{key}": _added_tree(node.child(key), value[key]) for key in sorted(value)}
    if isinstance(value, list) and node.shape == _LIST:
        keyed = _keyed(node, value)
        if keyed is None:
            return {}
        element = node.element()
        by_segment = sorted(keyed, key=_segment_order)
        if node.list_type == "map":
            return {segment: _added_tree(element, keyed[segment]) for segment in by_segment}
        return {segment: {} for segment in by_segment}
    return {}


def _mark_item(node: _Node, element: _Node, item: Any, path: Path, out: FieldSet) -> None:
    if node.list_type == "map":
        _mark(element, item, path, out)
    else:
        out.add(path)


def json_equal(left: Any, right: Any) -> bool:
    """JSON equality as the server's value comparison sees it: numbers by value, booleans apart from numbers."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(left[key], right[key]) for key in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(json_equal(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, (dict, list)) or isinstance(right, (dict, list)):
        return False
    return bool(left == right)


# --------------------------------------------------------------------------- FieldsV1 and paths


def _canonical(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def item_key(keys: Iterable[str], item: Mapping[str, Any]) -> str:
    """The ``k:`` segment of an associative list element (key fields sorted, as the server writes them)."""
    return "k:" + _canonical({key: item[key] for key in sorted(keys)})


def _segment_order(segment: str) -> tuple[int, str]:
    # PathElement order: field names, then keys, then values, then indices.
    return "fkvi".find(segment[0]), segment


def to_fields_v1(paths: Iterable[Path]) -> JSON:
    """The ``fieldsV1`` tree of a field set: members with children carry a ``"."`` key."""
    tree: dict[str, Any] = {}
    members: list[dict[str, Any]] = []
    for path in paths:
        node = tree
        for segment in path:
            node = node.setdefault(segment, {})
        members.append(node)
    for node in members:
        if node:
            node["."] = {}
    return _sorted_tree(tree)


def _sorted_tree(node: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "." in node:
        out["."] = {}
    for segment in sorted((key for key in node if key != "."), key=_segment_order):
        child = node[segment]
        out[segment] = _sorted_tree(child) if child else {}
    return out


def from_fields_v1(tree: Any, prefix: Path = ()) -> FieldSet:
    """The field set of a ``fieldsV1`` tree."""
    out: FieldSet = set()
    if not isinstance(tree, dict):
        return out
    for segment, child in tree.items():
        if segment == ".":
            if prefix:
                out.add(prefix)
        elif isinstance(child, dict) and child:
            out |= from_fields_v1(child, (*prefix, segment))
        else:
            out.add((*prefix, segment))
    return out


def dotted(path: Path) -> str:
    """A path as the server prints it: ``.metadata.labels.team``, ``.spec.tags[name="1.0"].from``."""
    text = ""
    for segment in path:
        kind, body = segment[0], segment[2:]
        if kind == "f":
            text += "." + body
        elif kind == "k":
            keys = json.loads(body)
            text += "[" + ",".join(f"{key}={_go_value(value)}" for key, value in keys.items()) + "]"
        elif kind == "v":
            text += f"[={_go_value(json.loads(body))}]"
        else:
            text += f"[{body}]"
    return text


def _go_value(value: Any) -> str:
    """``value.ToString``: strings quoted as Go's ``%q``, everything else as JSON."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return _canonical(value)


def _path_order(path: Path) -> tuple[tuple[int, tuple[int, str]], ...]:
    """``Set.Iterate`` order: at each level the members first, then the children, each sorted."""
    last = len(path) - 1
    return tuple((0 if index == last else 1, _segment_order(segment)) for index, segment in enumerate(path))


def value_at(obj: Any, path: Path) -> tuple[bool, Any]:
    """``(found, value)`` at a path of an object."""
    current = obj
    for segment in path:
        if segment.startswith("f:") and isinstance(current, dict):
            name = segment[2:]
            if name not in current:
                return False, None
            current = current[name]
        elif isinstance(current, list) and segment[:2] in ("k:", "v:"):
            found = _find_item(current, segment)
            if found is None:
                return False, None
            current = current[found]
        else:
            return False, None
    return True, current


def _find_item(items: list[Any], segment: str) -> int | None:
    wanted = json.loads(segment[2:])
    for index, item in enumerate(items):
        if segment[0] == "v":
            if not isinstance(item, (dict, list)) and json_equal(item, wanted):
                return index
        elif isinstance(item, dict) and all(key in item and json_equal(item[key], value)
                                            for key, value in wanted.items()):
            return index
    return None


def remove_path(obj: Any, path: Path) -> None:
    """Delete the field or list element at ``path`` (nothing when it is not there)."""
    if not path:
        return
    found, parent = value_at(obj, path[:-1])
    if not found:
        return
    last = path[-1]
    if last.startswith("f:") and isinstance(parent, dict):
        parent.pop(last[2:], None)
    elif isinstance(parent, list):
        index = _find_item(parent, last)
        if index is not None:
            del parent[index]


# --------------------------------------------------------------------------- the entries of one object


class _Entry:
    """One ``managedFields`` entry; its field set is decoded when first needed, and re-encoded only
    when it changed (most writes leave most entries alone)."""

    __slots__ = ("_fields", "dirty", "raw")

    def __init__(self, raw: JSON, fields: FieldSet | None = None) -> None:
        self.raw = raw
        self._fields = fields
        self.dirty = fields is not None

    @property
    def fields(self) -> FieldSet:
        """The entry's field set."""
        if self._fields is None:
            self._fields = from_fields_v1(self.raw.get("fieldsV1"))
        return self._fields

    @fields.setter
    def fields(self, value: FieldSet) -> None:
        if self._fields is None or value != self._fields:
            self.dirty = True
        self._fields = value

    @property
    def identity(self) -> tuple[str, str, str]:
        """What makes two entries the same manager: name, operation and subresource (Update entries
        also carry their apiVersion, and this fake serves one)."""
        return (str(self.raw.get("manager") or ""), str(self.raw.get("operation") or ""),
                str(self.raw.get("subresource") or ""))

    def describe(self) -> str:
        """``printManager``: ``"name"``, with the subresource, and the apiVersion of an Update."""
        manager, operation, subresource = self.identity
        text = json.dumps(manager, ensure_ascii=False)
        if subresource:
            text += f" with subresource {json.dumps(subresource)}"
        if operation == "Update":
            text += f" using {self.raw.get('apiVersion') or ''}"
        return text


class ManagedFields:
    """The managers of one object, read from and written back to ``metadata.managedFields``."""

    def __init__(self, entries: Any) -> None:
        self.entries: list[_Entry] = [
            _Entry(dict(entry)) for entry in entries or [] if isinstance(entry, dict) and entry.get("manager")
        ]

    def find(self, identity: tuple[str, str, str]) -> _Entry | None:
        """The entry of a manager, if it has one."""
        for entry in self.entries:
            if entry.identity == identity:
                return entry
        return None

    def others(self, identity: tuple[str, str, str]) -> list[_Entry]:
        """Every entry but ``identity``'s."""
        return [entry for entry in self.entries if entry.identity != identity]

    def set_fields(self, identity: tuple[str, str, str], fields: FieldSet, api_version: str, time: str | None) -> None:
        """Give ``identity`` exactly ``fields`` (an empty set drops its entry); ``time`` None keeps the
        entry's time (a new entry then gets none)."""
        entry = self.find(identity)
        if not fields:
            if entry is not None:
                self.entries.remove(entry)
            return
        if entry is None:
            manager, operation, subresource = identity
            raw: JSON = {"manager": manager, "operation": operation, "apiVersion": api_version}
            entry = _Entry(raw, set())
            self.entries.append(entry)
        entry.fields = fields
        entry.raw["apiVersion"] = api_version
        if time is not None:
            entry.raw["time"] = time
        entry.raw["fieldsType"] = "FieldsV1"
        subresource = identity[2]
        if subresource:
            entry.raw["subresource"] = subresource
        else:
            entry.raw.pop("subresource", None)

    def take(self, paths: FieldSet, removed: FieldSet, keep: tuple[str, str, str]) -> None:
        """Others lose ``paths``; everyone (``keep`` too) loses ``removed``; empty entries go."""
        if not paths and not removed:
            return
        for entry in list(self.entries):
            if entry.identity != keep and paths:
                entry.fields = entry.fields - paths
            if removed:
                entry.fields = entry.fields - removed
            if not entry.fields:
                self.entries.remove(entry)

    def encode(self) -> list[JSON]:
        """The entries as ``metadata.managedFields`` holds them (the server's key order)."""
        out: list[JSON] = []
        for entry in self.entries:
            raw = entry.raw
            encoded: JSON = {"manager": raw.get("manager"), "operation": raw.get("operation"),
                             "apiVersion": raw.get("apiVersion")}
            if raw.get("time") is not None:
                encoded["time"] = raw["time"]
            encoded["fieldsType"] = "FieldsV1"
            encoded["fieldsV1"] = to_fields_v1(entry.fields) if entry.dirty else raw.get("fieldsV1")
            if raw.get("subresource"):
                encoded["subresource"] = raw["subresource"]
            out.append(encoded)
        return out

    def store(self, obj: JSON) -> None:
        """Write the entries into ``obj.metadata.managedFields`` (removed when there are none)."""
        meta = obj.setdefault("metadata", {})
        if self.entries:
            meta["managedFields"] = self.encode()
        else:
            meta.pop("managedFields", None)


def _ignored(skip_status: bool, subresource: str | None) -> frozenset[str]:
    """The reset fields of an endpoint: ``status`` for the main resource, ``spec`` for ``/status``."""
    if subresource == "status":
        return frozenset({"spec"})
    return frozenset({"status"}) if skip_status else frozenset()


def _live_entries(live: JSON | None, new: JSON | None = None, *, subresource: str | None = None) -> ManagedFields:
    """The entries a write starts from: those the new object carries (a client may set them, and
    ``[{}]`` clears them), else the live object's (clients that drop the field lose nothing)."""
    if new is not None and not subresource:
        given = (new.get("metadata") or {}).get("managedFields")
        if isinstance(given, list) and given:
            return ManagedFields(given)
    return ManagedFields((live or {}).get("metadata", {}).get("managedFields"))


def record_update(sets: FieldSets, kind: str, old: JSON | None, new: JSON, manager: str, api_version: str,
                  time: str, *, skip_status: bool, subresource: str | None = None) -> None:
    """Stamp ``new.metadata.managedFields`` for a non-apply write by ``manager``."""
    managed = _live_entries(old, new, subresource=subresource)
    ignored = _ignored(skip_status, subresource)
    if old is None and not managed.entries:
        # A create (the hot path): the creator owns all it wrote; build its FieldsV1 tree directly.
        fields_v1 = sets.created_tree(kind, new, ignored=ignored)
        meta = new.setdefault("metadata", {})
        if fields_v1:
            entry: JSON = {"manager": manager, "operation": "Update", "apiVersion": api_version, "time": time,
                           "fieldsType": "FieldsV1", "fieldsV1": fields_v1}
            if subresource:
                entry["subresource"] = subresource
            meta["managedFields"] = [entry]
        else:
            meta.pop("managedFields", None)
        return
    _update(sets, kind, managed, old, new, manager, api_version, time, ignored, subresource)
    managed.store(new)


def _update(sets: FieldSets, kind: str, managed: ManagedFields, old: JSON | None, new: JSON, manager: str,
            api_version: str, time: str, ignored: frozenset[str], subresource: str | None) -> None:
    identity = (manager, "Update", subresource or "")
    comparison = sets.compare(kind, old, new, ignored=ignored)
    changed = comparison.changed
    managed.take(changed, comparison.removed, identity)
    entry = managed.find(identity)
    previous = entry.fields if entry is not None else set()
    # The entry's time moves only when this write took fields (managedFieldsUpdater).
    managed.set_fields(identity, previous | changed, api_version, time if changed else None)


def apply_ownership(sets: FieldSets, kind: str, live: JSON | None, applied: JSON, merged: JSON, manager: str,
                    api_version: str, time: str, *, force: bool, skip_status: bool,
                    subresource: str | None = None) -> None:
    """Server-side apply's bookkeeping around the merge the patch engine made (``merged``, modified in
    place): removal of the fields this manager no longer applies, conflicts with other managers (409
    unless ``force``), and the new ``managedFields``."""
    ignored = _ignored(skip_status, subresource)
    managed = _live_entries(live)
    if live is not None and not managed.entries:
        # An object nobody tracked yet: everything it holds belongs to "before-first-apply".
        _update(sets, kind, managed, None, live, BEFORE_FIRST_APPLY, api_version, time, ignored, subresource)
    identity = (manager, "Apply", subresource or "")
    applied_fields = sets.applied(kind, applied, ignored=ignored)
    entry = managed.find(identity)
    if entry is not None:
        _prune(sets, kind, merged, entry.fields, applied_fields, managed.others(identity))
    if live is None:
        managed.set_fields(identity, applied_fields, api_version, time)
        managed.store(merged)
        return
    comparison = sets.compare(kind, live, merged, ignored=ignored)
    changed = comparison.changed
    conflicts = [(other, path) for other in managed.others(identity) for path in other.fields & changed]
    if conflicts and not force:
        unresolved = _not_from_last_applied(sets, kind, live, manager, conflicts, ignored)
        if unresolved:
            raise _conflict_error(unresolved)
    managed.take(changed, comparison.removed, identity)
    managed.set_fields(identity, applied_fields, api_version, None if comparison.same and entry else time)
    managed.store(merged)
    _sync_last_applied(merged, applied, manager)


def _prune(sets: FieldSets, kind: str, merged: JSON, last: FieldSet, applied: FieldSet, others: list[_Entry]) -> None:
    """Remove from ``merged`` what this manager applied last time and no longer applies, unless someone
    (this apply included) still owns it; a list element or an object goes as a whole.

    structured-merge-diff compares the named-field closures (``EnsureNamedFieldsAreMembers``) of the
    last and the owned sets; only what was dropped (and the objects above it) can differ, so an apply
    that drops nothing, the usual case, costs nothing here."""
    dropped = last - applied
    if not dropped:
        return
    owned = set(applied)
    for other in others:
        owned |= other.fields
    owned = sets.with_named_fields(kind, owned)
    stale = sets.with_named_fields(kind, dropped) - owned
    # Every apply carries metadata.name: the metadata object itself is always owned by it.
    stale.discard(("f:metadata",))
    for path in sorted(stale, key=len):
        remove_path(merged, path)


def _not_from_last_applied(sets: FieldSets, kind: str, live: JSON, manager: str,
                           conflicts: list[tuple[_Entry, Path]], ignored: frozenset[str]) -> list[tuple[_Entry, Path]]:
    """``lastAppliedManager``: kubectl's server-side apply takes over, without conflict, the fields its
    client-side apply recorded in the last-applied annotation and that still hold that value."""
    if manager != KUBECTL_MANAGER:
        return conflicts
    annotation = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED_ANNOTATION)
    if not isinstance(annotation, str) or not annotation:
        return conflicts
    try:
        last_applied = json.loads(annotation)
    except ValueError:
        return conflicts
    if not isinstance(last_applied, dict) or last_applied.get("apiVersion") != live.get("apiVersion"):
        return conflicts
    allowed = sets.applied(kind, last_applied, ignored=ignored)
    comparison = sets.compare(kind, last_applied, live, ignored=ignored)
    allowed -= comparison.modified | comparison.added | comparison.removed
    return [(entry, path) for entry, path in conflicts if path not in allowed]


def _sync_last_applied(merged: JSON, applied: JSON, manager: str) -> None:
    """``lastAppliedUpdater``: kubectl's server-side apply rewrites an existing last-applied annotation
    to the configuration it applied (without that annotation), so a later client-side apply diffs
    against it."""
    if manager != KUBECTL_MANAGER:
        return
    annotations = (merged.get("metadata") or {}).get("annotations")
    if not isinstance(annotations, dict) or LAST_APPLIED_ANNOTATION not in annotations:
        return
    config = json.loads(json.dumps(applied))
    config_annotations = (config.get("metadata") or {}).get("annotations")
    if isinstance(config_annotations, dict):
        config_annotations.pop(LAST_APPLIED_ANNOTATION, None)
    # Go's encoder: sorted keys, HTML characters escaped, a trailing newline.
    text = _canonical(config).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    annotations[LAST_APPLIED_ANNOTATION] = text + "\n"


def _conflict_error(conflicts: list[tuple[_Entry, Path]]) -> StatusError:
    """``NewConflictError``: the message groups paths by manager (managers sorted, paths in set order)."""
    ordered = sorted(conflicts, key=lambda item: (item[0].describe(), _path_order(item[1])))
    causes = [{"reason": "FieldManagerConflict", "message": f"conflict with {entry.describe()}",
               "field": dotted(path)} for entry, path in ordered]
    if len(ordered) == 1:
        entry, path = ordered[0]
        message = f"Apply failed with 1 conflict: conflict with {entry.describe()}: {dotted(path)}"
    else:
        lines: list[str] = []
        current = None
        for entry, path in ordered:
            if entry.describe() != current:
                current = entry.describe()
                lines.append(f"conflicts with {current}:")
            lines.append(f"- {dotted(path)}")
        message = f"Apply failed with {len(ordered)} conflicts: " + "\n".join(lines)
    return StatusError(409, "Conflict", message, {"causes": causes})


def unchanged(stored: JSON, written: JSON) -> bool:
    """Whether a write of ``written`` over ``stored`` changes nothing: equal but for
    ``resourceVersion`` and the times of the managedFields entries (the server compares the final
    object with the stored one, managedFields timestamps ignored, and skips the write when they match)."""
    if stored.keys() != written.keys():
        return False
    for key, value in stored.items():
        if key != "metadata" and value != written[key]:
            return False
    old_meta, new_meta = stored.get("metadata") or {}, written.get("metadata") or {}
    keys = (old_meta.keys() | new_meta.keys()) - {"resourceVersion", "managedFields"}
    if any(old_meta.get(key) != new_meta.get(key) for key in keys):
        return False
    old_entries, new_entries = old_meta.get("managedFields") or [], new_meta.get("managedFields") or []
    return len(old_entries) == len(new_entries) and all(
        _without_time(old) == _without_time(new) for old, new in zip(old_entries, new_entries, strict=True))


def _without_time(entry: Any) -> Any:
    return {key: value for key, value in entry.items() if key != "time"} if isinstance(entry, dict) else entry


def default_manager(user_agent: str) -> str:
    """The manager of a write without ``fieldManager``: the User-Agent up to its first ``/``."""
    return (user_agent.split("/", 1)[0] or "unknown")[:128]
