"""PowerShell's operators on the emulated values: comparisons, ``-like``/``-match``/``-replace``, arithmetic.

The left operand decides (``'1' -eq 1`` compares strings, ``1 -eq '1'`` numbers); strings
compare case-insensitively unless the operator is a ``-c`` one; a comparison with an array on
the left filters the array. .NET regular expressions run on Python's ``re`` where the two agree;
the constructs where they differ are refused. A combination whose result the emulation is not
sure of raises :class:`NotEmulated` rather than guess.
"""

from __future__ import annotations

import fnmatch
import math
import re
from datetime import datetime, timedelta
from typing import Any

from otcctl_lab.winrm_peer.psvalues import (
    DriveObject,
    FileObject,
    MatchInfo,
    NotEmulated,
    PSHashtable,
    PSRuntimeError,
    ServiceObject,
    WmiDisk,
    enumerate_value,
    to_int,
    to_number,
    to_string,
    truthy,
    type_name,
)


def _case(op: str) -> tuple[str, bool]:
    """'ceq' -> ('eq', True); 'ieq' and 'eq' -> ('eq', False)."""
    if op[0] in "ci" and op[1:] in _BINARY_COMPARISONS:
        return op[1:], op[0] == "c"
    return op, False


_BINARY_COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le", "like", "notlike", "match", "notmatch", "contains",
                       "notcontains", "in", "notin", "replace"}


def comparison_ops() -> set[str]:
    return _BINARY_COMPARISONS | {p + o for p in "ci" for o in _BINARY_COMPARISONS}


def compare(left: Any, op: str, right: Any, matches: dict[str, Any] | None = None) -> Any:
    """``left -op right``; an array on the left filters (``-eq``...) or is searched (``-contains``)."""
    base, case_sensitive = _case(op)
    if base in ("contains", "notcontains"):
        found = any(_equal(item, right, case_sensitive) for item in enumerate_value(left))
        return found == (base == "contains")
    if base in ("in", "notin"):
        found = any(_equal(item, left, case_sensitive) for item in enumerate_value(right))
        return found == (base == "in")
    if base == "replace":
        return _replace(left, right, case_sensitive)
    if isinstance(left, list):
        return [item for item in left if _scalar_compare(item, base, right, case_sensitive, None)]
    return _scalar_compare(left, base, right, case_sensitive, matches)


