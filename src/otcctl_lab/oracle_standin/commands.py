"""The SQL*Plus commands the stand-in understands: SET, VARIABLE, EXEC assignments, WHENEVER, EXIT.

Each option is matched the way SQL*Plus matches it, by its shortest allowed abbreviation
(``set pages 0``, ``set feed off``). An option SQL*Plus does not have is its own SP2-0158
error; an option it has but the stand-in does not imitate is refused by :class:`NotEmulated`,
so a script never runs under settings that were silently ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from otcctl_lab.oracle_standin.functions import OraError, format_date, unimplemented
from otcctl_lab.oracle_standin.render import NotEmulated, Settings

# full name, shortest abbreviation, and the values accepted when the option changes nothing here
_OPTIONS: tuple[tuple[str, int], ...] = (
    ("pagesize", 5), ("linesize", 3), ("heading", 3), ("colsep", 6), ("trimspool", 5), ("trimout", 4),
    ("feedback", 4), ("echo", 4), ("verify", 3), ("termout", 4), ("underline", 3), ("newpage", 4),
    ("tab", 3), ("define", 3), ("sqlblanklines", 5), ("sqlterminator", 4), ("numwidth", 4), ("long", 4),
    ("longchunksize", 5), ("null", 4), ("wrap", 3), ("recsep", 6), ("timing", 4), ("time", 2),
    ("autoprint", 5), ("arraysize", 5), ("flush", 3), ("serveroutput", 9), ("embedded", 3), ("headsep", 5),
    ("markup", 4), ("autocommit", 4), ("autotrace", 5), ("colinvisible", 7), ("describe", 4), ("escape", 3),
    ("pause", 3), ("space", 3), ("sqlprompt", 4), ("sqlprefix", 6), ("sqlnumber", 4), ("showmode", 4),
    ("scan", 4), ("truncate", 3), ("concat", 3), ("blockterminator", 3), ("cmdsep", 4), ("sqlcase", 4),
)
_NO_EFFECT = {  # options that change nothing for a script read from stdin, in these values
    "echo": ("on", "off"), "verify": ("on", "off"), "termout": ("on",), "trimspool": ("on", "off"),
    "tab": ("on", "off"), "long": None, "longchunksize": None, "timing": ("off",), "time": ("off",),
    "autoprint": ("off",), "arraysize": None, "flush": ("on", "off"), "serveroutput": ("off",),
    "embedded": ("off",), "wrap": ("on",), "recsep": ("off", "wrapped"), "define": ("off",),
}


@dataclass
class Variable:
    """A bind variable declared with VARIABLE."""

    kind: str  # "varchar2" or "number"
    size: int
    value: object = None


@dataclass
class Flags:
    """Script state besides output settings."""

    sqlblanklines: bool = False
    sqlterminator: str | None = ";"
    define: bool = True
    on_sqlerror: int | None = None  # exit code, or None to continue


def apply_set(text: str, settings: Settings, flags: Flags) -> None:
    """One SET command (several options may follow one SET)."""
    words = _words(text)
    if not words:
        raise NotEmulated("SET without an option")
    while words:
        given = words.pop(0)
        option = _option(given)
        if not words:
            raise NotEmulated(f"SET {given} without a value")
        value = words.pop(0)
        _apply(option, value, settings, flags)


def _apply(option: str, value: str, settings: Settings, flags: Flags) -> None:
    low = value.lower()
    if option == "pagesize":
        settings.pagesize = _int(option, value, 0, 50000)
    elif option == "linesize":
        settings.linesize = _int(option, value, 1, 32767)
    elif option == "numwidth":
        settings.numwidth = _int(option, value, 2, 50)
    elif option in ("heading", "trimout"):
        setattr(settings, option, _on_off(option, low))
    elif option == "colsep":
        settings.colsep = value
    elif option == "null":
        settings.null_text = value
    elif option == "feedback":
        settings.feedback = {"on": 1, "off": 0}.get(low, 0) if low in ("on", "off") else _int(option, value, 0, 50000)
    elif option == "underline":
        settings.underline = "-" if low == "on" else "" if low == "off" else value[:1]
    elif option == "newpage":
        settings.newpage = None if low == "none" else _int(option, value, 0, 999)
    elif option == "sqlblanklines":
        flags.sqlblanklines = _on_off(option, low)
    elif option == "sqlterminator":
        flags.sqlterminator = ";" if low == "on" else None if low == "off" else value[:1]
    elif option in _NO_EFFECT:
        allowed = _NO_EFFECT[option]
        if allowed is not None and low not in allowed:
            raise NotEmulated(f"SET {option.upper()} {value.upper()}")
        if option == "define":
            flags.define = False
    else:
        raise NotEmulated(f"SET {option.upper()}")


def declare(text: str, variables: dict[str, Variable]) -> str | None:
    """VARIABLE name type; returns an SP2 message when the declaration is not valid."""
    match = re.fullmatch(r"\s*([A-Za-z][A-Za-z0-9_$#]*)\s+(\w+)\s*(?:\(\s*(\d+)\s*(?:char|byte)?\s*\))?\s*", text,
                         re.IGNORECASE)
    if not match:
        return "SP2-0553: Illegal variable name \"" + text.strip().split(" ")[0] + "\"."
    name, kind, size = match.group(1).lower(), match.group(2).lower(), match.group(3)
    if kind in ("varchar2", "char", "nvarchar2", "nchar"):
        length = int(size or 1)
        if not 1 <= length <= 4000:
            return "SP2-0398: Maximum length of a VARCHAR2 variable is 4000"
        variables[name] = Variable("varchar2", length)
    elif kind == "number" and size is None:
        variables[name] = Variable("number", 0)
    else:
        raise NotEmulated(f"VARIABLE of type {kind.upper()}")
    return None


def assign(text: str, variables: dict[str, Variable]) -> str | None:
    """EXEC :name := literal [|| chr(n) || ...]; returns an SP2 message for an undeclared name."""
    match = re.fullmatch(r"\s*:([A-Za-z][A-Za-z0-9_$#]*)\s*:=\s*(.*?)\s*;?\s*", text, re.DOTALL)
    if not match:
        raise unimplemented("PL/SQL beyond ':name := value' assignments")
    name = match.group(1).lower()
    if name not in variables:
        return f'SP2-0552: Bind variable "{name.upper()}" not declared.'
    variable = variables[name]
    value = _expression(match.group(2), variables)
    if variable.kind == "number" and value is not None:
        try:
            value = float(str(value)) if "." in str(value) else int(str(value))
        except ValueError:
            raise OraError("ORA-06502", "PL/SQL: numeric or value error: character to number conversion error"
                           ) from None
    elif value is not None and len(str(value)) > variable.size:
        raise OraError("ORA-06502", "PL/SQL: numeric or value error: character string buffer too small")
    variable.value = value
    return None


def whenever(text: str, flags: Flags) -> None:
    """WHENEVER SQLERROR|OSERROR EXIT [SUCCESS|FAILURE|WARNING|n] | CONTINUE."""
    words = [w.lower() for w in text.split()]
    if len(words) < 2 or words[0] not in ("sqlerror", "oserror"):
        raise NotEmulated(f"WHENEVER {text}")
    if words[1] == "continue":
        code = None
    elif words[1] == "exit":
        code = exit_code(words[2] if len(words) > 2 else "failure")
    else:
        raise NotEmulated(f"WHENEVER {text}")
    if words[0] == "sqlerror":
        flags.on_sqlerror = code


def exit_code(word: str) -> int:
    """The OS exit code for EXIT's argument (UNIX values)."""
    named = {"success": 0, "failure": 1, "warning": 2}
    if word.lower() in named:
        return named[word.lower()]
    if re.fullmatch(r"\d+", word):
        return int(word) & 255
    raise NotEmulated(f"EXIT {word}")


