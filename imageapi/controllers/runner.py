"""Controllers: an informer feeding a work queue, and workers calling ``reconcile(key)``.

::

    def reconcile(key: str) -> None:
        namespace, name = split_key(key)
        stream = informer.cache.get(name, namespace=namespace)   # None: it was deleted
        ...

    with Controller(client.image_streams.informer(namespace="demo"), reconcile, workers=2) as controller:
        controller.run()            # until Ctrl-C or controller.stop() (from a handler, another thread)

Every add, update and delete queues the object's key; a key is reconciled by one worker at a time,
and changes that arrive meanwhile are coalesced into one more reconcile afterwards. ``reconcile``
returns None when done, a number of seconds to look at the key again later, or raises: the key is
then retried with the queue's rate limiter (5 ms doubling to 1000 s, with a 10 qps overall bucket).
An exception never ends a worker. Workers start once the informer's first list is in the cache, so
``reconcile`` always sees a complete cache. :meth:`stop` (or leaving the ``with`` block, or Ctrl-C
in :meth:`run`) stops the informer and the queue and waits a bounded time for the workers.

:class:`AsyncController` is the same on tasks; its ``reconcile`` may be a coroutine function.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .cache import object_key, split_key
from .informer import AsyncInformer, Informer
from .queue import AsyncWorkQueue, RateLimiter, WorkQueue

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["AsyncController", "Controller", "ControllerStats", "split_key"]

logger = logging.getLogger("imageapi.controllers")

ModelT = TypeVar("ModelT")
QueueT = TypeVar("QueueT", WorkQueue[str], AsyncWorkQueue[str])


@dataclass
class ControllerStats:
    """What a controller's workers did."""

    reconciles: int = 0
    """Calls of ``reconcile`` (successful or not)."""
    errors: int = 0
    """Calls that raised (each key then requeued with the rate limiter)."""
    requeues_after: int = 0
    """Calls that asked to look at their key again later."""


class _ControllerBase(Generic[QueueT]):
    """Wiring shared by both controllers: handlers → queue, and what a reconcile's outcome means."""

    queue: QueueT

    def __init__(self, informer: Any, workers: int) -> None:
        if workers < 1:
            raise ValueError("a controller needs at least one worker")
        self.informer = informer
        self.workers = workers
        self.stats = ControllerStats()
        self.stop_signal = informer.stop_signal
        self._stats_lock = threading.Lock()

    def _connect(self) -> None:
        queue = self.queue
        self.informer.add_handler(
            on_add=lambda obj, is_initial: queue.add(object_key(obj)),
            on_update=lambda old, new: queue.add(object_key(new)),
            on_delete=lambda obj: queue.add(object_key(obj)),
        )

    def _finished(self, key: str, result: object, error: BaseException | None) -> None:
        """Record one reconcile of ``key`` and requeue it as its outcome asks; marks it done."""
        queue = self.queue
        try:
            with self._stats_lock:
                self.stats.reconciles += 1
                if error is not None:
                    self.stats.errors += 1
                elif isinstance(result, (int, float)) and not isinstance(result, bool) and result > 0:
                    self.stats.requeues_after += 1
            if error is not None:
                logger.error("reconcile %s failed (retry %d): %s", key, queue.num_requeues(key) + 1, error,
                             exc_info=error)
                queue.add_rate_limited(key)
                return
            queue.forget(key)
            if isinstance(result, (int, float)) and not isinstance(result, bool) and result > 0:
                queue.add_after(key, float(result))
        finally:
            queue.done(key)


class Controller(_ControllerBase[WorkQueue[str]]):
    """Informer → work queue → ``workers`` threads → ``reconcile(key)`` (see the module docs).

    ``queue`` replaces the default queue (e.g. with another rate limiter); it and the informer share
    the informer's clock and stop signal.
    """

    def __init__(
        self,
        informer: Informer[Any],
        reconcile: Callable[[str], object],
        *,
        workers: int = 1,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        super().__init__(informer, workers)
        self._reconcile = reconcile
        self.queue = WorkQueue(rate_limiter, clock=informer.clock, stop=self.stop_signal)
        self._threads: list[threading.Thread] = []
        self._connect()

    def start(self) -> Self:
        """Start the informer, and the workers once it has synced (returns at once)."""
        if not self._threads:
            self.informer.start()
            starter = threading.Thread(target=self._start_workers, name="controller-start", daemon=True)
            self._threads.append(starter)
            starter.start()
        return self

    def _start_workers(self) -> None:
        if not self.informer.wait_for_sync():
            return  # stopped before the first list completed
        for number in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"controller-worker-{number}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _work(self) -> None:
        for key in self.queue:
            try:
                result = self._reconcile(key)
            except Exception as error:
                self._finished(key, None, error)
            else:
                self._finished(key, result, None)

    def run(self) -> None:
        """Start, and block until stopped (:meth:`stop`, or Ctrl-C, which stops cleanly)."""
        self.start()
        try:
            while not self.stop_signal.is_set():
                # A bounded wait, so that Ctrl-C reaches this thread promptly.
                self.stop_signal.wait(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the informer and the queue; wait up to ``timeout`` s in all for the workers."""
        self.stop_signal.set()
        self.informer.stop(timeout)
        deadline = self.informer.clock.now() + timeout
        for thread in list(self._threads):
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - self.informer.clock.now()))

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class AsyncController(_ControllerBase[AsyncWorkQueue[str]]):
    """:class:`Controller` on asyncio tasks; ``reconcile`` may be ``async def`` (awaited) or plain."""

    def __init__(
        self,
        informer: AsyncInformer[Any],
        reconcile: Callable[[str], Awaitable[object] | object],
        *,
        workers: int = 1,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        super().__init__(informer, workers)
        self._reconcile = reconcile
        self.queue = AsyncWorkQueue(rate_limiter, clock=informer.clock, stop=self.stop_signal)
        self._tasks: list[asyncio.Task[None]] = []
        self._connect()

    async def start(self) -> Self:
        """Start the informer, and the workers once it has synced (returns at once)."""
        if not self._tasks:
            await self.informer.start()
            self._tasks.append(asyncio.get_running_loop().create_task(self._start_workers()))
        return self

    async def _start_workers(self) -> None:
        if not await self.informer.wait_for_sync():
            return
        loop = asyncio.get_running_loop()
        self._tasks.extend(loop.create_task(self._work()) for _ in range(self.workers))

    async def _work(self) -> None:
        async for key in self.queue:
            try:
                result = self._reconcile(key)
                if inspect.isawaitable(result):
                    result = await result
            except Exception as error:
                self._finished(key, None, error)
            else:
                self._finished(key, result, None)

    async def run(self) -> None:
        """Start, and wait until stopped (:meth:`stop`; cancelling the caller stops cleanly too)."""
        await self.start()
        event = asyncio.Event()
        cancel = self.stop_signal.event_wake(event)
        try:
            await event.wait()
        finally:
            cancel()
            await self.stop()

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop the informer and the queue; wait up to ``timeout`` s in all for the workers."""
        self.stop_signal.set()
        await self.informer.stop(timeout)
        pending = [task for task in self._tasks if task is not asyncio.current_task() and not task.done()]
        if pending:
            _, still = await asyncio.wait(pending, timeout=timeout)
            for task in still:
                task.cancel()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()
