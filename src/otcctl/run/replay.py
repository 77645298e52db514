"""One replay of a journal that every reader uses: what finished, what was in flight, the summary.

``resume`` decides where to go on from it, ``runs`` lists its summary, ``log`` and ``report``
show it; none of them walks the records on its own, so they cannot disagree about a run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import Field

from otcctl.run.lines import Entry, Stamp
from otcctl.run.records import (
    CommandSent,
    Confirmation,
    FrozenModel,
    HostFinished,
    Operator,
    PreApproval,
    Reviewed,
    RunFinished,
    RunInterrupted,
    RunResumed,
    RunStarted,
    RunStopped,
    StepFinished,
    StepStarted,
)


class RunSummary(FrozenModel):
    """A run in one line, as the replay tells it: what ``runs`` lists (the ledger keeps the latest)."""

    run_id: str
    runbook: str | None = None
    title: str | None = None
    environment: str | None = None
    trading_date: str | None = None
    started_shanghai: str | None = None
    ended_shanghai: str | None = None
    operator: Operator | None = None
    operators: list[str] = Field(default_factory=list)
    outcome: str
    steps_finished: int = 0
    steps_total: int | None = None
    in_flight: str | None = None
    resumes: int = 0
    exceptions: list[str] = Field(default_factory=list)


RESUMABLE_DONE = ("passed", "waived", "skipped", "done-by-operator")
"""Step outcomes a resume counts as done (a failed step counts only when its policy is ``continue``)."""
FINAL_OUTCOMES = ("passed", "passed-with-exceptions", "rolled-back", "aborted")
"""Run outcomes after which the run is over: resume refuses them."""


@dataclass(frozen=True)
class InFlight:
    """What the journal knows of the step that was running: hosts it finished, hosts its command reached."""

    step: str
    finished: frozenset[str] = frozenset()
    """Hosts recorded ``host-finished`` and passed (a resume never does them again)."""
    sent: frozenset[str] = frozenset()
    """Hosts a ``command-sent`` record names."""


@dataclass
class StepStory:
    """One step as the journal tells it: how often it started, how it ended, who answered and reviewed."""

    step: str
    no: str
    starts: int = 0
    rollback: bool = False
    action: str = ""
    finished: StepFinished | None = None
    finished_at: Stamp | None = None
    answers: list[tuple[Stamp, Confirmation]] = field(default_factory=list)
    reviews: list[Reviewed] = field(default_factory=list)
    by: Operator | None = None
    """Who ran the session in which the step last started or was decided."""


@dataclass(frozen=True)
class Replay:
    """A run as its journal tells it."""

    run_id: str
    header: RunStarted | None
    started: Stamp | None
    outcome: str
    """passed, failed, aborted (as the last session ended), interrupted, or incomplete (no end yet)."""
    finished: dict[str, StepFinished]
    """The last ``step-finished`` of each step, in the order they finished."""
    in_flight: str | None
    """The step that started and never finished, if the run stopped there."""
    operators: tuple[Operator, ...]
    """Who started the run, then each different person who resumed it."""
    resumes: tuple[tuple[Stamp, RunResumed], ...]
    exceptions: tuple[str, ...]
    """What a reviewer must look at: steps not passed, accepted failures, pre-approval, overrides."""
    ended: Stamp | None
    stop_reason: str | None
    stories: dict[str, StepStory] = field(default_factory=dict)
    """Every step that started or was decided, in the order it first did."""
    progress: InFlight | None = None
    """Per-host progress of the step in flight."""

    @property
    def runbook(self) -> str | None:
        """The runbook's name, when the header was readable."""
        return self.header.runbook if self.header else None

    @property
    def steps_total(self) -> int | None:
        """How many steps the plan has."""
        return self.header.steps_total if self.header else None

    @property
    def trading_date(self) -> str | None:
        """The business date the run was for (its ``date`` parameter)."""
        if self.header is None:
            return None
        if self.header.trading_day is not None:
            return self.header.trading_day.date
        return self.header.params.get("date_iso") or self.header.params.get("date")

    @property
    def passed(self) -> bool:
        """True when the run's last session finished with every step passed or skipped on purpose."""
        return self.outcome == "passed"

    def done_steps(self, continuing: frozenset[str] = frozenset()) -> frozenset[str]:
        """Steps a resume skips: done, skipped, or failed with a go-on policy; never the one in flight."""
        return frozenset(
            step
            for step, record in self.finished.items()
            if step != self.in_flight
            and (record.outcome in RESUMABLE_DONE or (record.outcome == "failed" and step in continuing))
        )

    def summary(self) -> RunSummary:
        """What ``otcctl runs`` shows for this run."""
        header = self.header
        return RunSummary(
            run_id=self.run_id,
            runbook=self.runbook,
            title=header.title if header else None,
            environment=header.environment if header else None,
            trading_date=self.trading_date,
            started_shanghai=self.started.time_shanghai if self.started else None,
            ended_shanghai=self.ended.time_shanghai if self.ended else None,
            operator=header.operator if header else None,
            operators=[str(o) for o in self.operators],
            outcome=self.outcome,
            steps_finished=len(self.finished),
            steps_total=self.steps_total,
            in_flight=self.in_flight,
            resumes=len(self.resumes),
            exceptions=list(self.exceptions),
        )