def _scalar_compare(left: Any, op: str, right: Any, case_sensitive: bool, matches: dict[str, Any] | None) -> bool:
    if op in ("like", "notlike"):
        a, b = to_string(left), to_string(right)
        if not case_sensitive:
            a, b = a.lower(), b.lower()
        return fnmatch.fnmatchcase(a, _wildcard(b)) == (op == "like")
    if op in ("match", "notmatch"):
        found = regex(to_string(right), case_sensitive).search(to_string(left))
        if found is not None and matches is not None and op == "match":
            matches.clear()
            matches.update({str(i): g for i, g in enumerate([found.group(0), *found.groups()])})
            matches.update({k: v for k, v in found.groupdict().items()})
        return (found is not None) == (op == "match")
    if op == "eq":
        return _equal(left, right, case_sensitive)
    if op == "ne":
        return not _equal(left, right, case_sensitive)
    a, b = _ordered(left, right, case_sensitive)
    return bool({"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[op])


def _wildcard(pattern: str) -> str:
    if "`" in pattern or "[!" in pattern:
        raise NotEmulated(f"the wildcard pattern {pattern!r}")
    return pattern


def _equal(left: Any, right: Any, case_sensitive: bool) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, str):
        a, b = left, to_string(right)
        return a == b if case_sensitive else a.lower() == b.lower()
    if isinstance(left, bool):
        return left == truthy(right)
    if isinstance(left, int | float):
        try:
            return left == to_number(right)
        except PSRuntimeError:
            return False
    if isinstance(left, datetime | timedelta):
        if type(right) is not type(left):
            raise NotEmulated(f"comparing a {type_name(left)} with a {type_name(right)}")
        return bool(left == right)
    if isinstance(left, ServiceObject | FileObject | DriveObject | MatchInfo | WmiDisk | PSHashtable):
        return left is right
    raise NotEmulated(f"comparing a {type_name(left)} with -eq")


def _ordered(left: Any, right: Any, case_sensitive: bool) -> tuple[Any, Any]:
    """Two keys Python can order the way PowerShell orders the two values."""
    if left is None or right is None:
        return (0 if left is None else 1), (0 if right is None else 1)
    if isinstance(left, str):
        b = to_string(right)
        return (left, b) if case_sensitive else (left.lower(), b.lower())
    if isinstance(left, int | float) and not isinstance(left, bool):
        return left, to_number(right)
    if isinstance(left, datetime | timedelta) and type(right) is type(left):
        return left, right
    raise NotEmulated(f"ordering a {type_name(left)} against a {type_name(right)}")


_REGEX_DIFFERS = re.compile(r"\\[pPkGZz]|\(\?<[A-Za-z_]\w*>.*\\k|\$\{")


def regex(pattern: str, case_sensitive: bool = False) -> re.Pattern[str]:
    """A .NET regular expression as Python's ``re``; constructs that differ between the two are refused."""
    if _REGEX_DIFFERS.search(pattern):
        raise NotEmulated(f"the regular expression {pattern!r}")
    translated = re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", pattern)
    try:
        return re.compile(translated, 0 if case_sensitive else re.IGNORECASE)
    except re.error:
        raise NotEmulated(f"the regular expression {pattern!r}") from None


def _replace(left: Any, right: Any, case_sensitive: bool) -> Any:
    parts = enumerate_value(right)
    if len(parts) > 2:
        raise PSRuntimeError("“-replace”运算符只允许在其右侧使用两个元素，而不是“3”个。", error_id="BadReplaceArgument")
    pattern = regex(to_string(parts[0]), case_sensitive)
    replacement = to_string(parts[1]) if len(parts) == 2 else ""
    if re.search(r"\$\{|\$[_&`'+]", replacement):
        raise NotEmulated(f"the replacement {replacement!r}")
    python_replacement = re.sub(r"\$(\d+)", r"\\g<\1>", replacement.replace("\\", "\\\\"))
    if isinstance(left, list):
        return [pattern.sub(python_replacement, to_string(v)) for v in left]
    return pattern.sub(python_replacement, to_string(left))


def arithmetic(op: str, left: Any, right: Any) -> Any:
    """``+ - * / %`` with PowerShell's rules: the left operand's type decides."""
    if op == "+":
        if left is None:
            return right
        if isinstance(left, list):
            return [*left, *(right if isinstance(right, list) else [right])]
        if isinstance(left, str):
            return left + to_string(right)
        if isinstance(left, PSHashtable):
            raise NotEmulated("adding hashtables")
        if isinstance(left, datetime) and isinstance(right, timedelta):
            return left + right
    if op == "-" and isinstance(left, datetime):
        if isinstance(right, datetime):
            return left - right
        if isinstance(right, timedelta):
            return left - right
    if op == "*" and isinstance(left, str | list):
        count = to_int(right)
        return left * count if isinstance(left, str) else list(left) * count
    if isinstance(left, datetime | timedelta | list | PSHashtable):
        raise NotEmulated(f"{type_name(left)} {op} {type_name(right)}")
    a, b = to_number(left), to_number(right)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        raise PSRuntimeError("试图除以零。", category="NotSpecified", error_id="RuntimeException")
    if op == "/":
        if isinstance(a, int) and isinstance(b, int) and a % b == 0:
            return a // b
        return a / b
    if op == "%":
        return math.fmod(a, b) if isinstance(a, float) or isinstance(b, float) else int(math.fmod(a, b))
    raise NotEmulated(f"the operator {op}")
