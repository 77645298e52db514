"""Per-host progress and the sent record: a resume never repeats a host that is done."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from otcctl.connectors.base import CommandOutput
from otcctl.run.replay import InFlight
from tests.unit.run.harness import make_plan, run_engine

ROLLING = """\
  - id: rolling
    kind: shell
    targets: [M3, M4]
    order: kvm
    command: echo restart {{host_id}}
    on_failure: ask
    action: 逐台
    assumption: A01
"""


def ok(command: str, timeout: float, cancel: threading.Event | None) -> CommandOutput:
    return CommandOutput(0, "ok", "", 0.01)


def _types(journal: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]


def test_a_host_never_reached_is_simply_run_and_a_done_host_never_again(tmp_path: Path) -> None:
    plan = make_plan(tmp_path, ROLLING)
    ran = run_engine(tmp_path, plan, ok, [], progress=InFlight("rolling", frozenset({"M3"}), frozenset({"M3"})))
    assert "M3" not in ran.connections.runners  # done before the interruption: not touched
    assert ran.connections.runners["M4"].sent == ["echo restart M4"]
    assert ran.confirmer.asked == []  # nothing was in doubt: M4's command had never been sent
    assert ran.result.steps[0].outcome == "passed"


def test_a_host_whose_command_was_sent_is_decided_by_the_operator(tmp_path: Path) -> None:
    plan = make_plan(tmp_path, ROLLING)
    progress = InFlight("rolling", frozenset({"M3"}), frozenset({"M3", "M4"}))
    ran = run_engine(tmp_path, plan, ok, ["done"], progress=progress)
    (asked,) = ran.confirmer.asked
    assert asked.purpose == "in-flight" and "command sent to M4" in str(asked.verdict) and "done on M3" in str(
        asked.verdict
    )
    assert ran.connections.runners == {}
    assert ran.result.steps[0].outcome == "done-by-operator"


def test_rerun_after_the_interruption_runs_only_the_hosts_not_done(tmp_path: Path) -> None:
    plan = make_plan(tmp_path, ROLLING)
    progress = InFlight("rolling", frozenset({"M3"}), frozenset({"M3", "M4"}))
    ran = run_engine(tmp_path, plan, ok, ["rerun"], progress=progress)
    assert "M3" not in ran.connections.runners and ran.connections.runners["M4"].sent == ["echo restart M4"]


def test_retry_after_a_fix_by_hand_rechecks_only_the_failed_host(tmp_path: Path) -> None:
    plan = make_plan(tmp_path, ROLLING.replace("order: kvm", "order: parallel"))
    calls = {"M4": 0}

    def m4_fails_once(command: str, timeout: float, cancel: threading.Event | None) -> CommandOutput:
        if command.endswith("M4"):
            calls["M4"] += 1
            return CommandOutput(1 if calls["M4"] == 1 else 0, "", "down", 0.01)
        return CommandOutput(0, "ok", "", 0.01)

    ran = run_engine(tmp_path, plan, m4_fails_once, [("retry", "started it by hand")])
    assert ran.connections.runners["M3"].sent == ["echo restart M3"]
    assert ran.connections.runners["M4"].sent == ["echo restart M4", "echo restart M4"]
    assert ran.result.steps[0].outcome == "passed"


def test_the_journal_says_when_each_command_was_sent_and_each_host_done(tmp_path: Path) -> None:
    plan = make_plan(tmp_path, ROLLING)
    ran = run_engine(tmp_path, plan, ok, [])
    kinds = [(r["type"], r.get("host")) for r in _types(ran.journal)]
    assert kinds.index(("command-sent", "M3")) < kinds.index(("host-finished", "M3")) < kinds.index(
        ("command-sent", "M4")
    )


def test_the_replay_gives_the_in_flight_step_its_hosts_done_and_sent(tmp_path: Path) -> None:
    from otcctl.run.journal import Journal, read_journal
    from otcctl.run.records import CommandSent, HostFinished, StepStarted
    from otcctl.run.replay import replay

    journal = Journal.create(tmp_path, "progress")
    journal.append(StepStarted(step="rolling", no="3", kind="reboot"))
    for host in ("M1", "M2"):
        journal.append(CommandSent(step="rolling", no="3", host=host))
        journal.append(HostFinished(step="rolling", no="3", host=host, passed=True, reason="back"))
    journal.append(CommandSent(step="rolling", no="3", host="M3"))
    journal.close()
    reading = read_journal(journal.path)
    story = replay(reading.run_id, reading.entries)
    assert story.in_flight == "rolling"
    assert story.progress == InFlight("rolling", frozenset({"M1", "M2"}), frozenset({"M1", "M2", "M3"}))
