"""Time gates: not before a wall-clock time in Asia/Shanghai, whatever the machine's zone.

A ``wait`` gate counts down visibly (progress events) and can be cancelled; ``--no-wait``
or a ``refuse`` gate stops instead of waiting, so an operator never blocks a terminal by
surprise.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING

from otcctl.domain.clock import SHANGHAI
from otcctl.model.durations import parse_clock
from otcctl.steps.base import TargetResult

if TYPE_CHECKING:
    from otcctl.plan.steps import PlannedTimeGate
    from otcctl.steps.base import StepContext


def seconds_until(gate: time, now: datetime) -> float:
    """Seconds from ``now`` until today's ``gate`` in Shanghai; zero or less when it has passed."""
    local = now.astimezone(SHANGHAI)
    target = local.replace(hour=gate.hour, minute=gate.minute, second=0, microsecond=0)
    return (target - local).total_seconds()


def wait_for_gate(planned: PlannedTimeGate, ctx: StepContext) -> TargetResult:
    """Pass at or after the gate; wait (with countdown) or refuse before it; never wait past the timeout."""
    gate = parse_clock(planned.gate)
    remaining = seconds_until(gate, ctx.now())
    local = ctx.now().astimezone(SHANGHAI).strftime("%H:%M:%S")
    if remaining <= 0:
        return TargetResult("-", True, f"it is {local} Asia/Shanghai, not before {planned.gate}")
    if planned.mode == "refuse" or ctx.no_wait:
        why = "--no-wait was given" if ctx.no_wait else "the gate refuses rather than waits"
        return TargetResult("-", False, f"it is {local} Asia/Shanghai, before {planned.gate} ({why})")
    if remaining > planned.timeout:
        return TargetResult("-", False, f"{planned.gate} is {remaining:.0f}s away, beyond the step's timeout")
    while remaining > 0:
        if ctx.cancel.is_set():
            return TargetResult("-", False, "interrupted while waiting")
        ctx.progress(f"waiting for {planned.gate} Asia/Shanghai: {_clock(remaining)} to go")
        ctx.sleep(min(remaining, 1.0))
        remaining = seconds_until(gate, ctx.now())
    return TargetResult("-", True, f"waited until {planned.gate} Asia/Shanghai")


def _clock(seconds: float) -> str:
    whole = int(seconds + 0.999)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"
