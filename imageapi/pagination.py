"""Paged lists: ``client.image_streams.list(...)`` returns a pager.

::

    pager = client.image_streams.list(namespace="demo", label_selector={"app": "web"})
    for stream in pager:                      # every item, page after page (limit + continue)
        ...
    pager.resource_version                    # the list's resourceVersion: watch from here

    for page in pager.pages():                # or page by page: the typed list object itself
        page.metadata.continue_, len(page.items)

    async for stream in async_client.image_streams.list():    # the same on AsyncClient
        ...

A pager is lazy: nothing is sent until iteration starts, and iterating it again lists again. Pages are
decoded one at a time and dropped once their items were yielded, so memory stays flat however long
the list is. Every page is read at the first page's resourceVersion (the server keeps the snapshot
consistent through the continue token).

When the snapshot is compacted away between two pages the server answers 410 Expired. By default
that raises :class:`~imageapi.errors.ResourceExpiredError`; with ``on_expired="restart"`` the list starts
again from the first page at the current state, as client-go's pager falls back to a full list. Items
yielded before the restart may then be yielded a second time (in their newer state), and
:attr:`Pager.resource_version` becomes the restarted list's.

The paging logic is :class:`ListCursor` (sans-I/O: it builds requests and reads pages); :class:`Pager`
and :class:`AsyncPager` only send what it asks for through the client's driver.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Generic, Literal, Protocol, TypeVar

from ._request import ApiRequest, Decoder, ListOptions, build_list_request
from ._resource_info import ResourceInfo
from .errors import ResourceExpiredError

__all__ = ["DEFAULT_CHUNK_SIZE", "AsyncPager", "ListCursor", "OnExpired", "Pager"]

DEFAULT_CHUNK_SIZE = 500
"""Items per page by default: client-go's pager and kubectl use the same."""

MAX_RESTARTS = 3
"""How often ``on_expired="restart"`` starts over before the 410 is raised after all (a snapshot that
keeps expiring means pages are read slower than the server keeps history)."""

OnExpired = Literal["raise", "restart"]
"""What a pager does when its continue token expires (410): raise, or list again from the start."""

ItemT = TypeVar("ItemT")
PageT = TypeVar("PageT")


class _ListMetaLike(Protocol):
    """The fields of a list's ``metadata`` (``ListMeta``) that paging reads."""

    continue_: str | None
    remaining_item_count: int | None
    resource_version: str | None


