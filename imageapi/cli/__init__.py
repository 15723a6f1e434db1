"""The ``imageapi`` command (also ``python -m imageapi``): kubectl's habits for the image API group.

Each verb group lives in its own module and adds its parser through a registration function listed
in :data:`SUBCOMMANDS`; everything printed goes through ``_render.py`` (rows from
:mod:`imageapi._display`, shared with the notebook reprs). Exit status: 0 success, 1 an API or
runtime error, 2 a usage error, 130 interrupted. Every error is one line, ``error: ...``; ``--debug``
prints the traceback too.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ._apply import register_apply
from ._common import ArgumentParser, CommandError, UsageError
from ._demo import register_demo
from ._get import register_describe, register_get
from ._misc import completion_script, register_misc, version_text
from ._serve import register_serve
from ._workflows import register_workflows

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

SubParsers = Any  # argparse's _SubParsersAction is private; keep the registration signature simple

SUBCOMMANDS: list[Callable[[SubParsers], None]] = [
    register_get, register_describe, register_apply, register_workflows, register_serve, register_demo,
    register_misc,
]
"""Registration functions, in the order the help lists their subcommands."""

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = ArgumentParser(prog="imageapi", description="The image API (image.openshift.io/v1) from the "
                            "command line: get, describe, watch, apply, tag, import, prune, ... and a fake server.")
    parser.add_argument("--version", action="version", version=version_text())
    parser.add_argument("--debug", action="store_true", help="on an error, print the traceback too")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    for register in SUBCOMMANDS:
        register(subparsers)
    for sub in subparsers.choices.values():
        # --debug after the verb too (imageapi get is --debug), as people type it.
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def _hint(error: BaseException) -> str:
    """A hint for errors whose fix is not in the message."""
    from ..errors import ConfigError, TransportError, UnauthorizedError

    if isinstance(error, ConfigError):
        return " (pass --kubeconfig PATH or set KUBECONFIG; imageapi serve --kubeconfig PATH writes one for a fake)"
    if isinstance(error, UnauthorizedError):
        return " (log in again, or check the token of your kubeconfig's user)"
    if isinstance(error, TransportError):
        return " (is the server running and reachable from here?)"
    return ""


def _message(error: BaseException) -> str:
    from ..errors import ApiError

    if isinstance(error, ApiError):
        # The API's own message first, as kubectl prints it; the code and reason are in str(error).
        message = getattr(error, "message", None) or str(error)
        return f"{message}{_hint(error)}"
    if isinstance(error, OSError) and error.filename:
        return f"{error.strerror or error}: {error.filename}"
    return f"{error}{_hint(error)}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    from ..errors import ImageAPIError
    from ..manifests import ManifestError
    from ._render import error_line

    parser = build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in arguments
    try:
        args = parser.parse_args(arguments)
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        if args.command == "completion":
            sys.stdout.write(completion_script(args.shell, parser))
            return EXIT_OK
        result: int = args.func(args)
        return result
    except UsageError as error:
        print(error_line(str(error)), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        # Ctrl-C: the connection was closed by the client; nothing more to say.
        print(file=sys.stderr)
        return EXIT_INTERRUPTED
    except (ImageAPIError, ManifestError, CommandError, OSError, ValueError) as error:
        if debug:
            import traceback

            traceback.print_exception(error)
            original = getattr(error, "original", None)  # the httpx/pydantic error behind it
            if original is not None:
                print("\nThe low-level error behind it:", file=sys.stderr)
                traceback.print_exception(original)
        print(error_line(_message(error)), file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # pragma: no cover (subclass of OSError, caught above; kept for clarity)
        return EXIT_ERROR
