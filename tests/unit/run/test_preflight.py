"""Preflight: every predictable stop refuses the run before anything is sent (plans only, no network)."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from otcctl.connectors.known_hosts import lookup_name
from otcctl.plan.build import Plan
from otcctl.plan.prepare import PlanRequest, prepare_plan
from otcctl.run.preflight import Refused, Situation, log_refusal, preflight
from tests.helpers import host_public_key

REPO = Path(__file__).resolve().parents[3]
FRIDAY = date(2026, 11, 27)  # a trading day
SATURDAY = date(2026, 11, 28)
TEN_AM_SHANGHAI = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def _situation(**kw: object) -> Situation:
    base: dict[str, object] = {"answers": True, "live": True, "no_wait": False, "overrides": {}, "run_date": FRIDAY}
    return Situation(**{**base, **kw})  # type: ignore[arg-type]


def _refusal(plan_name: str, situation: Situation, tmp: Path, run_date: date = FRIDAY, **overrides: str) -> str:
    plan = prepare_plan(PlanRequest(plan_name, dict(overrides), run_date=run_date))
    with pytest.raises(Refused) as caught:
        preflight(plan, situation, tmp, now=lambda: TEN_AM_SHANGHAI)
    return str(caught.value)


def test_no_wait_before_the_gate_refuses_before_the_departments_are_mailed(tmp_path: Path) -> None:
    said = _refusal("monthly-restart", _situation(no_wait=True), tmp_path)
    assert "16:00" in said and "--no-wait" in said and "(1)" in said


def test_a_lab_only_parameter_cannot_move_the_gate_in_production(tmp_path: Path) -> None:
    said = _refusal("monthly-restart", _situation(overrides={"stop_at": "00:00"}), tmp_path, stop_at="00:00")
    assert "stop_at" in said and "lab" in said


def test_the_failover_drill_never_runs_on_a_trading_day(tmp_path: Path) -> None:
    said = _refusal("failover-drill", _situation(run_date=FRIDAY), tmp_path)
    assert "is a trading day" in said


def test_no_terminal_and_no_pre_approval_refuses_a_runbook_that_asks(tmp_path: Path) -> None:
    nobody = _situation(answers=False, live=False, run_date=SATURDAY)
    said = _refusal("failover-drill", nobody, tmp_path, run_date=SATURDAY)
    assert "no terminal" in said


def test_assume_yes_never_covers_disruptive_steps_against_production(tmp_path: Path) -> None:
    said = _refusal(
        "monthly-restart", _situation(answers=True, live=False, run_date=SATURDAY), tmp_path, run_date=SATURDAY
    )
    assert "disruptive" in said and "reboot-db-servers" in said and "stop-middleware" in said


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_a_state_directory_that_cannot_take_the_journal_refuses(tmp_path: Path) -> None:
    locked = tmp_path / "state"
    locked.mkdir()
    locked.chmod(0o500)
    said = _refusal("market-open", _situation(), locked)
    assert "state directory" in said


def _ssh_hosts(plan: Plan) -> dict[str, str]:
    """host id -> the name paramiko looks its key up by, for every SSH host the plan acts on."""
    return {t.host_id: lookup_name(t.address, t.port) for p in plan.every_step
            for t in p.targets if t.transport == "ssh"}


def _write_known_hosts(path: Path, names: list[str]) -> None:
    """A known_hosts file with a fresh key for each name (only the file: nothing is connected to)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{name} {host_public_key()}\n" for name in names), encoding="utf-8")


def test_a_clean_saturday_restart_at_a_terminal_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # the inventory names ~/.ssh/otcctl_known_hosts
    plan = prepare_plan(PlanRequest("monthly-restart", {}, run_date=SATURDAY))
    _write_known_hosts(tmp_path / ".ssh" / "otcctl_known_hosts", sorted(_ssh_hosts(plan).values()))
    preflight(plan, _situation(run_date=SATURDAY), tmp_path / "state", now=lambda: TEN_AM_SHANGHAI)


def test_a_host_without_a_known_key_refuses_the_run_before_anything_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    plan = prepare_plan(PlanRequest("monthly-restart", {}, run_date=SATURDAY))
    known = tmp_path / ".ssh" / "otcctl_known_hosts"
    with pytest.raises(Refused, match="known_hosts file does not exist"):
        preflight(plan, _situation(run_date=SATURDAY), tmp_path / "state", now=lambda: TEN_AM_SHANGHAI)
    hosts = _ssh_hosts(plan)
    _write_known_hosts(known, [name for host, name in hosts.items() if host != "M3"])
    with pytest.raises(Refused) as caught:
        preflight(plan, _situation(run_date=SATURDAY), tmp_path / "state", now=lambda: TEN_AM_SHANGHAI)
    assert f"M3 ({hosts['M3']}) has no key in this file" in str(caught.value)
    assert not (tmp_path / "state" / "runs").exists(), "a refused run starts no journal"


def test_refusals_are_logged(tmp_path: Path) -> None:
    from otcctl.errors import InputError
    from otcctl.run.records import Operator

    plan = prepare_plan(PlanRequest("monthly-restart", {}, run_date=SATURDAY))
    log_refusal(tmp_path, plan, Operator(login="ops", machine="m1"), InputError.at("-p", "no"))
    line = (tmp_path / "refusals.jsonl").read_text(encoding="utf-8")
    assert '"run-refused"' in line and "monthly-restart" in line


def test_a_nearly_full_disk_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: usage(10**9, 10**9 - 1000, 1000))
    said = _refusal("market-open", _situation(), tmp_path)
    assert "MiB free" in said


def test_a_windows_host_whose_ca_file_is_missing_or_empty_refuses_the_run(tmp_path: Path) -> None:
    """Checked as the connection loads it, before the first step on any host."""
    import yaml

    estate = yaml.safe_load((REPO / "inventory.yaml").read_text(encoding="utf-8"))
    estate["environment"] = "lab"
    estate["hosts"]["M5"]["winrm"] = {"ca_bundle": str(tmp_path / "absent-ca.pem"), "server_name": "OTC-M5"}
    estate["hosts"]["M6"]["winrm"] = {"ca_bundle": str(tmp_path / "empty-ca.pem"), "server_name": "OTC-M6"}
    (tmp_path / "empty-ca.pem").write_text("no certificate here\n", encoding="utf-8")
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(yaml.safe_dump(estate, allow_unicode=True).replace("192.168.", "127.0."), encoding="utf-8")
    assert "192.168." not in inventory.read_text(encoding="utf-8")
    plan = prepare_plan(PlanRequest("monthly-restart", {}, run_date=SATURDAY, inventory=inventory))
    with pytest.raises(Refused) as caught:
        preflight(plan, _situation(run_date=SATURDAY), tmp_path / "state", now=lambda: TEN_AM_SHANGHAI)
    fields = {problem.field: problem.message for problem in caught.value.problems}
    assert "does not exist; M5's certificate is checked against it" in fields["hosts.M5.winrm.ca_bundle"]
    assert "holds no certificate otcctl can read" in fields["hosts.M6.winrm.ca_bundle"]
