"""Shell completion, tested in bash as an operator's Tab would run it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")


def _complete(words: list[str], tmp_path: Path) -> list[str]:
    """Source otcctl's bash completion, set COMP_WORDS as bash does, call the function, read COMPREPLY."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    shim = bin_dir / "otcctl"
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} -m otcctl \"$@\"\n")
    shim.chmod(0o755)
    quoted = " ".join(f"'{w}'" for w in words)
    script = (
        'source <(otcctl --show-completion bash)\n'
        f"COMP_WORDS=({quoted}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\n"
        '_otcctl_completion otcctl\nprintf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "OTCCTL_STATE_DIR": str(tmp_path / "state")}
    done = subprocess.run(["bash", "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


def test_runbook_names(tmp_path: Path) -> None:
    assert _complete(["otcctl", "dry-run", "market-"], tmp_path) == ["market-close", "market-open"]


def test_commands_and_options(tmp_path: Path) -> None:
    assert _complete(["otcctl", "dr"], tmp_path) == ["dry-run"]
    assert _complete(["otcctl", "checklist", "market-open", "--format", ""], tmp_path) == ["text", "md", "html", "pdf"]


def test_parameter_names_and_values(tmp_path: Path) -> None:
    assert _complete(["otcctl", "run", "market-open", "-p", ""], tmp_path) == ["disk_path="]
    assert _complete(["otcctl", "run", "market-open", "-p", "disk_path="], tmp_path) == ["disk_path=/"]


def test_run_ids(tmp_path: Path) -> None:
    runs = tmp_path / "state" / "runs"
    runs.mkdir(parents=True)
    for run_id in ("20261130-071554-market-open-ab12", "20261201-071000-clearing-cd34"):
        (runs / f"{run_id}.jsonl").write_text("{}\n")
    assert _complete(["otcctl", "log", "20261130"], tmp_path) == ["20261130-071554-market-open-ab12"]
    assert len(_complete(["otcctl", "resume", ""], tmp_path)) == 2


def test_hosts_for_host_parameters(tmp_path: Path) -> None:
    books = tmp_path / "books"
    books.mkdir()
    source = (REPO / "runbooks" / "market-open.yaml").read_text(encoding="utf-8")
    (books / "pick.yaml").write_text(source.replace("params:\n", "params:\n  target_host:\n    description: x\n"
                                                    "    default: M1\n", 1), encoding="utf-8")
    got = _complete(["otcctl", "dry-run", "--runbooks", str(books), "pick", "-p", "target_host=M"], tmp_path)
    assert got == [f"target_host=M{n}" for n in range(1, 7)]
