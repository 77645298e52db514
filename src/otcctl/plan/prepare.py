"""From what the operator asked to a plan: find files, load, validate, resolve, render.

The CLI builds a frozen :class:`PlanRequest` and calls :func:`prepare_plan`; dry run, checklist
and run all start here, so what the dry run shows is exactly what a run executes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from otcctl.domain.clock import today_in_shanghai
from otcctl.model import locate
from otcctl.model.inventory import LoadedInventory, load_inventory
from otcctl.model.load import LoadedRunbook, load_runbook
from otcctl.plan.build import Plan, build_plan


@dataclass(frozen=True)
class PlanRequest:
    """What to plan: a runbook by name or path, the inventory, parameters and the run's date."""

    runbook: str
    overrides: dict[str, str] = field(default_factory=dict)
    run_date: date | None = None
    inventory: Path | None = None
    runbooks_dir: Path | None = None


def load_named_runbook(name: str, runbooks_dir: Path | None = None) -> LoadedRunbook:
    """A runbook by name or path, validated on its own."""
    return load_runbook(locate.runbook_file(name, runbooks_dir))


def load_default_inventory(path: Path | None = None) -> LoadedInventory:
    """The inventory the operator named, or the default one."""
    return load_inventory(locate.inventory_path(path))


def prepare_plan(request: PlanRequest) -> Plan:
    """Load and validate everything, then render the plan; raises InputError on any problem."""
    loaded = load_named_runbook(request.runbook, request.runbooks_dir)
    inventory = load_default_inventory(request.inventory)
    run_date = request.run_date or today_in_shanghai()
    return build_plan(loaded, inventory, dict(request.overrides), run_date)
