"""``otcctl log``: a run's journal read back for a person (the auditor's view)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from otcctl.output.run_view import MARK, describe_run
from otcctl.run.journal import JournalReading


def print_log(console: Console, reading: JournalReading) -> None:
    """Header, then each record in order, times in Asia/Shanghai."""
    summary = describe_run(reading.records)
    console.print(f"run {reading.run_id}  {summary['runbook']}  outcome: {summary['outcome']}", markup=False)
    console.print(f"journal: {reading.path}", markup=False)
    if reading.torn_lines:
        console.print(f"note: line(s) {reading.torn_lines} were torn by a crash and are ignored", markup=False)
    for record in reading.records:
        when = str(record.get("time_shanghai", ""))[:19].replace("T", " ")
        kind = record["type"]
        if kind == "run-started":
            op = record.get("operator", {})
            console.print(
                f"{when}  started by {escape(_who(op))}; runbook sha256 {record['runbook_sha256'][:12]}, "
                f"inventory {escape(record['inventory'])} ({record.get('environment')})"
            )
            console.print(f"{'':19}  params: " + escape(", ".join(f"{k}={v}" for k, v in record["params"].items())))
        elif kind == "step-started":
            source = f"  ({escape(record['source'])})" if "source" in record else ""
            console.print(
                f"{when}  >> {escape(str(record['no']))} {escape(record['step'])} [{record['kind']}]  "
                f"{escape(record.get('action', ''))}{source}"
            )
            for target in record.get("targets", []):
                if "command" in target:
                    console.print(f"{'':19}     {escape(target['host'])}$ {escape(target['command'])}")
        elif kind == "step-finished":
            mark = MARK.get(record["outcome"], record["outcome"])
            console.print(
                f"{when}  {mark} {escape(str(record['no']))} {escape(record['step'])}  {escape(record['reason'])}"
            )
        elif kind == "confirmation":
            op = record.get("operator", {})
            comment = f" — {record['comment']}" if record.get("comment") else ""
            console.print(
                f"{when}  ?? {escape(record['step'])} {record['purpose']}: {record['answer']} by "
                f"{escape(_who(op))} ({record['how']}){escape(comment)}"
            )
        elif kind in (
            "run-finished",
            "run-interrupted",
            "run-stopped",
            "run-resumed",
            "pre-approval",
            "step-interrupted",
        ):
            detail = record.get("outcome") or record.get("reason") or record.get("statement") or ""
            console.print(f"{when}  {kind} {escape(str(detail))}")


def _who(op: dict[str, str]) -> str:
    name = op.get("operator") or op.get("login", "?")
    return f"{name}@{op.get('machine', '?')}"
