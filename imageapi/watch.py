"""Resumable watches: ``client.image_streams.watch(...)`` (images and imagestreams only).

::

    with client.image_streams.watch(namespace="demo") as watch:
        for event in watch:                  # event.type: ADDED, MODIFIED, DELETED (BOOKMARK if asked)
            print(event.type, event.object.metadata.name)   # event.object: a typed ImageStream
            if done:
                watch.stop()                 # also safe from another thread or task

    pager = client.image_streams.list(namespace="demo")
    streams = list(pager)
    watch = client.image_streams.watch(namespace="demo", resource_version=pager.resource_version)

How the stream is kept alive, invisibly to the caller:

* Every request asks for bookmarks (``allowWatchBookmarks=true``) and the watch remembers the
  resourceVersion of the last event or bookmark. When the stream ends (the server's
  ``timeoutSeconds``, a dropped connection, a proxy's 5xx) it reconnects from there, after a backoff
  when the end was a failure (the client's ``RetryPolicy``: ``attempts`` consecutive failures end the
  watch with the last error). The server sends only events after that resourceVersion, and a line
  cut in half is never decoded, so no event is lost and none is delivered twice.
* A connection that goes silent (a half-open TCP connection, a stalled proxy) is detected by the read
  timeout on the stream (``inactivity_timeout``, longer than the server's bookmark interval, so a
  healthy idle watch never trips it) and handled like a dropped connection.
* An ``ERROR`` event becomes the matching :mod:`imageapi.errors` exception. 410 (the
  resourceVersion was compacted away) raises :class:`~imageapi.errors.ResourceExpiredError` and is
  never retried with the same resourceVersion: list again and watch from the new list's version.
  The same goes for a resourceVersion the server has not reached (after a restart without its
  history, or from a lagging replica), whether it comes as the stream's ``ERROR`` event or as the
  answer to opening it: :class:`~imageapi.errors.ResourceVersionTooLargeError` is raised at once,
  not retried with backoff, since waiting for a server to catch up with a history it may never
  have is what client-go's reflector avoids by relisting.
* A whole line that is not a watch event (a proxy's HTML page on a 200, a line of garbage) raises
  :class:`~imageapi.errors.ProtocolError` naming the URL and an excerpt: reading the stream again
  would read the same thing. Only a line cut short by a dropped connection is a transport failure,
  and it never reaches the decoder (it has no newline), so that case reconnects as above.

Without ``resource_version`` (or with ``"0"``) the watch starts from the current state: it first
lists (page by page, one consistent snapshot) and yields an ``ADDED`` event per object, then
watches from the list's resourceVersion. Real servers can send those initial ``ADDED`` events
themselves, but only servers with the WatchList feature say where they end, and without that a
connection lost during them could not be resumed exactly; the list works on every server. With
``bookmarks=True`` the end of the initial state is marked by a ``BOOKMARK`` whose object carries the
``k8s.io/initial-events-end: "true"`` annotation, as the server's streaming lists do.

The protocol logic is :class:`WatchMachine` (sans-I/O: it says what to send, decodes lines and decides
about reconnects); :class:`Watcher` and :class:`AsyncWatcher` only move bytes.
"""

from __future__ import annotations

import contextlib
import functools
import json
import socket
import threading
from collections.abc import AsyncGenerator, Callable, Generator, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeAlias, TypeVar, Union, cast

import httpx
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic_core import from_json as parse_json

from ._base_client import NOT_GIVEN, undecodable_body, user_facing
from ._deadline import DeadlineTypes
from ._request import ApiRequest, BodyMismatch, ListOptions, build_watch_request, response_error
from ._resource_info import ResourceInfo
from .errors import (
    APIConnectionError,
    ApiError,
    ImageAPIError,
    ProtocolError,
    ResourceExpiredError,
    ResourceVersionTooLargeError,
    error_from_response,
    error_from_transport,
)
from .pagination import ListCursor

if TYPE_CHECKING:
    import asyncio

    import anyio
    from typing_extensions import Self

    from ._base_client import AsyncClientCore, NotGiven, RetriesTypes, SyncClientCore, TimeoutTypes
    from ._retry import RetryPolicy

__all__ = [
    "DEFAULT_INACTIVITY_TIMEOUT",
    "INITIAL_EVENTS_END_ANNOTATION",
    "AsyncWatcher",
    "Event",
    "EventType",
    "WatchMachine",
    "Watcher",
]

