"""``metadata.managedFields``: which field manager owns which fields (server-side apply bookkeeping).

Field sets are sets of paths. A path is a tuple of the segments the API server's ``FieldsV1`` format
uses: ``f:<field>`` for an object field or map key, ``k:{"name":"v1"}`` for an element of an
associative list (a list with a merge key in the schema: ``spec.tags`` by ``name``, ``status.tags`` by
``tag``, …) and ``.`` for "the element itself". Atomic lists and scalars are leaves.

* A write that is not an apply (create, update, patch) is an ``Update`` by its manager: the manager
  becomes the owner of every field whose value it changed, and other managers lose those fields.
* An apply is an ``Apply``: the manager's set becomes exactly the fields of its configuration. A field
  another manager owns with a different value is a conflict (409) unless ``force`` is set, which moves
  the ownership. Fields the manager applied before and omits now are removed from the object, unless
  another manager also owns them.

Only what clients observe is modelled; identity and server-owned metadata (name, uid,
resourceVersion, …) and ``status`` of the main resource are never owned.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ._contracts import JSON
from ._status import StatusError

Path = tuple[str, ...]
_UNOWNED_METADATA = frozenset({
    "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
    "deletionGracePeriodSeconds", "managedFields", "selfLink", "generateName",
})


class FieldSets:
    """Paths of an object's fields, with associative lists resolved through the normalized schema."""

    def __init__(self, schema: Mapping[str, Any] | None) -> None:
        self._schema = schema or {}

    def _type(self, name: str) -> Mapping[str, Any] | None:
        for section in ("types", "metaTypes"):
            found = self._schema.get(section, {}).get(name)
            if found is not None:
                return found  # type: ignore[no-any-return]
        return None

    def paths(self, kind: str, obj: JSON, *, skip_status: bool) -> set[Path]:
        """Every owned-field path of ``obj`` (a ``kind``)."""
        out: set[Path] = set()
        for key, value in obj.items():
            if key in ("kind", "apiVersion") or (key == "status" and skip_status):
                continue
            field = self._field(kind, key)
            if key == "metadata" and isinstance(value, dict):
                for meta_key, meta_value in value.items():
                    if meta_key not in _UNOWNED_METADATA:
                        self._walk(self._field("ObjectMeta", meta_key), meta_value, ("f:metadata", f"f:{meta_key}"),
                                   out)
                continue
            self._walk(field, value, (f"f:{key}",), out)
        return out

    def _field(self, type_name: str, key: str) -> Mapping[str, Any]:
        definition = self._type(type_name) or {}
        field: Mapping[str, Any] = definition.get("fields", {}).get(key, {})
        return field

    def _walk(self, field: Mapping[str, Any], value: Any, path: Path, out: set[Path]) -> None:
        type_ref: Mapping[str, Any] = field.get("type", {})
        self._walk_type(type_ref, field.get("patchMergeKey"), value, path, out)

    def _walk_type(self, type_ref: Mapping[str, Any], merge_key: str | None, value: Any, path: Path,
                   out: set[Path]) -> None:
        kind = type_ref.get("type")
        if isinstance(value, dict) and value and kind in ("ref", "map", None):
            definition = self._type(type_ref.get("name", "")) if kind == "ref" else None
            if kind == "ref" and (definition is None or definition.get("freeForm")):
                out.add(path)
                return
            for key, item in value.items():
                if kind == "map":
                    self._walk_type(type_ref.get("values", {}), None, item, (*path, f"f:{key}"), out)
                elif definition is not None:
                    child: Mapping[str, Any] = definition.get("fields", {}).get(key, {})
                    self._walk(child, item, (*path, f"f:{key}"), out)
                else:
                    self._walk_type({}, None, item, (*path, f"f:{key}"), out)
            return
        if isinstance(value, list) and value and kind == "array" and merge_key and \
                all(isinstance(item, dict) and merge_key in item for item in value):
            for item in value:
                element = (*path, item_key(merge_key, item[merge_key]))
                out.add((*element, "."))
                self._walk_type(type_ref.get("items", {}), None, item, element, out)
            return
        out.add(path)


