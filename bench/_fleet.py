"""The side-by-side bench's fleet: the lab's SSH hosts and 50 more loopback addresses, no ~/.bashrc.

Every client (otcctl, the floor, Fabric, pyinfra, Ansible) logs in as the lab's user with the lab's
key to these sshds, and checks host keys against one known_hosts file:

- M1-M4: the lab's own hosts, each served again by an sshd that passes SHLVL=1 (same host key, see
  ``_lab.start_extra_sshd``), so bash skips ~/.bashrc as a lean service account's shell would;
- H01-H50: four more sshds listening on 50 addresses (``OTCBENCH_FLEET``, default 127.0.60.1-50; 16 each
  at most, sshd's limit), with the same settings, ``SHLVL=1`` and ``MaxStartups`` raised so that 50
  simultaneous logins are not dropped.
  sshd forks a process per connection, so a listener for 16 addresses costs a connection what 16
  listeners would.

Everything lives in the bench's temp dir; ``Fleet.stop`` stops what was started, by pid.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from _lab import Extras, start_extra_sshd, start_lab, variant_inventory

from otcctl_lab import Lab, lab_down, proc, sshd

FLEET_SIZE = 50
LISTEN_MAX = 16


@dataclass(frozen=True)
class FleetHost:
    name: str
    address: str
    port: int


@dataclass
class Fleet:
    """Who is where, and how to log in; ``inventory`` is the otcctl inventory for all of it."""

    lab: Lab
    hosts: dict[str, FleetHost]
    known_hosts: Path
    inventory: Path
    extras: Extras = field(default_factory=Extras)
    pids: list[int] = field(default_factory=list)

    @property
    def user(self) -> str:
        return self.lab.spec.user

    @property
    def key(self) -> Path:
        return self.lab.client_key

    def pick(self, names: list[str]) -> list[FleetHost]:
        return [self.hosts[n] for n in names]

    def stop(self) -> None:
        self.extras.stop()
        proc.terminate(self.pids, grace=3.0)
        lab_down(self.lab.layout.root)


def fleet_addresses(count: int = FLEET_SIZE) -> list[str]:
    base = os.environ.get("OTCBENCH_FLEET", "127.0.60")
    return [f"{base}.{i}" for i in range(1, count + 1)]


def build_fleet(workdir: Path, count: int = FLEET_SIZE) -> Fleet:
    """Lab up, SHLVL=1 sshds for M1-M4, one sshd on ``count`` more addresses; stops it all on failure."""
    lab = start_lab(workdir / "lab")
    fleet: Fleet | None = None
    extras = Extras()
    try:
        for host_id in ("M1", "M2", "M3", "M4"):
            extras.no_bashrc[host_id] = start_extra_sshd(lab, host_id, "no-bashrc", workdir / "extra", 2300)
        inventory = variant_inventory(lab, extras.no_bashrc, workdir / "inventory.yaml")
        known_hosts = inventory.with_suffix(".known_hosts")
        hosts = {h: FleetHost(h, e.address, e.port) for h, e in extras.no_bashrc.items()}
        fleet = Fleet(lab, hosts, known_hosts, inventory, extras)
        addresses = fleet_addresses(count)
        port = lab.host("M3").ssh_port or 22
        for first in range(0, len(addresses), LISTEN_MAX):  # sshd listens on at most 16 sockets
            chunk = addresses[first:first + LISTEN_MAX]
            fleet.pids.append(_start_many(lab, chunk, port, workdir / "extra", f"fleet{first // LISTEN_MAX}"))
        key = sshd.public_key_line(lab.layout.host_key("M3"))
        with known_hosts.open("a", encoding="ascii") as stream:
            for index, address in enumerate(addresses, start=1):
                fleet.hosts[f"H{index:02d}"] = FleetHost(f"H{index:02d}", address, port)
                stream.write(f"[{address}]:{port} {key}\n")
        _add_to_inventory(inventory, fleet)
        return fleet
    except BaseException:
        extras.stop()
        if fleet is not None:
            proc.terminate(fleet.pids)
        lab_down(lab.layout.root)
        raise


def _start_many(lab: Lab, addresses: list[str], port: int, workdir: Path, name: str) -> int:
    """One sshd with M3's host key and settings on every address in ``addresses``; its pid."""
    busy = [a for a in addresses if not proc.port_free(a, port)]
    if busy:
        raise RuntimeError(f"port {port} is taken on {', '.join(busy[:3])}; "
                           "set OTCBENCH_FLEET=127.0.K to move the fleet")
    config = lab.layout.sshd_config("M3").read_text(encoding="utf-8")
    config = re.sub(r"(?m)^(Port|ListenAddress) .*\n", "", config)
    pid_file = workdir / f"{name}.pid"
    config = re.sub(r"(?m)^PidFile .*$", f'PidFile "{pid_file}"', config)
    config = re.sub(r"(?m)^(SetEnv .*)$", r'\1 "SHLVL=1"', config)
    config += "MaxStartups 200\n" + "".join(f"ListenAddress {a}:{port}\n" for a in addresses)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"{name}.sshd_config"
    path.write_text(config, encoding="utf-8")
    done = subprocess.run([lab.spec.sshd, "-f", str(path), "-E", str(workdir / f"{name}.log")], capture_output=True,
                          text=True, timeout=30, check=False, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"fleet sshd: {(done.stderr or done.stdout).strip()}")

    def answers() -> bool:
        return proc.read_pid(pid_file) is not None and all(proc.ssh_banner(a, port) for a in addresses[::7])

    if not proc.wait_until(answers, 10.0):
        log = (workdir / f"{name}.log").read_text(encoding="utf-8", errors="replace")[-600:]
        raise RuntimeError(f"fleet sshd did not answer: {log}")
    pid = proc.read_pid(pid_file)
    assert pid is not None
    return pid


def _add_to_inventory(inventory: Path, fleet: Fleet) -> None:
    """H01-H50 as plain Linux hosts of group ``fleet`` (M3's login, no services) in the otcctl inventory."""
    data = yaml.safe_load(inventory.read_text(encoding="utf-8"))
    template = {k: v for k, v in data["hosts"]["M3"].items() if k not in ("services", "reboot_command")}
    top = max(h["kvm_order"] for h in data["hosts"].values())
    for index, host in enumerate(h for n, h in fleet.hosts.items() if n.startswith("H")):
        data["hosts"][host.name] = {**template, "role": f"bench host {host.name}", "address": host.address,
                                    "port": host.port, "kvm_order": top + 1 + index,
                                    "kvm_label": f"bench {host.name}", "groups": ["fleet"]}
    inventory.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
