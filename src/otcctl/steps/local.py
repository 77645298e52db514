"""Local steps: a command on the operator's machine, with a declared environment.

The command sees only the variables the runbook names (plus PATH, HOME, LANG, LC_ALL, TZ and
otcctl's own OTCCTL_* paths), never the operator's whole environment with its tokens. Output
is read as it comes (bounded memory: the tail is kept, the whole is scanned), the timeout is
enforced, and Ctrl-C stops the command's whole process group at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping

from otcctl.connectors.base import OUTPUT_LIMIT, CommandOutput, tail
from otcctl.plan.steps import PlannedLocal
from otcctl.steps.base import Budget, StepContext, TargetResult
from otcctl.steps.command import command_result
from otcctl.steps.conditions import OutputScan

ALWAYS_PASSED = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER", "LOGNAME")
POLL = 0.05


def local_environment(names: tuple[str, ...], environ: Mapping[str, str]) -> dict[str, str]:
    """The environment a local step gets: the declared names, a few basics, otcctl's own paths."""
    keep = {k: v for k, v in environ.items() if k in ALWAYS_PASSED or k in names or _otcctl_path(k)}
    # otcctl's own directory first on PATH: a local step calling `otcctl ...` gets this very installation
    keep["PATH"] = os.path.dirname(sys.executable) + os.pathsep + environ.get("PATH", os.defpath)
    return keep


def _otcctl_path(name: str) -> bool:
    return name in ("OTCCTL_STATE_DIR", "OTCCTL_RUNBOOKS", "OTCCTL_INVENTORY", "OTCCTL_CALENDAR_DIR")


def run_local(planned: PlannedLocal, ctx: StepContext, budget: Budget) -> TargetResult:
    """Run the command under /bin/sh; stop its process group on timeout or cancel."""
    target = planned.targets[0]
    assert target.command is not None
    scan = OutputScan(planned.step.expect, "utf-8")
    started = time.monotonic()
    proc = subprocess.Popen(
        ["/bin/sh", "-c", target.command],
        env=local_environment(planned.environment, ctx.connections.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    ctx.sent("local")
    kept = {"stdout": bytearray(), "stderr": bytearray()}
    lock = threading.Lock()

    def pump(name: str, stream: object) -> None:
        read = stream.read1  # type: ignore[attr-defined]
        while chunk := read(65536):
            with lock:
                scan.feed(name, chunk)
                kept[name] += chunk
                del kept[name][: -OUTPUT_LIMIT * 2]

    readers = [
        threading.Thread(target=pump, args=(name, pipe), daemon=True)
        for name, pipe in (("stdout", proc.stdout), ("stderr", proc.stderr))
    ]
    for reader in readers:
        reader.start()
    timed_out = cancelled = False
    kill_delivered: bool | None = None
    while proc.poll() is None:
        if ctx.cancel.is_set():
            cancelled = True
        elif budget.spent:
            timed_out = True
        if timed_out or cancelled:
            kill_delivered = kill_group(proc)
            break
        ctx.cancel.wait(POLL)
    for reader in readers:
        reader.join(2)
    with lock:
        stdout, cut_out = tail(bytes(kept["stdout"]), "utf-8")
        stderr, cut_err = tail(bytes(kept["stderr"]), "utf-8")
    output = CommandOutput(
        None if (timed_out or cancelled) else proc.returncode,
        stdout,
        stderr,
        time.monotonic() - started,
        timed_out,
        cut_out or cut_err or scan.bytes_seen > OUTPUT_LIMIT * 2,
        cancelled=cancelled,
        kill_delivered=kill_delivered,
    )
    return command_result("local", output, planned.step.expect, planned.timeout, scan)


def kill_group(proc: subprocess.Popen[bytes]) -> bool:
    """TERM the process group, KILL it after 2 s; True when it is gone."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(2)
        return True
    except ProcessLookupError:
        return True
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        try:
            proc.wait(2)
        except subprocess.TimeoutExpired:
            return False
        return True
