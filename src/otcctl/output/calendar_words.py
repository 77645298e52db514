"""Whether the plan's date trades, said before anything is printed or previewed."""

from __future__ import annotations

from datetime import date
from typing import Any

from otcctl.i18n import _


def closed_day_warning(plan: Any) -> str | None:
    """A warning when the plan's date is not a trading day (or its year has no calendar); None otherwise."""
    from otcctl.domain.calendar import CalendarUnknownYear, TradingCalendar

    text = plan.params.get("date_iso") if isinstance(plan.params, dict) else None
    if not text:
        return None
    day = date.fromisoformat(str(text))
    try:
        reason = TradingCalendar().closure_reason(day)
    except CalendarUnknownYear:
        return _("{day}: otcctl has no trading calendar for {year}; whether it trades is unknown "
                 "(otcctl calendar create {year})").format(day=day.isoformat(), year=day.year)
    if reason is None:
        return None
    warning = _("{day} is not a trading day ({reason})").format(day=day.isoformat(), reason=reason)
    if getattr(plan.runbook, "trading_day_only", False):
        warning += _("; this runbook runs on trading days only (otcctl run refuses without "
                     "--allow-non-trading-day)")
    return warning