def item_key(merge_key: str, value: Any) -> str:
    """The ``k:`` segment of an associative list element."""
    return "k:" + json.dumps({merge_key: value}, separators=(",", ":"))


def value_at(obj: Any, path: Path) -> tuple[bool, Any]:
    """``(found, value)`` at a path of an object."""
    current = obj
    for segment in path:
        if segment == ".":
            continue
        if segment.startswith("f:") and isinstance(current, dict):
            name = segment[2:]
            if name not in current:
                return False, None
            current = current[name]
        elif segment.startswith("k:") and isinstance(current, list):
            ((key, wanted),) = json.loads(segment[2:]).items()
            matches = [item for item in current if isinstance(item, dict) and item.get(key) == wanted]
            if not matches:
                return False, None
            current = matches[0]
        else:
            return False, None
    return True, current


def remove_path(obj: Any, path: Path) -> None:
    """Delete the field (or, for a path ending in ``.``, the list element) at ``path``."""
    if path and path[-1] == ".":
        path = path[:-1]
    if not path:
        return
    found, parent = value_at(obj, path[:-1])
    if not found:
        return
    last = path[-1]
    if last.startswith("f:") and isinstance(parent, dict):
        parent.pop(last[2:], None)
    elif last.startswith("k:") and isinstance(parent, list):
        ((key, wanted),) = json.loads(last[2:]).items()
        parent[:] = [item for item in parent if not (isinstance(item, dict) and item.get(key) == wanted)]


def to_fields_v1(paths: Iterable[Path]) -> JSON:
    """The ``fieldsV1`` tree of a path set."""
    tree: JSON = {}
    for path in sorted(paths):
        node = tree
        for segment in path:
            node = node.setdefault(segment, {})
    return tree


def from_fields_v1(tree: Any, prefix: Path = ()) -> set[Path]:
    """The path set of a ``fieldsV1`` tree."""
    out: set[Path] = set()
    if not isinstance(tree, dict):
        return out
    for segment, child in tree.items():
        path = (*prefix, segment)
        if isinstance(child, dict) and child:
            out |= from_fields_v1(child, path)
        else:
            out.add(path)
    return out


def dotted(path: Path) -> str:
    """A path as the conflict message prints it: ``.metadata.labels.team``, ``.spec.tags[name="v2"]``."""
    text = ""
    for segment in path:
        if segment == ".":
            continue
        if segment.startswith("f:"):
            text += "." + segment[2:]
        else:
            ((key, value),) = json.loads(segment[2:]).items()
            text += f"[{key}={json.dumps(value)}]"
    return text


