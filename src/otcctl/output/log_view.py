"""``otcctl runs`` and ``otcctl log``: journals read back for a person (the auditor's view)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.console import Console

from otcctl.model.durations import format_duration
from otcctl.output.console import make_console
from otcctl.output.run_view import MARK
from otcctl.run.audit import AuditReport, JournalCheck
from otcctl.run.history import HistoryRow
from otcctl.run.journal import JournalReading
from otcctl.run.records import (
    Confirmation,
    PreApproval,
    Reviewed,
    ReviewRequested,
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


RUNS_COLUMNS = ("run", "env", "trading date", "started (Asia/Shanghai)", "operators", "outcome", "steps", "exceptions")


def print_runs(console: Console, rows: Sequence[HistoryRow]) -> None:
    """The history as aligned columns (ids never cut); a journal with problems is flagged and explained below.

    Laid out by hand rather than as a rich table: the shared history holds thousands of runs.
    """
    notes: list[str] = []
    lines: list[tuple[str, ...]] = [RUNS_COLUMNS]
    for row in rows:
        s = row.summary
        outcome = s.outcome + (f" (in flight: {s.in_flight})" if s.in_flight else "")
        if row.problems:
            outcome += " (!)"
            notes.extend(row.problems)
        lines.append(
            (
                s.run_id,
                s.environment or "?",
                s.trading_date or "",
                (s.started_shanghai or "")[:19].replace("T", " "),
                "; ".join(s.operators),
                outcome,
                f"{s.steps_finished}/{s.steps_total if s.steps_total is not None else '?'}",
                str(len(s.exceptions)) if s.exceptions else "",
            )
        )
    widths = [max(cell_len(line[i]) for line in lines) for i in range(len(RUNS_COLUMNS))]
    out = "\n".join(
        "  ".join(c + " " * (w - cell_len(c)) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )
    console.file.write(out + "\n")
    for note in notes:
        console.print(f"warning: {note}", markup=False, soft_wrap=True)


def print_verify(report: AuditReport, console: Console | None = None) -> None:
    """One line per run (ok with its head, or the first record that does not fit), then the ledger."""
    out = console or make_console()
    for check in report.journals:
        if check.problem is None:
            out.print(f"ok      {check.run_id}  {check.records} records, head {check.head}", markup=False)
        else:
            out.print(f"BROKEN  {check.run_id}  {check.problem}", markup=False, soft_wrap=True)
    if report.ledger_problem is not None:
        out.print(f"BROKEN  ledger  {report.ledger_problem}", markup=False, soft_wrap=True)
    elif report.ledger.exists:
        out.print(f"ok      ledger  {len(report.ledger.entries)} entries ({report.ledger.path})", markup=False)
    verdict = "every chain holds" if report.ok else "the record was changed or is incomplete: see BROKEN above"
    out.print(verdict, markup=False)


def print_log(console: Console, reading: JournalReading, chain: JournalCheck | None = None) -> None:
    """Header, then each record in order, times in Asia/Shanghai; a broken chain is said first."""
    story = replay(reading.run_id, reading.entries)
    console.print(f"run {reading.run_id}  {story.runbook or '?'}  outcome: {story.outcome}", markup=False)
    console.print(f"journal: {reading.path}", markup=False)
    if story.operators:
        console.print("operators: " + "; ".join(str(o) for o in story.operators), markup=False)
    if chain is not None and chain.problem is not None:
        console.print(f"WARNING: the hash chain is broken: {chain.problem}", markup=False, soft_wrap=True)
    elif chain is not None:
        console.print(f"chain: {chain.records} records, head {chain.head}", markup=False)
    for problem in reading.problems:
        what = "cut short by a crash and ignored" if problem.torn else "cannot be read"
        console.print(f"warning: {reading.describe(problem)} ({what})", markup=False, soft_wrap=True)
    for entry in reading.entries:
        when = entry.stamp.time_shanghai[:19].replace("T", " ")
        for line in _lines(entry.record):
            console.print(f"{when}  {line}", markup=False, highlight=False, soft_wrap=True)
            when = INDENT


def _lines(record: object) -> list[str]:
    if isinstance(record, RunStarted):
        return [
            f"started by {record.operator!s}; runbook sha256 {record.runbook_sha256[:12]}, "
            f"inventory {(record.inventory)} ({record.environment})",
            "params: " + (", ".join(f"{k}={v}" for k, v in record.params.items())),
        ]
    if isinstance(record, StepStarted):
        lines = [f">> {(record.no)} {(record.step)} [{record.kind}]  {(record.action)}"]
        lines += [f"   {(t.host)}$ {(t.command)}" for t in record.targets if t.command]
        return lines
    if isinstance(record, StepFinished):
        mark = MARK.get(record.outcome, record.outcome)
        return [f"{mark} {(record.no)} {(record.step)}  {(record.reason)}"]
    if isinstance(record, Confirmation):
        comment = f" — {record.comment}" if record.comment else ""
        return [
            f"?? {(record.step)} {record.purpose}: {record.answer} by "
            f"{record.operator!s} ({record.how}){(comment)}"
        ]
    if isinstance(record, RunResumed):
        flying = f"; in flight: {record.in_flight}" if record.in_flight else ""
        return [f"run-resumed by {record.operator!s}{(flying)}"]
    if isinstance(record, PreApproval):
        return [f"pre-approval by {record.operator!s}: {(record.statement)}"]
    if isinstance(record, ReviewRequested):
        return [f"review-requested for {record.no} {record.step} (复核; waits {format_duration(record.timeout)})"]
    if isinstance(record, Reviewed):
        who = f" by {record.reviewer}" if record.reviewer else ""
        lines = [f"{record.verdict}{who}" + (f" — {record.comment}" if record.comment else "")]
        return lines + [f"   did not count: {why}" for why in record.refused]
    if isinstance(record, RunFinished):
        return [f"run-finished {record.outcome}"]
    if isinstance(record, RunInterrupted | RunStopped):
        return [f"{record.type} {(record.reason)}"]
    if isinstance(record, StepInterrupted):
        return [f"step-interrupted {(record.no)} {(record.step)}"]
    return [getattr(record, "type", "?")]
