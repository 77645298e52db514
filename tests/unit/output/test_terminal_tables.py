"""Chinese text lines up in terminal tables: columns start at the same display column."""

from __future__ import annotations

import io

from rich.cells import cell_len
from rich.console import Console

from otcctl.model import locate
from otcctl.model.load import load_runbook
from otcctl.output.list_view import print_list
from otcctl.output.runbook_view import print_runbook


def _console(width: int, terminal: bool) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=width, force_terminal=terminal, color_system=None, highlight=False), buffer


def _column_start(line: str, text: str) -> int:
    return cell_len(line[: line.index(text)])


def test_list_columns_line_up_with_chinese_titles() -> None:
    loaded = [load_runbook(p) for p in locate.all_runbooks()]
    for terminal in (False, True):
        console, buffer = _console(140, terminal)
        print_list(console, loaded)
        lines = [ln for ln in buffer.getvalue().splitlines() if any(r.runbook.name in ln for r in loaded)]
        assert len(lines) == len(loaded)
        starts = {_column_start(ln, f"{r.runbook.version}") for ln, r in zip(lines, loaded, strict=True)}
        cadence_starts = set()
        for ln, r in zip(lines, loaded, strict=True):
            zh = {"daily": "日操作", "weekly": "周操作", "monthly": "月操作", "quarterly": "季操作",
                  "yearly": "年操作", "on-demand": "非日常"}[r.runbook.cadence]
            cadence_starts.add(_column_start(ln, zh + " "))
        assert len(cadence_starts) == 1, buffer.getvalue()
        assert len(starts) >= 1


def test_show_table_keeps_every_row_the_same_display_width() -> None:
    console, buffer = _console(200, True)
    print_runbook(console, load_runbook(locate.runbook_file("monthly-restart")))
    rows = [ln for ln in buffer.getvalue().splitlines() if ln.strip().startswith(tuple("0123456789"))]
    assert rows, buffer.getvalue()
    # the 'kind' column is last: it must start at the same display column on every row
    kinds = ("notify", "time_gate", "service", "port", "reboot", "sql", "manual", "winrm")
    assert all(ln.split()[-1] in kinds for ln in rows)
    starts = {cell_len(ln[: ln.rindex(" " + ln.split()[-1]) + 1]) for ln in rows}
    assert len(starts) == 1, buffer.getvalue()