def check_date_format(fmt: str) -> None:
    """ALTER SESSION SET NLS_DATE_FORMAT must name a format the stand-in can print."""
    from datetime import datetime

    format_date(datetime(2000, 1, 1), fmt)


def _expression(text: str, variables: dict[str, Variable]) -> object:
    parts = re.split(r"\s*\|\|\s*", text.strip())
    values: list[str] = []
    for part in parts:
        if re.fullmatch(r"'(?:[^']|'')*'", part):
            values.append(part[1:-1].replace("''", "'"))
        elif (chr_match := re.fullmatch(r"chr\(\s*(\d+)\s*\)", part, re.IGNORECASE)):
            values.append(chr(int(chr_match.group(1))))
        elif re.fullmatch(r"-?\d+(\.\d+)?", part):
            values.append(part)
        elif part.lower() == "null":
            continue
        elif (var := re.fullmatch(r":([A-Za-z][A-Za-z0-9_$#]*)", part)) and var.group(1).lower() in variables:
            current = variables[var.group(1).lower()].value
            values.append("" if current is None else str(current))
        else:
            raise unimplemented(f"the PL/SQL expression {part[:40]!r}")
    joined = "".join(values)
    return joined or None


def _option(given: str) -> str:
    low = given.lower()
    for name, shortest in _OPTIONS:
        if len(low) >= shortest and name.startswith(low):
            return name
    raise UnknownOption(given)


class UnknownOption(NotEmulated):
    """SQL*Plus has no such option: it says so itself (SP2-0158) and carries on."""

    def __init__(self, given: str) -> None:
        super().__init__(f'SP2-0158: unknown SET option "{given}"')


def _on_off(option: str, value: str) -> bool:
    if value not in ("on", "off"):
        raise NotEmulated(f"SET {option.upper()} {value}")
    return value == "on"


def _int(option: str, value: str, low: int, high: int) -> int:
    if not re.fullmatch(r"\d+", value) or not low <= int(value) <= high:
        raise NotEmulated(f"SET {option.upper()} {value} (SQL*Plus: out of range or not a number)")
    return int(value)


def _words(text: str) -> list[str]:
    """SET's words; a quoted value keeps its blanks (``set colsep ' | '``)."""
    return [m.group(1) if m.group(1) is not None else m.group(2) if m.group(2) is not None else m.group(3)
            for m in re.finditer(r"'((?:[^']|'')*)'|\"([^\"]*)\"|(\S+)", text)]
