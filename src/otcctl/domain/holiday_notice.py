"""The year's market closures as an operator copies them from the notices: a ranges file.

The State Council's holiday notice (around November) and the exchanges' closure notice
(around December) give date ranges; the operator writes them as a YAML list or as lines of
"first-day last-day name", and ``otcctl calendar create`` turns them into the year's file.
Every problem names the file, line and key, as for runbooks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from otcctl.errors import InputError, Problem
from otcctl.i18n import N_

if TYPE_CHECKING:
    from otcctl.domain.calendar import CalendarDataError

RANGES_FORMAT = N_("a YAML list of {from: YYYY-MM-DD, to: YYYY-MM-DD, name: 春节}")
_RANGE_KEYS = ("from", "to", "name")


@dataclass(frozen=True)
class HolidayRange:
    """One closure range from the operator's ranges file, with its line for error messages."""

    start: date
    end: date
    name: str
    line: int


def read_ranges(path: Path) -> list[HolidayRange]:
    """The operator's ranges file: YAML (a list of mappings) or the runbook's one-range-per-line text."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError.at(path, f"no such file; write the closure ranges there first ({RANGES_FORMAT})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.at(path, f"cannot read: {exc}") from None
    content = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    if not content:
        raise InputError.at(path, f"no closure ranges in the file; expected {RANGES_FORMAT}")
    ranges = _yaml_ranges(path, text) if content[0].startswith(("-", "[")) else _line_ranges(path, text)
    problems = [Problem(str(path), r.line, "to", f"{r.end} is before {r.start}") for r in ranges if r.end < r.start]
    if problems:
        raise InputError(problems)
    return ranges


def _yaml_ranges(path: Path, text: str) -> list[HolidayRange]:
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = None if exc.problem_mark is None else exc.problem_mark.line + 1
        raise InputError.at(path, f"not valid YAML: {exc.problem}", line) from None
    except yaml.YAMLError as exc:
        raise InputError.at(path, f"not valid YAML: {exc}") from None
    if not isinstance(root, yaml.SequenceNode) or not root.value:
        raise InputError.at(path, f"expected {RANGES_FORMAT}", 1)
    problems: list[Problem] = []
    ranges: list[HolidayRange] = []
    for item in root.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            expected = N_("expected {from: YYYY-MM-DD, to: YYYY-MM-DD, name: 春节}")
            problems.append(Problem(str(path), line, None, expected))
            continue
        values: dict[str, tuple[str, int]] = {}
        seen: set[str] = set()
        for key_node, value_node in item.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            at = key_node.start_mark.line + 1
            if key not in _RANGE_KEYS:
                problems.append(Problem(str(path), at, key, f"unknown key; expected {', '.join(_RANGE_KEYS)}"))
            elif key in seen:
                problems.append(Problem(str(path), at, key, N_("listed twice")))
            elif not isinstance(value_node, yaml.ScalarNode) or not str(value_node.value).strip():
                problems.append(Problem(str(path), at, key, N_("needs a value")))
            else:
                values[key] = (str(value_node.value).strip(), at)
            seen.add(key)
        problems.extend(Problem(str(path), line, key, N_("missing")) for key in _RANGE_KEYS if key not in seen)
        if all(key in values for key in _RANGE_KEYS):
            parsed = _range_from(path, values, line, problems)
            if parsed is not None:
                ranges.append(parsed)
    if problems:
        raise InputError(problems)
    return ranges


def _line_ranges(path: Path, text: str) -> list[HolidayRange]:
    problems: list[Problem] = []
    ranges: list[HolidayRange] = []
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parts = stripped.split(maxsplit=2)
        if len(parts) < 3:
            problems.append(Problem(str(path), number, None, "expected 'YYYY-MM-DD YYYY-MM-DD 名称' (first day, "
                                    f"last day, name), e.g. '2027-02-06 2027-02-14 春节'; or use {RANGES_FORMAT}"))
            continue
        values = {key: (value, number) for key, value in zip(_RANGE_KEYS, parts, strict=True)}
        parsed = _range_from(path, values, number, problems)
        if parsed is not None:
            ranges.append(parsed)
    if problems:
        raise InputError(problems)
    return ranges


def _range_from(path: Path, values: dict[str, tuple[str, int]], line: int,
                problems: list[Problem]) -> HolidayRange | None:
    from otcctl.domain.clock import parse_date  # here: `otcctl --help` imports this module, not the time zone

    days: list[date] = []
    for key in ("from", "to"):
        text, at = values[key]
        try:
            days.append(parse_date(text))
        except ValueError as exc:
            problems.append(Problem(str(path), at, key, str(exc)))
    if len(days) != 2:
        return None
    return HolidayRange(days[0], days[1], values["name"][0], line)


def ranges_error(exc: CalendarDataError, path: Path, ranges: list[HolidayRange]) -> InputError:
    """derive_year names a range by its position; point at the line the operator wrote it on."""
    entry = exc.entry or ""
    match = re.match(r"holiday range (\d+)", entry)
    line = ranges[int(match.group(1)) - 1].line if match else None
    message = f"{entry}: {exc.problem}" if entry else str(exc.problem)
    return InputError(Problem(str(path), line, None, message))
