"""Lab plumbing for the benchmarks: a lab on a free loopback network, and extra sshds beside it.

The extra sshds serve the same lab host (same host key, same authorized keys) on another port,
so that one variable changes at a time: whether bash reads ~/.bashrc, or which login shell runs
the command. They live in the benchmark's temp dir and are stopped by pid, like the lab's own.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml

from otcctl_lab import DEFAULT_NETWORK, Lab, lab_up_on_free_network, proc, sshd

REPO = Path(__file__).resolve().parents[1]
PRODUCTION_INVENTORY = REPO / "inventory.yaml"

ShellMode = Literal["no-bashrc", "sh"]


def start_lab(directory: Path) -> Lab:
    """A lab on the first free 127.0.N network (like tests/conftest.py, but clear of the tests' range).

    OTCBENCH_NETWORK pins the first choice; the tests keep clear of 127.0.40-59 (tests/networks.py), so the
    bench starts at 127.0.40. The fleet's network (OTCBENCH_FLEET) is never tried for the lab.
    """
    first = os.environ.get("OTCBENCH_NETWORK", "127.0.40")
    fleet = os.environ.get("OTCBENCH_FLEET", "127.0.60")  # the fleet's sshds take port 2222 on its .1-.50
    networks = [n for n in [first, *(f"127.0.{n}" for n in range(41, 60)), DEFAULT_NETWORK] if n != fleet]
    # WinRM as production speaks it (the lab's default): HTTPS, certificates from the lab CA named after
    # the hosts; the bare-pywinrm floor checks the same name (bench/_clients.py)
    return lab_up_on_free_network(directory, PRODUCTION_INVENTORY, networks)


@dataclass(frozen=True)
class ExtraSshd:
    """A second sshd for one lab host, on ``port``, with its own known_hosts file."""

    host_id: str
    address: str
    port: int
    pid: int
    known_hosts: Path

    def stop(self) -> None:
        proc.terminate([*proc.descendants(self.pid), self.pid], grace=3.0)


@dataclass
class Extras:
    """The extra sshds the bench started, and why any could not be started."""

    no_bashrc: dict[str, ExtraSshd] = field(default_factory=dict)
    sh: ExtraSshd | None = None
    problems: list[str] = field(default_factory=list)

    def stop(self) -> None:
        for extra in [*self.no_bashrc.values(), *([self.sh] if self.sh else [])]:
            extra.stop()


def start_extras(lab: Lab, workdir: Path) -> Extras:
    """SHLVL=1 sshds for M3 and M4, a /bin/sh one for M3; what fails is noted, not raised."""
    extras = Extras()
    try:
        for host_id in ("M3", "M4"):
            extras.no_bashrc[host_id] = start_extra_sshd(lab, host_id, "no-bashrc", workdir, 2300)
    except (RuntimeError, OSError) as exc:
        extras.problems.append(f"bash without ~/.bashrc: not measured ({exc})")
    try:
        extras.sh = start_extra_sshd(lab, "M3", "sh", workdir, 2400)
    except (RuntimeError, OSError) as exc:
        extras.problems.append(f"login shell /bin/sh: not measured ({exc})")
    return extras


def variant_inventory(lab: Lab, extras: dict[str, ExtraSshd], target: Path) -> Path:
    """The lab inventory with the given hosts pointed at their extra sshds (one known_hosts for all)."""
    data = yaml.safe_load(lab.inventory_path.read_text(encoding="utf-8"))
    known_hosts = target.with_suffix(".known_hosts")
    lines = lab.known_hosts.read_text(encoding="ascii")
    for host_id, extra in extras.items():
        data["hosts"][host_id]["port"] = extra.port
        lines += extra.known_hosts.read_text(encoding="ascii")
    known_hosts.write_text(lines, encoding="ascii")
    data["known_hosts"] = str(known_hosts)
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def free_port(address: str, start: int) -> int:
    """The first port from ``start`` that nothing listens on at ``address``."""
    for port in range(start, start + 200):
        if proc.port_free(address, port):
            return port
    raise RuntimeError(f"no free port on {address} from {start}")


def _passwd_with_sh(user: str, target: Path) -> None:
    """A copy of /etc/passwd in which ``user``'s login shell is /bin/sh (the real file is not touched)."""
    lines = Path("/etc/passwd").read_text(encoding="utf-8").splitlines()
    changed = False
    for index, line in enumerate(lines):
        fields = line.split(":")
        if len(fields) == 7 and fields[0] == user:
            fields[6] = "/bin/sh"
            lines[index] = ":".join(fields)
            changed = True
    if not changed:
        raise RuntimeError(f"{user} is not in /etc/passwd (directory service?)")
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")


def start_extra_sshd(lab: Lab, host_id: str, mode: ShellMode, workdir: Path, port_from: int) -> ExtraSshd:
    """Serve ``host_id`` again on another port, with .bashrc skipped or with /bin/sh as login shell.

    ``no-bashrc``: sshd passes SHLVL=1, so bash counts itself as a nested shell and does not read
    ~/.bashrc (bash reads it for ssh commands only in a top-level shell).
    ``sh``: sshd runs in a private mount namespace (``unshare --mount``, needs root) where a copy of
    /etc/passwd gives the lab user /bin/sh; the system's /etc/passwd is never changed.
    """
    host = lab.host(host_id)
    port = free_port(host.address, port_from)
    name = f"{host_id}-{mode}"
    workdir.mkdir(parents=True, exist_ok=True)
    config = lab.layout.sshd_config(host_id).read_text(encoding="utf-8")
    config = re.sub(r"(?m)^Port .*$", f"Port {port}", config)
    pid_file = workdir / f"{name}.pid"
    config = re.sub(r"(?m)^PidFile .*$", f'PidFile "{pid_file}"', config)
    if mode == "no-bashrc":
        config = re.sub(r"(?m)^(SetEnv .*)$", r'\1 "SHLVL=1"', config)
    config_path = workdir / f"{name}.sshd_config"
    config_path.write_text(config, encoding="utf-8")
    log = workdir / f"{name}.log"
    argv = [lab.spec.sshd, "-f", str(config_path), "-E", str(log)]
    if mode == "sh":
        unshare = shutil.which("unshare")
        if unshare is None or os.geteuid() != 0:
            raise RuntimeError("needs root and unshare(1) for a private mount namespace")
        passwd = workdir / "passwd"
        _passwd_with_sh(lab.spec.user, passwd)
        script = 'mount --bind "$1" /etc/passwd && shift && exec "$@"'
        argv = [unshare, "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "sh", str(passwd), *argv]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError((done.stderr or done.stdout).strip() or f"exit {done.returncode}")

    def answers() -> bool:
        pid = proc.read_pid(pid_file)
        return pid is not None and proc.pid_alive(pid) and proc.ssh_banner(host.address, port) is not None

    if not proc.wait_until(answers, 10.0):
        raise RuntimeError(f"extra sshd did not answer; see {log}")
    pid = proc.read_pid(pid_file)
    assert pid is not None
    known_hosts = workdir / f"{name}.known_hosts"
    key = sshd.public_key_line(lab.layout.host_key(host_id))
    known_hosts.write_text(f"[{host.address}]:{port} {key}\n", encoding="ascii")
    return ExtraSshd(host_id, host.address, port, pid, known_hosts)
