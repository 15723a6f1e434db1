"""``Client`` and ``AsyncClient``: the entry points of the SDK.

::

    from imageapi import Client

    with Client() as client:                       # kubeconfig / in-cluster config, like kubectl
        stream = client.image_streams.get("app", namespace="demo")

Both clients have the same attributes and verbs; the async one returns coroutines. Requests are
built and responses decoded in :mod:`imageapi._request`; the drivers in :mod:`imageapi._base_client`
only move bytes. Resource accessors are created on first use (that is when the models are imported).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from os import PathLike
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, overload

import httpx

from ._base_client import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    HTTP2_STREAMS_PER_CONNECTION,
    AsyncClientCore,
    RetriesTypes,
    SyncClientCore,
    TimeoutTypes,
    pool_limits,
    with_lean_cookie_jar,
)
from ._deadline import DeadlineTypes
from ._request import check_namespace

if TYPE_CHECKING:
    from typing_extensions import Self

    from .config import ClientConfig
    from .models.coordination_v1 import Lease
    from .models.generic import GenericObject
    from .resources import (
        AsyncImages,
        AsyncImageSignatures,
        AsyncImageStreamImages,
        AsyncImageStreamImports,
        AsyncImageStreamMappings,
        AsyncImageStreams,
        AsyncImageStreamTags,
        AsyncImageTags,
        Images,
        ImageSignatures,
        ImageStreamImages,
        ImageStreamImports,
        ImageStreamMappings,
        ImageStreams,
        ImageStreamTags,
        ImageTags,
    )
    from .resources._generic import AsyncGenericResource, GenericResource

__all__ = ["AsyncClient", "Client"]

ResourceT = TypeVar("ResourceT")
ModelT = TypeVar("ModelT")

DEFAULT_NAMESPACE = "default"
USER_AGENT = "imageapi-python"


@dataclass(frozen=True)
class _Connection:
    """Where and how to connect, from explicit arguments or from a loaded ClientConfig."""

    base_url: str
    namespace: str
    auth: httpx.Auth | None
    verify: Any
    proxy: str | None
    #: httpx request extensions every request carries (``sni_hostname`` for tls-server-name).
    extensions: Mapping[str, Any] = field(default_factory=dict)


def _connection(
    *,
    base_url: str | httpx.URL | None,
    token: str | None,
    verify: Any,
    namespace: str | None,
    config: ClientConfig | None,
    kubeconfig: str | PathLike[str] | None,
    context: str | None,
) -> _Connection:
    """Explicit arguments win; without ``base_url`` the configuration is loaded like kubectl does.

    ``namespace=None`` means the configuration's namespace (or ``default``); an empty or non-string
    ``namespace`` is refused here, as ``with_options`` and the verbs refuse it.
    """
    if namespace is not None:
        check_namespace(namespace)
    if base_url is None:
        if config is None:
            from .config import load_config

            config = load_config(kubeconfig, context)
        server, url_credentials = _without_credentials(str(config.server))
        return _Connection(
            base_url=server,
            # An empty namespace in a kubeconfig context means "not set", as it does for kubectl.
            namespace=namespace or config.namespace or DEFAULT_NAMESPACE,
            auth=_token_auth(token) if token is not None else config.auth or url_credentials,
            verify=config.verify if verify is None else verify,
            # config.cert is always None: a kubeconfig's client certificate is loaded into verify.
            proxy=config.proxy,
            extensions=config.request_extensions,
        )
    if config is not None or kubeconfig is not None or context is not None:
        raise TypeError("pass either base_url (and token/verify) or a configuration, not both")
    server, url_credentials = _without_credentials(str(base_url))
    return _Connection(
        base_url=server,
        namespace=namespace or DEFAULT_NAMESPACE,
        auth=_token_auth(token) if token is not None else url_credentials,
        verify=True if verify is None else verify,
        proxy=None,
    )


def _without_credentials(url: str) -> tuple[str, httpx.Auth | None]:
    """``url`` with any user:password or ``access_token`` taken out, and the auth they make.

    httpx shows a request's URL whole (its INFO log line, ``repr(httpx.Request)``), so credentials
    must not stay in it; an explicit ``token=`` or the configuration's auth still wins over them.
    """
    from ._redact import split_credentials

    server, basic, token = split_credentials(url)
    if basic is None and token is None:
        return url, None
    from .config import url_auth

    return server, url_auth(basic, token)


def _token_auth(token: str) -> httpx.Auth:
    from .auth import BearerTokenAuth

    return BearerTokenAuth(token)


def _http_options(
    connection: _Connection, transport: Any, headers: Mapping[str, str] | None, max_connections: int, http2: bool
) -> dict[str, Any]:
    """``httpx.Client``/``httpx.AsyncClient`` keyword arguments (see :func:`_sync_transport` for the
    blocking client's own transport)."""
    options: dict[str, Any] = {
        "base_url": connection.base_url,
        "auth": connection.auth,
        "headers": {"User-Agent": USER_AGENT, **(headers or {})},
        # The per-call timeout always overrides this; it matters only for requests httpx makes itself.
        "timeout": DEFAULT_TIMEOUT,
        "limits": pool_limits(max_connections),
        # HTTP/2 needs the h2 package (the http2 extra); httpx says so when it is missing.
        "http2": http2,
    }
    if transport is not None:
        # A transport (the fake cluster's, or httpx.MockTransport) replaces TLS and proxies.
        options["transport"] = transport
    else:
        options["verify"] = connection.verify
        if connection.proxy is not None:
            options["proxy"] = connection.proxy
    return options


def _own_transport_fits(connection: _Connection, transport: object, http2: bool) -> bool:
    """Whether the SDK's own transports do all that httpx's would here: plain HTTP/1.1 or TLS, no
    proxy (given or from the environment), no SNI override, no transport of the caller's."""
    return (
        transport is None and connection.proxy is None and not http2 and not connection.extensions
        and not _environment_proxied(connection.base_url)
    )


def _sync_http_options(
    connection: _Connection, transport: httpx.BaseTransport | None, headers: Mapping[str, str] | None,
    max_connections: int, http2: bool,
) -> dict[str, Any]:
    """The blocking client's options: :class:`~imageapi._http11.HTTP11Transport` wherever it fits
    (``_own_transport_fits``), a GET then costing a quarter of the client CPU (see that module)."""
    options = _http_options(connection, transport, headers, max_connections, http2)
    if _own_transport_fits(connection, transport, http2):
        from ._http11 import HTTP11Transport

        own = HTTP11Transport(verify=options.pop("verify"), max_connections=max_connections)
        if httpx.URL(connection.base_url).scheme == "https":
            own.tls_context()  # a bad CA file or certificate fails here, as with httpx's transport
        options["transport"] = own
    return options


def _async_http_options(
    connection: _Connection, transport: httpx.AsyncBaseTransport | None, headers: Mapping[str, str] | None,
    max_connections: int, http2: bool,
) -> dict[str, Any]:
    """The async client's options: :class:`~imageapi._async_pool.AsyncPoolTransport` wherever it
    fits (``_own_transport_fits``): a burst of concurrent gets then costs three quarters of the CPU
    (see that module)."""
    options = _http_options(connection, transport, headers, max_connections, http2)
    if _own_transport_fits(connection, transport, http2):
        from ._async_pool import AsyncPoolTransport

        verify = options.pop("verify")
        # Made now for an https server, so a bad CA file or certificate fails here, as with httpx's
        # transport; a plain-HTTP one never loads the CA bundle.
        context = httpx.create_ssl_context(verify=verify) if httpx.URL(connection.base_url).scheme == "https" else None
        options["transport"] = AsyncPoolTransport(ssl_context=context, max_connections=max_connections)
    return options


def _environment_proxied(base_url: str) -> bool:
    """Whether ``HTTP_PROXY``/``HTTPS_PROXY``/``ALL_PROXY`` (less ``NO_PROXY``) route ``base_url``
    through a proxy, as httpx reads them.

    httpx honours those variables only when it builds its own transport: given one, it ignores them.
    So a proxied server keeps httpx's transport, which also gives the proxy's connection the
    client's ``verify``.
    """
    from urllib.request import getproxies

    if not any(getproxies().get(scheme) for scheme in ("http", "https", "all")):
        return False
    from httpx._utils import URLPattern, get_environment_proxies

    url = httpx.URL(base_url)
    patterns = sorted((URLPattern(key), proxy) for key, proxy in get_environment_proxies().items())
    return next((proxy is not None for pattern, proxy in patterns if pattern.matches(url)), False)


class _Accessors:
    """Creates each resource accessor on first use and keeps it (one per client object)."""

    _accessors: dict[Any, Any]

    def _accessor(self, class_name: str) -> Any:
        accessors = self.__dict__.setdefault("_accessors", {})
        accessor = accessors.get(class_name)
        if accessor is None:
            from . import resources  # imports the models: deferred until a resource is used

            accessor = getattr(resources, class_name)(self)
            accessors[class_name] = accessor
        return accessor

    def _generic(
        self, class_name: str, api_version: str, plural: str, kind: str | None, namespaced: bool,
        model: type[Any] | None,
    ) -> Any:
        from .resources import _generic

        return _generic.generic_accessor(
            self, getattr(_generic, class_name), api_version, plural, kind, namespaced, model
        )


class Client(_Accessors, SyncClientCore):
    """A blocking client of the image API (``image.openshift.io/v1``).

    ``Client()`` finds its configuration like kubectl: ``$KUBECONFIG`` or ``~/.kube/config`` (current
    context), else the in-cluster service account. Or be explicit: ``Client(base_url=…, token=…,
    verify=…, namespace=…)``, ``Client.from_kubeconfig(path, context=…)``, ``Client(config=…)``.

    ``namespace`` is the default of namespaced calls (``None``: the context's namespace, the pod's,
    or ``default``; ``""`` is refused with ``ValueError``). ``timeout`` (seconds or ``httpx.Timeout``,
    per connect, read, write), ``deadline`` (seconds for a whole call, retries included; None: none)
    and ``retries`` (an int or a ``RetryPolicy``) are defaults every call may override. ``transport`` replaces the network
    (``FakeCluster.transport()``, ``httpx.MockTransport``); ``sleep`` replaces ``time.sleep``
    between retries (tests). ``max_connections`` bounds the connection pool (all kept alive; see
    ``DEFAULT_MAX_CONNECTIONS``), and ``http2=True`` speaks HTTP/2 to TLS servers that offer it
    (needs the ``h2`` package: ``pip install 'imageapi[http2]'``). Use as a context manager, or call
    :meth:`close`.
    """

    def __init__(
        self,
        base_url: str | httpx.URL | None = None,
        *,
        token: str | None = None,
        verify: Any = None,
        namespace: str | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        retries: RetriesTypes = DEFAULT_RETRIES,
        deadline: DeadlineTypes = None,
        config: ClientConfig | None = None,
        kubeconfig: str | PathLike[str] | None = None,
        context: str | None = None,
        transport: httpx.BaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        http2: bool = False,
    ) -> None:
        connection = _connection(
            base_url=base_url, token=token, verify=verify, namespace=namespace, config=config,
            kubeconfig=kubeconfig, context=context,
        )
        super().__init__(
            with_lean_cookie_jar(
                httpx.Client(**_sync_http_options(connection, transport, headers, max_connections, http2))
            ),
            namespace=connection.namespace, timeout=timeout, retries=retries, sleep=sleep,
            request_extensions=connection.extensions, deadline=deadline,
        )

    @classmethod
    def from_kubeconfig(
        cls, path: str | PathLike[str] | None = None, *, context: str | None = None, **kwargs: Any
    ) -> Self:
        """A client for ``context`` (default: the current one) of the kubeconfig at ``path``."""
        return cls(kubeconfig=path, context=context, **kwargs)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @overload
    def resource(
        self, api_version: str, plural: str, *, kind: str, namespaced: bool = True, model: None = None
    ) -> GenericResource[GenericObject]: ...

    @overload
    def resource(
        self, api_version: str, plural: str, *, kind: str | None = None, namespaced: bool = True,
        model: type[ModelT],
    ) -> GenericResource[ModelT]: ...

    def resource(
        self, api_version: str, plural: str, *, kind: str | None = None, namespaced: bool = True,
        model: type[Any] | None = None,
    ) -> Any:
        """An accessor for any resource, such as ``resource("apps/v1", "deployments", kind="Deployment")``.

        It offers get, list, create, replace, patch, delete, delete_collection and watch, built like
        the image accessors'. Objects decode to ``model`` (a pydantic model class; its ``__kind__``
        may stand in for ``kind``) or to ``GenericObject`` (``metadata`` typed, every other field
        kept as JSON). ``namespaced=False`` for cluster-scoped resources.
        """
        return self._generic("GenericResource", api_version, plural, kind, namespaced, model)

    @property
    def leases(self) -> GenericResource[Lease]:
        """``coordination.k8s.io/v1`` Leases (typed ``Lease``): what leader election runs on."""
        from .models.coordination_v1 import Lease

        return self.resource("coordination.k8s.io/v1", "leases", model=Lease)

    @property
    def images(self) -> Images:
        """Images (cluster-scoped)."""
        return self._accessor("Images")  # type: ignore[no-any-return]

    @property
    def image_signatures(self) -> ImageSignatures:
        """Image signatures (cluster-scoped; create and delete)."""
        return self._accessor("ImageSignatures")  # type: ignore[no-any-return]

    @property
    def image_streams(self) -> ImageStreams:
        """Image streams, with ``get_status``/``replace_status``/``patch_status``, ``layers``, ``secrets``, ``tag``."""
        return self._accessor("ImageStreams")  # type: ignore[no-any-return]

    @property
    def image_stream_tags(self) -> ImageStreamTags:
        """Image stream tags (``<stream>:<tag>``)."""
        return self._accessor("ImageStreamTags")  # type: ignore[no-any-return]

    @property
    def image_tags(self) -> ImageTags:
        """Image tags (``<stream>:<tag>``)."""
        return self._accessor("ImageTags")  # type: ignore[no-any-return]

    @property
    def image_stream_images(self) -> ImageStreamImages:
        """Images of a stream by digest (``<stream>@<digest>``; get only)."""
        return self._accessor("ImageStreamImages")  # type: ignore[no-any-return]

    @property
    def image_stream_imports(self) -> ImageStreamImports:
        """Imports from registries (create, ``import_image``)."""
        return self._accessor("ImageStreamImports")  # type: ignore[no-any-return]

    @property
    def image_stream_mappings(self) -> ImageStreamMappings:
        """Image stream mappings (create only; answers a ``Status``)."""
        return self._accessor("ImageStreamMappings")  # type: ignore[no-any-return]


class AsyncClient(_Accessors, AsyncClientCore):
    """The asyncio twin of :class:`Client`: the same constructor, attributes and verbs; every verb
    returns a coroutine. Use ``async with``, or call :meth:`aclose`. ``sleep`` replaces
    ``anyio.sleep`` between retries (tests)."""

    def __init__(
        self,
        base_url: str | httpx.URL | None = None,
        *,
        token: str | None = None,
        verify: Any = None,
        namespace: str | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        retries: RetriesTypes = DEFAULT_RETRIES,
        deadline: DeadlineTypes = None,
        config: ClientConfig | None = None,
        kubeconfig: str | PathLike[str] | None = None,
        context: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        http2: bool = False,
    ) -> None:
        connection = _connection(
            base_url=base_url, token=token, verify=verify, namespace=namespace, config=config,
            kubeconfig=kubeconfig, context=context,
        )
        super().__init__(
            with_lean_cookie_jar(
                httpx.AsyncClient(**_async_http_options(connection, transport, headers, max_connections, http2))
            ),
            namespace=connection.namespace, timeout=timeout, retries=retries, sleep=sleep,
            request_extensions=connection.extensions, deadline=deadline,
            concurrency=max_connections * (HTTP2_STREAMS_PER_CONNECTION if http2 else 1),
        )

    @classmethod
    def from_kubeconfig(
        cls, path: str | PathLike[str] | None = None, *, context: str | None = None, **kwargs: Any
    ) -> Self:
        """A client for ``context`` (default: the current one) of the kubeconfig at ``path``."""
        return cls(kubeconfig=path, context=context, **kwargs)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    @overload
    def resource(
        self, api_version: str, plural: str, *, kind: str, namespaced: bool = True, model: None = None
    ) -> AsyncGenericResource[GenericObject]: ...

    @overload
    def resource(
        self, api_version: str, plural: str, *, kind: str | None = None, namespaced: bool = True,
        model: type[ModelT],
    ) -> AsyncGenericResource[ModelT]: ...

    def resource(
        self, api_version: str, plural: str, *, kind: str | None = None, namespaced: bool = True,
        model: type[Any] | None = None,
    ) -> Any:
        """:meth:`Client.resource` on the async client: the verbs return coroutines."""
        return self._generic("AsyncGenericResource", api_version, plural, kind, namespaced, model)

    @property
    def leases(self) -> AsyncGenericResource[Lease]:
        """``coordination.k8s.io/v1`` Leases (typed ``Lease``): what leader election runs on."""
        from .models.coordination_v1 import Lease

        return self.resource("coordination.k8s.io/v1", "leases", model=Lease)

    @property
    def images(self) -> AsyncImages:
        """Images (cluster-scoped)."""
        return self._accessor("AsyncImages")  # type: ignore[no-any-return]

    @property
    def image_signatures(self) -> AsyncImageSignatures:
        """Image signatures (cluster-scoped; create and delete)."""
        return self._accessor("AsyncImageSignatures")  # type: ignore[no-any-return]

    @property
    def image_streams(self) -> AsyncImageStreams:
        """Image streams, with ``get_status``/``replace_status``/``patch_status``, ``layers``, ``secrets``, ``tag``."""
        return self._accessor("AsyncImageStreams")  # type: ignore[no-any-return]

    @property
    def image_stream_tags(self) -> AsyncImageStreamTags:
        """Image stream tags (``<stream>:<tag>``)."""
        return self._accessor("AsyncImageStreamTags")  # type: ignore[no-any-return]

    @property
    def image_tags(self) -> AsyncImageTags:
        """Image tags (``<stream>:<tag>``)."""
        return self._accessor("AsyncImageTags")  # type: ignore[no-any-return]

    @property
    def image_stream_images(self) -> AsyncImageStreamImages:
        """Images of a stream by digest (``<stream>@<digest>``; get only)."""
        return self._accessor("AsyncImageStreamImages")  # type: ignore[no-any-return]

    @property
    def image_stream_imports(self) -> AsyncImageStreamImports:
        """Imports from registries (create, ``import_image``)."""
        return self._accessor("AsyncImageStreamImports")  # type: ignore[no-any-return]

    @property
    def image_stream_mappings(self) -> AsyncImageStreamMappings:
        """Image stream mappings (create only; answers a ``Status``)."""
        return self._accessor("AsyncImageStreamMappings")  # type: ignore[no-any-return]
