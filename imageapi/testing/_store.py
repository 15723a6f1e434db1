"""The versioned object store of the fake cluster.

One cluster-wide revision counter (etcd's revision): every successful write gets the next integer, which
becomes the object's ``metadata.resourceVersion`` (a string on the wire). Every write is also recorded
in a bounded history ring so that watches can start from a past revision; when the ring overflows (or a
test compacts it) the oldest revisions are gone and a watch from before them gets ``410 Expired``.

Objects are plain JSON dicts. The store never mutates a stored dict in place (an update replaces it), so
history events, list snapshots and the live map can share the same dicts; callers only ever receive
deep copies (:func:`copy_json`).

All mutations happen under one re-entrant lock. Watch subscribers get every event of their resource
pushed onto their own queue while that lock is held, so a subscriber sees events in revision order and
never misses one between "read the current state" and "start listening".

Single reads (``get``, ``peek``, a cached ``snapshot``, the current revision) take no lock: a stored
dict is never mutated and a dict lookup is atomic, so a reader sees the state before a write or after
it, never half of one. Whatever must be consistent across several reads (a delete's preconditions,
a snapshot rebuilt from the history, a subscription and its initial state) holds the lock, and
callers outside the store that need that (``App._delete``, ``FakeCluster.add_namespace``) take
``store.lock`` themselves: it is the fake's one lock for object state.
"""

from __future__ import annotations

import bisect
import marshal
import queue
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ._contracts import JSON
from ._managed_fields import unchanged
from ._status import STALE_OBJECT, already_exists, conflict, not_found, plain_server_error

ADDED = "ADDED"
MODIFIED = "MODIFIED"
DELETED = "DELETED"

# generateName: the base is cut so that base + suffix fits the 63 characters of a DNS label.
_GENERATE_BASE_MAX = 58
_GENERATE_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON value; several times faster than :func:`copy.deepcopy` for plain JSON.

    ``marshal`` round-trips exactly the JSON types (dict in key order, list, str, int, float, bool,
    None) in C, about twice as fast as walking the value in Python, which matters because every
    write and every rendered read or watch event copies a whole object. Anything it refuses (a
    subclass such as a str enum, a foreign object) takes the walk, which keeps non-container leaves
    as they are."""
    try:
        return marshal.loads(marshal.dumps(value))
    except ValueError:
        return _copy_json_walk(value)


def _copy_json_walk(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy_json_walk(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_json_walk(item) for item in value]
    return value


def format_time(moment: datetime) -> str:
    """RFC 3339 with second precision, as metav1.Time serializes."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(timezone.utc)


def generate_name(base: str) -> str:
    """``SimpleNameGenerator``: ``base`` cut to 58 characters plus 5 random ones (unchecked for clashes)."""
    return base[:_GENERATE_BASE_MAX] + "".join(random.choices(_GENERATE_SUFFIX_ALPHABET, k=5))


def object_key(namespace: str | None, name: str) -> str:
    """The storage key, which also gives the list order (namespace, then name)."""
    return f"{namespace}/{name}" if namespace else name


@dataclass(frozen=True)
class TypeInfo:
    """What the store stamps on the objects of one resource, and how its errors name it."""

    kind: str
    api_version: str
    group: str
    namespaced: bool


# Wire lines kept on a history event, by event type: (the server configuration they were rendered
# under, the bytes).
LineMemo = dict[str, tuple[Any, bytes]]


@dataclass(frozen=True)
class Event:
    """One write: ``obj`` is the new state (the last state, at the deletion revision, for DELETED) and
    ``old`` the state before the write (None for ADDED)."""

    rv: int
    resource: str
    type: str
    key: str
    namespace: str | None
    obj: JSON
    old: JSON | None
    # The wire lines of this event, by event type: (server configuration, bytes). The app fills it the
    # first time the event is sent, so a replay reuses the bytes for as long as the event stays in the
    # history; a bounded cache by object identity is evicted by any replay longer than its size.
    lines: LineMemo = field(default_factory=dict, compare=False, repr=False)


