"""Which injected faults can meet which runbook, derived from the runbook's plan.

A fault acts on one kind of step on one kind of host (:attr:`FaultKind.meets` and
:attr:`FaultKind.hosts`): a reboot fault on a reboot step, a service fault on a Windows service
step stopping or starting that service, a database fault on a query sent to that host. Reading
the plan (every opt-in step switched on) instead of a table keeps the matrix true when a runbook
or a fault is added: a runbook no fault can meet has an empty list, never a missing row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from otcctl.model.load import load_runbook
from otcctl.plan.build import Plan
from otcctl.plan.prepare import PlanRequest, prepare_plan
from otcctl.plan.sql_route import SqlplusCommand
from otcctl.plan.steps import PlannedReboot, PlannedServiceStep, PlannedSql, PlannedStep, PlannedTarget
from otcctl_lab.faults import FAULTS, FaultKind


@dataclass(frozen=True)
class Verdict:
    """What otcctl must make of a fault: wait it out and pass, or fail naming the cause.

    ``names``: texts one of which the failing step's verdict must contain; ``at_once``: waiting
    or retrying cannot help, so the step is not retried; ``exhausts``: the runbook's wait the
    fault uses up (the matrix shortens it so the suite stays fast).
    """

    waits: bool
    names: tuple[str, ...] = ()
    at_once: bool = False
    exhausts: str | None = None


VERDICTS: dict[str, Verdict] = {
    "reboot-slow": Verdict(waits=True),
    "reboot-held": Verdict(waits=False, names=("holding the shutdown",), exhausts="down_timeout"),
    "winrm-503-while-starting": Verdict(waits=True),
    "slow-stop": Verdict(waits=True),
    "stuck-stop-pending": Verdict(waits=False, names=("stop_pending",), exhausts="settle"),
    "dependents-running": Verdict(waits=False, names=("1051",), at_once=True),
    "lingers-after-stop": Verdict(waits=False, names=("running",), exhausts="settle"),
    "dies-after-start": Verdict(waits=False, names=("dies right after starting",)),
    "standby-mounted": Verdict(waits=False, names=("ORA-01219", "MOUNTED")),
    "sudo-requiretty": Verdict(waits=False, names=("requiretty",), at_once=True),
    "sudo-1.6": Verdict(waits=False, names=("older than 1.7",), at_once=True),
}


@dataclass(frozen=True)
class Meeting:
    """A fault meets a planned step on one host (and, for a service fault, one of its services)."""

    fault: str
    step: str
    host: str
    services: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    """One (runbook, fault) pair of the matrix: the steps it meets and where to inject it.

    The fault is injected on the first host each step meets it on (a service fault on the first
    of that step's services there); a step is rehearsed on those hosts only. A fault that must be
    waited out is rehearsed at the first step meeting each of its hosts (a stopped service is not
    stopped again); a fault that fails a step, at every step it meets, in the runbook's order.
    """

    runbook: str
    fault: str
    meetings: tuple[Meeting, ...]
    params: tuple[tuple[str, str], ...]

    @property
    def injections(self) -> tuple[tuple[str, str | None], ...]:
        """(host, service or None) to inject the fault on."""
        chosen: dict[str, str | None] = {}
        for step in dict.fromkeys(m.step for m in self.meetings):
            first = next(m for m in self.meetings if m.step == step)
            chosen.setdefault(first.host, first.services[0] if first.services else None)
        return tuple(chosen.items())

    @property
    def steps(self) -> tuple[str, ...]:
        """The steps to rehearse, in the runbook's order."""
        hosts = dict(self.injections)
        met = [m for m in self.meetings if m.host in hosts]
        if VERDICTS[self.fault].waits:
            firsts = {next(m.step for m in met if m.host == host) for host in hosts}
            return tuple(dict.fromkeys(m.step for m in met if m.step in firsts))
        return tuple(dict.fromkeys(m.step for m in met))

    def hosts(self, step: str) -> tuple[str, ...]:
        """The hosts ``step`` is rehearsed on: those of its hosts the fault is injected on."""
        injected = dict(self.injections)
        return tuple(dict.fromkeys(m.host for m in self.meetings if m.step == step and m.host in injected))


def opt_in_params(runbook: Path) -> dict[str, str]:
    """Every ``enabled_by`` parameter set to yes, so the matrix sees every step a run can have."""
    book = load_runbook(runbook).runbook
    return {str(s.enabled_by): "yes" for s in [*book.steps, *book.rollback_steps] if s.enabled_by is not None}


def plan_for_matrix(runbook: Path, inventory: Path, day: date) -> Plan:
    """The runbook's plan with every opt-in step on."""
    return prepare_plan(PlanRequest(str(runbook), opt_in_params(runbook), day, inventory, runbook.parent))


def meetings(plan: Plan, faults: Iterable[FaultKind] = FAULTS.values()) -> tuple[Meeting, ...]:
    """Every (fault, step, host) where a fault can act on one of the plan's steps (rollbacks aside)."""
    found: list[Meeting] = []
    for planned in plan.steps:
        for fault in faults:
            found.extend(_meets(fault, planned, plan))
    return tuple(found)


def cases(plan: Plan, runbook: str) -> tuple[Case, ...]:
    """The matrix rows of one runbook: one per fault that meets it, in the order of ``FAULTS``."""
    met = meetings(plan)
    params = tuple(sorted(opt_in_params(Path(plan.runbook_path)).items()))
    return tuple(
        Case(runbook, name, tuple(m for m in met if m.fault == name), params)
        for name in FAULTS
        if any(m.fault == name for m in met)
    )


def _meets(fault: FaultKind, planned: PlannedStep, plan: Plan) -> list[Meeting]:
    if fault.meets == "reboot" and isinstance(planned, PlannedReboot):
        return [Meeting(fault.name, planned.id, t.host_id) for t in planned.targets if _fits(fault, t)]
    if isinstance(planned, PlannedServiceStep) and fault.meets == f"service-{planned.operation}":
        return [
            Meeting(fault.name, planned.id, t.host_id, tuple(s.name for s in t.services if s.control_command))
            for t in planned.targets
            if _fits(fault, t) and any(s.control_command for s in t.services)
        ]
    if isinstance(planned, PlannedSql) and fault.meets in ("sql", "sudo-sql"):
        host = planned.targets[0].host_id
        if fault.meets == "sudo-sql" and not _through_sudo(plan, planned, host):
            return []
        return [Meeting(fault.name, planned.id, host)]
    return []


def _fits(fault: FaultKind, target: PlannedTarget) -> bool:
    windows = target.transport == "winrm"
    return {"any": True, "windows": windows, "linux": not windows}.get(fault.hosts, False)


def _through_sudo(plan: Plan, planned: PlannedSql, host: str) -> bool:
    inventory = plan.inventory.inventory
    database = inventory.databases[planned.database]
    if database.route != "sqlplus-ssh":
        return False
    return SqlplusCommand.for_database(database, inventory.hosts[host].user).become_user is not None
