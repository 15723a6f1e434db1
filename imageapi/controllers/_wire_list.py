"""An informer's list, read item by item with each item's wire bytes (no model unless one is needed).

A (re)list fills the cache with every object. Decoding the whole answer into models and encoding each
model back to JSON for the cache cost two thirds of an informer's sync of 100,000 streams, and the
models of a whole list (about 18 kB each) had to exist at once. Here the answer stays text: the list's
``metadata`` is parsed first, and :meth:`WireList.entries` parses one item at a time with the C JSON
scanner, handing out the item's document (for its key and resourceVersion) and its exact wire text,
which the cache stores as it is. A model is built from those bytes only for a handler or a
user-defined index that needs one; the item's dict is dropped as soon as the next one is read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .. import selectors
from .._base_client import NOT_GIVEN, AsyncClientCore, RetriesTypes, single
from .._request import ApiRequest, BodyMismatch, ListOptions
from ..pagination import AsyncPager, ListCursor, Pager

__all__ = ["WireList", "wire_pager"]

_SPACE = re.compile(r"[ \t\n\r]*")
_SCANNER = json.JSONDecoder()


@dataclass
class WireListMeta:
    """The list ``metadata`` fields paging reads (what :class:`~imageapi.pagination.ListCursor` needs)."""

    continue_: str | None = None
    remaining_item_count: int | None = None
    resource_version: str | None = None


class WireList:
    """One list answer: ``metadata`` parsed, items parsed lazily by :meth:`entries`."""

    def __init__(self, text: str, expected: str, content: bytes | None = None) -> None:
        self._text = text
        # An ASCII body's character positions are its byte positions: items are sliced from the
        # bytes directly (one copy instead of a str slice and its encoding).
        self._ascii = content if content is not None and content.isascii() else None
        self._items_at: int | None = None
        self._parsed: list[tuple[Any, bytes]] | None = None
        self._after = 0  # where the items array scanned last ended
        meta: Any = None
        kind: Any = None
        position = self._skip(0)
        if not text.startswith("{", position):
            raise BodyMismatch(expected, ("the answer is not a JSON object",))
        position = self._skip(position + 1)
        while not text.startswith("}", position):
            name, position = _SCANNER.raw_decode(text, position)
            position = self._skip(position)
            if not text.startswith(":", position):
                raise BodyMismatch(expected, (f"malformed JSON at character {position}",))
            position = self._skip(position + 1)
            if name == "items" and meta is not None:
                # The server writes items last, after metadata: they are parsed on iteration.
                self._items_at = position
                break
            if name == "items":  # items before metadata: parsed now, to reach the metadata
                self._parsed = list(self._scan(position))
                position = self._after
            else:
                value, position = _SCANNER.raw_decode(text, position)
                if name == "metadata":
                    meta = value
                elif name == "kind":
                    kind = value
            position = self._skip(position)
            if text.startswith(",", position):
                position = self._skip(position + 1)
            elif not text.startswith("}", position):
                raise BodyMismatch(expected, (f"malformed JSON at character {position}",))
        if kind is not None and kind != expected:
            raise BodyMismatch(expected, kind=str(kind))
        meta = meta if isinstance(meta, dict) else {}
        remaining = meta.get("remainingItemCount")
        self.metadata = WireListMeta(meta.get("continue") or None, remaining if isinstance(remaining, int) else None,
                                     meta.get("resourceVersion") or None)

    def _skip(self, position: int) -> int:
        match = _SPACE.match(self._text, position)
        return match.end() if match is not None else position

    def _scan(self, position: int) -> Iterator[tuple[Any, bytes]]:
        text = self._text
        if text.startswith("null", position):
            self._after = position + 4
            return
        if not text.startswith("[", position):
            raise BodyMismatch("list", ("items is not an array",))
        position = self._skip(position + 1)
        if text.startswith("]", position):
            self._after = position + 1
            return
        while True:
            document, end = _SCANNER.raw_decode(text, position)
            ascii_body = self._ascii
            yield document, ascii_body[position:end] if ascii_body is not None else text[position:end].encode()
            position = self._skip(end)
            if text.startswith("]", position):
                self._after = position + 1
                return
            if not text.startswith(",", position):
                raise BodyMismatch("list", (f"malformed JSON at character {position}",))
            position = self._skip(position + 1)

    def entries(self) -> Iterator[tuple[Any, bytes]]:
        """Each item as ``(document, its wire bytes)``, parsed one at a time."""
        if self._parsed is not None:
            yield from self._parsed
        elif self._items_at is not None:
            yield from self._scan(self._items_at)


def decoder(expected: str) -> Any:
    """A response decoder giving :class:`WireList` pages of the list kind ``expected``."""

    def decode(content: bytes) -> WireList:
        try:
            return WireList(content.decode(), expected, content)
        except (ValueError, UnicodeDecodeError) as error:  # json.JSONDecodeError is a ValueError
            raise BodyMismatch(expected, (str(error),)) from None

    return decode


def wire_pager(
    resource: Any, scope: dict[str, Any], *, chunk_size: int | None, resource_version: str | None,
    retries: RetriesTypes | None = None,
) -> Any:
    """A :class:`~imageapi.pagination.Pager` (``AsyncPager`` on an async client) of :class:`WireList`
    pages: ``resource.list(...)`` with the same options, but pages that keep the wire text."""
    info = resource.info
    namespace = resource._listing_namespace(scope.get("namespace"), bool(scope.get("all_namespaces")))
    options = ListOptions(label_selector=selectors.label_selector(scope.get("label_selector")),
                          field_selector=selectors.field_selector(scope.get("field_selector")),
                          resource_version=resource_version)
    decode = decoder(info.list_kind)

    def new_cursor() -> ListCursor:
        return ListCursor(info, namespace, options, decode, chunk_size=chunk_size, on_expired="raise")

    client = resource._client
    attempts = NOT_GIVEN if retries is None else retries
    if isinstance(client, AsyncClientCore):
        async def fetch_async(request: ApiRequest) -> Any:
            return await client._run(single(request), NOT_GIVEN, attempts, NOT_GIVEN)

        return AsyncPager(new_cursor, fetch_async)

    def fetch(request: ApiRequest) -> Any:
        return client._run(single(request), NOT_GIVEN, attempts, NOT_GIVEN)

    return Pager(new_cursor, fetch)
