"""imageapi: a typed Python SDK for OpenShift's image API group (``image.openshift.io/v1``).

::

    from imageapi import Client
    from imageapi.models import ImageStream

    with Client() as client:
        client.image_streams.create(ImageStream(metadata={"name": "app"}), namespace="demo")

The names below are imported on first use (PEP 562), so ``import imageapi`` costs little more than
importing httpx and pydantic; the models load when a client first touches a resource.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._httpx_cli import defer_httpx_cli

defer_httpx_cli()  # before anything imports httpx: see imageapi/_httpx_cli.py

if TYPE_CHECKING:
    from ._base_client import NotGiven
    from ._client import AsyncClient, Client
    from ._retry import ConflictBackoff, async_retry_on_conflict, retry_on_conflict
    from ._retry_policy import RetryPolicy
    from .errors import (
        AlreadyExistsError,
        APIConnectionError,
        ApiError,
        APITimeoutError,
        BadRequestError,
        ConfigError,
        ConflictError,
        ForbiddenError,
        ImageAPIError,
        InvalidError,
        MethodNotAllowedError,
        NotFoundError,
        ProtocolError,
        ResourceExpiredError,
        ResourceVersionTooLargeError,
        ServerError,
        ServerTimeoutError,
        TooManyRequestsError,
        UnauthorizedError,
    )
    from .pagination import AsyncPager, Pager
    from .watch import AsyncWatcher, Event, Watcher

__version__ = "0.1.0"

__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "AlreadyExistsError",
    "ApiError",
    "AsyncClient",
    "AsyncPager",
    "AsyncWatcher",
    "BadRequestError",
    "Client",
    "ConfigError",
    "ConflictBackoff",
    "ConflictError",
    "Event",
    "ForbiddenError",
    "ImageAPIError",
    "InvalidError",
    "MethodNotAllowedError",
    "NotFoundError",
    "NotGiven",
    "Pager",
    "ProtocolError",
    "ResourceExpiredError",
    "ResourceVersionTooLargeError",
    "RetryPolicy",
    "ServerError",
    "ServerTimeoutError",
    "TooManyRequestsError",
    "UnauthorizedError",
    "Watcher",
    "__version__",
    "async_retry_on_conflict",
    "retry_on_conflict",
]

# Where each lazily exported name lives.
_MODULE_OF: dict[str, str] = {
    "AsyncClient": "._client",
    "Client": "._client",
    "NotGiven": "._base_client",
    "AsyncPager": ".pagination",
    "Pager": ".pagination",
    "AsyncWatcher": ".watch",
    "Event": ".watch",
    "Watcher": ".watch",
    "ConflictBackoff": "._retry",
    "RetryPolicy": "._retry_policy",
    "async_retry_on_conflict": "._retry",
    "retry_on_conflict": "._retry",
    **{
        name: ".errors"
        for name in (
            "APIConnectionError", "APITimeoutError", "AlreadyExistsError", "ApiError", "BadRequestError",
            "ConfigError", "ConflictError", "ForbiddenError", "ImageAPIError", "InvalidError",
            "MethodNotAllowedError", "NotFoundError", "ProtocolError", "ResourceExpiredError",
            "ResourceVersionTooLargeError", "ServerError", "ServerTimeoutError", "TooManyRequestsError",
            "UnauthorizedError",
        )
    },
}


def __getattr__(name: str) -> Any:
    module_name = _MODULE_OF.get(name)
    if module_name is None:
        raise AttributeError(f"module 'imageapi' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
