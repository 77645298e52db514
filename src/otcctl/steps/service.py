"""Service steps: status, stop or start, then wait (up to ``settle``) for the wanted state.

Every command is sent with what is left of the step's timeout and with the run's cancel, so
Ctrl-C stops a hanging ``sc stop`` or ``systemctl start`` at once.
"""

from __future__ import annotations

import time

from otcctl.connectors.base import CommandOutput, CommandRunner
from otcctl.plan.steps import PlannedService, PlannedServiceStep, PlannedTarget
from otcctl.steps.base import Budget, StepContext, TargetResult

STATUS_TIMEOUT = 30.0
STABLE_SECONDS = 3.0  # a started service must still run this long after: some die right after start


def control_services(
    planned: PlannedServiceStep, target: PlannedTarget, ctx: StepContext, budget: Budget
) -> TargetResult:
    """Send each control command, then poll each service's state until it is as wanted."""
    started = time.monotonic()
    runner = ctx.connections.runner(target.host_id)
    windows = target.transport == "winrm"
    want = planned.want
    states: dict[str, str] = {}
    log: list[str] = []
    for service in target.services:
        if ctx.cancel.is_set() or budget.spent:
            states[service.name] = "not done (interrupted)" if ctx.cancel.is_set() else "not done (timeout)"
            continue
        if service.control_command is not None:
            out = runner.run(
                service.control_command, budget.left(), cancel=ctx.cancel, on_sent=lambda: ctx.sent(target.host_id)
            )
            if out.cancelled or out.timed_out:
                stop = "stopped on the host" if out.kill_delivered else "NOT confirmed stopped on the host"
                log.append(f"$ {service.control_command} -> {'interrupted' if out.cancelled else 'timed out'}, {stop}")
                states[service.name] = "unknown"
                continue
            log.append(f"$ {service.control_command} -> exit {out.exit_code}")
            refusal = _refusal(out, service, target, ctx) if windows else None
            if refusal is not None:  # waiting cannot help: say why now instead of polling until settle
                return TargetResult(target.host_id, False, refusal, out.exit_code, "\n".join(log),
                                    out.stdout + out.stderr, time.monotonic() - started, final=True)
        settle_until = time.monotonic() + (planned.settle if service.control_command else 0)
        while True:
            state = service_state(runner, service, windows, ctx, budget)
            if state == want or time.monotonic() >= settle_until or ctx.cancel.is_set() or budget.spent:
                break
            ctx.sleep(1.0)
        states[service.name] = state
    died = _died_after_start(runner, target, states, planned, windows, ctx, budget)
    if died:
        return TargetResult(target.host_id, False, f"started, then stopped again within {STABLE_SECONDS:g}s: "
                            f"{', '.join(died)}; it dies right after starting: read its log on the host",
                            duration=time.monotonic() - started, stdout="\n".join(log),
                            details={"services": {**states, **dict.fromkeys(died, "stopped")}})
    wrong = {k: v for k, v in states.items() if v != want}
    listing = ", ".join(f"{k} {v}" for k, v in states.items())
    reason = f"all {want}: {listing}" if not wrong else f"expected {want}: {listing}"
    if ctx.cancel.is_set():
        reason = f"interrupted by the operator; {listing}"
    return TargetResult(
        target.host_id,
        not wrong,
        reason,
        duration=time.monotonic() - started,
        stdout="\n".join(log),
        details={"services": states},
    )


def service_state(
    runner: CommandRunner, service: PlannedService, windows: bool, ctx: StepContext, budget: Budget
) -> str:
    """running, stopped, or unknown when the query itself did not end."""
    out = runner.run(service.status_command, max(1.0, min(STATUS_TIMEOUT, budget.left())), cancel=ctx.cancel)
    if out.exit_code is None:
        return "unknown"
    if windows:
        from otcctl.connectors.winrm import parse_sc_state

        return str(parse_sc_state(out.stdout))
    return "running" if out.exit_code == 0 else "stopped"


def _refusal(out: CommandOutput, service: PlannedService, target: PlannedTarget, ctx: StepContext) -> str | None:
    from otcctl.connectors.winrm_failures import sc_refusal

    user = ctx.connections.inventory.hosts[target.host_id].user
    return sc_refusal(out.exit_code, out.stdout + out.stderr, service=service.name, host=target.host_id, user=user)


def _died_after_start(
    runner: CommandRunner,
    target: PlannedTarget,
    states: dict[str, str],
    planned: PlannedServiceStep,
    windows: bool,
    ctx: StepContext,
    budget: Budget,
) -> list[str]:
    if planned.operation != "start":
        return []
    started = [s for s in target.services if s.control_command is not None and states.get(s.name) == planned.want]
    if not started or ctx.cancel.is_set() or budget.left() < STABLE_SECONDS:
        return []
    ctx.sleep(STABLE_SECONDS)
    return [s.name for s in started if service_state(runner, s, windows, ctx, budget) != planned.want]
