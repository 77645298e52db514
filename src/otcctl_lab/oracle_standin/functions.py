"""The few Oracle functions the stand-in emulates on SQLite, and how it stores DATE values.

SQLite has no DATE type. A DATE is kept as a number of days (``DATE_BASE`` + proleptic
ordinal + fraction of the day), because that is what Oracle's date arithmetic already is:
``sysdate - 1`` is yesterday, ``d1 - d2`` is a number of days, dates compare in order. The
base is far below any value the lab's data holds, so a value in that band is known to be a
date when it is printed.

What a function cannot do the Oracle way raises :class:`OraError`, never a guess.
"""

from __future__ import annotations

import calendar
import math
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

DATE_BASE = -1_000_000_000.0
_DATE_SPAN = 3_700_000  # ordinals up to 9999-12-31
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_ELEMENT = re.compile(r'YYYY|RRRR|YY|RR|MONTH|MON|MM|DD|HH24|HH12|HH|MI|SS|"[^"]*"|[-/:., ;]', re.IGNORECASE)


class OraError(Exception):
    """An error as Oracle would report it: code, text, and where in the statement if known."""

    def __init__(self, code: str, text: str, note: str | None = None, position: tuple[int, int] | None = None) -> None:
        self.code, self.text, self.note, self.position = code, text, note, position
        super().__init__(self.line())

    def line(self) -> str:
        """``ORA-nnnnn: text``, with the stand-in's note when it refuses something Oracle would do."""
        note = f" (otcctl sqlplus stand-in: {self.note})" if self.note else ""
        return f"{self.code}: {self.text}{note}"


def unimplemented(what: str, position: tuple[int, int] | None = None) -> OraError:
    """The stand-in's honest refusal: Oracle's own "unimplemented feature" code, and what."""
    return OraError("ORA-03001", "unimplemented feature", f"{what} is not emulated", position)


def encode(moment: datetime) -> float:
    """A DATE as the stand-in stores it."""
    seconds = moment.hour * 3600 + moment.minute * 60 + moment.second
    return DATE_BASE + moment.toordinal() + seconds / 86400


def is_date(value: object) -> bool:
    """Whether a stored value is a DATE (see the module docstring)."""
    return isinstance(value, int | float) and DATE_BASE < value < DATE_BASE + _DATE_SPAN


def decode(value: float) -> datetime:
    """The datetime a stored DATE stands for, to the second."""
    days = value - DATE_BASE
    ordinal = math.floor(days)
    seconds = round((days - ordinal) * 86400)
    return datetime.fromordinal(ordinal) + timedelta(seconds=seconds)


def format_date(moment: datetime, fmt: str) -> str:
    """TO_CHAR(date, fmt) for the common elements; anything else is ORA-01821."""
    out: list[str] = []
    for token in _tokens(fmt):
        upper = token.upper()
        if upper in ("YYYY", "RRRR"):
            out.append(f"{moment.year:04d}")
        elif upper in ("YY", "RR"):
            out.append(f"{moment.year % 100:02d}")
        elif upper == "MM":
            out.append(f"{moment.month:02d}")
        elif upper == "MON":
            out.append(MONTHS[moment.month - 1])
        elif upper == "DD":
            out.append(f"{moment.day:02d}")
        elif upper == "HH24":
            out.append(f"{moment.hour:02d}")
        elif upper in ("HH", "HH12"):
            out.append(f"{(moment.hour % 12) or 12:02d}")
        elif upper == "MI":
            out.append(f"{moment.minute:02d}")
        elif upper == "SS":
            out.append(f"{moment.second:02d}")
        elif token.startswith('"'):
            out.append(token[1:-1])
        elif upper == "MONTH":
            raise unimplemented("the MONTH format element")
        else:
            out.append(token)
    return "".join(out)


