"""``otcctl doctor`` logs in everywhere a run would, and says plainly what does not work."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from otcctl_lab import Lab
from tests.runs import otcctl, variant_inventory


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_doctor_passes_in_the_lab(lab: Lab, tmp_path: Path) -> None:
    result = otcctl(tmp_path, "doctor", "-i", str(lab.inventory_path), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    findings = json.loads(result.stdout)
    logins = {f["target"].split()[0] for f in findings if f["check"] == "login" and f["ok"]}
    assert logins == {"M1", "M2", "M3", "M4", "M5", "M6"}
    database = next(f for f in findings if f["check"] == "database")
    assert database["ok"] and "sqlplus on M1" in database["detail"] and "no password" in database["detail"]


def test_doctor_names_what_is_wrong_without_a_traceback(lab: Lab, tmp_path: Path) -> None:
    inventory = variant_inventory(
        lab.inventory_path, tmp_path / "inv.yaml",
        databases__OTCDB__route="thin", databases__OTCDB__port=_closed_port(), databases__OTCDB__db_user="otcctl_ro",
        databases__OTCDB__credential={"source": "env", "variable": "DOCTOR_DB_PASSWORD"},
        hosts__M1__address="127.0.0.1",
    )
    result = otcctl(tmp_path, "doctor", "-i", str(inventory), env={"DOCTOR_DB_PASSWORD": "s3cret-db-pass"})
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "s3cret-db-pass" not in result.stdout + result.stderr
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("database"))
    assert "FAIL" in line and "127.0.0.1" in result.stdout
    assert "M1 (ssh 127.0.0.1:" in result.stdout  # M1 moved: its host key no longer matches that address


def test_doctor_refuses_production_here() -> None:
    from tests.helpers import run_cli

    result = run_cli("doctor", env={"OTCCTL_FORBID_PRODUCTION": "1"})
    assert result.returncode == 2 and "never connect" in result.stderr
