"""A shared history for the ``otcctl runs`` benchmarks: N journals as real runs leave them.

Used by both ``history_bench.py`` and ``side_by_side.py`` so that they measure the same thing.
Every journal is written by the real ``Journal`` (hash chain, ledger anchors with summaries);
fsync is skipped only while building. A run has 6 steps on two hosts, each step with its
``step-started``, two ``command-sent``, two ``host-finished`` and ``step-finished`` with a few
lines of output (about 8 KiB per journal, like a real market-open). Runs are one per 10
minutes of trading hours over several months and several runbooks; 1 in 50 was killed in flight
(no end record), 1 in 20 failed, 1 in 100 was resumed and finished.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from otcctl.run.journal import Journal
from otcctl.run.records import (
    CommandSent,
    HostFinished,
    Operator,
    Record,
    RunFinished,
    RunInterrupted,
    RunResumed,
    RunStarted,
    StepFinished,
    StepLine,
    StepStarted,
    TargetOutcome,
    TargetPlan,
)

RUNBOOKS = ("market-open", "market-close", "end-of-day", "clearing", "intraday-monitor", "monthly-restart")
HOSTS = (("M3", "127.0.0.13"), ("M4", "127.0.0.14"))
STEPS = 6
OPERATORS = (Operator(login="zhangsan", machine="ops-01", stated="张三"),
             Operator(login="root", machine="ops-02", sudo_user="lisi", stated="李四"))
OUTPUT = "".join(f"{n:>3} OTC_GATEWAY  RUNNING  pid {4000 + n}  since 09:14:5{n % 10}\n" for n in range(6))


def _header(runbook: str, day: str, operator: Operator) -> RunStarted:
    return RunStarted(
        runbook=runbook, title="开市前检查", runbook_version="3", runbook_path=f"/srv/otcctl/runbooks/{runbook}.yaml",
        runbook_sha256="a" * 64, inventory="/srv/otcctl/inventory.yaml", inventory_sha256="b" * 64,
        environment="production", params={"date": day}, operator=operator, otcctl_version="0.1.0",
        steps_total=STEPS,
        steps=[StepLine(no=str(n), id=f"step-{n}", kind="shell", host="M3,M4", source=f"手册 L{700 + n}")
               for n in range(1, STEPS + 1)],
    )


def _step(n: int, outcome: str) -> list[Record]:
    step, no = f"step-{n}", str(n)
    passed = outcome == "passed"
    reason = "exit 0" if passed else "exit 1"
    records: list[Record] = [StepStarted(
        step=step, no=no, kind="shell", action=f"检查第{n}组服务", source=f"手册 L{700 + n}",
        targets=[TargetPlan(host=h, address=a, transport="ssh", command=f"systemctl status otc-gw-{n} --no-pager")
                 for h, a in HOSTS])]
    records += [CommandSent(step=step, no=no, host=h) for h, _ in HOSTS]
    records += [HostFinished(step=step, no=no, host=h, passed=passed, reason=reason) for h, _ in HOSTS]
    records.append(StepFinished(
        step=step, no=no, outcome=outcome, reason=reason, attempts=1, duration=0.21,
        targets=[TargetOutcome(host=h, passed=passed, reason=reason, exit_code=0 if passed else 1, stdout=OUTPUT,
                               duration=0.2) for h, _ in HOSTS]))
    return records


def run_records(index: int, day: str) -> tuple[str, list[Record]]:
    """The runbook and records of run number ``index``, for trading date ``day`` (deterministic)."""
    runbook = RUNBOOKS[index % len(RUNBOOKS)]
    operator = OPERATORS[index % 2]
    records: list[Record] = [_header(runbook, day, operator)]
    failed_at = STEPS if index % 20 == 7 else 0
    killed = index % 50 == 3
    for n in range(1, STEPS + 1):
        records += _step(n, "failed" if n == failed_at else "passed")
        if killed and n == 3:
            records += _step(4, "passed")[:3]  # killed while step 4's commands ran
            return runbook, records
        if index % 100 == 11 and n == 2:
            records += [RunInterrupted(reason="SIGTERM"), RunResumed(operator=OPERATORS[1], done=["step-1", "step-2"])]
    records.append(RunFinished(outcome="failed" if failed_at else "passed", steps=STEPS))
    return runbook, records


def build_history(state: Path, count: int) -> float:
    """``count`` runs in ``state`` (real journals and ledger); returns the seconds it took."""
    real_fsync = os.fsync
    os.fsync = lambda fd: None  # building the fixture only; every real run fsyncs each record
    began = time.perf_counter()
    try:
        start = datetime(2026, 1, 5, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
        for index in range(count):
            day, slot = divmod(index, 36)  # 36 runs a day, 10 minutes apart
            moment = start + timedelta(days=day, minutes=10 * slot)
            runbook, records = run_records(index, f"{moment + timedelta(hours=8):%Y-%m-%d}")
            journal = Journal.create(state, f"{moment + timedelta(hours=8):%Y%m%d-%H%M%S}-{runbook}-{index:04x}")
            for offset, record in enumerate(records):
                journal.append(record, now=moment + timedelta(seconds=offset))
            journal.close()
    finally:
        os.fsync = real_fsync
    return time.perf_counter() - began