@dataclass
class Snapshot:
    """The objects of one resource at one revision, sorted by key (shared dicts: never mutate)."""

    rv: int
    keys: list[str]
    objects: list[JSON]
    created: float = 0.0

    def window(self, namespace: str | None) -> tuple[int, int]:
        """Index range of the keys in ``namespace`` (all of them for None)."""
        if not namespace:
            return 0, len(self.keys)
        prefix = namespace + "/"
        # "/" sorts right before "0", so every key of the namespace is below prefix[:-1] + "0".
        return bisect.bisect_left(self.keys, prefix), bisect.bisect_left(self.keys, namespace + "0")


@dataclass
class Subscription:
    """A watcher's feed of the events of one resource."""

    resource: str
    events: queue.SimpleQueue[Event] = field(default_factory=queue.SimpleQueue)


class TooOldResourceVersion(Exception):
    """The requested revision has been compacted away; ``oldest`` is the last compacted revision."""

    def __init__(self, requested: int, compacted: int) -> None:
        super().__init__(f"too old resource version: {requested} ({compacted})")
        self.requested = requested
        self.compacted = compacted


class Store:
    """Versioned storage implementing :class:`imageapi.testing._contracts.ObjectStore`."""

    def __init__(
        self,
        types: Mapping[str, TypeInfo],
        *,
        history_size: int = 10_000,
        continue_token_ttl: float = 300.0,
        now: Callable[[], datetime] = utc_now,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lock = threading.RLock()
        self._types = dict(types)
        self._objects: dict[str, dict[str, JSON]] = {resource: {} for resource in self._types}
        self._rv = 0
        self._history: deque[Event] = deque()
        self._history_size = max(1, history_size)
        self._compacted = 0  # every event with rv > _compacted is still in the history
        self._subscribers: dict[str, list[Subscription]] = {resource: [] for resource in self._types}
        self._snapshot_cache: dict[str, Snapshot] = {}  # the current state, until the next write
        self._continue_snapshots: dict[tuple[str, int], Snapshot] = {}
        self.continue_token_ttl = continue_token_ttl
        self._now = now
        self._clock = clock

    # -- the ObjectStore contract ---------------------------------------------------------------

    def resources(self) -> frozenset[str]:
        """The resources kept in this store."""
        return frozenset(self._types)

    def type_info(self, resource: str) -> TypeInfo:
        """The registered kind, apiVersion and scope of ``resource``."""
        return self._types[resource]

    def get(self, resource: str, namespace: str | None, name: str) -> JSON | None:
        """A deep copy of the stored object, or None."""
        stored = self._objects[resource].get(self._key(resource, namespace, name))
        if stored is None:
            return None
        copied: JSON = copy_json(stored)
        return copied

    def peek(self, resource: str, namespace: str | None, name: str) -> JSON | None:
        """The stored object itself, not a copy: read-only, for callers that cache by identity (an
        update replaces the dict, so an unchanged identity means an unchanged object)."""
        return self._objects[resource].get(self._key(resource, namespace, name))

    def list(self, resource: str, namespace: str | None) -> list[JSON]:
        """Deep copies of the stored objects in key order; all namespaces for None."""
        snapshot = self.snapshot(resource)
        start, end = snapshot.window(namespace)
        return [copy_json(obj) for obj in snapshot.objects[start:end]]

    def create(self, resource: str, namespace: str | None, obj: JSON, *, dry_run: bool = False) -> JSON:
        """Store a new object and return it with uid, creationTimestamp and resourceVersion set.

        An empty name with ``metadata.generateName`` gets a generated, unused name. 409 AlreadyExists
        on a clash; 500 when the body carries a resourceVersion (etcd3 refuses it)."""
        info = self._types[resource]
        meta = obj.setdefault("metadata", {})
        if meta.get("resourceVersion"):
            raise plain_server_error("resourceVersion should not be set on objects to be created")
        with self.lock:
            objects = self._objects[resource]
            name = meta.get("name") or ""
            if not name and meta.get("generateName"):
                name = self._generate_name(resource, namespace, meta["generateName"])
                meta["name"] = name
            key = self._key(resource, namespace, name)
            if key in objects:
                raise already_exists(resource, name, info.group)
            self._stamp(obj, info, namespace)
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = format_time(self._now())
            if dry_run:
                return obj
            self._commit(resource, key, obj, None)
        return obj

    def update(self, resource: str, namespace: str | None, obj: JSON, *, dry_run: bool = False) -> JSON:
        """Replace an object. A non-empty ``metadata.resourceVersion`` must equal the stored one (409
        Conflict otherwise; an empty one means unconditional); 404 when missing."""
        info = self._types[resource]
        meta = obj.setdefault("metadata", {})
        name = meta.get("name") or ""
        with self.lock:
            key = self._key(resource, namespace, name)
            old = self._objects[resource].get(key)
            if old is None:
                raise not_found(resource, name, info.group)
            old_meta = old["metadata"]
            given = meta.get("resourceVersion")
            if given and given != old_meta["resourceVersion"]:
                raise conflict(resource, name, STALE_OBJECT, info.group)
            self._stamp(obj, info, namespace)
            meta["uid"] = old_meta.get("uid")
            meta["creationTimestamp"] = old_meta.get("creationTimestamp")
            if unchanged(old, obj):
                # The server skips a write that changes nothing (managedFields times aside): the stored
                # object stays as it is, resourceVersion and times included, and no event is recorded.
                kept: JSON = copy_json(old)
                return kept
            if dry_run:
                meta["resourceVersion"] = old_meta["resourceVersion"]
                return obj
            self._commit(resource, key, obj, old)
        return obj

    def delete(self, resource: str, namespace: str | None, name: str, *, dry_run: bool = False) -> JSON:
        """Remove an object and return its last state, with resourceVersion set to the deletion revision
        (the current one for a dry run)."""
        info = self._types[resource]
        with self.lock:
            objects = self._objects[resource]
            key = self._key(resource, namespace, name)
            old = objects.get(key)
            if old is None:
                raise not_found(resource, name, info.group)
            if dry_run:
                state: JSON = copy_json(old)
                return state
            del objects[key]
            rv = self._next_rv()
            last: JSON = copy_json(old)
            last["metadata"]["resourceVersion"] = str(rv)
            self._record(Event(rv, resource, DELETED, key, old["metadata"].get("namespace"), last, old))
        result: JSON = copy_json(last)
        return result

    def current_resource_version(self) -> int:
        """The revision of the last write."""
        return self._rv

    # -- namespaces -----------------------------------------------------------------------------

    def namespace_exists(self, name: str) -> bool:
        """Whether the namespace object exists."""
        return name in self._objects["namespaces"]

    def ensure_namespace(self, name: str) -> None:
        """Create the namespace unless it exists (a write, so it takes a revision)."""
        with self.lock:
            if name not in self._objects["namespaces"]:
                self.create("namespaces", None, {"metadata": {"name": name}, "status": {"phase": "Active"}})

    # -- reads for lists and watches ------------------------------------------------------------

    def snapshot(self, resource: str) -> Snapshot:
        """The current state of ``resource`` (cached until its next write)."""
        cached = self._snapshot_cache.get(resource)
        if cached is not None:
            return cached
        with self.lock:
            objects = self._objects[resource]
            keys = sorted(objects)
            snap = Snapshot(self._rv, keys, [objects[key] for key in keys], self._clock())
            self._snapshot_cache[resource] = snap
            return snap

    def snapshot_at(self, resource: str, rv: int) -> Snapshot:
        """The state of ``resource`` at an earlier revision, rebuilt by undoing the history after it.

        Raises :class:`TooOldResourceVersion` when revisions after ``rv`` have been compacted."""
        with self.lock:
            if rv >= self._rv:
                return self.snapshot(resource)
            if rv < self._compacted:
                raise TooOldResourceVersion(rv, self._compacted)
            state = dict(self._objects[resource])
            for event in reversed(self._history):
                if event.rv <= rv:
                    break
                if event.resource != resource:
                    continue
                if event.old is None:
                    state.pop(event.key, None)
                else:
                    state[event.key] = event.old
            keys = sorted(state)
            return Snapshot(rv, keys, [state[key] for key in keys], self._clock())

    def keep_for_continue(self, resource: str, snapshot: Snapshot) -> None:
        """Remember a snapshot so that continue tokens at its revision keep reading it."""
        with self.lock:
            self._drop_expired_snapshots()
            key = (resource, snapshot.rv)
            if key not in self._continue_snapshots:
                snapshot.created = self._clock()
                self._continue_snapshots[key] = snapshot

    def continue_snapshot(self, resource: str, rv: int) -> Snapshot | None:
        """The snapshot a continue token at ``rv`` reads, or None when it has expired."""
        with self.lock:
            self._drop_expired_snapshots()
            return self._continue_snapshots.get((resource, rv))

    def expire_continue_tokens(self) -> None:
        """Forget every kept snapshot: outstanding continue tokens now answer 410 Expired."""
        with self.lock:
            self._continue_snapshots.clear()

    def compact(self) -> None:
        """Drop the whole watch history: watches from any past revision now get 410."""
        with self.lock:
            self._history.clear()
            self._compacted = self._rv

    @property
    def compacted_revision(self) -> int:
        """Every revision after this one is still in the history."""
        return self._compacted

    def subscribe(self, resource: str, since: int | None) -> tuple[Subscription, Snapshot | None]:
        """Start feeding the events of ``resource`` to a new subscription.

        With ``since`` None the current state is returned too (a snapshot taken atomically with the
        subscription); otherwise every retained event after revision ``since`` is queued first.
        Raises :class:`TooOldResourceVersion` when ``since`` has been compacted."""
        subscription = Subscription(resource)
        with self.lock:
            initial: Snapshot | None = None
            if since is None:
                initial = self.snapshot(resource)
            else:
                if since < self._compacted:
                    raise TooOldResourceVersion(since, self._compacted)
                replay: list[Event] = []
                for event in reversed(self._history):
                    if event.rv <= since:
                        break
                    if event.resource == resource:
                        replay.append(event)
                for event in reversed(replay):
                    subscription.events.put(event)
            self._subscribers[resource].append(subscription)
        return subscription, initial

    def watcher_count(self) -> int:
        """How many watch subscriptions are open (all resources)."""
        with self.lock:
            return sum(len(subscribers) for subscribers in self._subscribers.values())

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop feeding a subscription."""
        with self.lock:
            subscribers = self._subscribers[subscription.resource]
            if subscription in subscribers:
                subscribers.remove(subscription)

    # -- internals ------------------------------------------------------------------------------

    def _key(self, resource: str, namespace: str | None, name: str) -> str:
        """The storage key of an object: a cluster-scoped resource ignores any namespace given."""
        return object_key(namespace if self._types[resource].namespaced else None, name)

    def _stamp(self, obj: JSON, info: TypeInfo, namespace: str | None) -> None:
        # kind and apiVersion go first, as the real server serializes them.
        rest = {key: value for key, value in obj.items() if key not in ("kind", "apiVersion")}
        obj.clear()
        obj["kind"] = info.kind
        obj["apiVersion"] = info.api_version
        obj.update(rest)
        meta = obj["metadata"]
        if info.namespaced:
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)

    def _generate_name(self, resource: str, namespace: str | None, base: str) -> str:
        while True:
            name = generate_name(base)
            if self._key(resource, namespace, name) not in self._objects[resource]:
                return name

    def _commit(self, resource: str, key: str, obj: JSON, old: JSON | None) -> None:
        """Store a copy of ``obj`` (a create when ``old`` is None) at the next revision, stamp that
        revision on ``obj`` too, and record the event. The caller holds the lock."""
        stored = copy_json(obj)
        rv = self._next_rv()
        stored["metadata"]["resourceVersion"] = obj["metadata"]["resourceVersion"] = str(rv)
        self._objects[resource][key] = stored
        event_type = ADDED if old is None else MODIFIED
        self._record(Event(rv, resource, event_type, key, stored["metadata"].get("namespace"), stored, old))

    def _next_rv(self) -> int:
        self._rv += 1
        return self._rv

    def _record(self, event: Event) -> None:
        self._snapshot_cache.pop(event.resource, None)
        if len(self._history) >= self._history_size:
            self._compacted = self._history.popleft().rv
        self._history.append(event)
        for subscription in self._subscribers[event.resource]:
            subscription.events.put(event)

    def _drop_expired_snapshots(self) -> None:
        if not self._continue_snapshots:
            return
        horizon = self._clock() - self.continue_token_ttl
        for key in [key for key, snap in self._continue_snapshots.items() if snap.created < horizon]:
            del self._continue_snapshots[key]


__all__ = [
    "ADDED",
    "DELETED",
    "MODIFIED",
    "Event",
    "LineMemo",
    "Snapshot",
    "Store",
    "Subscription",
    "TooOldResourceVersion",
    "TypeInfo",
    "copy_json",
    "format_time",
    "generate_name",
    "object_key",
    "utc_now",
]
