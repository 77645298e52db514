"""Put parameter values into commands safely: quoted for the shell that will read them.

A runbook writes ``{{keep_months}}``; the value is quoted for the context it lands in (POSIX
shell, PowerShell, cmd.exe, a file path) and never pasted as raw text. SQL never takes values
this way at all: they travel as bind variables.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Literal

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}")
QUOTED_PLACEHOLDER = re.compile(r"""['"]\{\{|\}\}['"]""")
_CMD_SAFE = re.compile(r"^[A-Za-z0-9_.:\\/+=,@-]*$")
_CMD_FORBIDDEN = set('"%!^&|<>\r\n')

Context = Literal["sh", "powershell", "cmd", "path", "raw"]


class TemplateError(ValueError):
    """A placeholder names nothing, or a value cannot be made safe for its context."""


def placeholders(text: str) -> list[str]:
    """Names used in a template, in order of first use."""
    seen: dict[str, None] = {}
    for match in PLACEHOLDER.finditer(text):
        seen.setdefault(match.group(1), None)
    return list(seen)


def quote(value: str, context: Context) -> str:
    """Quote one value for where it lands."""
    if context == "sh":
        return shlex.quote(value)
    if context == "powershell":
        return "'" + value.replace("'", "''") + "'"
    if context == "cmd":
        if _CMD_SAFE.match(value):
            return value
        bad = sorted(set(value) & _CMD_FORBIDDEN)
        if bad:
            raise TemplateError(f"value {value!r} has characters cmd.exe cannot take safely: {''.join(bad)}")
        return f'"{value}"'
    if context == "path":
        if "\x00" in value or ".." in value.replace("\\", "/").split("/"):
            raise TemplateError(f"value {value!r} cannot go into a path ('..' or NUL)")
        return value
    return value


def render(text: str, values: Mapping[str, str], context: Context) -> str:
    """Replace each ``{{name}}`` by its value quoted for ``context``."""

    def _one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise TemplateError(f"{{{{{name}}}}} names no parameter")
        return quote(values[name], context)

    return PLACEHOLDER.sub(_one, text)
