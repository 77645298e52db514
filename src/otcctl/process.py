"""How an otcctl process starts and ends: the two costs an operator pays on every command.

Start-up builds hundreds of thousands of long-lived objects (pydantic's validators for the
runbook, inventory and journal schemas, Typer's parameters). CPython's collector, at its default
thresholds, walks them again and again while they are being made, though none of them is ever
garbage: :func:`hold_collection` makes collections rare until :func:`start_up_over`, which moves
everything built so far out of the collector's sight (``gc.freeze``) and restores the defaults,
so a run that lasts hours collects as usual and each collection skips the start-up objects.

At the end, tearing the interpreter down (every module, every schema, one by one) costs about a
tenth of a second and serves nobody: :func:`exit_now` flushes the output, runs the ``atexit``
handlers, and leaves, after waiting for the threads the interpreter would wait for, in the order
``Py_Finalize`` uses. It is for the console entry point only; the journal and ledger are closed
and fsynced by then (they are written before and after every step, never at exit).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
import threading
from typing import NoReturn

_START_UP_THRESHOLDS = (50_000, 1_000, 1_000)
_defaults: tuple[int, int, int] | None = None


def hold_collection() -> None:
    """Collect rarely while the process builds what it keeps for its whole life."""
    global _defaults
    if _defaults is None:
        _defaults = gc.get_threshold()
        gc.set_threshold(*_START_UP_THRESHOLDS)


def start_up_over() -> None:
    """Start-up objects leave the collector's view; collection goes back to its defaults."""
    global _defaults
    gc.freeze()
    if _defaults is not None:
        gc.set_threshold(*_defaults)
        _defaults = None


def exit_now(code: int) -> NoReturn:
    """Exit with ``code`` as the interpreter would (threads joined, ``atexit`` run), skipping the teardown."""
    wait_for_threads = getattr(threading, "_shutdown", None)  # what Py_Finalize calls first
    if wait_for_threads is not None:
        wait_for_threads()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe (otcctl runs | head) is no error of ours
            stream.flush()
    os._exit(code)
