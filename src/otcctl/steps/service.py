"""Service steps: status, stop or start, then wait (up to ``settle``) for the wanted state.

Every command is sent with what is left of the step's timeout and with the run's cancel, so
Ctrl-C stops a hanging ``sc stop`` or ``systemctl start`` at once.
"""

from __future__ import annotations

import time

from otcctl.connectors.base import CommandRunner
from otcctl.plan.steps import PlannedService, PlannedServiceStep, PlannedTarget
from otcctl.steps.base import Budget, StepContext, TargetResult

STATUS_TIMEOUT = 30.0


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
            out = runner.run(service.control_command, budget.left(), cancel=ctx.cancel)
            if out.cancelled or out.timed_out:
                stop = "stopped on the host" if out.kill_delivered else "NOT confirmed stopped on the host"
                log.append(f"$ {service.control_command} -> {'interrupted' if out.cancelled else 'timed out'}, {stop}")
                states[service.name] = "unknown"
                continue
            log.append(f"$ {service.control_command} -> exit {out.exit_code}")
        settle_until = time.monotonic() + (planned.settle if service.control_command else 0)
        while True:
            state = service_state(runner, service, windows, ctx, budget)
            if state == want or time.monotonic() >= settle_until or ctx.cancel.is_set() or budget.spent:
                break
            ctx.sleep(1.0)
        states[service.name] = state
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
