"""Shell completion: runbook names, run ids, parameter names and hosts, dates.

Called by the shell on every Tab, so each completer reads as little as it can and never raises:
a broken runbook folder completes nothing rather than printing a traceback into the prompt.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer


def _quiet(fn: Callable[..., list[str]]) -> Callable[..., list[str]]:
    @functools.wraps(fn)  # Typer reads the wrapped signature to know which arguments to pass
    def wrapper(*args: Any, **kwargs: Any) -> list[str]:
        try:
            return fn(*args, **kwargs)
        except Exception:
            return []

    return wrapper


def _runbook_folder(ctx: typer.Context) -> Path:
    from otcctl.model.locate import runbook_dir

    option = ctx.params.get("runbooks")
    return runbook_dir(option if isinstance(option, Path) else None)


@_quiet
def complete_runbook(ctx: typer.Context, incomplete: str) -> list[str]:
    """Runbook names in the folder the command would use."""
    names = sorted(path.stem for path in _runbook_folder(ctx).glob("*.yaml"))
    return [name for name in names if name.startswith(incomplete)]


@_quiet
def complete_run_id(incomplete: str) -> list[str]:
    """Recorded run ids, newest first."""
    from otcctl.run.journal import list_runs, state_dir

    return [p.stem for p in list_runs(state_dir()) if p.stem.startswith(incomplete)]


def _yaml_keys(path: Path, key: str) -> dict[str, Any]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found = data.get(key) if isinstance(data, dict) else None
    return found if isinstance(found, dict) else {}


@_quiet
def complete_host(ctx: typer.Context, incomplete: str) -> list[str]:
    """Host ids of the inventory the command would use."""
    from otcctl.model.locate import inventory_path

    option = ctx.params.get("inventory")
    hosts = _yaml_keys(inventory_path(option if isinstance(option, Path) else None), "hosts")
    return [str(h) for h in hosts if str(h).startswith(incomplete)]


@_quiet
def complete_param(ctx: typer.Context, incomplete: str) -> list[str]:
    """``KEY=`` for the runbook's parameters; after ``=``, the parameter's choices or the hosts."""
    from otcctl.model.locate import runbook_file

    name = ctx.params.get("name")
    if not isinstance(name, str):
        return []
    option = ctx.params.get("runbooks")
    params = _yaml_keys(runbook_file(name, option if isinstance(option, Path) else None), "params")
    if "=" not in incomplete:
        return [f"{key}=" for key in params if str(key).startswith(incomplete)]
    key, _sep, value = incomplete.partition("=")
    spec = params.get(key) or {}
    choices = spec.get("choices") if isinstance(spec, dict) else None
    values = [str(c) for c in choices] if choices else complete_host(ctx, "")
    return [f"{key}={v}" for v in values if v.startswith(value)]


@_quiet
def complete_date(incomplete: str) -> list[str]:
    """Today in Asia/Shanghai, both spellings."""
    from otcctl.domain.clock import today_in_shanghai

    today = today_in_shanghai()
    return [d for d in (today.isoformat(), today.strftime("%Y%m%d")) if d.startswith(incomplete)]


def completion_enabled() -> bool:
    """Whether the shell is asking for completions (then nothing else must print)."""
    return any(key.startswith("_OTCCTL_COMPLETE") for key in os.environ)
