"""How each kind of step is carried out on its targets, returning per-host results.

Executors use connections and judge results; they never print, never ask a person and never
write the journal: the engine does those around them. Steps done by a person (manual,
pause, notify) have no executor: their verdict is the operator's answer.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import PurePosixPath
from typing import Any

from otcctl.connectors.base import OUTPUT_LIMIT, CommandOutput, ConnectionFailed, UnsupportedStep, tail
from otcctl.model import schema as s
from otcctl.model.conditions_schema import Condition
from otcctl.plan.build import PlannedService, PlannedStep, PlannedTarget
from otcctl.steps.base import StepContext, TargetResult, port_open
from otcctl.steps.conditions import Observation, judge

SINGLE_RESULT_KINDS = ("local", "sql", "time_gate", "notify")
OFD_READ_LIMIT = 256 * 1024 * 1024


def execute(planned: PlannedStep, ctx: StepContext) -> list[TargetResult]:
    """Carry out one automated step on all its targets (parallel or one at a time in KVM order)."""
    step = planned.step
    one = _EXECUTORS.get(step.kind)
    if one is None:
        raise UnsupportedStep(f"no executor for {step.kind} steps")
    if step.kind in SINGLE_RESULT_KINDS:
        return [one(planned, planned.targets[0] if planned.targets else None, ctx)]
    if getattr(step, "order", "parallel") == "kvm" or len(planned.targets) <= 1:
        results: list[TargetResult] = []
        for target in planned.targets:
            result = _guarded(one, planned, target, ctx)
            results.append(result)
            if not result.passed or ctx.cancel.is_set():
                break  # one at a time: never go on to the next host after a failure
        return results
    width = min(len(planned.targets), ctx.max_parallel or len(planned.targets), s.FAN_OUT_LIMIT)
    with ThreadPoolExecutor(max_workers=width) as pool:
        return list(pool.map(lambda t: _guarded(one, planned, t, ctx), planned.targets))


def _guarded(
    fn: Callable[..., TargetResult], planned: PlannedStep, target: PlannedTarget, ctx: StepContext
) -> TargetResult:
    try:
        return fn(planned, target, ctx)
    except ConnectionFailed as exc:
        return TargetResult(target.host_id, False, str(exc))


def _command_result(host: str, output: CommandOutput, expect: Condition, timeout: float) -> TargetResult:
    if output.timed_out:
        return TargetResult(
            host,
            False,
            f"timed out after {timeout:g}s; the command was stopped on the host",
            None,
            output.stdout,
            output.stderr,
            output.duration,
        )
    verdict = judge(expect, Observation(output.exit_code, output.stdout, output.stderr))
    return TargetResult(
        host, verdict.passed, verdict.reason, output.exit_code, output.stdout, output.stderr, output.duration
    )


def _run_remote(planned: PlannedStep, target: PlannedTarget | None, ctx: StepContext) -> TargetResult:
    assert target is not None and target.command is not None
    runner = ctx.connections.runner(target.host_id)
    step = planned.step
    if isinstance(step, s.WinrmStep):
        output = runner.run(target.command, step.timeout, shell=step.shell, cancel=ctx.cancel)
    else:
        output = runner.run(target.command, step.timeout, cancel=ctx.cancel)
    return _command_result(target.host_id, output, step.expect, step.timeout)


def _run_local(planned: PlannedStep, target: PlannedTarget | None, ctx: StepContext) -> TargetResult:
    assert target is not None and target.command is not None
    step = planned.step
    started = time.monotonic()
    # otcctl's own directory first on PATH: a local step calling `otcctl ...` gets this very installation
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    proc = subprocess.Popen(
        ["/bin/sh", "-c", target.command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=step.timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        timed_out = True
    stdout, _ = tail(out, "utf-8")
    stderr, _ = tail(err, "utf-8")
    output = CommandOutput(
        None if timed_out else proc.returncode, stdout, stderr, time.monotonic() - started, timed_out
    )
    return _command_result("local", output, step.expect, step.timeout)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:

    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(2)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def _run_port(planned: PlannedStep, target: PlannedTarget | None, ctx: StepContext) -> TargetResult:
    assert target is not None
    step = planned.step
    want_open = step.state == "open"
    started = time.monotonic()
    states = {f"{port} {name}": port_open(target.address, port, step.connect_timeout) for port, name in target.ports}
    wrong = [k for k, is_open in states.items() if is_open != want_open]
    listing = ", ".join(f"{k}: {'open' if v else 'closed'}" for k, v in states.items())
    reason = f"all {'open' if want_open else 'closed'}: {listing}" if not wrong else f"not as expected: {listing}"
    return TargetResult(
        target.host_id,
        not wrong,
        reason,
        duration=time.monotonic() - started,
        details={"ports": {k: "open" if v else "closed" for k, v in states.items()}},
    )


def _run_file(planned: PlannedStep, target: PlannedTarget | None, ctx: StepContext) -> TargetResult:
    assert target is not None and target.path is not None
    step = planned.step
    started = time.monotonic()
    reader = ctx.connections.files(target.host_id)
    first = reader.stat(target.path)
    if first is None:
        ok = not step.exists
        return TargetResult(
            target.host_id,
            ok,
            f"{target.path} {'is absent, as required' if ok else 'has not arrived'}",
            duration=time.monotonic() - started,
        )
    if not step.exists:
        return TargetResult(target.host_id, False, f"{target.path} exists but must not")
    problems: list[str] = []
    details: dict[str, Any] = {"size": first.size, "mtime": first.mtime}
    if step.min_size is not None and first.size < step.min_size:
        problems.append(f"size {first.size} bytes < {step.min_size} (not fully arrived?)")
    if step.max_age is not None:
        age = ctx.now().timestamp() - first.mtime
        if age > step.max_age:
            problems.append(f"last modified {age:.0f}s ago, more than {step.max_age:g}s")
    if step.stable_for > 0 and not problems:
        quiet = _unchanged_for(ctx, target.host_id, first.mtime)
        if quiet is not None and quiet >= step.stable_for:
            details["unchanged_for"] = round(quiet, 1)  # the host's own clock: no need to watch it
        else:
            ctx.sleep(step.stable_for)
            second = reader.stat(target.path)
            if second is None or (second.size, second.mtime) != (first.size, first.mtime):
                problems.append(f"still being written (size {first.size} -> {second.size if second else 'gone'})")
    if step.ofd and not problems:
        from otcctl.domain.ofd import check_ofd_bytes

        data = reader.read(target.path, OFD_READ_LIMIT)
        report = check_ofd_bytes(data, filename=PurePosixPath(target.path).name, expected_date=ctx.params["date"])
        details["ofd"] = [str(p) for p in report.problems[:20]]
        if report.header is not None:
            details["records"] = report.records_found
        if not report.ok:
            problems.append(f"OFD check failed: {'; '.join(str(p) for p in report.problems[:5])}")
    reason = (
        "; ".join(problems)
        if problems
        else f"{target.path}: {first.size} bytes"
        + (f", valid OFD with {details.get('records', 0)} records" if step.ofd else "")
    )
    return TargetResult(target.host_id, not problems, reason, duration=time.monotonic() - started, details=details)


def _unchanged_for(ctx: StepContext, host_id: str, mtime: float) -> float | None:
    """Seconds since the file's modification time by the host's clock; None when that clock cannot be read.

    The host's clock, not this machine's: a host running behind would otherwise make a file
    still being written look old. ``date +%s`` truncates, so the figure errs on the short side.
    """
    try:
        output = ctx.connections.runner(host_id).run("date +%s", 10.0)
    except (ConnectionFailed, UnsupportedStep):
        return None
    try:
        return float(output.stdout.strip()) - mtime if output.exit_code == 0 else None
    except ValueError:
        return None


def _run_service(planned: PlannedStep, target: PlannedTarget | None, ctx: StepContext) -> TargetResult:
    assert target is not None
    step = planned.step
    started = time.monotonic()
    runner = ctx.connections.runner(target.host_id)
    windows = target.transport == "winrm"
    want = step.expect_state or {"status": "running", "stop": "stopped", "start": "running"}[step.operation]
    states: dict[str, str] = {}
    log: list[str] = []
    for service in target.services:
        if service.control_command is not None:
            out = runner.run(service.control_command, min(step.timeout, 120))
            log.append(f"$ {service.control_command} -> exit {out.exit_code}")
            refusal = _refusal(out, service, target, ctx) if windows else None
            if refusal is not None:  # waiting cannot help: say why now instead of polling until settle
                return TargetResult(target.host_id, False, refusal, out.exit_code, "\n".join(log),
                                    out.stdout + out.stderr, time.monotonic() - started)
        deadline = time.monotonic() + (step.settle if service.control_command else 0)
        while True:
            state = _service_state(runner, service, windows)
            if state == want or time.monotonic() >= deadline or ctx.cancel.is_set():
                break
            ctx.sleep(1.0)
        states[service.name] = state
    died = _died_after_start(runner, target, states, want, windows, ctx) if step.operation == "start" else []
    if died:
        return TargetResult(target.host_id, False, f"started, then stopped again within {STABLE_SECONDS:g}s: "
                            f"{', '.join(died)}; it dies right after starting: read its log on the host",
                            duration=time.monotonic() - started, stdout="\n".join(log),
                            details={"services": {**states, **dict.fromkeys(died, "stopped")}})
    wrong = {k: v for k, v in states.items() if v != want}
    listing = ", ".join(f"{k} {v}" for k, v in states.items())
    reason = f"all {want}: {listing}" if not wrong else f"expected {want}: {listing}"
    return TargetResult(
        target.host_id,
        not wrong,
        reason,
        duration=time.monotonic() - started,
        stdout="\n".join(log),
        details={"services": states},
    )


STABLE_SECONDS = 3.0  # a started service must still run this long after: some die right after start


def _refusal(out: Any, service: PlannedService, target: PlannedTarget, ctx: StepContext) -> str | None:
    from otcctl.connectors.winrm_failures import sc_refusal

    user = ctx.connections.inventory.hosts[target.host_id].user
    return sc_refusal(out.exit_code, out.stdout + out.stderr, service=service.name, host=target.host_id, user=user)


def _died_after_start(runner: Any, target: PlannedTarget, states: dict[str, str], want: str, windows: bool,
                      ctx: StepContext) -> list[str]:
    started = [s for s in target.services if s.control_command is not None and states.get(s.name) == want]
    if not started or ctx.cancel.is_set():
        return []
    ctx.sleep(STABLE_SECONDS)
    return [s.name for s in started if _service_state(runner, s, windows) != want]


def _service_state(runner: Any, service: PlannedService, windows: bool) -> str:
    out = runner.run(service.status_command, 60)
    if windows:
        from otcctl.connectors.winrm import parse_sc_state

        return str(parse_sc_state(out.stdout))
    return "running" if out.exit_code == 0 else "stopped"


def _run_sql(planned: PlannedStep, target: PlannedTarget | None, ctx: StepContext) -> TargetResult:
    assert target is not None and planned.sql is not None
    step = planned.step
    runner = ctx.connections.sql(step.database, target.host_id)
    from otcctl.connectors.base import SqlFailed

    try:
        result = runner.query(planned.sql, planned.binds, step.timeout, step.max_rows)
    except SqlFailed as exc:
        return TargetResult(target.host_id, False, str(exc))
    verdict = judge(step.expect, Observation(columns=result.columns, rows=result.rows))
    shown = "\n".join(" | ".join("" if v is None else str(v) for v in row) for row in result.rows[:20])
    header = " | ".join(result.columns)
    return TargetResult(
        target.host_id,
        verdict.passed,
        verdict.reason,
        stdout=f"{header}\n{shown}"[:OUTPUT_LIMIT],
        duration=result.duration,
        details={"rows": len(result.rows)},
    )


def _run_notify(planned: PlannedStep, target: PlannedTarget | None, ctx: StepContext) -> TargetResult:
    from otcctl.connectors.notify import send_notification

    step = planned.step
    started = time.monotonic()
    result = send_notification(
        ctx.connections.inventory,
        list(step.departments),
        planned.text["subject"],
        planned.text["message"],
        list(step.channels),
        masker=ctx.connections.masker,
        environ=ctx.connections.environ,
        timeout=min(step.timeout, 60.0),
    )
    reason = "; ".join(f"{r.channel}: {r.detail}" for r in result.results)
    sent_to = [f"{r.channel}: {', '.join(r.recipients)}" for r in result.results if r.recipients]
    return TargetResult(
        "notify",
        result.ok,
        reason,
        stdout="\n".join(sent_to),
        duration=time.monotonic() - started,
        details={
            "channels": [
                {"channel": r.channel, "ok": r.ok, "detail": r.detail, "recipients": list(r.recipients)}
                for r in result.results
            ]
        },
    )


def _run_time_gate(planned: PlannedStep, target: PlannedTarget | None, ctx: StepContext) -> TargetResult:
    from otcctl.steps.gates import wait_for_gate

    return wait_for_gate(planned, ctx)


def _run_reboot(planned: PlannedStep, target: PlannedTarget | None, ctx: StepContext) -> TargetResult:
    from otcctl.steps.reboot import reboot_and_wait

    assert target is not None
    return reboot_and_wait(planned, target, ctx)


_EXECUTORS: dict[str, Callable[[PlannedStep, PlannedTarget | None, StepContext], TargetResult]] = {
    "shell": _run_remote,
    "winrm": _run_remote,
    "local": _run_local,
    "port": _run_port,
    "file": _run_file,
    "service": _run_service,
    "sql": _run_sql,
    "time_gate": _run_time_gate,
    "notify": _run_notify,
    "reboot": _run_reboot,
}
