"""otcctl side by side with the paramiko floor, Fabric, pyinfra and Ansible, on one loopback fleet.

    bash bench/run.sh [--quick]      # installs the peers into bench/.venv-peers, then runs this

Every figure is a whole process timed from start to exit (``os.wait4``: wall time and peak RSS),
several runs each, the tools interleaved run by run so that noise from other load hits them alike.
It prints one markdown table with ratios to the floor and judges nothing (it is not a test).
See bench/README.md ("Side by side") and bench/results.md for the last figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fleet import Fleet, build_fleet
from _lab import REPO
from _peers import OTCCTL, PEERS, PYTHON, TOOLS, Case, Invocation, Invocations, peers_missing, write_runbook

SIX = ("M1", "M2", "M3", "M4", "H01", "H02")
FIFTY = tuple(f"H{i:02d}" for i in range(1, 51))


@dataclass(frozen=True)
class Plan:
    runs: int
    warm_up: bool
    b_commands: int
    d_commands: int
    winrm_commands: int
    journals: int
    ansible_cases: tuple[str, ...]  # the slowest tool by far; --quick runs it on A only


FULL = Plan(runs=5, warm_up=True, b_commands=10, d_commands=100, winrm_commands=20, journals=10_000,
            ansible_cases=("A", "B", "C", "D", "E"))
QUICK = Plan(runs=1, warm_up=False, b_commands=3, d_commands=10, winrm_commands=5, journals=300, ansible_cases=("A",))


def idle_share(seconds: float = 1.0) -> float:
    """The share of CPU time all cores spent idle over the next ``seconds`` (from /proc/stat)."""
    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return fields[3] + fields[4], sum(fields)  # idle + iowait, all
    idle0, all0 = sample()
    time.sleep(seconds)
    idle1, all1 = sample()
    return (idle1 - idle0) / max(1, all1 - all0)


def settle(limit: float = 60.0) -> float:
    """Wait until the machine is quiet (90% idle two seconds running), at most ``limit`` seconds.

    Building the fleet starts some sixty sshds and the lab's peers; the first case measured while
    they still settle read 20-30% slower than the same case a minute later.
    """
    started = time.monotonic()
    quiet = 0
    while time.monotonic() - started < limit and quiet < 2:
        quiet = quiet + 1 if idle_share() >= 0.9 else 0
    return time.monotonic() - started


def cases(plan: Plan) -> list[Case]:
    return [
        Case("A", "A 6 hosts x 1 command", SIX, 1),
        Case("B", f"B 6 hosts x {plan.b_commands} commands", SIX, plan.b_commands),
        Case("C", "C 50 hosts x 1 command", FIFTY, 1),
        Case("D", f"D 1 host x {plan.d_commands} commands", ("M3",), plan.d_commands),
        Case("E", "1 host x 1 command", ("M3",), 1),
    ]


@dataclass
class Sample:
    walls: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    error: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.walls)


def measure(invocation: Invocation, timeout: float = 600.0) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB, the process and the children it waited for) of one run."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        child = subprocess.Popen(invocation.argv, env=invocation.env, cwd=REPO, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=errors)
        watchdog = threading.Timer(timeout, child.kill)
        watchdog.start()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        watchdog.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            errors.seek(0)
            tail = errors.read().decode("utf-8", "replace").strip().splitlines()[-3:]
            raise RuntimeError(f"exit {child.returncode}: {' | '.join(tail)}")
    return wall, usage.ru_maxrss


def sample_all(runners: dict[str, Invocation], runs: int, warm_up: bool = True) -> dict[str, Sample]:
    """Each invocation once to warm up, then ``runs`` rounds in which every one runs once (interleaved)."""
    samples = {name: Sample() for name in runners}
    for rep in range(0 if warm_up else 1, runs + 1):
        for name, invocation in runners.items():
            sample = samples[name]
            if sample.error:
                continue
            try:
                wall, rss = measure(invocation)
            except (RuntimeError, OSError) as exc:
                sample.error = str(exc)[:300]
                continue
            if rep > 0:
                sample.walls.append(wall)
                sample.rss_kib.append(rss)
    return samples


# -- the rows --------------------------------------------------------------------------------
def ssh_cases(fleet: Fleet, invocations: Invocations, plan: Plan, tools: list[str]) -> dict[str, dict[str, Sample]]:
    results = {}
    for case in cases(plan):
        print(f"  {case.label} ... ({time.strftime('%H:%M:%S')})", file=sys.stderr, flush=True)
        chosen = [t for t in tools if t != "Ansible" or case.key in plan.ansible_cases]
        results[case.key] = sample_all({t: invocations.of(t, case) for t in chosen}, plan.runs, plan.warm_up)
    return results


def startup(plan: Plan, workdir: Path) -> dict[str, dict[str, Sample]]:
    """Start-up rows: otcctl against the import floor, and against the least Typer program doing the same job."""
    def cmd(*args: str) -> Invocation:
        return Invocation([*OTCCTL, *args], {**os.environ, "NO_COLOR": "1", "COLUMNS": "160"})

    def floor(code: str) -> Invocation:
        return Invocation([PYTHON, "-c", code], dict(os.environ))

    def client(name: str, spec: dict[str, str]) -> Invocation:
        path = workdir / f"{name}.json"
        path.write_text(json.dumps(spec), encoding="utf-8")
        return Invocation([PYTHON, str(Path(__file__).parent / "_clients.py"), name, str(path)],
                          {**os.environ, "NO_COLOR": "1", "COLUMNS": "160"})

    light, heavy = floor("import typer, rich"), floor("import typer, rich, pydantic, yaml")
    typer_help = client("typer-help", {})
    typer_list = client("typer-list", {"folder": str(REPO / "runbooks")})
    rows = {"otcctl --help": (light, typer_help, cmd("--help")), "otcctl --version": (light, None, cmd("--version")),
            "otcctl list": (heavy, typer_list, cmd("list")),
            "otcctl dry-run monthly-restart": (heavy, typer_list, cmd("dry-run", "monthly-restart"))}
    runs = max(plan.runs, 3) if plan.warm_up else 1
    measured = {}
    for label, (f, stack, o) in rows.items():
        runners = {"floor": f, "otcctl": o, **({"stack": stack} if stack is not None else {})}
        measured[label] = sample_all(runners, runs, plan.warm_up)
    return measured


def winrm(fleet: Fleet, workdir: Path, plan: Plan) -> dict[str, Sample]:
    """M5 over WinRM (the lab's NTLM peer): otcctl, N `winrm` steps; floor, N ``Session.run_cmd``."""
    host = yaml.safe_load(fleet.inventory.read_text(encoding="utf-8"))["hosts"]["M5"]
    password = fleet.lab.winrm_password()
    folder = workdir / "tools" / "winrm"
    (folder / "runbooks").mkdir(parents=True, exist_ok=True)
    write_runbook(folder / "runbooks" / "bench-winrm.yaml", "bench-winrm", ["M5"], plan.winrm_commands,
                  kind="winrm", command="echo ok")
    spec = folder / "winrm-spec.json"
    settings = host.get("winrm") or {}
    scheme = settings.get("scheme", "https")
    spec.write_text(json.dumps({"endpoint": f"{scheme}://{host['address']}:{host['port']}/wsman", "user": host["user"],
                                "password": password, "commands": plan.winrm_commands, "command": "echo ok",
                                "ca_bundle": settings.get("ca_bundle"), "server_name": settings.get("server_name")}))
    env = {**os.environ, "NO_COLOR": "1", "OTCLAB_WINRM_PASSWORD": password, "OTCCTL_STATE_DIR": str(folder / "st")}
    runners = {"floor": Invocation([PYTHON, str(Path(__file__).parent / "_clients.py"), "winrm", str(spec)], env),
               "otcctl": Invocation([*OTCCTL, "run", "bench-winrm", "--runbooks", str(folder / "runbooks"), "-i",
                                     str(fleet.inventory)], env)}
    return sample_all(runners, max(1, plan.runs // 2), plan.warm_up)


def many_journals(workdir: Path, count: int, plan: Plan) -> dict[str, Sample]:
    """``otcctl runs`` (its first page) over ``count`` runs: the history bench/history_bench.py builds."""
    from _journals import build_history

    state = workdir / "many-runs"
    build_history(state, count)
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "160", "OTCCTL_STATE_DIR": str(state)}
    floor = Invocation([PYTHON, "-c", "import typer, rich, pydantic, yaml"], dict(os.environ))
    runs = max(3, plan.runs // 2) if plan.warm_up else 1
    return sample_all({"floor": floor, "otcctl": Invocation([*OTCCTL, "runs"], env)}, runs, plan.warm_up)


# -- printing -------------------------------------------------------------------------------
def seconds(sample: Sample) -> str:
    return f"{sample.median:.3f} s [{min(sample.walls):.3f}-{max(sample.walls):.3f}]"


def cell(sample: Sample | None, floor: Sample, value: Callable[[Sample], float] = lambda s: s.median,
         unit: Callable[[Sample], str] = seconds) -> str:
    if sample is None:
        return "skipped"
    if sample.error or not sample.walls:
        return "failed" if sample.error else "-"
    if sample is floor:
        return unit(sample)
    if floor.error or not floor.walls:
        return unit(sample)  # no floor to compare with (its failure is listed under the table)
    return f"**{value(sample) / value(floor):.2f}x** {unit(sample)}"


def after_floor(samples: dict[str, Sample], tools: list[str]) -> list[str]:
    """A row's cells after the floor: stack and otcctl where measured, "-" for the peers."""
    floor = samples["floor"]
    return [cell(samples[t], floor) if t in samples else "-" for t in tools if t != "floor"]


def mib(sample: Sample) -> str:
    return f"{statistics.median(sample.rss_kib) / 1024:.1f} MiB"


def print_table(ssh: dict[str, dict[str, Sample]], starts: dict[str, dict[str, Sample]],
                win: dict[str, Sample], runs: dict[str, Sample], plan: Plan, tools: list[str]) -> None:
    head = ["case", *tools]
    rows: list[list[str]] = []
    labels = {c.key: c.label for c in cases(plan)}
    for key, samples in ssh.items():
        floor = samples["floor"]
        rows.append([labels[key], *(cell(samples.get(t), floor) for t in tools)])
    fifty = ssh["C"]
    rows.append(["peak RSS, 50 hosts (C)",
                 *(cell(fifty.get(t), fifty["floor"], lambda s: statistics.median(s.rss_kib), mib) for t in tools)])
    for label, samples in starts.items():
        floor_name = "import typer, rich" if "--" in label else "import typer, rich, pydantic, yaml"
        rows.append([f"start-up `{label}` (floor: `{floor_name}`)", cell(samples["floor"], samples["floor"]),
                     *after_floor(samples, tools)])
    rows.append([f"WinRM 1 host x {plan.winrm_commands} commands (floor: bare pywinrm)",
                 cell(win["floor"], win["floor"]), *after_floor(win, tools)])
    rows.append([f"`otcctl runs` over {plan.journals:,} journals, first page (floor: typer+rich+pydantic+yaml)",
                 cell(runs["floor"], runs["floor"]), *after_floor(runs, tools)])
    print("\n| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print("\nfloor cells: median [min-max] of the runs; other cells: ratio to the floor's median, then their own.")
    print("stack: the floor's work inside the least program of otcctl's shape (a one-command Typer app, input read "
          "with PyYAML and validated with pydantic), ending as the floor ends; in the start-up rows, a two-command "
          "Typer app's --help, and a Typer command printing a rich table of the runbooks validated with pydantic, "
          "both ending as otcctl ends (without tearing the interpreter down).")
    for group in (ssh, starts, {"winrm": win, "runs": runs}):
        for key, samples in group.items():
            for tool, sample in samples.items() if isinstance(samples, dict) else []:
                if sample.error:
                    print(f"- {key} {tool} failed: {sample.error}")
    growth(ssh, plan, tools)


def growth(ssh: dict[str, dict[str, Sample]], plan: Plan, tools: list[str]) -> None:
    """Marginal costs: per extra host (C vs A), per extra command on 6 hosts (B vs A) and on 1 host (D vs 1x1)."""
    def per(a: str, b: str, n: int, tool: str) -> str:
        x, y = ssh[a].get(tool), ssh[b].get(tool)
        if not x or not y or x.error or y.error or not x.walls or not y.walls:
            return "-"
        return f"{(y.median - x.median) / n * 1000:.1f} ms"

    print("\nHow cost grows (difference of medians):\n")
    print("| marginal cost | " + " | ".join(tools) + " |")
    print("|" + "---|" * (len(tools) + 1))
    print("| per extra host (C - A) / 44 | " + " | ".join(per("A", "C", 44, t) for t in tools) + " |")
    print(f"| per extra command, 6 hosts (B - A) / {plan.b_commands - 1} | "
          + " | ".join(per("A", "B", plan.b_commands - 1, t) for t in tools) + " |")
    print(f"| per extra command, 1 host (D - 1x1) / {plan.d_commands - 1} | "
          + " | ".join(per("E", "D", plan.d_commands - 1, t) for t in tools) + " |")


def versions() -> str:
    peers = PEERS / "bin" / "python"
    code = "import importlib.metadata as m\nfor p in ('ansible-core', 'pyinfra', 'fabric', 'paramiko'):\n" \
           "    print(p, m.version(p))"
    mine = subprocess.run([PYTHON, "-c", "import importlib.metadata as m; print('otcctl', m.version('otcctl'),"
                           "'paramiko', m.version('paramiko'), 'pywinrm', m.version('pywinrm'))"],
                          capture_output=True, text=True, check=False).stdout.split()
    theirs = subprocess.run([str(peers), "-c", code], capture_output=True, text=True,
                            check=False).stdout.split() if peers.is_file() else []
    pairs = [f"{a} {b}" for a, b in zip(mine[::2], mine[1::2], strict=False)]
    pairs += [f"{a} {b} (peers)" for a, b in zip(theirs[::2], theirs[1::2], strict=False)]
    ssh = shutil.which("sshd") or "/usr/sbin/sshd"
    banner = subprocess.run([ssh, "-V"], capture_output=True, text=True, check=False).stderr.strip()
    return "; ".join([f"Python {sys.version.split()[0]}", *pairs, banner.split(",")[0]])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="otcctl side by side with its peers on a loopback fleet.")
    parser.add_argument("--quick", action="store_true", help="one run each, smaller B, D, WinRM and journal cases")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    missing = peers_missing()
    tools = [t for t in TOOLS if t not in missing]
    how = "1 run each, no warm-up; Ansible on A only" if args.quick else f"{plan.runs} runs each after a warm-up"
    print(f"# otcctl side by side ({'quick' if args.quick else 'full'}: {how})")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start; {versions()}", flush=True)
    if missing:
        print(f"not installed (bench/run.sh installs them into {PEERS}): {', '.join(missing)}")
    with tempfile.TemporaryDirectory(prefix="otcctl-side-") as temp:
        workdir = Path(temp)
        print("building the fleet (lab + SHLVL=1 sshds + 50 addresses) ...", file=sys.stderr, flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still take the fleet down
        fleet = build_fleet(workdir)
        print(f"  settled in {settle():.0f} s", file=sys.stderr, flush=True)
        invocations: Invocations | None = None
        try:
            invocations = Invocations(fleet, workdir)
            ssh = ssh_cases(fleet, invocations, plan, tools)
            print(f"  start-up, WinRM, runs ... ({time.strftime('%H:%M:%S')})", file=sys.stderr, flush=True)
            starts = startup(plan, workdir)
            win = winrm(fleet, workdir, plan)
            runs = many_journals(workdir, plan.journals, plan)
        finally:
            if invocations is not None:
                invocations.stop()
            fleet.stop()
    print_table(ssh, starts, win, runs, plan, tools)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end (2 cores shared: figures are noisy; compare ratios "
          "taken in the same run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
