"""How wide a parallel step fans out, and when a file step needs to watch its file (fakes, no network)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from otcctl.connectors.base import CommandOutput, FileStat
from otcctl.model import schema as s
from otcctl.plan.steps import PlannedFile, PlannedShell, PlannedTarget
from otcctl.steps.base import StepContext
from otcctl.steps.dispatch import execute

NOW = 1_800_000_000.0


class _Hosts:
    """Connections whose commands take a moment and count how many run at once; ``date`` tells NOW."""

    def __init__(self, mtime: float = NOW - 600, together: int = 1) -> None:
        self.lock = threading.Condition()
        self.together = together  # a command waits (2 s at most) until this many run at once
        self.running = self.most = 0
        self.commands: list[str] = []
        self.mtime = mtime
        self.inventory = SimpleNamespace(hosts=defaultdict(lambda: SimpleNamespace(encoding="utf-8")))

    def runner(self, host_id: str) -> _Hosts:
        return self

    def files(self, host_id: str) -> _Hosts:
        return self

    def run(self, command: str, timeout: float, **_: Any) -> CommandOutput:
        with self.lock:
            self.commands.append(command)
            self.running += 1
            self.most = max(self.most, self.running)
            self.lock.notify_all()
            self.lock.wait_for(lambda: self.most >= self.together, timeout=2)  # a busy machine starts threads late
        time.sleep(0.05)
        with self.lock:
            self.running -= 1
        return CommandOutput(0, f"{NOW:.0f}\n" if command == "date +%s" else "", "", 0.05)

    def stat(self, path: str) -> FileStat:
        return FileStat(100, self.mtime)


def _context(hosts: _Hosts, sleeps: list[float], max_parallel: int | None = None) -> StepContext:
    return StepContext(hosts, {"date": "20261127"}, threading.Event(), lambda: datetime.fromtimestamp(NOW, UTC),  # type: ignore[arg-type]
                       sleeps.append, lambda message: None, max_parallel=max_parallel)


def _shell_step(count: int) -> PlannedShell:
    names = [f"H{i:02d}" for i in range(count)]
    step = s.ShellStep.model_validate({"id": "s1", "kind": "shell", "targets": names, "command": "true",
                                       "action": "bench", "assumption": "A01"})
    targets = tuple(PlannedTarget(n, "127.0.0.1", "ssh", 22, command="true") for n in names)
    return PlannedShell(index=1, no="1", step=step, targets=targets, condition="exit code 0", timeout=60.0,
                        order="parallel")


def _file_step(stable_for: str) -> PlannedFile:
    data: dict[str, Any] = {"id": "f1", "kind": "file", "targets": ["M4"], "path": "/data/F1.TXT",
                            "stable_for": stable_for, "action": "check", "assumption": "A01"}
    step = s.FileStep.model_validate(data)
    target = PlannedTarget("M4", "127.0.0.1", "ssh", 22, path="/data/F1.TXT")
    return PlannedFile(index=1, no="1", step=step, targets=(target,), condition="present", timeout=60.0,
                       exists=True, max_age=None, min_size=None, stable_for=step.stable_for, ofd=False)


def test_a_parallel_step_acts_on_all_its_hosts_at_once_by_default() -> None:
    hosts = _Hosts(together=20)
    results = execute(_shell_step(20), _context(hosts, []))
    assert len(results) == 20 and all(r.passed for r in results)
    assert hosts.most == 20


def test_max_parallel_narrows_the_fan_out() -> None:
    hosts = _Hosts(together=3)
    execute(_shell_step(12), _context(hosts, [], max_parallel=3))
    assert hosts.most == 3


def test_a_file_unchanged_for_longer_than_stable_for_is_not_watched_again() -> None:
    sleeps: list[float] = []
    [result] = execute(_file_step("5s"), _context(_Hosts(mtime=NOW - 600), sleeps))
    assert result.passed and sleeps == []
    assert result.details["unchanged_for"] == 600


def test_a_file_modified_just_now_is_watched_for_stable_for() -> None:
    sleeps: list[float] = []
    [result] = execute(_file_step("5s"), _context(_Hosts(mtime=NOW - 1), sleeps))
    assert result.passed and sleeps == [5.0]
