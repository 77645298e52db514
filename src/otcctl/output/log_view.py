"""``otcctl log``: a run's journal read back for a person (the auditor's view)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console

from otcctl.i18n import _
from otcctl.output.labels import ANSWERS, HOW, PURPOSES, RECORDS, RUN_OUTCOMES, word
from otcctl.output.messages import translate, translate_reason
from otcctl.output.run_view import MARK, describe_run
from otcctl.run.journal import JournalReading


def print_log(console: Console, reading: JournalReading) -> None:
    """Header, then each record in order, times in Asia/Shanghai; codes rendered as words."""
    summary = describe_run(reading.records)
    say = _printer(console)
    say(_("run {run_id}  {runbook}  outcome: {outcome}").format(
        run_id=reading.run_id, runbook=summary["runbook"], outcome=word(RUN_OUTCOMES, summary["outcome"])))
    say(_("journal: {path}").format(path=reading.path))
    if reading.torn_lines:
        say(_("note: line(s) {lines} were torn by a crash and are ignored").format(lines=reading.torn_lines))
    for record in reading.records:
        when = str(record.get("time_shanghai", ""))[:19].replace("T", " ")
        for line in _lines(record):
            say(f"{when:19}  {line}")
            when = ""


def _printer(console: Console) -> Callable[[str], None]:
    def say(text: str) -> None:
        console.print(text, markup=False, highlight=False, soft_wrap=True)

    return say


def _lines(record: dict[str, Any]) -> list[str]:
    kind = record["type"]
    if kind == "run-started":
        return [
            _("started by {who}; runbook sha256 {sha}, inventory {inventory} ({environment})").format(
                who=_who(record.get("operator", {})), sha=str(record.get("runbook_sha256", ""))[:12],
                inventory=record.get("inventory"), environment=record.get("environment")),
            _("params: {params}").format(
                params=", ".join(f"{k}={v}" for k, v in record.get("params", {}).items())),
        ]
    if kind == "step-started":
        lines = [f">> {record.get('no')} {record.get('step')} [{record.get('kind')}]  {record.get('action', '')}"]
        lines += [f"     {t['host']}$ {t['command']}" for t in record.get("targets", []) if "command" in t]
        return lines
    if kind == "step-finished":
        lines = [f"{word(MARK, record['outcome'])} {record.get('no')} {record.get('step')}  "
                 f"{translate_reason(str(record.get('reason', '')))}"]
        for target in record.get("targets", []):
            if not target.get("passed", True) and target.get("reason"):
                lines.append(f"     [{target.get('host')}] {translate_reason(str(target['reason']))}")
        return lines
    if kind == "confirmation":
        comment = f" — {record['comment']}" if record.get("comment") else ""
        verdict = _(" ({verdict})").format(verdict=translate_reason(str(record["verdict"]))) if record.get(
            "verdict") else ""
        return [_("?? {step} {purpose}{verdict}: {answer} by {who} ({how}){comment}").format(
            step=record.get("step"), purpose=word(PURPOSES, record.get("purpose", "")), verdict=verdict,
            answer=word(ANSWERS, record.get("answer", "")), who=_who(record.get("operator", {})),
            how=word(HOW, record.get("how", "")), comment=comment)]
    if kind == "run-resumed":
        flying = record.get("in_flight")
        return [_("resumed by {who}; {done} steps already done{flying}").format(
            who=_who(record.get("operator", {})), done=len(record.get("done", [])),
            flying=_("; in flight: {step}").format(step=flying) if flying else "")]
    if kind == "pre-approval":
        return [_("pre-approval by {who}: every confirmation of this run (--assume-yes)").format(
            who=_who(record.get("operator", {})))]
    if kind in RECORDS:
        detail = record.get("outcome") or record.get("reason") or record.get("statement") or ""
        shown = word(RUN_OUTCOMES, detail) if detail in RUN_OUTCOMES else translate(str(detail))
        return [f"{word(RECORDS, kind)} {shown}".rstrip()]
    return [kind]


def _who(op: dict[str, str]) -> str:
    name = op.get("operator") or op.get("login", "?")
    return f"{name}@{op.get('machine', '?')}"
