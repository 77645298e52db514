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

from otcctl.i18n import N_
from otcctl.model.quoting import PLACEHOLDER, PS_SINGLE, unsafe_placeholders

__all__ = ["PLACEHOLDER", "Context", "TemplateError", "placeholders", "quote", "render"]

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
    if "\x00" in value:
        raise TemplateError(N_("a value cannot contain a NUL character"))
    if context == "sh":
        return shlex.quote(value)
    if context == "powershell":
        # PowerShell ends a '...' string at any of ' U+2018 U+2019 U+201A U+201B; each is doubled
        return "'" + "".join(c + c if c in PS_SINGLE else c for c in value) + "'"
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
    """Replace each ``{{name}}`` by its value quoted for ``context``.

    A placeholder where quoting cannot protect it (inside a string, a comment...) is refused
    here too, whatever validate said: the plan never holds a command a value could break out of.
    """
    if context in ("sh", "powershell", "cmd"):
        unsafe = unsafe_placeholders(text, context)
        if unsafe:
            name, why = unsafe[0]
            raise TemplateError(f"{{{{{name}}}}} stands {why}; put it outside any quotes (otcctl quotes it)")

    def _one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise TemplateError(f"{{{{{name}}}}} names no parameter")
        return quote(values[name], context)

    return PLACEHOLDER.sub(_one, text)
