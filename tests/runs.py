"""Helpers for run tests: small runbooks against the lab, the CLI in a child process, journals."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import yaml

from tests.helpers import run_cli

HEADER = """\
name: {name}
title: 测试 {name}
cadence: on-demand
version: "t1"
manual_section: tests
steps:
"""


def write_runbook(folder: Path, name: str, steps: str, extra: str = "") -> Path:
    """A runbook file from a YAML list of steps (indented as under ``steps:``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(HEADER.format(name=name) + textwrap.dedent(steps) + textwrap.dedent(extra), encoding="utf-8")
    return path


def variant_inventory(source: Path, target: Path, **changes: Any) -> Path:
    """A copy of the lab inventory with top-level or per-host changes (``hosts__M3__port=1``)."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    for key, value in changes.items():
        node = data
        parts = key.split("__")
        for part in parts[:-1]:
            node = node[part]
        node[parts[-1]] = value
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def otcctl(state: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 180):  # type: ignore[no-untyped-def]
    """The CLI with a private state directory."""
    return run_cli(*args, env={"OTCCTL_STATE_DIR": str(state), **(env or {})}, timeout=timeout)


def journals(state: Path) -> list[Path]:
    """Every journal in the state directory."""
    return sorted((state / "runs").glob("*.jsonl"))


def records(path: Path) -> list[dict[str, Any]]:
    """Every complete record of a journal (all lines must parse)."""
    out = []
    for line in path.read_bytes().splitlines():
        if line.strip():
            out.append(json.loads(line))
    return out
