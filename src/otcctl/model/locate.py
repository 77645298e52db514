"""Where runbooks and the inventory are found when the operator does not say.

Order: the command-line option, then the environment (``OTCCTL_RUNBOOKS``,
``OTCCTL_INVENTORY``), then the current directory, then the checkout otcctl runs from.
"""

from __future__ import annotations

import os
from pathlib import Path

from otcctl.errors import InputError

_CHECKOUT = Path(__file__).resolve().parents[2]


def runbook_dir(option: Path | None = None) -> Path:
    """The folder of runbooks; one named by --runbooks or $OTCCTL_RUNBOOKS must exist."""
    for named, where in ((option, "--runbooks"), (_env("OTCCTL_RUNBOOKS"), "OTCCTL_RUNBOOKS")):
        if named is not None and not named.is_dir():
            raise InputError.at(str(named), f"no such runbook folder (given by {where})")
    for candidate in (option, _env("OTCCTL_RUNBOOKS"), Path("runbooks"), _CHECKOUT / "runbooks"):
        if candidate is not None and candidate.is_dir():
            return candidate
    raise InputError.at(str(option or "runbooks"), "no runbook folder found (give --runbooks DIR or OTCCTL_RUNBOOKS)")


def inventory_path(option: Path | None = None) -> Path:
    """The inventory file."""
    if option is not None:
        return option
    for candidate in (_env("OTCCTL_INVENTORY"), Path("inventory.yaml"), _CHECKOUT / "inventory.yaml"):
        if candidate is not None and candidate.is_file():
            return candidate
    raise InputError.at("inventory.yaml", "no inventory found (give --inventory FILE or OTCCTL_INVENTORY)")


def runbook_file(name: str, folder: Path | None = None) -> Path:
    """A runbook by name (``market-open``) or by path (``runbooks/market-open.yaml``)."""
    as_path = Path(name)
    if as_path.suffix in (".yaml", ".yml") or os.sep in name:
        return as_path
    directory = runbook_dir(folder)
    path = directory / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in directory.glob("*.yaml"))) or "none"
        raise InputError.at(path, f"no runbook named {name!r} (known: {known})")
    return path


def all_runbooks(folder: Path | None = None) -> list[Path]:
    """Every runbook file in the folder, sorted."""
    return sorted(runbook_dir(folder).glob("*.yaml"))


def _env(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None
