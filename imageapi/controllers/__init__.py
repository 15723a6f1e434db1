"""Controller building blocks, typed, for both clients (client-go's ``tools/cache``, ``util/workqueue``,
``tools/leaderelection``, and apimachinery's ``wait``).

* :class:`Informer` / :class:`AsyncInformer` (:mod:`.informer`): list, watch and relist one resource
  into a typed :class:`~.cache.Cache` with indexes, and call handlers for each change.
* :class:`WorkQueue` / :class:`AsyncWorkQueue` (:mod:`.queue`): deduplicating key queues with
  rate-limited retries.
* :class:`Controller` / :class:`AsyncController` (:mod:`.runner`): informer → queue → workers →
  ``reconcile(key)``.
* :func:`wait_for` / :func:`async_wait_for` (:mod:`.wait`): wait on a watch until a condition on
  one object holds.
* :class:`LeaderElector` / :class:`AsyncLeaderElector` (:mod:`.leader`): leader election on a
  ``coordination.k8s.io/v1`` Lease.

They share a :class:`Clock` and a :class:`Stop` signal: pass a :class:`FakeClock` to test them
without waiting, and one ``Stop`` to end them all. See ``docs/controllers.md``.
"""

from ._clock import Clock, FakeClock, Stop, SystemClock
from .cache import (
    IMAGE_DIGEST,
    NAMESPACE,
    SOURCE_REPOSITORY,
    Cache,
    image_digests,
    object_key,
    source_repositories,
)
from .informer import AsyncInformer, Backoff, HandlerRegistration, Informer, InformerStats
from .leader import AsyncLeaderElector, LeaderElector
from .queue import (
    AsyncWorkQueue,
    BucketRateLimiter,
    ItemExponentialRateLimiter,
    MaxOfRateLimiter,
    RateLimiter,
    WorkQueue,
    default_rate_limiter,
)
from .runner import AsyncController, Controller, ControllerStats, split_key
from .wait import (
    TagImportFailedError,
    WaitTimeoutError,
    async_wait_for,
    deleted,
    exists,
    tag_imported,
    wait_for,
)

__all__ = [
    "IMAGE_DIGEST",
    "NAMESPACE",
    "SOURCE_REPOSITORY",
    "AsyncController",
    "AsyncInformer",
    "AsyncLeaderElector",
    "AsyncWorkQueue",
    "Backoff",
    "BucketRateLimiter",
    "Cache",
    "Clock",
    "Controller",
    "ControllerStats",
    "FakeClock",
    "HandlerRegistration",
    "Informer",
    "InformerStats",
    "ItemExponentialRateLimiter",
    "LeaderElector",
    "MaxOfRateLimiter",
    "RateLimiter",
    "Stop",
    "SystemClock",
    "TagImportFailedError",
    "WaitTimeoutError",
    "WorkQueue",
    "async_wait_for",
    "default_rate_limiter",
    "deleted",
    "exists",
    "image_digests",
    "object_key",
    "source_repositories",
    "split_key",
    "tag_imported",
    "wait_for",
]
