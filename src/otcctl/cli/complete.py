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
            if os.environ.get("OTCCTL_DEBUG"):
                raise
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


def _shell_words() -> list[str]:
    """The command line being completed, as bash (COMP_WORDS) or zsh (_TYPER_COMPLETE_ARGS) hands it over."""
    import shlex

    line = os.environ.get("COMP_WORDS") or os.environ.get("_TYPER_COMPLETE_ARGS") or ""
    try:
        return shlex.split(line)[1:]
    except ValueError:
        return line.split()[1:]


def _typed_runbook(ctx: typer.Context, args: list[str]) -> tuple[str | None, Path | None]:
    """The runbook named on the line so far (the shell's words: ``-p`` without its value leaves it unparsed)."""
    name = ctx.params.get("name")
    folder = ctx.params.get("runbooks")
    words = list(args) or _shell_words()
    if "--runbooks" in words[:-1]:
        folder = Path(words[words.index("--runbooks") + 1])
    if not isinstance(name, str):
        takes_value = {"-p", "--param", "--date", "-i", "--inventory", "--runbooks", "--operator", "-o", "--output",
                       "-f", "--format"}
        rest = [w for i, w in enumerate(words[1:], 1) if not w.startswith("-") and words[i - 1] not in takes_value]
        name = rest[0] if rest else None
    return name, folder if isinstance(folder, Path) else None


@_quiet
def complete_param(ctx: typer.Context, args: list[str], incomplete: str) -> list[str]:
    """``KEY=`` for the runbook's parameters; after ``=``, its choices, the hosts (``*host*``) or its default."""
    from otcctl.model.locate import runbook_file

    name, folder = _typed_runbook(ctx, args)
    if name is None:
        return []
    params = _yaml_keys(runbook_file(name, folder), "params")
    if "=" not in incomplete:
        return [f"{key}=" for key in params if str(key).startswith(incomplete)]
    key, _sep, value = incomplete.partition("=")
    spec = params.get(key) or {}
    spec = spec if isinstance(spec, dict) else {}
    if spec.get("choices"):
        values = [str(c) for c in spec["choices"]]
    elif "host" in key:
        values = complete_host(ctx, "")
    else:
        values = [] if spec.get("default") is None else [str(spec["default"])]
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
