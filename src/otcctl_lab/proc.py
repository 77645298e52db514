"""Process and socket plumbing for the lab: pid files, detaching, stopping, probing.

Lab processes are detached (double fork) so that no caller has to reap them, and they are
stopped by recorded pid only. Before a signal is sent, ``/proc`` is asked whether the pid still
belongs to this lab, because a stale pid file may by now name somebody else's process.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")


def read_pid(path: Path) -> int | None:
    """The pid a pid file holds, or None when it is missing or not a number."""
    try:
        text = path.read_text(encoding="ascii").split()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return int(text[0]) if text and text[0].isdigit() else None


def start_time(pid: int) -> str | None:
    """When the process started (clock ticks since boot, from /proc), or None when unknown.

    A pid and its start time name one process for good: a recycled pid has another start time.
    """
    try:
        stat = (_PROC / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


def write_pid(path: Path, pid: int) -> None:
    """Record a pid and its start time atomically (see :func:`live_pid`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(f"{pid} {start_time(pid) or ''}".rstrip() + "\n", encoding="ascii")
    os.replace(temporary, path)


def live_pid(path: Path) -> int | None:
    """The pid recorded by :func:`write_pid` if that very process still runs, else None."""
    try:
        text = path.read_text(encoding="ascii").split()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    if not text or not text[0].isdigit():
        return None
    pid = int(text[0])
    if not pid_alive(pid):
        return None
    if len(text) > 1 and start_time(pid) not in (None, text[1]):
        return None
    return pid


def pid_alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie.

    A killed daemon that nobody reaps stays a zombie (in containers PID 1 often does not reap),
    and ``kill(pid, 0)`` still succeeds on it; a zombie holds no socket, so it counts as dead.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = (_PROC / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def belongs_to(pid: int, marker: str) -> bool:
    """Whether ``marker`` (an absolute path) is a word of the process's command line.

    Used for sshd, which writes its own pid file; its command line names its config file.
    Without ``/proc`` (not Linux) there is no way to tell, and the pid file is trusted.
    """
    try:
        cmdline = (_PROC / str(pid) / "cmdline").read_bytes()
    except FileNotFoundError:
        return not _PROC.is_dir()
    except OSError:
        return False
    words = cmdline.decode("utf-8", errors="replace").split("\0")
    return any(word == marker or f" {marker} " in f" {word} " for word in words)


def descendants(pid: int) -> list[int]:
    """Children, grandchildren... of ``pid`` (sshd's sessions and the commands they run)."""
    parents: dict[int, list[int]] = {}
    for entry in _PROC.glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if len(fields) > 1 and fields[1].isdigit():
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    queue = [pid]
    while queue:
        children = parents.get(queue.pop(), [])
        found.extend(children)
        queue.extend(children)
    return found


def terminate(pids: Iterable[int], grace: float = 3.0) -> list[int]:
    """SIGTERM, then SIGKILL whatever is still alive after ``grace`` seconds; returns the pids signalled.

    Already-dead pids are fine: stopping a lab that half crashed must still work.
    """
    targets = [p for p in dict.fromkeys(pids) if p != os.getpid() and pid_alive(p)]
    for pid in targets:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    if not wait_until(lambda: not any(pid_alive(p) for p in targets), grace):
        for pid in targets:
            if pid_alive(pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not any(pid_alive(p) for p in targets), 2.0)
    return targets


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass; returns its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def port_open(address: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on ``address:port``."""
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_free(address: str, port: int) -> bool:
    """Whether a listener could bind ``address:port`` now (SO_REUSEADDR, as the lab's own listeners do)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError:
            return False
    return True


def ssh_banner(address: str, port: int, timeout: float = 1.0) -> str | None:
    """The SSH identification line the server sends first, or None when there is no SSH server."""
    try:
        with socket.create_connection((address, port), timeout=timeout) as conn:
            conn.settimeout(timeout)
            data = b""
            while b"\n" not in data and len(data) < 256:
                chunk = conn.recv(256)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    line = data.split(b"\n", 1)[0].decode("ascii", errors="replace").strip()
    return line if line.startswith("SSH-") else None


@dataclass(frozen=True)
class Detached:
    """Which side of :func:`detach` we are on; ``pipe`` is the readiness channel's end."""

    in_daemon: bool
    pipe: int


def detach(log: Path) -> Detached:
    """Double-fork into a daemon with its own session, stdio on ``log``; call single-threaded only.

    The original process gets the read end of a pipe on which the daemon reports readiness
    (see :func:`report_ready` and :func:`await_ready`); a daemon that dies early closes it.
    Detaching also closes an SSH session's stdout, so a command run over SSH returns at once.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    first = os.fork()
    if first:
        os.close(write_end)
        os.waitpid(first, 0)
        return Detached(in_daemon=False, pipe=read_end)
    try:
        os.close(read_end)
        os.setsid()
        if os.fork():
            os._exit(0)
        null = os.open(os.devnull, os.O_RDONLY)
        out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(null)
        os.close(out)
        os.chdir("/")
    except BaseException:
        os._exit(1)
    return Detached(in_daemon=True, pipe=write_end)


def report_ready(pipe: int, problem: str | None = None) -> None:
    """Tell the waiting original process that the daemon is up, or why it is not."""
    with contextlib.suppress(OSError):
        os.write(pipe, (f"error: {problem}" if problem else "ok").encode("utf-8", errors="replace"))
    with contextlib.suppress(OSError):
        os.close(pipe)


def await_ready(pipe: int, timeout: float = 15.0) -> str | None:
    """Wait for the daemon's report: None when it is ready, else the problem it gave."""
    data = b""
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            readable = select.select([pipe], [], [], left)[0] if left > 0 else []
            if not readable:
                return "did not report within the time allowed"
            chunk = os.read(pipe, 4096)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(pipe)
    text = data.decode("utf-8", errors="replace")
    if text == "ok":
        return None
    return text.removeprefix("error: ") or "exited before it was ready (see its log)"
