"""Informers: a local, typed cache of one resource kept in step with the server (client-go's reflector
and shared informer).

::

    from imageapi.controllers import Informer

    with Client() as client, Informer(client.image_streams, namespace="demo") as informer:
        informer.add_handler(on_add=lambda stream, is_initial: ..., on_update=lambda old, new: ...,
                             on_delete=lambda stream: ...)
        informer.wait_for_sync(timeout=30)
        informer.cache.get("app", namespace="demo")

    async with AsyncInformer(async_client.image_streams, namespace="demo") as informer:
        await informer.wait_for_sync(timeout=30)

``client.image_streams.informer(namespace=...)`` builds the same (an ``AsyncInformer`` on ``AsyncClient``).

How it keeps the cache right (the reflector's algorithm):

* It lists and then watches from the list's resourceVersion, with bookmarks, through the resumable
  watch of :mod:`imageapi.watch`: a stream the server ends or a connection that drops is resumed from
  the last event's or bookmark's resourceVersion, so nothing is missed and nothing repeats.
* Which list it sends is the reflector's choice (``relistResourceVersion``). The first is
  ``resourceVersion=0&limit=500``: "any state", which the API server answers from its watch cache,
  and the watch cache ignores ``limit``, so 100,000 objects arrive in one response instead of 200
  pages read from etcd (a server without a watch cache pages it, and the informer follows the
  continue tokens). A relist reads "not older than" the last resourceVersion the informer saw,
  unpaged (with a ``limit`` it would be an exact read from etcd), again from the watch cache. Only
  when that list answers 410 Expired or ``ResourceVersionTooLarge`` (a server restarted without
  its state) does it fall back at once to a consistent read (no resourceVersion, paged).
* When the server no longer has the watch's resourceVersion (410 Expired, or
  ``ResourceVersionTooLarge`` after a restart) it lists again and delivers the difference with the
  cache: ``on_add`` for new objects, ``on_update`` for changed ones (an object whose resourceVersion
  did not change is not delivered again), and ``on_delete`` with the last known state for objects
  that vanished meanwhile.
* Between two attempts it backs off as the reflector does: 800 ms doubling to 30 s (each with up to
  100 % jitter), back to 800 ms once two minutes passed without a backoff.

With ``resync_period`` set, every cached object is handed to ``on_update(obj, obj)`` that often (from
the cache, no request), as client-go's resync does.

Handlers run on the informer's thread (sync) or task (async), one event at a time, in the order of
the server's changes per object; an exception in a handler is logged and does not stop the informer.
A handler added while the informer runs first gets ``on_add(obj, True)`` for every cached object.
Objects handed to handlers and read from the cache are the caller's own (see :mod:`.cache`).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..errors import ImageAPIError, ResourceExpiredError, ResourceVersionTooLargeError
from ..models._base import hold_full_collections
from ..pagination import DEFAULT_CHUNK_SIZE
from ..selectors import SelectorInput
from ..watch import Event
from ._clock import Clock, Stop, SystemClock
from ._wire_list import wire_pager
from .cache import Cache, IndexFunc, object_key, split_key

if TYPE_CHECKING:
    import asyncio

    from typing_extensions import Self

__all__ = ["AsyncInformer", "Backoff", "HandlerRegistration", "Informer", "InformerStats"]

logger = logging.getLogger("imageapi.controllers")

ModelT = TypeVar("ModelT")

OnAdd = Callable[[Any, bool], object]
OnUpdate = Callable[[Any, Any], object]
OnDelete = Callable[[Any], object]

WATCH_TIMEOUT_SECONDS = 300
"""``timeoutSeconds`` of each watch request (the reflector asks for 5 to 10 minutes); the watch
resumes at once when the server ends it, so this only bounds how long one connection lives."""


class Backoff:
    """client-go's exponential backoff manager: ``initial`` seconds doubling (``factor``) up to
    ``maximum``, each wait stretched by a random share up to ``jitter`` of itself, and back to
    ``initial`` once ``reset_after`` seconds passed since the previous backoff began.

    Defaults are the reflector's: 0.8 s, 30 s, factor 2, jitter 1.0, reset after 120 s."""

    def __init__(
        self,
        initial: float = 0.8,
        maximum: float = 30.0,
        *,
        factor: float = 2.0,
        jitter: float = 1.0,
        reset_after: float = 120.0,
        rng: random.Random | None = None,
    ) -> None:
        if not 0 < initial <= maximum:
            raise ValueError("backoff needs 0 < initial <= maximum")
        if factor < 1 or jitter < 0 or reset_after <= 0:
            raise ValueError("backoff needs factor >= 1, jitter >= 0 and reset_after > 0")
        self.initial, self.maximum, self.factor, self.jitter = initial, maximum, factor, jitter
        self.reset_after = reset_after
        self._rng = rng or random.Random()
        self._next = initial
        self._last_start: float | None = None

    def next(self, now: float) -> float:
        """The seconds to wait now (and remember that a backoff began at ``now``)."""
        if self._last_start is not None and now - self._last_start > self.reset_after:
            self._next = self.initial
        self._last_start = now
        duration = self._next
        self._next = min(self._next * self.factor, self.maximum)
        if self.jitter > 0:
            duration += self._rng.random() * self.jitter * duration
        return duration


