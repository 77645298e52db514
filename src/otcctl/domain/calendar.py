"""SSE/SZSE trading calendar, kept as one YAML file per year inside the package.

Why data and not a library: the exchanges publish each year's closures in December, and the libraries
that track them (exchange_calendars, chinese_calendar) stop at the last published year. A file per year
is reviewed like code, and a year without a file is *unknown*: it raises ``CalendarUnknownYear`` instead
of defaulting to "trading day", because starting the day's operations on a holiday (or skipping a real
trading day) is worse than stopping to ask. SZSE closes on the same days as SSE, so one calendar serves both.

Rules: weekends never trade, including make-up working weekend days (调休) that are office days; a weekday
trades unless the year's file lists it under ``closed`` with a reason.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path

import yaml

from otcctl.errors import InputError, OtcctlError, Problem
from otcctl.i18n import N_

DEFAULT_DATA_DIR = Path(__file__).resolve().parent / "data" / "calendar"


def site_calendar_dir() -> Path:
    """Where the site's own years go: ``$OTCCTL_CALENDAR_DIR`` or ``~/.local/share/otcctl/calendar``."""
    configured = os.environ.get("OTCCTL_CALENDAR_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "otcctl" / "calendar"
WEEKEND_REASON = "周末 Weekend"

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR_FILE = re.compile(r"(\d{4})\.yaml")
_NULL_TAG = "tag:yaml.org,2002:null"
_TOP_KEYS = ("year", "source", "closed")
_HEADER = (
    "# SSE/SZSE trading calendar for {year}: the weekdays the exchanges are closed, with the reason.\n"
    "# Weekends never trade, make-up working days (调休) included, so they are not listed.\n"
    "# A year without a file is unknown to otcctl, never assumed to trade. Format: otcctl.domain.calendar.\n"
)


class CalendarError(OtcctlError):
    """Root of the calendar's errors, so a caller can catch "the calendar cannot answer" in one place."""


class CalendarUnknownYear(CalendarError):
    """No file for the year. Carries the year and the exact file to create, so the message is the fix."""

    def __init__(self, year: int, path: Path) -> None:
        self.year = year
        self.path = path
        super().__init__(
            f"no trading calendar for {year}: create {path} (yearly task 创建交易年历) from the State "
            f"Council holiday notice and the exchanges' closure notice"
        )


class CalendarDataError(CalendarError, InputError):
    """A calendar file or operator input is wrong; names file, line and entry so it can be fixed."""

    def __init__(
        self, problem: str, *, path: Path | None = None, line: int | None = None, entry: str | None = None
    ) -> None:
        self.problem = problem
        self.path = path
        self.line = line
        self.entry = entry
        super().__init__(Problem("calendar input" if path is None else str(path), line, entry, problem))


@dataclass(frozen=True)
class Closure:
    """One closed weekday and why, so a printout can tell the operator the reason, not just "closed"."""

    day: date
    reason: str


@dataclass(frozen=True)
class YearCalendar:
    """One year's closed weekdays, sorted; checked on construction so no invalid year can exist."""

    year: int
    source: str
    closed: tuple[Closure, ...]

    def __post_init__(self) -> None:
        if not self.source.strip():
            raise CalendarDataError(N_("source is empty: say which notice or library the dates come from"))
        if not self.closed:
            raise CalendarDataError(f"{self.year} has no closed weekdays; every year has public holidays")
        previous: date | None = None
        for closure in self.closed:
            problem = _closure_problem(self.year, closure.day, closure.reason)
            if problem is None and previous is not None and closure.day <= previous:
                problem = N_("closures must be sorted and unique")
            if problem is not None:
                raise CalendarDataError(problem, entry=f"closed.{closure.day.isoformat()}")
            previous = closure.day


class DayKind(StrEnum):
    """How a printed grid marks a day."""

    TRADING = "trading"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"


@dataclass(frozen=True)
class GridDay:
    """A day of a month grid; ``reason`` is set for weekends and holidays, None for trading days."""

    day: date
    kind: DayKind
    reason: str | None


@dataclass(frozen=True)
class MonthGrid:
    """A month as Monday-first weeks of seven cells; None pads the days that belong to other months."""

    year: int
    month: int
    weeks: tuple[tuple[GridDay | None, ...], ...]


class TradingCalendar:
    """Answers trading-day questions from the year files, loading only the years asked about."""

    def __init__(self, data_dir: Path | None = None) -> None:
        # Years created on site (``otcctl calendar create``) live outside the installed package,
        # which an upgrade replaces; the shipped years are read from the package.
        self.search = [site_calendar_dir(), DEFAULT_DATA_DIR] if data_dir is None else [data_dir]
        self.data_dir = self.search[0]
        self._years: dict[int, YearCalendar] = {}
        self._reasons: dict[int, dict[date, str]] = {}

    def year_path(self, year: int) -> Path:
        """The file that holds ``year``, or the one to create for it (in the first folder searched)."""
        for folder in self.search:
            candidate = folder / f"{year}.yaml"
            if candidate.is_file():
                return candidate
        return self.data_dir / f"{year}.yaml"

    def has_year(self, year: int) -> bool:
        """Whether the year's file exists, so a December check can warn before the year is unknown."""
        return self.year_path(year).is_file()

    def year(self, year: int) -> YearCalendar:
        """The validated calendar of ``year``; raises CalendarUnknownYear when it has no file."""
        if year not in self._years:
            path = self.year_path(year)
            if not path.is_file():
                raise CalendarUnknownYear(year, path)
            loaded = read_year(path)
            self._years[year] = loaded
            self._reasons[year] = {closure.day: closure.reason for closure in loaded.closed}
        return self._years[year]

    def is_trading_day(self, d: date) -> bool:
        """Whether SSE/SZSE trade on ``d`` (a date in Asia/Shanghai)."""
        return self.closure_reason(d) is None

    def closure_reason(self, d: date) -> str | None:
        """Why the exchanges are closed on ``d``, or None when they trade."""
        _require_date(d)
        self.year(d.year)
        if d.weekday() >= 5:
            return self._holiday_around(d) or WEEKEND_REASON
        return self._reasons[d.year].get(d)

    def _holiday_around(self, d: date) -> str | None:
        """A weekend inside a holiday period (国庆节 from Thursday to the next Wednesday) carries its name."""
        before, after = d - timedelta(days=d.weekday() - 4), d + timedelta(days=7 - d.weekday())
        if before.year != d.year or after.year != d.year:
            return None
        reason = self._reasons[d.year].get(before)
        return reason if reason is not None and self._reasons[d.year].get(after) == reason else None

    def trading_days(self, year: int) -> list[date]:
        """Every trading day of ``year`` in order."""
        self.year(year)
        day, result = date(year, 1, 1), []
        while day.year == year:
            if self.is_trading_day(day):
                result.append(day)
            day += timedelta(days=1)
        return result

    def next_trading_day(self, d: date) -> date:
        """The first trading day after ``d``; raises CalendarUnknownYear rather than cross into a guess."""
        return self._step(d, 1)

    def previous_trading_day(self, d: date) -> date:
        """The last trading day before ``d``; raises CalendarUnknownYear rather than cross into a guess."""
        return self._step(d, -1)

    def month_grid(self, year: int) -> tuple[MonthGrid, ...]:
        """The year as twelve Monday-first month grids, each day marked, for printing a wall calendar."""
        self.year(year)
        return tuple(self._month(year, month) for month in range(1, 13))

    def _month(self, year: int, month: int) -> MonthGrid:
        first = date(year, month, 1)
        day = first - timedelta(days=first.weekday())
        weeks: list[tuple[GridDay | None, ...]] = []
        while (day.year, day.month) <= (year, month):
            week: list[GridDay | None] = []
            for _ in range(7):
                week.append(self._grid_day(day) if day.month == month else None)
                day += timedelta(days=1)
            weeks.append(tuple(week))
        return MonthGrid(year, month, tuple(weeks))

    def _grid_day(self, d: date) -> GridDay:
        reason = self.closure_reason(d)
        if reason is None:
            return GridDay(d, DayKind.TRADING, None)
        return GridDay(d, DayKind.WEEKEND if d.weekday() >= 5 else DayKind.HOLIDAY, reason)

    def _step(self, d: date, direction: int) -> date:
        _require_date(d)
        day = d + timedelta(days=direction)
        while not self.is_trading_day(day):
            day += timedelta(days=direction)
        return day


def read_year(path: Path) -> YearCalendar:
    """Load and check one year file; any problem raises CalendarDataError naming file, line and entry."""
    match = _YEAR_FILE.fullmatch(path.name)
    if match is None:
        raise CalendarDataError(N_("a calendar file must be named <YEAR>.yaml"), path=path)
    year = int(match.group(1))
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarDataError(f"cannot read: {exc}", path=path) from exc
    except yaml.MarkedYAMLError as exc:
        line = None if exc.problem_mark is None else exc.problem_mark.line + 1
        raise CalendarDataError(f"not valid YAML: {exc.problem}", path=path, line=line) from exc
    except yaml.YAMLError as exc:
        raise CalendarDataError(f"not valid YAML: {exc}", path=path) from exc
    if not isinstance(root, yaml.MappingNode):
        raise CalendarDataError(f"expected a mapping with keys {', '.join(_TOP_KEYS)}", path=path, line=1)
    fields = _mapping(root, path, "file")
    for key, (key_node, _) in fields.items():
        if key not in _TOP_KEYS:
            raise CalendarDataError(f"unknown key; expected {', '.join(_TOP_KEYS)}", path=path,
                                    line=_line(key_node), entry=key)
    for key in _TOP_KEYS:
        if key not in fields:
            raise CalendarDataError(N_("missing"), path=path, line=1, entry=key)
    year_node = fields["year"][1]
    if _text(year_node) != str(year):
        raise CalendarDataError(f"is {_text(year_node)!r} but the file name says {year}", path=path,
                                line=_line(year_node), entry="year")
    source_node = fields["source"][1]
    source = _text(source_node)
    if source is None or not source.strip():
        raise CalendarDataError(N_("say which notice or library the dates come from"), path=path,
                                line=_line(source_node), entry="source")
    closed_node = fields["closed"][1]
    if not isinstance(closed_node, yaml.MappingNode) or not closed_node.value:
        raise CalendarDataError(N_("expected a mapping of YYYY-MM-DD: reason, one per closed weekday"),
                                path=path, line=_line(closed_node), entry="closed")
    closures: list[Closure] = []
    for key, (key_node, value_node) in _mapping(closed_node, path, "closed").items():
        entry = f"closed.{key}"
        if not _ISO_DATE.fullmatch(key):
            raise CalendarDataError(N_("not a YYYY-MM-DD date"), path=path, line=_line(key_node), entry=entry)
        try:
            day = date.fromisoformat(key)
        except ValueError as exc:
            bad_date = f"not a date: {exc}"
            raise CalendarDataError(bad_date, path=path, line=_line(key_node), entry=entry) from exc
        reason = _text(value_node) or ""
        problem = _closure_problem(year, day, reason)
        if problem is not None:
            raise CalendarDataError(problem, path=path, line=_line(key_node), entry=entry)
        closures.append(Closure(day, reason.strip()))
    try:
        return YearCalendar(year, source.strip(), tuple(sorted(closures, key=lambda c: c.day)))
    except CalendarDataError as exc:
        raise CalendarDataError(exc.problem, path=path, entry=exc.entry) from exc


def derive_year(
    year: int, holiday_ranges: Sequence[tuple[date, date, str]], *, source: str
) -> YearCalendar:
    """Build a year from the holiday ranges an operator copies from the notices (yearly task 创建交易年历).

    Prefer the exchanges' closure notice: it can close days the State Council list lacks (2024-02-09).
    Weekdays inside a range close; weekend days are skipped, since weekends never trade. A weekday of
    another year is refused rather than dropped, because it belongs in that year's file.
    """
    if not holiday_ranges:
        raise CalendarDataError(f"no holiday ranges given for {year}; every year has public holidays")
    closed: dict[date, str] = {}
    for index, (start, end, reason) in enumerate(holiday_ranges, 1):
        entry = f"holiday range {index} ({start} .. {end} {reason})"
        for day in (start, end):
            if isinstance(day, datetime) or not isinstance(day, date):
                raise CalendarDataError(N_("start and end must be dates"), entry=entry)
        if end < start:
            raise CalendarDataError(N_("ends before it starts"), entry=entry)
        if not reason.strip():
            raise CalendarDataError(N_("reason is empty"), entry=entry)
        day = start
        while day <= end:
            if day.weekday() < 5:
                if day.year != year:
                    problem = f"{day} is a weekday of {day.year}, not {year}: put it in {day.year}.yaml"
                    raise CalendarDataError(problem, entry=entry)
                if day in closed:
                    raise CalendarDataError(f"{day} is already closed for {closed[day]!r}", entry=entry)
                closed[day] = reason.strip()
            day += timedelta(days=1)
    if not closed:
        raise CalendarDataError(f"the ranges close no weekday of {year}")
    return YearCalendar(year, source, tuple(Closure(day, closed[day]) for day in sorted(closed)))


def write_year(year_calendar: YearCalendar, path: Path, *, overwrite: bool = False) -> None:
    """Write ``year_calendar`` in the format ``read_year`` loads, atomically.

    Refuses to replace an existing file unless ``overwrite``: a reviewed year must not be lost to a rerun.
    """
    if path.name != f"{year_calendar.year}.yaml":
        raise CalendarDataError(f"must be named {year_calendar.year}.yaml to be found", path=path)
    if path.exists() and not overwrite:
        raise CalendarDataError(N_("already exists; remove it or pass overwrite=True to replace it"), path=path)
    document = {
        "year": year_calendar.year,
        "source": year_calendar.source,
        "closed": {closure.day: closure.reason for closure in year_calendar.closed},
    }
    text = _HEADER.format(year=year_calendar.year) + yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, width=1000
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _closure_problem(year: int, day: date, reason: str) -> str | None:
    if day.year != year:
        return f"date is in {day.year}, not {year}"
    if day.weekday() >= 5:
        return N_("a weekend day; weekends never trade, so list only weekdays")
    if not reason.strip():
        return N_("reason missing (e.g. 春节 Spring Festival)")
    return None


def _require_date(d: date) -> None:
    # A datetime never equals a date, so a holiday lookup would silently miss and say "trading".
    if isinstance(d, datetime):
        raise TypeError("pass a datetime.date in Asia/Shanghai, not a datetime")


def _mapping(node: yaml.MappingNode, path: Path, entry: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    result: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        key = _text(key_node)
        if key is None:
            raise CalendarDataError(N_("keys must be plain values"), path=path, line=_line(key_node), entry=entry)
        if key in result:
            raise CalendarDataError(N_("listed twice"), path=path, line=_line(key_node), entry=f"{entry}.{key}")
        result[key] = (key_node, value_node)
    return result


def _text(node: yaml.Node) -> str | None:
    if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL_TAG:
        return None
    value = node.value
    return value if isinstance(value, str) else None


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1