class ListCursor:
    """Where a paged list stands: the next request to send, and what the pages said so far.

    ``chunk_size`` becomes ``limit`` only where the server honours it (``ResourceInfo.list_chunking``):
    imagestreamtags and imagetags ignore ``limit`` and would otherwise look complete after one
    truncated page.
    """

    def __init__(
        self,
        info: ResourceInfo,
        namespace: str | None,
        options: ListOptions,
        decode: Decoder,
        *,
        chunk_size: int | None,
        on_expired: OnExpired,
    ) -> None:
        if on_expired not in ("raise", "restart"):
            raise ValueError(f"on_expired must be 'raise' or 'restart', not {on_expired!r}")
        if chunk_size is not None and chunk_size <= 0:
            raise ValueError(f"chunk_size must be positive (or None for one unpaged list), not {chunk_size}")
        self._info = info
        self._namespace = namespace
        self._options = options
        self._decode = decode
        self._limit = chunk_size if info.list_chunking else None
        self._on_expired = on_expired
        self._continue: str | None = None
        self._done = False
        self.restarts = 0
        """How many times the list started over after an expired continue token."""
        self.resource_version: str | None = None
        """The first page's resourceVersion (the snapshot every page is read at)."""
        self.remaining_item_count: int | None = None
        """The server's estimate of the items after the last page read, when it gives one."""

    @property
    def resource(self) -> str:
        """The plural of the listed resource (``imagestreams``)."""
        return self._info.plural

    @property
    def namespace(self) -> str | None:
        """The namespace listed, or None for every namespace / a cluster-scoped resource."""
        return self._namespace

    def next_request(self) -> ApiRequest | None:
        """The request for the next page, or None when the list is complete."""
        if self._done:
            return None
        # An explicit resourceVersion applies to the first page only: the server refuses it together
        # with a continue token (the token carries the snapshot). A restart sends none: with ``limit``
        # it names the very snapshot that expired, not the current state.
        callers_version = self._continue is None and not self.restarts
        options = ListOptions(
            label_selector=self._options.label_selector,
            field_selector=self._options.field_selector,
            limit=self._limit,
            continue_=self._continue,
            resource_version=self._options.resource_version if callers_version else None,
        )
        return build_list_request(self._info, self._namespace, self._decode, options)

    def accept(self, page: Any) -> None:
        """Record a page the server sent for :meth:`next_request`."""
        metadata: _ListMetaLike | None = page.metadata
        if metadata is None:  # no list metadata: no snapshot version, nothing more to fetch
            token, version, remaining = None, None, None
        else:
            token, version, remaining = metadata.continue_, metadata.resource_version, metadata.remaining_item_count
        if self._continue is None:  # the first page: its version is the whole list's
            self.resource_version = version
        self.remaining_item_count = remaining
        self._continue = token or None  # an empty token ends the list like a missing one
        self._done = self._continue is None

    def expired(self, error: ResourceExpiredError) -> None:
        """Handle a 410 for the last request: raise it, or start over (``on_expired="restart"``)."""
        if self._continue is None or self._on_expired == "raise" or self.restarts >= MAX_RESTARTS:
            # A 410 on the first page is not an expired token (an explicit, compacted
            # resourceVersion): starting over would fail the same way.
            raise error
        self.restarts += 1
        self._continue = None
        self.resource_version = None
        self.remaining_item_count = None


def _items(page: Any) -> list[Any]:
    # istag/imagetag lists send "items": null when empty.
    items = page.items
    return items if items is not None else []


class _PagerBase:
    """What both pagers share: a fresh :class:`ListCursor` per iteration, and what it learnt so far."""

    def __init__(self, new_cursor: Callable[[], ListCursor]) -> None:
        self._new_cursor = new_cursor
        self._cursor: ListCursor | None = None

    @property
    def resource_version(self) -> str | None:
        """The resourceVersion of the list (its first page's), None until the first page arrived.

        Start a watch here to see every change after the listed state: nothing is missed."""
        return self._cursor.resource_version if self._cursor is not None else None

    @property
    def remaining_item_count(self) -> int | None:
        """How many items the server says follow the last page read (only without selectors)."""
        return self._cursor.remaining_item_count if self._cursor is not None else None

    @property
    def restarts(self) -> int:
        """How many times the list started over after an expired continue token."""
        return self._cursor.restarts if self._cursor is not None else 0

    def _start(self) -> ListCursor:
        self._cursor = self._new_cursor()
        return self._cursor

    # -- after materialising: len, indexing, display ---------------------------------------------

    _listed: list[Any] | None = None

    def _materialised(self) -> list[Any]:
        if self._listed is None:
            raise TypeError(
                f"{type(self).__name__} has no length or index before it is listed: call to_list() first "
                "(a pager is lazy, and each iteration lists again)"
            )
        return self._listed

    def __len__(self) -> int:
        """How many items the last ``to_list()`` returned (a ``TypeError`` before one ran)."""
        return len(self._materialised())

    def __getitem__(self, index: int) -> Any:
        """An item of the last ``to_list()`` (a ``TypeError`` before one ran)."""
        return self._materialised()[index]

    def _describe(self) -> str:
        cursor = self._cursor or self._new_cursor()
        where = f" in {cursor.namespace}" if cursor.namespace else ""
        listed = "" if self._listed is None else f": {len(self._listed)} items listed"
        version = f" at resourceVersion {self.resource_version}" if self.resource_version else ""
        return f"{cursor.resource}{where}{listed}{version}"

    def _dataframe(self) -> Any:
        from ._display import records

        try:
            import pandas  # type: ignore[import-untyped,import-not-found,unused-ignore]  # optional, and untyped without pandas-stubs
        except ImportError:
            raise ImportError(
                "to_dataframe() needs pandas, which is not installed: pip install pandas "
                "(or use to_list() and build rows yourself)"
            ) from None
        return pandas.DataFrame.from_records(records(self._materialised()))


