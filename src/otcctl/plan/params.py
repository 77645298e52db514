"""Runbook parameters: defaults, ``-p name=value`` overrides, types, and the built-in dates.

Every value ends up as text, checked against its declared type, ready for the templates to
quote. The built-ins (``date``, ``date_iso``, ``year``, ``next_year``) come from the run's
date in Asia/Shanghai, so a run started at 00:30 local time on a UTC machine gets the right day.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from otcctl.domain.clock import parse_date
from otcctl.errors import InputError, Problem
from otcctl.model.durations import parse_clock
from otcctl.model.load import LoadedRunbook


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """``["keep_months=6"]`` -> ``{"keep_months": "6"}``; a pair without '=' is bad input."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InputError.at("-p", f"{pair!r} is not NAME=VALUE", field=name or None)
        out[name.strip()] = value
    return out


def resolve_params(loaded: LoadedRunbook, overrides: Mapping[str, str], run_date: date) -> dict[str, str]:
    """Final text value of every parameter, declared and built-in; problems name file and line."""
    runbook, src = loaded.runbook, loaded.source
    problems: list[Problem] = []
    values: dict[str, str] = {}
    unknown = sorted(set(overrides) - set(runbook.params) - {"date"})
    for name in unknown:
        declared = ", ".join(["date", *runbook.params])
        problems.append(Problem("-p", None, name, f"{runbook.name} has no parameter {name!r} (it has: {declared})"))
    if "date" in overrides and "date" not in runbook.params:
        try:
            run_date = parse_date(overrides["date"])
        except ValueError as exc:
            problems.append(Problem("-p", None, "date", str(exc)))
    for name, param in runbook.params.items():
        raw = overrides.get(name, None if param.default is None else str(param.default))
        if raw is None:
            problems.append(
                src.problem(("params", name), f"parameter {name!r} has no value: give it with -p {name}=VALUE")
            )
            continue
        try:
            values[name] = _typed(raw, param.type, param.choices, param.min, param.max)
        except ValueError as exc:
            where = "-p" if name in overrides else loaded.path.name
            problems.append(
                Problem(where, None if name in overrides else src.line_of(("params", name)), name, str(exc))
            )
    if problems:
        raise InputError(problems)
    builtins = {
        "date": run_date.strftime("%Y%m%d"),
        "date_iso": run_date.isoformat(),
        "year": str(run_date.year),
        "next_year": str(run_date.year + 1),
    }
    return {**builtins, **values}


def _typed(raw: str, kind: str, choices: list[str] | None, low: int | None, high: int | None) -> str:
    if kind == "int":
        if not re.fullmatch(r"-?\d+", raw.strip()):
            raise ValueError(f"{raw!r} is not a whole number")
        number = int(raw)
        if low is not None and number < low:
            raise ValueError(f"{number} is below the minimum {low}")
        if high is not None and number > high:
            raise ValueError(f"{number} is above the maximum {high}")
        return str(number)
    if kind == "date":
        return parse_date(raw).strftime("%Y%m%d")
    if kind == "time":
        return parse_clock(raw).strftime("%H:%M")
    if choices is not None and raw not in choices:
        raise ValueError(f"{raw!r} is not one of {', '.join(choices)}")
    return raw