def replay(run_id: str, entries: Sequence[Entry]) -> Replay:
    """Walk the records once, in order."""
    header: RunStarted | None = None
    started: Stamp | None = None
    ended: Stamp | None = None
    finished: dict[str, StepFinished] = {}
    open_step: str | None = None
    operators: list[Operator] = []
    resumes: list[tuple[Stamp, RunResumed]] = []
    exceptions: list[str] = []
    end: RunFinished | None = None
    interrupted = False
    stop_reason: str | None = None
    stories: dict[str, StepStory] = {}
    session: Operator | None = None
    sent: dict[str, set[str]] = {}
    hosts_done: dict[str, set[str]] = {}
    for entry in entries:
        record, stamp = entry.record, entry.stamp
        if isinstance(record, StepStarted | StepFinished | Confirmation | Reviewed):
            story = stories.setdefault(record.step, StepStory(record.step, record.no))
            _tell(story, record, stamp, session)
        if isinstance(record, RunStarted | RunResumed):
            session = record.operator
        if isinstance(record, RunStarted) and header is None:
            header, started = record, stamp
            _add_person(operators, record.operator)
            if record.trading_day and record.trading_day.override:
                exceptions.append(f"run on {record.trading_day.date}, not a known trading day (overridden)")
        elif isinstance(record, RunResumed):
            resumes.append((stamp, record))
            _add_person(operators, record.operator)
            end, interrupted, stop_reason = None, False, None
        elif isinstance(record, PreApproval):
            exceptions.append(f"confirmations pre-approved with --assume-yes by {record.operator}")
        elif isinstance(record, StepStarted):
            open_step = record.step
        elif isinstance(record, CommandSent):
            sent.setdefault(record.step, set()).add(record.host)
        elif isinstance(record, HostFinished) and record.passed:
            hosts_done.setdefault(record.step, set()).add(record.host)
        elif isinstance(record, StepFinished):
            finished.pop(record.step, None)
            finished[record.step] = record
            if open_step == record.step:
                open_step = None
            exceptions.extend(_step_exception(record))
        elif isinstance(record, RunInterrupted):
            interrupted, ended = True, stamp
        elif isinstance(record, RunStopped):
            stop_reason, ended = record.reason, stamp
        elif isinstance(record, RunFinished):
            end, ended = record, stamp
    outcome: str
    if end is not None:
        outcome = end.outcome
    elif interrupted or open_step is not None:
        outcome = "interrupted"
    else:
        outcome = "incomplete"
    return Replay(
        run_id,
        header,
        started,
        outcome,
        finished,
        open_step,
        tuple(operators),
        tuple(resumes),
        tuple(exceptions),
        ended,
        stop_reason,
        stories,
        InFlight(open_step, frozenset(hosts_done.get(open_step, ())), frozenset(sent.get(open_step, ())))
        if open_step
        else None,
    )


def _tell(
    story: StepStory,
    record: StepStarted | StepFinished | Confirmation | Reviewed,
    stamp: Stamp,
    session: Operator | None,
) -> None:
    if isinstance(record, StepStarted):
        story.starts += 1
        story.rollback, story.action, story.by = record.rollback_step, record.action, session
    elif isinstance(record, StepFinished):
        story.finished, story.finished_at = record, stamp
        story.by = session if record.outcome == "done-by-operator" or story.by is None else story.by
    elif isinstance(record, Confirmation):
        story.answers.append((stamp, record))
    else:
        story.reviews.append(record)


def _add_person(operators: list[Operator], operator: Operator) -> None:
    if operator not in operators:
        operators.append(operator)


def _step_exception(record: StepFinished) -> list[str]:
    if record.outcome == "passed":
        accepted = (
            record.confirmation is not None and record.confirmation.answer == "yes" and "failed (" in record.reason
        )
        return [f"{record.no} {record.step}: {record.reason}"] if accepted else []
    return [f"{record.no} {record.step}: {record.outcome}: {record.reason}"]
