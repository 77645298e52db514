"""Asia/Shanghai, the one time zone of the estate, the manual and the operators' records."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now_in_shanghai() -> datetime:
    """The wall clock the exchanges and the manual's times (16:00, 15:30) refer to."""
    return datetime.now(SHANGHAI)


def today_in_shanghai(now: datetime | None = None) -> date:
    """The calendar date in Shanghai (of ``now``, or of this moment), whatever this machine's zone."""
    moment = now or now_in_shanghai()
    return moment.astimezone(SHANGHAI).date()


def parse_date(text: str) -> date:
    """``20261127`` or ``2026-11-27`` -> a date."""
    cleaned = text.strip()
    if not re.fullmatch(r"\d{8}|\d{4}-\d{2}-\d{2}", cleaned):
        raise ValueError(f"{text!r} is not a date; write YYYYMMDD or YYYY-MM-DD")
    for fmt in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date; write YYYYMMDD or YYYY-MM-DD")
