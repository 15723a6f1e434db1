"""The ``list`` and ``watch`` verb mixins (see :mod:`imageapi.pagination` and :mod:`imageapi.watch`).

Unlike the one-request verbs, these return objects that send requests while they are iterated: a
pager (:class:`~imageapi.pagination.Pager` or :class:`~imageapi.pagination.AsyncPager`) and a watcher
(:class:`~imageapi.watch.Watcher` or :class:`~imageapi.watch.AsyncWatcher`), picked by the client the
accessor is bound to. The mixins are generic in that return type so each accessor declares it.

A concrete accessor that mixes these in is checked against the resource table when its class is
created, like the other verbs: it must offer ``list``/``watch`` exactly where the server serves them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

from .. import selectors
from .._base_client import NOT_GIVEN, AsyncClientCore, NotGiven, RetriesTypes, TimeoutTypes, single
from .._deadline import DeadlineTypes
from .._request import ApiRequest, ListOptions
from ..pagination import DEFAULT_CHUNK_SIZE, AsyncPager, ListCursor, OnExpired, Pager
from ..selectors import SelectorInput, escape_field_value
from ..watch import DEFAULT_INACTIVITY_TIMEOUT, AsyncWatcher, Watcher, WatchMachine, stream_timeout
from ._base import Resource

if TYPE_CHECKING:
    from ..controllers import Backoff, Clock, Stop
    from ..controllers.cache import IndexFunc

__all__ = ["Inform", "List", "Watch"]

NamespaceT = TypeVar("NamespaceT")
PagerT = TypeVar("PagerT")
WatcherT = TypeVar("WatcherT")
InformerT = TypeVar("InformerT")


class _Listing(Resource):
    """Scope handling shared by list and watch (``Resource`` checks their verbs against the table)."""

    def _listing_namespace(self, namespace: str | None, all_namespaces: bool) -> str | None:
        if not self._info.namespaced:
            return self._namespace(namespace)  # None; refuses a namespace
        if all_namespaces:
            if namespace is not None:
                raise TypeError("pass either namespace= or all_namespaces=True, not both")
            return None
        return self._namespace(namespace)

    def _list_decoder(self) -> Any:
        list_kind = self._info.list_kind
        assert list_kind is not None, f"{self._info.plural} has no list kind"
        return self._page_decoder(list_kind)


class List(_Listing, Generic[NamespaceT, PagerT]):
    """``list``: every object of a namespace (or the cluster), fetched page by page."""

    _verb: ClassVar[str | None] = "list"

    def list(
        self,
        *,
        namespace: NamespaceT | None = None,
        all_namespaces: bool = False,
        label_selector: SelectorInput | None = None,
        field_selector: SelectorInput | None = None,
        chunk_size: int | None = DEFAULT_CHUNK_SIZE,
        resource_version: str | None = None,
        on_expired: OnExpired = "raise",
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> PagerT:
        """A pager over the matching objects; nothing is sent until it is iterated.

        ``namespace`` defaults to the client's; ``all_namespaces=True`` lists every namespace.
        Selectors are strings, mappings (``{"app": "web"}``) or :mod:`imageapi.selectors`
        requirements. ``chunk_size`` items per page (None: one unpaged request); resources whose
        server ignores ``limit`` (imagestreamtags, imagetags) are always listed whole.
        ``resource_version`` is sent with the first page only (``"0"``: any cached state), and not
        after a restart.
        ``on_expired="restart"`` lists again from the start when a continue token expires (items
        may then repeat) instead of raising ``ResourceExpiredError``. ``timeout`` and ``retries``
        apply to each page request.
        """
        info = self._info
        scope = self._listing_namespace(cast("str | None", namespace), all_namespaces)
        options = ListOptions(
            label_selector=selectors.label_selector(label_selector),
            field_selector=selectors.field_selector(field_selector),
            resource_version=resource_version,
        )
        decode = self._list_decoder()

        def new_cursor() -> ListCursor:
            return ListCursor(info, scope, options, decode, chunk_size=chunk_size, on_expired=on_expired)

        new_cursor()  # refuses bad arguments here, at the call, rather than at the first iteration

        client = self._client
        if isinstance(client, AsyncClientCore):
            async def fetch_async(request: ApiRequest) -> Any:
                return await client._run(single(request), timeout, retries, deadline)

            return cast(PagerT, AsyncPager(new_cursor, fetch_async))

        def fetch(request: ApiRequest) -> Any:
            return client._run(single(request), timeout, retries, deadline)

        return cast(PagerT, Pager(new_cursor, fetch))


class Watch(_Listing, Generic[NamespaceT, WatcherT]):
    """``watch``: the changes to matching objects, as a resumable stream of typed events."""

    _verb: ClassVar[str | None] = "watch"

    def watch(
        self,
        *,
        namespace: NamespaceT | None = None,
        all_namespaces: bool = False,
        name: str | None = None,
        resource_version: str | None = None,
        label_selector: SelectorInput | None = None,
        field_selector: SelectorInput | None = None,
        bookmarks: bool = False,
        inactivity_timeout: float | None = DEFAULT_INACTIVITY_TIMEOUT,
        timeout_seconds: int | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        lazy: bool = True,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> WatcherT:
        """Watch the matching objects; iterate the result (``with``/``async with`` closes it).

        Without ``resource_version`` (or with ``"0"``) the current objects come first as ``ADDED``
        events (from a consistent list), then the changes; with one, only changes after it (pass a
        pager's ``resource_version`` to miss nothing after a list). ``name`` watches one object.
        ``bookmarks=True`` also yields ``BOOKMARK`` events (they are always requested, to resume
        cheaply). A stream silent for ``inactivity_timeout`` seconds is presumed dead and reopened;
        ``timeout_seconds`` asks the server to end each stream after that long (the watch then
        reopens it). ``retries`` bounds consecutive failed reconnects; ``timeout`` applies to
        connecting and to the initial list. Raises ``ResourceExpiredError`` when the
        resourceVersion is too old (list again), and the matching error for an ``ERROR`` event.
        Each event's object validates its fields when they are read; ``lazy=False`` validates it
        whole as it arrives, the cheaper choice for a consumer that reads or stores every field (a
        cache).
        """
        info = self._info
        scope = self._listing_namespace(cast("str | None", namespace), all_namespaces)
        fields = selectors.field_selector(field_selector)
        if name is not None:
            if not name:
                raise ValueError("the name must not be empty")
            by_name = f"metadata.name={escape_field_value(name)}"
            fields = f"{fields},{by_name}" if fields else by_name
        client = self._client
        core: Any = client  # SyncClientCore or AsyncClientCore: the Driver protocol does not name them
        machine: WatchMachine[Any] = WatchMachine(
            info, scope, self._model(info.kind),
            label_selector=selectors.label_selector(label_selector), field_selector=fields,
            resource_version=resource_version, bookmarks=bookmarks, policy=core._policy(retries),
            timeout_seconds=timeout_seconds, chunk_size=chunk_size, lazy=lazy,
            list_decode=self._list_decoder() if lazy else self._decoder(cast(str, info.list_kind)),
        )
        connect_timeout = core.timeout if isinstance(timeout, NotGiven) else timeout
        read_timeout = stream_timeout(connect_timeout, inactivity_timeout)
        if isinstance(client, AsyncClientCore):
            return cast(WatcherT, AsyncWatcher(
                client, machine, timeout=read_timeout, request_timeout=timeout, retries=retries, deadline=deadline,
            ))
        return cast(WatcherT, Watcher(
            core, machine, timeout=read_timeout, request_timeout=timeout, retries=retries, deadline=deadline,
        ))


class Inform(_Listing, Generic[NamespaceT, InformerT]):
    """``informer``: a local cache of the matching objects kept current by list and watch.

    Not a server verb (``Resource`` checks only mixins that declare one): offered where ``list``
    and ``watch`` are.
    """

    def informer(
        self,
        *,
        namespace: NamespaceT | None = None,
        all_namespaces: bool = False,
        label_selector: SelectorInput | None = None,
        field_selector: SelectorInput | None = None,
        indexers: Mapping[str, IndexFunc] | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        clock: Clock | None = None,
        stop: Stop | None = None,
        backoff: Backoff | None = None,
        resync_period: float | None = None,
    ) -> InformerT:
        """An :class:`~imageapi.controllers.Informer` (an ``AsyncInformer`` on the async client) of
        the matching objects; start it with ``with`` / ``async with`` (see :mod:`imageapi.controllers`).
        """
        from ..controllers.informer import AsyncInformer, Informer

        informer_class: Any = AsyncInformer if isinstance(self._client, AsyncClientCore) else Informer
        return cast(InformerT, informer_class(
            self, namespace=namespace, all_namespaces=all_namespaces, label_selector=label_selector,
            field_selector=field_selector, indexers=indexers, chunk_size=chunk_size, clock=clock, stop=stop,
            backoff=backoff, resync_period=resync_period,
        ))
