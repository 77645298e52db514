"""One run of a procedure at a time: the second is refused by name; a dead holder frees the lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from otcctl.run.lock import RunbookBusy, RunLock

HOLDER = {"run_id": "20261130-160000-monthly-restart", "operator": "ops1", "machine": "jump1", "since": "16:00"}


def test_second_run_is_refused_naming_the_holder(tmp_path: Path) -> None:
    first = RunLock(tmp_path, "monthly-restart")
    first.acquire(HOLDER)
    try:
        with pytest.raises(RunbookBusy) as caught:
            RunLock(tmp_path, "monthly-restart").acquire({"operator": "ops2"})
        message = str(caught.value)
        assert "20261130-160000-monthly-restart" in message and "ops1" in message and "jump1" in message
        RunLock(tmp_path, "market-open").acquire(HOLDER)  # another procedure is not blocked
    finally:
        first.release()
    second = RunLock(tmp_path, "monthly-restart")
    second.acquire({"operator": "ops2"})
    second.release()


def test_a_holder_killed_with_sigkill_leaves_the_lock_free(tmp_path: Path) -> None:
    script = (
        "import sys, time; from pathlib import Path; from otcctl.run.lock import RunLock;"
        f"RunLock(Path({str(tmp_path)!r}), 'monthly-restart').acquire({{'operator': 'ops1'}});"
        "print('held', flush=True); time.sleep(60)"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        with pytest.raises(RunbookBusy):
            RunLock(tmp_path, "monthly-restart").acquire({"operator": "ops2"})
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        child.kill()
    deadline = time.monotonic() + 5
    lock = RunLock(tmp_path, "monthly-restart")
    while True:
        try:
            lock.acquire({"operator": "ops2"})
            break
        except RunbookBusy:
            assert time.monotonic() < deadline, "the lock of a killed holder was never released"
            time.sleep(0.05)
    lock.release()
