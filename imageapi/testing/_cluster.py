"""``FakeCluster``: one in-memory image.openshift.io/v1 API server, reachable in process or on loopback."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx

from . import _namespaces, _workloads
from . import _semantics as _image_semantics
from ._app import App, AppSettings, Request, Semantics
from ._appcore import api_version
from ._contracts import DEFAULT_REGISTRY_HOSTNAME, JSON, ServerConfig
from ._faults import Faults
from ._http_server import FakeServer
from ._registry import FakeRegistry
from ._routes import ALL_RESOURCES, IMAGE_RESOURCES, prefix_of
from ._status import StatusError
from ._store import Store, TypeInfo, utc_now
from ._transport import AsyncFakeTransport, FakeTransport

if TYPE_CHECKING:
    from .._client import AsyncClient, Client

FLAVOURS = ("current", "4.17")


def _semantics() -> Semantics:
    """The image semantics layer's strategies and handlers and the workload resources' strategies, as
    the core's dispatch takes them."""
    return Semantics(
        strategies={**_namespaces.STRATEGIES, **_workloads.STRATEGIES, **_image_semantics.STRATEGIES},
        virtual_resources=_image_semantics.VIRTUAL_RESOURCES,
        subresource_handlers=_image_semantics.SUBRESOURCE_HANDLERS,
        after_write_hooks=_image_semantics.AFTER_WRITE_HOOKS,
        # Neither image strategy allows an unconditional update; the Kubernetes kinds all do.
        conditional_updates=frozenset(_image_semantics.STRATEGIES),
    )


def _store_types() -> dict[str, TypeInfo]:
    """Images and imagestreams live in the store (the image resources the real server keeps in etcd:
    the ones it can watch), with the core namespaces and secrets and the workload resources; the other
    image resources are computed from them."""
    return {plural: TypeInfo(info.kind, api_version(info), info.group, info.namespaced)
            for plural, info in ALL_RESOURCES.items()
            if plural not in IMAGE_RESOURCES or info.supports("watch")}


