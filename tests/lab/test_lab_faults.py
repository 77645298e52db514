"""The shipped runbooks against the failures real hosts have, injected with ``otcctl lab fault``.

Each test runs a shipped runbook, unchanged, in process against a private lab (the session lab
stays well-behaved for everyone else) with an operator who confirms what a person confirms,
answers "stop" when a step fails and "no" when a rollback is offered, so the test sees what was
offered. Every fault must meet a clear verdict naming the cause, the waits the runbook
promises (not more, not less), the rollback where the runbook has one, and never a pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from otcctl.model.yamlsource import load_yaml
from otcctl.plan.prepare import PlanRequest
from otcctl.run.confirm import Answer, ConfirmRequest, How
from otcctl.run.events import RunResult, StepResult
from otcctl.run.records import Operator
from otcctl.run.session import RunRequest, start_run
from otcctl_lab import Lab, LabOptions, PortsInUse, faults, lab_down, lab_up
from otcctl_lab.errors import LabError
from otcctl_lab.fault_matrix import VERDICTS, Case, cases, plan_for_matrix
from otcctl_lab.layout import RUNNING, STOPPED, read_state, write_state
from otcctl_lab.power import set_service
from tests.conftest import PRODUCTION_INVENTORY
from tests.helpers import RUNBOOKS, run_cli
from tests.networks import FAULT_LABS, candidates


def start_private_lab(directory: Path, **options: Any) -> Lab:
    """A lab of this module's own, on the first free network of this worker's block of 127.0.60-79."""
    for network in candidates(FAULT_LABS):
        try:
            return lab_up(LabOptions(directory=directory, inventory=PRODUCTION_INVENTORY, network=network, **options))
        except PortsInUse:
            continue
    raise RuntimeError("no free loopback network for a private lab")


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    private = start_private_lab(tmp_path_factory.mktemp("faulty-lab"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OTCLAB_WINRM_PASSWORD", private.winrm_password())
        try:
            yield private
        finally:
            lab_down(private.layout.root)


@pytest.fixture
def lab_state(faulty: Lab) -> Iterator[Lab]:
    """Every test leaves the lab as it found it: faults cleared, services running."""
    try:
        yield faulty
    finally:
        windows = [h.id for h in faulty.spec.hosts if h.ssh_port is None]
        peers_had_faults = any(faults.current(faulty.layout, h) for h in windows)
        for host in faulty.spec.hosts:
            faults.clear(faulty.layout, faulty.spec, host.id)
        if peers_had_faults:
            time.sleep(0.3)  # the WinRM peers re-read their faults on their next tick (ctl and sqlplus: each call)
        for host in faulty.spec.hosts:
            for service in host.services:
                if read_state(faulty.layout.service_state(host.id, service.name), RUNNING) != RUNNING:
                    set_service(faulty.layout, faulty.spec, host.id, service.name, running=True)


class StopOnFailure:
    """Confirms what a person confirms; stops at a failed step; declines (but records) a rollback."""

    def __init__(self) -> None:
        self.asked: list[ConfirmRequest] = []

    def ask(self, request: ConfirmRequest) -> tuple[Answer, str, How]:
        self.asked.append(request)
        answers: dict[str, Answer] = {"confirm": "yes", "failure": "no", "rollback": "no"}
        answer = answers.get(request.purpose, "abort")
        return answer, "test operator", "scripted"

    def offered_rollback(self) -> list[str]:
        return [r.step_id for r in self.asked if r.purpose == "rollback"]


def run(lab: Lab, name: str, inventory: Path | None = None, runbooks: Path = RUNBOOKS,
        **params: str) -> tuple[RunResult, StopOnFailure]:
    day = datetime.strptime(lab.spec.date, "%Y%m%d").date()
    operator = StopOnFailure()
    request = RunRequest(PlanRequest(name, params, day, inventory or lab.inventory_path, runbooks),
                         Operator.current("演练"), allow_non_trading_day=True)
    state = lab.layout.root / "otcctl-state"
    return start_run(request, state, operator, []), operator


def step(result: RunResult, step_id: str) -> StepResult:
    return next(s for s in result.steps if s.step_id == step_id)


def reasons(result: StepResult) -> str:
    return " | ".join(t.reason for t in result.targets)


def test_fault_cli_sets_and_clears_and_refuses_what_does_not_fit(lab_state: Lab) -> None:
    layout, spec = lab_state.layout, lab_state.spec
    assert faults.inject(layout, spec, "M5", "slow-stop", service="FOS", seconds=7) == {"service": "FOS", "seconds": 7}
    assert faults.current(layout, "M5") == {"slow-stop": {"service": "FOS", "seconds": 7}}
    for host, fault, service, message in (
        ("M5", "standby-mounted", None, "database host"),
        ("M3", "reboot-held", None, "windows host"),
        ("M5", "slow-stop", None, "needs --service"),
        ("M5", "slow-stop", "Tomcat", "no service Tomcat on M5"),
        ("M5", "melt-down", None, "no fault 'melt-down'"),
    ):
        with pytest.raises(LabError, match=message):
            faults.inject(layout, spec, host, fault, service=service)
    assert faults.clear(layout, spec, "M5") == ["slow-stop"]
    root = str(layout.root)
    done = run_cli("lab", "fault", "M5", "dies-after-start", "--service", "RS", "--seconds", "2", "--dir", root)
    assert done.returncode == 0 and "M5: dies-after-start (service=RS, seconds=2)" in done.stdout
    assert faults.current(layout, "M5") == {"dies-after-start": {"service": "RS", "seconds": 2.0}}
    assert "injected faults: M5 dies-after-start (seconds=2.0, service=RS)" in run_cli(
        "lab", "status", "--dir", root).stdout.replace("\n", " ")
    refused = run_cli("lab", "fault", "M3", "standby-mounted", "--dir", root)
    assert refused.returncode != 0 and "applies to a database host" in refused.stderr
    assert "cleared dies-after-start" in run_cli("lab", "fault", "M5", "clear", "--dir", root).stdout


def test_access_denied_stops_at_once_and_names_the_missing_right(lab_state: Lab, tmp_path: Path) -> None:
    data = yaml.safe_load(lab_state.inventory_path.read_text(encoding="utf-8"))
    data["hosts"]["M5"]["user"] = "OTC\\otcmon"  # a Remote Management User: may connect, not control services
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    started = time.monotonic()
    result, _ = run(lab_state, "failover-drill", inventory)
    stop = step(result, "stop-report-program")
    assert stop.outcome == "failed" and result.outcome == "failed"
    assert "access denied: OTC\\otcmon may not control services on M5" in reasons(stop)
    assert "Administrators" in reasons(stop)
    assert time.monotonic() - started < 45


@pytest.mark.slow(60)
def test_stuck_stop_pending_fails_after_the_settle_time_naming_the_state(lab_state: Lab) -> None:
    faults.inject(lab_state.layout, lab_state.spec, "M5", "stuck-stop-pending", service="OTCTranSZT")
    result, _ = run(lab_state, "failover-drill")
    stop = step(result, "stop-report-program")
    m5 = next(t for t in stop.targets if t.host == "M5")
    assert not m5.passed and "stop_pending" in m5.reason
    assert 55 <= m5.duration < 100  # the runbook's settle: 1m
    assert result.outcome == "failed"


def test_a_mounted_physical_standby_answers_as_oracle_does(lab_state: Lab) -> None:
    """Fixed views answer (MOUNTED, no application session), application tables give ORA-01219."""
    faults.inject(lab_state.layout, lab_state.spec, "M2", "standby-mounted")
    sqlplus = lab_state.layout.host_root("M2") / "bin" / "sqlplus"
    script = ("select count(*) from aboss.tdrwt;\nselect open_mode, database_role from v$database;\n"
              "select count(*) as app_sessions from v$session where type = 'USER' and username <> 'SYS';\nexit\n")
    done = subprocess.run([str(sqlplus), "-S", "/ as sysdba"], input=script, capture_output=True, text=True,
                          env={**os.environ, "ORACLE_SID": "OTCDB"}, timeout=30, check=False)
    assert "ORA-01219: database not open: queries allowed on fixed tables/views only" in done.stdout
    assert "MOUNTED" in done.stdout and "PHYSICAL STANDBY" in done.stdout
    assert done.stdout.split("APP_SESSIONS")[1].split()[1:2] == ["0"], done.stdout


# The matrix: every shipped runbook against every fault that can meet it (derived from its plan).

FAULT_SECONDS = 2.0  # transient faults last this long: well inside every runbook's wait
SHORT_WAIT = "3s"  # the runbook's wait a failing fault uses up (settle, down_timeout), shortened for the suite
MATRIX_DAY = date(2026, 11, 30)


def matrix_cases() -> list[Case]:
    """Planned against the production inventory (no network): the lab's inventory has the same hosts."""
    return [c for book in sorted(RUNBOOKS.glob("*.yaml"))
            for c in cases(plan_for_matrix(book, PRODUCTION_INVENTORY, MATRIX_DAY), book.stem)]


