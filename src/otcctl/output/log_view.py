"""``otcctl runs`` and ``otcctl log``: journals read back for a person (the auditor's view).

Records are typed (``run.records``) and hold codes; this module renders them as words in the
operator's language. Everything remote or typed by a person is printed without markup.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console

from otcctl.i18n import _
from otcctl.model.durations import format_duration
from otcctl.output.console import make_console
from otcctl.output.labels import ANSWERS, HOW, PURPOSES, RECORDS, REVIEW_VERDICTS, RUN_OUTCOMES, word
from otcctl.output.messages import translate, translate_reason
from otcctl.output.run_view import MARK
from otcctl.run.audit import AuditReport, JournalCheck
from otcctl.run.journal import JournalReading
from otcctl.run.records import (
    CommandSent,
    Confirmation,
    HostFinished,
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


def print_verify(report: AuditReport, console: Console | None = None) -> None:
    """One line per run (ok with its head, or the first record that does not fit), then the ledger."""
    say = _printer(console or make_console())
    for check in report.journals:
        if check.problem is None:
            say(_("ok      {run_id}  {records} records, head {head}").format(
                run_id=check.run_id, records=check.records, head=check.head))
        else:
            say(_("BROKEN  {run_id}  {problem}").format(run_id=check.run_id, problem=check.problem))
    if report.ledger_problem is not None:
        say(_("BROKEN  ledger  {problem}").format(problem=report.ledger_problem))
    elif report.ledger.exists:
        say(_("ok      ledger  {entries} entries ({path})").format(
            entries=len(report.ledger.entries), path=report.ledger.path))
    say(_("every chain holds") if report.ok else _("the record was changed or is incomplete: see BROKEN above"))


def print_log(console: Console, reading: JournalReading, chain: JournalCheck | None = None) -> None:
    """Header, then each record in order, times in Asia/Shanghai; codes rendered as words; a broken chain first."""
    story = replay(reading.run_id, reading.entries)
    say = _printer(console)
    say(_("run {run_id}  {runbook}  outcome: {outcome}").format(
        run_id=reading.run_id, runbook=story.runbook or "?", outcome=word(RUN_OUTCOMES, story.outcome)))
    say(_("journal: {path}").format(path=reading.path))
    if story.operators:
        say(_("operators: {who}").format(who="; ".join(str(o) for o in story.operators)))
    if chain is not None and chain.problem is not None:
        say(_("WARNING: the hash chain is broken: {problem}").format(problem=chain.problem))
    elif chain is not None:
        say(_("chain: {records} records, head {head}").format(records=chain.records, head=chain.head))
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
    if isinstance(record, ReviewRequested):
        return [_("review requested for {no} {step} (复核; waits {timeout})").format(
            no=record.no, step=record.step, timeout=format_duration(record.timeout))]
    if isinstance(record, Reviewed):
        who = _(" by {who}").format(who=record.reviewer) if record.reviewer else ""
        said = f" — {record.comment}" if record.comment else ""
        lines = [f"{word(REVIEW_VERDICTS, record.verdict)}{who}{said}"]
        return lines + ["   " + _("did not count: {why}").format(why=why) for why in record.refused]
    if isinstance(record, CommandSent):
        return [_("   sent to {host}").format(host=record.host)]
    if isinstance(record, HostFinished):
        mark = word(MARK, "passed" if record.passed else "failed")
        return [f"   [{record.host}] {mark}  {translate_reason(record.reason)}"]
    if isinstance(record, RunFinished):
        return [f"{word(RECORDS, record.type)} {word(RUN_OUTCOMES, record.outcome)}"]
    if isinstance(record, RunInterrupted | RunStopped):
        return [f"{word(RECORDS, record.type)} {translate(record.reason)}".rstrip()]
    if isinstance(record, StepInterrupted):
        stops = {"yes": _("stopped on the host"), "no": _("NOT confirmed stopped on the host")}
        stopped = stops.get(record.stopped, "")
        return [f"{word(RECORDS, record.type)} {record.no} {record.step} {record.signal} {stopped}".rstrip()]
    if isinstance(record, CommandSent):
        return []  # what left when: for the in-flight question and `--json`; the step lines say the rest
    if isinstance(record, HostFinished):
        state = _("ok") if record.passed else _("NOT OK")
        return [f"     [{record.host}] {state}: {translate_reason(record.reason)}"]
    return [getattr(record, "type", "?")]
