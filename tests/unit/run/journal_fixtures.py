"""Journals built record by record for the unit tests of records, replay and the chain."""

from __future__ import annotations

from pathlib import Path

from otcctl.run.journal import Journal
from otcctl.run.records import (
    Answered,
    Confirmation,
    Operator,
    Record,
    RunFinished,
    RunResumed,
    RunStarted,
    StepFinished,
    StepLine,
    StepStarted,
    TargetOutcome,
    TargetPlan,
)

ZHANG = Operator(login="zhangsan", machine="ops-01", stated="张三")
LI = Operator(login="root", machine="ops-02", sudo_user="lisi", stated="李四")
T = {"time_utc": "2026-11-27T07:30:00.000+00:00", "time_shanghai": "2026-11-27T15:30:00.000+08:00"}


def header(steps: int = 3, runbook: str = "market-open", operator: Operator = ZHANG) -> RunStarted:
    """A run header for a plan of ``steps`` shell steps."""
    return RunStarted(
        runbook=runbook,
        title="开市",
        runbook_version="1",
        runbook_path=f"/rb/{runbook}.yaml",
        runbook_sha256="a" * 64,
        inventory="/inv.yaml",
        inventory_sha256="b" * 64,
        environment="lab",
        params={"date": "2026-11-27"},
        operator=operator,
        otcctl_version="0.1",
        steps_total=steps,
        steps=[StepLine(no=str(n), id=f"s{n}", kind="shell", host="M3") for n in range(1, steps + 1)],
    )


def started(n: int) -> StepStarted:
    """Step ``s<n>`` starts on M3."""
    return StepStarted(
        step=f"s{n}",
        no=str(n),
        kind="shell",
        action=f"第{n}步",
        targets=[TargetPlan(host="M3", address="127.0.0.13", transport="ssh", command=f"echo {n}")],
    )


def finished(n: int, outcome: str = "passed", reason: str = "exit 0", answered: Operator | None = None) -> StepFinished:
    """Step ``s<n>`` ends; ``answered`` adds a confirmation by that operator."""
    confirmation = Answered(answer="yes", comment="看过", operator=answered, how="terminal", **T) if answered else None
    return StepFinished.model_validate(
        {
            "step": f"s{n}",
            "no": str(n),
            "outcome": outcome,
            "reason": reason,
            "attempts": 1,
            "duration": 0.5,
            "targets": [
                TargetOutcome(host="M3", passed=outcome == "passed", reason=reason, exit_code=0, stdout=f"{n}\n")
            ],
            "confirmation": confirmation,
        }
    )


def confirmed(n: int, operator: Operator, answer: str = "yes") -> Confirmation:
    """A person answered the question of step ``s<n>``."""
    return Confirmation.model_validate(
        {
            "step": f"s{n}",
            "no": str(n),
            "purpose": "confirm",
            "question": "ok?",
            "verdict": "exit 0",
            "answer": answer,
            "comment": "",
            "operator": operator,
            "how": "terminal",
        }
    )


def resumed(operator: Operator, done: list[str], in_flight: str | None = None) -> RunResumed:
    """Someone resumes the run."""
    return RunResumed(operator=operator, done=done, in_flight=in_flight)


def passed_run(steps: int = 3) -> list[Record]:
    """A whole run where every step passed."""
    records: list[Record] = [header(steps)]
    for n in range(1, steps + 1):
        records += [started(n), finished(n)]
    return [*records, RunFinished(outcome="passed", steps=steps)]


def write(folder: Path, records: list[Record], run_id: str = "20261127-153000-market-open-0001") -> Path:
    """A journal holding these records, written by the real Journal."""
    journal = Journal.create(folder, run_id)
    for record in records:
        journal.append(record)
    journal.close()
    return journal.path
