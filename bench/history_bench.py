"""How long ``otcctl runs`` takes over a large shared history (issue: 10,000 journals in under a second).

    python bench/history_bench.py [--runs 10000] [--keep DIR]

Writes that many journals of a four-step run (with the real Journal and ledger, fsync skipped
to build them quickly), then times the listing in this process and as the command an operator
types, and ``verify --all`` for comparison (it reads everything). Prints figures; judges nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.unit.run.journal_fixtures import finished, header, started  # noqa: E402

from otcctl.run.history import run_summaries  # noqa: E402
from otcctl.run.journal import Journal  # noqa: E402
from otcctl.run.records import RunFinished  # noqa: E402


def build(state: Path, count: int) -> float:
    """``count`` finished runs, one a minute apart; returns the seconds it took."""
    real_fsync = os.fsync
    os.fsync = lambda fd: None  # building the fixture only; every real run fsyncs each record
    began = time.perf_counter()
    try:
        start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        for n in range(count):
            moment = start + timedelta(minutes=n)
            journal = Journal.create(state, f"{moment:%Y%m%d-%H%M%S}-market-open-{n % 65536:04x}")
            for record in (header(4), *(r for i in range(1, 5) for r in (started(i), finished(i)))):
                journal.append(record, now=moment)
            journal.append(RunFinished(outcome="passed", steps=4), now=moment)
            journal.close()
    finally:
        os.fsync = real_fsync
    return time.perf_counter() - began


def timed(label: str, args: list[str], state: Path) -> None:
    env = {**os.environ, "OTCCTL_STATE_DIR": str(state), "NO_COLOR": "1"}
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "otcctl", *args], env=env, capture_output=True, check=False)
    print(f"{label:<44} {time.perf_counter() - began:7.2f} s  (exit {done.returncode})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the history here instead of a temp dir")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="otcctl-history-"))
    state = base / "state"
    if not (state / "ledger.jsonl").exists():
        print(f"building {args.runs} journals in {state} ... {build(state, args.runs):.1f} s")
    journals = len(list((state / "runs").glob("*.jsonl")))
    began = time.perf_counter()
    rows = run_summaries(state)
    label = f"list {journals} runs (in process)"
    print(f"{label:<44} {time.perf_counter() - began:7.2f} s  ({len(rows)} rows)")
    timed("otcctl runs --json (whole command)", ["runs", "--json"], state)
    timed("otcctl runs --outcome failed (whole command)", ["runs", "--outcome", "failed"], state)
    timed("otcctl --help (start-up alone)", ["--help"], state)
    timed("otcctl verify --all (reads everything)", ["verify", "--all"], state)


if __name__ == "__main__":
    main()
