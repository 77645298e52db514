"""``otcctl runs`` and ``otcctl log``: journals read back for a person (the auditor's view).

Records are typed (``run.records``) and hold codes; this module renders them as words in the
operator's language. Everything remote or typed by a person is printed without markup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from rich.console import Console
from rich.markup import escape

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


def print_runs(console: Console, rows: Sequence[Mapping[str, object]]) -> None:
    """The history as a table; a journal with problems is flagged on its row and explained below."""
    table = make_table(console, _("run"), _("runbook"), _("started (Asia/Shanghai)"), _("operator"), _("outcome"),
                       _("steps"))
    notes: list[str] = []
    ids: list[str] = []
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
        run_id = str(row.get("run_id") or "?")
        ids.append(run_id)
        cells = (run_id, row.get("runbook") or "?", str(row.get("started_shanghai") or "")[:19].replace("T", " "),
                 who, outcome)
        table.add_row(*(escape(str(c)) for c in cells), steps)
    keep_whole(table, 0, ids)
    console.print(table)
    for note in notes:
        console.print(_("warning: {note}").format(note=note), markup=False, soft_wrap=True)


def print_log(console: Console, reading: JournalReading) -> None:
    """Header, then each record in order, times in Asia/Shanghai; codes rendered as words."""
    story = replay(reading.run_id, reading.entries)
    say = _printer(console)
    say(_("run {run_id}  {runbook}  outcome: {outcome}").format(
        run_id=reading.run_id, runbook=story.runbook or "?", outcome=word(RUN_OUTCOMES, story.outcome)))
    say(_("journal: {path}").format(path=reading.path))
    for problem in reading.problems:
        what = _("cut short by a crash and ignored") if problem.torn else _("cannot be read")
        say(_("warning: {note}").format(note=f"{reading.describe(problem)} ({what})"))
    for entry in reading.entries:
        when = entry.stamp.time_shanghai[:19].replace("T", " ")
        for line in _lines(entry.record):
            say(f"{when:19}  {line}")
            when = ""


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
        lines += [f"     {t.host}$ {t.command}" for t in record.targets if t.command]
        return lines
    if isinstance(record, StepFinished):
        lines = [f"{word(MARK, record.outcome)} {record.no} {record.step}  {translate_reason(record.reason)}"]
        lines += [f"     [{t.host}] {translate_reason(t.reason)}" for t in record.targets if not t.passed and t.reason]
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
        return [_("pre-approval by {who}: every confirmation of this run (--assume-yes)").format(who=record.operator)]
    if isinstance(record, RunFinished):
        return [f"{word(RECORDS, record.type)} {word(RUN_OUTCOMES, record.outcome)}"]
    if isinstance(record, RunInterrupted | RunStopped):
        return [f"{word(RECORDS, record.type)} {translate(record.reason)}".rstrip()]
    if isinstance(record, StepInterrupted):
        return [f"{word(RECORDS, record.type)} {record.no} {record.step}"]
    return [getattr(record, "type", "?")]
