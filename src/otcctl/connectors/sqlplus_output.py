"""Reading SQL*Plus 10g query output back into columns and rows.

The script (see :mod:`otcctl.connectors.sqlplus`) prints a begin marker, one heading line,
one underline line, the rows (columns separated by :data:`COLSEP`, trailing blanks trimmed),
the feedback line ``n rows selected.`` and an end marker. The feedback count is what makes the
reading exact: a NULL in a one-column result is an empty line, and without the count it could
not be told from the blank line SQL*Plus puts before the feedback.

What cannot be read back is refused, never guessed: a value containing a line break or the
separator, a row wider than the line, a missing marker.
"""

from __future__ import annotations

import re

BEGIN_MARK = "OTCCTL-ROWS-BEGIN"
END_MARK = "OTCCTL-ROWS-END"
COLSEP = "|~|"

_ERROR = re.compile(r"^\s*((?:ORA|SP2|PLS|TNS|CPY)-\d{4,5}:?.*)$")
_FEEDBACK = re.compile(r"^(?:(\d+) rows? selected\.|no rows selected)$")
_NUMBER = re.compile(r"^-?(?:\d+\.?\d*|\.\d+)(?:E[+-]?\d+)?$")


class SqlplusOutputUnreadable(Exception):
    """The output does not have the shape the script asks for; the message says what is off."""


def error_lines(text: str, *, skip_rows: bool = True) -> list[str]:
    """Oracle and SQL*Plus error lines (ORA-, SP2-, PLS-, TNS-) in order, with SQL*Plus's position.

    With ``skip_rows`` the lines between the markers are left out when the run got that far,
    so a value that happens to start with "ORA-" (an alert log line) is not taken for an error.
    """
    lines = text.splitlines()
    begin = _index(lines, BEGIN_MARK)
    end = _rindex(lines, END_MARK)
    if skip_rows and begin is not None and end is not None and end > begin:
        lines = lines[:begin] + lines[end + 1 :]
    found: list[str] = []
    for line in lines:
        match = _ERROR.match(line)
        if match and match.group(1).strip() not in found:
            found.append(match.group(1).strip())
    if found:
        context = next((ln.strip() for ln in lines if ln.strip().startswith("ERROR at line")), None)
        if context:
            found[-1] += f" ({context.rstrip(':')} of the query)"
    return found[:6]


def parse_rows(stdout: str) -> tuple[tuple[str, ...], list[tuple[object, ...]]]:
    """Column names and rows between the markers; NULL (an empty cell) is None.

    A column whose heading is right-justified, or whose cells are right-aligned, and whose every
    value is a number is returned as int or float, as the thin route's driver would.
    """
    lines = stdout.splitlines()
    begin = _index(lines, BEGIN_MARK)
    end = _rindex(lines, END_MARK)
    if begin is None or end is None or end < begin:
        raise SqlplusOutputUnreadable(
            "sqlplus did not print the whole result (a marker is missing); output began: "
            + _excerpt(stdout)
        )
    body = [ln.rstrip() for ln in lines[begin + 1 : end]]
    while body and not body[-1]:
        body.pop()
    if not body or not _FEEDBACK.match(body[-1].strip()):
        raise SqlplusOutputUnreadable("sqlplus printed no 'rows selected' line; output was: " + _excerpt(stdout))
    count_text = _FEEDBACK.match(body[-1].strip())
    assert count_text is not None
    count = int(count_text.group(1) or 0)
    body.pop()
    while body and not body[0]:
        body.pop(0)
    if count == 0:
        return (), []
    if len(body) < count + 2:
        raise SqlplusOutputUnreadable(f"sqlplus reported {count} rows but printed fewer lines")
    heading, underline, row_lines = body[0], body[1], body[2 : 2 + count]
    extra = [ln for ln in body[2 + count :] if ln.strip()]
    names = heading.split(COLSEP)
    width = len(names)
    if not underline or set(underline.replace(COLSEP, "")) - {"-", " "}:
        raise SqlplusOutputUnreadable("the heading is not followed by its underline (is a row wider than the line?)")
    cells: list[list[str]] = []
    for line in row_lines:
        parts = line.split(COLSEP)
        if len(parts) == 1 and not line.strip():
            parts = [""] * width  # every column NULL: trimmed to an empty line
        if len(parts) != width:
            raise SqlplusOutputUnreadable(
                "a row does not split into its columns: a value contains a line break or the column separator "
                f"{COLSEP!r}; select it through replace(..., chr(10), ' ')"
            )
        cells.append(parts)
    if extra:
        raise SqlplusOutputUnreadable(
            "more lines than rows: a value contains a line break; select it through replace(..., chr(10), ' ')"
        )
    columns = tuple(name.strip() for name in names)
    numeric = [_is_numeric(names[i], [row[i] for row in cells]) for i in range(width)]
    rows = [tuple(_value(row[i], numeric[i]) for i in range(width)) for row in cells]
    return columns, rows


def _is_numeric(heading: str, cells: list[str]) -> bool:
    """A NUMBER column: values all numbers, right-justified heading or right-aligned cells."""
    values = [c for c in cells if c.strip()]
    if not values or not all(_NUMBER.match(c.strip()) for c in values):
        return False
    return heading.startswith(" ") or any(c.startswith(" ") for c in values)


def _value(cell: str, numeric: bool) -> object:
    text = cell.strip()
    if not text:
        return None
    if numeric:
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        return float(text)
    return text


def _index(lines: list[str], mark: str) -> int | None:
    return next((i for i, ln in enumerate(lines) if ln.strip() == mark), None)


def _rindex(lines: list[str], mark: str) -> int | None:
    return next((i for i in range(len(lines) - 1, -1, -1) if lines[i].strip() == mark), None)


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat[:200]) if flat else "(nothing)"
