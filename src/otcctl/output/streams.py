"""What becomes of an output stream whose reader went away, kept apart from rich so plain output needs none.

``otcctl run ... | head -1``: once ``head`` exits, every write to the pipe fails. The run must go
on (it acts on hosts and keeps a journal; the view is only a view), so the stream is pointed at
``/dev/null`` and the view goes quiet, instead of rich's default ``SystemExit(1)`` between two steps.
"""

from __future__ import annotations

import contextlib
import os
from typing import IO


def silence(stream: IO[str]) -> None:
    """Point ``stream``'s file descriptor at ``/dev/null``: later writes, and the flush at exit, succeed."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)


def is_plain(stream: IO[str], environ: dict[str, str] | None = None) -> bool:
    """True when ``stream`` is surely not a terminal: no tty, and nothing in the environment forces one.

    Only then does a run write its lines without rich. Any variable rich reads to force terminal
    output (``FORCE_COLOR``, ``TTY_COMPATIBLE``, ``TTY_INTERACTIVE``, a notebook) leaves the decision
    to rich, so every output looks as it did.
    """
    env = os.environ if environ is None else environ
    if any(env.get(name) for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS",
                                      "JUPYTER_LINES")):
        return False
    try:
        return not stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False
