"""Runs a plan step by step: journal first, then the work, the verdict, the person, the journal.

For every step: ``step-started`` is fsynced before anything is sent; the step is executed in a
worker thread (so Ctrl-C in the main thread can cancel it cleanly and the remote command is
killed); its result is judged, a person confirms where the runbook asks for one, and
``step-finished`` is fsynced before the next step starts. Listeners only ever see masked data.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from otcctl.connectors.base import ConnectionFailed, HostKeyRejected, UnsupportedStep
from otcctl.connectors.pool import Connections
from otcctl.errors import OtcctlError
from otcctl.model import schema as s
from otcctl.plan.build import Plan
from otcctl.plan.steps import PERSON_KINDS, SINGLE_RESULT_KINDS, PlannedSql, PlannedStep
from otcctl.run import signals
from otcctl.run.confirm import Answer, Confirmer, ConfirmRequest, NeedsOperator, Purpose
from otcctl.run.events import EXCEPTION_OUTCOMES, Event, Listener, Outcome, RunResult, StepResult
from otcctl.run.journal import Journal, timestamps
from otcctl.run.policy import (
    CHOICES,
    FAILURE_ANSWERS,
    NotConfirmed,
    confirmed_outcome,
    person_outcome,
    question_for,
)
from otcctl.run.records import (
    Answered,
    Confirmation,
    Operator,
    Record,
    RunFinished,
    RunInterrupted,
    RunOutcome,
    StepFinished,
    StepInterrupted,
    StepStarted,
    TargetOutcome,
    TargetPlan,
)
from otcctl.run.records import (
    RunStopped as RunStoppedRecord,
)
from otcctl.secrets import Masker
from otcctl.steps.base import StepContext, TargetResult
from otcctl.steps.dispatch import execute

STOP_WAIT = 15.0


class RunStopped(OtcctlError):
    """A condition that stops the whole run whatever the step's policy (host key, missing secret)."""


@dataclass(frozen=True)
class RunOptions:
    """How this run behaves, decided by the operator on the command line."""

    operator: Operator
    no_wait: bool = False
    max_parallel: int | None = None
    """--max-parallel; None: the runbook's max_parallel, else all of a step's hosts."""