@dataclass
class InformerStats:
    """What an informer did so far (for logs, tests and benchmarks)."""

    events: int = 0
    """Watch events applied to the cache (bookmarks not counted)."""
    lists: int = 0
    """Lists started (the first one, every relist, and each fallback to a consistent read)."""
    relists: int = 0
    """Relists started once the cache had synced (after a 410 or a too-large resourceVersion); the
    fallback of one to a consistent read is not counted again."""
    failures: int = 0
    """Attempts that ended with an error (each followed by a backoff)."""
    handler_errors: int = 0
    """Exceptions raised by handlers (logged and swallowed)."""
    list_versions: list[str] = field(default_factory=list)
    """The resourceVersion of each completed list, in order."""


@dataclass(eq=False)
class HandlerRegistration:
    """A registered set of handlers; :meth:`remove` unregisters it."""

    on_add: OnAdd | None
    on_update: OnUpdate | None
    on_delete: OnDelete | None
    _remove: Callable[[HandlerRegistration], None] = field(repr=False)

    def remove(self) -> None:
        """Stop delivering events to these handlers."""
        self._remove(self)


class _InformerCore(Generic[ModelT]):
    """Everything both drivers share: cache bookkeeping, deltas, handler dispatch and the backoff.

    The drivers only open watches, iterate them and sleep; each event goes through :meth:`apply`.
    """

    def __init__(
        self, model: type[ModelT], indexers: Mapping[str, IndexFunc] | None, backoff: Backoff, clock: Clock,
    ) -> None:
        self.cache: Cache[ModelT] = Cache(model, indexers)
        self.stats = InformerStats()
        self._clock = clock
        self._backoff = backoff
        # Held while an event is applied and dispatched, and while a late handler gets the cache:
        # the order every handler sees is the order of the cache's changes.
        self._lock = threading.RLock()
        self._handlers: list[HandlerRegistration] = []
        self.resume_version: str | None = None
        """Where the next watch starts: the last resourceVersion seen; None lists first."""
        self._last_seen: str | None = None
        """The last resourceVersion seen before the watch was given up: a relist reads not older than it."""
        self._version_unavailable = False
        """A list at ``_last_seen`` answered 410 or too large: the next one is a consistent read."""
        self._listing: set[str] | None = None
        """Keys seen by the list in progress (None when not listing)."""
        self.synced = False
        self._on_synced: list[Callable[[], None]] = []

    # -- handlers -------------------------------------------------------------------------------

    def add_handler(self, on_add: OnAdd | None, on_update: OnUpdate | None, on_delete: OnDelete | None
                    ) -> HandlerRegistration:
        for name, func in (("on_add", on_add), ("on_update", on_update), ("on_delete", on_delete)):
            if func is not None and not callable(func):
                raise TypeError(f"{name} must be callable, not {type(func).__name__}")
        registration = HandlerRegistration(on_add, on_update, on_delete, self._remove_handler)
        with self._lock:
            if on_add is not None:
                for key in self.cache.list_keys():
                    obj = self.cache.get_by_key(key)
                    if obj is not None:
                        self._call(on_add, obj, True)
            self._handlers.append(registration)
        return registration

    def _remove_handler(self, registration: HandlerRegistration) -> None:
        with self._lock:
            if registration in self._handlers:
                self._handlers.remove(registration)

    def _call(self, func: Callable[..., object], *args: Any) -> None:
        try:
            func(*args)
        except Exception:
            self.stats.handler_errors += 1
            logger.exception("informer handler %r failed", getattr(func, "__qualname__", func))

    def _added(self, obj: ModelT, is_initial: bool) -> None:
        for handler in self._handlers:
            if handler.on_add is not None:
                self._call(handler.on_add, obj, is_initial)

    def _updated(self, old: bytes, new: Callable[[], ModelT]) -> None:
        wanted = [handler.on_update for handler in self._handlers if handler.on_update is not None]
        if wanted:
            previous, current = self.cache.decode(old), new()
            for on_update in wanted:
                self._call(on_update, previous, current)

    def _deleted(self, obj: ModelT) -> None:
        for handler in self._handlers:
            if handler.on_delete is not None:
                self._call(handler.on_delete, obj)

    # -- the watch ------------------------------------------------------------------------------

    def list_request(self) -> tuple[str | None, bool]:
        """The ``(resourceVersion, paged)`` of the next list, chosen as client-go's reflector does."""
        if self._version_unavailable:
            return None, True  # the latest state, a consistent read (paged: it comes from etcd)
        if self._last_seen is None:
            return "0", True  # any state: the watch cache answers it whole, whatever the limit
        return self._last_seen, False  # not older than what was seen; a limit would make it exact

    def list_started(self) -> None:
        """A (re)list begins: the cache will be reconciled with what it returns."""
        self.stats.lists += 1
        if self.synced and not self._version_unavailable:
            self.stats.relists += 1
        self._listing = set()

    def listed(self, entries: Iterable[tuple[Any, bytes]]) -> None:
        """Apply one page of the list: its items as ``(document, wire bytes)`` (see :mod:`._wire_list`).

        An unchanged object (same resourceVersion) is only marked as seen; a new or changed one is
        stored as its wire bytes, and decoded into a model only if a handler or an index needs it."""
        cache = self.cache
        with self._lock:
            for document, data in entries:
                metadata = document.get("metadata") if isinstance(document, dict) else None
                if not isinstance(metadata, dict) or not metadata.get("name"):
                    raise ValueError("a listed object without metadata.name cannot be cached")
                namespace, name = metadata.get("namespace"), metadata["name"]
                key = f"{namespace}/{name}" if namespace else name
                version = metadata.get("resourceVersion")
                assert self._listing is not None
                self._listing.add(key)
                if version is not None and cache.resource_version(key) == version:
                    continue
                self.stats.events += 1
                built: list[ModelT] = []

                def model(data: bytes = data, built: list[ModelT] = built) -> ModelT:
                    if not built:
                        built.append(cache.decode(data))
                    return built[0]

                previous = cache.store(key, data, version, model)
                if previous is None:
                    if any(handler.on_add is not None for handler in self._handlers):
                        self._added(model(), not self.synced)
                else:
                    self._updated(previous, model)

    def list_complete(self, version: str | None) -> None:
        """The list ended at ``version``: the watch continues from there."""
        with self._lock:
            self.resume_version = version
            self._version_unavailable = False
            self._list_ended()

    def apply(self, event: Event[ModelT]) -> None:
        """Apply one watch event to the cache and hand it to the handlers."""
        obj: Any = event.object
        with self._lock:
            if event.type == "BOOKMARK":
                version = obj.metadata.resource_version if obj.metadata is not None else None
                if version:
                    self.resume_version = version
                return
            version = self._change(event.type, obj)
            if version:
                self.resume_version = version

    def _change(self, kind: str, obj: Any) -> str | None:
        """Store or remove one object, deliver it; returns its resourceVersion. Caller holds the lock."""
        metadata = obj.metadata
        version = metadata.resource_version if metadata is not None else None
        key = object_key(obj)
        if self._listing is not None:
            self._listing.add(key)
        if kind == "DELETED":
            self.stats.events += 1
            self.cache.delete(key)
            self._deleted(obj)
        elif version is None or self.cache.resource_version(key) != version:
            self.stats.events += 1
            previous = self.cache.put(obj)
            if previous is None:
                self._added(obj, not self.synced)
            else:
                self._updated(previous, lambda: obj)
        return version

    def _list_ended(self) -> None:
        """The (re)list is complete: objects it did not contain were deleted meanwhile."""
        seen = self._listing or set()
        if self.resume_version:
            self.stats.list_versions.append(self.resume_version)
        for key in self.cache.list_keys():
            if key not in seen:
                previous = self.cache.delete(key)
                if previous is not None:
                    self.stats.events += 1
                    self._deleted(self.cache.decode(previous))
        self._listing = None  # only now: the deletes above are still part of the relist
        if not self.synced:
            self.synced = True
            for callback in self._on_synced:
                callback()

    def resync(self) -> None:
        """Deliver ``on_update(obj, obj)`` for every cached object (client-go's resync: handlers
        that act on the current state get a periodic chance to repair what drifted)."""
        with self._lock:
            wanted = [handler.on_update for handler in self._handlers if handler.on_update is not None]
            if not wanted:
                return
            for key in self.cache.list_keys():
                current = self.cache.get_by_key(key)
                if current is None:
                    continue
                for on_update in wanted:
                    self._call(on_update, self.cache.get_by_key(key), current)

    def ended(self, error: BaseException) -> float:
        """The watch or list ended with ``error``; returns the seconds to back off before the next one."""
        self.stats.failures += 1
        if self.resume_version is not None:
            self._last_seen = self.resume_version
        unavailable = isinstance(error, (ResourceExpiredError, ResourceVersionTooLargeError))
        listing, self._listing = self._listing is not None, None
        if listing and unavailable and not self._version_unavailable:
            # The list's resourceVersion is gone or ahead of the server: read the latest state at
            # once, as the reflector does (no backoff: this is not a failure to retry).
            self._version_unavailable = True
            logger.info("informer lists the latest state: %s", error)
            return 0.0
        if unavailable:
            self.resume_version = None  # the next attempt lists again
            logger.info("informer relists: %s", error)
        elif listing:
            self.resume_version = None  # a list cut short is not resumable
        else:
            logger.warning("informer watch failed, resuming from %s: %s", self.resume_version, error)
        return self._backoff.next(self._clock.now())


