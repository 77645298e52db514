"""``otcctl runs`` and ``otcctl log``: journals read back for a person (the auditor's view)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Console
from rich.markup import escape

from otcctl.output.console import make_table
from otcctl.output.run_view import MARK
from otcctl.run.journal import JournalReading
from otcctl.run.records import (
    Confirmation,
    PreApproval,
    RunFinished,
    RunInterrupted,
    RunResumed,
    RunStarted,
    RunStopped,
    StepFinished,
    StepInterrupted,
    StepStarted,
)
from otcctl.run.replay import replay

INDENT = " " * 19


def print_runs(console: Console, rows: Sequence[Mapping[str, object]]) -> None:
    """The history as a table; a journal with problems is flagged on its row and explained below."""
    table = make_table(console, "run", "runbook", "started (Asia/Shanghai)", "operator", "outcome", "steps")
    notes: list[str] = []
    for row in rows:
        operators = row.get("operators") or []
        who = "; ".join(str(o) for o in operators) if isinstance(operators, list) else ""
        outcome = str(row.get("outcome") or "?")
        if row.get("in_flight"):
            outcome += f" (in flight: {row['in_flight']})"
        problems = row.get("problems") or []
        if isinstance(problems, list) and problems:
            outcome += " (!)"
            notes.extend(str(p) for p in problems)
        steps = f"{row.get('steps_finished', '?')}/{row.get('steps_total', '?')}" if "steps_total" in row else ""
        cells = (row.get("run_id") or "?", row.get("runbook") or "?", row.get("started_shanghai") or "", who, outcome)
        table.add_row(*(escape(str(c)) for c in cells), steps)
    console.print(table)
    for note in notes:
        console.print(f"warning: {note}", markup=False, soft_wrap=True)


def print_log(console: Console, reading: JournalReading) -> None:
    """Header, then each record in order, times in Asia/Shanghai."""
    story = replay(reading.run_id, reading.entries)
    console.print(f"run {reading.run_id}  {story.runbook or '?'}  outcome: {story.outcome}", markup=False)
    console.print(f"journal: {reading.path}", markup=False)
    for problem in reading.problems:
        what = "cut short by a crash and ignored" if problem.torn else "cannot be read"
        console.print(f"warning: {reading.describe(problem)} ({what})", markup=False, soft_wrap=True)
    for entry in reading.entries:
        when = entry.stamp.time_shanghai[:19].replace("T", " ")
        for line in _lines(entry.record):
            console.print(f"{when}  {line}", highlight=False, soft_wrap=True)
            when = INDENT


def _lines(record: object) -> list[str]:
    if isinstance(record, RunStarted):
        return [
            f"started by {escape(str(record.operator))}; runbook sha256 {record.runbook_sha256[:12]}, "
            f"inventory {escape(record.inventory)} ({record.environment})",
            "params: " + escape(", ".join(f"{k}={v}" for k, v in record.params.items())),
        ]
    if isinstance(record, StepStarted):
        source = f"  ({escape(record.source)})" if record.source else ""
        lines = [f">> {escape(record.no)} {escape(record.step)} [{record.kind}]  {escape(record.action)}{source}"]
        lines += [f"   {escape(t.host)}$ {escape(t.command)}" for t in record.targets if t.command]
        return lines
    if isinstance(record, StepFinished):
        mark = MARK.get(record.outcome, record.outcome)
        return [f"{mark} {escape(record.no)} {escape(record.step)}  {escape(record.reason)}"]
    if isinstance(record, Confirmation):
        comment = f" — {record.comment}" if record.comment else ""
        return [
            f"?? {escape(record.step)} {record.purpose}: {record.answer} by "
            f"{escape(str(record.operator))} ({record.how}){escape(comment)}"
        ]
    if isinstance(record, RunResumed):
        flying = f"; in flight: {record.in_flight}" if record.in_flight else ""
        return [f"run-resumed by {escape(str(record.operator))}{escape(flying)}"]
    if isinstance(record, PreApproval):
        return [f"pre-approval by {escape(str(record.operator))}: {escape(record.statement)}"]
    if isinstance(record, RunFinished):
        return [f"run-finished {record.outcome}"]
    if isinstance(record, RunInterrupted | RunStopped):
        return [f"{record.type} {escape(record.reason)}"]
    if isinstance(record, StepInterrupted):
        return [f"step-interrupted {escape(record.no)} {escape(record.step)}"]
    return [getattr(record, "type", "?")]
