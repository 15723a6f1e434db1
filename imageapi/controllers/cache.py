"""The informer's cache: a typed store keyed by ``namespace/name``, with indexes (client-go's Indexer).

::

    cache = informer.cache
    stream = cache.get("app", namespace="demo")             # a fresh ImageStream, or None
    cache.by_index("namespace", "demo")                     # every cached stream of "demo"
    cache.by_index(IMAGE_DIGEST, "sha256:…")                # streams whose status.tags hold that image
    cache.by_index(SOURCE_REPOSITORY, "quay.io/org/app")    # streams with a spec tag from that repository
    cache.add_indexer("team", lambda s: [s.metadata.labels.get("team", "")])

**Nobody can change what the cache holds.** The cache keeps each object as compact JSON bytes, and
every read (``get``, ``list``, ``by_index``, and the ``old`` object an informer hands to ``on_update``)
decodes a new model from them. A handler or a reconcile that mutates what it was given mutates its own
copy; the next reader gets the stored state. Index values are computed when an object is stored,
before any handler sees it. The bytes are the object as the server sent it in a list (an informer's
list stores each item's wire text as it is, :meth:`Cache.store`), or the model's ``to_json`` for an
object stored as a model (:meth:`Cache.put`, watch events): either way they decode to a model equal to
the one the informer delivered, which is the contract (not byte equality with ``to_json``: key order
and time formats on the wire may differ). What it costs, measured on a realistic image stream (three
spec tags, six status items, ~2.5 kB of JSON): one encode per object stored as a model (about 30 us;
none for a listed one) and one decode per object read (about 45 us). What it saves: the stored bytes
take a fraction of the memory of the decoded model or of a dict (2.5 kB against about 18 kB and
11 kB), which is what lets a cache hold 100,000 streams cheaply; the bench (``scripts/bench.py
controller``) prints both figures.

All methods are thread-safe; the async informer uses the same cache (reads never wait on I/O).
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar

__all__ = [
    "IMAGE_DIGEST",
    "NAMESPACE",
    "SOURCE_REPOSITORY",
    "Cache",
    "IndexFunc",
    "image_digests",
    "object_key",
    "source_repositories",
]

ModelT = TypeVar("ModelT")

IndexFunc = Callable[[Any], Iterable[str]]
"""An index function: the index values of an object (several, one, or none)."""

NAMESPACE = "namespace"
"""The built-in index: objects by ``metadata.namespace``."""

IMAGE_DIGEST = "image-digest"
"""Index name for :func:`image_digests` (image streams by the images their tags hold)."""

SOURCE_REPOSITORY = "source-repository"
"""Index name for :func:`source_repositories` (image streams by where their spec tags come from)."""


def object_key(obj: Any) -> str:
    """An object's cache key: ``namespace/name``, or ``name`` for cluster-scoped objects."""
    metadata = obj.metadata
    name = metadata.name if metadata is not None else None
    if not name:
        raise ValueError("an object without metadata.name cannot be cached")
    namespace = metadata.namespace
    return f"{namespace}/{name}" if namespace else name


def split_key(key: str) -> tuple[str | None, str]:
    """``"ns/name"`` → ``("ns", "name")``; ``"name"`` → ``(None, "name")``."""
    namespace, slash, name = key.partition("/")
    return (namespace, name) if slash else (None, key)


def _namespace_of(obj: Any) -> Iterable[str]:
    namespace = obj.metadata.namespace if obj.metadata is not None else None
    return (namespace,) if namespace else ()


def image_digests(stream: Any) -> Iterable[str]:
    """The image digests (``sha256:…``) an image stream's ``status.tags`` hold, current and history."""
    status = stream.status
    for tag in (status.tags if status is not None else None) or ():
        for item in tag.items or ():
            if item.image:
                yield item.image


def source_repositories(stream: Any) -> Iterable[str]:
    """Where an image stream's spec tags come from: the repository of a ``DockerImage`` source
    (``quay.io/org/app``, tag and digest dropped), or ``namespace/stream`` of an ``ImageStreamTag``
    or ``ImageStreamImage`` source (the stream's own namespace when the reference names none)."""
    spec = stream.spec
    own_namespace = stream.metadata.namespace if stream.metadata is not None else None
    for tag in (spec.tags if spec is not None else None) or ():
        source = tag.from_
        if source is None or not source.name:
            continue
        if source.kind == "DockerImage":
            yield docker_repository(source.name)
        elif source.kind in ("ImageStreamTag", "ImageStreamImage"):
            stream_name = source.name.split("@", 1)[0].split(":", 1)[0]
            namespace = source.namespace or own_namespace
            yield f"{namespace}/{stream_name}" if namespace else stream_name


def docker_repository(reference: str) -> str:
    """``quay.io/org/app:1.0`` or ``…@sha256:…`` → ``quay.io/org/app`` (a registry port stays)."""
    repository = reference.split("@", 1)[0]
    slash = repository.rfind("/")
    colon = repository.rfind(":")
    if colon > slash:
        repository = repository[:colon]
    return repository


