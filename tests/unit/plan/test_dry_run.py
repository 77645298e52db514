"""The dry run shows exactly what a run would do, and opens no connection at all."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from otcctl.cli.app import app
from tests.helpers import REPO, run_cli

ALL_RUNBOOKS = sorted(p.stem for p in (REPO / "runbooks").glob("*.yaml"))


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Any attempt to create a socket is recorded and refused."""
    attempts: list[Any] = []

    def refuse(self: socket.socket, *args: Any, **kwargs: Any) -> None:
        attempts.append(args)
        raise AssertionError("the dry run tried to create a socket")

    monkeypatch.setattr(socket.socket, "__init__", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: refuse(None, *a))  # type: ignore[arg-type]
    return attempts


@pytest.mark.parametrize("name", ALL_RUNBOOKS)
def test_dry_run_creates_no_socket(name: str, no_network: list[Any]) -> None:
    result = CliRunner().invoke(app, ["dry-run", name, "--date", "20261127"])
    assert result.exit_code == 0, result.output
    assert "DRY RUN" in result.output
    assert no_network == []


def test_monthly_restart_dry_run_shows_the_six_manual_steps_in_kvm_order() -> None:
    result = run_cli("dry-run", "monthly-restart", "--date", "20261127", "--json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    refs = [s["source"] for s in plan["steps"]]
    for line in range(746, 752):
        assert f"手册 L{line}" in refs, f"manual line {line} missing: {refs}"
    # the manual's order: notify, 16:00 gate and stop, reboot, check, start, notify
    first = {n: refs.index(f"手册 L{n}") for n in range(746, 752)}
    assert [first[n] for n in range(746, 752)] == sorted(first.values())
    reboots = [s for s in plan["steps"] if s["kind"] == "reboot"]
    assert all(s["order"] == "kvm" for s in reboots)
    assert [t["host"] for s in reboots for t in s["targets"]] == ["M1", "M2", "M3", "M4", "M5", "M6"]
    assert reboots[0]["targets"][0]["command"] == "sudo /sbin/shutdown -r now"
    ids = [s["id"] for s in plan["steps"]]
    # Oracle and 九桥同步 are stopped before a DB host reboots, and today's clearing and backup checked before the stop
    assert ids.index("clearing-done") < ids.index("backup-done") < ids.index("stop-middleware")
    assert ids.index("stop-jiuqiao-sync") < ids.index("shutdown-oracle") < ids.index("reboot-db-servers")
    shutdown = next(s for s in plan["steps"] if s["id"] == "shutdown-oracle")
    assert "shutdown immediate" in shutdown["targets"][0]["services"][0]["command"]
    gate = next(s for s in plan["steps"] if s["kind"] == "time_gate")
    assert gate["condition"].endswith("16:00")
    stop = next(s for s in plan["steps"] if s["id"] == "stop-middleware")
    assert [t["host"] for t in stop["targets"]] == ["M5"]  # the manual's 【2-5】RZRQ-FOS-25, as the inventory names it
    m5 = stop["targets"][0]
    assert [x["command"] for x in m5["services"]][:2] == ["sc stop AxSvrMgr", "sc stop OTCTranSZT"]
    losap = next(s for s in plan["steps"] if s["source"] == "手册 L749")
    assert [x["name"] for t in losap["targets"] for x in t["services"]] == ["LOSAP", "LOSAP"]


def test_dry_run_text_names_hosts_addresses_and_commands() -> None:
    result = run_cli("dry-run", "monthly-restart", "--date", "20261127")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "M1 192.168.18.131 ssh:22" in out
    assert "M5 192.168.18.134 winrm:5986" in out
    assert "gate: not before 16:00 Asia/Shanghai" in out
    assert "\x1b[" not in out  # plain text when piped
    databases = out[out.index("[reboot] reboot-db-servers") : out.index("start-oracle")]
    assert [databases.index(f"主机: M{n} ") for n in (1, 2)] == sorted(databases.index(f"主机: M{n} ") for n in (1, 2))
    others = out[out.index("[reboot] reboot-other-servers") : out.index("losap-started")]
    positions = [others.index(f"主机: M{n} ") for n in range(3, 7)]
    assert positions == sorted(positions)


def test_parameter_override_changes_the_rendered_plan() -> None:
    result = run_cli("dry-run", "monthly-restart", "-p", "stop_at=00:00", "--json")
    plan = json.loads(result.stdout)
    assert plan["params"]["stop_at"] == "00:00"
    assert next(s for s in plan["steps"] if s["kind"] == "time_gate")["condition"].endswith("00:00")


def test_values_are_shell_quoted_never_pasted(tmp_path: Path) -> None:
    result = run_cli("dry-run", "market-open", "-p", "disk_path=/tmp; rm -rf /", "--date", "20261127", "--json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    disk = next(s for s in plan["steps"] if s["id"] == "disk-space")
    assert disk["targets"][0]["command"].startswith("df -P '/tmp; rm -rf /' | awk")


def test_data_file_paths_use_the_run_date() -> None:
    plan = json.loads(run_cli("dry-run", "market-open", "--date", "2026-11-27", "--json").stdout)
    f1 = next(s for s in plan["steps"] if s["kind"] == "file")
    assert f1["targets"][0]["path"].endswith("/20261127/FundDay/OFD_ZZ_189_20261127_07.TXT")
    assert f1["targets"][0]["host"] == "M4"


def test_json_outputs_parse() -> None:
    listing = json.loads(run_cli("list", "--json").stdout)
    assert {r["name"] for r in listing} == set(ALL_RUNBOOKS)
    shown = json.loads(run_cli("show", "market-open", "--json").stdout)
    assert shown["steps"][0]["id"] == "restart-md-gateway"
    report = json.loads(run_cli("validate", "--json").stdout)
    assert report["ok"] is True and len(report["files"]) == len(ALL_RUNBOOKS) + 1


def test_dry_run_and_list_load_no_transport_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from otcctl.cli.app import app\n"
        "r = CliRunner().invoke(app, ['dry-run', 'monthly-restart', '--date', '20261127'])\n"
        "assert r.exit_code == 0, r.output\n"
        "CliRunner().invoke(app, ['list'])\n"
        "print(sorted(m for m in ('paramiko', 'winrm', 'oracledb', 'fpdf') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_per_host_values_name_the_host_each_command_runs_on() -> None:
    plan = json.loads(run_cli("dry-run", "failover-drill", "--date", "20261128", "--json").stdout)
    check = next(s for s in plan["steps"] if s["id"] == "verify-tomcat-http")
    (target,) = check["targets"]
    assert target["host"] == "M4" and "http://192.168.18.133:8020/" in target["command"]


def test_list_reads_the_runbooks_without_the_inventory_or_the_plan() -> None:
    """``otcctl list`` needs the runbook schema only: no inventory model, no plan, no step machinery."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from otcctl.cli.main import run_cli\n"
        "assert run_cli(['list']) == 0\n"
        "print(sorted(m for m in sys.modules if m == 'otcctl.model.inventory' or m.startswith(('otcctl.plan', "
        "'otcctl.steps', 'otcctl.run.'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "market-open" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "[]"
