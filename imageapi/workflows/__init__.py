"""``oc``'s image workflows that span several objects, as typed plans and flows (sync and async).

One module each, imported when used (``import imageapi`` does not load them)::

    from imageapi.workflows import describe, mirror, promote, prune

Every function takes a :class:`imageapi.Client` (and returns its result) or an
:class:`imageapi.AsyncClient` (and returns a coroutine): one flow runs under both. A workflow that
writes has a *plan* step (reads only; the plan is a dataclass to print, inspect or assert on) and an
*apply* step whose every write is conditional on what the plan saw (a ``resourceVersion`` or a
digest), so a stale plan is refused rather than applied over a newer change. Re-running a finished
workflow plans nothing and writes nothing.

Single-stream operations are methods of ``client.image_streams``: ``tag``/``plan_tag``/``apply_tag``,
``untag``, ``import_image``, ``set_image_lookup``.
"""

from __future__ import annotations

__all__ = ["describe", "mirror", "promote", "prune"]
