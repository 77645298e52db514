"""kill -9, Ctrl-C, a second operator: the journal survives, resume never re-runs a finished step."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from otcctl.run.audit import verify
from otcctl_lab import Lab
from tests.helpers import sleep_marker
from tests.runs import journals, otcctl, records, write_runbook


def _counting_runbook(books: Path, counts: Path, steps: int = 6) -> None:
    body = ""
    for n in range(1, steps + 1):
        host = "M3" if n % 2 else "M4"
        body += f"""\
  - id: step-{n}
    kind: shell
    targets: [{host}]
    command: echo run >> {counts}/step-{n}; sleep 0.25
    action: 第{n}步
    assumption: A01
"""
    write_runbook(books, "counting", body)


def _popen(state: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "OTCCTL_STATE_DIR": str(state), "NO_COLOR": "1"}
    return subprocess.Popen([sys.executable, "-m", "otcctl", *args], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_journal(state: Path, proc: subprocess.Popen[str], limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while not journals(state) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)


@pytest.mark.slow(45)
def test_kill_9_at_random_moments_leaves_a_journal_that_resume_finishes(lab: Lab, tmp_path: Path) -> None:
    rng = random.Random(20261127)
    books = tmp_path / "books"
    kills_mid_run = 0
    for attempt in range(10):
        counts = tmp_path / f"counts-{attempt}"
        counts.mkdir()
        _counting_runbook(books, counts)
        state = tmp_path / f"state-{attempt}"
        proc = _popen(state, "run", "counting", "--runbooks", str(books), "-i", str(lab.inventory_path))
        # start-up time varies with the machine's load: the random moment counts from the run's start
        _wait_for_journal(state, proc)
        time.sleep(rng.uniform(0.0, 1.5))  # the six steps sleep 1.5 s in all: every moment falls inside the run
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        found = journals(state)
        if not found:
            continue  # killed before the run began: nothing was done, nothing to resume
        (journal,) = found
        recs = records(journal)  # every line parses
        assert recs[0]["type"] == "run-started"
        finished_before = {r["step"] for r in recs if r["type"] == "step-finished"}
        if any(r["type"] == "run-finished" for r in recs):
            continue
        kills_mid_run += 1
        resumed = otcctl(state, "resume", journal.stem, "--assume-yes", "--in-flight", "rerun")
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        after = records(journal)
        assert after[-1]["type"] == "run-finished" and after[-1]["outcome"] == "passed"
        assert [r["seq"] for r in after] == list(range(1, len(after) + 1))  # one chain across the crash
        assert verify(state).ok, [str(j.problem) for j in verify(state).journals]  # and the ledger agrees
        for n in range(1, 7):
            step = f"step-{n}"
            executions = (counts / step).read_text().count("run") if (counts / step).exists() else 0
            starts = sum(1 for r in after if r["type"] == "step-started" and r["step"] == step)
            if step in finished_before:
                assert executions == 1 and starts == 1, (attempt, step, executions, starts)
            else:
                assert executions >= 1
    assert kills_mid_run >= 7


def test_in_flight_step_is_never_silently_rerun(lab: Lab, tmp_path: Path) -> None:
    books = tmp_path / "books"
    counts = tmp_path / "counts"
    counts.mkdir()
    write_runbook(books, "slow", f"""\
  - id: quick
    kind: shell
    targets: [M3]
    command: echo run >> {counts}/quick
    action: 快
    assumption: A01
  - id: long
    kind: shell
    targets: [M3]
    command: echo run >> {counts}/long; sleep 30
    action: 慢
    assumption: A01
