"""The machinery under :class:`imageapi.Client` and :class:`imageapi.AsyncClient`.

A call is a *flow*: a generator that yields :class:`~imageapi._request.ApiRequest` objects and is sent
back each decoded result (or thrown the :mod:`imageapi.errors` exception). Most verbs are a flow of
one request; convenience verbs such as ``image_streams.tag`` read, decide and write in one flow.
Because a flow never does I/O itself, the same flow runs under both clients:

* :class:`SyncClientCore` drives it with ``httpx.Client`` and blocking retries,
* :class:`AsyncClientCore` drives it with ``httpx.AsyncClient`` and awaited retries.

The two drivers are the only code that differs between sync and async; building requests and
decoding responses is :mod:`imageapi._request`, retry decisions are :mod:`imageapi._retry`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeAlias, TypeVar, Union

import httpx

from ._deadline import Deadline, DeadlineTypes, check_deadline
from ._redact import redact_url
from ._request import ApiRequest, check_namespace, check_response, decode_response
from ._retry_policy import RetryPolicy
from .errors import ImageAPIError, ProtocolError, error_from_transport

if TYPE_CHECKING:
    from typing_extensions import Self

T = TypeVar("T")
ControllerT = TypeVar("ControllerT")

Flow = Generator[ApiRequest, Any, T]
"""A sans-I/O call: yields requests, receives their decoded results, returns the call's result."""


class NotGiven:
    """The type of :data:`NOT_GIVEN`: "use the client's setting", as opposed to an explicit ``None``."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        # One instance, so ``is NOT_GIVEN`` checks hold after copying or pickling.
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()
"""Default of per-call options: fall back to the client's value (``timeout=None`` means no timeout)."""

TimeoutTypes: TypeAlias = float | httpx.Timeout | None
"""A timeout: seconds for every phase, an ``httpx.Timeout``, or None for none at all."""

RetriesTypes: TypeAlias = Union[int, "RetryPolicy"]
"""Retries: how many times to retry a failed request (0 disables), or a full ``RetryPolicy``."""

DEFAULT_TIMEOUT: Final = httpx.Timeout(30.0, connect=10.0)
"""30 s per read/write, 10 s to connect: room for large image lists, quick failure on a dead host."""

DEFAULT_MAX_CONNECTIONS: Final = 10
"""Connections a client opens to the API server, all of them kept alive between requests.

Measured with 500 concurrent gets (``scripts/bench.py peers``): 10 connections took a third of the
time 50 did, and 4 no less than 10. httpx's default (100 connections, 20 kept alive) closes most
connections after a burst, so the next burst opens them again; and httpcore's pool checks every
connection (a socket query each) whenever a request starts or ends, and matches every queued request
against every connection. The async client also queues requests itself beyond the pool (see
``AsyncClientCore``)."""

HTTP2_STREAMS_PER_CONNECTION: Final = 100
"""Requests the async client sends at once on each HTTP/2 connection: the number of concurrent
streams kube-apiserver allows per connection by default is at least this."""


def pool_limits(max_connections: int) -> httpx.Limits:
    """The ``httpx`` pool limits of a client: ``max_connections``, all kept alive."""
    if isinstance(max_connections, bool) or not isinstance(max_connections, int) or max_connections < 1:
        raise ValueError(f"max_connections must be a positive int, not {max_connections!r}")
    return httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)


DEFAULT_RETRIES: Final = 2
"""Retries of a failed request by default: three tries in all, as ``RetryPolicy()``, within the rules
of ``imageapi._retry``."""


def retry_policy(retries: RetriesTypes) -> RetryPolicy:
    """The :class:`~imageapi._retry.RetryPolicy` for a ``retries=`` argument (an int counts retries)."""
    if isinstance(retries, RetryPolicy):
        return retries
    if isinstance(retries, bool) or not isinstance(retries, int):
        raise TypeError(f"retries must be an int or a RetryPolicy, not {type(retries).__name__}")
    if retries < 0:
        raise ValueError(f"retries must be >= 0, not {retries}")
    return RetryPolicy(attempts=retries + 1)


def single(request: ApiRequest) -> Flow[Any]:
    """The flow of a verb that is exactly one request."""
    return (yield request)