def parse_date(text: str, fmt: str) -> datetime:
    """TO_DATE(text, fmt) for the elements :func:`format_date` knows."""
    pattern = ""
    for token in _tokens(fmt):
        upper = token.upper()
        widths = {"YYYY": 4, "RRRR": 4, "MM": 2, "DD": 2, "HH24": 2, "HH": 2, "HH12": 2, "MI": 2, "SS": 2}
        if upper in widths:
            pattern += rf"(?P<{upper.rstrip('4').rstrip('2')}>\d{{1,{widths[upper]}}})"
        elif upper == "MON":
            pattern += r"(?P<MON>[A-Za-z]{3})"
        elif token.startswith('"'):
            pattern += re.escape(token[1:-1])
        elif upper in ("YY", "RR", "MONTH"):
            raise unimplemented(f"the {upper} element in TO_DATE")
        else:
            pattern += re.escape(token)
    match = re.fullmatch(pattern, text.strip(), re.IGNORECASE)
    if not match:
        raise OraError("ORA-01861", "literal does not match format string")
    parts = {k: v for k, v in match.groupdict().items() if v is not None}
    month = MONTHS.index(parts["MON"].upper()) + 1 if "MON" in parts else int(parts.get("MM", 1))
    try:
        return datetime(
            int(parts.get("YYYY", parts.get("RRRR", 1))), month, int(parts.get("DD", 1)),
            int(parts.get("HH", 0)), int(parts.get("MI", 0)), int(parts.get("SS", 0)),
        )
    except ValueError:
        raise OraError("ORA-01847", "day of month must be between 1 and last day of month") from None


def number_text(value: int | float) -> str:
    """A number as Oracle prints it without a format: no trailing .0, no leading 0 before the point."""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        text = repr(value)
        return text.replace("0.", ".", 1) if text.startswith(("0.", "-0.")) else text
    return str(value)


