"""What ships: every procedure of the manual as a runbook, valid, documented, editor-checked."""

from __future__ import annotations

import json
import re

import yaml

from otcctl.model.load import load_runbook
from otcctl.model.schema_export import schema_json
from tests.helpers import INVENTORY, REPO, RUNBOOKS, run_cli

PROCEDURES = {
    "market-open", "intraday-monitor", "market-close", "end-of-day", "clearing", "weekly-backup-cleanup",
    "monthly-restart", "quarterly-archive-cleanup", "yearly-trading-calendar", "failover-drill",
    "failover-switchback",
}


def test_every_procedure_of_the_manual_has_its_runbook() -> None:
    assert {p.stem for p in RUNBOOKS.glob("*.yaml")} == PROCEDURES


def test_everything_shipped_validates() -> None:
    result = run_cli("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sum(line.startswith("ok ") for line in result.stdout.splitlines()) == len(PROCEDURES) + 1


def test_committed_json_schemas_match_the_models() -> None:
    for what in ("runbook", "inventory"):
        committed = (REPO / "schema" / f"{what}.schema.json").read_text(encoding="utf-8")
        assert json.loads(committed) == json.loads(schema_json(what)), f"run: otcctl schema {what} > schema/..."
    printed = run_cli("schema")
    assert json.loads(printed.stdout)["title"] == "otcctl runbook"


def test_editors_are_pointed_at_the_schema() -> None:
    for path in [*RUNBOOKS.glob("*.yaml")]:
        assert path.read_text(encoding="utf-8").splitlines()[0] == (
            "# yaml-language-server: $schema=../schema/runbook.schema.json"
        ), path
    assert INVENTORY.read_text(encoding="utf-8").splitlines()[0] == (
        "# yaml-language-server: $schema=schema/inventory.schema.json"
    )


def test_every_assumption_used_is_explained() -> None:
    documented = set(re.findall(r"\*\*(A\d{2,3})\b", (REPO / "docs" / "assumptions.md").read_text(encoding="utf-8")))
    used: dict[str, list[str]] = {}
    for path in RUNBOOKS.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for step in [*data["steps"], *data.get("rollback_steps", [])]:
            if "assumption" in step:
                used.setdefault(step["assumption"], []).append(f"{path.stem}:{step['id']}")
    missing = {k: v for k, v in used.items() if k not in documented}
    assert not missing, f"explain these in docs/assumptions.md: {missing}"


def test_monthly_restart_carries_the_manual_steps_and_market_open_the_gateway_step() -> None:
    monthly = yaml.safe_load((RUNBOOKS / "monthly-restart.yaml").read_text(encoding="utf-8"))
    refs = {s.get("manual_ref") for s in monthly["steps"]}
    assert all(f"L{line}" in refs for line in range(746, 752))
    numbered = [s.no for s in load_runbook(RUNBOOKS / "monthly-restart.yaml").runbook.steps if s.manual_ref]
    assert sorted(set(numbered)) == ["1", "2", "3", "4", "5", "6"]  # 序号 as the manual numbers them
    kinds = [s["kind"] for s in monthly["steps"]]
    assert kinds.index("notify") < kinds.index("time_gate") < kinds.index("service") < kinds.index("reboot")
    opening = yaml.safe_load((RUNBOOKS / "market-open.yaml").read_text(encoding="utf-8"))
    gateway = opening["steps"][0]
    assert gateway["kind"] == "manual" and gateway["where"] == "DDV5-HQZH-54"
    assert "ready" in gateway["judge"] and "process" in gateway["judge"]


def test_quarterly_cleanup_warns_about_the_mislabelled_date_field() -> None:
    data = yaml.safe_load((RUNBOOKS / "quarterly-archive-cleanup.yaml").read_text(encoding="utf-8"))
    assert "keep_months" in data["params"]
    ada = next(s for s in data["steps"] if s["kind"] == "manual" and "ADA" in (s.get("action", "") +
                                                                               s.get("instructions", "")))
    assert "起始日期" in ada.get("instructions", "") + ada.get("remark", "")
    assert any(s["kind"] == "sql" and "min(" in s["sql"].lower() for s in data["steps"])


def test_no_literal_secret_in_any_shipped_file() -> None:
    pattern = re.compile(r"^\s*(password|passwd|secret|token)\s*:\s*[^\s{$#]", re.I | re.M)
    for path in [*RUNBOOKS.glob("*.yaml"), INVENTORY]:
        assert not pattern.search(path.read_text(encoding="utf-8")), path
