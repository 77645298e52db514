"""``otcctl validate``: check runbooks and the inventory, every problem located by file and line.

With no paths it checks everything shipped: the inventory and every runbook, each runbook also
against the inventory (hosts, groups, services, databases, data files, departments).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from otcctl.errors import InputError, Problem
from otcctl.model import locate
from otcctl.model.inventory import LoadedInventory, load_inventory
from otcctl.model.limits import line_limit_warnings
from otcctl.model.load import _indexed_steps as _steps
from otcctl.model.load import check_against_inventory, load_runbook


@dataclass(frozen=True)
class FileVerdict:
    """One file's verdict."""

    path: str
    kind: str
    problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()  # would fail on the hosts, not in the file: reported, exit code unchanged

    @property
    def ok(self) -> bool:
        """True when nothing is wrong with the file."""
        return not self.problems


@dataclass
class ValidationReport:
    """All files checked and every problem found."""

    files: list[FileVerdict] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        """Every problem in every file."""
        return [p for f in self.files for p in f.problems]

    @property
    def warnings(self) -> list[Problem]:
        """Every warning in every file."""
        return [p for f in self.files for p in f.warnings]

    def to_json(self) -> dict[str, Any]:
        """For ``--json``."""
        return {
            "ok": not self.problems,
            "files": [
                {
                    "path": f.path,
                    "kind": f.kind,
                    "ok": f.ok,
                    "problems": [
                        {"file": p.file, "line": p.line, "field": p.field, "message": p.message} for p in f.problems
                    ],
                    "warnings": [
                        {"file": p.file, "line": p.line, "field": p.field, "message": p.message} for p in f.warnings
                    ],
                }
                for f in self.files
            ],
        }


def validate_files(paths: list[Path], inventory_option: Path | None, runbooks_option: Path | None) -> ValidationReport:
    """Validate the given files, or the shipped inventory and all runbooks when none are given."""
    report = ValidationReport()
    runbook_paths = [p for p in paths if not _looks_like_inventory(p)]
    inventory_paths = [p for p in paths if _looks_like_inventory(p)]
    if not paths:
        inventory_paths = [locate.inventory_path(inventory_option)]
        runbook_paths = locate.all_runbooks(runbooks_option)
    elif inventory_option is not None:
        inventory_paths.append(inventory_option)
    inventory: LoadedInventory | None = None
    for path in inventory_paths:
        try:
            inventory = load_inventory(path)
            report.files.append(FileVerdict(str(path), "inventory"))
        except InputError as exc:
            report.files.append(FileVerdict(str(path), "inventory", tuple(exc.problems)))
    if inventory is None and not inventory_paths:
        try:
            inventory = load_inventory(locate.inventory_path(inventory_option))
        except InputError as exc:
            report.files.append(
                FileVerdict(str(locate.inventory_path(inventory_option)), "inventory", tuple(exc.problems))
            )
    for path in runbook_paths:
        warnings: list[Problem] = []
        try:
            loaded = load_runbook(path)
            problems = check_against_inventory(loaded, inventory.inventory, str(inventory.path)) if inventory else []
            if inventory is not None:
                steps = [*_steps(loaded.runbook)]
                warnings = line_limit_warnings(steps, inventory.inventory, loaded.source)
        except InputError as exc:
            problems = exc.problems
        except Exception as exc:  # one unreadable runbook never stops the check of the others
            problems = [Problem(str(path), None, None, f"cannot be read: {type(exc).__name__}: {exc}"[:300])]
        report.files.append(FileVerdict(str(path), "runbook", tuple(problems), tuple(warnings)))
    return report


def _looks_like_inventory(path: Path) -> bool:
    """An inventory has hosts and no steps; decided from the text (never parsed here, so a hostile
    file cannot hang or crash the decision) so broken files still get a kind."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return path.name.startswith("inventory")
    has_hosts = re.search(r"^hosts\s*:", text, re.MULTILINE) is not None
    has_steps = re.search(r"^steps\s*:", text, re.MULTILINE) is not None
    return has_hosts and not has_steps
