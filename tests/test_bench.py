"""The side-by-side bench runs and prints its table. It is not a test of speed: no figure is judged."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.networks import BENCH_FLEET

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow(60)
@pytest.mark.lab
@pytest.mark.timeout(180)
@pytest.mark.skipif(shutil.which("sshd") is None and not Path("/usr/sbin/sshd").exists(), reason="needs OpenSSH sshd")
def test_quick_bench_prints_its_table() -> None:
    # Its own 127.0.N networks, clear of every other range of the suite (tests/networks.py).
    env = {**os.environ, "OTCBENCH_NETWORK": os.environ.get("OTCBENCH_NETWORK", "127.0.45"),
           "OTCBENCH_FLEET": os.environ.get("OTCBENCH_FLEET", BENCH_FLEET)}
    done = subprocess.run(["bash", "bench/run.sh", "--quick"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=170, check=False, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout
    assert "| case | floor | stack | otcctl" in table
    for row in ("A 6 hosts x 1 command", "C 50 hosts x 1 command", "1 host x 1 command", "peak RSS, 50 hosts",
                "start-up `otcctl --help`", "start-up `otcctl dry-run monthly-restart`", "WinRM 1 host x",
                "`otcctl runs` over", "per extra host"):
        assert row in table, f"{row!r} missing from:\n{table}"
    assert "| A 6 hosts x 1 command | failed" not in table
    row_a = next(line for line in table.splitlines() if line.startswith("| A 6 hosts x 1 command |"))
    floor, stack, otcctl = (cell.strip() for cell in row_a.split("|")[2:5])
    assert "failed" not in (floor, stack, otcctl) and "x" in stack, row_a
