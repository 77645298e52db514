"""Which faults meet which runbook is derived from the plans, for every shipped runbook and every fault.

The lab test (tests/lab/test_lab_faults.py) is parametrised from the same derivation, so a new
runbook or fault enters the matrix by itself; these tests make sure nothing can fall out of it.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from otcctl.plan.build import Plan
from otcctl.plan.steps import PlannedReboot, PlannedServiceStep, PlannedSql
from otcctl_lab.fault_matrix import VERDICTS, cases, meetings, plan_for_matrix
from otcctl_lab.faults import FAULTS
from tests.conftest import PRODUCTION_INVENTORY
from tests.helpers import REPO, RUNBOOKS

DAY = date(2026, 11, 30)
SHIPPED = sorted(p.stem for p in RUNBOOKS.glob("*.yaml"))


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {name: plan_for_matrix(RUNBOOKS / f"{name}.yaml", PRODUCTION_INVENTORY, DAY) for name in SHIPPED}


def test_every_fault_has_a_verdict_and_meets_a_shipped_runbook(plans: dict[str, Plan]) -> None:
    assert set(VERDICTS) == set(FAULTS)
    met = {c.fault for name, plan in plans.items() for c in cases(plan, name)}
    assert met == set(FAULTS), f"faults no shipped runbook meets: {set(FAULTS) - met}"


def test_a_runbook_without_cases_has_nothing_a_fault_acts_on(plans: dict[str, Plan]) -> None:
    assert len(plans) == 11
    for name, plan in plans.items():
        exposed = [p.id for p in plan.steps if isinstance(p, PlannedReboot | PlannedSql)
                   or (isinstance(p, PlannedServiceStep) and p.operation != "status"
                       and (p.operation == "stop" or any(t.transport == "winrm" for t in p.targets)))]
        assert bool(cases(plan, name)) == bool(exposed), (name, exposed)


def test_the_derivation_follows_step_kind_host_and_service(plans: dict[str, Plan]) -> None:
    drill = {(m.fault, m.step, m.host, m.services) for m in meetings(plans["failover-drill"])}
    assert ("dependents-running", "stop-report-program", "M6", ("OTCTranSZT",)) in drill
    assert ("dies-after-start", "start-middleware-standby", "M6", ("FOS", "BLS", "RS", "OTCTranSZT")) in drill
    assert ("standby-mounted", "verify-db-open", "M2", ()) in drill
    assert {f for f, step, _, _ in drill if step == "stop-tomcat"} == {"lingers-after-stop"}  # Linux services
    assert not any(step == "start-tomcat-standby" for _, step, _, _ in drill)
    assert not any(step.startswith("rb-") for _, step, _, _ in drill)  # rollbacks are offered, not rehearsed
    restart = {(m.fault, m.step, m.host) for m in meetings(plans["monthly-restart"])}
    assert ("reboot-slow", "reboot-db-servers", "M1") in restart and ("reboot-held", "reboot-db-servers", "M1") \
        not in restart  # a held Windows shutdown cannot meet a Linux host
    assert ("sudo-requiretty", "db-open-standby", "M2") in restart
    eod = {c.fault: c for c in cases(plans["end-of-day"], "end-of-day")}
    assert eod["dependents-running"].params == (("stop_report_program", "yes"),)  # opt-in steps are in the matrix


def test_docs_list_exactly_the_derived_matrix(plans: dict[str, Plan]) -> None:
    text = (REPO / "docs" / "testing.md").read_text(encoding="utf-8")
    table = text.split("<!-- fault matrix -->")[1]
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| ([^|]+) \|", table, re.MULTILINE)
    listed = {(book, fault.strip().strip("`")) for book, fault in rows}
    derived = {(c.runbook, c.fault) for name, plan in plans.items() for c in cases(plan, name)}
    derived |= {(name, "none") for name, plan in plans.items() if not cases(plan, name)}
    assert listed == derived
