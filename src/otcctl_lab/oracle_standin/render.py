"""How SQL*Plus prints a query result, for the settings the stand-in emulates.

Column widths follow SQL*Plus's rules: a NUMBER column is as wide as NUMWIDTH or its heading,
right-justified; a DATE column is as wide as its date format; a character column is as wide as
the column is declared (so a heading longer than that is cut, as ``select dummy from dual``
shows ``D``). Expressions have no declared width here: they get their longest value or their
heading. What SQL*Plus would wrap (a row wider than LINESIZE, a value wider than its column)
is refused rather than imitated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from otcctl_lab.oracle_standin.functions import decode, format_date, is_date, number_text


class NotEmulated(Exception):
    """SQL*Plus would do something here that the stand-in does not imitate."""


@dataclass
class Settings:
    """The SET values that shape output, with SQL*Plus's own defaults."""

    pagesize: int = 14
    linesize: int = 80
    heading: bool = True
    colsep: str = " "
    trimout: bool = True
    feedback: int = 6  # 0 = OFF; n = print "n rows selected." from n rows on
    underline: str = "-"  # "" = OFF
    newpage: int | None = 1  # None = NONE
    numwidth: int = 10
    null_text: str = ""
    date_format: str = "DD-MON-RR"
    ascii_only: bool = False  # NLS_LANG without a UTF-8 character set: non-ASCII prints as '?'


@dataclass(frozen=True)
class Column:
    """A result column as printed: heading, kind (number, date or text) and width."""

    heading: str
    kind: str
    width: int


def columns_for(headings: list[str], rows: list[tuple[object, ...]], declared: list[str | None],
                settings: Settings) -> list[Column]:
    """Kinds and widths from the values and, for plain columns, the declared type."""
    out: list[Column] = []
    for index, heading in enumerate(headings):
        values = [row[index] for row in rows if row[index] is not None]
        kind_declared = (declared[index] or "").upper()
        if (values and all(is_date(v) for v in values)) or (not values and kind_declared.startswith("DATE")):
            sample = format_date(datetime(2000, 1, 1), settings.date_format)
            width = len(sample)
            out.append(Column(heading[:width], "date", width))
        elif (values and all(isinstance(v, int | float) for v in values)) or (
            not values and kind_declared.startswith("NUMBER")
        ):
            out.append(Column(heading, "number", max(settings.numwidth, len(heading))))
        else:
            size = _declared_size(kind_declared)
            if size is None:
                size = max([len(heading), *(len(_text(v, settings)) for v in values)])
            out.append(Column(heading[:size], "text", max(size, 1)))
    return out


def render(columns: list[Column], rows: list[tuple[object, ...]], settings: Settings) -> list[str]:
    """The lines SQL*Plus prints for this result, feedback included."""
    lines: list[str] = []
    show_heading = settings.heading and settings.pagesize > 0
    per_page = max(1, settings.pagesize - (2 if settings.underline else 1)) if settings.pagesize > 0 else len(rows)
    for page_start in range(0, len(rows), per_page):
        if settings.pagesize > 0:
            if settings.newpage is not None:
                lines.extend(["\f"] if settings.newpage == 0 else [""] * settings.newpage)
            if show_heading:
                lines.append(_line([_justify(c.heading, c) for c in columns], settings))
                if settings.underline:
                    lines.append(_line([settings.underline * c.width for c in columns], settings))
        for row in rows[page_start : page_start + per_page]:
            cells = [_cell(value, column, settings) for value, column in zip(row, columns, strict=True)]
            lines.append(_line(cells, settings))
    count = len(rows)
    if settings.feedback and count == 0:
        lines += ["", "no rows selected"]
    elif settings.feedback and count >= settings.feedback:
        lines += ["", f"{count} row{'s' if count != 1 else ''} selected."]
    lines.append("")
    return lines


def _cell(value: object, column: Column, settings: Settings) -> str:
    text = settings.null_text if value is None else _text(value, settings)
    if column.kind == "number" and isinstance(value, float) and len(text) > column.width:
        text = _fit(value, column.width)
    if len(text) > column.width:
        raise NotEmulated(f"a value wider than its column ({text[:20]!r}...) would be wrapped by SQL*Plus")
    return _justify(text, column)


def _fit(value: float, width: int) -> str:
    """Fewer decimals until the number fits, as SQL*Plus rounds to NUMWIDTH (never the integer part)."""
    for places in range(15, -1, -1):
        text = number_text(round(value, places))
        if len(text) <= width:
            return text
    raise NotEmulated(f"a number too wide for its column ({value!r}; SQL*Plus would print it in E notation)")


def _text(value: object, settings: Settings) -> str:
    if is_date(value):
        return format_date(decode(float(value)), settings.date_format)  # type: ignore[arg-type]
    if isinstance(value, int | float):
        return number_text(value)
    text = str(value)
    if settings.ascii_only:
        text = "".join(ch if ord(ch) < 128 else "?" for ch in text)
    return text


def _justify(text: str, column: Column) -> str:
    return text.rjust(column.width) if column.kind == "number" else text.ljust(column.width)


def _line(cells: list[str], settings: Settings) -> str:
    line = settings.colsep.join(cells)
    if settings.trimout:
        line = line.rstrip()
    if len(line) > settings.linesize:
        raise NotEmulated(f"a line of {len(line)} characters is wider than LINESIZE {settings.linesize}")
    return line


def _declared_size(declared: str) -> int | None:
    if declared.startswith(("VARCHAR2(", "CHAR(", "VARCHAR(", "NVARCHAR2(")):
        return int(declared.split("(", 1)[1].split(")", 1)[0].split()[0])
    if declared == "CHAR":
        return 1
    return None
