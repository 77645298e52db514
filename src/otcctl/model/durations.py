"""Durations as operators write them: ``90``, ``30s``, ``5m``, ``1h30m``; clock times ``16:00``."""

from __future__ import annotations

import math
import re
from datetime import time
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from otcctl.i18n import N_

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|h|m|s)")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
MAX_DURATION = 7 * 24 * 3600.0


def parse_duration(value: object) -> float:
    """Seconds from a number or a text like ``1h30m``; anything else is a clear error.

    Non-finite (``.nan``, ``.inf``), negative and absurd (over 7 days) durations are refused:
    a timeout nothing can enforce is no timeout.
    """
    usage = N_("a duration is a number of seconds or a text like 30s, 5m, 1h30m")
    if isinstance(value, bool):
        raise ValueError(usage)
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:
            raise ValueError(N_("a number far too large for a duration")) from None
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if len(text) > 40:
            raise ValueError(usage)
        if re.fullmatch(r"\d+(\.\d+)?", text):
            seconds = float(text)
        elif text and _PART.sub("", text) == "":
            seconds = sum(float(n) * _UNIT[u] for n, u in _PART.findall(text))
        else:
            raise ValueError(f"{value!r} is not a duration; write 30s, 5m, 1h30m or a number of seconds")
    else:
        raise ValueError(usage)
    if not math.isfinite(seconds):
        raise ValueError(f"{value!r} is not a duration otcctl can enforce (not a finite number of seconds)")
    if seconds < 0:
        raise ValueError(N_("a duration cannot be negative"))
    if seconds > MAX_DURATION:
        raise ValueError(f"{format_duration(seconds)} is longer than any step may take (at most 7 days)")
    return seconds


def format_duration(seconds: float) -> str:
    """``5400`` -> ``1h30m``: the way a duration is shown back to the operator."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "") + (f"{secs}s" if secs else "")
    return text or "0s"


def parse_clock(value: object) -> time:
    """``16:00`` -> ``time(16, 0)``; times are Asia/Shanghai wall-clock times."""
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
        if match:
            return time(int(match.group(1)), int(match.group(2)))
    raise ValueError(f"{value!r} is not a clock time; write HH:MM (Asia/Shanghai), e.g. 16:00")


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": ["string", "number"], "description": "seconds, or a text like 30s, 5m, 1h30m"}),
]
