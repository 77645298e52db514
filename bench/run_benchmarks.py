"""Figures for otcctl on this machine: SSH latency, connection cost, start-up, journal, a run.

    python bench/run_benchmarks.py [--quick]

It prints figures and judges nothing (it is not a test). Everything network-related happens on
loopback, against a lab started in a temp dir on a free 127.0.N network and always taken down.
See bench/README.md for what each figure means and the figures measured here.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lab import REPO, Extras, start_extras, start_lab, variant_inventory

from otcctl.connectors.ssh import SshConnector
from otcctl.model.inventory import Host, KeyFileCredential, load_inventory
from otcctl.run.journal import Journal, read_journal
from otcctl_lab import Lab, SshdMissing, lab_down

HEAVY_MODULES = ("paramiko", "winrm", "oracledb")
PYTHON = sys.executable
OTCCTL = [str(Path(PYTHON).parent / "otcctl")] if (Path(PYTHON).parent / "otcctl").is_file() else [
    PYTHON, "-m", "otcctl"]


@dataclass(frozen=True)
class Reps:
    """How many repetitions each figure takes."""

    commands: int
    breakdown: int
    connects: int
    startup: int
    journal: int
    runs: int


FULL = Reps(commands=100, breakdown=30, connects=20, startup=5, journal=500, runs=3)
QUICK = Reps(commands=20, breakdown=10, connects=5, startup=3, journal=100, runs=1)


# -- numbers and printing ---------------------------------------------------------------------
def p90(values: Sequence[float]) -> float:
    """Nearest-rank 90th percentile."""
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * 9 // 10) - 1)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def med_p90(values: Sequence[float]) -> str:
    return f"{ms(statistics.median(values))} / {ms(p90(values))}"


Row = tuple[str, str, str]


def print_table(title: str, header: Row, rows: Sequence[Row]) -> None:
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(2)]
    print(f"\n== {title}")
    for name, value, note in (header, *rows):
        print(f"  {name:<{widths[0]}}  {value:>{widths[1]}}  {note}".rstrip())


def note(text: str) -> None:
    print(textwrap.fill(text, width=110, initial_indent="  note: ", subsequent_indent="        "))


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


# -- 1. SSH command latency on one reused connection ------------------------------------------
def command_latencies(connector: SshConnector, count: int) -> list[float]:
    """Wall time of ``count`` calls of ``SshConnector.run("true")`` on the connector's one connection."""
    connector.run("true", timeout=30)  # connect, and warm the server side
    times = []
    for _ in range(count):
        started = time.perf_counter()
        result = connector.run("true", timeout=30)
        times.append(time.perf_counter() - started)
        if result.exit_code != 0:
            raise RuntimeError(f"`true` exited {result.exit_code}: {result.stderr}")
    return times


def breakdown(connector: SshConnector, count: int) -> dict[str, list[float]]:
    """One command in phases on the same connection, with the connector's own wrapper command.

    channel open = session channel granted; exec = server accepted the exec request;
    wait for exit = exit status back (shell start, .bashrc, the command, channel close).
    """
    transport = connector._connect().get_transport()  # the bench looks inside; the engine never does
    assert transport is not None
    phases: dict[str, list[float]] = {"channel open": [], "exec": [], "wait for exit": []}
    for _ in range(count):
        t0 = time.perf_counter()
        channel = transport.open_session(timeout=10)
        t1 = time.perf_counter()
        channel.exec_command("echo __OTCCTL_PGID=$$ >&2; true")
        t2 = time.perf_counter()
        channel.recv_exit_status()
        t3 = time.perf_counter()
        channel.close()
        phases["channel open"].append(t1 - t0)
        phases["exec"].append(t2 - t1)
        phases["wait for exit"].append(t3 - t2)
    return phases


def set_nodelay(connector: SshConnector, on: bool) -> None:
    transport = connector._connect().get_transport()
    assert transport is not None and transport.sock is not None
    transport.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1 if on else 0)  # type: ignore[union-attr]


