"""Keep httpx's command-line interface out of ``import imageapi``.

``import httpx`` imports ``httpx._main``, httpx's own command-line client, whenever click is installed
(and with it rich and pygments, when they are): about 40 ms and 6 MiB of every program that talks to a
cluster, for a CLI it never runs. click is in many environments (documentation tools, formatters, web
frameworks), so before httpx is first imported this module puts a stand-in in its place: the same
``main`` entry point, which imports the real module when it is called, and every other attribute read
from the real module on first access. Nothing changes for a program that imported httpx before
imageapi, or that runs ``python -m httpx`` (a new interpreter).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_NAME = "httpx._main"


class _DeferredCli(types.ModuleType):
    """``httpx._main`` until something really uses it."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the import system's probes (__path__, __spec__ …): not a use
            raise AttributeError(name)
        return getattr(_real(), name)


def _real() -> types.ModuleType:
    """The real ``httpx._main``, imported now in place of the stand-in."""
    module = sys.modules.get(_NAME)
    if isinstance(module, _DeferredCli):
        del sys.modules[_NAME]
        module = importlib.import_module(_NAME)
        httpx = sys.modules.get("httpx")
        if httpx is not None:
            httpx._main = module  # type: ignore[attr-defined]
    return importlib.import_module(_NAME) if module is None else module


def _main(*args: Any, **kwargs: Any) -> Any:
    """httpx's ``main``: the command-line client, imported when it is run."""
    return _real().main(*args, **kwargs)


def defer_httpx_cli() -> None:
    """Install the stand-in, unless httpx (or its CLI) was imported already."""
    if "httpx" in sys.modules or _NAME in sys.modules:
        return
    stand_in = _DeferredCli(_NAME, __doc__)
    stand_in.main = _main  # type: ignore[attr-defined]
    sys.modules[_NAME] = stand_in
