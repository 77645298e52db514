"""Durations and clock times as operators write them: text in, seconds (or an error) out."""

from __future__ import annotations

from datetime import time

import pytest

from otcctl.model.durations import format_duration, parse_clock, parse_duration


@pytest.mark.parametrize(
    ("written", "seconds"),
    [
        (90, 90.0),
        (1.5, 1.5),
        ("90", 90.0),
        ("30s", 30.0),
        ("5m", 300.0),
        ("1h30m", 5400.0),
        ("2h", 7200.0),
        ("250ms", 0.25),
        (" 1h 30m ", 5400.0),
        ("1H30M", 5400.0),
    ],
)
def test_duration_texts(written: object, seconds: float) -> None:
    assert parse_duration(written) == seconds


@pytest.mark.parametrize("written", ["", "soon", "-5", -5, True, "5 minutes", "1d", None, [30], "1h-30m"])
def test_what_is_no_duration_is_refused(written: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(written)


@pytest.mark.parametrize(
    ("seconds", "shown"), [(5400, "1h30m"), (0.25, "250ms"), (0, "0ms"), (61, "1m1s"), (7200, "2h")]
)
def test_durations_are_shown_back_as_written(seconds: float, shown: str) -> None:
    assert format_duration(seconds) == shown


@pytest.mark.parametrize(("written", "clock"), [("16:00", time(16, 0)), ("9:05", time(9, 5)), ("23:59", time(23, 59))])
def test_clock_times(written: str, clock: time) -> None:
    assert parse_clock(written) == clock


@pytest.mark.parametrize("written", ["24:00", "16:60", "1600", "4pm", "", 16])
def test_what_is_no_clock_time_is_refused(written: object) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_clock(written)