class Engine:
    """Executes one plan; everything it touches is passed in."""

    def __init__(
        self,
        plan: Plan,
        *,
        run_id: str,
        journal: Journal,
        connections: Connections,
        confirmer: Confirmer,
        listeners: Sequence[Listener],
        masker: Masker,
        options: RunOptions,
        now: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.plan = plan
        self.run_id = run_id
        self.journal = journal
        self.connections = connections
        self.confirmer = confirmer
        self.listeners = list(listeners)
        self.masker = masker
        self.options = options
        self.cancel = threading.Event()
        self._now = now or (lambda: datetime.now(tz=UTC))
        self._sleep = sleep or self._cancellable_sleep
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="otcctl-step")
        self._results: list[StepResult] = []

    # -- public -----------------------------------------------------------------------------
    def run(self, *, done: frozenset[str] = frozenset(), in_flight: str | None = None) -> RunResult:
        """Run every step not already done; a step found in flight is decided by the operator first."""
        results = self._results
        outcome: RunOutcome = "passed"
        try:
            for planned in self.plan.steps:
                if planned.id in done:
                    continue
                if planned.id == in_flight:
                    decided = self._decide_in_flight(planned)
                    if decided is not None:
                        results.append(decided)
                        if decided.outcome == "aborted":
                            outcome = "aborted"
                            break
                        continue
                result = self._step(planned)
                results.append(result)
                if result.outcome == "aborted":
                    outcome = "aborted"
                    break
                if result.failed:
                    outcome = "failed"
                    policy = planned.on_failure
                    if isinstance(policy, s.Rollback):
                        rolled = self._rollback(planned)
                        results.extend(rolled)
                        if rolled and all(r.outcome == "passed" for r in rolled):
                            outcome = "rolled-back"
                        break
                    if policy != "continue":
                        break
        except KeyboardInterrupt as exc:
            self._record(RunInterrupted(reason=signals.reason(exc)))
            self._emit("run-finished", {"outcome": "interrupted"})
            raise
        except RunStopped as exc:
            outcome = "failed"
            self._record(RunStoppedRecord(reason=str(exc)))
            self._emit("note", {"message": f"run stopped: {exc}"})
        finally:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if outcome == "passed" and any(r.outcome in EXCEPTION_OUTCOMES for r in results):
            outcome = "passed-with-exceptions"
        final = RunResult(self.run_id, str(self.journal.path), outcome, tuple(results))
        self._record(RunFinished(outcome=outcome, steps=len(results)))
        self._emit("run-finished", {"outcome": outcome, "journal": str(self.journal.path)})
        return final

    # -- one step ---------------------------------------------------------------------------
    def _step(self, planned: PlannedStep, *, attempt_base: int = 0) -> StepResult:
        started = time.monotonic()
        self._record(_step_record(planned))
        self._emit(
            "step-started",
            {
                "no": planned.no,
                "id": planned.id,
                "kind": planned.kind,
                "host": planned.host_column,
                "action": planned.text.get("action", ""),
            },
        )
        attempts = 0
        targets: tuple[TargetResult, ...] = ()
        confirmation: Answered | None = None
        stopped: str | None = None
        try:
            if self._needs_live_go_ahead(planned):
                answer, confirmation = self._ask(planned, "disruptive", (), self._disruption(planned))
                if answer != "yes":
                    raise NotConfirmed(confirmation)
            while True:
                if planned.kind in PERSON_KINDS:
                    answer, confirmation = self._ask(planned, "confirm", (), "done as described?")
                    outcome, reason = person_outcome(answer)
                    if confirmation.how == "assume-yes" and outcome == "passed":
                        reason = "pre-approved by the operator (--assume-yes)"
                    break
                attempts += 1
                targets, passed, reason = self._execute(planned)
                while not passed and attempts < planned.retry_attempts and not self.cancel.is_set():
                    self._emit(
                        "step-progress",
                        {
                            "id": planned.id,
                            "message": f"attempt {attempts} failed: {reason}; retrying in {planned.retry_delay:g}s",
                        },
                    )
                    self._sleep(planned.retry_delay)
                    attempts += 1
                    targets, passed, reason = self._execute(planned)
                if passed and planned.confirm:
                    answer, confirmation = self._ask(planned, "confirm", targets, reason)
                    outcome, reason = confirmed_outcome(answer, reason)
                elif passed:
                    outcome = "passed"
                elif planned.on_failure == "ask" or planned.kind == "notify":  # never go on silently unnotified
                    answer, confirmation = self._ask(planned, "failure", targets, reason)
                    if answer == "retry":
                        continue
                    outcome = FAILURE_ANSWERS.get(answer, "failed")
                    why = confirmation.comment or "no reason given"
                    if answer == "yes":
                        reason = f"failed ({reason}); waived by the operator: {why}"
                    elif answer == "skip":
                        reason = f"failed ({reason}); skipped by the operator: {why}"
                else:
                    outcome = "failed"
                break
        except (NeedsOperator, RunStopped) as exc:  # the step ends failed, on the record; then the run stops
            outcome, reason, stopped = "failed", str(exc), str(exc)
        except NotConfirmed as exc:
            confirmation = exc.confirmation
            outcome, reason = "aborted", "the operator did not confirm the disruptive step; nothing was sent"
        result = StepResult(
            planned.id,
            planned.no,
            outcome,
            reason,
            targets,
            attempts,
            time.monotonic() - started,
            confirmation,
        )
        self._finish(result)
        if stopped is not None:
            self._results.append(result)  # the run ends here: the step still counts in its result
            raise RunStopped(stopped)
        return result

    def _execute(self, planned: PlannedStep) -> tuple[tuple[TargetResult, ...], bool, str]:
        ctx = StepContext(
            self.connections,
            self.plan.params,
            self.cancel,
            self._now,
            self._sleep,
            lambda message: self._emit("step-progress", {"id": planned.id, "message": message}),
            self.options.no_wait,
            self.options.max_parallel or self.plan.runbook.max_parallel,
        )
        future: Future[list[TargetResult]] = self._pool.submit(execute, planned, ctx)
        try:
            while True:
                try:
                    results = future.result(timeout=0.2)
                    break
                except TimeoutError:
                    continue
        except KeyboardInterrupt as exc:
            self.cancel.set()
            stopped, detail = _stop_outcome(future)  # the executor stops the remote command on cancel
            name = exc.name if isinstance(exc, signals.Interrupted) else "SIGINT"
            self._record(StepInterrupted(step=planned.id, no=planned.no, signal=name, stopped=stopped, detail=detail))
            raise
        except HostKeyRejected as exc:
            raise RunStopped(str(exc)) from None
        except UnsupportedStep as exc:
            raise RunStopped(f"step {planned.no} ({planned.id}): {exc}") from None
        except ConnectionFailed as exc:
            return (TargetResult(planned.host_column, False, str(exc)),), False, str(exc)
        except OtcctlError as exc:  # a missing secret and the like: nothing on this path can work
            raise RunStopped(str(exc)) from None
        masked = tuple(_masked_target(t, self.masker) for t in results)
        expected = len(planned.targets) if planned.kind not in SINGLE_RESULT_KINDS else 1
        passed = bool(masked) and all(t.passed for t in masked) and len(masked) >= expected
        failed = [t for t in masked if not t.passed]
        if failed:
            reason = "; ".join(f"{t.host}: {t.reason}" for t in failed)
        elif len(masked) < expected:
            reason = "stopped before the remaining hosts"
        else:
            reason = "; ".join(f"{t.host}: {t.reason}" for t in masked) if len(masked) > 1 else masked[0].reason
        return masked, passed, reason

    # -- people -----------------------------------------------------------------------------
    def _ask(
        self, planned: PlannedStep, purpose: Purpose, targets: tuple[TargetResult, ...], verdict: str
    ) -> tuple[Answer, Answered]:
        choices = CHOICES[purpose]
        question = question_for(purpose, planned.kind)
        request = ConfirmRequest(
            purpose,
            planned.id,
            planned.no,
            planned.text.get("action", ""),
            question,
            choices,
            planned.text.get("judge"),
            verdict,
            tuple(t.to_json() for t in targets),
            {
                **{k: v for k, v in planned.text.items() if k not in ("action", "judge", "remark")},
                **self._exceptions_so_far(),
            },
        )
        self._emit("confirm-asked", {"id": planned.id, "purpose": purpose, "question": question})
        answer, comment, how = self.confirmer.ask(request)
        comment = self.masker.mask(comment)
        confirmation = Answered(answer=answer, comment=comment, operator=self.options.operator, how=how, **timestamps())
        self._record(
            Confirmation(
                step=planned.id,
                no=planned.no,
                purpose=purpose,
                question=question,
                verdict=verdict,
                answer=answer,
                comment=comment,
                operator=self.options.operator,
                how=how,
            )
        )
        self._emit("confirm-answered", {"id": planned.id, "answer": answer, "how": how})
        return answer, confirmation

    def _needs_live_go_ahead(self, planned: PlannedStep) -> bool:
        return planned.risk == "disruptive" and self.plan.inventory.inventory.environment == "production"

    def _disruption(self, planned: PlannedStep) -> str:
        """What the operator is asked to let happen: the hosts and the exact commands."""
        doing = [
            f"{t.host_id}: {t.command or '; '.join(x.control_command or x.status_command for x in t.services)}"
            for t in planned.targets
        ]
        return (
            f"DISRUPTIVE, PRODUCTION: {planned.text.get('action', planned.id)} on {planned.host_column}"
            + (f" ({'; '.join(doing)})" if doing else "")
        )

    def _exceptions_so_far(self) -> dict[str, str]:
        """Every step so far that did not simply pass, for a person about to sign off."""
        listed = [f"{r.no} {r.step_id}: {r.outcome} ({r.reason})" for r in self._results if r.outcome != "passed"]
        return {"exceptions so far / 此前异常": "; ".join(listed)} if listed else {}

    def _decide_in_flight(self, planned: PlannedStep) -> StepResult | None:
        answer, confirmation = self._ask(planned, "in-flight", (), "outcome unknown")
        if answer == "rerun":
            return None
        outcome: Outcome = "done-by-operator" if answer == "done" else "aborted"
        reason = "recorded as done by the operator after the interruption" if answer == "done" else "aborted"
        result = StepResult(planned.id, planned.no, outcome, reason, attempts=0, confirmation=confirmation)
        self._finish(result)
        return result

    def _rollback(self, failed: PlannedStep) -> list[StepResult]:
        answer, _ = self._ask(failed, "rollback", (), f"rollback: {', '.join(failed.rollback)}")
        if answer != "yes":
            return []
        return [self._step(self.plan.rollback_step(step_id)) for step_id in failed.rollback]

    def _finish(self, result: StepResult) -> None:
        """Journal (fsynced) and announce a step's end: the one place a step-finished record is made."""
        targets = [t.to_json() for t in result.targets]
        self._record(
            StepFinished(
                step=result.step_id,
                no=result.no,
                outcome=result.outcome,
                reason=result.reason,
                attempts=result.attempts,
                duration=round(result.duration, 3),
                targets=[TargetOutcome.model_validate(t) for t in targets],
                confirmation=result.confirmation,
            )
        )
        self._emit(
            "step-finished",
            {
                "no": result.no,
                "id": result.step_id,
                "outcome": result.outcome,
                "reason": result.reason,
                "duration": result.duration,
                "targets": targets,
            },
        )

    # -- plumbing ---------------------------------------------------------------------------
    def _record(self, record: Record) -> None:
        self.journal.append(record, mask=self.masker.mask_data)

    def _emit(self, kind: str, data: dict[str, Any]) -> None:
        event = Event(kind, self.masker.mask_data(data))  # type: ignore[arg-type]
        for listener in self.listeners:
            try:
                listener.on_event(event)
            except Exception:
                continue

    def _cancellable_sleep(self, seconds: float) -> None:
        self.cancel.wait(seconds)


def _stop_outcome(future: Future[list[TargetResult]]) -> tuple[Literal["yes", "no", "unknown"], str]:
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


def _masked_target(t: TargetResult, masker: Masker) -> TargetResult:
    return TargetResult(
        t.host,
        t.passed,
        masker.mask(t.reason),
        t.exit_code,
        masker.mask(t.stdout),
        masker.mask(t.stderr),
        t.duration,
        masker.mask_data(t.details),
    )


def _step_record(planned: PlannedStep) -> StepStarted:
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
