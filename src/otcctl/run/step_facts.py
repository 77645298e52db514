"""What the engine writes about a step and its hosts, and how it reads a cancelled step's end.

Pure helpers of the engine: the ``step-started`` record (what is about to be sent), masking of
per-host results, the hosts a retry keeps, and whether an interrupted step's commands stopped.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Literal

from otcctl.plan.steps import SINGLE_RESULT_KINDS, PlannedSql, PlannedStep
from otcctl.run.events import StepResult
from otcctl.run.records import StepFinished, StepStarted, TargetOutcome, TargetPlan
from otcctl.secrets import Masker
from otcctl.steps.base import TargetResult

STOP_WAIT = 15.0


def hosts_done(planned: PlannedStep, targets: tuple[TargetResult, ...]) -> dict[str, TargetResult]:
    """Hosts of a multi-host step that passed: a retry re-checks only the others."""
    if planned.kind in SINGLE_RESULT_KINDS or len(planned.targets) <= 1:
        return {}
    return {t.host: t for t in targets if t.passed}


def stop_outcome(future: Future[list[TargetResult]]) -> tuple[Literal["yes", "no", "unknown"], str]:
    """Wait (up to 15 s) for the cancelled step to end and say whether its commands were stopped."""
    deadline = time.monotonic() + STOP_WAIT
    while True:
        try:
            results = future.result(timeout=max(0.0, deadline - time.monotonic()))
            break
        except KeyboardInterrupt:
            continue  # a second Ctrl-C while stopping: the record must still be written
        except TimeoutError:
            return "unknown", f"the step did not end within {STOP_WAIT:g}s of the interruption"
        except Exception as exc:
            return "unknown", f"the step ended with {type(exc).__name__}"
    delivered = [t.details.get("kill_delivered") for t in results if "kill_delivered" in t.details]
    if any(d is False for d in delivered):
        hosts = ", ".join(t.host for t in results if t.details.get("kill_delivered") is False)
        return "no", f"the stop could not be delivered to {hosts}: the command may still be running there"
    if delivered:
        return "yes", "the command was stopped on the host(s)"
    return "unknown", "; ".join(t.reason for t in results)[:300]


def masked_target(t: TargetResult, masker: Masker) -> TargetResult:
    return TargetResult(
        t.host,
        t.passed,
        masker.mask(t.reason),
        t.exit_code,
        masker.mask(t.stdout),
        masker.mask(t.stderr),
        t.duration,
        masker.mask_data(t.details),
        t.final,
    )


def step_record(planned: PlannedStep) -> StepStarted:
    """What the journal says about a step before it starts: enough to know what was sent."""
    return StepStarted(
        step=planned.id,
        no=planned.no,
        kind=planned.kind,
        rollback_step=planned.is_rollback,
        action=planned.text.get("action", ""),
        source=planned.step.source,
        targets=[
            TargetPlan(
                host=t.host_id,
                address=t.address,
                transport=t.transport,
                command=t.command or None,
                path=t.path or None,
                ports=[p for p, _ in t.ports] or None,
                services=[x.control_command or x.status_command for x in t.services] or None,
            )
            for t in planned.targets
        ],
        sql=planned.sql if isinstance(planned, PlannedSql) else None,
        binds=planned.binds if isinstance(planned, PlannedSql) else None,
    )


def tally(
    whole: PlannedStep, keep: Mapping[str, TargetResult], fresh: list[TargetResult]
) -> tuple[tuple[TargetResult, ...], bool, str]:
    """One attempt's per-host results (with the hosts kept from before) as results, passed and reason.

    A step passes only when every host it had to reach answered and passed: a host never
    reached (the run stopped before it) is a failure, not a silent omission.
    """
    by_host = {t.host: t for t in fresh}
    if keep:
        results = tuple(keep.get(t.host_id) or by_host[t.host_id]
                        for t in whole.targets if t.host_id in keep or t.host_id in by_host)
    else:
        results = tuple(by_host.values())
    expected = len(whole.targets) if whole.kind not in SINGLE_RESULT_KINDS else 1
    passed = bool(results) and all(t.passed for t in results) and len(results) >= expected
    failed = [t for t in results if not t.passed]
    if failed:
        reason = "; ".join(f"{t.host}: {t.reason}" for t in failed)
    elif len(results) < expected:
        reason = "stopped before the remaining hosts"
    else:
        reason = "; ".join(f"{t.host}: {t.reason}" for t in results) if len(results) > 1 else results[0].reason
    return results, passed, reason


def finished_record(result: StepResult) -> StepFinished:
    """The journal's record of a step's end."""
    return StepFinished(
        step=result.step_id,
        no=result.no,
        outcome=result.outcome,
        reason=result.reason,
        attempts=result.attempts,
        duration=round(result.duration, 3),
        targets=[TargetOutcome.model_validate(t.to_json()) for t in result.targets],
        confirmation=result.confirmation,
    )


def finished_event(result: StepResult) -> dict[str, object]:
    """What listeners hear of a step's end."""
    return {
        "no": result.no,
        "id": result.step_id,
        "outcome": result.outcome,
        "reason": result.reason,
        "duration": result.duration,
        "targets": [t.to_json() for t in result.targets],
    }
