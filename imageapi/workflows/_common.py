"""What the workflow flows share: raw-JSON requests, listing every page, and running on a client."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .._base_client import NOT_GIVEN, Flow, NotGiven, RetriesTypes, TimeoutTypes
from .._request import ApiRequest, ListOptions, WriteOptions, build_get_request, build_list_request
from ..errors import ConflictError, NotFoundError, ResourceExpiredError

if TYPE_CHECKING:
    from .._client import AsyncClient, Client
    from .._resource_info import ResourceInfo

T = TypeVar("T")
P = TypeVar("P")
R = TypeVar("R")
JSON = dict[str, Any]

#: Items per page when a workflow lists a collection (oc's prune pages images by 5,000; the API's
#: own default page is unbounded, which a proxy may cut off).
PAGE_SIZE = 500

#: How often a one-step workflow re-reads and re-plans after a write conflict (client-go's
#: ``retry.DefaultRetry``: five steps).
CONFLICT_ATTEMPTS = 5

_ACCEPT = (("Accept", "application/json"),)


def decode_json(content: bytes) -> Any:
    """Response bodies as plain JSON (the workflows' own decoder), with full garbage collections held
    back over a large body as the model decoders do (a page of streams is one large allocation burst
    whose objects all survive)."""
    from .._request import _gc_pause_for

    with _gc_pause_for(content):
        return json.loads(content)


def image_info(plural: str) -> ResourceInfo:
    """The generated table row of an image resource (``imagestreams``, ``images``, …)."""
    from .._resource_table import RESOURCES

    return RESOURCES[plural]


def get_json(plural: str, namespace: str | None, name: str) -> ApiRequest:
    """``GET`` one image-group object, decoded as JSON."""
    return build_get_request(image_info(plural), namespace, name, decode_json)


def read_stream(namespace: str, name: str) -> Flow[JSON | None]:
    """``GET`` an image stream as JSON; None when it does not exist."""
    try:
        stream: JSON = yield get_json("imagestreams", namespace, name)
    except NotFoundError:
        return None
    return stream


def json_request(
    method: str, path: str, body: Any = None, options: WriteOptions | None = None,
    content_type: str = "application/json",
) -> ApiRequest:
    """A request with a JSON body (``content_type``: a merge patch, say) and a JSON answer, for the
    writes the typed builders do not cover."""
    params = tuple(options.params()) if options is not None else ()
    if body is None:
        return ApiRequest(method, path, decode_json, params, _ACCEPT)
    content = json.dumps(body, separators=(",", ":")).encode()
    return ApiRequest(method, path, decode_json, params, (*_ACCEPT, ("Content-Type", content_type)), content)


def replanning(
    plan: Callable[[], Flow[P]], apply: Callable[[P], Flow[R]],
    retry_on: tuple[type[Exception], ...] = (ConflictError,),
) -> Flow[R]:
    """Plan and apply; after a conflict, read again and re-plan (client-go's ``RetryOnConflict``,
    as oc wraps its writes). A fresh plan never repeats what the first attempt already wrote: the
    workflows plan nothing for a change that is already in place."""
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        planned = yield from plan()
        try:
            return (yield from apply(planned))
        except retry_on:
            if attempt == CONFLICT_ATTEMPTS:
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")


def workload_info(api_version: str, plural: str, kind: str) -> ResourceInfo:
    """The table row of a namespaced kind outside the image group (``client.resource``'s)."""
    from ..resources._generic import generic_info

    return generic_info(api_version, plural, kind, True)


def list_all(
    info: ResourceInfo, namespace: str | None, *, label_selector: str | None = None, page_size: int = PAGE_SIZE
) -> Flow[list[JSON]]:
    """Every item of a collection (all namespaces when ``namespace`` is None), page by page, as JSON.

    A continue token that expires half-way (410) restarts the listing from the first page, so the
    items always come from one consistent snapshot, as client-go's pager does on a full relist.
    """
    items: list[JSON] = []
    token: str | None = None
    while True:
        options = ListOptions(label_selector=label_selector, limit=page_size, continue_=token)
        try:
            page = yield build_list_request(info, namespace, decode_json, options)
        except ResourceExpiredError:
            if token is None:
                raise
            items, token = [], None
            continue
        items.extend(page.get("items") or [])
        token = (page.get("metadata") or {}).get("continue") or None
        if token is None:
            return items


def run(
    client: Client | AsyncClient,
    flow: Flow[T],
    timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
    retries: RetriesTypes | NotGiven = NOT_GIVEN,
) -> Any:
    """Drive ``flow`` on ``client``: its result (sync client) or a coroutine of it (async client)."""
    return client._run(flow, timeout, retries)


def split_stream(name: str, namespace: str) -> tuple[str, str]:
    """``[namespace/]stream`` → ``(namespace, stream)``, ``namespace`` when none is named."""
    stream_namespace, slash, stream = name.rpartition("/")
    if not stream or ":" in stream or "@" in stream or "/" in stream_namespace or (slash and not stream_namespace):
        raise ValueError(f"expected [namespace/]stream, got {name!r}")
    return stream_namespace or namespace, stream


def default_namespace(client: Client | AsyncClient, namespace: str | None) -> str:
    """``namespace``, or the client's default when None."""
    from .._request import check_namespace

    return client.namespace if namespace is None else check_namespace(namespace)


def join_lines(lines: list[str]) -> str:
    """Lines as one text (no trailing newline)."""
    return "\n".join(lines)


def plural(count: int, word: str, many: Callable[[str], str] = lambda word: word + "s") -> str:
    """``1 tag`` / ``2 tags``."""
    return f"{count} {word if count == 1 else many(word)}"