ModelT = TypeVar("ModelT")

EventType = Literal["ADDED", "MODIFIED", "DELETED", "BOOKMARK"]
"""The types of event a watch yields (``ERROR`` events are raised, never yielded)."""

DEFAULT_INACTIVITY_TIMEOUT = 120.0
"""Seconds without a byte on the stream before the connection is presumed dead. Servers send a
bookmark about every minute, so twice that never fires on a healthy watch."""

INITIAL_EVENTS_END_ANNOTATION = "k8s.io/initial-events-end"
"""The annotation on the bookmark that ends the initial state (streaming-list convention)."""


class Event(BaseModel, Generic[ModelT]):
    """One change: ``type`` (ADDED, MODIFIED, DELETED, BOOKMARK) and ``object``, the typed model.

    ``DELETED`` carries the object's last state; a ``BOOKMARK`` object is empty except for
    ``metadata.resourceVersion`` (and annotations).
    """

    model_config = ConfigDict(extra="ignore")

    type: EventType
    object: ModelT

    # The object of an event off a stream validates its fields when they are read (see
    # imageapi.models._lazy): whatever writes the whole event makes it whole first.

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        """Like pydantic's (the object's unread fields are validated first)."""
        _validate_all(self.object)
        return super().model_dump(**kwargs)

    def model_dump_json(self, **kwargs: Any) -> str:
        """Like pydantic's (the object's unread fields are validated first)."""
        _validate_all(self.object)
        return super().model_dump_json(**kwargs)

    def __repr__(self) -> str:
        from ._display import event_repr

        return event_repr(self)

    def _repr_html_(self) -> str:
        """A notebook shows an event as a one-row table: its type, then the object's ``oc get`` columns."""
        from ._display import html_of

        return html_of([self])


_EVENT_FIELDS = frozenset({"type", "object"})


def _new_event(event_class: Any, event_type: str, obj: Any) -> Any:
    """An ``Event`` of an already decoded object, without validating it again: what
    ``model_construct`` does, minus its per-call work (a watch makes one per line)."""
    event = event_class.__new__(event_class)
    object.__setattr__(event, "__dict__", {"type": event_type, "object": obj})
    object.__setattr__(event, "__pydantic_fields_set__", set(_EVENT_FIELDS))
    object.__setattr__(event, "__pydantic_extra__", None)
    object.__setattr__(event, "__pydantic_private__", None)
    return event


def _validate_all(obj: Any) -> None:
    validate_all = getattr(obj, "validate_all", None)
    if validate_all is not None:
        validate_all()


_EVENT_TYPES = frozenset({"ADDED", "MODIFIED", "DELETED", "BOOKMARK"})


