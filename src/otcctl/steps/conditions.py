"""Judge a step's result against its condition. Pure: (condition, observation) -> verdict.

The verdict carries the reason in words, because an operator confirming a step and an
auditor reading the journal both need to see *why* it passed or failed, not just that it did.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from otcctl.model.conditions_schema import Comparison, Condition

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True)
class Observation:
    """What a step saw: a command's exit code and output, and/or SQL rows."""

    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[object, ...], ...] | None = None


@dataclass(frozen=True)
class Verdict:
    """Passed or not, and why."""

    passed: bool
    reason: str


def judge(condition: Condition, seen: Observation) -> Verdict:
    """Evaluate a condition tree against what was observed."""
    if condition.all is not None:
        parts = [judge(c, seen) for c in condition.all]
        failed = [p for p in parts if not p.passed]
        return Verdict(not failed, "; ".join(p.reason for p in (failed or parts)))
    if condition.any is not None:
        parts = [judge(c, seen) for c in condition.any]
        passed = [p for p in parts if p.passed]
        return Verdict(bool(passed), "; ".join(p.reason for p in (passed[:1] or parts)))
    if condition.not_ is not None:
        inner = judge(condition.not_, seen)
        return Verdict(not inner.passed, f"not ({inner.reason})")
    text = _stream(condition.stream, seen)
    if condition.exit_code is not None:
        wanted = condition.exit_code if isinstance(condition.exit_code, list) else [condition.exit_code]
        return Verdict(seen.exit_code in wanted, f"exit code {seen.exit_code} (expected {_or(wanted)})")
    if condition.contains is not None:
        found = condition.contains in text
        return Verdict(found, f"output {'contains' if found else 'lacks'} {condition.contains!r}")
    if condition.not_contains is not None:
        found = condition.not_contains in text
        return Verdict(not found, f"output {'contains' if found else 'lacks'} {condition.not_contains!r}")
    if condition.matches is not None:
        match = re.search(condition.matches, text, re.MULTILINE)
        pattern = condition.matches
        what = f"matches /{pattern}/ at {match.group(0)!r}" if match else f"no match for /{pattern}/"
        return Verdict(match is not None, what)
    if condition.number is not None:
        check = condition.number
        match = re.search(check.regex, text, re.MULTILINE)
        if match is None:
            return Verdict(False, f"no number found by /{check.regex}/")
        try:
            value = float(match.group(1))
        except ValueError:
            return Verdict(False, f"{match.group(1)!r} is not a number")
        ok = _OPS[check.op](value, check.value)
        return Verdict(ok, f"{value:g} {check.op} {check.value:g} is {'true' if ok else 'false'}")
    return _judge_rows(condition, seen)


def _judge_rows(condition: Condition, seen: Observation) -> Verdict:
    if seen.rows is None:
        return Verdict(False, "this condition needs SQL rows, and the step returned none")
    if condition.row_count is not None:
        return _compare("row count", len(seen.rows), condition.row_count)
    if condition.scalar is not None:
        if not seen.rows or not seen.rows[0]:
            return Verdict(False, "the query returned no rows")
        return _compare("value", seen.rows[0][0], condition.scalar)
    check = condition.column
    assert check is not None
    names = [c.upper() for c in seen.columns]
    if check.name.upper() not in names:
        return Verdict(False, f"no column {check.name} in the result ({', '.join(seen.columns)})")
    index = names.index(check.name.upper())
    results = [_compare(check.name, row[index], Comparison(op=check.op, value=check.value)) for row in seen.rows]
    if not results:
        return Verdict(check.rows == "all", "no rows")
    bad = [r for r in results if not r.passed]
    if check.rows == "all":
        return Verdict(not bad, bad[0].reason if bad else f"all {len(results)} rows: {results[0].reason}")
    good = [r for r in results if r.passed]
    return Verdict(bool(good), good[0].reason if good else f"no row: {results[0].reason}")


def _compare(label: str, actual: object, rule: Comparison) -> Verdict:
    left, right = _comparable(actual, rule.value)
    try:
        ok = _OPS[rule.op](left, right)
    except TypeError:
        return Verdict(False, f"{label} {actual!r} cannot be compared with {rule.value!r}")
    return Verdict(ok, f"{label} {actual!r} {rule.op} {rule.value!r} is {'true' if ok else 'false'}")


def _comparable(actual: object, expected: float | int | str) -> tuple[object, object]:
    """Numbers compare as numbers (SQL may hand them over as text); text compares trimmed."""
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        try:
            return float(str(actual).strip()), float(expected)
        except ValueError:
            return actual, expected
    return ("" if actual is None else str(actual).strip()), str(expected)


def _stream(which: str, seen: Observation) -> str:
    if which == "stderr":
        return seen.stderr
    if which == "both":
        return seen.stdout + "\n" + seen.stderr
    return seen.stdout


def _or(values: list[int]) -> str:
    return " or ".join(str(v) for v in values)
