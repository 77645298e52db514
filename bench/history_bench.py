"""How long ``otcctl runs`` takes over a large shared history (issue 16: 10,000 journals in well under a second).

    python bench/history_bench.py [--runs 10000] [--keep DIR]

Builds that many runs with ``_journals.build_history`` (the same history side_by_side.py's
``otcctl runs`` row lists: real journals and ledger, 2% killed in flight, 5% failed), then
times the listing in this process and as the commands an operator types, and ``verify --all``
for comparison (it reads everything). Each command is timed from start to exit with its CPU
time (user + sys), since wall time on shared cores is noisy. Prints figures; judges nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _journals import build_history  # noqa: E402

from otcctl.run.history import RUNS_PAGE, history  # noqa: E402


def timed(label: str, args: list[str], state: Path, repeat: int) -> None:
    """Median wall and CPU seconds of ``repeat`` runs of ``otcctl ARGS``."""
    env = {**os.environ, "OTCCTL_STATE_DIR": str(state), "NO_COLOR": "1", "COLUMNS": "160"}
    walls, cpus, code = [], [], 0
    for _ in range(repeat):
        began = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "otcctl", *args], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        walls.append(time.perf_counter() - began)
        cpus.append(usage.ru_utime + usage.ru_stime)
        code = os.waitstatus_to_exitcode(status)
    walls.sort()
    cpus.sort()
    print(f"{label:<48} {walls[len(walls) // 2]:6.2f} s wall  {cpus[len(cpus) // 2]:6.2f} s cpu  (exit {code})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command (the median is printed)")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the history here instead of a temp dir")
    args = parser.parse_args()
    if args.keep:
        measure(args.keep / "state", args)
        return
    with tempfile.TemporaryDirectory(prefix="otcctl-history-") as temp:
        measure(Path(temp) / "state", args)


def measure(state: Path, args: argparse.Namespace) -> None:
    if not (state / "ledger.jsonl").exists():
        print(f"building {args.runs} journals in {state} ... {build_history(state, args.runs):.1f} s")
    journals = len(os.listdir(state / "runs"))
    for label, limit in ((f"first page ({RUNS_PAGE} rows)", RUNS_PAGE), ("every run", None)):
        began = time.perf_counter()
        page = history(state, None, limit)
        print(f"{f'{label} of {journals} runs (in process)':<48} {time.perf_counter() - began:6.2f} s  "
              f"({len(page.rows)} rows)")
    python = [sys.executable, "-c", "import typer, rich, pydantic, yaml"]
    began = time.perf_counter()
    subprocess.run(python, check=True)
    print(f"{'floor: import typer, rich, pydantic, yaml':<48} {time.perf_counter() - began:6.2f} s wall")
    timed("otcctl runs (the first page)", ["runs"], state, args.repeat)
    timed("otcctl runs --json (every run)", ["runs", "--json"], state, args.repeat)
    timed("otcctl runs --outcome failed (every run read)", ["runs", "--outcome", "failed"], state, args.repeat)
    timed("otcctl --help (start-up alone)", ["--help"], state, args.repeat)
    timed("otcctl verify --all (reads everything)", ["verify", "--all"], state, 1)


if __name__ == "__main__":
    main()
