"""Everything the CLI prints, in one place: objects in each ``-o`` format, tables, progress, errors.

Rows come from :mod:`imageapi._display` (the notebook reprs use the same); on a terminal rich draws
them (bold headers) and shows progress bars on stderr; on a pipe the output is plain, kubectl-aligned
text and there is no progress at all. rich is imported only here, and only for a terminal.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

from .. import _display

if TYPE_CHECKING:
    from ._common import Resource


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal a person reads (not a pipe or a file)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO | None = None) -> None:
    """Print a table: rich on a terminal, plain aligned columns otherwise. Never wraps or cuts a cell."""
    out = out or sys.stdout
    if not is_terminal(out):
        out.write(_display.plain_table(headers, rows))
        out.flush()
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False, show_edge=False, padding=(0, 3, 0, 0))
    for header in headers:
        table.add_column(header, no_wrap=True, overflow="ignore")
    for row in rows:
        table.add_row(*row)
    needed = max(len(line) for line in _display.plain_table(headers, rows).splitlines())
    console = Console(file=out, highlight=False)
    console.width = max(console.width, needed + 1)
    console.print(table)


def _wire_documents(objects: Sequence[Any], managed_fields: bool = False) -> Any:
    from ..manifests import _wire

    return [_wire(obj, managed_fields=managed_fields) for obj in objects]


def print_objects(objects: Sequence[Any], resource: Resource, output: str, *, single: bool = False,
                  namespaces: bool = False, managed_fields: bool = False, out: TextIO | None = None) -> None:
    """Print objects as ``-o`` asks. ``single``: one object asked by name (json/yaml print it bare,
    else a ``v1 List`` as kubectl does). ``metadata.managedFields`` only with ``managed_fields``
    (kubectl's ``--show-managed-fields``)."""
    out = out or sys.stdout
    if output in ("table", "wide"):
        headers, rows = _display.table_rows(objects, kind=resource.info.kind, wide=output == "wide",
                                            namespaces=namespaces)
        print_table(headers, rows, out)
    elif output == "name":
        for obj in objects:
            print(resource.name_of(obj), file=out)
    else:
        documents = _wire_documents(objects, managed_fields)
        document = documents[0] if single and len(documents) == 1 else {
            "apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": documents}
        if output == "json":
            print(json.dumps(document, indent=4, ensure_ascii=False), file=out)
        else:
            from ..manifests import dump

            out.write(dump(document, managed_fields=True))
    out.flush()


def print_event_row(event_type: str, obj: Any, resource: Resource, output: str, *, header: bool,
                    namespaces: bool, out: TextIO | None = None) -> None:
    """One watch event as ``kubectl get -w --output-watch-events`` prints it (plain columns, flushed)."""
    out = out or sys.stdout
    if output in ("table", "wide"):
        headers, rows = _display.table_rows([obj], kind=resource.info.kind, wide=output == "wide",
                                            namespaces=namespaces)
        text = _display.plain_table(["EVENT", *headers], [[event_type, *rows[0]]]).splitlines()
        # Columns are aligned per line: good enough for a stream of rows, and never buffered.
        if header:
            print(text[0], file=out)
        print(text[1], file=out)
    elif output == "name":
        print(f"{event_type.lower()} {resource.name_of(obj)}", file=out)
    else:
        document = {"type": event_type, "object": _wire_documents([obj])[0]}
        if output == "json":
            print(json.dumps(document, ensure_ascii=False), file=out)
        else:
            from ..manifests import dump

            out.write("---\n" + dump(document, managed_fields=True))
    out.flush()


class Progress:
    """A progress bar on stderr while long work runs; does nothing when stderr is not a terminal."""

    def __init__(self, description: str, total: int | None = None, *, spinner: bool = False) -> None:
        self._description = description
        self._total = total
        self._spinner = spinner
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if is_terminal(sys.stderr):
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            # Work of unknown size (planning, one import) spins; counted work draws a bar with N/total.
            columns = ((SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn()) if self._spinner
                       else (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()))
            self._bar = Progress(*columns, console=Console(file=sys.stderr), transient=True)
            self._bar.__enter__()
            self._task = self._bar.add_task(self._description, total=self._total)
        return self

    def advance(self, amount: int = 1, *, total: int | None = None, description: str | None = None) -> None:
        """Record ``amount`` more units done (and a new ``total`` or ``description`` when known)."""
        if self._bar is None:
            return
        changes: dict[str, Any] = {"advance": amount}
        if total is not None:
            changes["total"] = total
        if description is not None:
            changes["description"] = description
        self._bar.update(self._task, **changes)

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


@contextmanager
def progress(description: str, total: int | None = None, *, spinner: bool = False) -> Iterator[Progress]:
    """``with progress("listing imagestreams") as bar: bar.advance(n)``; ``spinner=True`` for work of
    unknown size."""
    with Progress(description, total, spinner=spinner) as bar:
        yield bar


def error_line(message: str) -> str:
    """``error: <message>`` on one line (a multi-line message is joined)."""
    return "error: " + " ".join(part.strip() for part in str(message).splitlines() if part.strip())
