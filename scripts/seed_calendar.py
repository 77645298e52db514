"""Seed src/otcctl/domain/data/calendar/<YEAR>.yaml from exchange_calendars and chinese_calendar.

Run by a developer once per year the libraries cover (they stop at 2026); otcctl never imports them.
Years after that come from the yearly task 创建交易年历 (otcctl.domain.calendar.derive_year).

    .venv/bin/pip install exchange_calendars chinese_calendar
    .venv/bin/python scripts/seed_calendar.py 2024 2025 2026 [--overwrite]

Closed days are the weekdays that are not XSHG sessions (the exchange's view, which includes closures the
State Council list lacks, such as 2024-02-09). Each run of closed weekdays, joined across weekends, is
named from chinese_calendar; a closed weekday that chinese_calendar does not call a holiday is marked as an
exchange-only closure. The script stops rather than guess when a run has no name at all.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from importlib.metadata import version
from pathlib import Path

import chinese_calendar  # type: ignore[import-untyped]
import exchange_calendars  # type: ignore[import-untyped]

from otcctl.domain.calendar import DEFAULT_DATA_DIR, CalendarDataError, Closure, YearCalendar, write_year

NAMES = {
    "New Year's Day": ("元旦", "New Year's Day"),
    "Spring Festival": ("春节", "Spring Festival"),
    "Tomb-sweeping Day": ("清明节", "Qingming Festival"),
    "Labour Day": ("劳动节", "Labour Day"),
    "Dragon Boat Festival": ("端午节", "Dragon Boat Festival"),
    "Mid-autumn Festival": ("中秋节", "Mid-Autumn Festival"),
    "National Day": ("国庆节", "National Day"),
}
EXCHANGE_ONLY = " (交易所休市，非法定假日 exchange-only closure)"


def closed_weekdays(year: int) -> list[date]:
    """Weekdays of ``year`` that are not XSHG sessions."""
    xshg = exchange_calendars.get_calendar("XSHG")
    if not xshg.first_session.year < year <= xshg.last_session.year:
        raise SystemExit(f"exchange_calendars' XSHG covers only up to {xshg.last_session.date()}; "
                         f"derive {year} from the notices (otcctl.domain.calendar.derive_year)")
    sessions = {ts.date() for ts in xshg.sessions_in_range(f"{year}-01-01", f"{year}-12-31")}
    if any(day.weekday() >= 5 for day in sessions):
        raise SystemExit(f"XSHG lists a weekend session in {year}; check before seeding")
    day, result = date(year, 1, 1), []
    while day.year == year:
        if day.weekday() < 5 and day not in sessions:
            result.append(day)
        day += timedelta(days=1)
    return result


def runs(days: list[date]) -> list[list[date]]:
    """Group closed weekdays into runs; two days join when only weekend days lie between them."""
    groups: list[list[date]] = []
    for day in days:
        if groups and only_weekend_between(groups[-1][-1], day):
            groups[-1].append(day)
        else:
            groups.append([day])
    return groups


def only_weekend_between(first: date, last: date) -> bool:
    """Whether every day strictly between ``first`` and ``last`` is a Saturday or Sunday."""
    return all((first + timedelta(n)).weekday() >= 5 for n in range(1, (last - first).days))


def holiday_name(day: date) -> str | None:
    """chinese_calendar's English holiday name for ``day``, or None when it is no State Council holiday."""
    on_holiday, name = chinese_calendar.get_holiday_detail(day)
    return name if on_holiday and name else None


def name_run(run: list[date]) -> dict[date, str]:
    """One reason for the whole run (as the notices name it, e.g. 国庆节、中秋节), per day."""
    found: list[str] = []
    for day in run:
        name = holiday_name(day)
        if name is not None and name not in found:
            found.append(name)
    if not found:
        raise SystemExit(f"closed run {run[0]} .. {run[-1]} has no holiday name; name it by hand")
    unknown = [name for name in found if name not in NAMES]
    if unknown:
        raise SystemExit(f"no Chinese name for {unknown}; add it to NAMES")
    reason = "、".join(NAMES[n][0] for n in found) + " " + " / ".join(NAMES[n][1] for n in found)
    return {day: reason if holiday_name(day) else reason + EXCHANGE_ONLY for day in run}


def seed(year: int) -> YearCalendar:
    """The year's calendar as the libraries see it."""
    reasons: dict[date, str] = {}
    for run in runs(closed_weekdays(year)):
        reasons.update(name_run(run))
    source = (
        f"exchange_calendars {version('exchange_calendars')} XSHG sessions (SSE; SZSE closes the same days); "
        f"names from chinese_calendar {version('chinese_calendar')}; seeded by scripts/seed_calendar.py"
    )
    return YearCalendar(year, source, tuple(Closure(day, reasons[day]) for day in sorted(reasons)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("years", nargs="+", type=int, help="years to seed, e.g. 2024 2025 2026")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="where the year files go")
    parser.add_argument("--overwrite", action="store_true", help="replace existing year files")
    args = parser.parse_args(argv)
    for year in args.years:
        calendar = seed(year)
        path = args.data_dir / f"{year}.yaml"
        try:
            write_year(calendar, path, overwrite=args.overwrite)
        except CalendarDataError as exc:
            raise SystemExit(str(exc)) from exc
        print(f"{path}: {len(calendar.closed)} closed weekdays")
        for closure in calendar.closed:
            print(f"  {closure.day} {closure.day:%a} {closure.reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
