"""Port steps: TCP connects, all of a host's ports within the step's timeout."""

from __future__ import annotations

import time

from otcctl.plan.steps import PlannedPort, PlannedTarget
from otcctl.steps.base import Budget, StepContext, TargetResult, port_open


def check_ports(planned: PlannedPort, target: PlannedTarget, ctx: StepContext, budget: Budget) -> TargetResult:
    """Each port open (or closed) as the step wants; a port not tried in time is a failure."""
    want_open = planned.state == "open"
    started = time.monotonic()
    states: dict[str, str] = {}
    for port, name in target.ports:
        key = f"{port} {name}"
        if ctx.cancel.is_set():
            states[key] = "not checked (interrupted)"
            continue
        if budget.spent:
            states[key] = "not checked (timeout)"
            continue
        is_open = port_open(target.address, port, min(planned.connect_timeout, budget.left()))
        states[key] = "open" if is_open else "closed"
    wanted = "open" if want_open else "closed"
    wrong = [k for k, v in states.items() if v != wanted]
    listing = ", ".join(f"{k}: {v}" for k, v in states.items())
    reason = f"all {wanted}: {listing}" if not wrong else f"not as expected: {listing}"
    return TargetResult(
        target.host_id, not wrong, reason, duration=time.monotonic() - started, details={"ports": states}
    )
