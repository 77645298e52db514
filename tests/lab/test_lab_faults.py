"""The shipped runbooks against the failures real hosts have, injected with ``otcctl lab fault``.

Each test runs a shipped runbook, unchanged, in process against a private lab (the session lab
stays well-behaved for everyone else) with an operator who confirms what a person confirms,
answers "stop" when a step fails and "no" when a rollback is offered, so the test sees what was
offered. Every fault must meet a clear verdict naming the cause, the waits the runbook
promises (not more, not less), the rollback where the runbook has one, and never a pass.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
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
        for host in faulty.spec.hosts:
            faults.clear(faulty.layout, faulty.spec, host.id)
        time.sleep(0.3)  # the peers re-read their faults on their next tick
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


def test_dependents_running_stops_the_step_at_once_with_error_1051(lab_state: Lab) -> None:
    faults.inject(lab_state.layout, lab_state.spec, "M5", "dependents-running", service="OTCTranSZT")
    started = time.monotonic()
    result, _ = run(lab_state, "failover-drill")
    stop = step(result, "stop-report-program")
    assert result.outcome == "failed" and stop.outcome == "failed"
    assert "1051" in reasons(stop) and "sc enumdepend OTCTranSZT" in reasons(stop)
    assert time.monotonic() - started < 45  # not the step's 1 minute settle: waiting cannot help
    assert "stop-middleware" not in {s.step_id for s in result.steps}


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


def test_slow_stop_is_waited_for_within_the_settle_time(lab_state: Lab) -> None:
    faults.inject(lab_state.layout, lab_state.spec, "M5", "slow-stop", service="OTCTranSZT", seconds=6)
    faults.inject(lab_state.layout, lab_state.spec, "M6", "dependents-running", service="OTCTranSZT")
    result, _ = run(lab_state, "failover-drill")
    stop = step(result, "stop-report-program")
    m5 = next(t for t in stop.targets if t.host == "M5")
    assert m5.passed and m5.duration >= 6, m5.reason  # waited the slow stop out
    assert result.outcome == "failed" and stop.outcome == "failed" and "1051" in reasons(stop)  # M6's fault


@pytest.mark.slow(60)
def test_stuck_stop_pending_fails_after_the_settle_time_naming_the_state(lab_state: Lab) -> None:
    faults.inject(lab_state.layout, lab_state.spec, "M5", "stuck-stop-pending", service="OTCTranSZT")
    result, _ = run(lab_state, "failover-drill")
    stop = step(result, "stop-report-program")
    m5 = next(t for t in stop.targets if t.host == "M5")
    assert not m5.passed and "stop_pending" in m5.reason
    assert 55 <= m5.duration < 100  # the runbook's settle: 1m
    assert result.outcome == "failed"


@pytest.mark.slow(20)
def test_a_service_that_dies_after_start_fails_and_the_rollback_is_offered(lab_state: Lab) -> None:
    for service in ("FOS", "BLS", "RS", "OTCTranSZT"):  # the standby's middleware is stopped before a drill
        write_state(lab_state.layout.service_state("M6", service), STOPPED)
    faults.inject(lab_state.layout, lab_state.spec, "M6", "dies-after-start", service="RS", seconds=1)
    result, operator = run(lab_state, "failover-drill")
    start = step(result, "start-middleware-standby")
    assert start.outcome == "failed" and result.outcome == "failed"
    assert "dies right after starting" in reasons(start) and "RS" in reasons(start)
    assert operator.offered_rollback() == ["start-middleware-standby"]


@pytest.mark.slow(25)
def test_a_mounted_physical_standby_fails_the_open_check_and_the_rollback_is_offered(lab_state: Lab) -> None:
    faults.inject(lab_state.layout, lab_state.spec, "M2", "standby-mounted")
    result, operator = run(lab_state, "failover-drill")
    check = step(result, "verify-db-open")
    assert check.outcome == "failed" and result.outcome == "failed"
    assert "MOUNTED" in reasons(check) or "MOUNTED" in "".join(t.stdout for t in check.targets)
    assert operator.offered_rollback() == ["verify-db-open"]
    sqlplus = lab_state.layout.host_root("M2") / "bin" / "sqlplus"
    script = "select count(*) from aboss.tdrwt;\nselect open_mode, database_role from v$database;\nexit\n"
    done = subprocess.run([str(sqlplus), "-S", "/ as sysdba"], input=script, capture_output=True, text=True,
                          env={**os.environ, "ORACLE_SID": "OTCDB"}, timeout=30, check=False)
    assert "ORA-01219: database not open: queries allowed on fixed tables/views only" in done.stdout
    assert "MOUNTED" in done.stdout and "PHYSICAL STANDBY" in done.stdout


@pytest.mark.slow(75)
def test_slow_reboot_and_503_while_starting_are_waited_for(lab_state: Lab) -> None:
    faults.inject(lab_state.layout, lab_state.spec, "M5", "reboot-slow", seconds=7)
    faults.inject(lab_state.layout, lab_state.spec, "M5", "winrm-503-while-starting", seconds=4)
    faults.inject(lab_state.layout, lab_state.spec, "M1", "reboot-slow", seconds=5)
    result, _ = run(lab_state, "monthly-restart", stop_at="00:00")
    reboot, db_reboot = step(result, "reboot-other-servers"), step(result, "reboot-db-servers")
    assert reboot.outcome == "passed" and db_reboot.outcome == "passed", (reasons(reboot), reasons(db_reboot))
    m5 = next(t for t in reboot.targets if t.host == "M5")
    m1 = next(t for t in db_reboot.targets if t.host == "M1")
    assert m5.duration >= 7 + 4 and m1.duration >= 5, (m5.duration, m1.duration)
    assert result.outcome == "passed", [(s.step_id, s.outcome) for s in result.steps]


@pytest.mark.slow(10)
def test_a_held_reboot_fails_the_reboot_step_when_the_host_never_goes_down(lab_state: Lab, tmp_path: Path) -> None:
    """monthly-restart's own reboot step, on M5 only and with 10 s instead of the default 5 min to go down."""
    book = load_yaml(RUNBOOKS / "monthly-restart.yaml").data  # otcctl's YAML: `no:` is a key, not False
    reboot = next(s for s in book["steps"] if s["id"] == "reboot-other-servers")
    book["steps"] = [{**reboot, "targets": ["M5"], "down_timeout": "10s"}]
    book.pop("params", None)
    folder = tmp_path / "runbooks"
    folder.mkdir()
    (folder / "monthly-restart.yaml").write_text(yaml.safe_dump(book, allow_unicode=True), encoding="utf-8")
    faults.inject(lab_state.layout, lab_state.spec, "M5", "reboot-held")
    result, _ = run(lab_state, "monthly-restart", runbooks=folder)
    step_result = step(result, "reboot-other-servers")
    assert result.outcome == "failed" and step_result.outcome == "failed"
    assert "did not go down" in reasons(step_result) and "holding the shutdown" in reasons(step_result)
    assert 10 <= step_result.targets[0].duration < 40