class Pager(_PagerBase, Generic[ItemT, PageT]):
    """The items of a list across all its pages (``for item in pager``); see the module docs."""

    def __init__(self, new_cursor: Callable[[], ListCursor], fetch: Callable[[ApiRequest], PageT]) -> None:
        super().__init__(new_cursor)
        self._fetch = fetch

    def pages(self) -> Iterator[PageT]:
        """Each page as the typed list object (``ImageStreamList``…), with its ``metadata``."""
        cursor = self._start()
        while (request := cursor.next_request()) is not None:
            try:
                page = self._fetch(request)
            except ResourceExpiredError as error:
                cursor.expired(error)
                continue
            cursor.accept(page)
            yield page

    def __iter__(self) -> Iterator[ItemT]:
        for page in self.pages():
            yield from _items(page)

    def to_list(self) -> list[ItemT]:
        """Every item, listed now (all pages); afterwards ``len(pager)`` and ``pager[i]`` read this list."""
        self._listed = list(self)
        return list(self._listed)

    def to_dataframe(self) -> Any:
        """A pandas DataFrame of the items (listed now), one row per item, flattened columns per kind:
        ``namespace``, ``name``, ``created``, ``labels``, then e.g. ``repository``, ``tags``, ``updated``
        for streams or ``image``, ``reference``, ``size`` for stream tags. Needs pandas."""
        self.to_list()
        return self._dataframe()

    def __repr__(self) -> str:
        return f"<Pager {self._describe()}>"

    def _repr_html_(self) -> str:
        """A notebook shows the items as a table: displaying a pager lists it (unless ``to_list()`` ran)."""
        from ._display import html_of

        if self._listed is None:
            self.to_list()
        return html_of(self._materialised())


class AsyncPager(_PagerBase, Generic[ItemT, PageT]):
    """The async twin of :class:`Pager`: ``async for item in pager``, ``async for page in pager.pages()``."""

    def __init__(
        self, new_cursor: Callable[[], ListCursor], fetch: Callable[[ApiRequest], Awaitable[PageT]]
    ) -> None:
        super().__init__(new_cursor)
        self._fetch = fetch

    async def pages(self) -> AsyncIterator[PageT]:
        """Each page as the typed list object (``ImageStreamList``…), with its ``metadata``."""
        cursor = self._start()
        while (request := cursor.next_request()) is not None:
            try:
                page = await self._fetch(request)
            except ResourceExpiredError as error:
                cursor.expired(error)
                continue
            cursor.accept(page)
            yield page

    async def __aiter__(self) -> AsyncIterator[ItemT]:
        async for page in self.pages():
            for item in _items(page):
                yield item

    async def to_list(self) -> list[ItemT]:
        """Every item, listed now (all pages); afterwards ``len(pager)`` and ``pager[i]`` read this list."""
        self._listed = [item async for item in self]
        return list(self._listed)

    async def to_dataframe(self) -> Any:
        """A pandas DataFrame of the items (listed now); see :meth:`Pager.to_dataframe`. Needs pandas."""
        await self.to_list()
        return self._dataframe()

    def __repr__(self) -> str:
        return f"<AsyncPager {self._describe()}>"

    def _repr_html_(self) -> str:
        """The items of the last ``await pager.to_list()`` as a table (a repr cannot await a listing)."""
        from ._display import html_of, html_table

        if self._listed is None:
            return html_table([], [], footer=f"{self._describe()}: await pager.to_list() to list it")
        return html_of(self._listed)
