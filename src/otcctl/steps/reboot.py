"""Reboot a host and wait until it is really back: gone first, then answering, then its services.

Waiting for "gone" matters: a host that has not gone down yet still answers, and a check made
too early would call a host "back" that never restarted.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from otcctl.connectors.base import ConnectionFailed
from otcctl.steps.base import TargetResult

if TYPE_CHECKING:
    from otcctl.plan.steps import PlannedReboot, PlannedTarget
    from otcctl.steps.base import Budget, StepContext

POLL = 0.5


def reboot_and_wait(planned: PlannedReboot, target: PlannedTarget, ctx: StepContext, budget: Budget) -> TargetResult:
    """Send the reboot command, wait for the host to go away, come back, and start its services.

    Every wait is bounded by its own limit and by what is left of the step's timeout.
    """
    from otcctl.steps.base import port_open

    host_id = target.host_id
    started = time.monotonic()
    assert target.command is not None
    ctx.progress(f"{host_id}: {target.command}")
    try:
        output = ctx.connections.runner(host_id).run(
            target.command, min(30.0, budget.left()), cancel=ctx.cancel, on_sent=lambda: ctx.sent(host_id)
        )
        if output.cancelled:
            return TargetResult(host_id, False, "interrupted by the operator while sending the reboot command")
        if output.exit_code not in (0, None) and not output.timed_out:
            return TargetResult(
                host_id,
                False,
                f"the reboot command failed with exit code {output.exit_code}",
                output.exit_code,
                output.stdout,
                output.stderr,
                output.duration,
            )
    except ConnectionFailed:
        pass  # the host cut the connection while going down, as it should
    ctx.connections.drop(host_id)

    deadline = min(time.monotonic() + planned.down_timeout, budget.deadline)
    while port_open(target.address, target.port, 2.0):
        if ctx.cancel.is_set():
            return TargetResult(host_id, False, "interrupted while waiting for the host to go down")
        if time.monotonic() > deadline:
            return TargetResult(
                host_id,
                False,
                f"{host_id} still answers {planned.down_timeout:g}s after the reboot command: it did not go down"
                + ("; a program on it may be holding the shutdown (without /f Windows waits for programs to "
                   "close): look at its console on the KVM" if target.transport == "winrm" else ""),
                duration=time.monotonic() - started,
            )
        ctx.progress(f"{host_id}: waiting for it to go down")
        ctx.sleep(POLL)
    went_down = time.monotonic() - started

    deadline = min(time.monotonic() + planned.up_timeout, budget.deadline)
    while True:
        if ctx.cancel.is_set():
            return TargetResult(host_id, False, "interrupted while waiting for the host")
        if port_open(target.address, target.port, 2.0):
            try:
                probe = ctx.connections.runner(host_id).run(
                    "echo otcctl-back", max(1.0, min(30.0, budget.left())), cancel=ctx.cancel
                )
                if probe.exit_code == 0:
                    break
            except ConnectionFailed:
                ctx.connections.drop(host_id)
        if time.monotonic() > deadline:
            return TargetResult(
                host_id,
                False,
                f"{host_id} did not answer within {planned.up_timeout:g}s after going down (step timeout "
                f"{planned.timeout:g}s); look at it on the KVM console",
                duration=time.monotonic() - started,
            )
        ctx.progress(f"{host_id}: down since {went_down:.0f}s, waiting for it to answer")
        ctx.sleep(POLL)
    back = time.monotonic() - started

    if not planned.check_services:
        return TargetResult(host_id, True, f"back after {back:.0f}s", duration=back)
    host = ctx.connections.inventory.hosts[host_id]
    ports = [(svc.port, svc.title) for svc in host.services if svc.autostart and svc.port is not None]
    while True:
        closed = [f"{port} {title}" for port, title in ports if not port_open(target.address, port, 2.0)]
        if not closed:
            listing = ", ".join(f"{p}" for p, _ in ports) or "none"
            return TargetResult(
                host_id,
                True,
                f"back after {back:.0f}s; auto-start ports open: {listing}",
                duration=time.monotonic() - started,
            )
        if time.monotonic() > deadline or ctx.cancel.is_set():
            return TargetResult(
                host_id, False, f"back, but not listening: {', '.join(closed)}", duration=time.monotonic() - started
            )
        ctx.progress(f"{host_id}: back, waiting for {', '.join(closed)}")
        ctx.sleep(POLL)