class ManagedFields:
    """The managers of one object, read from and written back to ``metadata.managedFields``."""

    def __init__(self, entries: Any) -> None:
        self.entries: list[JSON] = [dict(entry) for entry in entries or [] if isinstance(entry, dict)]

    def owned(self, manager: str, operation: str) -> set[Path]:
        """The fields ``manager`` owns through ``operation``."""
        for entry in self.entries:
            if entry.get("manager") == manager and entry.get("operation") == operation:
                return from_fields_v1(entry.get("fieldsV1"))
        return set()

    def others(self, manager: str, operation: str) -> list[tuple[JSON, set[Path]]]:
        """Every other entry with its fields."""
        return [(entry, from_fields_v1(entry.get("fieldsV1"))) for entry in self.entries
                if not (entry.get("manager") == manager and entry.get("operation") == operation)]

    def assign(self, manager: str, operation: str, paths: set[Path], api_version: str, time: str) -> None:
        """Replace (or add) one manager's entry; an empty set removes it."""
        self.entries = [entry for entry in self.entries
                        if not (entry.get("manager") == manager and entry.get("operation") == operation)]
        if paths:
            self.entries.append({"manager": manager, "operation": operation, "apiVersion": api_version,
                                 "time": time, "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(paths)})

    def drop(self, paths: set[Path], keep: tuple[str, str] | None = None) -> None:
        """Take ``paths`` away from every entry except ``keep`` (manager, operation)."""
        if not paths:
            return
        kept: list[JSON] = []
        for entry in self.entries:
            if keep is not None and (entry.get("manager"), entry.get("operation")) == keep:
                kept.append(entry)
                continue
            remaining = from_fields_v1(entry.get("fieldsV1")) - paths
            if remaining:
                kept.append({**entry, "fieldsV1": to_fields_v1(remaining)})
        self.entries = kept


def record_update(sets: FieldSets, kind: str, old: JSON | None, new: JSON, manager: str, api_version: str,
                  time: str, *, skip_status: bool) -> None:
    """Stamp ``new.metadata.managedFields`` for a non-apply write by ``manager``."""
    managed = ManagedFields((old or {}).get("metadata", {}).get("managedFields"))
    new_paths = sets.paths(kind, new, skip_status=skip_status)
    old_paths = sets.paths(kind, old, skip_status=skip_status) if old is not None else set()
    changed = {path for path in new_paths if path not in old_paths or value_at(old, path) != value_at(new, path)}
    gone = old_paths - new_paths
    managed.drop(changed | gone, keep=None)
    mine = (managed.owned(manager, "Update") | changed) - gone
    managed.assign(manager, "Update", mine, api_version, time)
    _store(new, managed)


def apply_ownership(sets: FieldSets, kind: str, live: JSON | None, applied: JSON, merged: JSON, manager: str,
                    api_version: str, time: str, *, force: bool, skip_status: bool) -> None:
    """Server-side apply's bookkeeping around the merge the patch engine made (``merged``, modified in
    place): conflicts with other managers (409 unless ``force``), removal of fields this manager no
    longer applies, and the new ``managedFields``."""
    managed = ManagedFields((live or {}).get("metadata", {}).get("managedFields"))
    applied_paths = sets.paths(kind, applied, skip_status=skip_status)
    conflicts: list[tuple[str, Path]] = []
    if live is not None:
        for entry, owned in managed.others(manager, "Apply"):
            for path in sorted(owned & applied_paths):
                if value_at(live, path) != value_at(applied, path):
                    conflicts.append((str(entry.get("manager")), path))
    if conflicts and not force:
        raise _conflict_error(conflicts, api_version)
    if conflicts:
        managed.drop({path for _manager, path in conflicts}, keep=(manager, "Apply"))
    others_own: set[Path] = set()
    for _entry, owned in managed.others(manager, "Apply"):
        others_own |= owned
    stale = managed.owned(manager, "Apply") - applied_paths
    # Whole list elements go first (outermost first), while their key fields still identify them; a leaf
    # inside an element that is already gone is then a no-op.
    elements = sorted((path for path in stale if path[-1] == "."), key=len)
    leaves = sorted((path for path in stale if path[-1] != "."), key=len, reverse=True)
    for path in elements:
        if not any(other[:len(path) - 1] == path[:-1] for other in others_own):
            remove_path(merged, path)
    for path in leaves:
        if path not in others_own:
            remove_path(merged, path)
    managed.assign(manager, "Apply", applied_paths, api_version, time)
    _store(merged, managed)


def _store(obj: JSON, managed: ManagedFields) -> None:
    meta = obj.setdefault("metadata", {})
    if managed.entries:
        meta["managedFields"] = managed.entries
    else:
        meta.pop("managedFields", None)


def _conflict_error(conflicts: list[tuple[str, Path]], api_version: str) -> StatusError:
    causes = [{"reason": "FieldManagerConflict", "message": f'conflict with "{manager}" using {api_version}',
               "field": dotted(path)} for manager, path in conflicts]
    if len(conflicts) == 1:
        manager, path = conflicts[0]
        message = f'Apply failed with 1 conflict: conflict with "{manager}" using {api_version}: {dotted(path)}'
    else:
        lines = "\n".join(f'- conflict with "{manager}" using {api_version}: {dotted(path)}'
                          for manager, path in conflicts)
        message = f"Apply failed with {len(conflicts)} conflicts:\n{lines}"
    return StatusError(409, "Conflict", message, {"causes": causes})


def default_manager(user_agent: str) -> str:
    """The manager of a write without ``fieldManager``: the User-Agent up to its first ``/``."""
    return (user_agent.split("/", 1)[0] or "unknown")[:128]
