"""A command running on the emulated host: its output streams, its end, and the record of it.

Each WS-Management Command becomes a :class:`RunningCommand` whose program runs in a thread
and writes bytes in the shell's code page (936, GBK, by default: a Chinese Windows). Receive
takes what was written so far; Signal terminate ends it at once, as Windows kills a process.
Every command is recorded (``commands.jsonl`` in the state directory) with how it ended, so
a test or an operator can see that a timed-out command really stopped on the host.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from otcctl_lab.winrm_peer.faults import Rights

if TYPE_CHECKING:
    from otcctl_lab.winrm_peer.drives import Drives
    from otcctl_lab.winrm_peer.host import EmulatedHost

EndReason = Literal["exited", "terminated", "ctrl_c", "shell_deleted", "power_off"]
STATUS_CONTROL_C_EXIT = 0xC000013A
_CODECS = {936: "gbk", 65001: "utf-8", 437: "cp437", 54936: "gb18030"}


def codec_for(codepage: int) -> str:
    """The Python codec of a Windows code page (``cpNNN`` for the ones not named here)."""
    return _CODECS.get(codepage, f"cp{codepage}")


@dataclass(frozen=True)
class CommandRecord:
    """One command as the host saw it: what, when, and how it ended (None while it runs)."""

    command_id: str
    shell_id: str
    user: str
    command: str
    started: float
    ended: float | None = None
    exit_code: int | None = None
    end_reason: EndReason | None = None


class CommandLog:
    """Records of every command, in memory and appended to ``commands.jsonl``."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._records: dict[str, CommandRecord] = {}
        self._lock = threading.Lock()

    def write(self, record: CommandRecord) -> None:
        with self._lock:
            self._records[record.command_id] = record
            with self._path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")

    def records(self) -> list[CommandRecord]:
        with self._lock:
            return sorted(self._records.values(), key=lambda r: r.started)


@dataclass(frozen=True)
class Machine:
    """What programs may touch: the host's services and power, its disks, its name."""

    host: EmulatedHost
    drives: Drives
    hostname: str
    rights: Rights = field(default_factory=lambda: Rights(None))
    winrm_version: str = "3.0"


class RunningCommand:
    """Output buffers and end state of one command; the program runs in its own thread."""

    def __init__(self, record: CommandRecord, log: CommandLog, codepage: int) -> None:
        self.record = record
        self.codepage = codepage
        self._log = log
        self._cond = threading.Condition()
        self._stdout = bytearray()
        self._stderr = bytearray()
        self.cancel = threading.Event()
        self.finished = False
        self.exit_code: int | None = None
        log.write(record)

    def start(self, program: Callable[[RunningCommand], int]) -> None:
        threading.Thread(target=self._run, args=(program,), name=f"cmd-{self.record.command_id[:8]}",
                         daemon=True).start()

    def _run(self, program: Callable[[RunningCommand], int]) -> None:
        try:
            code = program(self)
        except Exception as exc:  # an emulation bug must show, not hang the client
            self.err(f"winrm peer: internal error in the emulation: {exc!r}\n")
            code = 1
        self._end(code, "ctrl_c" if self.cancel.is_set() else "exited")

    def _end(self, code: int | None, reason: EndReason) -> None:
        with self._cond:
            if self.finished:
                return
            self.finished, self.exit_code = True, code
            self._cond.notify_all()
        self.record = replace(self.record, ended=time.time(), exit_code=code, end_reason=reason)
        self._log.write(self.record)

    def kill(self, reason: EndReason) -> None:
        """End the command now (Signal terminate, shell deleted, power off)."""
        self.cancel.set()
        self._end(None, reason)

    def interrupt(self) -> None:
        """Ctrl-C: the program sees ``cancel`` and ends with STATUS_CONTROL_C_EXIT."""
        self.cancel.set()

    def out(self, text: str) -> None:
        self._write(self._stdout, text)

    def err(self, text: str) -> None:
        self._write(self._stderr, text)

    def _write(self, buffer: bytearray, text: str) -> None:
        data = text.replace("\r\n", "\n").replace("\n", "\r\n").encode(codec_for(self.codepage), errors="replace")
        with self._cond:
            if not self.finished:
                buffer.extend(data)
                self._cond.notify_all()

    def sleep(self, seconds: float) -> bool:
        """Wait like a program does; False when it was interrupted or killed meanwhile."""
        return not self.cancel.wait(seconds)

    def receive(self, wait: float, limit: int) -> tuple[bytes, bytes, bool, int | None] | None:
        """Output written since the last call (up to ``limit`` bytes per stream) and whether it ended.

        Waits up to ``wait`` seconds for something to report; None when nothing came (the
        client then gets the OperationTimeout fault and asks again).
        """
        with self._cond:
            if not self._cond.wait_for(lambda: self._stdout or self._stderr or self.finished, timeout=wait):
                return None
            out, err = bytes(self._stdout[:limit]), bytes(self._stderr[:limit])
            del self._stdout[:limit]
            del self._stderr[:limit]
            done = self.finished and not self._stdout and not self._stderr
            return out, err, done, self.exit_code if done else None


@dataclass(frozen=True)
class Invocation:
    """Everything an emulated program gets: its command (streams, sleep), the machine, the caller."""

    cmd: RunningCommand
    machine: Machine
    user: str
    console_stdin: bool = True
