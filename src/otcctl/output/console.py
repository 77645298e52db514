"""One place that decides how output looks: rich on a terminal, plain text when piped.

rich already honours ``NO_COLOR`` and drops colour when the stream is not a terminal; tables
also drop their box-drawing lines then, so piped output is plain columns that ``grep`` and
printers handle. Widths are measured by rich's cell widths, so Chinese text lines up.
"""

from __future__ import annotations

import json
import os
import sys
from typing import IO, Any

from rich import box
from rich.console import Console
from rich.table import Table

from otcctl.output.streams import silence


class _Console(Console):
    """A console whose closed pipe (``otcctl run ... | head``) silences it instead of ending the process.

    rich's default answer to a broken pipe is ``SystemExit(1)``: in the middle of a run that
    would end it between two steps with nothing in the journal. The run matters, not the view.
    """

    def on_broken_pipe(self) -> None:
        self.quiet = True
        silence(self.file)


def make_console(file: IO[str] | None = None, *, width: int | None = None, stderr: bool = False) -> Console:
    """A console for stdout (or stderr); ``width`` fixes the layout for tests and printouts."""
    stream = file if file is not None else (sys.stderr if stderr else sys.stdout)
    console = _Console(file=stream, width=width, highlight=False, soft_wrap=False, emoji=False)
    if not console.is_terminal:
        console.soft_wrap = True  # piped: one record per line, whole, for grep and log files
        if width is None and "COLUMNS" not in os.environ:
            console.width = 200  # tables in a log file need not fit an 80-column screen
    return console


def make_table(console: Console, *columns: str, title: str | None = None) -> Table:
    """A table styled for where it goes: boxed on a terminal, plain columns otherwise."""
    table = Table(
        *columns,
        title=title,
        box=box.SIMPLE_HEAD if console.is_terminal else None,
        header_style="bold" if console.is_terminal else "",
        show_edge=False,
        pad_edge=False,
        title_justify="left",
    )
    for column in table.columns:  # a long word wraps onto the next line rather than ending in "…"
        column.overflow = "fold"
    return table


def print_json(data: Any, file: IO[str] | None = None) -> None:
    """JSON for machines: UTF-8 text, Chinese kept readable, one document."""
    stream = file if file is not None else sys.stdout
    stream.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def keep_whole(table: Table, index: int, values: list[str]) -> None:
    """A column one must type (a name, a run id) is never cut: other columns give way first."""
    column = table.columns[index]
    column.min_width = max((len(v) for v in values), default=0) or None
    column.no_wrap = True
    column.overflow = "fold"
