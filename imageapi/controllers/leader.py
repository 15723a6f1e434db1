"""Leader election on a ``coordination.k8s.io/v1`` Lease (client-go's ``tools/leaderelection``).

::

    elector = LeaderElector(client, name="image-tagger", namespace="demo", identity=pod_name,
                            lease_duration=15.0, renew_deadline=10.0, retry_period=2.0,
                            on_started_leading=controller.start, on_stopped_leading=controller.stop)
    elector.run()        # blocks: acquires, renews, and releases the lease on stop()

How it decides (client-go's algorithm, step for step):

* **Acquire**: every ``retry_period`` (stretched by up to 120 % jitter, so candidates do not move in
  lockstep) read the Lease. Nobody holds it (no Lease, or an empty holder) → take it. Someone else
  holds it → take it only once the record has not changed for ``leaseDurationSeconds`` *as this
  elector observed it*: expiry is judged by this process's own clock from the moment it first saw
  the current record, never by comparing the lease's timestamps with the local time (clocks of
  different machines disagree).
* **Writes are optimistic**: the update carries the resourceVersion that was read, so of two
  candidates writing at once one gets 409 Conflict and stays a candidate.
* **Renew**: the leader rewrites ``renewTime`` every ``retry_period``; if it cannot renew for
  ``renew_deadline`` it stops leading (``on_stopped_leading``) before anyone else may take over,
  because ``renew_deadline < lease_duration``.
* **Transitions** are counted in ``leaseTransitions``; **release** on stop writes an empty holder
  with a 1 s duration, so a candidate takes over at its next attempt instead of waiting the lease out.

``lease_duration > renew_deadline > 1.2 x retry_period`` is required (as client-go requires).
Callbacks run on the elector's thread (task) and should return promptly (start or stop your
controller there): ``on_started_leading()``, ``on_stopped_leading()`` (only after having led), and
``on_new_leader(identity)`` whenever the observed holder changes.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import datetime, timezone
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .._base_client import Flow
from .._request import WriteOptions, build_create_request, build_get_request, build_replace_request
from ..errors import ImageAPIError, NotFoundError
from ._clock import Clock, Stop, SystemClock

if TYPE_CHECKING:
    import asyncio

    from typing_extensions import Self

    from ..models.coordination_v1 import Lease, LeaseSpec

__all__ = ["JITTER_FACTOR", "AsyncLeaderElector", "LeaderElector"]

logger = logging.getLogger("imageapi.controllers")

JITTER_FACTOR = 1.2
"""client-go's JitterFactor: acquire attempts wait ``retry_period * (1 + random * 1.2)``."""


@dataclass(frozen=True)
class _Attempt:
    """Action: run one try-acquire-or-renew flow; send back whether it succeeded."""


@dataclass(frozen=True)
class _Release:
    """Action: run the release flow."""


@dataclass(frozen=True)
class _Pause:
    """Action: sleep this many seconds (unless stopped)."""

    seconds: float


_Action = _Attempt | _Release | _Pause


def _record_key(spec: LeaseSpec | None) -> tuple[Any, ...]:
    """What identifies a lease record (a renewal changes ``renewTime``, so it changes this)."""
    if spec is None:
        return ()
    return (spec.holder_identity, spec.lease_duration_seconds, spec.acquire_time, spec.renew_time,
            spec.lease_transitions)


