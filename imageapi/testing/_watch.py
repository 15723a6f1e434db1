"""Watch streams (server-semantics.md §14): store events in, newline-delimited JSON out.

A :class:`WatchStream` is sans-I/O: the transports (in-process sync/async, loopback HTTP) pull chunks
from it with :meth:`WatchStream.next_chunk`, which blocks at most ``wait`` seconds, so every transport
can notice a closed client or a shutting-down server between chunks. Each chunk holds every event that
was waiting, so a fast writer does not cost one transport round trip per event.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ._contracts import JSON
from ._lists import timeout_too_large
from ._status import expired
from ._store import (
    ADDED,
    DELETED,
    MODIFIED,
    Event,
    LineMemo,
    Store,
    Subscription,
    TooLargeResourceVersion,
    TooOldResourceVersion,
)

INITIAL_EVENTS_END_ANNOTATION = "k8s.io/initial-events-end"
_MAX_EVENTS_PER_CHUNK = 1000


def encode_event(event_type: str, obj: JSON) -> bytes:
    """One line of the watch body."""
    return json.dumps({"type": event_type, "object": obj}, separators=(",", ":")).encode() + b"\n"


@dataclass
class WatchSpec:
    """Everything a watch needs, decided by the routes before the stream starts."""

    resource: str
    namespace: str | None
    kind: str
    api_version: str
    matcher: Callable[[JSON], bool] | None
    render: Callable[[JSON], JSON]  # copy + decorate an object for the wire
    # The whole line of an event on a stored object, which every watcher of the resource sends alike
    # (so the app can encode it once for all of them); the third argument is the store event's
    # ``lines`` memo when the object is that event's, None for objects of the initial state.
    encode: Callable[[str, JSON, LineMemo | None], bytes]
    since: int | None  # None: start with ADDED for the current state
    send_initial_events_end: bool  # a BOOKMARK with the initial-events-end annotation after them
    allow_bookmarks: bool
    timeout: float
    bookmark_interval: float
    max_events: int | None = None  # a fault: end the stream after this many events
    abrupt_cut: bool = False  # a fault: the cut is a dropped connection, not a clean end


class WatchCut(Exception):
    """Raised by :meth:`WatchStream.next_chunk` when a fault drops the connection mid-stream."""


class WatchStream:
    """One client's watch. Not thread-safe: one consumer pulls from it."""

    def __init__(self, store: Store, spec: WatchSpec, stopping: threading.Event,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._spec = spec
        self._stopping = stopping
        self._clock = clock
        self._pending: list[bytes] = []
        self._subscription: Subscription | None = None
        self._finished = False
        self._cut = False
        self._sent = 0
        self._deadline = clock() + spec.timeout
        self._next_bookmark = clock() + spec.bookmark_interval
        self._last_rv = 0
        self._open()

    # -- public ---------------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        """Whether the stream has ended."""
        return self._finished

    def next_chunk(self, wait: float) -> bytes | None:
        """The next bytes to send: ``b""`` when nothing happened within ``wait`` seconds, None at the end.

        Raises :class:`WatchCut` when a fault asks for an abrupt end."""
        if self._pending:
            return self._flush()
        if self._finished:
            if self._cut:
                raise WatchCut("watch stream cut by a fault")
            return None
        if self._stopping.is_set():
            self.close()
            return None
        now = self._clock()
        if now >= self._deadline:
            # The server's last word before its timeout is a bookmark, so the client can resume cheaply.
            if self._spec.allow_bookmarks:
                self._bookmark()
            self.close()
            return self._flush() if self._pending else None
        if self._spec.allow_bookmarks and now >= self._next_bookmark:
            self._bookmark()
            return self._flush()
        events = self._subscription.events if self._subscription is not None else None
        if events is None:
            return None
        timeout = max(0.0, min(wait, self._deadline - now,
                               (self._next_bookmark - now) if self._spec.allow_bookmarks else wait))
        try:
            first = events.get(timeout=timeout) if timeout else events.get_nowait()
        except queue.Empty:
            return b""
        self._convert(first)
        for _ in range(_MAX_EVENTS_PER_CHUNK):
            if self._finished:  # a fault cut the stream inside this batch
                break
            try:
                self._convert(events.get_nowait())
            except queue.Empty:
                break
        return self._flush()

    def close(self) -> None:
        """End the stream and stop listening to the store."""
        self._finished = True
        if self._subscription is not None:
            self._store.unsubscribe(self._subscription)
            self._subscription = None

    # -- internals ------------------------------------------------------------------------------

    def _open(self) -> None:
        spec = self._spec
        try:
            self._subscription, initial = self._store.subscribe(spec.resource, spec.since)
        except TooOldResourceVersion as error:
            self._fail(expired(str(error)).to_status())
            return
        except TooLargeResourceVersion as error:
            # A watch from a revision this store never reached (a client of another history, or of
            # this fake before a restart without state): the Status etcd3 gives reads ahead, as the
            # one ERROR event of an errWatcher, so a reflector relists instead of waiting.
            self._fail(timeout_too_large(error.requested, error.current).to_status())
            return
        if initial is None:
            self._last_rv = spec.since or 0
            return
        self._last_rv = initial.rv
        start, end = initial.window(spec.namespace)
        for obj in initial.objects[start:end]:
            if spec.matcher is None or spec.matcher(obj):
                self._emit(ADDED, obj)
        if spec.send_initial_events_end and spec.allow_bookmarks:
            self._emit_bookmark(initial.rv, {INITIAL_EVENTS_END_ANNOTATION: "true"})

    def _fail(self, status: JSON) -> None:
        self._pending.append(encode_event("ERROR", status))
        self._finished = True

    def _convert(self, event: Event) -> None:
        self._last_rv = event.rv
        spec = self._spec
        if spec.namespace and event.namespace != spec.namespace:
            return
        matcher = spec.matcher
        memo = event.lines
        if event.type == ADDED:
            if matcher is None or matcher(event.obj):
                self._emit(ADDED, event.obj, memo=memo)
        elif event.type == DELETED:
            if matcher is None or matcher(event.obj):
                self._emit(DELETED, event.obj, memo=memo)
        elif matcher is None:
            self._emit(MODIFIED, event.obj, memo=memo)
        else:
            now_in = matcher(event.obj)
            was_in = event.old is not None and matcher(event.old)
            if now_in:
                self._emit(MODIFIED if was_in else ADDED, event.obj, memo=memo)
            elif was_in and event.old is not None:
                # Leaving the selection reads as a deletion of the old state, at this event's revision.
                self._emit(DELETED, event.old, rv=event.rv)

    def _emit(self, event_type: str, obj: JSON, rv: int | None = None, memo: LineMemo | None = None) -> None:
        if self._finished:
            return
        if rv is None:
            line = self._spec.encode(event_type, obj, memo)
        else:  # the object is shown at another revision than its own: not the shared line
            rendered = self._spec.render(obj)
            rendered.setdefault("metadata", {})["resourceVersion"] = str(rv)
            line = encode_event(event_type, rendered)
        self._pending.append(line)
        self._count()

    def _emit_bookmark(self, rv: int, annotations: dict[str, str] | None = None) -> None:
        metadata: JSON = {"resourceVersion": str(rv)}
        if annotations:
            metadata["annotations"] = annotations
        obj = {"kind": self._spec.kind, "apiVersion": self._spec.api_version, "metadata": metadata}
        self._pending.append(encode_event("BOOKMARK", obj))
        self._count()

    def _bookmark(self) -> None:
        """Deliver everything up to the store's current revision, then a bookmark at that revision."""
        self._next_bookmark = self._clock() + self._spec.bookmark_interval
        subscription = self._subscription
        if subscription is None:
            return
        with self._store.lock:
            rv = self._store.current_resource_version()
            drained: list[Event] = []
            while True:
                try:
                    drained.append(subscription.events.get_nowait())
                except queue.Empty:
                    break
        for event in drained:
            self._convert(event)
        self._emit_bookmark(max(rv, self._last_rv))

    def _count(self) -> None:
        self._sent += 1
        if self._spec.max_events is not None and self._sent >= self._spec.max_events:
            self._cut = self._spec.abrupt_cut
            self.close()

    def _flush(self) -> bytes:
        chunk = b"".join(self._pending)
        self._pending.clear()
        return chunk
