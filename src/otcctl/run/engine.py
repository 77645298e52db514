"""Runs a plan step by step: journal first, then the work, the verdict, the person, the journal.

For every step: ``step-started`` is fsynced before anything is sent; the step is executed in a
worker thread (so Ctrl-C in the main thread can cancel it cleanly and the remote command is
killed); its result is judged, a person confirms where the runbook asks for one, and
``step-finished`` is fsynced before the next step starts. Listeners only ever see masked data.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from otcctl.connectors.base import ConnectionFailed, HostKeyRejected, UnsupportedStep
from otcctl.connectors.pool import Connections
from otcctl.errors import OtcctlError
from otcctl.model import schema as s
from otcctl.plan.build import Plan, PlannedStep
from otcctl.run.confirm import Answer, Confirmer, ConfirmRequest, NeedsOperator, Purpose
from otcctl.run.events import Event, Listener, Outcome, RunResult, StepResult
from otcctl.run.journal import Journal, timestamps
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
from otcctl.run.review import ApprovalBoard, ReviewAsk, needs_review, review_step
from otcctl.secrets import Masker
from otcctl.steps.base import StepContext, TargetResult
from otcctl.steps.executors import SINGLE_RESULT_KINDS, execute

PERSON_KINDS = ("manual", "pause")


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
        reviewer: ApprovalBoard | None = None,
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
        self.reviewer = reviewer
        self.cancel = threading.Event()
        self._now = now or (lambda: datetime.now(tz=UTC))
        self._sleep = sleep or self._cancellable_sleep
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="otcctl-step")

    # -- public -----------------------------------------------------------------------------
    def run(self, *, done: frozenset[str] = frozenset(), in_flight: str | None = None) -> RunResult:
        """Run every step not already done; a step found in flight is decided by the operator first."""
        results: list[StepResult] = []
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
                    policy = planned.step.on_failure
                    if isinstance(policy, s.Rollback):
                        results.extend(self._rollback(planned))
                        break
                    if policy != "continue":
                        break
        except KeyboardInterrupt:
            self._record(RunInterrupted(reason="Ctrl-C"))
            self._emit("run-finished", {"outcome": "interrupted"})
            raise
        except RunStopped as exc:
            outcome = "failed"
            self._record(RunStoppedRecord(reason=str(exc)))
            self._emit("note", {"message": f"run stopped: {exc}"})
        finally:
            self._pool.shutdown(wait=False, cancel_futures=True)
        final = RunResult(self.run_id, str(self.journal.path), outcome, tuple(results))
        self._record(RunFinished(outcome=outcome, steps=len(results)))
        self._emit("run-finished", {"outcome": outcome, "journal": str(self.journal.path), "head": self.journal.head})
        return final

    # -- one step ---------------------------------------------------------------------------
    def _step(self, planned: PlannedStep, *, attempt_base: int = 0) -> StepResult:
        step = planned.step
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
                "remark": planned.text.get("remark", ""),
            },
        )
        attempts = 0
        targets: tuple[TargetResult, ...] = ()
        confirmation: Answered | None = None
        outcome: Outcome = "failed"
        stopped: str | None = None
        try:
            while True:
                if planned.kind in PERSON_KINDS:
                    answer, confirmation = self._ask(planned, "confirm", (), "done as described?")
                    outcome, reason = _person_outcome(answer, planned)
                    if confirmation.how == "assume-yes" and outcome == "passed":
                        reason = "pre-approved by the operator (--assume-yes)"
                    break
                attempts += 1
                targets, passed, reason = self._execute(planned)
                while not passed and attempts < step.retry.attempts and not self.cancel.is_set():
                    self._emit(
                        "step-progress",
                        {
                            "id": planned.id,
                            "message": f"attempt {attempts} failed: {reason}; retrying in {step.retry.delay:g}s",
                        },
                    )
                    self._sleep(step.retry.delay)
                    attempts += 1
                    targets, passed, reason = self._execute(planned)
                if passed and step.confirm:
                    answer, confirmation = self._ask(planned, "confirm", targets, reason)
                    outcome, reason = _confirmed_outcome(answer, reason)
                elif passed:
                    outcome = "passed"
                elif step.on_failure == "ask" or planned.kind == "notify":  # never go on silently unnotified
                    answer, confirmation = self._ask(planned, "failure", targets, reason)
                    if answer == "retry":
                        continue
                    outcome = _FAILURE_ANSWERS.get(answer, "failed")
                    if answer == "yes":
                        reason = f"failed ({reason}), accepted by the operator"
                else:
                    outcome = "failed"
                break
            if outcome == "passed" and self._needs_review(planned):
                outcome, reason = self._review(planned, reason)
        except NeedsOperator as exc:
            outcome, reason, stopped = "failed", str(exc), str(exc)
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
        except KeyboardInterrupt:
            self.cancel.set()
            with contextlib.suppress(Exception):  # the interruption is what we report
                future.result(timeout=15)  # the executor stops the remote command on cancel
            self._record(StepInterrupted(step=planned.id, no=planned.no))
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
    def _needs_review(self, planned: PlannedStep) -> bool:
        environment = self.plan.inventory.inventory.environment
        return needs_review(bool(getattr(planned.step, "review", False)), getattr(planned, "risk", None), environment)

    def _review(self, planned: PlannedStep, reason: str) -> tuple[Outcome, str]:
        """Wait for a second person's approval of this step's result; the run goes on only if it counts."""
        if self.reviewer is None:
            raise RunStopped(f"step {planned.no} ({planned.id}) needs a reviewer and this run has no approval board")
        ask = ReviewAsk(planned.id, planned.no, planned.text.get("action", ""), self.masker.mask(reason))
        return review_step(self.reviewer, ask, self.cancel.is_set, self._record, partial(self._note, planned.id))

    def _note(self, step_id: str, message: str, *, progress: bool = True) -> None:
        self._emit("step-progress" if progress else "note", {"id": step_id, "message": message})

    def _ask(
        self, planned: PlannedStep, purpose: Purpose, targets: tuple[TargetResult, ...], verdict: str
    ) -> tuple[Answer, Answered]:
        choices = _CHOICES[purpose]
        question = {
            "confirm": "Is the result as the 结果判断 says?",
            "failure": "Sending failed: tell the departments by phone, then answer yes (recorded); or retry, no "
            "(stop), skip, abort?"
            if planned.kind == "notify"
            else "The step failed. Retry, go on anyway (yes), stop (no), skip it, or abort?",
            "rollback": "Run the rollback steps now?",
            "in-flight": "This step was running when the run stopped; its outcome is unknown. Run it again, or "
            "record it as done by you?",
        }[purpose]
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
            {k: v for k, v in planned.text.items() if k not in ("action", "judge")},
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


_FAILURE_ANSWERS: dict[str, Outcome] = {"yes": "passed", "skip": "skipped", "abort": "aborted"}
_CHOICES: dict[str, tuple[Answer, ...]] = {
    "confirm": ("yes", "no", "skip", "abort"),
    "failure": ("retry", "yes", "no", "skip", "abort"),
    "rollback": ("yes", "no"),
    "in-flight": ("rerun", "done", "abort"),
}


def _person_outcome(answer: Answer, planned: PlannedStep) -> tuple[Outcome, str]:
    return {
        "yes": ("passed", "confirmed by the operator"),
        "no": ("failed", "the operator said it was not done as described"),
        "skip": ("skipped", "skipped by the operator"),
    }.get(answer, ("aborted", "aborted by the operator"))  # type: ignore[return-value]


def _confirmed_outcome(answer: Answer, reason: str) -> tuple[Outcome, str]:
    if answer == "yes":
        return "passed", f"{reason}; confirmed by the operator"
    if answer == "skip":
        return "skipped", f"{reason}; skipped by the operator"
    if answer == "abort":
        return "aborted", f"{reason}; aborted by the operator"
    return "failed", f"{reason}; the operator judged it not as expected"


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
        sql=planned.sql or None,
        binds=planned.binds if planned.sql else None,
    )
