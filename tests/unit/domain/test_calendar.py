"""The trading calendar: repo data against the exchange's view, unknown years, and the file format."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from otcctl.domain.calendar import (
    WEEKEND_REASON,
    CalendarDataError,
    CalendarUnknownYear,
    Closure,
    DayKind,
    TradingCalendar,
    YearCalendar,
    derive_year,
    read_year,
    site_calendar_dir,
    write_year,
)
from otcctl.errors import ExitCode

SEEDED_YEARS = (2024, 2025, 2026)


@pytest.fixture(scope="module")
def calendar() -> TradingCalendar:
    return TradingCalendar()


def days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(n) for n in range((date(year + 1, 1, 1) - first).days)]


@pytest.mark.filterwarnings("ignore:Series.values returning an ndarray")  # pandas 3 vs exchange_calendars
@pytest.mark.parametrize("year", SEEDED_YEARS)
def test_repo_calendar_matches_xshg_day_for_day(calendar: TradingCalendar, year: int) -> None:
    xc = pytest.importorskip("exchange_calendars", reason="exchange_calendars (test extra) not installed")
    sessions = xc.get_calendar("XSHG").sessions_in_range(f"{year}-01-01", f"{year}-12-31")
    expected = {ts.date() for ts in sessions}
    mismatches = [d for d in days_of(year) if calendar.is_trading_day(d) != (d in expected)]
    assert mismatches == []
    assert calendar.trading_days(year) == sorted(expected)


@pytest.mark.parametrize("year", SEEDED_YEARS)
def test_every_closed_weekday_has_a_named_reason(calendar: TradingCalendar, year: int) -> None:
    names = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")
    for closure in calendar.year(year).closed:
        assert closure.reason.startswith(names), closure


def test_unknown_year_raises_with_the_file_to_create(calendar: TradingCalendar) -> None:
    with pytest.raises(CalendarUnknownYear) as caught:
        calendar.is_trading_day(date(2027, 1, 4))
    assert caught.value.year == 2027
    assert caught.value.path == site_calendar_dir() / "2027.yaml"  # created on site, outside the package
    assert str(caught.value.path) in str(caught.value)


def test_stepping_past_the_last_known_day_raises_instead_of_guessing(calendar: TradingCalendar) -> None:
    assert calendar.previous_trading_day(date(2027, 1, 1)) == date(2026, 12, 31)
    with pytest.raises(CalendarUnknownYear):
        calendar.next_trading_day(date(2026, 12, 31))


def test_exchange_only_closure_2024_02_09(calendar: TradingCalendar) -> None:
    assert not calendar.is_trading_day(date(2024, 2, 9))
    assert "春节" in (calendar.closure_reason(date(2024, 2, 9)) or "")


def test_make_up_working_weekend_is_not_a_trading_day(calendar: TradingCalendar) -> None:
    assert date(2026, 2, 14).weekday() == 5
    assert not calendar.is_trading_day(date(2026, 2, 14))
    assert calendar.closure_reason(date(2026, 2, 14)) == WEEKEND_REASON


@pytest.mark.parametrize("year", SEEDED_YEARS)
def test_every_chinese_calendar_make_up_day_is_closed(calendar: TradingCalendar, year: int) -> None:
    cc = pytest.importorskip("chinese_calendar", reason="chinese_calendar (test extra) not installed")
    make_up = [d for d in days_of(year) if d.weekday() >= 5 and cc.is_workday(d)]
    assert make_up, f"chinese_calendar lists no 调休 day in {year}"
    assert [d for d in make_up if calendar.is_trading_day(d)] == []


def test_next_and_previous_skip_holidays_and_weekends(calendar: TradingCalendar) -> None:
    assert calendar.next_trading_day(date(2024, 2, 8)) == date(2024, 2, 19)
    assert calendar.previous_trading_day(date(2024, 2, 19)) == date(2024, 2, 8)
    assert calendar.next_trading_day(date(2025, 12, 31)) == date(2026, 1, 5)


def test_closure_reason(calendar: TradingCalendar) -> None:
    assert calendar.closure_reason(date(2025, 10, 8)) == "国庆节、中秋节 National Day / Mid-Autumn Festival"
    assert calendar.closure_reason(date(2025, 10, 9)) is None


def test_a_datetime_is_refused(calendar: TradingCalendar) -> None:
    with pytest.raises(TypeError):
        calendar.is_trading_day(datetime(2024, 1, 1, 9, 30))


def test_month_grid_marks_each_day(calendar: TradingCalendar) -> None:
    grids = calendar.month_grid(2024)
    assert [g.month for g in grids] == list(range(1, 13))
    february = grids[1]
    assert all(len(week) == 7 for week in february.weeks)
    first_week = february.weeks[0]
    assert first_week[:3] == (None, None, None)  # 2024-02-01 is a Thursday
    days = {cell.day: cell for week in february.weeks for cell in week if cell is not None}
    assert sorted(days) == [date(2024, 2, n) for n in range(1, 30)]
    assert days[date(2024, 2, 8)].kind is DayKind.TRADING and days[date(2024, 2, 8)].reason is None
    assert days[date(2024, 2, 9)].kind is DayKind.HOLIDAY
    assert days[date(2024, 2, 10)].kind is DayKind.WEEKEND
    assert days[date(2024, 2, 4)].kind is DayKind.WEEKEND  # a 调休 working Sunday
    cells = [c for g in grids for w in g.weeks for c in w if c is not None]
    assert sum(c.kind is DayKind.TRADING for c in cells) == len(calendar.trading_days(2024))


def test_files_load_lazily(tmp_path: Path) -> None:
    (tmp_path / "2025.yaml").write_text("not: [valid", encoding="utf-8")
    write_year(derive_year(2024, [(date(2024, 1, 1), date(2024, 1, 1), "元旦")], source="test"),
               tmp_path / "2024.yaml")
    assert TradingCalendar(tmp_path).is_trading_day(date(2024, 1, 2))


def test_runtime_module_does_not_import_the_test_libraries() -> None:
    code = (
        "import sys, otcctl.domain.calendar\n"
        "leaked = {'exchange_calendars', 'chinese_calendar', 'pandas'} & set(sys.modules)\n"
        "assert not leaked, leaked\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# derive_year / write_year / read_year

NOTICE_2024 = [  # the exchanges' 2024 closure notice, as an operator would copy it
    (date(2023, 12, 30), date(2024, 1, 1), "元旦 New Year's Day"),
    (date(2024, 2, 9), date(2024, 2, 18), "春节 Spring Festival"),
    (date(2024, 4, 4), date(2024, 4, 6), "清明节 Qingming Festival"),
    (date(2024, 5, 1), date(2024, 5, 5), "劳动节 Labour Day"),
    (date(2024, 6, 8), date(2024, 6, 10), "端午节 Dragon Boat Festival"),
    (date(2024, 9, 15), date(2024, 9, 17), "中秋节 Mid-Autumn Festival"),
    (date(2024, 10, 1), date(2024, 10, 7), "国庆节 National Day"),
]


def test_derive_year_matches_the_seeded_days(calendar: TradingCalendar) -> None:
    derived = derive_year(2024, NOTICE_2024, source="上交所 2024 休市安排")
    assert [c.day for c in derived.closed] == [c.day for c in calendar.year(2024).closed]
    assert all(c.day.weekday() < 5 for c in derived.closed)


def test_derive_write_read_round_trip(tmp_path: Path) -> None:
    derived = derive_year(2024, NOTICE_2024, source="国办发明电〔2023〕7号; 上交所 2024 休市安排")
    path = tmp_path / "2024.yaml"
    write_year(derived, path)
    assert read_year(path) == derived
    loaded = TradingCalendar(tmp_path)
    assert loaded.closure_reason(date(2024, 2, 9)) == "春节 Spring Festival"
    assert loaded.is_trading_day(date(2024, 2, 19))


def test_write_year_never_replaces_silently(tmp_path: Path) -> None:
    derived = derive_year(2024, NOTICE_2024, source="test")
    write_year(derived, tmp_path / "2024.yaml")
    with pytest.raises(CalendarDataError, match="already exists"):
        write_year(derived, tmp_path / "2024.yaml")
    write_year(derived, tmp_path / "2024.yaml", overwrite=True)
    with pytest.raises(CalendarDataError, match=r"2024\.yaml"):
        write_year(derived, tmp_path / "calendar.yaml")


@pytest.mark.parametrize(
    ("ranges", "message"),
    [
        ([], "no holiday ranges"),
        ([(date(2024, 1, 3), date(2024, 1, 1), "元旦")], "ends before it starts"),
        ([(date(2024, 1, 1), date(2024, 1, 1), " ")], "reason is empty"),
        ([(date(2007, 12, 30), date(2008, 1, 1), "元旦")], r"2007-12-31 is a weekday of 2007.*2007\.yaml"),
        ([(date(2024, 5, 1), date(2024, 5, 3), "a"), (date(2024, 5, 3), date(2024, 5, 3), "b")], "already"),
        ([(date(2024, 1, 6), date(2024, 1, 7), "weekend only")], "close no weekday"),
    ],
)
def test_derive_year_refuses_bad_ranges(ranges: list[tuple[date, date, str]], message: str) -> None:
    year = ranges[0][1].year if ranges else 2024
    with pytest.raises(CalendarDataError, match=message):
        derive_year(year, ranges, source="test")


GOOD = "year: 2030\nsource: test\nclosed:\n  2030-01-01: 元旦 New Year's Day\n"


@pytest.mark.parametrize(
    ("text", "line", "entry", "message"),
    [
        (GOOD.replace("2030-01-01", "2031-01-01"), 4, "closed.2031-01-01", "in 2031, not 2030"),
        (GOOD.replace("2030-01-01", "2030-01-05"), 4, "closed.2030-01-05", "weekend"),
        (GOOD.replace(" 元旦 New Year's Day", ""), 4, "closed.2030-01-01", "reason missing"),
        (GOOD.replace("2030-01-01", "2030-13-01"), 4, "closed.2030-13-01", "not a date"),
        (GOOD.replace("2030-01-01", "20300101"), 4, "closed.20300101", "YYYY-MM-DD"),
        (GOOD + "  2030-01-01: again\n", 5, "closed.2030-01-01", "listed twice"),
        (GOOD.replace("year: 2030", "year: 2029"), 1, "year", "file name says 2030"),
        (GOOD.replace("source: test", "source:"), 2, "source", "which notice"),
        (GOOD + "extra: 1\n", 5, "extra", "unknown key"),
        ("year: 2030\nsource: test\nclosed: [\n", 4, None, "not valid YAML"),
        ("year: 2030\nsource: test\nclosed: {}\n", 3, "closed", "YYYY-MM-DD: reason"),
    ],
)
def test_malformed_year_file_names_file_line_and_entry(
    tmp_path: Path, text: str, line: int, entry: str | None, message: str
) -> None:
    path = tmp_path / "2030.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarDataError, match=message) as caught:
        TradingCalendar(tmp_path).is_trading_day(date(2030, 1, 2))
    assert caught.value.path == path
    assert caught.value.line == line
    assert caught.value.entry == entry
    assert str(caught.value).startswith(f"{path}, line {line}")
    assert caught.value.exit_code == ExitCode.BAD_INPUT


def test_good_file_loads(tmp_path: Path) -> None:
    (tmp_path / "2030.yaml").write_text(GOOD, encoding="utf-8")
    year = read_year(tmp_path / "2030.yaml")
    assert year == YearCalendar(2030, "test", (Closure(date(2030, 1, 1), "元旦 New Year's Day"),))
