"""Small helpers for scripts/demo.sh that are easier to keep correct in Python than in bash."""

from __future__ import annotations

from datetime import date, timedelta

from otcctl.domain.calendar import CalendarUnknownYear, TradingCalendar
from otcctl.domain.clock import today_in_shanghai


def latest_trading_day(today: date | None = None) -> str:
    """The most recent trading day up to today (Asia/Shanghai), as YYYYMMDD.

    If today's year has no calendar file yet, fall back to the last weekday of the last
    known year rather than guess about an unknown year.
    """
    calendar = TradingCalendar()
    day = today or today_in_shanghai()
    for _ in range(800):
        try:
            if calendar.is_trading_day(day):
                return day.strftime("%Y%m%d")
        except CalendarUnknownYear:
            day = date(day.year - 1, 12, 31)
            continue
        day -= timedelta(days=1)
    raise RuntimeError("no trading day found in the calendar data")