def _tokens(fmt: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while pos < len(fmt):
        match = _ELEMENT.match(fmt, pos)
        if not match:
            raise OraError("ORA-01821", "date format not recognized", f"format {fmt!r} at {fmt[pos:]!r}")
        tokens.append(match.group(0))
        pos = match.end()
    return tokens


@dataclass
class Functions:
    """The UDFs of one session; remembers the Oracle error a UDF raised (SQLite only says "raised")."""

    today: date
    date_format: str = "DD-MON-RR"
    error: OraError | None = None
    now: Callable[[], datetime] = field(default=datetime.now)

    def install(self, connection: sqlite3.Connection) -> None:
        """Register every emulated function under the ``otc_`` name the translator uses."""
        for name, arity, func in (
            ("otc_sysdate", 0, self._sysdate),
            ("otc_trunc", -1, self._trunc),
            ("otc_round", -1, self._round),
            ("otc_add_months", 2, self._add_months),
            ("otc_to_char", -1, self._to_char),
            ("otc_to_date", -1, self._to_date),
            ("otc_to_number", 1, self._to_number),
            ("otc_nvl", 2, lambda a, b: b if a is None else a),
            ("otc_decode", -1, self._decode),
            ("otc_substr", -1, self._substr),
            ("otc_replace", -1, self._replace),
            ("otc_concat", -1, self._concat),
            ("otc_regexp_like", -1, _regexp_like),
        ):
            connection.create_function(name, arity, self._guard(func), deterministic=name != "otc_sysdate")

    def _guard(self, func: Callable[..., object]) -> Callable[..., Any]:
        def call(*args: object) -> Any:
            try:
                return func(*args)
            except OraError as exc:
                self.error = exc
                raise
            except (TypeError, ValueError, OverflowError) as exc:
                self.error = OraError("ORA-01722", "invalid number", str(exc))
                raise
        return call

    def _sysdate(self) -> float:
        clock = self.now()
        return encode(datetime.combine(self.today, clock.time().replace(microsecond=0)))

    def _trunc(self, value: object, fmt: object = None) -> object:
        if value is None:
            return None
        if is_date(value):
            moment = decode(float(value))  # type: ignore[arg-type]
            unit = str(fmt or "DD").upper()
            if unit in ("DD", "DDD", "J"):
                return encode(datetime(moment.year, moment.month, moment.day))
            if unit in ("MM", "MON", "MONTH"):
                return encode(datetime(moment.year, moment.month, 1))
            if unit in ("YYYY", "YEAR", "YY", "Y"):
                return encode(datetime(moment.year, 1, 1))
            raise unimplemented(f"TRUNC(date, {unit!r})")
        number = _number(value)
        places = int(_number(fmt)) if fmt is not None else 0
        scale = 10**places
        return math.trunc(number * scale) / scale if places else math.trunc(number)

    def _round(self, value: object, places: object = 0) -> object:
        if value is None:
            return None
        if is_date(value):
            raise unimplemented("ROUND on a DATE")
        return round(_number(value), int(_number(places)))

    def _add_months(self, value: object, months: object) -> object:
        if value is None or months is None:
            return None
        if not is_date(value):
            raise OraError("ORA-00932", "inconsistent datatypes: expected DATE got NUMBER")
        moment = decode(float(value))  # type: ignore[arg-type]
        shift = math.trunc(_number(months))
        index = moment.year * 12 + moment.month - 1 + shift
        year, month = divmod(index, 12)
        last = calendar.monthrange(year, month + 1)[1]
        was_last = moment.day == calendar.monthrange(moment.year, moment.month)[1]
        day = last if was_last or moment.day > last else moment.day
        return encode(moment.replace(year=year, month=month + 1, day=day))

    def _to_char(self, value: object, fmt: object = None) -> object:
        if value is None:
            return None
        if is_date(value):
            return format_date(decode(float(value)), str(fmt or self.date_format))  # type: ignore[arg-type]
        if fmt is not None:
            raise unimplemented("TO_CHAR with a format on a number or text")
        if isinstance(value, int | float):
            return number_text(value)
        return str(value)

    def _to_date(self, value: object, fmt: object = None) -> object:
        if value is None:
            return None
        if is_date(value):
            return value
        return encode(parse_date(number_text(value) if isinstance(value, int | float) else str(value),
                                 str(fmt or self.date_format)))

    def _to_number(self, value: object) -> object:
        if value is None or isinstance(value, int | float):
            return value
        number = _number(value)
        return int(number) if number.is_integer() and "." not in str(value) else number

    def _decode(self, *args: object) -> object:
        if len(args) < 3:
            raise OraError("ORA-00938", "not enough arguments for function")
        subject, rest = args[0], list(args[1:])
        while len(rest) >= 2:
            search, result = rest.pop(0), rest.pop(0)
            if search == subject:
                return result
        return rest[0] if rest else None

    def _substr(self, text: object, start: object, length: object = None) -> object:
        if text is None or start is None:
            return None
        value = number_text(text) if isinstance(text, int | float) else str(text)
        begin = math.trunc(_number(start))
        begin = 1 if begin == 0 else begin
        index = begin - 1 if begin > 0 else len(value) + begin
        if index < 0 or index >= len(value):
            return None
        if length is None:
            return value[index:] or None
        count = math.trunc(_number(length))
        return value[index : index + count] or None if count > 0 else None

    def _concat(self, *parts: object) -> object:
        """Oracle's ||: NULL operands count as '', and an empty result is NULL."""
        text = "".join("" if p is None else str(self._to_char(p)) for p in parts)
        return text or None

    def _replace(self, text: object, search: object, replacement: object = None) -> object:
        if text is None:
            return None
        if search is None:
            return text
        return str(text).replace(str(search), "" if replacement is None else str(replacement)) or None


def _number(value: object) -> float:
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        raise OraError("ORA-01722", "invalid number") from None


_POSIX_CLASSES = {
    "[:digit:]": r"\d", "[:alpha:]": "a-zA-Z", "[:alnum:]": "a-zA-Z0-9", "[:upper:]": "A-Z", "[:lower:]": "a-z",
    "[:space:]": r"\s", "[:xdigit:]": "0-9A-Fa-f", "[:punct:]": r"!-/:-@\[-`{-~",
}


def _regexp_like(text: object, pattern: object, flags: object = None) -> int | None:
    """REGEXP_LIKE with Oracle's match flags (i, c, n, m, x) and POSIX bracket classes."""
    if text is None or pattern is None:
        return None
    source = str(pattern)
    for posix, python in _POSIX_CLASSES.items():
        source = source.replace(posix, python)
    if "[:" in source or "[=" in source or "[." in source:
        raise unimplemented(f"the POSIX class or collation element in {pattern!r}")
    options = 0
    for flag in str(flags or ""):
        if flag == "i":
            options |= re.IGNORECASE
        elif flag == "c":
            options &= ~re.IGNORECASE
        elif flag == "n":
            options |= re.DOTALL
        elif flag == "m":
            options |= re.MULTILINE
        elif flag == "x":
            options |= re.VERBOSE
        else:
            raise OraError("ORA-01760", "illegal argument for function")
    try:
        return 1 if re.search(source, str(text), options) else 0
    except re.error:
        raise OraError("ORA-12726", "unmatched bracket in regular expression", f"Python re says: {pattern!r}") from None
