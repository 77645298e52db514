"""Judge a step's result against its condition. Pure: (condition, observation) -> verdict.

The verdict carries the reason in words, because an operator confirming a step and an
auditor reading the journal both need to see *why* it passed or failed, not just that it did.
"""

from __future__ import annotations

import codecs
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
    """What a step saw: a command's exit code and output, and/or SQL rows.

    ``complete`` is False when only the tail of the output was kept; then a literal text is
    judged from ``scan`` (which saw the whole output as it streamed) and a pattern is not judged.
    """

    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[object, ...], ...] | None = None
    complete: bool = True
    scan: OutputScan | None = None


@dataclass(frozen=True)
class Verdict:
    """Passed or not, and why; ``judged`` is False when the condition could not be decided."""

    passed: bool
    reason: str
    judged: bool = True


def _unjudged(reason: str) -> Verdict:
    return Verdict(False, f"could not judge: {reason}", judged=False)


def judge(condition: Condition, seen: Observation) -> Verdict:
    """Evaluate a condition tree against what was observed; undecidable parts never pass."""
    if condition.all is not None:
        parts = [judge(c, seen) for c in condition.all]
        failed = [p for p in parts if not p.passed and p.judged]
        unknown = [p for p in parts if not p.judged]
        if failed or unknown:
            return Verdict(False, "; ".join(p.reason for p in (failed or unknown)), judged=bool(failed))
        return Verdict(True, "; ".join(p.reason for p in parts))
    if condition.any is not None:
        parts = [judge(c, seen) for c in condition.any]
        passed = [p for p in parts if p.passed]
        unknown = [p for p in parts if not p.judged]
        if passed:
            return Verdict(True, passed[0].reason)
        return Verdict(False, "; ".join(p.reason for p in (unknown or parts)), judged=not unknown)
    if condition.not_ is not None:
        inner = judge(condition.not_, seen)
        if not inner.judged:
            return inner
        return Verdict(not inner.passed, f"not ({inner.reason})")
    text = _stream(condition.stream, seen)
    if condition.exit_code is not None:
        wanted = condition.exit_code if isinstance(condition.exit_code, list) else [condition.exit_code]
        if seen.exit_code is None and seen.rows is None:
            return _unjudged("the exit status is unknown")
        return Verdict(seen.exit_code in wanted, f"exit code {seen.exit_code} (expected {_or(wanted)})")
    if condition.contains is not None or condition.not_contains is not None:
        needle = condition.contains if condition.contains is not None else condition.not_contains
        assert needle is not None
        if seen.complete:
            found = needle in text
        elif seen.scan is not None:
            found = seen.scan.found(condition.stream, needle)
        else:
            return _unjudged(f"only the last {len(text)} characters of the output were kept")
        ok = found if condition.contains is not None else not found
        scope = "" if seen.complete else " (whole output, scanned as it streamed)"
        return Verdict(ok, f"output {'contains' if found else 'lacks'} {needle!r}{scope}")
    if not seen.complete and (condition.matches is not None or condition.number is not None):
        return _unjudged(
            f"the output was longer than otcctl keeps ({len(text)} characters of the end kept); a pattern "
            "is judged on the whole output only, so look at it on the host"
        )
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


class OutputScan:
    """Watches the whole output as it streams for the literal texts a condition looks for.

    Memory stays bounded: per stream only the longest needle's length of text is carried over
    between chunks, so a text split across two chunks is still found.
    """

    def __init__(self, condition: Condition, encoding: str) -> None:
        self.needles = sorted(set(_needles(condition)))
        self._carry = {"stdout": "", "stderr": ""}
        self._decoders = {k: codecs.getincrementaldecoder(encoding)(errors="replace") for k in self._carry}
        self._found: set[tuple[str, str]] = set()
        self._longest = max((len(n) for n in self.needles), default=1)
        self.bytes_seen = 0

    def feed(self, stream: str, chunk: bytes) -> None:
        """One chunk of raw output of ``stream`` (stdout or stderr)."""
        self.bytes_seen += len(chunk)
        text = self._carry[stream] + self._decoders[stream].decode(chunk)
        for needle in self.needles:
            if needle in text:
                self._found.add((stream, needle))
        self._carry[stream] = text[-(self._longest - 1) :] if self._longest > 1 else ""

    def found(self, which: str, needle: str) -> bool:
        """Whether ``needle`` appeared anywhere in the stream(s) ``which`` names."""
        streams = ("stdout", "stderr") if which == "both" else (which,)
        return any((x, needle) in self._found for x in streams)


def _needles(condition: Condition) -> list[str]:
    found = [n for n in (condition.contains, condition.not_contains) if n is not None]
    for child in [*(condition.all or []), *(condition.any or []), *([condition.not_] if condition.not_ else [])]:
        found.extend(_needles(child))
    return found


def _stream(which: str, seen: Observation) -> str:
    if which == "stderr":
        return seen.stderr
    if which == "both":
        return seen.stdout + "\n" + seen.stderr
    return seen.stdout


def _or(values: list[int]) -> str:
    return " or ".join(str(v) for v in values)
