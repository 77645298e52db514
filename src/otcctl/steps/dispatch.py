"""Carry out one automated step: dispatch on the planned step's type, per host, under its timeout.

Executors use connections and judge results; they never print, never ask a person and never
write the journal: the engine does those around them. Steps done by a person (manual, pause)
have no executor: their verdict is the operator's answer. Each attempt of a step gets a fresh
:class:`Budget` of the step's timeout; hosts taken one at a time share it.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from otcctl.connectors.base import ConnectionFailed, HostKeyRejected, UnsupportedStep
from otcctl.model.schema import FAN_OUT_LIMIT
from otcctl.plan.steps import (
    PlannedFile,
    PlannedLocal,
    PlannedManual,
    PlannedNotify,
    PlannedPause,
    PlannedPort,
    PlannedReboot,
    PlannedServiceStep,
    PlannedShell,
    PlannedSql,
    PlannedStep,
    PlannedTarget,
    PlannedTimeGate,
    PlannedWinrm,
)
from otcctl.steps.base import Budget, StepContext, TargetResult
from otcctl.steps.command import run_command
from otcctl.steps.file import check_file
from otcctl.steps.local import run_local
from otcctl.steps.notify import send
from otcctl.steps.port import check_ports
from otcctl.steps.reboot import reboot_and_wait
from otcctl.steps.service import control_services
from otcctl.steps.sql import run_query
from otcctl.steps.time_gate import wait_for_gate

P = TypeVar("P", PlannedShell, PlannedWinrm, PlannedPort, PlannedFile, PlannedServiceStep, PlannedReboot)
PerHost = Callable[[P, PlannedTarget, StepContext, Budget], TargetResult]


def execute(planned: PlannedStep, ctx: StepContext) -> list[TargetResult]:
    """Carry out one attempt of an automated step on all its targets."""
    match planned:
        case PlannedShell():
            return _per_host(planned, run_command, ctx)
        case PlannedWinrm():
            return _per_host(planned, run_command, ctx)
        case PlannedPort():
            return _per_host(planned, check_ports, ctx)
        case PlannedFile():
            return _per_host(planned, check_file, ctx)
        case PlannedServiceStep():
            return _per_host(planned, control_services, ctx)
        case PlannedReboot():
            return _per_host(planned, reboot_and_wait, ctx)
        case PlannedLocal():
            return [run_local(planned, ctx, Budget(planned.timeout))]
        case PlannedSql():
            return [run_query(planned, ctx, Budget(planned.timeout))]
        case PlannedNotify():
            return [send(planned, ctx)]
        case PlannedTimeGate():
            return [wait_for_gate(planned, ctx)]
        case PlannedManual() | PlannedPause():
            raise UnsupportedStep(f"{planned.kind} steps are answered by the operator, not executed")


def _per_host(planned: P, one: PerHost[P], ctx: StepContext) -> list[TargetResult]:
    """Parallel, or one at a time (KVM order) never going on to the next host after a failure."""
    budget = Budget(planned.timeout)
    order = planned.order if not isinstance(planned, PlannedFile) else "parallel"

    def guarded(target: PlannedTarget) -> TargetResult:
        try:
            result = one(planned, target, ctx, budget)
        except HostKeyRejected:
            raise  # a possible man in the middle: the engine stops the run, whatever on_failure says
        except ConnectionFailed as exc:
            result = TargetResult(target.host_id, False, str(exc))
        if not ctx.cancel.is_set():
            ctx.host_done(result)  # per-host progress: a resume continues at the first host not done
        return result

    if order == "kvm" or len(planned.targets) <= 1:
        results: list[TargetResult] = []
        for target in planned.targets:
            if ctx.cancel.is_set():
                break
            result = guarded(target)
            results.append(result)
            if not result.passed:
                break
        return results
    width = min(len(planned.targets), ctx.max_parallel or len(planned.targets), FAN_OUT_LIMIT)
    with ThreadPoolExecutor(max_workers=width) as pool:
        return list(pool.map(guarded, planned.targets))
