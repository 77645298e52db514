"""SIGHUP and SIGTERM end a run the way Ctrl-C does: the command is stopped, the record written.

A closed terminal (SIGHUP) or a ``kill`` (SIGTERM) must not leave a command running on a host
with nothing in the journal. While a run executes, both raise :class:`Interrupted` in the main
thread, like Ctrl-C's KeyboardInterrupt, so the engine cancels the step and writes its records.
Only the first signal interrupts: later ones (a second Ctrl-C) are noted and ignored until the
records are written, so impatience never loses the ``step-interrupted`` record.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

HANDLED = (signal.SIGINT, signal.SIGHUP, signal.SIGTERM)
WHY = {signal.SIGINT: "Ctrl-C", signal.SIGHUP: "the terminal was closed", signal.SIGTERM: "terminated"}


_received: list[int] = []
"""Signals that interrupted a run in this process (the CLI's exit code reads the first)."""


def exit_code() -> int | None:
    """128 + the signal that interrupted a run here, or None (a plain Ctrl-C outside a run)."""
    return 128 + _received[0] if _received else None


class Interrupted(KeyboardInterrupt):
    """A signal ended the run; ``exit_code`` is 128 + the signal number (130, 129, 143)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        self.exit_code = 128 + signum
        super().__init__(f"{self.name}: {WHY.get(signal.Signals(signum), 'signal')}")


@contextmanager
def signals_interrupt() -> Iterator[None]:
    """While inside, SIGINT, SIGHUP and SIGTERM raise :class:`Interrupted` once in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if fired:
            return  # already stopping: let the records be written
        fired.append(signum)
        _received.append(signum)
        raise Interrupted(signum)

    previous = {sig: signal.signal(sig, handler) for sig in HANDLED}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def reason(exc: BaseException) -> str:
    """What the journal says about why the run stopped."""
    if isinstance(exc, Interrupted):
        return f"{exc.name} ({WHY.get(signal.Signals(exc.signum), 'signal')})"
    return "SIGINT (Ctrl-C)"
