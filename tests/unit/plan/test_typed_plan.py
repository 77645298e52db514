"""The typed plan: one value per kind, resolved durations, risk classes, only enforced timeouts shown."""

from __future__ import annotations

from datetime import date

import pytest

from otcctl.plan.prepare import PlanRequest, prepare_plan
from otcctl.plan.steps import (
    PlannedManual,
    PlannedNotify,
    PlannedReboot,
    PlannedServiceStep,
    PlannedTimeGate,
    enforced_timeout,
)

SATURDAY = date(2026, 11, 28)


@pytest.fixture(scope="module")
def restart():  # type: ignore[no-untyped-def]
    return prepare_plan(PlanRequest("monthly-restart", {}, run_date=SATURDAY))


def test_every_step_is_a_typed_value_with_its_kind(restart) -> None:  # type: ignore[no-untyped-def]
    kinds = {type(p).__name__: p.kind for p in restart.steps}
    assert kinds["PlannedReboot"] == "reboot" and kinds["PlannedServiceStep"] == "service"


def test_risk_per_kind(restart) -> None:  # type: ignore[no-untyped-def]
    risk = {p.id: p.risk for p in restart.steps}
    assert risk["stop-middleware"] == "disruptive" and risk["reboot-db-servers"] == "disruptive"
    assert risk["start-middleware"] == "change" and risk["services-after-reboot"] == "read"
    assert risk["notify-maintenance"] == "change"


def test_durations_are_resolved_and_capped_by_the_step_timeout(restart) -> None:  # type: ignore[no-untyped-def]
    reboot = next(p for p in restart.steps if isinstance(p, PlannedReboot))
    assert reboot.up_timeout <= reboot.timeout and reboot.down_timeout <= reboot.timeout
    service = next(p for p in restart.steps if isinstance(p, PlannedServiceStep) and p.operation == "stop")
    assert service.settle <= service.timeout and service.want == "stopped"


def test_only_enforced_timeouts_exist(restart) -> None:  # type: ignore[no-untyped-def]
    for p in restart.steps:
        if isinstance(p, PlannedManual | PlannedNotify):
            assert enforced_timeout(p) is None
        else:
            assert enforced_timeout(p) is not None
    gate = next(p for p in restart.steps if isinstance(p, PlannedTimeGate))
    assert gate.gate == "16:00"


def test_a_runbook_raises_a_manual_switch_to_disruptive() -> None:
    drill = prepare_plan(PlanRequest("failover-drill", {}, run_date=SATURDAY))
    switch = next(p for p in drill.steps if p.id == "switch-database")
    assert isinstance(switch, PlannedManual) and switch.risk == "disruptive"