def shell_facts(connector: SshConnector) -> str:
    """Which shell runs the command, and whether ~/.bashrc ran (it exports PYENV_ROOT here)."""
    out = connector.run('echo "$(readlink /proc/$$/exe) PYENV_ROOT=${PYENV_ROOT:-unset}"', timeout=30)
    return out.stdout.strip()


@dataclass(frozen=True)
class Endpoint:
    """One way of reaching lab host M3: the lab's own sshd or an extra one beside it."""

    label: str
    host: Host
    known_hosts: Path

    def connector(self) -> SshConnector:
        return SshConnector("M3", self.host, self.known_hosts)


def endpoints(lab: Lab, extras: Extras) -> list[Endpoint]:
    """The lab as it is first, then M3 without ~/.bashrc and with /bin/sh, where those sshds run."""
    inventory = load_inventory(lab.inventory_path).inventory
    host = inventory.hosts["M3"]
    found = [Endpoint("bash + ~/.bashrc (the lab as is)", host, Path(inventory.known_hosts))]
    if "M3" in extras.no_bashrc:
        extra = extras.no_bashrc["M3"]
        found.append(Endpoint("bash, ~/.bashrc not read (SHLVL=1)", host.model_copy(update={"port": extra.port}),
                              extra.known_hosts))
    if extras.sh is not None:
        found.append(Endpoint("login shell /bin/sh (private passwd view)",
                              host.model_copy(update={"port": extras.sh.port}), extras.sh.known_hosts))
    return found


def bench_ssh(points: list[Endpoint], problems: list[str], reps: Reps) -> dict[str, float]:
    """Section 1; returns the median latency per endpoint label (TCP_NODELAY on)."""
    rows: list[Row] = []
    phase_rows: list[Row] = []
    medians: dict[str, float] = {}
    for index, point in enumerate(points):
        for nodelay in (True, False) if index < 2 else (True,):
            connector = point.connector()
            try:
                connector.run("true", timeout=30)
                set_nodelay(connector, nodelay)
                facts = shell_facts(connector)
                times = command_latencies(connector, reps.commands)
                label = f"{point.label}, TCP_NODELAY {'on' if nodelay else 'off'}"
                rows.append((label, med_p90(times), facts))
                for phase, values in breakdown(connector, reps.breakdown).items():
                    phase_rows.append((f"{label}: {phase}", med_p90(values), ""))
                if nodelay:
                    medians[point.label] = statistics.median(times)
            finally:
                connector.close()
    print_table(f"1. SSH command latency: SshConnector.run('true'), one reused connection to lab M3, "
                f"{reps.commands} commands", ("variant", "median / p90", "shell that ran it"), rows)
    print_table(f"   one command in phases (raw paramiko on the same connection, {reps.breakdown} times)",
                ("phase", "median / p90", ""), phase_rows)
    for line in problems:
        note(line)
    bashrc = Path(os.path.expanduser("~/.bashrc"))
    if bashrc.is_file() and "pyenv init" in bashrc.read_text(encoding="utf-8", errors="replace"):
        note(f"on this machine {bashrc} runs `pyenv init`, and sshd makes bash read ~/.bashrc for "
             "non-interactive commands too, so every command pays for it (tens of ms, CPU-bound) whatever "
             "otcctl does; `exec /bin/true` instead of `true` would not help, the cost is paid before the "
             "command runs. The SHLVL=1 and /bin/sh rows are the same host, key and connector without it; the "
             "/bin/sh row is what a service account with a plain login shell would see. Nothing on the system "
             "is changed: the extra sshds run from the temp dir, the /bin/sh one in a private mount namespace "
             "with its own view of /etc/passwd.")
    else:
        note("~/.bashrc here does not run `pyenv init`.")
    note("open and exec are one round trip each (exec returns once sshd accepts the request, sometimes after "
         "it has started the shell); 'wait for exit' is the rest: the shell and ~/.bashrc on the host, the "
         "command, the exit status. With TCP_NODELAY off the channel open waits about 40 ms: Nagle holds it "
         "back while the previous command's last packets are unacknowledged, and the peer delays its ACK.")
    return medians


