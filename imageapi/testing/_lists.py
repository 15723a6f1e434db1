"""List options, selectors, chunking and continue tokens (server-semantics.md §13).

A chunked list reads a :class:`~imageapi.testing._store.Snapshot`: the first chunk reads the current
state, and when more items remain the snapshot is kept by the store under its revision, so every later
chunk of the same token reads exactly the same objects and reports the first chunk's resourceVersion.
Tokens are opaque base64url (no padding) of ``{"v":"meta.k8s.io/v1","rv":<int>,"start":"<key>\\x00"}``
like a real server's; an expired snapshot gives 410 Expired with a fresh token at ``rv: -1`` that
continues at the latest state (an inconsistent list).

Which lists a real apiserver answers from its **watch cache** rather than from etcd is decided by the
cacher's ``shouldDelegateList`` (:func:`served_from_watch_cache`): ``resourceVersion="0"`` (any state),
``resourceVersionMatch=NotOlderThan``, or a resourceVersion without ``limit``. Until KEP-4988 (beta in
1.34) the watch cache cannot page: it **ignores** ``limit`` and sends every matching object in one
response at the cache's resourceVersion, without a continue token. client-go's reflector relies on it:
its first list is ``limit=500&resourceVersion=0`` and arrives whole. The fake behaves the same way.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import _decode
from ._contracts import JSON
from ._selectors import parse_field_selector, parse_label_selector
from ._status import FieldError, StatusError, bad_request, expired, go_quote, invalid
from ._store import Snapshot, Store, TooOldResourceVersion

TOKEN_VERSION = "meta.k8s.io/v1"
EXPIRED_CONTINUE_MESSAGE = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new "
    "list without the continue parameter, or use the continue token in this response to retrieve the "
    "remainder of the results. Continuing with the provided token results in an inconsistent list - objects "
    "that were created, modified, or deleted between the time the first chunk was returned and now may "
    "show up in the list."
)
EXPIRED_LIST_RV_MESSAGE = "The resourceVersion for the provided list is too old."

Matcher = Callable[[JSON], bool]
FieldValue = Callable[[JSON, str], str]


@dataclass
class ListOptions:
    """The decoded list/watch query parameters."""

    label_selector: str = ""
    field_selector: str = ""
    limit: int = 0
    continue_token: str = ""
    resource_version: str | None = None  # None: unset
    resource_version_match: str = ""
    watch: bool = False
    allow_watch_bookmarks: bool = False
    send_initial_events: bool | None = None
    timeout_seconds: float | None = None


def _bool(value: str) -> bool:
    return value.lower() in ("true", "1")


_GO_INTEGER = re.compile(r"[+-]?[0-9]+")  # strconv.ParseInt(text, 10, 64): no spaces, no underscores


def _integer(query: Mapping[str, str], name: str) -> int | None:
    text = query.get(name)
    if text is None or text == "":
        return None
    problem = "" if _GO_INTEGER.fullmatch(text) else "invalid syntax"
    if not problem and not -(2 ** 63) <= int(text) < 2 ** 63:
        problem = "value out of range"
    if problem:
        raise bad_request(f'unable to parse query parameter "{name}": strconv.ParseInt: parsing '
                          f'{go_quote(text)}: {problem}')
    return int(text)


def parse_list_options(query: Mapping[str, str]) -> ListOptions:
    """Decode the list/watch parameters of a request (400 for malformed numbers)."""
    send_initial = query.get("sendInitialEvents")
    timeout = _integer(query, "timeoutSeconds")
    return ListOptions(
        label_selector=query.get("labelSelector", ""),
        field_selector=query.get("fieldSelector", ""),
        limit=max(0, _integer(query, "limit") or 0),
        continue_token=query.get("continue", ""),
        resource_version=query.get("resourceVersion"),
        resource_version_match=query.get("resourceVersionMatch", ""),
        watch=_bool(query.get("watch", "")),
        allow_watch_bookmarks=_bool(query.get("allowWatchBookmarks", "")),
        send_initial_events=None if send_initial in (None, "") else _bool(send_initial),
        timeout_seconds=None if timeout is None else float(timeout),
    )


def _invalid_options(errors: list[FieldError]) -> StatusError:
    return invalid("ListOptions", "", errors, group="meta.k8s.io")


def validate_list_options(opts: ListOptions, *, is_watch: bool, watch_list_enabled: bool) -> None:
    """The 422s of ``ValidateListOptions`` (server-semantics.md §13, §14)."""
    errors: list[FieldError] = []
    match = opts.resource_version_match
    if match:
        if is_watch and not opts.send_initial_events:
            errors.append(FieldError("FieldValueForbidden", "resourceVersionMatch",
                                     "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"))
        if match not in ("Exact", "NotOlderThan"):
            errors.append(FieldError("FieldValueNotSupported", "resourceVersionMatch",
                                     'supported values: "Exact", "NotOlderThan"', match, True))
        if not opts.resource_version and not (is_watch and opts.send_initial_events):
            errors.append(FieldError("FieldValueForbidden", "resourceVersionMatch",
                                     "resourceVersionMatch is forbidden unless resourceVersion is provided"))
        if opts.continue_token:
            errors.append(FieldError("FieldValueForbidden", "resourceVersionMatch",
                                     "resourceVersionMatch is forbidden when continue is provided"))
        if match == "Exact" and opts.resource_version == "0":
            errors.append(FieldError("FieldValueForbidden", "resourceVersionMatch",
                                     'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'))
    if opts.send_initial_events is not None:
        if not is_watch:
            errors.append(FieldError("FieldValueForbidden", "sendInitialEvents",
                                     "sendInitialEvents is forbidden for list"))
        elif not watch_list_enabled:
            errors.append(FieldError("FieldValueForbidden", "sendInitialEvents",
                                     "sendInitialEvents is forbidden for watch unless the WatchList feature gate "
                                     "is enabled"))
        elif opts.send_initial_events and match != "NotOlderThan":
            errors.append(FieldError("FieldValueForbidden", "resourceVersionMatch",
                                     "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"))
    if errors:
        raise _invalid_options(errors)


def parse_resource_version(text: str) -> int:
    """A resourceVersion as an integer (400 when it is not a non-negative one)."""
    # strconv.ParseUint(text, 10, 64): ASCII digits only, below 2^64.
    value = int(text) if text.isascii() and text.isdigit() else -1
    if not 0 <= value < 2 ** 64:
        raise bad_request(f"invalid resource version {go_quote(text)}")
    return value


def build_matcher(opts: ListOptions, field_value: FieldValue) -> Matcher | None:
    """A predicate for the selectors (None when there are none). Syntax errors and unknown fields fail
    now, with 400, even when nothing would be listed (the server converts the selectors while it
    decodes the query)."""
    checks: list[Matcher] = []
    if opts.label_selector.strip():  # labels.Parse skips whitespace: a blank selector selects everything
        labels = parse_label_selector(opts.label_selector)
        checks.append(lambda obj: labels.matches(obj.get("metadata", {}).get("labels") or {}))
    if opts.field_selector:  # fields.ParseSelector trims nothing: a blank term is a 400, as on the server
        fields = parse_field_selector(opts.field_selector)
        probe: JSON = {"metadata": {}}
        for field_path, _op, _value in fields.requirements:
            field_value(probe, field_path)
        checks.append(lambda obj: fields.matches(lambda path: field_value(obj, path)))
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    return lambda obj: all(check(obj) for check in checks)


def encode_continue(rv: int, start: str) -> str:
    """An opaque continue token for the next chunk after ``start`` at revision ``rv``."""
    raw = json.dumps({"v": TOKEN_VERSION, "rv": rv, "start": start}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continue(token: str) -> tuple[int, str]:
    """``(rv, start key)`` of a token; 400 ``invalid continue token: …`` when malformed."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        # Parsed as Go parses it: a token decoding to deeply nested or non-JSON bytes is just invalid.
        data: Any = _decode.parse(raw).value
        if not isinstance(data, dict) or data.get("v") != TOKEN_VERSION:
            raise ValueError("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
        rv, start = data["rv"], data["start"]
        if isinstance(rv, bool) or not isinstance(rv, int) or not isinstance(start, str) or not start:
            raise ValueError("continue key is not valid: invalid continue key")
        if rv == 0 or rv < -1:
            raise ValueError("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
        return rv, start
    except (ValueError, KeyError, binascii.Error, UnicodeDecodeError) as error:
        raise bad_request(f"invalid continue token: {error}") from None


def timeout_too_large(requested: int, current: int) -> StatusError:
    """504 Timeout for a read at a revision the store has not reached."""
    return StatusError(504, "Timeout", f"Timeout: Too large resource version: {requested}, current: {current}",
                       {"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                        "retryAfterSeconds": 1}, headers={"Retry-After": "1"})


def served_from_watch_cache(opts: ListOptions) -> bool:
    """Whether a real apiserver (watch cache enabled and ready) answers this list from its watch
    cache, which ignores ``limit``: the cacher's ``shouldDelegateList``, negated.

    Delegated to etcd (and paged there): a continue token, ``resourceVersionMatch=Exact``, the legacy
    exact read (a resourceVersion other than "0" together with ``limit``) and the consistent read
    (no resourceVersion). Everything else (``"0"``, ``NotOlderThan``, a resourceVersion without a
    limit) is served from the cache, at its current state.
    """
    if opts.continue_token or opts.resource_version_match == "Exact":
        return False
    if opts.resource_version_match == "NotOlderThan":
        return True
    version = opts.resource_version
    if not version:
        return False
    return version == "0" or not opts.limit


def list_objects(
    store: Store,
    resource: str,
    namespace: str | None,
    opts: ListOptions,
    matcher: Matcher | None,
) -> tuple[list[JSON], JSON]:
    """One chunk of a store-backed list: the (shared, unrendered) objects and the list ``metadata``.

    A list the watch cache serves (:func:`served_from_watch_cache`) is never chunked."""
    start_key = ""
    if opts.continue_token:
        token_rv, start_key = decode_continue(opts.continue_token)
        if opts.resource_version not in (None, "", "0"):
            raise bad_request("specifying resource version is not allowed when using continue")
        if token_rv == -1:
            snapshot = store.snapshot(resource)
        else:
            kept = store.continue_snapshot(resource, token_rv)
            if kept is None:
                raise expired(EXPIRED_CONTINUE_MESSAGE, list_continue=encode_continue(-1, start_key))
            snapshot = kept
    else:
        snapshot = _snapshot_for(store, resource, opts)
    first, last = snapshot.window(namespace)
    if start_key:
        first = max(first, bisect.bisect_left(snapshot.keys, start_key, first, last))
    keys, objects = snapshot.keys, snapshot.objects
    chunk: list[JSON] = []
    index = first
    limit = 0 if served_from_watch_cache(opts) else opts.limit
    while index < last and (not limit or len(chunk) < limit):
        obj = objects[index]
        index += 1
        if matcher is None or matcher(obj):
            chunk.append(obj)
    metadata: JSON = {"resourceVersion": str(snapshot.rv)}
    if limit and index < last:
        store.keep_for_continue(resource, snapshot)
        metadata["continue"] = encode_continue(snapshot.rv, keys[index - 1] + "\x00")
        if matcher is None:
            metadata["remainingItemCount"] = last - index
    return chunk, metadata


def _snapshot_for(store: Store, resource: str, opts: ListOptions) -> Snapshot:
    """The state a list without a continue token reads (the resourceVersion table of §13)."""
    text = opts.resource_version
    if text in (None, "", "0"):
        return store.snapshot(resource)
    rv = parse_resource_version(text)
    current = store.current_resource_version()
    if rv > current:
        raise timeout_too_large(rv, current)
    exact = opts.resource_version_match == "Exact" or (opts.limit > 0 and not opts.resource_version_match)
    if not exact:
        return store.snapshot(resource)
    try:
        return store.snapshot_at(resource, rv)
    except TooOldResourceVersion:
        raise expired(EXPIRED_LIST_RV_MESSAGE) from None
