"""Where a placeholder may stand in a command: only where a quoted value stays one word.

A value is quoted for its shell (``'...'`` for POSIX sh and PowerShell, bare or ``"..."`` for
cmd.exe). That quoting is only safe outside every string: inside ``"x {{p}}"`` the quotes otcctl
adds are literal characters and ``$(...)`` in the value would run. So a placeholder inside a
string, a comment, a here-document, a ``${...}`` expansion, backticks or after an escape
character is refused, by ``validate`` and again when the plan is rendered. Command
substitutions (``$(...)``) open a fresh unquoted context and are fine, even inside ``"..."``.
"""

from __future__ import annotations

import re
from typing import Literal

from otcctl.i18n import N_

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}")
ShellContext = Literal["sh", "powershell", "cmd"]

PS_SINGLE = "'\u2018\u2019\u201a\u201b"  # every character PowerShell reads as a single quote
PS_DOUBLE = '"\u201c\u201d\u201e'  # every character PowerShell reads as a double quote


def unsafe_placeholders(text: str, context: ShellContext) -> list[tuple[str, str]]:
    """(placeholder name, why) for each placeholder that stands where quoting cannot protect it."""
    scanner = {"sh": _scan_sh, "powershell": _scan_powershell, "cmd": _scan_cmd}[context]
    return scanner(text)


def _at_placeholder(text: str, i: int) -> re.Match[str] | None:
    return PLACEHOLDER.match(text, i) if text.startswith("{{", i) else None


def _scan_sh(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    stack: list[str] = ["top"]  # top, cmdsub, paren, dq, bq, brace
    heredoc = False
    i, n = 0, len(text)
    word_start = True
    while i < n:
        match = _at_placeholder(text, i)
        if match:
            where = stack[-1]
            if heredoc:
                found.append((match.group(1), N_("inside a here-document, where quotes are literal")))
            elif where not in ("top", "cmdsub", "paren"):
                found.append((match.group(1), _WHY_SH[where]))
            i, word_start = match.end(), False
            continue
        c = text[i]
        where = stack[-1]
        if where in ("top", "cmdsub", "paren"):
            if c == "\\":
                if _at_placeholder(text, i + 1):
                    found.append((PLACEHOLDER.match(text, i + 1).group(1), N_("after a backslash")))  # type: ignore[union-attr]
                i += 2
                continue
            if c == "'":
                end = text.find("'", i + 1)
                inner = text[i + 1 : len(text) if end < 0 else end]
                found.extend((m.group(1), _IN_SINGLE) for m in PLACEHOLDER.finditer(inner))
                i = n if end < 0 else end + 1
                word_start = False
                continue
            if c == "#" and word_start:
                end = text.find("\n", i)
                inner = text[i : len(text) if end < 0 else end]
                found.extend((m.group(1), N_("inside a comment")) for m in PLACEHOLDER.finditer(inner))
                i = n if end < 0 else end
                continue
            if text.startswith("<<", i) and not text.startswith("<<<", i):
                heredoc = True
            if c == ")" and where in ("cmdsub", "paren"):
                stack.pop()
            elif c == "(":
                stack.append("paren")
            i = _open(text, i, stack, c)
            word_start = c in " \t\n;|&()"
            continue
        # inside "...", `...` or ${...}
        if c == "\\":
            if _at_placeholder(text, i + 1):
                found.append((PLACEHOLDER.match(text, i + 1).group(1), N_("after a backslash")))  # type: ignore[union-attr]
            i += 2
            continue
        if (where == "dq" and c == '"') or (where == "bq" and c == "`") or (where == "brace" and c == "}"):
            stack.pop()
            i += 1
            continue
        i = _open(text, i, stack, c)
    return found


def _open(text: str, i: int, stack: list[str], c: str) -> int:
    """Push what opens at ``i`` (``$(``, ``${``, ``"``, backtick); return the next index."""
    if text.startswith("$(", i):
        stack.append("cmdsub")
        return i + 2
    if text.startswith("${", i):
        stack.append("brace")
        return i + 2
    if c == '"' and stack[-1] != "brace":
        stack.append("dq")
    elif c == "`":
        stack.append("bq")
    return i + 1


_IN_SINGLE = N_("inside '...', where quotes are literal")
_WHY_SH = {
    "dq": N_('inside "...", where the quotes otcctl adds are literal and $(...) in the value would run'),
    "bq": N_("inside backticks"),
    "brace": N_("inside ${...}"),
}


def _scan_powershell(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    stack: list[str] = ["top"]  # top, subexpr, dq
    i, n = 0, len(text)
    while i < n:
        match = _at_placeholder(text, i)
        if match:
            if stack[-1] == "dq":
                found.append((match.group(1), N_('inside "...", where $(...) in the value would run')))
            i = match.end()
            continue
        c = text[i]
        if c == "`":
            if _at_placeholder(text, i + 1):
                found.append((PLACEHOLDER.match(text, i + 1).group(1), N_("after a backtick")))  # type: ignore[union-attr]
            i += 2
            continue
        if stack[-1] == "dq":
            if c in PS_DOUBLE:
                if i + 1 < n and text[i + 1] in PS_DOUBLE:
                    i += 2
                    continue
                stack.pop()
            elif text.startswith("$(", i):
                stack.append("subexpr")
                i += 2
                continue
            i += 1
            continue
        if c in PS_SINGLE:
            j = i + 1
            while j < n:
                if text[j] in PS_SINGLE:
                    if j + 1 < n and text[j + 1] in PS_SINGLE:
                        j += 2
                        continue
                    break
                j += 1
            inner = text[i + 1 : j]
            found.extend((m.group(1), _IN_SINGLE) for m in PLACEHOLDER.finditer(inner))
            i = j + 1
            continue
        if text.startswith("@'", i) or text.startswith('@"', i):
            close = "'@" if text[i + 1] == "'" else '"@'
            end = text.find(close, i + 2)
            inner = text[i : len(text) if end < 0 else end]
            found.extend((m.group(1), N_("inside a here-string")) for m in PLACEHOLDER.finditer(inner))
            i = n if end < 0 else end + 2
            continue
        if text.startswith("<#", i):
            end = text.find("#>", i)
            inner = text[i : len(text) if end < 0 else end]
            found.extend((m.group(1), N_("inside a comment")) for m in PLACEHOLDER.finditer(inner))
            i = n if end < 0 else end + 2
            continue
        if c == "#" and (i == 0 or text[i - 1] in " \t\n;{}()|"):
            end = text.find("\n", i)
            inner = text[i : len(text) if end < 0 else end]
            found.extend((m.group(1), N_("inside a comment")) for m in PLACEHOLDER.finditer(inner))
            i = n if end < 0 else end
            continue
        if c in PS_DOUBLE:
            stack.append("dq")
        elif text.startswith("$(", i):
            stack.append("subexpr")
            i += 2
            continue
        elif c == "(" and stack[-1] == "subexpr":
            stack.append("subexpr")
        elif c == ")" and stack[-1] == "subexpr":
            stack.pop()
        i += 1
    return found


def _scan_cmd(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    quoted = False
    i, n = 0, len(text)
    while i < n:
        match = _at_placeholder(text, i)
        if match:
            if quoted:
                found.append((match.group(1), N_('inside "...": cmd.exe cannot quote a value there')))
            i = match.end()
            continue
        c = text[i]
        if c == "^" and not quoted:
            if _at_placeholder(text, i + 1):
                found.append((PLACEHOLDER.match(text, i + 1).group(1), N_("after ^")))  # type: ignore[union-attr]
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        i += 1
    return found