class _InformerBase(Generic[ModelT]):
    """Construction and the read-only surface both drivers share."""

    def __init__(
        self,
        resource: Any,
        *,
        namespace: str | None = None,
        all_namespaces: bool = False,
        label_selector: SelectorInput | None = None,
        field_selector: SelectorInput | None = None,
        indexers: Mapping[str, IndexFunc] | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        clock: Clock | None = None,
        stop: Stop | None = None,
        backoff: Backoff | None = None,
        resync_period: float | None = None,
    ) -> None:
        if resync_period is not None and resync_period <= 0:
            raise ValueError("resync_period must be positive (or None for no resync)")
        self.resync_period = resync_period
        if not hasattr(resource, "watch") or not hasattr(resource, "list"):
            raise TypeError(f"an informer needs a resource accessor with list and watch, not {resource!r}")
        self._resource = resource
        model = resource._model(resource.info.kind)
        scope: dict[str, Any] = {"label_selector": label_selector, "field_selector": field_selector}
        if resource.info.namespaced:
            scope.update(namespace=namespace, all_namespaces=all_namespaces)
        elif namespace is not None or all_namespaces:
            raise TypeError(f"{resource.info.plural} are cluster-scoped: they take no namespace")
        self._list_options = scope
        self._chunk_size = chunk_size
        # lazy=False: the cache stores every event's whole object, so each is validated in one pass
        # from its JSON (a lazy object would be parsed, then validated from the parsed dicts).
        self._watch_options = {**scope, "bookmarks": True, "timeout_seconds": WATCH_TIMEOUT_SECONDS,
                               "lazy": False}
        # Refuse bad selectors, scopes and chunk sizes now rather than on the informer's thread.
        resource.list(chunk_size=chunk_size, **self._list_options)
        self.clock = clock or SystemClock()
        self.stop_signal = stop or Stop()
        self._core: _InformerCore[ModelT] = _InformerCore(model, indexers, backoff or Backoff(), self.clock)

    @property
    def cache(self) -> Cache[ModelT]:
        """The cache (read it freely; reads return fresh models)."""
        return self._core.cache

    @property
    def stats(self) -> InformerStats:
        """Counters of what the informer did."""
        return self._core.stats

    @property
    def has_synced(self) -> bool:
        """Whether the first list was applied completely."""
        return self._core.synced

    @property
    def relisting(self) -> bool:
        """Whether a list after the first one (after a 410) is being applied: changes delivered now
        stand for everything that happened while the watch could not resume."""
        core = self._core
        return core._listing is not None and core.synced

    @property
    def resource_version(self) -> str | None:
        """The resourceVersion the cache reflects (the last event's or bookmark's)."""
        return self._core.resume_version

    def add_handler(
        self,
        *,
        on_add: Callable[[ModelT, bool], object] | None = None,
        on_update: Callable[[ModelT, ModelT], object] | None = None,
        on_delete: Callable[[ModelT], object] | None = None,
    ) -> HandlerRegistration:
        """Deliver changes to these callables: ``on_add(obj, is_initial)`` (``is_initial``: from the
        first list, or replayed to a late handler), ``on_update(old, new)``, ``on_delete(obj)`` (the
        last known state). Added while running, the handler first gets every cached object."""
        return self._core.add_handler(on_add, on_update, on_delete)

    def _list(self) -> Any:
        """A pager for a (re)list, or None when the watch can resume where it is."""
        core = self._core
        if core.resume_version is not None:
            return None
        version, paged = core.list_request()
        core.list_started()
        if paged:
            return wire_pager(self._resource, self._list_options, chunk_size=self._chunk_size,
                              resource_version=version)
        # Not older than the last version seen: a server restarted without its state answers it 504
        # "too large" with a Retry-After, which the client's retries would wait out in vain; the
        # informer falls back to a consistent read at once instead (and backs off on other failures).
        return wire_pager(self._resource, self._list_options, chunk_size=None, resource_version=version, retries=0)

    def _watch(self) -> Any:
        return self._resource.watch(resource_version=self._core.resume_version, **self._watch_options)

    def keys(self) -> Iterable[str]:
        """The cached keys (``namespace/name``)."""
        return self.cache.list_keys()

    @staticmethod
    def split_key(key: str) -> tuple[str | None, str]:
        """``"ns/name"`` → ``("ns", "name")``, for reconcile functions."""
        return split_key(key)