# -- 2. connection cost -----------------------------------------------------------------------
def connect_nodelay_first(point: Endpoint) -> float:
    """Connect + auth as the connector does, but on a socket that has TCP_NODELAY from the start."""
    import paramiko

    client = paramiko.SSHClient()
    client.load_host_keys(str(point.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    credential = point.host.credential
    assert isinstance(credential, KeyFileCredential)
    started = time.perf_counter()
    sock = socket.create_connection((point.host.address, point.host.port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.connect(point.host.address, port=point.host.port, username=point.host.user, sock=sock,
                   key_filename=os.path.expanduser(credential.path), look_for_keys=False, allow_agent=False)
    elapsed = time.perf_counter() - started
    client.close()
    return elapsed


def bench_connect(points: list[Endpoint], medians: dict[str, float], reps: Reps) -> None:
    import paramiko  # noqa: F401  (imported before timing; its import is not a connection cost)

    rows: list[Row] = []
    for point in points[:2]:
        connects, firsts, totals = [], [], []
        for _ in range(reps.connects):
            connector = point.connector()
            started = time.perf_counter()
            connector._connect()
            connected = time.perf_counter()
            connector.run("true", timeout=30)
            ran = time.perf_counter()
            connector.close()
            connects.append(connected - started)
            firsts.append(ran - connected)
            totals.append(time.perf_counter() - started)
        early = [connect_nodelay_first(point) for _ in range(reps.connects)]
        reused = medians[point.label]
        rows += [
            (f"{point.label}: connect (TCP, key exchange, host key, key auth)", med_p90(connects), ""),
            ("  connect with TCP_NODELAY set before the handshake", med_p90(early), "raw paramiko, sock="),
            ("  first command on the new connection", med_p90(firsts), ""),
            ("  connect + one command + close", med_p90(totals), ""),
            ("  one command on a reused connection (section 1)", ms(reused), ""),
            ("  new connection per command / reused", f"{statistics.median(totals) / reused:.1f}x", ""),
        ]
    print_table(f"2. Connection cost, lab M3 ({reps.connects} new connections each)",
                ("what", "median / p90", ""), rows)
    note("one connection per host, opened on first use and reused by every later step, pays the connect "
         "cost once per host per run instead of once per command. The first command on a new connection "
         "waits about 40 ms more than later ones, in its channel open; it does so with TCP_NODELAY set before "
         "the handshake too, so it is not the client's Nagle. SshConnector sets TCP_NODELAY only after "
         "connect(), so Nagle is still on during the handshake; the row with it set earlier shows the cost.")


# -- 3. start-up and lazy imports -------------------------------------------------------------
STARTUP_COMMANDS: list[tuple[str, list[str]]] = [
    ("python -c pass (interpreter floor)", [PYTHON, "-c", "pass"]),
    ("otcctl --help", [*OTCCTL, "--help"]),
    ("otcctl list", [*OTCCTL, "list"]),
    ("otcctl dry-run market-open --date 20261127", [*OTCCTL, "dry-run", "market-open", "--date", "20261127"]),
]


def cli_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1", "COLUMNS": "160", **extra}


def run_quiet(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, cwd=REPO, env=env or cli_env(), stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done


def imported_modules(argv_tail: list[str]) -> tuple[set[str], list[tuple[str, int]]]:
    """Modules a command imports (``-X importtime``) and the top-level packages by cumulative time."""
    done = run_quiet([PYTHON, "-X", "importtime", "-m", "otcctl", *argv_tail])
    modules: set[str] = set()
    roots: dict[str, int] = {}
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if not match:
            continue
        name = match.group(4)
        modules.add(name)
        if len(match.group(3)) == 1:  # imported at the top level of the command, not by another module
            root = name.split(".")[0]
            roots[root] = roots.get(root, 0) + int(match.group(2))
    return modules, sorted(roots.items(), key=lambda item: -item[1])


def bench_startup(reps: Reps) -> None:
    rows: list[Row] = []
    for label, argv in STARTUP_COMMANDS:
        run_quiet(argv)  # warm the page cache and __pycache__
        times = [timed(functools.partial(run_quiet, argv)) for _ in range(reps.startup)]
        rows.append((label, ms(statistics.median(times)), f"min {ms(min(times))}"))
    print_table(f"3. Start-up, subprocess wall time (median of {reps.startup})", ("command", "median", ""), rows)
    check_rows: list[Row] = []
    for label, argv in STARTUP_COMMANDS[1:]:
        modules, roots = imported_modules(argv[len(OTCCTL):])
        heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY_MODULES)
        verdict = "none imported" if not heavy else "IMPORTED: " + ", ".join(heavy[:6])
        biggest = ", ".join(f"{name} {us / 1000:.0f} ms" for name, us in roots[:4])
        check_rows.append((label, verdict, f"largest imports: {biggest}"))
    print_table("   paramiko / winrm / oracledb at start-up (python -X importtime -m otcctl ...)",
                ("command", "heavy modules", ""), check_rows)


# -- 4. journal -------------------------------------------------------------------------------
def filesystem_of(path: Path) -> str:
    best, kind = "", "?"
    for line in Path("/proc/mounts").read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) > 2 and str(path).startswith(fields[1]) and len(fields[1]) > len(best):
            best, kind = fields[1], fields[2]
    return f"{kind} at {best}" if best else kind


def bench_journal(workdir: Path, reps: Reps) -> None:
    journal = Journal.create(workdir / "journal", "bench")
    target = {"host": "M3", "passed": True, "reason": "exit code 0 (expected 0)", "exit_code": 0,
              "stdout": "", "stderr": "", "duration": 0.012}
    times = []
    started = time.perf_counter()
    for index in range(reps.journal):
        t0 = time.perf_counter()
        journal.append("step-finished", run_id="20261127-153000-bench-0000", step=f"s{index:03d}", no=str(index),
                       outcome="passed", reason="M3: exit code 0 (expected 0)", attempts=1, duration=0.012,
                       targets=[target])
        times.append(time.perf_counter() - t0)
    total = time.perf_counter() - started
    journal.close()
    size = journal.path.stat().st_size
    assert len(read_journal(journal.path).records) == reps.journal
    rows: list[Row] = [
        ("records per second (each written and fsynced)", f"{reps.journal / total:.0f}/s", ""),
        ("one append", med_p90(times), "median / p90"),
        ("size per record", f"{size / reps.journal:.0f} B", "a one-host step-finished record, empty output"),
    ]
    print_table(f"4. Journal.append with fsync, {reps.journal} records", ("what", "figure", ""), rows)
    note(f"written to {journal.path.parent} ({filesystem_of(journal.path)}); a step costs two records "
         "(step-started, step-finished).")


# -- 5. a 20-step runbook end to end ----------------------------------------------------------
RUNBOOK_HEAD = 'name: {name}\ntitle: bench {name}\ncadence: on-demand\nversion: "1"\nmanual_section: bench\nsteps:\n'
STEP = "  - id: s{i:02d}\n    kind: shell\n    targets: [M3, M4]\n    command: 'true'\n" \
       "    action: bench step {i}\n    assumption: A01\n"


def write_runbook(folder: Path, name: str, steps: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = RUNBOOK_HEAD.format(name=name) + "".join(STEP.format(i=i) for i in range(steps))
    (folder / f"{name}.yaml").write_text(text, encoding="utf-8")


def clock(record: dict[str, Any]) -> float:
    return datetime.fromisoformat(record["time_utc"]).timestamp()


def run_book(inventory: Path, books: Path, name: str, state: Path) -> tuple[float, list[dict[str, Any]]]:
    argv = [*OTCCTL, "run", name, "--runbooks", str(books), "-i", str(inventory)]
    started = time.perf_counter()
    run_quiet(argv, cli_env(OTCCTL_STATE_DIR=str(state)))
    wall = time.perf_counter() - started
    (path,) = sorted((state / "runs").glob(f"*-{name}-*.jsonl"))[-1:]
    return wall, read_journal(path).records


def bench_run(inventories: list[tuple[str, Path]], workdir: Path, reps: Reps) -> None:
    books = workdir / "books"
    write_runbook(books, "bench-20", 20)
    write_runbook(books, "bench-1", 1)
    rows: list[Row] = []
    for label, inventory in inventories:
        walls: dict[str, list[float]] = {"bench-20": [], "bench-1": []}
        step_walls, slowest, overheads, gaps = [], [], [], []
        for rep in range(reps.runs):
            state = workdir / "state" / f"{inventory.stem}-{rep}"
            for name in ("bench-1", "bench-20"):
                wall, records = run_book(inventory, books, name, state)
                walls[name].append(wall)
                if name != "bench-20":
                    continue
                started = {r["step"]: r for r in records if r["type"] == "step-started"}
                finished = [r for r in records if r["type"] == "step-finished"]
                gaps += [clock(started[b["step"]]) - clock(a) for a, b in itertools.pairwise(finished)]
                for record in finished[1:]:  # the first step also opens both connections
                    host_max = max(t["duration"] for t in record["targets"])
                    step_walls.append(record["duration"])
                    slowest.append(host_max)
                    overheads.append(record["duration"] - host_max)
        t20, t1 = statistics.median(walls["bench-20"]), statistics.median(walls["bench-1"])
        rows += [
            (f"{label}: otcctl run, 20 steps (process start to exit)", ms(t20), ""),
            ("  otcctl run, 1 step", ms(t1), ""),
            ("  per step: (20-step run - 1-step run) / 19", ms((t20 - t1) / 19), ""),
            ("  per step in the journal (step-started to step-finished)", med_p90(step_walls), "steps 2-20"),
            ("    slower host's command (CommandOutput.duration)", med_p90(slowest), ""),
            ("    engine overhead in a step (step minus slower host)", med_p90(overheads), ""),
            ("    between steps (step-finished to next step-started)", med_p90(gaps), ""),
        ]
    print_table(f"5. 20 shell steps `true` on [M3, M4], otcctl run in a subprocess (median of {reps.runs} runs)",
                ("what", "median / p90", ""), rows)
    note("a step is two fsynced journal records, the command on both hosts in parallel (worker threads), the "
         "verdict and its console line. Journal times have millisecond resolution. The second inventory is the "
         "lab's with M3 and M4 pointed at the SHLVL=1 sshds: the same run without ~/.bashrc on the hosts.")


# -- main ------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print otcctl benchmark figures for this machine.")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (about a quarter of the time)")
    args = parser.parse_args(argv)
    reps = QUICK if args.quick else FULL
    print(f"otcctl benchmarks ({'quick' if args.quick else 'full'}); {os.cpu_count()} cores; "
          f"Python {sys.version.split()[0]}; loopback only")
    with tempfile.TemporaryDirectory(prefix="otcctl-bench-") as temp:
        workdir = Path(temp)
        bench_startup(reps)
        bench_journal(workdir, reps)
        lab_dir = workdir / "lab"
        try:
            lab = start_lab(lab_dir)
        except SshdMissing as exc:
            note(f"sections 1, 2 and 5 skipped: {exc}")
            return 0
        extras = Extras()
        try:
            print(f"\nlab up in {lab.layout.root} on {lab.spec.network}.x")
            extras = start_extras(lab, workdir / "extra-sshd")
            points = endpoints(lab, extras)
            medians = bench_ssh(points, extras.problems, reps)
            bench_connect(points, medians, reps)
            inventories = [("lab inventory", lab.inventory_path)]
            if set(extras.no_bashrc) == {"M3", "M4"}:
                variant = variant_inventory(lab, extras.no_bashrc, workdir / "inventory-no-bashrc.yaml")
                inventories.append(("M3, M4 without ~/.bashrc", variant))
            bench_run(inventories, workdir, reps)
        finally:
            extras.stop()
            lab_down(lab_dir)
            print("\nlab down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
