"""Notify steps: e-mail and/or chat robot to the departments, each channel bounded in time."""

from __future__ import annotations

import time

from otcctl.plan.steps import PlannedNotify
from otcctl.steps.base import StepContext, TargetResult


def send(planned: PlannedNotify, ctx: StepContext) -> TargetResult:
    """Send by every channel; the result lists who got what by which channel."""
    from otcctl.connectors.notify import send_notification

    started = time.monotonic()
    if ctx.cancel.is_set():
        return TargetResult("notify", False, "interrupted before sending")
    ctx.sent("notify")
    result = send_notification(
        ctx.connections.inventory,
        list(planned.departments),
        planned.text["subject"],
        planned.text["message"],
        list(planned.channels),
        masker=ctx.connections.masker,
        environ=ctx.connections.environ,
        timeout=planned.channel_timeout,
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