""")
    state = tmp_path / "s"
    proc = _popen(state, "run", "slow", "--runbooks", str(books), "-i", str(lab.inventory_path))
    deadline = time.monotonic() + 20
    while not (counts / "long").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    (journal,) = journals(state)
    shown = otcctl(state, "runs")
    assert "in flight: long" in shown.stdout
    refused = otcctl(state, "resume", journal.stem, "--assume-yes")
    assert refused.returncode == 1 and "--in-flight" in refused.stdout + refused.stderr
    assert (counts / "long").read_text().count("run") == 1
    done = otcctl(state, "resume", journal.stem, "--assume-yes", "--in-flight", "done", "--operator", "王五")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (counts / "long").read_text().count("run") == 1
    assert (counts / "quick").read_text().count("run") == 1
    recs = records(journal)
    decided = [r for r in recs if r["type"] == "confirmation" and r["purpose"] == "in-flight"]
    assert decided[-1]["answer"] == "done" and decided[-1]["operator"]["operator"] == "王五"
    assert any(r["type"] == "step-finished" and r["step"] == "long" and r["outcome"] == "done-by-operator"
               for r in recs)


def test_ctrl_c_stops_the_step_cleanly_and_exits_130(lab: Lab, tmp_path: Path) -> None:
    books = tmp_path / "books"
    marker = sleep_marker(700)
    write_runbook(books, "interrupt-me", f"""\
  - id: long
    kind: shell
    targets: [M4]
    command: {marker}
    timeout: 2m
    action: 等待
    assumption: A01
""")
    state = tmp_path / "s"
    proc = _popen(state, "run", "interrupt-me", "--runbooks", str(books), "-i", str(lab.inventory_path))
    deadline = time.monotonic() + 20
    while subprocess.run(["pgrep", "-fx", marker], capture_output=True).returncode != 0:
        assert time.monotonic() < deadline, "the command never started"
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, out + err
    assert "Traceback" not in out + err
    time.sleep(0.5)
    assert subprocess.run(["pgrep", "-fx", marker], capture_output=True).returncode == 1, "remote command left running"
    kinds = [r["type"] for r in records(journals(state)[0])]
    assert "step-interrupted" in kinds and "run-interrupted" in kinds


def test_second_run_of_the_same_runbook_is_refused_and_a_dead_holder_is_not(lab: Lab, tmp_path: Path) -> None:
    books = tmp_path / "books"
    write_runbook(books, "exclusive", """\
  - id: hold
    kind: shell
    targets: [M3]
    command: sleep 20
    action: 占用
    assumption: A01
""")
    state = tmp_path / "s"
    first = _popen(state, "run", "exclusive", "--runbooks", str(books), "-i", str(lab.inventory_path),
                   "--operator", "赵六")
    deadline = time.monotonic() + 20
    while not journals(state) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    second = otcctl(state, "run", "exclusive", "--runbooks", str(books), "-i", str(lab.inventory_path))
    assert second.returncode == 1
    assert "already running" in second.stderr and "赵六" in second.stderr and "since" in second.stderr
    first.send_signal(signal.SIGKILL)
    first.communicate()
    write_runbook(books, "exclusive", """\
  - id: hold
    kind: shell
    targets: [M3]
    command: "true"
    action: 占用
    assumption: A01
""")
    third = otcctl(state, "run", "exclusive", "--runbooks", str(books), "-i", str(lab.inventory_path))
    assert third.returncode == 0, third.stdout + third.stderr


@pytest.mark.slow(10)
def test_reboot_in_kvm_order_waits_for_each_host(lab: Lab, tmp_path: Path) -> None:
    books = tmp_path / "books"
    write_runbook(books, "reboot-web", """\
  - id: reboot
    kind: reboot
    targets: [web]
    down_timeout: 30s
    up_timeout: 60s
    action: 重启
    manual_ref: 月操作·重启服务器 第3步
""")
    state = tmp_path / "s"
    result = otcctl(state, "run", "reboot-web", "--runbooks", str(books), "-i", str(lab.inventory_path), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    progress = [e["message"] for e in events if e["event"] == "step-progress"]
    first_m4 = next(i for i, m in enumerate(progress) if m.startswith("M4"))
    assert all(m.startswith("M3") for m in progress[:first_m4])
    assert any("back after" in t["reason"] for e in events if e["event"] == "step-finished" for t in e["targets"])
