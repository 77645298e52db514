"""Print a trading year as a wall calendar: twelve Monday-first month grids and the closed weekdays.

The grid is what an operator checks against the State Council and exchange notices, so a closed
weekday carries a mark that survives a printer (``*``), not only a colour. Weekday names are Chinese
(two cells each); every cell is padded by display width, so columns line up on a terminal and in print.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from otcctl.domain.calendar import DayKind, GridDay, MonthGrid, TradingCalendar

HOLIDAY_MARK = "*"
WEEKDAYS_ZH = ("一", "二", "三", "四", "五", "六", "日")
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")
CELL = 3  # two cells for the day number, one for the mark
MONTH_WIDTH = 7 * CELL + 6
GAP = "   "
_STYLES = {DayKind.TRADING: "", DayKind.WEEKEND: "dim", DayKind.HOLIDAY: "bold red"}


def year_to_json(calendar: TradingCalendar, year: int) -> dict[str, Any]:
    """What ``otcctl calendar YEAR --json`` prints: every trading day and every closed weekday."""
    loaded = calendar.year(year)
    return {
        "year": year,
        "source": loaded.source,
        "trading_days": [day.isoformat() for day in calendar.trading_days(year)],
        "closed": [{"date": c.day.isoformat(), "reason": c.reason} for c in loaded.closed],
    }


def weekday_label(day: date) -> str:
    """``四 Thu``: how a listed date names its weekday."""
    return f"{WEEKDAYS_ZH[day.weekday()]} {WEEKDAYS_EN[day.weekday()]}"


def month_lines(grid: MonthGrid) -> list[Text]:
    """One month as lines of exactly MONTH_WIDTH cells: title, weekday names, then the weeks."""
    title = f"{grid.month}月 {MONTHS_EN[grid.month - 1]}"
    left = (MONTH_WIDTH - cell_len(title)) // 2
    names = Text()
    for index, name in enumerate(WEEKDAYS_ZH):
        names.append(("" if index == 0 else " ") + name + " ", style=_STYLES[DayKind.WEEKEND] if index >= 5 else "")
    lines = [Text(" " * left + title, style="bold"), names]
    for week in grid.weeks:
        line = Text()
        for index, cell in enumerate(week):
            if index:
                line.append(" ")
            line.append_text(_day_cell(cell))
        lines.append(line)
    return [_pad(line) for line in lines]


def print_year(console: Console, calendar: TradingCalendar, year: int, *, heading: str | None = None) -> None:
    """The whole year: heading, month grids (as many side by side as the width allows), closed days."""
    loaded = calendar.year(year)
    trading = calendar.trading_days(year)
    grids = calendar.month_grid(year)
    weekends = sum(1 for grid in grids for week in grid.weeks
                   for cell in week if cell is not None and cell.kind is DayKind.WEEKEND)
    console.print(Text(heading or f"{year} 年交易日历 SSE/SZSE trading calendar", style="bold"))
    console.print(f"source: {loaded.source}", markup=False, highlight=False)
    console.print()
    for row in _rows(grids, _months_per_row(console.width)):
        _print_row(console, row)
    console.print(Text.assemble(
        (HOLIDAY_MARK, _STYLES[DayKind.HOLIDAY]), " 休市 closed weekday (listed below)   ",
        ("六 日", _STYLES[DayKind.WEEKEND]), " weekends never trade, 调休 make-up working days included",
    ))
    console.print()
    from otcctl.output.console import make_table

    table = make_table(console, "date", "星期", "reason", title="休市日 Closed weekdays")
    for closure in loaded.closed:
        table.add_row(closure.day.isoformat(), weekday_label(closure.day), closure.reason)
    console.print(table)
    console.print()
    console.print(
        f"{year}: {len(trading)} trading days, {len(loaded.closed)} closed weekdays, {weekends} weekend days",
        markup=False,
    )


def _day_cell(cell: GridDay | None) -> Text:
    if cell is None:
        return Text(" " * CELL)
    mark = HOLIDAY_MARK if cell.kind is DayKind.HOLIDAY else " "
    return Text(f"{cell.day.day:>2}{mark}", style=_STYLES[cell.kind])


def _pad(line: Text) -> Text:
    missing = MONTH_WIDTH - line.cell_len
    if missing > 0:
        line.append(" " * missing)
    return line


def _months_per_row(width: int) -> int:
    for count in (4, 3, 2):
        if count * MONTH_WIDTH + (count - 1) * len(GAP) <= width:
            return count
    return 1


def _rows(grids: Sequence[MonthGrid], per_row: int) -> list[Sequence[MonthGrid]]:
    return [grids[start:start + per_row] for start in range(0, len(grids), per_row)]


def _print_row(console: Console, row: Sequence[MonthGrid]) -> None:
    blocks = [month_lines(grid) for grid in row]
    height = max(len(block) for block in blocks)
    for index in range(height):
        line = Text()
        for number, block in enumerate(blocks):
            if number:
                line.append(GAP)
            line.append_text(block[index] if index < len(block) else Text(" " * MONTH_WIDTH))
        line.rstrip()
        console.print(line)
    console.print()
