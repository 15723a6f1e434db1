"""The ``imageapi`` command (also ``python -m imageapi``).

Each verb group lives in its own module and adds its parser through a registration function listed
in :data:`SUBCOMMANDS`; rendering lives in one place (``_render.py``), so every verb prints the same way.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from ._demo import register_demo
from ._serve import register_serve

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

SubParsers = Any  # argparse's _SubParsersAction is private; keep the registration signature simple

SUBCOMMANDS: list[Callable[[SubParsers], None]] = [register_serve, register_demo]
"""Registration functions, in the order the help lists their subcommands."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="imageapi", description="imageapi command-line tools")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for register in SUBCOMMANDS:
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result