class _ElectorCore:
    """The election without I/O: the flows that read and write the Lease, and the run loop as a
    generator of actions that each driver performs (attempts through the client, pauses on the clock)."""

    def __init__(
        self,
        client: Any,
        *,
        name: str,
        namespace: str | None,
        identity: str,
        lease_duration: float,
        renew_deadline: float,
        retry_period: float,
        on_started_leading: Callable[[], object] | None,
        on_stopped_leading: Callable[[], object] | None,
        on_new_leader: Callable[[str], object] | None,
        release_on_stop: bool,
        clock: Clock | None,
        stop: Stop | None,
        rng: random.Random | None,
    ) -> None:
        if not name:
            raise ValueError("the lease needs a name")
        if not identity:
            raise ValueError("an elector needs a non-empty identity")
        if min(lease_duration, renew_deadline, retry_period) <= 0:
            raise ValueError("lease_duration, renew_deadline and retry_period must be positive")
        if not lease_duration > renew_deadline:
            raise ValueError("lease_duration must be greater than renew_deadline")
        if not renew_deadline > JITTER_FACTOR * retry_period:
            raise ValueError(f"renew_deadline must be greater than {JITTER_FACTOR} x retry_period")
        if lease_duration < 1:
            raise ValueError("lease_duration must be at least 1 s (the Lease counts whole seconds)")
        self.leases = client.leases
        self.name = name
        self.namespace = namespace if namespace is not None else client.namespace
        self.identity = identity
        self.lease_duration, self.renew_deadline, self.retry_period = lease_duration, renew_deadline, retry_period
        self.on_started_leading, self.on_stopped_leading = on_started_leading, on_stopped_leading
        self.on_new_leader = on_new_leader
        self.release_on_stop = release_on_stop
        self.clock = clock or SystemClock()
        self.stop = stop or Stop()
        self._rng = rng or random.Random()
        self.observed: LeaseSpec | None = None
        self._observed_key: tuple[Any, ...] = ()
        self.observed_time = 0.0
        self.reported_leader: str | None = None
        self.expires_at: float | None = None
        self.renewed_at: float | None = None
        """When (on the clock) this elector last acquired or renewed the lease."""
        """When the lease held by another expires as observed (after a refused attempt)."""
        self.leading = False
        self._stopped_leading = False
        self.transitions_seen = 0

    # -- the Lease --------------------------------------------------------------------------------

    @property
    def is_leader(self) -> bool:
        """Whether the last record observed names this elector as holder."""
        return self.observed is not None and self.observed.holder_identity == self.identity

    def _observe(self, spec: LeaseSpec | None, now: float) -> None:
        key = _record_key(spec)
        if key != self._observed_key:
            self._observed_key, self.observed, self.observed_time = key, spec, now

    def _new_record(self, acquire_time: datetime | None, transitions: int) -> LeaseSpec:
        from ..models.coordination_v1 import LeaseSpec

        wall = datetime.now(timezone.utc)
        return LeaseSpec(holder_identity=self.identity, lease_duration_seconds=int(self.lease_duration),
                         acquire_time=acquire_time or wall, renew_time=wall, lease_transitions=transitions)

    def try_acquire_or_renew(self) -> Flow[bool]:
        """Read the Lease; take or renew it when allowed. True when this elector holds it now."""
        info, decode = self.leases.info, self.leases._decoder("Lease")
        now = self.clock.now()
        try:
            lease: Lease = yield build_get_request(info, self.namespace, self.name, decode)
        except NotFoundError:
            record = self._new_record(None, 0)
            body = {"metadata": {"name": self.name, "namespace": self.namespace}, "spec": record.to_dict()}
            try:
                created: Lease = yield build_create_request(
                    info, self.namespace, {"apiVersion": info.api_version, "kind": "Lease", **body}, decode,
                    WriteOptions())
            except ImageAPIError as error:
                logger.debug("%s: creating lease %s failed: %s", self.identity, self.name, error)
                return False
            self._observe(created.spec, self.clock.now())
            self.renewed_at = now
            return True
        except ImageAPIError as error:
            logger.debug("%s: reading lease %s failed: %s", self.identity, self.name, error)
            return False
        old = lease.spec
        self._observe(old, now)
        holder = old.holder_identity if old is not None else None
        duration = (old.lease_duration_seconds if old is not None else None) or 0
        if holder and self.observed_time + duration > now and not self.is_leader:
            self.expires_at = self.observed_time + duration
            return False  # held by another, and not expired as far as we have seen
        transitions = (old.lease_transitions if old is not None else None) or 0
        if self.is_leader and old is not None:
            record = self._new_record(old.acquire_time, transitions)
        else:
            record = self._new_record(None, transitions + 1)
        lease.spec = record
        try:
            updated: Lease = yield build_replace_request(
                info, self.namespace, self.name, lease.to_dict(), decode, WriteOptions())
        except ImageAPIError as error:
            logger.debug("%s: updating lease %s failed: %s", self.identity, self.name, error)
            return False
        self._observe(updated.spec, self.clock.now())
        self.renewed_at = now
        return True

    def release(self) -> Flow[bool]:
        """Give the lease up (empty holder, 1 s duration) if this elector holds it."""
        if not self.is_leader:
            return True
        from ..models.coordination_v1 import LeaseSpec

        info, decode = self.leases.info, self.leases._decoder("Lease")
        try:
            lease: Lease = yield build_get_request(info, self.namespace, self.name, decode)
            if lease.spec is None or lease.spec.holder_identity != self.identity:
                return True
            wall = datetime.now(timezone.utc)
            lease.spec = LeaseSpec(holder_identity="", lease_duration_seconds=1, acquire_time=wall,
                                   renew_time=wall, lease_transitions=lease.spec.lease_transitions)
            updated: Lease = yield build_replace_request(
                info, self.namespace, self.name, lease.to_dict(), decode, WriteOptions())
        except ImageAPIError as error:
            logger.warning("%s: releasing lease %s failed: %s", self.identity, self.name, error)
            return False
        self._observe(updated.spec, self.clock.now())
        return True

    # -- the run loop -----------------------------------------------------------------------------

    def _report(self) -> None:
        holder = self.observed.holder_identity if self.observed is not None else None
        if holder and holder != self.reported_leader:
            self.reported_leader = holder
            self.transitions_seen += 1
            if self.on_new_leader is not None:
                self._callback(self.on_new_leader, holder)

    def _callback(self, func: Callable[..., object], *args: Any) -> None:
        try:
            func(*args)
        except Exception:
            logger.exception("leader election callback %r failed", getattr(func, "__qualname__", func))

    def run(self) -> Generator[_Action, bool | None, None]:
        """The election: acquire, lead while renewals succeed, and after a lost lease be a candidate
        again, until stopped; then release. Yields the actions its driver performs."""
        while not self.stop.is_set():
            if (yield from self._acquire()):
                yield from self._lead()
        if self.release_on_stop and self._stopped_leading:
            yield _Release()

    def _acquire(self) -> Generator[_Action, bool | None, bool]:
        """Attempt until the lease is ours (True) or the elector is stopped (False)."""
        while not self.stop.is_set():
            self.expires_at = None
            acquired = yield _Attempt()
            self._report()
            if acquired:
                return not self.stop.is_set()
            pause = self.retry_period * (1 + self._rng.random() * JITTER_FACTOR)
            if self.expires_at is not None:
                # No later than the moment the holder's lease runs out as we observed it: a jittered
                # retry alone could take over up to 2.2 retry periods after that.
                pause = min(pause, max(0.0, self.expires_at - self.clock.now()))
            yield _Pause(pause)
        return False

    def _lead(self) -> Generator[_Action, bool | None, None]:
        """Lead: renew every retry period until a renew deadline passes without success, or stop."""
        logger.info("%s: became leader of lease %s/%s", self.identity, self.namespace, self.name)
        self.leading = True
        if self.on_started_leading is not None:
            self._callback(self.on_started_leading)
        try:
            while not self.stop.is_set():
                deadline = self.clock.now() + self.renew_deadline
                renewed = False
                while not self.stop.is_set():
                    renewed = bool((yield _Attempt()))
                    if renewed or self.clock.now() >= deadline:
                        break
                    yield _Pause(min(self.retry_period, max(0.0, deadline - self.clock.now())))
                self._report()
                if not renewed:
                    if not self.stop.is_set():
                        logger.warning("%s: lost lease %s (no renewal for %.1fs)", self.identity, self.name,
                                       self.renew_deadline)
                    return
                yield _Pause(self.retry_period)
        finally:
            self.leading = False
            self._stopped_leading = self.stop.is_set()  # stopped while leading: release
            if self.on_stopped_leading is not None:
                self._callback(self.on_stopped_leading)


