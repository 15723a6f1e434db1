"""Wait until a condition on one object holds, on a watch (no polling), with a timeout.

::

    from imageapi.controllers import wait_for, tag_imported

    stream = wait_for(client.image_streams, "app", namespace="demo", condition=tag_imported("1.0"), timeout=60)
    wait_for(client.image_streams, "old", condition="deleted", timeout=30)
    await async_wait_for(async_client.image_streams, "app", condition="exists", timeout=10)

``condition`` is a callable given the object's current state (None while it does not exist) and
returning whether the wait is over; it may raise to end the wait with an error. Built-ins:
``"exists"`` (:func:`exists`), ``"deleted"`` (:func:`deleted`) and :func:`tag_imported`. The wait
reads the object's current state first (a list by name), then its changes, and checks the condition
on each state. It returns the state that met the condition (None for ``deleted`` when the object was
never seen), or raises :class:`WaitTimeoutError` (an :class:`~imageapi.errors.ImageAPIError`) when
``timeout`` seconds of the clock pass first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from ..errors import ImageAPIError
from ..watch import INITIAL_EVENTS_END_ANNOTATION
from ._clock import Clock, Stop, SystemClock

__all__ = [
    "TagImportFailedError",
    "WaitTimeoutError",
    "async_wait_for",
    "deleted",
    "exists",
    "tag_imported",
    "wait_for",
]

ModelT = TypeVar("ModelT")

Condition = Callable[[Any], bool]
ConditionInput = Condition | Literal["exists", "deleted"]


class WaitTimeoutError(ImageAPIError):
    """The condition did not hold within the timeout; ``last`` is the object's last state seen."""

    def __init__(self, description: str, timeout: float, last: Any) -> None:
        super().__init__(f"timed out after {timeout:g}s waiting for {description}")
        self.timeout = timeout
        self.last = last


class TagImportFailedError(ImageAPIError):
    """The server reported that importing a tag failed (an ``ImportSuccess=False`` condition)."""

    def __init__(self, stream: str, tag: str, reason: str | None, message: str | None) -> None:
        super().__init__(f"importing {stream}:{tag} failed: {reason or 'ImportFailed'}: {message or ''}".rstrip(": "))
        self.stream, self.tag, self.reason, self.message = stream, tag, reason, message


def exists(obj: Any) -> bool:
    """The object exists."""
    return obj is not None


def deleted(obj: Any) -> bool:
    """The object does not exist (any more)."""
    return obj is None


def tag_imported(tag: str) -> Condition:
    """An image stream condition: spec tag ``tag`` has been imported for its current generation.

    Holds once ``status.tags[tag]`` has an event at least as new as the spec tag's generation;
    raises :class:`TagImportFailedError` with the server's message when the status instead carries
    an ``ImportSuccess=False`` condition for that generation.
    """
    if not tag:
        raise ValueError("tag_imported needs a tag name")

    def imported(stream: Any) -> bool:
        if stream is None:
            return False
        spec_tag = next((entry for entry in (stream.spec.tags if stream.spec else None) or ()
                         if entry.name == tag), None)
        if spec_tag is None:
            return False
        wanted = spec_tag.generation or 0
        status_tag = next((entry for entry in (stream.status.tags if stream.status else None) or ()
                           if entry.tag == tag), None)
        if status_tag is None:
            return False
        for condition in status_tag.conditions or ():
            if (condition.type == "ImportSuccess" and condition.status == "False"
                    and (condition.generation or 0) >= wanted):
                raise TagImportFailedError(stream.metadata.name, tag, condition.reason, condition.message)
        items = status_tag.items or []
        return bool(items) and (items[0].generation or 0) >= wanted

    imported.__qualname__ = f"tag_imported({tag!r})"
    return imported


def _condition(condition: ConditionInput) -> Condition:
    if condition == "exists":
        return exists
    if condition == "deleted":
        return deleted
    if callable(condition):
        return condition
    raise ValueError(f"condition must be 'exists', 'deleted' or a callable, not {condition!r}")


class _Waiting:
    """The state of one wait, fed the watch's events (shared by both drivers)."""

    def __init__(self, resource: Any, name: str, namespace: str | None, condition: ConditionInput,
                 timeout: float) -> None:
        if timeout <= 0:
            raise ValueError("wait_for needs a positive timeout")
        self.timeout = timeout
        if not name:
            raise ValueError("wait_for needs the object's name")
        self.check = _condition(condition)
        self.description = f"{resource.info.singular} {name!r} to satisfy {getattr(self.check, '__qualname__', self.check)}"
        options: dict[str, Any] = {"name": name, "bookmarks": True}
        if resource.info.namespaced:
            options["namespace"] = namespace
        elif namespace is not None:
            raise TypeError(f"{resource.info.plural} are cluster-scoped: they take no namespace")
        self.watch_options = options
        self.current: Any = None
        self.last: Any = None
        self.listed = False
        self.done = False

    def feed(self, event: Any) -> bool:
        """Apply one event; True when the condition holds (``current`` is then the answer)."""
        if event.type == "BOOKMARK":
            annotations = (event.object.metadata.annotations if event.object.metadata else None) or {}
            if annotations.get(INITIAL_EVENTS_END_ANNOTATION) == "true":
                self.listed = True
            else:
                return False
        elif event.type == "DELETED":
            self.last, self.current = event.object, None
        else:
            self.last = self.current = event.object
        if not self.listed:
            return False
        self.done = bool(self.check(self.current))
        return self.done

    def result(self) -> Any:
        if self.done:
            return self.current if self.current is not None else self.last
        raise WaitTimeoutError(self.description, self.timeout, self.last)


def wait_for(
    resource: Any,
    name: str,
    *,
    namespace: str | None = None,
    condition: ConditionInput = "exists",
    timeout: float,
    clock: Clock | None = None,
) -> Any:
    """Wait until ``condition`` holds for the object ``name`` (see the module docs); returns its state."""
    waiting = _Waiting(resource, name, namespace, condition, timeout)
    clock = clock or SystemClock()
    stop = Stop()
    with resource.watch(**waiting.watch_options) as watcher:

        def expire() -> None:
            if not clock.sleep(timeout, stop):
                watcher.stop()

        timer = threading.Thread(target=expire, name="wait-for-timeout", daemon=True)
        timer.start()
        try:
            for event in watcher:
                if waiting.feed(event):
                    break
        finally:
            stop.set()
            timer.join()
    return waiting.result()


async def async_wait_for(
    resource: Any,
    name: str,
    *,
    namespace: str | None = None,
    condition: ConditionInput = "exists",
    timeout: float,
    clock: Clock | None = None,
) -> Any:
    """:func:`wait_for` for the async client."""
    import asyncio

    waiting = _Waiting(resource, name, namespace, condition, timeout)
    clock = clock or SystemClock()
    stop = Stop()
    async with resource.watch(**waiting.watch_options) as watcher:

        async def expire() -> None:
            if not await clock.sleep_async(timeout, stop):
                watcher.stop()

        timer = asyncio.get_running_loop().create_task(expire())
        try:
            async for event in watcher:
                if waiting.feed(event):
                    break
        finally:
            stop.set()
            await timer
    return waiting.result()
