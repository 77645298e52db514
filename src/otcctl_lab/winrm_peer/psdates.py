""".NET date formats as a zh-CN Windows applies them: ``ToString('yyyy-MM-dd')`` and ``ParseExact``.

Custom format strings are read specifier by specifier (``yyyy MM M dd d HH H hh h mm m ss s
f..fffffff``, quoted literals, ``\\`` escapes, ``/`` and ``:`` as zh-CN's separators, which are
``/`` and ``:``); the standard one-letter formats zh-CN defines are expanded first. Month and day
names, AM/PM designators and time zones (``MMM``, ``ddd``, ``tt``, ``z``, ``K``) are refused, not
guessed.
"""

from __future__ import annotations

import re
from datetime import datetime

from otcctl_lab.winrm_peer.psvalues import NotEmulated, PSRuntimeError

ZH_CN_STANDARD = {
    "d": "yyyy/M/d", "D": "yyyy'年'M'月'd'日'", "t": "H:mm", "T": "H:mm:ss", "g": "yyyy/M/d H:mm",
    "G": "yyyy/M/d H:mm:ss", "s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss", "f": "yyyy'年'M'月'd'日' H:mm",
    "F": "yyyy'年'M'月'd'日' H:mm:ss", "u": "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
}
DISPLAY_FORMAT = "yyyy'年'M'月'd'日' H:mm:ss"
_FIELDS = {"y": "year", "M": "month", "d": "day", "H": "hour", "h": "hour12", "m": "minute", "s": "second",
           "f": "fraction"}


def _tokens(fmt: str) -> list[tuple[str, str]]:
    """('field', 'yyyy') and ('literal', '-') pieces of a custom format."""
    if len(fmt) == 1:
        if fmt not in ZH_CN_STANDARD:
            raise NotEmulated(f"the standard date format {fmt!r}")
        fmt = ZH_CN_STANDARD[fmt]
    pieces: list[tuple[str, str]] = []
    index = 0
    while index < len(fmt):
        char = fmt[index]
        if char in "'\"":
            end = fmt.find(char, index + 1)
            if end < 0:
                raise PSRuntimeError("输入字符串的格式不正确。", error_id="FormatException")
            pieces.append(("literal", fmt[index + 1:end]))
            index = end + 1
        elif char == "\\" and index + 1 < len(fmt):
            pieces.append(("literal", fmt[index + 1]))
            index += 2
        elif char in _FIELDS:
            end = index
            while end < len(fmt) and fmt[end] == char:
                end += 1
            run = fmt[index:end]
            if (char == "M" and len(run) > 2) or (char == "d" and len(run) > 2) or (char in "Hhms" and len(run) > 2) \
                    or (char == "f" and len(run) > 7) or (char == "y" and len(run) == 3):
                raise NotEmulated(f"the date format {fmt!r} (names and unusual widths are not emulated)")
            pieces.append(("field", run))
            index = end
        elif char in "tzKgF%":
            raise NotEmulated(f"the date format {fmt!r} (designators, eras and time zones are not emulated)")
        else:
            pieces.append(("literal", char))
            index += 1
    return pieces


def format_date(value: datetime, fmt: str) -> str:
    """``value.ToString(fmt)`` on a zh-CN host."""
    out: list[str] = []
    for kind, text in _tokens(fmt):
        if kind == "literal":
            out.append(text)
            continue
        char, width = text[0], len(text)
        if char == "y":
            out.append(f"{value.year % 100:0{width}d}" if width <= 2 else f"{value.year:0{width}d}")
        elif char == "f":
            out.append(f"{value.microsecond:06d}0"[:width])
        else:
            number = {"M": value.month, "d": value.day, "H": value.hour, "h": value.hour % 12 or 12,
                      "m": value.minute, "s": value.second}[char]
            out.append(f"{number:0{width}d}")
    return "".join(out)


def parse_exact(text: str, fmt: str) -> datetime:
    """``[datetime]::ParseExact(text, fmt, $null)``: the whole text must match the format."""
    pattern, fields = "", []
    for kind, piece in _tokens(fmt):
        if kind == "literal":
            pattern += re.escape(piece)
            continue
        char, width = piece[0], len(piece)
        if char == "y":
            pattern += r"(\d{4})" if width == 4 else r"(\d{2})" if width == 2 else r"(\d{1,4})"
        elif char == "f":
            pattern += rf"(\d{{{width}}})"
        else:
            pattern += r"(\d{2})" if width == 2 else r"(\d{1,2})"
        fields.append(piece)
    match = re.fullmatch(pattern, text)
    if match is None:
        raise _not_a_date()
    parts = {"year": 1, "month": 1, "day": 1, "hour": 0, "minute": 0, "second": 0, "microsecond": 0}
    for piece, digits in zip(fields, match.groups(), strict=True):
        char = piece[0]
        if char == "y":
            parts["year"] = int(digits) + (2000 if len(piece) == 2 and int(digits) < 50 else
                                           1900 if len(piece) == 2 else 0)
        elif char == "f":
            parts["microsecond"] = int((digits + "000000")[:6])
        elif char == "h":
            raise NotEmulated("parsing 12-hour times without an AM/PM designator")
        else:
            parts[{"M": "month", "d": "day", "H": "hour", "m": "minute", "s": "second"}[char]] = int(digits)
    try:
        return datetime(parts["year"], parts["month"], parts["day"], parts["hour"], parts["minute"],
                        parts["second"], parts["microsecond"])
    except ValueError:
        raise _not_a_date() from None


def _not_a_date() -> PSRuntimeError:
    return PSRuntimeError("该字符串未被识别为有效的 DateTime。", error_id="FormatException",
                          exception="FormatException")