class Informer(_InformerBase[ModelT]):
    """An informer on a thread, for :class:`imageapi.Client` (see the module docs).

    ``Informer(client.image_streams, namespace=..., all_namespaces=..., label_selector=...,
    field_selector=..., indexers={name: func}, resync_period=seconds)``; ``clock`` and ``stop`` let
    a controller share its own; ``backoff`` replaces the reflector's defaults. Start it with ``with`` or :meth:`start`.
    """

    def __init__(self, resource: Any, **options: Any) -> None:
        super().__init__(resource, **options)
        self._thread: threading.Thread | None = None
        self._synced = threading.Condition()
        self._core._on_synced.append(self._notify_synced)

    def _notify_synced(self) -> None:
        with self._synced:
            self._synced.notify_all()

    def start(self) -> Self:
        """Start listing and watching on a daemon thread (a no-op when running)."""
        if self._thread is None:
            if self.stop_signal.is_set():
                raise RuntimeError("this informer was stopped; create a new one")
            self._thread = threading.Thread(target=self._run, name=f"informer-{self._resource.info.plural}",
                                            daemon=True)
            self._thread.start()
            if self.resync_period is not None:
                threading.Thread(target=self._resync_loop, name="informer-resync", daemon=True).start()
        return self

    def _resync_loop(self) -> None:
        assert self.resync_period is not None
        while not self.clock.sleep(self.resync_period, self.stop_signal):
            if self._core.synced:
                self._core.resync()

    def stop(self, timeout: float | None = 10.0) -> None:
        """Stop watching and wait (up to ``timeout`` s) for the thread to end."""
        self.stop_signal.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def wait_for_sync(self, timeout: float | None = None) -> bool:
        """Block until the first list is in the cache (True) or ``timeout`` seconds passed (False)."""
        cancel = self.stop_signal.condition_wake(self._synced)
        try:
            deadline = None if timeout is None else self.clock.now() + timeout
            with self._synced:
                while not self._core.synced and not self.stop_signal.is_set():
                    remaining = None if deadline is None else deadline - self.clock.now()
                    if remaining is not None and remaining <= 0:
                        break
                    self.clock.wait(self._synced, remaining)
        finally:
            cancel()
        return self._core.synced

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _apply_list(self, pager: Any) -> bool:
        """Read a (re)list into the cache; False when stopped meanwhile. A method of its own so that
        its last page (the whole answer, for a list the watch cache sent) is freed before the watch."""
        with hold_full_collections():  # a (re)list's pages survive young collections
            for page in pager.pages():
                if self.stop_signal.is_set():
                    return False
                self._core.listed(page.entries())
        self._core.list_complete(pager.resource_version)
        return True

    def _run(self) -> None:
        stop = self.stop_signal
        while not stop.is_set():
            try:
                pager = self._list()
                if pager is not None and not self._apply_list(pager):
                    return
                with self._watch() as watcher:
                    cancel = stop.on_set(watcher.stop)
                    try:
                        for event in watcher:
                            self._core.apply(event)
                    finally:
                        cancel()
            except (ImageAPIError, ValueError) as error:
                if stop.is_set():
                    break
                delay = self._core.ended(error)
            except Exception as error:  # never let one bad event end the informer
                logger.exception("informer failed")
                delay = self._core.ended(error)
            else:
                continue  # a watch ends cleanly only when stopped
            self.clock.sleep(delay, stop)


