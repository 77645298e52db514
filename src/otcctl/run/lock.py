"""One run at a time per runbook, across operators and terminals on this machine.

The lock is an ``flock`` on a file in the state directory, so the kernel releases it when
the holding process dies, even by ``kill -9``: a lock file left behind by a dead process
is stale by construction and is simply taken over. The file also says who holds it and
since when, so the second operator is told whom to ask.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

from otcctl.errors import OtcctlError
from otcctl.run.state import ensure_dir, open_shared


class RunbookBusy(OtcctlError):
    """Another run of the same runbook is in progress."""


class RunLock:
    """Held for the whole run; released on close or on process exit."""

    def __init__(self, directory: Path, runbook: str) -> None:
        self.path = directory / "locks" / f"{runbook}.lock"
        self._fd = -1
        self.runbook = runbook

    def acquire(self, holder: dict[str, Any]) -> None:
        """Take the lock or raise RunbookBusy naming the holder."""
        ensure_dir(self.path.parent)
        fd = open_shared(self.path, os.O_RDWR, 0o660)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            info = _read_holder(fd)
            os.close(fd)
            who = info.get("operator", "?")
            raise RunbookBusy(
                f"{self.runbook} is already running: run {info.get('run_id', '?')} by {who} on "
                f"{info.get('machine', '?')} (pid {info.get('pid', '?')}) since {info.get('since', '?')}. "
                "Only one run of a procedure at a time; wait for it or ask that operator."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({**holder, "pid": os.getpid()}, ensure_ascii=False).encode("utf-8"))
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        """Release (the file stays; its content is overwritten by the next holder)."""
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1


def _read_holder(fd: int) -> dict[str, Any]:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = os.read(fd, 65536)
        value = json.loads(data.decode("utf-8") or "{}")
        return value if isinstance(value, dict) else {}
    except (OSError, ValueError):
        return {}
