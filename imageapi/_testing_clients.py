"""Ready clients for a :class:`imageapi.testing.FakeCluster`: ``cluster.client()``/``cluster.async_client()``.

Kept next to the client (not in ``imageapi.testing``) so the fake cluster stays independent of it;
``FakeCluster.client`` and ``FakeCluster.async_client`` delegate here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._client import AsyncClient, Client
    from .testing import FakeCluster

#: The in-process transports ignore the host; this one cannot resolve, should anything try.
FAKE_BASE_URL = "http://fake-cluster.invalid"


def _defaults(cluster: FakeCluster, kwargs: dict[str, Any]) -> dict[str, Any]:
    options = dict(kwargs)
    options.setdefault("base_url", FAKE_BASE_URL)
    token = getattr(cluster, "token", None)
    if token is not None:
        options.setdefault("token", token)
    return options


def fake_client(cluster: FakeCluster, **kwargs: Any) -> Client:
    """A :class:`imageapi.Client` talking to ``cluster`` in process (keyword arguments as for Client:
    ``namespace=``, ``retries=``, ``timeout=``…). The cluster's token, if it has one, is sent."""
    from ._client import Client

    return Client(transport=cluster.transport(), **_defaults(cluster, kwargs))


def fake_async_client(cluster: FakeCluster, **kwargs: Any) -> AsyncClient:
    """An :class:`imageapi.AsyncClient` talking to ``cluster`` in process (see :func:`fake_client`)."""
    from ._client import AsyncClient

    return AsyncClient(transport=cluster.async_transport(), **_defaults(cluster, kwargs))
