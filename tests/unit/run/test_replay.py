"""The one replay: outcome, what finished, what was in flight and who acted, from records in, summary out."""

from __future__ import annotations

from pathlib import Path

import pytest

from otcctl.run.journal import read_journal
from otcctl.run.records import PreApproval, Record, RunFinished, RunInterrupted, RunStopped, StepInterrupted
from otcctl.run.replay import replay
from tests.unit.run.journal_fixtures import LI, ZHANG, finished, header, passed_run, resumed, started, write

H = header(3)
CASES: list[tuple[str, list[Record], str, list[str], str | None]] = [
    # name, records, outcome, finished steps, in flight
    ("header only", [H], "incomplete", [], None),
    ("killed mid-step", [H, started(1), finished(1), started(2)], "interrupted", ["s1"], "s2"),
    (
        "ctrl-c",
        [H, started(1), StepInterrupted(step="s1", no="1"), RunInterrupted(reason="Ctrl-C")],
        "interrupted",
        [],
        "s1",
    ),
    ("passed", passed_run(3), "passed", ["s1", "s2", "s3"], None),
    (
        "failed",
        [H, started(1), finished(1, "failed", "exit 1"), RunFinished(outcome="failed", steps=1)],
        "failed",
        ["s1"],
        None,
    ),
    ("stopped", [H, RunStopped(reason="no secret"), RunFinished(outcome="failed", steps=0)], "failed", [], None),
    (
        "failed, resumed, passed",
        [
            H,
            started(1),
            finished(1, "failed"),
            RunFinished(outcome="failed", steps=1),
            resumed(LI, []),
            started(1),
            finished(1),
            started(2),
            finished(2),
            started(3),
            finished(3),
            RunFinished(outcome="passed", steps=3),
        ],
        "passed",
        ["s1", "s2", "s3"],
        None,
    ),
    (
        "failed, resumed, killed: the old end no longer counts",
        [H, started(1), finished(1, "failed"), RunFinished(outcome="failed", steps=1), resumed(LI, []), started(1)],
        "interrupted",
        ["s1"],
        "s1",
    ),
    (
        "in-flight step recorded done on resume",
        [H, started(1), resumed(LI, [], "s1"), finished(1, "done-by-operator", "recorded as done"), started(2)],
        "interrupted",
        ["s1"],
        "s2",
    ),
]


@pytest.mark.parametrize(("records", "outcome", "done", "flying"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_replay(tmp_path: Path, records: list[Record], outcome: str, done: list[str], flying: str | None) -> None:
    reading = read_journal(write(tmp_path, records))
    story = replay(reading.run_id, reading.entries)
    assert (story.outcome, list(story.finished), story.in_flight) == (outcome, done, flying)


def test_a_resume_skips_done_and_continue_on_failure_steps(tmp_path: Path) -> None:
    records = [
        H,
        started(1),
        finished(1, "skipped"),
        started(2),
        finished(2, "failed"),
        started(3),
        finished(3, "failed"),
        RunFinished(outcome="failed", steps=3),
    ]
    reading = read_journal(write(tmp_path, records))
    story = replay(reading.run_id, reading.entries)
    assert story.done_steps() == {"s1"}
    assert story.done_steps(frozenset({"s2"})) == {"s1", "s2"}


def test_the_summary_names_everyone_who_acted_and_every_exception(tmp_path: Path) -> None:
    records = [
        H,
        PreApproval(operator=ZHANG, statement="--assume-yes"),
        started(1),
        finished(1, "failed", "exit 1"),
        RunFinished(outcome="failed", steps=1),
        resumed(LI, []),
        started(1),
        finished(1, "passed", "failed (exit 1), accepted by the operator", answered=LI),
        started(2),
        finished(2, "skipped", "skipped by the operator"),
        started(3),
        finished(3),
        RunFinished(outcome="passed", steps=3),
    ]
    reading = read_journal(write(tmp_path, records))
    summary = replay(reading.run_id, reading.entries).summary().to_json()
    assert summary["outcome"] == "passed" and summary["resumes"] == 1
    assert summary["operators"] == ["zhangsan@ops-01 (张三)", "lisi@ops-02 as root via sudo (李四)"]
    assert summary["trading_date"] == "2026-11-27" and summary["environment"] == "lab"
    assert summary["steps_finished"] == 3 and summary["steps_total"] == 3
    assert summary["exceptions"] == [
        "confirmations pre-approved with --assume-yes by zhangsan@ops-01 (张三)",
        "1 s1: failed: exit 1",
        "1 s1: failed (exit 1), accepted by the operator",
        "2 s2: skipped: skipped by the operator",
    ]