class AsyncInformer(_InformerBase[ModelT]):
    """An informer on a task, for :class:`imageapi.AsyncClient`: ``async with AsyncInformer(...)``.

    The same options, cache and handlers as :class:`Informer` (handlers are plain functions, run on
    the event loop).
    """

    def __init__(self, resource: Any, **options: Any) -> None:
        super().__init__(resource, **options)
        self._task: asyncio.Task[None] | None = None
        self._resync_task: asyncio.Task[None] | None = None
        self._synced_events: list[asyncio.Event] = []
        self._core._on_synced.append(self._notify_synced)

    def _notify_synced(self) -> None:
        for event in self._synced_events:
            event.set()

    async def start(self) -> Self:
        """Start listing and watching on a task of the running loop (a no-op when running)."""
        import asyncio

        if self._task is None:
            if self.stop_signal.is_set():
                raise RuntimeError("this informer was stopped; create a new one")
            loop = asyncio.get_running_loop()
            self._task = loop.create_task(self._run())
            if self.resync_period is not None:
                self._resync_task = loop.create_task(self._resync_loop())
        return self

    async def _resync_loop(self) -> None:
        assert self.resync_period is not None
        while not await self.clock.sleep_async(self.resync_period, self.stop_signal):
            if self._core.synced:
                self._core.resync()

    async def stop(self, timeout: float | None = 10.0) -> None:
        """Stop watching and wait (up to ``timeout`` s) for the task to end."""
        import asyncio

        self.stop_signal.set()
        if self._task is not None and self._task is not asyncio.current_task():
            done, _ = await asyncio.wait({self._task}, timeout=timeout)
            if not done:
                self._task.cancel()

    async def wait_for_sync(self, timeout: float | None = None) -> bool:
        """Wait until the first list is in the cache (True) or ``timeout`` seconds passed (False)."""
        import asyncio

        event = asyncio.Event()
        self._synced_events.append(event)
        cancel = self.stop_signal.event_wake(event)
        try:
            deadline = None if timeout is None else self.clock.now() + timeout
            while not self._core.synced and not self.stop_signal.is_set():
                remaining = None if deadline is None else deadline - self.clock.now()
                if remaining is not None and remaining <= 0:
                    break
                await self.clock.wait_async(event, remaining)
                event.clear()
        finally:
            cancel()
            self._synced_events.remove(event)
        return self._core.synced

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    async def _apply_list(self, pager: Any) -> bool:
        """:meth:`Informer._apply_list` on the event loop."""
        with hold_full_collections():
            async for page in pager.pages():
                if self.stop_signal.is_set():
                    return False
                self._core.listed(page.entries())
        self._core.list_complete(pager.resource_version)
        return True

    async def _run(self) -> None:
        stop = self.stop_signal
        while not stop.is_set():
            try:
                pager = self._list()
                if pager is not None and not await self._apply_list(pager):
                    return
                async with self._watch() as watcher:
                    cancel = stop.on_set(watcher.stop)
                    try:
                        async for event in watcher:
                            self._core.apply(event)
                    finally:
                        cancel()
            except (ImageAPIError, ValueError) as error:
                if stop.is_set():
                    break
                delay = self._core.ended(error)
            except Exception as error:
                logger.exception("informer failed")
                delay = self._core.ended(error)
            else:
                continue
            await self.clock.sleep_async(delay, stop)
