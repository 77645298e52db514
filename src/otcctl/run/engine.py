"""Runs a plan step by step: journal first, then the work, the verdict, the person, the journal.

For every step: ``step-started`` is fsynced before anything is sent; the step is executed in a
worker thread (so Ctrl-C in the main thread can cancel it cleanly and the remote command is
killed); its result is judged, a person confirms where the runbook asks for one, and
``step-finished`` is fsynced before the next step starts. Listeners only ever see masked data.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial

from otcctl.connectors.base import ConnectionFailed, HostKeyRejected, UnsupportedStep
from otcctl.connectors.pool import Connections
from otcctl.errors import OtcctlError
from otcctl.model import schema as s
from otcctl.plan.build import Plan
from otcctl.plan.steps import PERSON_KINDS, PlannedNotify, PlannedStep
from otcctl.run import signals
from otcctl.run.confirm import Answer, Confirmer, NeedsOperator, Purpose
from otcctl.run.events import EXCEPTION_OUTCOMES, Event, Listener, Outcome, RunResult, StepResult
from otcctl.run.journal import Journal, timestamps
from otcctl.run.policy import (
    FAILURE_ANSWERS,
    NotConfirmed,
    confirm_request,
    confirmed_outcome,
    disruption,
    in_flight_verdict,
    person_outcome,
)
from otcctl.run.records import (
    Answered,
    CommandSent,
    Confirmation,
    HostFinished,
    Operator,
    Record,
    RunFinished,
    RunInterrupted,
    RunOutcome,
    StepInterrupted,
)
from otcctl.run.records import (
    RunStopped as RunStoppedRecord,
)
from otcctl.run.replay import InFlight
from otcctl.run.review import ApprovalBoard, ReviewAsk, needs_review, review_step
from otcctl.run.step_facts import (
    finished_event,
    finished_record,
    hosts_done,
    masked_target,
    step_record,
    stop_outcome,
    tally,
)
from otcctl.secrets import Masker
from otcctl.steps.base import StepContext, TargetResult
from otcctl.steps.dispatch import execute


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
        self._results: list[StepResult] = []

    # -- public -----------------------------------------------------------------------------
    def run(
        self, *, done: frozenset[str] = frozenset(), in_flight: str | None = None, progress: InFlight | None = None
    ) -> RunResult:
        """Run every step not already done; a step found in flight is decided by the operator first.

        ``progress`` says what the journal knows of the step in flight: hosts done, commands sent.
        """
        results = self._results
        outcome: RunOutcome = "passed"
        try:
            for planned in self.plan.steps:
                if planned.id in done:
                    continue
                keep: dict[str, TargetResult] | None = None
                if planned.id == in_flight:
                    decided, keep = self._decide_in_flight(planned, progress or InFlight(planned.id))
                    if decided is not None:
                        results.append(decided)
                        if decided.outcome == "aborted":
                            outcome = "aborted"
                            break
                        continue
                result = self._step(planned, keep=keep)
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
        self._emit("run-finished", {"outcome": outcome, "journal": str(self.journal.path), "head": self.journal.head})
        return final

    # -- one step ---------------------------------------------------------------------------
    def _step(self, planned: PlannedStep, *, keep: Mapping[str, TargetResult] | None = None) -> StepResult:
        started = time.monotonic()
        self._record(step_record(planned))
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
            if self._needs_live_go_ahead(planned):
                answer, confirmation = self._ask(planned, "disruptive", (), disruption(planned))
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
                targets, passed, reason = self._execute(planned, keep)
                while (not passed and attempts < planned.retry_attempts and not self.cancel.is_set()
                       and not any(t.final for t in targets)):  # a refusal the site must fix: retrying cannot help
                    self._emit(
                        "step-progress",
                        {
                            "id": planned.id,
                            "message": f"attempt {attempts} failed: {reason}; retrying in {planned.retry_delay:g}s",
                        },
                    )
                    self._sleep(planned.retry_delay)
                    attempts += 1
                    targets, passed, reason = self._execute(planned, hosts_done(planned, targets))
                if passed and planned.confirm:
                    answer, confirmation = self._ask(planned, "confirm", targets, reason)
                    outcome, reason = confirmed_outcome(answer, reason)
                elif passed:
                    outcome = "passed"
                elif planned.on_failure == "ask" or planned.kind == "notify":  # never go on silently unnotified
                    answer, confirmation = self._ask(planned, "failure", targets, reason)
                    if answer == "retry":  # e.g. after fixing a host by hand: re-check the hosts not done
                        keep = hosts_done(planned, targets)
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
            if outcome == "passed" and self._needs_review(planned):
                outcome, reason = self._review(planned, reason)
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

    def _execute(
        self, whole: PlannedStep, keep: Mapping[str, TargetResult] | None = None
    ) -> tuple[tuple[TargetResult, ...], bool, str]:
        """One attempt on the step's hosts, except those in ``keep`` (done already: their results stand)."""
        keep = keep or {}
        planned = replace(whole, targets=tuple(t for t in whole.targets if t.host_id not in keep)) if keep else whole
        if keep and not planned.targets:
            kept = tuple(keep[t.host_id] for t in whole.targets)
            return kept, True, "; ".join(f"{t.host}: {t.reason}" for t in kept)
        ctx = StepContext(
            self.connections,
            self.plan.params,
            self.cancel,
            self._now,
            self._sleep,
            lambda message: self._emit("step-progress", {"id": planned.id, "message": message}),
            self.options.no_wait,
            self.options.max_parallel or self.plan.runbook.max_parallel,
            sent=lambda host: self._record(CommandSent(step=planned.id, no=planned.no, host=host)),
            host_done=lambda r: self._host_done(planned, r),
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
            stopped, detail = stop_outcome(future)  # the executor stops the remote command on cancel
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
        return tally(whole, keep, [masked_target(t, self.masker) for t in results])

    # -- people -----------------------------------------------------------------------------
    def _needs_review(self, planned: PlannedStep) -> bool:
        environment = self.plan.inventory.inventory.environment
        return needs_review(planned.step.review, planned.risk, environment)

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
        request = confirm_request(planned, purpose, targets, verdict, self._results)
        question = request.question
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

    def _decide_in_flight(
        self, planned: PlannedStep, progress: InFlight
    ) -> tuple[StepResult | None, dict[str, TargetResult] | None]:
        """Decide the step that was running when the run stopped, knowing what the journal says was sent.

        Hosts the journal records as done are never done again. A step none of whose commands
        was sent is simply run; otherwise the operator decides for the hosts it reached.
        """
        done_hosts = {h: TargetResult(h, True, "done before the interruption (journal)") for h in progress.finished}
        if not progress.sent - progress.finished and planned.kind not in PERSON_KINDS and not isinstance(
            planned, PlannedNotify
        ):
            self._emit("note", {"message": f"step {planned.no} {planned.id}: its command was never sent; running it"})
            return None, done_hosts
        unsure = sorted(progress.sent - progress.finished)
        answer, confirmation = self._ask(planned, "in-flight", (), in_flight_verdict(unsure, progress.finished))
        if answer == "rerun":
            return None, done_hosts
        if answer == "done" and planned.targets and len(planned.targets) > 1:
            for host in unsure:
                done_hosts[host] = TargetResult(host, True, "recorded as done by the operator after the interruption")
            remaining = [t.host_id for t in planned.targets if t.host_id not in done_hosts]
            if remaining:
                return None, done_hosts  # the hosts never reached are still done for real
        outcome: Outcome = "done-by-operator" if answer == "done" else "aborted"
        reason = "recorded as done by the operator after the interruption" if answer == "done" else "aborted"
        result = StepResult(planned.id, planned.no, outcome, reason, attempts=0, confirmation=confirmation)
        self._finish(result)
        return result, None

    def _host_done(self, planned: PlannedStep, result: TargetResult) -> None:
        if len(planned.targets) > 1:
            record = HostFinished(
                step=planned.id, no=planned.no, host=result.host, passed=result.passed, reason=result.reason
            )
            self._record(record)  # masked on the way into the journal

    def _rollback(self, failed: PlannedStep) -> list[StepResult]:
        answer, _ = self._ask(failed, "rollback", (), f"rollback: {', '.join(failed.rollback)}")
        if answer != "yes":
            return []
        return [self._step(self.plan.rollback_step(step_id)) for step_id in failed.rollback]

    def _finish(self, result: StepResult) -> None:
        """Journal (fsynced) and announce a step's end: the one place a step-finished record is made."""
        self._record(finished_record(result))
        self._emit("step-finished", finished_event(result))

    # -- plumbing ---------------------------------------------------------------------------
    def _record(self, record: Record) -> None:
        self.journal.append(record, mask=self.masker.mask_data)  # thread-safe: parallel hosts record too

    def _emit(self, kind: str, data: Mapping[str, object]) -> None:
        event = Event(kind, self.masker.mask_data(data))  # type: ignore[arg-type]
        for listener in self.listeners:
            try:
                listener.on_event(event)
            except Exception:
                continue

    def _cancellable_sleep(self, seconds: float) -> None:
        self.cancel.wait(seconds)
