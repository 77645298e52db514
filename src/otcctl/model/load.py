"""Load a runbook file, validate it, and check it against an inventory, naming file and line.

Three layers of checks, all reported as located problems: YAML syntax (yamlsource), the schema
(pydantic models), and the runbook's own consistency (unique ids, rollback references,
placeholders) plus its fit with the inventory (hosts, groups, services, databases, files).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from otcctl.errors import InputError, Problem
from otcctl.i18n import N_
from otcctl.model import schema as s
from otcctl.model.quoting import ShellContext, unsafe_placeholders
from otcctl.model.templates import placeholders
from otcctl.model.yamlsource import SourceMap, load_yaml, validation_problems

if TYPE_CHECKING:
    from otcctl.model.inventory import Inventory

BUILTIN_PARAMS = ("date", "date_iso", "year", "next_year")
PER_HOST_PARAMS = ("host_id", "host_address")  # in the commands of shell and winrm steps
_TEMPLATED_FIELDS = ("command", "path", "subject", "message", "prompt", "instructions", "not_before")
_SHELL_KINDS = {"shell": "ssh", "winrm": "winrm"}


@dataclass(frozen=True)
class LoadedRunbook:
    """A schema-valid runbook with the file it came from, its content hash and line map."""

    runbook: s.Runbook
    path: Path
    sha256: str
    source: SourceMap


def load_runbook(path: Path) -> LoadedRunbook:
    """Read, parse and validate one runbook file (no inventory needed)."""
    try:
        data_bytes = path.read_bytes()
    except FileNotFoundError:
        raise InputError.at(path, N_("runbook file not found")) from None
    except OSError as exc:
        raise InputError.at(path, f"cannot be read: {exc.strerror}") from None
    try:
        text = data_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError.at(path, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    loaded = load_yaml(path, text=text)
    if not isinstance(loaded.data, dict):
        raise InputError.at(path, N_("a runbook is a mapping with name, title, cadence, version and steps"), line=1)
    try:
        runbook = s.Runbook.model_validate(loaded.data)
    except ValidationError as exc:
        raise InputError(validation_problems(loaded.source, exc)) from None
    result = LoadedRunbook(runbook, path, hashlib.sha256(data_bytes).hexdigest(), loaded.source)
    problems = list(self_check(result))
    if problems:
        raise InputError(problems)
    return result


def _indexed_steps(runbook: s.Runbook) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    for index, step in enumerate(runbook.steps):
        yield ("steps", index), step
    for index, step in enumerate(runbook.rollback_steps):
        yield ("rollback_steps", index), step


def self_check(loaded: LoadedRunbook) -> Iterator[Problem]:
    """The runbook's own consistency: name, unique step ids, rollback references, placeholders."""
    runbook, src = loaded.runbook, loaded.source
    if runbook.name != loaded.path.stem:
        yield src.problem(("name",), f"the name must match the file name ({loaded.path.stem!r})")
    known = set(BUILTIN_PARAMS) | set(runbook.params)
    rollback_ids = {step.id for step in runbook.rollback_steps}
    seen: dict[str, int | None] = {}
    for loc, step in _indexed_steps(runbook):
        if step.id in seen:
            yield src.problem((*loc, "id"), f"duplicate step id {step.id!r} (first used on line {seen[step.id]})")
        else:
            seen[step.id] = src.line_of((*loc, "id"))
        if isinstance(step.on_failure, s.Rollback):
            for ref in step.on_failure.rollback:
                if ref not in rollback_ids:
                    yield src.problem(
                        (*loc, "on_failure"), f"rollback step {ref!r} is not among the runbook's rollback_steps"
                    )
        if step.enabled_by is not None:
            param = runbook.params.get(step.enabled_by)
            if param is None or sorted(param.choices or []) != ["no", "yes"]:
                yield src.problem(
                    (*loc, "enabled_by"), f"enabled_by names a parameter with choices [yes, no]: {step.enabled_by!r}"
                )
        yield from _placeholder_problems(step, loc, known, src)


