"""Shell (SSH) and WinRM steps: one command per host, judged on its whole output.

A command whose connection died, whose exit status never came back, or that was stopped
(timeout, Ctrl-C) is never passed, whatever its condition says: the verdict names what is
not known, and whether the stop reached the host.
"""

from __future__ import annotations

from dataclasses import replace

from otcctl.connectors.base import CommandOutput
from otcctl.model.conditions_schema import Condition
from otcctl.plan.steps import PlannedShell, PlannedTarget, PlannedWinrm
from otcctl.steps.base import Budget, StepContext, TargetResult
from otcctl.steps.conditions import Observation, OutputScan, judge


def run_command(
    planned: PlannedShell | PlannedWinrm, target: PlannedTarget, ctx: StepContext, budget: Budget
) -> TargetResult:
    """Run the step's command on one host under what is left of the step's timeout."""
    assert target.command is not None
    runner = ctx.connections.runner(target.host_id)
    expect = planned.step.expect
    scan = OutputScan(expect, ctx.connections.inventory.hosts[target.host_id].encoding)
    shell = planned.shell if isinstance(planned, PlannedWinrm) else None
    host = target.host_id
    output = runner.run(
        target.command, budget.left(), cancel=ctx.cancel, shell=shell, observe=scan.feed, on_sent=lambda: ctx.sent(host)
    )
    result = command_result(target.host_id, output, expect, planned.timeout, scan)
    if shell is not None and not result.passed and result.exit_code not in (0, None):
        from otcctl.connectors.winrm_failures import out_of_shell_memory

        why = out_of_shell_memory(result.stdout + result.stderr, host)
        if why is not None:  # the same script hits the same quota again: no retry
            return replace(result, reason=f"{why} ({result.reason})", final=True)
    return result


def command_result(
    host: str, output: CommandOutput, expect: Condition, timeout: float, scan: OutputScan | None
) -> TargetResult:
    """The verdict on one command's output; a command that did not end on its own never passes."""
    out, err, took = output.stdout, output.stderr, output.duration
    if output.cancelled or output.timed_out:
        why = "interrupted by the operator" if output.cancelled else f"timed out after {timeout:g}s"
        if output.kill_delivered:
            stop = "the command was stopped on the host"
        else:
            stop = "the stop could NOT be delivered to the host: the command may still be running there"
        details = {"kill_delivered": bool(output.kill_delivered)}
        return TargetResult(host, False, f"{why}; {stop}", None, out, err, took, details)
    if output.lost or output.exit_code is None:
        return TargetResult(
            host,
            False,
            "the connection was lost before the command ended: its exit status is unknown (it may have "
            "finished, failed, or still be running); look at the host before going on",
            None,
            out,
            err,
            took,
            {"unknown": True},
        )
    seen = Observation(output.exit_code, output.stdout, output.stderr, complete=not output.truncated, scan=scan)
    verdict = judge(expect, seen)
    judged: dict[str, bool] = {} if verdict.judged else {"judged": False}
    if output.truncated:
        judged["output_cut"] = True
    return TargetResult(host, verdict.passed, verdict.reason, output.exit_code, out, err, took, dict(judged))
