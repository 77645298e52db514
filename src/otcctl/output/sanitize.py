"""Remote text shown at a terminal: control sequences made visible, never obeyed.

A host's output (or a value in it) may hold escape sequences that clear the screen, move the
cursor, set the window title or paint a fake "all checks PASSED" over the real verdict. Before
such text reaches a terminal or a confirmation prompt, every control character (C0 but
newline and tab, DEL, C1) and every bidirectional override is replaced by a visible escape
such as ``\\x1b``. The journal keeps the text as it came (JSON-escaped).
"""

from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """``text`` with control characters as visible escapes (newlines and tabs kept)."""
    return _CONTROL.sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