class Cache(Generic[ModelT]):
    """Objects by key, with named indexes; reads return fresh models (see the module docs)."""

    def __init__(self, model: type[ModelT], indexers: Mapping[str, IndexFunc] | None = None) -> None:
        self._model: Any = model
        self._lock = threading.RLock()
        self._items: dict[str, bytes] = {}
        self._versions: dict[str, str | None] = {}
        self._indexers: dict[str, IndexFunc] = {NAMESPACE: _namespace_of}
        # index name → value → keys, and key → index name → its values (to unindex on change)
        self._indices: dict[str, dict[str, set[str]]] = {NAMESPACE: {}}
        self._values: dict[str, dict[str, tuple[str, ...]]] = {}
        for name, func in (indexers or {}).items():
            self.add_indexer(name, func)

    # -- reading --------------------------------------------------------------------------------

    def _decode(self, data: bytes) -> ModelT:
        return self._model.model_validate_json(data)  # type: ignore[no-any-return]

    def get(self, name: str, *, namespace: str | None = None) -> ModelT | None:
        """The object called ``name`` (in ``namespace`` for namespaced kinds), or None."""
        return self.get_by_key(f"{namespace}/{name}" if namespace else name)

    def get_by_key(self, key: str) -> ModelT | None:
        """The object stored under ``key`` (``namespace/name``), or None."""
        data = self._items.get(key)
        return self._decode(data) if data is not None else None

    def list(self) -> builtins.list[ModelT]:
        """Every cached object (each a fresh model: costs a decode per object)."""
        with self._lock:
            blobs = list(self._items.values())
        return [self._decode(data) for data in blobs]

    def list_keys(self) -> builtins.list[str]:
        """Every key, sorted."""
        with self._lock:
            return sorted(self._items)

    def resource_version(self, key: str) -> str | None:
        """The stored object's ``metadata.resourceVersion`` (None when the key is not cached)."""
        return self._versions.get(key)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[ModelT]:
        return iter(self.list())

    # -- indexes --------------------------------------------------------------------------------

    def add_indexer(self, name: str, func: IndexFunc) -> None:
        """Add the index ``name`` computed by ``func`` (over what is cached already, too)."""
        if not callable(func):
            raise TypeError(f"an index function must be callable, not {type(func).__name__}")
        with self._lock:
            if name in self._indexers:
                raise ValueError(f"the index {name!r} exists already")
            self._indexers[name] = func
            index: dict[str, set[str]] = {}
            self._indices[name] = index
            for key, data in self._items.items():
                values = _values_of(func, self._decode(data))
                self._values.setdefault(key, {})[name] = values
                for value in values:
                    index.setdefault(value, set()).add(key)

    @property
    def indexers(self) -> builtins.list[str]:
        """The index names (``namespace`` and those added)."""
        return sorted(self._indexers)

    def index_keys(self, index: str, value: str) -> builtins.list[str]:
        """The keys of the objects whose index ``index`` includes ``value``, sorted."""
        with self._lock:
            return sorted(self._index(index).get(value, ()))

    def by_index(self, index: str, value: str) -> builtins.list[ModelT]:
        """The objects whose index ``index`` includes ``value`` (fresh models), by key order."""
        with self._lock:
            blobs = [self._items[key] for key in sorted(self._index(index).get(value, ()))]
        return [self._decode(data) for data in blobs]

    def index_values(self, index: str) -> builtins.list[str]:
        """Every value of index ``index`` some object has, sorted."""
        with self._lock:
            return sorted(self._index(index))

    def _index(self, name: str) -> dict[str, set[str]]:
        try:
            return self._indices[name]
        except KeyError:
            raise KeyError(f"no index {name!r}: the indexes are {self.indexers}") from None

    # -- writing (the informer's) ---------------------------------------------------------------

    def put(self, obj: ModelT) -> bytes | None:
        """Store ``obj`` under its key; returns the bytes it replaced (None for a new key)."""
        metadata: Any = getattr(obj, "metadata", None)
        version = metadata.resource_version if metadata is not None else None
        return self.store(object_key(obj), _encode(obj), version, lambda: obj)

    def store(self, key: str, data: bytes, version: str | None, model: Callable[[], ModelT]) -> bytes | None:
        """Store the JSON ``data`` of an object under ``key`` (``namespace/name``, as
        :func:`object_key` makes it) at ``version``; returns the bytes it replaced (None for a new key).

        ``data`` must decode to the object (an informer stores a listed item's wire text as it is).
        ``model()`` gives the object for the index functions; it is called only when an index other
        than the built-in namespace one exists (that one is read from the key)."""
        values: dict[str, tuple[str, ...]] = {}
        namespace = split_key(key)[0]
        values[NAMESPACE] = (namespace,) if namespace else ()
        if len(self._indexers) > 1:
            obj = model()
            for name, func in self._indexers.items():
                if name != NAMESPACE:
                    values[name] = _values_of(func, obj)
        with self._lock:
            previous = self._items.get(key)
            self._unindex(key)
            self._items[key] = data
            self._versions[key] = version
            self._values[key] = values
            for name, index_values in values.items():
                index = self._indices[name]
                for value in index_values:
                    index.setdefault(value, set()).add(key)
        return previous

    def delete(self, key: str) -> bytes | None:
        """Remove ``key``; returns the bytes it held (None when it was not cached)."""
        with self._lock:
            previous = self._items.pop(key, None)
            self._versions.pop(key, None)
            self._unindex(key)
            self._values.pop(key, None)
        return previous

    def decode(self, data: bytes) -> ModelT:
        """A model from bytes :meth:`put` or :meth:`delete` returned."""
        return self._decode(data)

    def _unindex(self, key: str) -> None:
        for name, values in self._values.get(key, {}).items():
            index = self._indices[name]
            for value in values:
                keys = index.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del index[value]


def _values_of(func: IndexFunc, obj: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(func(obj)))  # unique, in order


def _encode(obj: Any) -> bytes:
    # Wire names, unset fields left out: the bytes decode back to an equal model.
    return obj.model_dump_json(by_alias=True, exclude_unset=True).encode()  # type: ignore[no-any-return]
