"""An engine with no network: an in-memory connection pool, a scripted confirmer, a fake clock."""

from __future__ import annotations

import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from otcctl.connectors.base import CommandOutput, Observe, Shell
from otcctl.connectors.pool import Connections
from otcctl.model.inventory import load_inventory
from otcctl.model.load import load_runbook
from otcctl.plan.build import Plan, build_plan
from otcctl.run.confirm import Answer, ScriptedConfirmer
from otcctl.run.engine import Engine, RunOptions
from otcctl.run.events import Event, RunResult
from otcctl.run.journal import Journal
from otcctl.run.replay import InFlight
from otcctl.secrets import Masker

INVENTORY = """\
version: 1
name: 单元测试
environment: lab
timezone: Asia/Shanghai
known_hosts: /nonexistent/known_hosts
hosts:
  M3:
    role: web
    address: 127.0.31.13
    os: linux
    transport: ssh
    port: 22
    kvm_order: 3
    groups: [web]
    user: otcops
    credential: {source: ssh-agent}
    services:
      - {name: Tomcat, title: Tomcat 前台, port: 8020, unit: tomcat}
  M4:
    role: web2
    address: 127.0.31.14
    os: linux
    transport: ssh
    port: 22
    kvm_order: 4
    groups: [web]
    user: otcops
    credential: {source: ssh-agent}
    services:
      - {name: Tomcat, title: Tomcat 前台, port: 8020, unit: tomcat}
databases:
  OTCDB:
    title: 柜台库
    service_name: OTCDB
    primary_host: M3
    route: sqlplus-ssh
    os_user: oracle
"""

HEADER = """\
name: {name}
title: 单元 {name}
cadence: on-demand
version: "u1"
manual_section: tests
steps:
"""

Script = Callable[[str, float, threading.Event | None], CommandOutput]


@dataclass
class FakeRunner:
    """Answers commands from a script; records what was sent."""

    host: str
    script: Script
    sent: list[str] = field(default_factory=list)

    def run(
        self,
        command: str,
        timeout: float,
        *,
        cancel: threading.Event | None = None,
        shell: Shell | None = None,
        observe: Observe | None = None,
        on_sent: Callable[[], None] | None = None,
    ) -> CommandOutput:
        self.sent.append(command)
        if on_sent is not None:
            on_sent()
        out = self.script(command, timeout, cancel)
        if observe is not None:
            observe("stdout", out.stdout.encode())
        return out

    def close(self) -> None:
        return None


class FakeConnections(Connections):
    """The real pool with fake runners: nothing is connected to."""

    def __init__(self, plan: Plan, script: Script) -> None:
        super().__init__(plan.inventory.inventory, Masker(), environ={})
        self.script = script
        self.runners: dict[str, FakeRunner] = {}

    def _open(self, host_id: str) -> FakeRunner:  # type: ignore[override]
        runner = FakeRunner(host_id, self.script)
        self.runners[host_id] = runner
        return runner


def hang_until_cancel_or_timeout(command: str, timeout: float, cancel: threading.Event | None) -> CommandOutput:
    """A command that never ends on its own: honours the timeout and the cancel like a connector."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if cancel is not None and cancel.is_set():
            return CommandOutput(None, "", "", time.monotonic() - started, cancelled=True, kill_delivered=True)
        time.sleep(0.01)
    return CommandOutput(None, "", "", time.monotonic() - started, timed_out=True, kill_delivered=True)


def make_plan(tmp: Path, steps: str, name: str = "unit", extra: str = "") -> Plan:
    inv = tmp / "inventory.yaml"
    inv.write_text(INVENTORY, encoding="utf-8")
    book = tmp / f"{name}.yaml"
    book.write_text(HEADER.format(name=name) + textwrap.dedent(steps) + textwrap.dedent(extra), encoding="utf-8")
    return build_plan(load_runbook(book), load_inventory(inv), {}, date(2026, 11, 27))


@dataclass
class Ran:
    result: RunResult
    journal: Path
    events: list[Event]
    connections: FakeConnections
    confirmer: ScriptedConfirmer


def run_engine(
    tmp: Path,
    plan: Plan,
    script: Script,
    answers: list[Answer | tuple[Answer, str]] | None = None,
    *,
    engine_hook: Callable[[Engine], None] | None = None,
    progress: InFlight | None = None,
) -> Ran:
    connections = FakeConnections(plan, script)
    confirmer = ScriptedConfirmer(list(answers or []))
    events: list[Event] = []

    class Collect:
        def on_event(self, event: Event) -> None:
            events.append(event)

    journal = Journal.create(tmp / "state", "unit-run")
    clock = [datetime(2026, 11, 27, 2, 0, tzinfo=UTC)]
    engine = Engine(
        plan,
        run_id="unit-run",
        journal=journal,
        connections=connections,
        confirmer=confirmer,
        listeners=[Collect()],
        masker=connections.masker,
        options=RunOptions({"login": "tester", "machine": "unit"}),
        now=lambda: clock[0],
    )
    if engine_hook is not None:
        engine_hook(engine)
    result = engine.run(in_flight=progress.step if progress else None, progress=progress)
    journal.close()
    return Ran(result, journal.path, events, connections, confirmer)
