"""Conditions in words for the operator (使用率低于 80%, 状态为 OPEN); the exact rule goes in small print.

The plan carries the rule as notation (``number /(\\d+)%/ < 80``, ``value == 'OPEN'``); an operator
signing a printout reads the words. Steps judged without an ``expect`` are already described in words.
"""

from __future__ import annotations

from typing import Any

from otcctl.i18n import N_, _

_OPS = {
    "<": N_("below"),
    "<=": N_("at most"),
    ">": N_("above"),
    ">=": N_("at least"),
    "==": N_("is"),
    "!=": N_("is not"),
}


def condition_words(planned: Any) -> str:
    """The planned step's condition in words; the plan's own text when there is no ``expect``."""
    expect = getattr(planned.step, "expect", None)
    if expect is None:
        return str(planned.condition)
    return describe(expect)


def describe(condition: Any) -> str:
    """One condition tree in words."""
    if condition.all is not None:
        return _(" and ").join(_wrap(describe(c), len(condition.all)) for c in condition.all)
    if condition.any is not None:
        return _(" or ").join(_wrap(describe(c), len(condition.any)) for c in condition.any)
    if condition.not_ is not None:
        return _("not: {condition}").format(condition=describe(condition.not_))
    stream = {"stdout": "", "stderr": _(" (error output)"), "both": _(" (all output)")}[condition.stream]
    if condition.exit_code is not None:
        codes = condition.exit_code if isinstance(condition.exit_code, list) else [condition.exit_code]
        if codes == [0]:
            return _("the command succeeds (exit code 0)")
        return _("exit code is {codes}").format(codes=" / ".join(str(c) for c in codes))
    if condition.contains is not None:
        return _("output contains “{text}”").format(text=condition.contains) + stream
    if condition.not_contains is not None:
        return _("output does not contain “{text}”").format(text=condition.not_contains) + stream
    if condition.matches is not None:
        return _("output matches the pattern in the rule") + stream
    if condition.number is not None:
        check = condition.number
        percent = "%" in check.regex
        value = f"{check.value:g}" + ("%" if percent else "")
        what = _("usage") if percent else _("the number found")
        return _("{what} {op} {value}").format(what=what, op=_(_OPS[check.op]), value=value)
    if condition.row_count is not None:
        return _("rows returned {op} {value}").format(op=_(_OPS[condition.row_count.op]),
                                                       value=condition.row_count.value)
    if condition.scalar is not None:
        scalar = condition.scalar
        if isinstance(scalar.value, str):
            return _("status {op} {value}").format(op=_(_OPS[scalar.op]), value=scalar.value)
        return _("the value {op} {value}").format(op=_(_OPS[scalar.op]), value=scalar.value)
    column = condition.column
    rows = _("every row") if column.rows == "all" else _("at least one row")
    return _("{rows}: {name} {op} {value}").format(rows=rows, name=column.name, op=_(_OPS[column.op]),
                                                   value=column.value)


def _wrap(text: str, siblings: int) -> str:
    return f"（{text}）" if siblings > 1 and (_(" and ") in text or _(" or ") in text) else text
