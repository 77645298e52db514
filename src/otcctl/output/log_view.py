"""``otcctl runs`` and ``otcctl log``: journals read back for a person (the auditor's view).

The journal holds codes (outcomes, answers, purposes); they are rendered here as words in the
operator's language. Every line is printed without markup: a step's kind ``[manual]`` is text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from rich.console import Console

from otcctl.i18n import _
from otcctl.output.console import keep_whole, make_table
from otcctl.output.labels import ANSWERS, HOW, PURPOSES, RECORDS, RUN_OUTCOMES, word
from otcctl.output.messages import translate, translate_reason
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
    """The history as a table; a journal with problems is flagged on its row and explained below.

    The run id is what one types next (``otcctl log RUN_ID``): it is never cut; other columns wrap.
    """
    table = make_table(console, _("run"), _("runbook"), _("started (Asia/Shanghai)"), _("operator"), _("outcome"),
                       _("steps"))
    notes: list[str] = []
    for row in rows:
        operators = row.get("operators") or []
        who = "; ".join(str(o) for o in operators) if isinstance(operators, list) else ""
        outcome = word(RUN_OUTCOMES, str(row.get("outcome") or "?"))
        if row.get("in_flight"):
            outcome += " " + _("(in flight: {step})").format(step=row["in_flight"])
        problems = row.get("problems") or []
        if isinstance(problems, list) and problems:
            outcome += " (!)"
            notes.extend(str(p) for p in problems)
        steps = f"{row.get('steps_finished', '?')}/{row.get('steps_total', '?')}" if "steps_total" in row else ""
        started = str(row.get("started_shanghai") or "")[:19].replace("T", " ")
        table.add_row(str(row.get("run_id") or "?"), str(row.get("runbook") or "?"), started, who, outcome, steps)
    keep_whole(table, 0, [str(row.get("run_id") or "?") for row in rows])
    console.print(table, markup=False)
    for note in notes:
        console.print(_("warning: {text}").format(text=translate(note)), markup=False, soft_wrap=True)


def print_log(console: Console, reading: JournalReading) -> None:
    """Header, then each record in order, times in Asia/Shanghai."""
    story = replay(reading.run_id, reading.entries)
    say = _printer(console)
    say(_("run {run_id}  {runbook}  outcome: {outcome}").format(
        run_id=reading.run_id, runbook=story.runbook or "?", outcome=word(RUN_OUTCOMES, story.outcome)))
    say(_("journal: {path}").format(path=reading.path))
    for problem in reading.problems:
        what = _("cut short by a crash and ignored") if problem.torn else _("cannot be read")
        say(_("warning: {text}").format(text=f"{reading.describe(problem)} ({what})"))
    for entry in reading.entries:
        when = entry.stamp.time_shanghai[:19].replace("T", " ")
        for line in _lines(entry.record):
            say(f"{when}  {line}")
            when = INDENT


def _printer(console: Console) -> Callable[[str], None]:
    def say(text: str) -> None:
        console.print(text, markup=False, highlight=False, soft_wrap=True)

    return say


def _lines(record: object) -> list[str]:
    if isinstance(record, RunStarted):
        return [
            _("started by {who}; runbook sha256 {sha}, inventory {inventory} ({environment})").format(
                who=record.operator, sha=record.runbook_sha256[:12], inventory=record.inventory,
                environment=record.environment),
            _("params: {params}").format(params=", ".join(f"{k}={v}" for k, v in record.params.items())),
        ]
    if isinstance(record, StepStarted):
        source = f"  ({record.source})" if record.source else ""
        lines = [f">> {record.no} {record.step} [{record.kind}]  {record.action}{source}"]
        lines += [f"   {t.host}$ {t.command}" for t in record.targets if t.command]
        return lines
    if isinstance(record, StepFinished):
        lines = [f"{word(MARK, record.outcome)} {record.no} {record.step}  {translate_reason(record.reason)}"]
        if len(record.targets) > 1:
            lines += [f"   [{t.host}] {translate_reason(t.reason)}" for t in record.targets if not t.passed]
        return lines
    if isinstance(record, Confirmation):
        comment = f" — {record.comment}" if record.comment else ""
        verdict = _(" ({verdict})").format(verdict=translate_reason(record.verdict)) if record.verdict else ""
        return [_("?? {step} {purpose}{verdict}: {answer} by {who} ({how}){comment}").format(
            step=record.step, purpose=word(PURPOSES, record.purpose), verdict=verdict,
            answer=word(ANSWERS, record.answer), who=record.operator, how=word(HOW, record.how), comment=comment)]
    if isinstance(record, RunResumed):
        flying = _("; in flight: {step}").format(step=record.in_flight) if record.in_flight else ""
        return [_("resumed by {who}; {done} steps already done{flying}").format(
            who=record.operator, done=len(record.done), flying=flying)]
    if isinstance(record, PreApproval):
        return [_("pre-approval by {who}: every confirmation of this run (--assume-yes)").format(
            who=record.operator)]
    if isinstance(record, RunFinished):
        return [f"{word(RECORDS, record.type)} {word(RUN_OUTCOMES, record.outcome)}"]
    if isinstance(record, RunInterrupted | RunStopped):
        return [f"{word(RECORDS, record.type)} {translate(record.reason)}"]
    if isinstance(record, StepInterrupted):
        return [f"{word(RECORDS, record.type)} {record.no} {record.step}"]
    return [str(getattr(record, "type", "?"))]