class _ErrorEvent(BaseModel):
    """An ``ERROR`` line: its object is a Status, kept as a dict to build the exception from."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["ERROR"]
    object: dict[str, Any]


@functools.cache
def _line_decoder(model: Any) -> TypeAdapter[Any]:
    """One validator per kind: a line is decoded in a single pass, straight from its bytes, into
    either an ``Event[model]`` or an error event (the ``type`` field picks which)."""
    union = Annotated[Union[Event[model], _ErrorEvent], Field(discriminator="type")]  # noqa: UP007
    return TypeAdapter(union)


# --------------------------------------------------------------------------------------------------
# The sans-I/O machine


@dataclass(frozen=True)
class FetchPage:
    """Action: send this list request and pass the page to :meth:`WatchMachine.page_events`."""

    request: ApiRequest


@dataclass(frozen=True)
class OpenStream:
    """Action: open this watch request and feed the body to :meth:`WatchMachine.feed`."""

    request: ApiRequest


@dataclass(frozen=True)
class Wait:
    """Action: wait this many seconds (a backoff) before asking for the next action."""

    seconds: float


Action: TypeAlias = FetchPage | OpenStream | Wait


class WatchMachine(Generic[ModelT]):
    """The watch protocol without I/O: what to send next, line decoding, reconnect decisions."""

    def __init__(
        self,
        info: ResourceInfo,
        namespace: str | None,
        model: type[ModelT],
        *,
        label_selector: str | None,
        field_selector: str | None,
        resource_version: str | None,
        bookmarks: bool,
        policy: RetryPolicy,
        timeout_seconds: int | None,
        list_decode: Callable[[bytes], Any],
        chunk_size: int,
        lazy: bool = True,
    ) -> None:
        self._info = info
        self._namespace = namespace
        self._model = model
        self._selectors = ListOptions(label_selector=label_selector, field_selector=field_selector)
        self._bookmarks = bookmarks
        self._policy = policy
        self._timeout_seconds = timeout_seconds
        self._decode_line = _line_decoder(cast(Any, model)).validate_json
        # The SDK's models decode an event's object lazily (a field is validated when read); other
        # models (a generic resource's own) through the validator above.
        self._lazy = lazy and getattr(model, "validate_all", None) is not None
        self._event_type: Any = Event[model]  # type: ignore[valid-type]
        if self._lazy:
            from .models import _lazy

            _lazy.note_lazy_models()
            self._lazy_models: Any = _lazy
            self._origin = _lazy.Origin("watch event", "GET", "")
        self._buffer = b""
        self._lines_this_stream = 0
        self._stream_url = ""
        self._failures = 0
        self._wait: float | None = None
        self.reconnects = 0
        """How many times the watch reopened its stream (after a server timeout or a failure)."""
        from_current_state = resource_version in (None, "", "0")
        self.resource_version: str | None = None if from_current_state else resource_version
        """The resourceVersion the watch continues from: the last event's or bookmark's."""
        # The initial state, until its last page was read (then the stream starts at its version).
        self._listing = ListCursor(
            info, namespace, self._selectors, list_decode, chunk_size=chunk_size, on_expired="raise"
        ) if from_current_state else None

    # -- what to do next ----------------------------------------------------------------------

    def next_action(self) -> Action:
        """The next thing the driver must do."""
        if self._wait is not None:
            seconds, self._wait = self._wait, None
            return Wait(seconds)
        if self._listing is not None:
            request = self._listing.next_request()
            assert request is not None  # page_events ends the listing with its last page
            return FetchPage(request)
        options = ListOptions(
            label_selector=self._selectors.label_selector,
            field_selector=self._selectors.field_selector,
            resource_version=self.resource_version,
        )
        request = build_watch_request(
            self._info, self._namespace, _no_decode, options,
            allow_bookmarks=True, timeout_seconds=self._timeout_seconds,
        )
        return OpenStream(request)

    # -- the initial state ----------------------------------------------------------------------

    def page_events(self, page: Any) -> list[Event[ModelT]]:
        """``ADDED`` events for a page of the initial list (and the end-of-initial-state bookmark)."""
        listing = self._listing
        assert listing is not None
        listing.accept(page)
        event_type = Event[self._model]  # type: ignore[name-defined]
        # The items are already validated models: construct the events without validating again.
        events = [_new_event(event_type, "ADDED", item) for item in page.items or ()]
        if listing.next_request() is None:
            self._listing = None
            self.resource_version = listing.resource_version
            if self._bookmarks:
                marker = self._model.model_validate(  # type: ignore[attr-defined]
                    {"metadata": {"resourceVersion": self.resource_version,
                                  "annotations": {INITIAL_EVENTS_END_ANNOTATION: "true"}}}
                )
                events.append(event_type.model_construct(type="BOOKMARK", object=marker))
        return events

    # -- the stream -----------------------------------------------------------------------------

    def stream_opened(self, url: str = "") -> None:
        """A new stream answered 200: start with an empty line buffer. ``url`` (the request's) is
        named in the :class:`~imageapi.errors.ProtocolError` of a line that is not an event."""
        self._buffer = b""
        self._lines_this_stream = 0
        self._stream_url = url
        if self._lazy:
            self._origin = self._lazy_models.Origin("watch event", "GET", url)

    def feed(self, chunk: bytes) -> Iterator[Event[ModelT]]:
        """Decode the complete lines in ``chunk`` (a partial last line waits for the next chunk).

        Events are produced one at a time, as the caller takes them: a chunk can hold a thousand
        events, and holding them all at once would make the garbage collector walk them over and
        over (it tripled the cost per event). Raises the :mod:`imageapi.errors` exception of an
        ``ERROR`` event, and :class:`~imageapi.errors.ProtocolError` for a whole line that is not a
        watch event (never for the cut last line of a dropped connection: that waits in the buffer)."""
        data = self._buffer + chunk if self._buffer else chunk
        lines = data.split(b"\n")
        self._buffer = lines.pop()
        del data  # the generator may stay suspended between events: keep only the split lines
        for position, line in enumerate(lines):
            if line and not line.isspace():
                try:
                    event = self._decode(line)
                except ValidationError as error:
                    # The excerpt starts at the bad line but goes on: the first line of a proxy's
                    # page is often only markup, and the text saying what happened comes after it.
                    following = b"\n".join(lines[position:position + _EXCERPT_LINES])
                    raise self._not_an_event(error, following) from None
                if event is not None:
                    yield event

    def _not_an_event(self, error: ValidationError, received: bytes) -> ProtocolError:
        # A complete line (it ended with a newline) that is not an event: a proxy's page or
        # garbage, which a reconnect would read again. Raised, not retried.
        problems = BodyMismatch.from_validation("watch event", error, tagged=True).problems
        return ProtocolError(
            f"watch stream line is not a watch event ({problems[0] if problems else 'unreadable'})",
            url=self._stream_url, received=received, problems=problems,
        ).with_original(error)

    def _decode(self, line: bytes) -> Event[ModelT] | None:
        decoded = self._decode_lazily(line) if self._lazy else None
        if decoded is None:  # not an SDK model, or a line the lazy path does not take: pydantic says what is wrong
            event: Any = self._decode_line(line)
            if isinstance(event, _ErrorEvent):
                raise _error_from_status(event.object, self._info)
            kind = event.object.kind
            version = getattr(getattr(event.object, "metadata", None), "resource_version", None)
        else:
            event, kind, version = decoded
        self._lines_this_stream += 1
        if kind is not None and kind != self._info.kind:
            # An event about another kind of object (a misrouted proxy, a broken server) is not
            # silently read as this kind: its fields would be decoded under the wrong schema.
            raise ProtocolError(
                f"watch stream event carries a {kind}, expected a {self._info.kind}",
                url=self._stream_url, received=line,
            )
        if version:
            self.resource_version = version
        if event.type == "BOOKMARK" and not self._bookmarks:
            return None
        return cast("Event[ModelT]", event)

    def _decode_lazily(self, line: bytes) -> tuple[Event[ModelT], str | None, str | None] | None:
        """The event on ``line`` with its object decoded lazily, and the object's kind and
        resourceVersion (read off the parsed line: every event needs them, few handlers do); None
        when the line is not a well-formed event of that shape (then the validating decoder reads it
        again, to raise its problems). Raises the error an ``ERROR`` event carries."""
        try:
            document = parse_json(line, allow_inf_nan=False)
        except ValueError:
            return None
        if type(document) is not dict:
            return None
        event_type, obj = document.get("type"), document.get("object")
        if type(obj) is not dict:
            return None
        if event_type == "ERROR":
            self._lines_this_stream += 1
            raise _error_from_status(obj, self._info)
        if event_type not in _EVENT_TYPES:
            return None
        kind, metadata = obj.get("kind"), obj.get("metadata")
        version = metadata.get("resourceVersion") if type(metadata) is dict else None
        if not (kind is None or type(kind) is str) or not (version is None or type(version) is str) \
                or not (metadata is None or type(metadata) is dict):
            return None
        lazy = self._lazy_models
        event = _new_event(self._event_type, event_type, lazy.shell(self._model, obj, (self._origin, "object")))
        return event, kind, version

    def stream_ended(self, error: ImageAPIError | None) -> None:
        """The stream ended (``error`` None: cleanly). Plan the reconnect, or raise ``error``."""
        if self._lines_this_stream:
            # The connection worked: whatever happened now is a new run of failures.
            self._failures = 0
        if error is None and self._lines_this_stream:
            self.reconnects += 1
            return  # the server's timeout: reconnect at once
        if isinstance(error, (ResourceExpiredError, ResourceVersionTooLargeError)):
            raise error  # never again with the same resourceVersion: the caller relists
        if error is not None and not _retryable(self._policy, error):
            raise error
        self._failures += 1
        if error is not None and self._failures >= max(1, self._policy.attempts):
            raise error
        self.reconnects += 1
        hint = error.retry_after_seconds if isinstance(error, ApiError) else None
        self._wait = min(hint, self._policy.max_retry_after) if hint is not None \
            else self._policy.backoff(self._failures)


_EXCERPT_LINES = 20
"""How many lines, from the first that is not an event, a ProtocolError's excerpt is taken from."""


def _no_decode(content: bytes) -> Any:
    raise AssertionError("watch bodies are decoded line by line")  # pragma: no cover


def _retryable(policy: RetryPolicy, error: ImageAPIError) -> bool:
    from ._retry import is_retryable

    return is_retryable(policy, "GET", error)


def _error_from_status(status: dict[str, Any], info: ResourceInfo) -> ApiError:
    code = status.get("code")
    return error_from_response(
        "GET", f"watch {info.plural}", code if isinstance(code, int) and code else 500, {},
        json.dumps(status).encode(),
    )


def _asyncio_cancelled() -> type[BaseException]:
    """``asyncio.CancelledError``, imported when an exception is being matched against it: importing
    asyncio with the SDK cost every blocking program 12 ms of its start."""
    import asyncio

    return asyncio.CancelledError


def stream_timeout(client_timeout: TimeoutTypes, inactivity_timeout: float | None) -> httpx.Timeout:
    """The client's timeouts, with the read timeout replaced by the inactivity timeout."""
    base = client_timeout if isinstance(client_timeout, httpx.Timeout) else httpx.Timeout(client_timeout)
    return httpx.Timeout(connect=base.connect, read=inactivity_timeout, write=base.write, pool=base.pool)


def _shutdown_socket(response: httpx.Response) -> bool:
    """Wake a thread blocked reading ``response`` by shutting its socket down; False without one."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if not isinstance(sock, socket.socket):
        return False
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)
    return True


# --------------------------------------------------------------------------------------------------
# Drivers


class _WatcherBase(Generic[ModelT]):
    """What both drivers hold: the machine (all protocol decisions), the client that sends what it
    asks for, with the caller's per-request options, and the stop flag."""

    def __init__(
        self,
        client: Any,  # each driver declares the class its I/O needs
        machine: WatchMachine[ModelT],
        *,
        timeout: httpx.Timeout,
        request_timeout: TimeoutTypes | NotGiven,
        retries: RetriesTypes | NotGiven,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> None:
        self._client = client
        self._machine = machine
        self._timeout = timeout  # the stream's: the read timeout is the inactivity timeout
        self._request_timeout = request_timeout  # the initial list's pages
        self._retries = retries
        self._deadline = deadline  # per page of the initial list, and per attempt to open the stream
        self._stopped = threading.Event()
        self._events = self._run()

    def _run(self) -> Any:
        """The driver's event generator, started by ``__init__``."""
        raise NotImplementedError

    @property
    def resource_version(self) -> str | None:
        """The resourceVersion the watch would resume from (the last event's or bookmark's)."""
        return self._machine.resource_version

    @property
    def reconnects(self) -> int:
        """How many times the stream was reopened (server timeouts, cut connections)."""
        return self._machine.reconnects

    @property
    def stopped(self) -> bool:
        """Whether :meth:`stop` was called."""
        return self._stopped.is_set()


class Watcher(_WatcherBase[ModelT]):
    """A running watch on the blocking client: iterate it for :class:`Event` objects.

    Use as a context manager (the connection is closed on exit) or call :meth:`close`; :meth:`stop`
    ends the iteration from any thread.
    """

    _client: SyncClientCore
    _events: Generator[Event[ModelT], None, None]
    _response: httpx.Response | None = None
    """The open stream's response, for :meth:`stop` to interrupt from another thread."""

    def __iter__(self) -> Iterator[Event[ModelT]]:
        return self

    def __next__(self) -> Event[ModelT]:
        try:
            return next(self._events)
        except ImageAPIError as error:
            raise user_facing(error) from None
        except KeyboardInterrupt as interrupt:
            # Ctrl-C: the stream's ``finally`` closed the connection on the way out; what the user
            # sees is their own line, not the socket read it interrupted.
            raise KeyboardInterrupt(*interrupt.args) from None

    def stop(self) -> None:
        """End the iteration promptly; safe from another thread (the blocked read is interrupted)."""
        self._stopped.set()
        response = self._response
        if response is not None and not _shutdown_socket(response):
            response.close()  # in-process transports: closing the body ends its iteration

    def close(self) -> None:
        """Stop and release the connection (call from the iterating thread, or use ``with``)."""
        self._stopped.set()
        self._events.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _run(self) -> Generator[Event[ModelT], None, None]:
        from ._base_client import single

        machine = self._machine
        while not self._stopped.is_set():
            action = machine.next_action()
            if isinstance(action, Wait):
                self._sleep(action.seconds)
            elif isinstance(action, FetchPage):
                page = self._client._run(single(action.request), self._request_timeout, self._retries, self._deadline)
                for event in machine.page_events(page):
                    if self._stopped.is_set():
                        return  # stop() between two events of the initial state
                    yield event
            else:
                error = yield from self._stream(action.request)
                if self._stopped.is_set():
                    return
                machine.stream_ended(error)

    def _sleep(self, seconds: float) -> None:
        if self._client._sleep is not None:
            self._client._sleep(seconds)
        else:
            self._stopped.wait(seconds)  # returns early on stop()

    def _stream(self, request: ApiRequest) -> Generator[Event[ModelT], None, ImageAPIError | None]:
        """Yield the events of one stream; return the error that ended it (None: a clean end)."""
        client = self._client
        limit = client._start_deadline(self._deadline)
        # With a deadline every phase, reading the response headers included, is cut to what remains.
        http_request = client._http_request(request, self._timeout if limit is None else limit.timeout(self._timeout))
        try:
            response = client._http.send(http_request, stream=True)
        except httpx.TransportError as exc:
            if limit is not None and limit.expired():
                return limit.error(request.method, http_request.url, retryable=True).with_original(exc)
            return error_from_transport(request.method, http_request.url, exc)
        self._response = response
        try:
            if limit is not None:
                if limit.expired():  # a blocking read cannot be cancelled: a late answer is refused
                    return limit.error(request.method, http_request.url, retryable=True)
                # The stream itself may stay silent for longer than a deadline: its reads go back to
                # the inactivity timeout. httpcore reads the request's timeouts when the body is first
                # iterated (after this), from this same extensions mapping.
                http_request.extensions["timeout"] = self._timeout.as_dict()
            if self._stopped.is_set():
                # stop() came while the request was in flight, when it had no response to interrupt:
                # reading now could block until the next bookmark or the inactivity timeout.
                return None
            if not 200 <= response.status_code < 300:
                response.read()
                return response_error(
                    request.method, http_request.url, response.status_code, response.headers, response.content
                )
            self._machine.stream_opened(str(http_request.url))
            try:
                for chunk in response.iter_bytes():
                    if self._stopped.is_set():
                        return None
                    for event in self._machine.feed(chunk):
                        if self._stopped.is_set():
                            return None
                        yield event
            except (httpx.TransportError, httpx.StreamClosed) as exc:
                if self._stopped.is_set():
                    return None
                if isinstance(exc, httpx.TransportError):
                    return error_from_transport(request.method, http_request.url, exc)
                # Closed under us without stop(): handled like a dropped connection (reconnect).
                return APIConnectionError(
                    "the stream was closed", method=request.method, url=str(http_request.url)
                ).with_original(exc)
            except httpx.DecodingError as exc:
                raise undecodable_body(request, http_request, exc) from None
            return None
        finally:
            self._response = None
            response.close()


class AsyncWatcher(_WatcherBase[ModelT]):
    """A running watch on :class:`~imageapi.AsyncClient`: ``async for event in watcher``.

    Use ``async with`` (the connection is closed on exit) or call :meth:`aclose`; :meth:`stop` ends
    the iteration from another task, or from another thread when the loop is asyncio's.
    """

    _client: AsyncClientCore
    _events: AsyncGenerator[Event[ModelT], None]
    _scope: anyio.CancelScope | None = None
    """The cancel scope around the current wait (for bytes or a backoff), for :meth:`stop`."""
    _loop: asyncio.AbstractEventLoop | None = None
    _loop_thread: int | None = None
    """The loop iterating the watcher and its thread, known from the first ``__anext__``."""

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Event[ModelT]:
        if self._loop_thread is None:
            import asyncio

            self._loop_thread = threading.get_ident()
            try:
                self._loop = asyncio.get_running_loop()
            except RuntimeError:  # another event loop (trio): stop() works from its tasks only
                self._loop = None
        try:
            return await self._events.__anext__()
        except ImageAPIError as error:
            raise user_facing(error) from None
        except _asyncio_cancelled() as cancelled:
            # Ctrl-C under asyncio.run cancels the task; the connection was closed on the way out.
            raise _asyncio_cancelled()(*cancelled.args) from None

    def stop(self) -> None:
        """End the iteration promptly; safe from another task, or another thread under asyncio."""
        self._stopped.set()
        if self._loop_thread in (None, threading.get_ident()) or self._loop is None:
            self._cancel_wait()
        else:
            self._loop.call_soon_threadsafe(self._cancel_wait)

    def _cancel_wait(self) -> None:
        if self._scope is not None:
            self._scope.cancel()

    async def aclose(self) -> None:
        """Stop and release the connection (or use ``async with``)."""
        self._stopped.set()
        await self._events.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def _run(self) -> AsyncGenerator[Event[ModelT], None]:
        from ._base_client import single

        machine = self._machine
        while not self._stopped.is_set():
            action = machine.next_action()
            if isinstance(action, Wait):
                await self._sleep(action.seconds)
            elif isinstance(action, FetchPage):
                page = await self._client._run(single(action.request), self._request_timeout, self._retries, self._deadline)
                for event in machine.page_events(page):
                    if self._stopped.is_set():
                        return  # stop() between two events of the initial state
                    yield event
            else:
                outcome: list[ImageAPIError | None] = []
                # Unlike ``yield from``, ``async for`` does not close the inner generator when this one
                # is closed: without aclosing the connection would stay open until garbage collection.
                async with contextlib.aclosing(self._stream(action.request, outcome)) as events:
                    async for event in events:
                        yield event
                if self._stopped.is_set():
                    return
                machine.stream_ended(outcome[0] if outcome else None)

    async def _sleep(self, seconds: float) -> None:
        if self._client._sleep is not None:
            await self._client._sleep(seconds)
            return
        import anyio  # (here, as in _stream: a program that never watches asynchronously never loads it)

        with anyio.CancelScope() as scope:
            self._scope = scope
            if not self._stopped.is_set():
                await anyio.sleep(seconds)
        self._scope = None

    async def _stream(
        self, request: ApiRequest, outcome: list[ImageAPIError | None]
    ) -> AsyncGenerator[Event[ModelT], None]:
        """Yield the events of one stream; append the error that ended it to ``outcome``."""
        import anyio

        client = self._client
        limit = client._start_deadline(self._deadline)
        # The read timeout stays the inactivity timeout: fail_after bounds the wait for the headers.
        http_request = client._http_request(
            request, self._timeout if limit is None else limit.timeout(self._timeout, read=False)
        )
        try:
            if limit is None:
                response = await client._http.send(http_request, stream=True)
            else:
                with anyio.fail_after(limit.remaining()):  # until the response headers are in
                    response = await client._http.send(http_request, stream=True)
        except TimeoutError:
            assert limit is not None  # only fail_after raises the builtin TimeoutError here
            outcome.append(limit.error(request.method, http_request.url, retryable=True))
            return
        except httpx.TransportError as exc:
            outcome.append(error_from_transport(request.method, http_request.url, exc))
            return
        try:
            if not 200 <= response.status_code < 300:
                await response.aread()
                outcome.append(response_error(
                    request.method, http_request.url, response.status_code, response.headers, response.content
                ))
                return
            self._machine.stream_opened(str(http_request.url))
            chunks = response.aiter_bytes()
            while True:
                chunk: bytes | None = None
                # Only the wait for bytes is cancellable by stop(): a cancel scope must not span a yield.
                with anyio.CancelScope() as scope:
                    self._scope = scope
                    if self._stopped.is_set():
                        scope.cancel()
                    try:
                        chunk = await chunks.__anext__()
                    except StopAsyncIteration:
                        chunk = None
                    except httpx.TransportError as exc:
                        if not self._stopped.is_set():
                            outcome.append(error_from_transport(request.method, http_request.url, exc))
                        return
                    except httpx.DecodingError as exc:
                        raise undecodable_body(request, http_request, exc) from None
                self._scope = None
                if scope.cancelled_caught or chunk is None:
                    return
                for event in self._machine.feed(chunk):
                    if self._stopped.is_set():
                        return
                    yield event
        finally:
            self._scope = None
            with anyio.CancelScope(shield=True):
                await response.aclose()