class FakeCluster:
    """A faithful fake of the image API server, in memory.

    Args:
        registry_hostname: the internal registry hostname that ``status.dockerImageRepository`` uses.
        external_registry_hostname: the public hostname (``status.publicDockerImageRepository``), if any.
        namespaces: namespaces to create up front.
        require_namespaces: when True a create in a missing namespace is 404 ``namespaces "x" not found``;
            by default namespaces are created on first use.
        token: a bearer token every request must carry (401 otherwise).
        flavour: ``"current"`` (WatchList on: ``sendInitialEvents`` works and is defaulted) or ``"4.17"``
            (any ``sendInitialEvents`` is 422).
        watch_history_size: how many writes the watch history keeps; older resourceVersions get 410.
        continue_token_ttl: seconds a continue token stays consistent before it expires (410).
        bookmark_interval: seconds between watch bookmarks (for watches that allow them).
        default_watch_timeout: seconds a watch without ``timeoutSeconds`` lasts.
        default_import_mode: the cluster's default ``importPolicy.importMode``.
        simulate_import_controller: import DockerImage spec tags from ``cluster.registry`` after stream
            writes, as the image import controller would (False: tags wait for an explicit import).

    Reach it with ``cluster.transport()`` / ``cluster.async_transport()`` (httpx transports) or
    ``with cluster.serve() as server`` (loopback HTTP). ``cluster.faults`` injects failures.
    """

    def __init__(
        self,
        *,
        registry_hostname: str = DEFAULT_REGISTRY_HOSTNAME,
        external_registry_hostname: str | None = None,
        namespaces: list[str] | None = None,
        require_namespaces: bool = False,
        token: str | None = None,
        flavour: str = "current",
        watch_history_size: int = 10_000,
        continue_token_ttl: float = 300.0,
        bookmark_interval: float = 60.0,
        default_watch_timeout: float = 1800.0,
        default_import_mode: str = "Legacy",
        simulate_import_controller: bool = True,
    ) -> None:
        if flavour not in FLAVOURS:
            raise ValueError(f"flavour must be one of {FLAVOURS}, not {flavour!r}")
        self.config = ServerConfig(internal_registry_hostname=registry_hostname,
                                   external_registry_hostname=external_registry_hostname,
                                   flavour=flavour, default_import_mode=default_import_mode,
                                   simulate_import_controller=simulate_import_controller)
        self.token = token
        self.store = Store(_store_types(), history_size=watch_history_size, continue_token_ttl=continue_token_ttl,
                           now=utc_now)
        self.registry = FakeRegistry()
        semantics = _semantics()
        self.faults = Faults(self.store)
        self._stopping = threading.Event()
        self.app = App(self.store, self.config, self.registry, semantics, self.faults,
                       AppSettings(token=token, require_namespaces=require_namespaces,
                                   default_watch_timeout=default_watch_timeout,
                                   bookmark_interval=bookmark_interval),
                       utc_now, self._stopping)
        # Like a real cluster, "default" exists from the start; it also keeps the revision above "0",
        # which a list would hand out and a watch would then read as "from any state".
        for namespace in ["default", *(namespaces or [])]:
            self.add_namespace(namespace)

    # -- reaching the cluster -------------------------------------------------------------------

    def transport(self) -> httpx.BaseTransport:
        """A sync httpx transport serving requests in process (watch streams included)."""
        return FakeTransport(self.app)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """An async httpx transport serving requests in process (watch streams included)."""
        return AsyncFakeTransport(self.app)

    def client(self, **options: Any) -> Client:
        """An :class:`imageapi.Client` talking to this cluster in process, with the cluster's token if it
        has one (``options`` as for ``Client``: ``namespace=``, ``retries=``, ``timeout=``…)."""
        from .._testing_clients import fake_client

        return fake_client(self, **options)

    def async_client(self, **options: Any) -> AsyncClient:
        """An :class:`imageapi.AsyncClient` talking to this cluster in process (see :meth:`client`)."""
        from .._testing_clients import fake_async_client

        return fake_async_client(self, **options)

    def serve(self, port: int = 0) -> FakeServer:
        """Start a loopback HTTP/1.1 server on 127.0.0.1 (``port`` 0: any free port)."""
        return FakeServer(self.app, self.token, port)

    def close(self) -> None:
        """End every open watch stream."""
        self._stopping.set()

    @property
    def resource_version(self) -> int:
        """The cluster-wide revision of the last write."""
        return self.store.current_resource_version()

    # -- seeding and inspecting -----------------------------------------------------------------

    def add_namespace(self, name: str, labels: Mapping[str, str] | None = None) -> JSON:
        """Create a namespace (no-op when it exists) and return it."""
        with self.store.lock:
            existing = self.store.get("namespaces", None, name)
            if existing is not None:
                return existing
            body: JSON = {"metadata": {"name": name}, "status": {"phase": "Active"}}
            if labels:
                body["metadata"]["labels"] = dict(labels)
            return self.store.create("namespaces", None, body)

    def add_secret(
        self,
        namespace: str,
        name: str,
        type: str = "kubernetes.io/dockerconfigjson",
        data: Mapping[str, str | bytes] | None = None,
        *,
        annotations: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> JSON:
        """Store a core Secret (``data`` values are raw; they are base64-encoded here) and return it."""
        encoded = {key: base64.b64encode(value.encode() if isinstance(value, str) else value).decode()
                   for key, value in (data or {}).items()}
        metadata: JSON = {"name": name}
        if annotations:
            metadata["annotations"] = dict(annotations)
        if labels:
            metadata["labels"] = dict(labels)
        if not self.store.namespace_exists(namespace):
            self.add_namespace(namespace)
        return self.store.create("secrets", namespace, {"metadata": metadata, "type": type, "data": encoded})

    def create(self, resource: str, obj: JSON, namespace: str | None = None) -> JSON:
        """Create through the API (semantics, validation and all) and return the response body.

        Raises :class:`~imageapi.testing._status.StatusError` when the server refuses."""
        return self._call("POST", self._path(resource, namespace), body=obj)

    def get(self, resource: str, name: str, namespace: str | None = None) -> JSON:
        """GET one object through the API (raises StatusError, e.g. 404)."""
        return self._call("GET", self._path(resource, namespace, name))

    def list(self, resource: str, namespace: str | None = None, **query: str) -> list[JSON]:
        """The items of a list through the API (query parameters as keyword arguments)."""
        items = self._call("GET", self._path(resource, namespace), query=query).get("items")
        return list(items or [])

    def delete(self, resource: str, name: str, namespace: str | None = None) -> JSON:
        """DELETE one object through the API and return the response body."""
        return self._call("DELETE", self._path(resource, namespace, name))

    def request(self, method: str, path: str, *, body: Any = None, query: Mapping[str, str] | None = None,
                headers: Mapping[str, str] | None = None) -> tuple[int, Any]:
        """Send one request in process and return ``(status, decoded JSON body)`` (never raises)."""
        raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        request = Request.from_wire(method, path, (query or {}).items(), (headers or {}).items(), raw)
        if self.token is not None:
            request.headers = {"authorization": f"Bearer {self.token}", **request.headers}
        response = self.app.handle(request)
        if response.stream is not None:
            response.stream.close()
            return response.status, None
        try:
            return response.status, json.loads(response.body) if response.body else None
        except ValueError:
            return response.status, response.body.decode(errors="replace")

    def _call(self, method: str, path: str, *, body: Any = None, query: Mapping[str, str] | None = None) -> JSON:
        status, document = self.request(method, path, body=body, query=query)
        if status >= 400:
            if isinstance(document, dict):
                raise StatusError(status, document.get("reason"), str(document.get("message", "")),
                                  document.get("details"))
            raise StatusError(status, None, str(document))
        return document if isinstance(document, dict) else {}

    @staticmethod
    def _path(resource: str, namespace: str | None, name: str | None = None) -> str:
        info = ALL_RESOURCES.get(resource)
        if info is None:
            raise ValueError(f"unknown resource {resource!r} (expected a plural such as 'imagestreams')")
        path = prefix_of(info)
        if info.namespaced and namespace is not None:
            path += f"/namespaces/{namespace}"
        elif info.namespaced and name is not None:
            raise ValueError(f"{resource} is namespaced: pass namespace=")
        path += f"/{resource}"
        if name is not None:
            path += f"/{name}"
        return path

    def url_path(self, resource: str, namespace: str | None = None, name: str | None = None,
                 **query: str) -> str:
        """The API path of a resource (with a query string), for tests that build requests by hand."""
        path = self._path(resource, namespace, name)
        return f"{path}?{urlencode(query)}" if query else path


__all__ = ["DEFAULT_REGISTRY_HOSTNAME", "FakeCluster"]
