"""Small helpers shared by tests: run the real CLI as an operator would, copy shipped files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUNBOOKS = REPO / "runbooks"
INVENTORY = REPO / "inventory.yaml"


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``otcctl`` in a child process with no terminal, as CI and cron do."""
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "160", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "otcctl", *args],
        cwd=cwd or REPO,
        env=full_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def copy_shipped(tmp: Path) -> tuple[Path, Path]:
    """A private copy of the shipped runbooks and inventory, to break on purpose."""
    runbooks = tmp / "runbooks"
    shutil.copytree(RUNBOOKS, runbooks)
    inventory = tmp / "inventory.yaml"
    shutil.copy(INVENTORY, inventory)
    return runbooks, inventory
