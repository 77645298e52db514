"""Small helpers shared by tests: run the real CLI as an operator would, copy shipped files."""

from __future__ import annotations

import io
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUNBOOKS = REPO / "runbooks"
INVENTORY = REPO / "inventory.yaml"


# Commands that open connections, take locks, install signal handlers or start processes run in a
# child process, as an operator runs them; the rest (pure reading and printing) run in this
# process through the same ``main()``, which is what keeps the unit tier fast.
CHILD_COMMANDS = frozenset({"run", "resume", "doctor", "lab", "approve"})
# A language chosen through the environment is read by the child's start-up, never by ours.
CHILD_ENV = ("LANG", "LC_ALL", "LC_MESSAGES", "OTCCTL_LANG", "PYTHONIOENCODING")


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 120, child: bool | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``otcctl`` with no terminal, as CI and cron do: in this process where that is faithful.

    ``child=True`` forces a child process (``python -m otcctl``); by default commands in
    ``CHILD_COMMANDS`` and runs that set a locale get one.
    """
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "160", **(env or {})}
    command = next((a for a in args if not a.startswith("-")), "")
    if child is None:
        child = command in CHILD_COMMANDS or any(k in (env or {}) for k in CHILD_ENV)
    if not child:
        return _run_in_process(list(args), cwd or REPO, full_env)
    return subprocess.run(
        [sys.executable, "-m", "otcctl", *args],
        cwd=cwd or REPO,
        env=full_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _run_in_process(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``main()`` with this argv, environment, folder and no terminal; stdout/stderr captured."""
    from otcctl.cli.main import main

    saved_env, saved_cwd, saved_argv = dict(os.environ), os.getcwd(), sys.argv
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    out, err = io.BytesIO(), io.BytesIO()
    stdout = sys.stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    stderr = sys.stderr = io.TextIOWrapper(err, encoding="utf-8", write_through=True)
    sys.stdin = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    sys.argv = ["otcctl", *args]
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        stdout.flush()
        stderr.flush()
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)
        sys.argv = saved_argv
    texts = [s.detach().getvalue().decode("utf-8", errors="replace") for s in (stdout, stderr)]  # type: ignore[attr-defined]
    return subprocess.CompletedProcess(["otcctl", *args], code, texts[0], texts[1])


def copy_shipped(tmp: Path) -> tuple[Path, Path]:
    """A private copy of the shipped runbooks and inventory, to break on purpose."""
    runbooks = tmp / "runbooks"
    shutil.copytree(RUNBOOKS, runbooks)
    inventory = tmp / "inventory.yaml"
    shutil.copy(INVENTORY, inventory)
    return runbooks, inventory


def sleep_marker(seconds: int) -> str:
    """A remote ``sleep`` (about ``seconds`` long) whose command line nothing else runs at the same time.

    Tests find what a run left behind with ``pgrep -fx MARKER`` (the whole command line, exactly),
    and other xdist workers and other test sessions on this machine run the same tests at the
    same moment: a random fraction keeps their sleep from passing for this one's.
    """
    return f"sleep {seconds}.{secrets.randbelow(10**9):09d}"


def host_public_key() -> str:
    """A fresh ``ssh-ed25519 AAAA...`` public key, as a known_hosts line carries it (no host behind it)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode()