class _SetCookieJar(httpx.Cookies):
    """A client's cookie jar that hands a response to ``http.cookiejar`` only when it sets a cookie.

    httpx passes every response to the jar, which wraps request and response for ``http.cookiejar``
    (a ``urllib.request.Request`` each time): about 40 us of every request, a sixth of a ``get``'s
    client CPU, against API servers that set no cookies. Only ``Set-Cookie`` and ``Set-Cookie2``
    can set one, so a response without either is skipped.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


HTTPClientT = TypeVar("HTTPClientT", httpx.Client, httpx.AsyncClient)


def with_lean_cookie_jar(http: HTTPClientT) -> HTTPClientT:
    """``http`` with its cookies in a :class:`_SetCookieJar` (httpx has no option for the jar)."""
    http._cookies = _SetCookieJar(http.cookies)
    return http


def release_stream(response: httpx.Response) -> None:
    """Break httpx's response <-> stream reference cycle once the body has been read.

    httpx binds each response to its stream and the stream back to the response, so without this
    a response (and its body) is freed only by a full garbage collection. Large decodes hold full
    collections back (``imageapi.models._base._GcPause``), and the bodies of a long paged list piled
    up: peak RSS grew by 158 MB over 100,000 images in pages of 500, and by 11 MB with this.
    """
    response.stream = httpx.ByteStream(b"")


class _LoggedURL:
    """A request's full URL for retry log lines, joined only when a line is written.

    Joining the base URL and the path took ~30 us, an eighth of a whole ``get`` against the
    in-process fake cluster, and most requests are never retried.
    """

    __slots__ = ("_base", "_path")

    def __init__(self, base: httpx.URL, path: str) -> None:
        self._base = base
        self._path = path

    def __str__(self) -> str:
        return str(self._base.join(self._path))


def _cancelled_error() -> type[BaseException]:
    """asyncio's CancelledError, imported only once an async call has started (asyncio is running
    by then): importing asyncio with the client would cost ~13 ms of ``import imageapi``."""
    import asyncio

    return asyncio.CancelledError


def collected(response: httpx.Response, chunks: list[bytes]) -> httpx.Response:
    """A read response rebuilt from the decoded body ``chunks`` of the streamed ``response`` (its
    ``Content-Encoding`` is already undone in them, so the header is left out)."""
    headers = httpx.Headers(response.headers)
    headers.pop("content-encoding", None)
    return httpx.Response(
        response.status_code, headers=headers, content=b"".join(chunks), request=response.request,
        extensions=response.extensions,
    )


def user_facing(error: ImageAPIError) -> ImageAPIError:
    """``error`` ready to be raised at the caller's line: without the frames it was raised through
    (the retry controller, ``concurrent.futures``, httpx) and with nothing chained to it. What it was
    chained to stays reachable as ``error.original``. Raise it ``from None``."""
    if error.original is None and error.__cause__ is not None:
        error.original = error.__cause__
    return error.with_traceback(None)


def undecodable_body(request: ApiRequest, http_request: httpx.Request, exc: httpx.DecodingError) -> ProtocolError:
    """The error for a body its ``Content-Encoding`` (gzip, deflate, br) could not be undone on."""
    return ProtocolError(
        f"the response body could not be decoded ({exc})", method=request.method, url=str(http_request.url)
    ).with_original(exc)


class _FirstFailure:
    """Raises, once, the error a request's first try ended with: called first in each attempt of a
    retry controller, it makes that failure the controller's own first attempt."""

    __slots__ = ("_error",)

    def __init__(self, error: ImageAPIError) -> None:
        self._error: ImageAPIError | None = error

    def __call__(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error


class _Gate:
    """An ``anyio.Semaphore`` made on first use: anyio is imported only once an async call runs
    (importing it with the client cost more than the client itself)."""

    __slots__ = ("_limit", "_semaphore")

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._semaphore: Any = None

    async def __aenter__(self) -> None:
        if self._semaphore is None:
            import anyio

            self._semaphore = anyio.Semaphore(self._limit)
        await self._semaphore.acquire()

    async def __aexit__(self, *exc_info: object) -> None:
        self._semaphore.release()


class _PreparedParts:
    """The request parts ``httpx.Client.build_request`` would recompute for every request: the URL of
    each path joined to the base URL (httpx's joining: the base URL's path is kept as a prefix) and
    the client's headers merged with each set of request headers. Bounded: cleared when full."""

    _MAX = 512

    def __init__(self) -> None:
        self._urls: dict[str, httpx.URL] = {}
        self._headers: dict[tuple[tuple[str, str], ...], tuple[list[tuple[bytes, bytes]], httpx.Headers]] = {}

    def url(self, http: httpx.Client | httpx.AsyncClient, path: str) -> httpx.URL:
        url = self._urls.get(path)
        if url is None:
            if len(self._urls) >= self._MAX:
                self._urls.clear()
            url = self._urls[path] = http._merge_url(path)
        return url

    def headers(self, http: httpx.Client | httpx.AsyncClient, own: tuple[tuple[str, str], ...]) -> httpx.Headers:
        client_headers = http.headers.raw
        cached = self._headers.get(own)
        if cached is not None and cached[0] == client_headers:
            return cached[1]  # httpx.Request copies it: auth flows change only the copy
        if len(self._headers) >= self._MAX:
            self._headers.clear()
        merged = httpx.Headers(http.headers)
        merged.update(own)
        self._headers[own] = (client_headers, merged)
        return merged


class ClientCore:
    """What both drivers share: where to send, the default namespace, timeouts and retries, and
    :meth:`with_options`."""

    _http: httpx.Client | httpx.AsyncClient
    #: Replaces the sleep between retries (tests); None keeps the controller's default.
    _sleep: Callable[[float], Any] | None

    def __init__(
        self,
        *,
        namespace: str,
        timeout: TimeoutTypes,
        retries: RetriesTypes,
        request_extensions: Mapping[str, Any] | None = None,
        deadline: DeadlineTypes = None,
    ) -> None:
        self._namespace = namespace
        self._timeout = timeout
        self._retry_policy = retry_policy(retries)
        self._deadline = check_deadline(deadline)
        # Only the client that opened the connection pool closes it; with_options copies share it.
        self._owns_http = True
        #: httpx extensions added to every request (``sni_hostname`` when the kubeconfig names one).
        self._request_extensions = dict(request_extensions or {})
        self._prepared = _PreparedParts()

    @property
    def namespace(self) -> str:
        """The namespace namespaced calls use when they are given none."""
        return self._namespace

    @property
    def timeout(self) -> TimeoutTypes:
        """The default timeout of every call."""
        return self._timeout

    @property
    def deadline(self) -> DeadlineTypes:
        """The default deadline of every call: seconds for the whole call (retries included), or None."""
        return self._deadline

    @property
    def retry_policy(self) -> RetryPolicy:
        """The default retry policy of every call."""
        return self._retry_policy

    @property
    def base_url(self) -> httpx.URL:
        """The API server's URL."""
        return self._http.base_url

    def __repr__(self) -> str:
        # The base URL may carry a password or a token parameter: never show those.
        return f"<{type(self).__name__} {redact_url(self.base_url)} namespace={self._namespace!r}>"

    def with_options(
        self,
        *,
        namespace: str | NotGiven = NOT_GIVEN,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> Self:
        """A client with other defaults that shares this one's connection pool (closing it is a no-op)."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone._owns_http = False
        if not isinstance(namespace, NotGiven):
            clone._namespace = check_namespace(namespace)
        if not isinstance(timeout, NotGiven):
            clone._timeout = timeout
        if not isinstance(retries, NotGiven):
            clone._retry_policy = retry_policy(retries)
        if not isinstance(deadline, NotGiven):
            clone._deadline = check_deadline(deadline)
        # Resource accessors are cached per client and bound to it: the copy makes its own.
        clone.__dict__.pop("_accessors", None)
        return clone

    def _http_request(
        self, request: ApiRequest, timeout: TimeoutTypes | NotGiven, limit: Deadline | None = None
    ) -> httpx.Request:
        effective: TimeoutTypes = self._timeout if isinstance(timeout, NotGiven) else timeout
        if limit is not None:
            effective = limit.timeout(httpx.Timeout(effective))
        http = self._http
        if http.cookies or http.params:
            # Cookies (set by a response) and client-wide query parameters: httpx merges them.
            return http.build_request(
                request.method,
                request.path,
                params=list(request.params),
                headers=list(request.headers),
                content=request.content,
                timeout=effective,
                extensions=self._request_extensions or None,
            )
        # What build_request makes, from parts prepared once: it cost 74 us a request (parsing and
        # joining the URL, merging the headers), a fifth of a whole get's client CPU.
        extensions: dict[str, Any] = {"timeout": httpx.Timeout(effective).as_dict()}
        if self._request_extensions:
            extensions.update(self._request_extensions)
        return httpx.Request(
            request.method,
            self._prepared.url(http, request.path),
            params=request.params or None,
            headers=self._prepared.headers(http, request.headers),
            content=request.content,
            extensions=extensions,
        )

    def _policy(self, retries: RetriesTypes | NotGiven) -> RetryPolicy:
        return self._retry_policy if isinstance(retries, NotGiven) else retry_policy(retries)

    def _start_deadline(self, deadline: DeadlineTypes | NotGiven) -> Deadline | None:
        """The deadline of a call starting now: the argument, else the client's (None: none)."""
        return Deadline.start(self._deadline if isinstance(deadline, NotGiven) else check_deadline(deadline))

    def _controller(
        self, make: Callable[..., ControllerT], request: ApiRequest, retries: RetriesTypes | NotGiven,
        limit: Deadline | None = None,
    ) -> ControllerT:
        """The retry controller of one request, built by ``make`` (``retrying`` or ``async_retrying``)."""
        policy, url = self._policy(retries), _LoggedURL(self._http.base_url, request.path)
        if self._sleep is None:
            return make(policy, request.method, url, deadline=limit)
        return make(policy, request.method, url, sleep=self._sleep, deadline=limit)

    @staticmethod
    def _checked(request: ApiRequest, http_request: httpx.Request, response: httpx.Response) -> httpx.Response:
        """``response`` with its body read: the stream released, a failure raised as its typed error."""
        release_stream(response)
        check_response(request, http_request.url, response.status_code, response.headers, response.content)
        return response


class SyncClientCore(ClientCore):
    """Drives flows over ``httpx.Client``, blocking."""

    _http: httpx.Client

    def __init__(
        self,
        http: httpx.Client,
        *,
        namespace: str,
        timeout: TimeoutTypes,
        retries: RetriesTypes,
        sleep: Callable[[float], None] | None = None,
        request_extensions: Mapping[str, Any] | None = None,
        deadline: DeadlineTypes = None,
    ) -> None:
        super().__init__(
            namespace=namespace, timeout=timeout, retries=retries, request_extensions=request_extensions,
            deadline=deadline,
        )
        self._http = http
        self._sleep = sleep

    def _send_once(
        self, request: ApiRequest, timeout: TimeoutTypes | NotGiven, limit: Deadline | None = None
    ) -> httpx.Response:
        http_request = self._http_request(request, timeout, limit)
        try:
            if limit is None:
                response = self._http.send(http_request)
            else:
                limit.check(request.method, http_request.url)
                response = self._receive_by(limit, request, http_request)
        except httpx.TransportError as exc:
            if limit is not None and limit.expired():  # a read cut short to what remained
                raise limit.error(request.method, http_request.url).with_original(exc) from None
            raise error_from_transport(request.method, http_request.url, exc) from None
        except httpx.DecodingError as exc:
            raise undecodable_body(request, http_request, exc) from None
        return self._checked(request, http_request, response)

    def _receive_by(self, limit: Deadline, request: ApiRequest, http_request: httpx.Request) -> httpx.Response:
        """Send and read the body chunk by chunk, checking ``limit`` after each: a blocking read cannot
        be cancelled, and a body trickled byte by byte never trips a read timeout."""
        response = self._http.send(http_request, stream=True)
        try:
            chunks = []
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                limit.check(request.method, http_request.url)
        finally:
            response.close()
        return collected(response, chunks)

    def _execute(
        self, request: ApiRequest, timeout: TimeoutTypes | NotGiven, retries: RetriesTypes | NotGiven,
        limit: Deadline | None = None,
    ) -> Any:
        """Send one request with retries and decode the answer."""
        try:
            response = self._send_once(request, timeout, limit)
        except ImageAPIError as error:
            response = self._retry(request, timeout, retries, limit, error)
        return decode_response(request, response.request.url, response.content)

    def _retry(
        self, request: ApiRequest, timeout: TimeoutTypes | NotGiven, retries: RetriesTypes | NotGiven,
        limit: Deadline | None, first_error: ImageAPIError,
    ) -> httpx.Response:
        """The retries after a failed first attempt.

        The first try runs outside tenacity: building a controller for every request cost more than
        the rest of the call's client-side work, and most requests succeed at once. A failure enters
        the controller as its first attempt, so it decides, waits and logs as if it had made it."""
        from ._retry import retrying

        response: httpx.Response | None = None
        replay = _FirstFailure(first_error)
        for attempt in self._controller(retrying, request, retries, limit):
            with attempt:
                replay()
                response = self._send_once(request, timeout, limit)
        assert response is not None  # the controller re-raises the last error otherwise
        return response

    def _run(
        self,
        flow: Flow[T],
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> T:
        """Drive ``flow`` to its result, sending each request it yields, all within ``deadline``."""
        limit = self._start_deadline(deadline)
        try:
            request = next(flow)
            while True:
                try:
                    result = self._execute(request, timeout, retries, limit)
                except ImageAPIError as error:
                    request = flow.throw(error)
                else:
                    request = flow.send(result)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        except ImageAPIError as error:
            raise user_facing(error) from None
        except KeyboardInterrupt as interrupt:
            # Ctrl-C: httpx has closed the connection on its way out; the user sees only their line.
            raise KeyboardInterrupt(*interrupt.args) from None

    def close(self) -> None:
        """Close the connection pool (a no-op on copies made by ``with_options``)."""
        if self._owns_http:
            self._http.close()


class AsyncClientCore(ClientCore):
    """Drives flows over ``httpx.AsyncClient``, awaiting.

    At most ``concurrency`` requests are handed to httpx at once (the pool's connections, times the
    streams per connection with HTTP/2); the others wait on a semaphore. A waiting request costs
    nothing there, while in httpcore's pool every queued request is matched against every connection
    whenever one starts or ends: 500 concurrent gets spent most of their time in that matching.
    Watches hold their connection outside the semaphore.
    """

    _http: httpx.AsyncClient

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        namespace: str,
        timeout: TimeoutTypes,
        retries: RetriesTypes,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        request_extensions: Mapping[str, Any] | None = None,
        deadline: DeadlineTypes = None,
        concurrency: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        super().__init__(
            namespace=namespace, timeout=timeout, retries=retries, request_extensions=request_extensions,
            deadline=deadline,
        )
        self._http = http
        self._sleep = sleep
        # Shared by with_options copies, as the pool is. Bound to an event loop on first contention.
        self._gate = _Gate(concurrency)

    async def _send_once(
        self, request: ApiRequest, timeout: TimeoutTypes | NotGiven, limit: Deadline | None = None
    ) -> httpx.Response:
        http_request = self._http_request(request, timeout, limit)
        try:
            if limit is None:
                async with self._gate:
                    response = await self._http.send(http_request)
            else:
                limit.check(request.method, http_request.url)
                import anyio  # here: importing it with the client cost more than the client itself

                # Cancelled wherever it waits (the queue, connecting, headers, a trickled body)
                # when time is up.
                with anyio.fail_after(limit.remaining()):
                    async with self._gate:
                        response = await self._http.send(http_request)
        except TimeoutError:
            assert limit is not None  # only fail_after raises the builtin TimeoutError here
            raise limit.error(request.method, http_request.url) from None
        except httpx.TransportError as exc:
            if limit is not None and limit.expired():
                raise limit.error(request.method, http_request.url).with_original(exc) from None
            raise error_from_transport(request.method, http_request.url, exc) from None
        except httpx.DecodingError as exc:
            raise undecodable_body(request, http_request, exc) from None
        return self._checked(request, http_request, response)

    async def _execute(
        self, request: ApiRequest, timeout: TimeoutTypes | NotGiven, retries: RetriesTypes | NotGiven,
        limit: Deadline | None = None,
    ) -> Any:
        """Send one request with retries and decode the answer."""
        try:
            response = await self._send_once(request, timeout, limit)
        except ImageAPIError as error:
            response = await self._retry(request, timeout, retries, limit, error)
        return decode_response(request, response.request.url, response.content)

    async def _retry(
        self, request: ApiRequest, timeout: TimeoutTypes | NotGiven, retries: RetriesTypes | NotGiven,
        limit: Deadline | None, first_error: ImageAPIError,
    ) -> httpx.Response:
        """The async twin of ``SyncClientCore._retry``."""
        from ._retry import async_retrying

        response: httpx.Response | None = None
        replay = _FirstFailure(first_error)
        async for attempt in self._controller(async_retrying, request, retries, limit):
            with attempt:
                replay()
                response = await self._send_once(request, timeout, limit)
        assert response is not None  # the controller re-raises the last error otherwise
        return response

    async def _run(
        self,
        flow: Flow[T],
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> T:
        """Drive ``flow`` to its result, sending each request it yields, all within ``deadline``."""
        limit = self._start_deadline(deadline)
        try:
            request = next(flow)
            while True:
                try:
                    result = await self._execute(request, timeout, retries, limit)
                except ImageAPIError as error:
                    request = flow.throw(error)
                else:
                    request = flow.send(result)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        except ImageAPIError as error:
            raise user_facing(error) from None
        except _cancelled_error() as cancelled:
            # Ctrl-C under asyncio.run cancels the task: the cancellation travels on without the
            # httpx/httpcore frames it went through (the connection was closed on the way).
            raise type(cancelled)(*cancelled.args) from None

    async def aclose(self) -> None:
        """Close the connection pool (a no-op on copies made by ``with_options``)."""
        if self._owns_http:
            await self._http.aclose()