def _placeholder_problems(step: Any, loc: tuple[str | int, ...], known: set[str], src: SourceMap) -> Iterator[Problem]:
    texts: list[tuple[tuple[str | int, ...], str]] = []
    for field in _TEMPLATED_FIELDS:
        value = getattr(step, field, None)
        if isinstance(value, str):
            texts.append(((*loc, field), value))
    for name, value in getattr(step, "binds", {}).items():
        texts.append(((*loc, "binds", name), value))
    per_host = set(PER_HOST_PARAMS) if getattr(step, "kind", "") in ("shell", "winrm") else set()
    for where, text in texts:
        allowed = known | per_host if where[-1] == "command" else known
        for name in placeholders(text):
            if name not in allowed:
                yield src.problem(where, f"{{{{{name}}}}} names no parameter (declared: {', '.join(sorted(known))})")
        if where[-1] == "command":
            for name, why in unsafe_placeholders(text, _shell_of(step)):
                yield src.problem(
                    where,
                    f"do not put quotes around {{{{...}}}}: {{{{{name}}}}} stands {why}. otcctl quotes every "
                    "value for its shell, which is only safe outside any quotes: write it bare (echo x {{p}} y; "
                    "\"x \" + {{p}} in PowerShell)",
                )


def _shell_of(step: Any) -> ShellContext:
    if getattr(step, "kind", "") == "winrm":
        return "powershell" if step.shell == "powershell" else "cmd"
    return "sh"


def check_against_inventory(loaded: LoadedRunbook, inventory: Inventory, inventory_file: str) -> list[Problem]:
    """Everything the runbook names must exist in the inventory and fit how the host is reached."""
    problems: list[Problem] = []
    src = loaded.source
    groups = inventory.groups()
    for loc, step in _indexed_steps(loaded.runbook):
        targets = list(getattr(step, "targets", []) or [])
        hosts: list[str] = []
        for index, name in enumerate(targets):
            if name in inventory.hosts:
                hosts.append(name)
            elif name in groups:
                hosts.extend(groups[name])
            elif name == "all":
                hosts.extend(inventory.hosts)
            elif name in inventory.manual_only:
                problems.append(
                    src.problem(
                        (*loc, "targets", index),
                        f"{name} is a manual-only host in {inventory_file}: otcctl never connects to it; "
                        "use a manual step (kind: manual, where: ...)",
                    )
                )
            else:
                problems.append(
                    src.problem(
                        (*loc, "targets", index),
                        f"unknown host or group {name!r} (hosts: {', '.join(inventory.hosts)}; "
                        f"groups: {', '.join(groups)}) in {inventory_file}",
                    )
                )
        problems.extend(_step_fits(step, loc, sorted(set(hosts)), inventory, inventory_file, src))
    return problems


def _step_fits(
    step: Any, loc: tuple[str | int, ...], hosts: list[str], inv: Inventory, inv_file: str, src: SourceMap
) -> Iterator[Problem]:
    want = _SHELL_KINDS.get(step.kind)
    if want:
        for host in hosts:
            if inv.hosts[host].transport != want:
                yield src.problem(
                    (*loc, "targets"),
                    f"a {step.kind} step needs {want} hosts, but {host} is reached by {inv.hosts[host].transport}",
                )
    if isinstance(step, s.ServiceStep | s.PortStep):
        for index, name in enumerate(step.services):
            if name in ("middleware", "all"):
                continue
            missing = [h for h in hosts if inv.hosts[h].service(name) is None]
            if missing:
                yield src.problem(
                    (*loc, "services", index), f"service {name!r} is not on {', '.join(missing)} in {inv_file}"
                )
    if isinstance(step, s.SqlStep) and step.database not in inv.databases:
        yield src.problem((*loc, "database"), f"unknown database {step.database!r} in {inv_file}")
    if isinstance(step, s.FileStep) and step.data_file is not None:
        data_file = inv.data_files.get(step.data_file)
        if data_file is None:
            yield src.problem((*loc, "data_file"), f"unknown data file {step.data_file!r} in {inv_file}")
        elif "{{type}}" in data_file.path.replace(" ", "") and step.file_type is None:
            yield src.problem((*loc, "file_type"), f"data file {step.data_file} needs file_type (e.g. '04')")
    if isinstance(step, s.NotifyStep):
        for index, dept in enumerate(step.departments):
            if dept not in inv.departments:
                yield src.problem(
                    (*loc, "departments", index),
                    f"unknown department {dept!r} (known: {', '.join(inv.departments)}) in {inv_file}",
                )