class _ElectorBase:
    """Construction and the read-only surface both drivers share."""

    def __init__(
        self,
        client: Any,
        *,
        name: str,
        namespace: str | None = None,
        identity: str,
        lease_duration: float = 15.0,
        renew_deadline: float = 10.0,
        retry_period: float = 2.0,
        on_started_leading: Callable[[], object] | None = None,
        on_stopped_leading: Callable[[], object] | None = None,
        on_new_leader: Callable[[str], object] | None = None,
        release_on_stop: bool = True,
        clock: Clock | None = None,
        stop: Stop | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._core = _ElectorCore(
            client, name=name, namespace=namespace, identity=identity, lease_duration=lease_duration,
            renew_deadline=renew_deadline, retry_period=retry_period, on_started_leading=on_started_leading,
            on_stopped_leading=on_stopped_leading, on_new_leader=on_new_leader, release_on_stop=release_on_stop,
            clock=clock, stop=stop, rng=rng,
        )
        self._client = client

    @property
    def identity(self) -> str:
        """This elector's identity (what it writes as ``holderIdentity``)."""
        return self._core.identity

    @property
    def is_leader(self) -> bool:
        """Whether this elector leads now (between ``on_started_leading`` and ``on_stopped_leading``)."""
        return self._core.leading

    @property
    def leader(self) -> str | None:
        """The holder this elector last observed (None before the first read, or when released)."""
        observed = self._core.observed
        return (observed.holder_identity or None) if observed is not None else None

    @property
    def stop_signal(self) -> Stop:
        """The stop signal (shared with whatever else was given it)."""
        return self._core.stop

    @property
    def renewed_at(self) -> float | None:
        """When (on the elector's clock) it last acquired or renewed the lease."""
        return self._core.renewed_at

    @property
    def observed_time(self) -> float:
        """When (on the elector's clock) the current lease record was first observed."""
        return self._core.observed_time


class LeaderElector(_ElectorBase):
    """Leader election for :class:`imageapi.Client`: :meth:`run` blocks, :meth:`start` uses a thread."""

    _thread: threading.Thread | None = None

    def run(self) -> None:
        """Take part in the election until :meth:`stop`; releases the lease on the way out."""
        core = self._core
        program = core.run()
        try:
            action = next(program)
            while True:
                result: bool | None = None
                if isinstance(action, _Pause):
                    core.clock.sleep(action.seconds, core.stop)
                else:
                    flow = core.try_acquire_or_renew() if isinstance(action, _Attempt) else core.release()
                    result = self._client._run(flow, self._request_timeout(), 0)
                action = program.send(result)
        except StopIteration:
            pass

    def _request_timeout(self) -> float:
        return self._core.renew_deadline

    def start(self) -> Self:
        """Run the election on a daemon thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self.run, name=f"leader-{self.identity}", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float | None = 10.0) -> None:
        """Stop electing (releasing the lease if held) and wait up to ``timeout`` s for the thread."""
        self._core.stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class AsyncLeaderElector(_ElectorBase):
    """Leader election for :class:`imageapi.AsyncClient`: ``await run()``, or ``async with``."""

    _task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        """Take part in the election until :meth:`stop`; releases the lease on the way out."""
        core = self._core
        program = core.run()
        try:
            action = next(program)
            while True:
                result: bool | None = None
                if isinstance(action, _Pause):
                    await core.clock.sleep_async(action.seconds, core.stop)
                else:
                    flow = core.try_acquire_or_renew() if isinstance(action, _Attempt) else core.release()
                    result = await self._client._run(flow, core.renew_deadline, 0)
                action = program.send(result)
        except StopIteration:
            pass

    async def start(self) -> Self:
        """Run the election on a task of the running loop."""
        import asyncio

        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run())
        return self

    async def stop(self, timeout: float | None = 10.0) -> None:
        """Stop electing (releasing the lease if held) and wait up to ``timeout`` s for the task."""
        import asyncio

        self._core.stop.set()
        if self._task is not None and self._task is not asyncio.current_task():
            done, _ = await asyncio.wait({self._task}, timeout=timeout)
            if not done:
                self._task.cancel()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()