def reduced_runbook(case: Case, folder: Path) -> Path:
    """The shipped runbook with only the steps the fault meets (rollback steps kept, so they can be offered).

    A step acts on the hosts the fault is injected on, retries become at most 2 attempts 1 s apart and the
    wait a failing fault exhausts becomes 3 s; all else is the runbook's own.
    """
    book = load_yaml(RUNBOOKS / f"{case.runbook}.yaml").data
    exhausts = VERDICTS[case.fault].exhausts
    kept = []
    for entry in book["steps"]:
        if entry["id"] not in case.steps:
            continue
        entry = dict(entry)
        if "targets" in entry:
            entry["targets"] = list(case.hosts(entry["id"]))
        if "retry" in entry:
            entry["retry"] = {"attempts": min(2, entry["retry"]["attempts"]), "delay": "1s"}
        if exhausts is not None:  # a step the fault meets has it (settle: service, down_timeout: reboot)
            entry[exhausts] = SHORT_WAIT
        kept.append(entry)
    book["steps"] = kept
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{case.runbook}.yaml"
    path.write_text(yaml.safe_dump(book, allow_unicode=True), encoding="utf-8")
    return folder


def journal_targets(result: RunResult) -> dict[str, dict[str, Any]]:
    """step id -> its step-finished record, as the journal has it."""
    records = [json.loads(line) for line in Path(result.journal).read_text(encoding="utf-8").splitlines()]
    return {r["step"]: r for r in records if r.get("type") == "step-finished"}


@pytest.mark.parametrize("case", matrix_cases(), ids=lambda c: f"{c.runbook}-{c.fault}")
def test_every_runbook_meets_every_fault_with_a_clear_verdict(lab_state: Lab, case: Case, tmp_path: Path) -> None:
    layout, spec = lab_state.layout, lab_state.spec
    verdict = VERDICTS[case.fault]
    kind = faults.FAULTS[case.fault]
    for m in case.meetings:  # a start must really start: the services it starts are stopped first
        if kind.meets == "service-start":
            for service in m.services:
                write_state(layout.service_state(m.host, service), STOPPED)
    for host, service in case.injections:
        faults.inject(layout, spec, host, case.fault, service=service,
                      seconds=FAULT_SECONDS if kind.seconds is not None else None)
    result, operator = run(lab_state, case.runbook, runbooks=reduced_runbook(case, tmp_path / "runbooks"),
                           **dict(case.params))
    outcomes = [(s.step_id, s.outcome, reasons(s)) for s in result.steps]
    journal = journal_targets(result)
    if verdict.waits:
        assert result.outcome == "passed", outcomes
        for host, _ in case.injections:  # the first step meeting each injected host waited the fault out
            first = next(m.step for m in case.meetings if m.host == host)
            recorded = next(t for t in journal[first]["targets"] if t["host"] == host)
            assert recorded["passed"] and recorded["duration"] >= FAULT_SECONDS, (host, journal[first])
        return
    assert result.outcome == "failed", outcomes
    first = next(i for i, s in enumerate(result.steps) if s.outcome != "passed")
    failed = result.steps[first]
    assert failed.outcome == "failed" and failed.step_id in case.steps, outcomes
    said = reasons(failed) + " " + " ".join(t.stdout for t in failed.targets)
    assert any(name.lower() in said.lower() for name in verdict.names), (verdict.names, said)
    for host, service in case.injections:  # a service fault names the service
        if service is not None and host in {t.host for t in failed.targets if not t.passed}:
            assert service in said, (service, said)
    planned = plan_for_matrix(RUNBOOKS / f"{case.runbook}.yaml", PRODUCTION_INVENTORY, MATRIX_DAY)
    rollback = next(p for p in planned.steps if p.id == failed.step_id).rollback
    assert operator.offered_rollback() == ([failed.step_id] if rollback else [])
    if verdict.at_once or "ORA-01219" in said:  # no retry: it cannot help (a mounted database stays mounted)
        assert journal[failed.step_id]["attempts"] == 1, journal[failed.step_id]
    if verdict.exhausts is not None:  # failed only once the (shortened) wait was used up
        assert any(t["duration"] >= 3 for t in journal[failed.step_id]["targets"] if not t["passed"])
