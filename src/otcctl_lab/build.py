"""Bring a lab up, report on it, take it down: the API behind ``otcctl lab`` and the test fixture.

``lab_up`` builds everything inside one directory (keys, sshd configs, data files, the lab
inventory), starts the detached processes and returns only once every host answers. Every pid
it starts is recorded under ``DIR/run`` so that ``lab_down`` can stop exactly those, even after
lab reboots replaced some of them.
"""

from __future__ import annotations

import getpass
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from otcctl_lab import power, proc, sshd, winrm_hosts
from otcctl_lab.errors import LabError, PortsInUse
from otcctl_lab.layout import POWER_ON, RUNNING, LabHost, LabLayout, LabSpec, write_state
from otcctl_lab.listeners import endpoints

if TYPE_CHECKING:
    from otcctl.model.inventory import Inventory

DEFAULT_SSH_PORT = 2222
DEFAULT_NETWORK = "127.0.0"
PASSPHRASE_ENV = "OTCLAB_KEY_PASSPHRASE"


@dataclass(frozen=True)
class LabOptions:
    """What ``lab up`` builds: where, from which production inventory, for which trading date."""

    directory: Path
    inventory: Path
    date: str | None = None
    network: str = DEFAULT_NETWORK
    ssh_port: int = DEFAULT_SSH_PORT
    sshd: str | None = None
    python: str = field(default=sys.executable)
    winrm_scheme: str = "https"
    winrm_version: str = "3.0"


@dataclass(frozen=True)
class Lab:
    """A lab that is up: where its files are and what its hosts are."""

    layout: LabLayout
    spec: LabSpec
    already_up: bool = False

    @property
    def inventory_path(self) -> Path:
        return self.layout.inventory

    @property
    def known_hosts(self) -> Path:
        return self.layout.known_hosts

    @property
    def client_key(self) -> Path:
        return self.layout.client_key

    @property
    def passphrase_key(self) -> Path:
        return self.layout.passphrase_key

    def winrm_password(self) -> str:
        """The generated WinRM password of M5/M6 (export it as OTCLAB_WINRM_PASSWORD)."""
        return winrm_hosts.read_password(self.layout)

    def passphrase(self) -> str:
        """The passphrase of :attr:`passphrase_key` (random per lab; give it to code via an env var)."""
        return self.layout.passphrase_file.read_text(encoding="utf-8").strip()

    def host(self, host_id: str) -> LabHost:
        return self.spec.host(host_id)

    def ctl(self, *args: str) -> list[str]:
        """argv of ``python -m otcctl_lab.ctl --dir DIR ARGS...`` for this lab."""
        return [self.spec.python, "-m", "otcctl_lab.ctl", "--dir", str(self.layout.root), *args]

    def ctl_line(self, *args: str) -> str:
        """The same as one shell command line, to run on a lab host over SSH."""
        return shlex.join(self.ctl(*args))


def open_lab(directory: Path) -> Lab:
    """The lab an earlier ``lab up`` built in ``directory`` (up or not; see :func:`lab_status`)."""
    layout = LabLayout.at(directory)
    return Lab(layout, layout.load_spec())


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    port: int | None
    active: bool


@dataclass(frozen=True)
class HostStatus:
    """One host as a client sees it now; ``pid`` is its sshd (SSH hosts) or the listener daemon."""

    id: str
    address: str
    port: int | None
    pid: int | None
    up: bool
    rebooting: bool
    services: tuple[ServiceStatus, ...]


@dataclass(frozen=True)
class LabStatus:
    root: Path
    hosts: tuple[HostStatus, ...]
    listeners_pid: int | None

    @property
    def all_up(self) -> bool:
        return self.listeners_pid is not None and all(h.up for h in self.hosts)

    @property
    def any_running(self) -> bool:
        return self.listeners_pid is not None or any(h.pid is not None for h in self.hosts)


def lab_status(directory: Path) -> LabStatus:
    """Probe every host and service of the lab in ``directory``."""
    layout = LabLayout.at(directory)
    spec = layout.load_spec()
    listeners = power.listeners_pid(layout)
    hosts = []
    for host in spec.hosts:
        on = power.powered_on(layout, host.id)
        if host.ssh_port is not None:
            pid = sshd.running_pid(layout, host.id)
            up = on and pid is not None and proc.ssh_banner(host.address, host.ssh_port) is not None
        else:
            pid, up = listeners, on and listeners is not None
        rebooting = proc.live_pid(layout.reboot_pid(host.id)) is not None
        services = tuple(
            ServiceStatus(s.name, s.port, power.service_active(layout, spec, host.id, s.name)) for s in host.services
        )
        hosts.append(HostStatus(host.id, host.address, host.ssh_port, pid, up,
                                rebooting, services))
    return LabStatus(layout.root, tuple(hosts), listeners)


def lab_up(options: LabOptions) -> Lab:
    """Build and start the lab; returns once every host answers. Already up: returns it unchanged.

    A half-running lab is stopped and rebuilt; a failure on the way stops whatever was started.
    """
    layout = LabLayout.at(options.directory)
    if layout.spec_file.exists():
        status = lab_status(layout.root)
        if status.all_up:
            return Lab(layout, layout.load_spec(), already_up=True)
        if status.any_running:
            lab_down(layout.root)
    elif layout.root.exists() and any(layout.root.iterdir()):
        raise LabError(f"{layout.root} is not empty and is not a lab; give --dir a new or empty directory")
    server, keygen = sshd.find_openssh(options.sshd)
    from otcctl.model.inventory import load_inventory

    production = load_inventory(options.inventory).inventory
    date = _trading_date(options.date, production.timezone)
    from otcctl_lab.inventory_gen import lab_spec

    spec = lab_spec(production, network=options.network, ssh_port=options.ssh_port, user=getpass.getuser(),
                    python=options.python, sshd=server, date=date, winrm_scheme=options.winrm_scheme,
                    winrm_version=options.winrm_version)
    _check_ports_free(spec, layout)
    _clear(layout)
    _build_files(layout, spec, keygen, production, options.inventory)
    try:
        _start(layout, spec)
    except BaseException as exc:
        lab_down(layout.root)
        if isinstance(exc, Exception):
            _check_ports_free(spec, layout)  # another lab took these addresses since the check: PortsInUse
        raise
    return Lab(layout, spec)


def lab_up_on_free_network(
    directory: Path, inventory: Path, networks: Iterable[str], *, avoid: Iterable[str] = (),
    winrm_scheme: str = "https",
) -> Lab:
    """``lab_up`` on the first of ``networks`` whose ports are all free.

    Another lab (an operator's rehearsal, a test session, a benchmark) may hold 127.0.0.11-17;
    callers read addresses from the lab they get, never assume them.
    """
    skipped = set(avoid)
    busy: PortsInUse | None = None
    for network in dict.fromkeys(networks):
        if network in skipped:
            continue
        try:
            return lab_up(LabOptions(directory=directory, inventory=inventory, network=network,
                                     winrm_scheme=winrm_scheme))
        except PortsInUse as exc:
            busy = exc
    if busy is None:
        raise LabError("no loopback network was left to try")
    raise busy


def lab_down(directory: Path, grace: float = 3.0) -> list[int]:
    """Stop every process this lab started (reboots in progress first); returns the pids signalled.

    Dead pids are skipped, and so are recycled ones: a daemon of ours must still have the start time
    recorded with its pid, an sshd must still name its config file on its command line.
    """
    layout = LabLayout.at(directory)
    spec = layout.load_spec()
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    layout.stopping_marker.touch()
    stopped: list[int] = []
    for host in spec.hosts:
        pid = proc.live_pid(layout.reboot_pid(host.id))
        if pid is not None:
            stopped += proc.terminate([pid], grace=max(grace, 12.0))
    for sweep in range(2):
        for host in spec.ssh_hosts():
            stopped += sshd.stop_sshd(layout, host.id, grace)
        stopped += winrm_hosts.stop(layout, spec, grace)
        listeners = power.listeners_pid(layout)
        if listeners is not None:
            stopped += proc.terminate([listeners], grace)
        if sweep == 0:
            time.sleep(0.2)
    for pid_file in layout.run_dir.glob("*.pid"):
        pid_file.unlink(missing_ok=True)
    layout.stopping_marker.unlink(missing_ok=True)
    return stopped


def _trading_date(given: str | None, timezone: str) -> str:
    if given is None:
        return datetime.now(ZoneInfo(timezone)).strftime("%Y%m%d")
    try:
        datetime.strptime(given, "%Y%m%d")
    except ValueError:
        raise LabError(f"date {given!r} is not a real date in the form YYYYMMDD") from None
    return given


def _check_ports_free(spec: LabSpec, layout: LabLayout) -> None:
    wanted = [(h.address, h.ssh_port, f"{h.id} sshd") for h in spec.ssh_hosts() if h.ssh_port is not None]
    wanted += [(e.address, e.port, f"{e.host} {e.service}") for e in endpoints(spec)]
    from otcctl_lab.inventory_gen import winrm_port
    from otcctl_lab.mailsink import MAIL_PORT

    port = winrm_port(spec.winrm_scheme)
    wanted += [(h.address, port, f"{h.id} winrm") for h in spec.hosts if h.ssh_port is None]
    wanted += [(winrm_hosts.mail_address(spec), MAIL_PORT, "mail sink")]
    busy = [f"{address}:{port} ({what})" for address, port, what in wanted if not proc.port_free(address, port)]
    if busy:
        more = f" and {len(busy) - 3} more" if len(busy) > 3 else ""
        raise PortsInUse(
            f"cannot build the lab in {layout.root}: already in use: {', '.join(busy[:3])}{more}. "
            "Another lab is probably up: stop it with 'otcctl lab down --dir ITS_DIR', "
            "or put this one on other addresses with --network 127.0.1."
        )


def _clear(layout: LabLayout) -> None:
    """Remove what an earlier ``lab up`` made here, and nothing else."""
    for entry in layout.owned_entries():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink(missing_ok=True)


def _build_files(layout: LabLayout, spec: LabSpec, keygen: str, production: Inventory, source: Path) -> None:
    from otcctl_lab.datafiles import write_day
    from otcctl_lab.inventory_gen import write_lab_inventory

    for directory in (layout.run_dir, layout.log_dir, layout.state_dir):
        directory.mkdir(parents=True, exist_ok=True)
    layout.spec_file.write_text(spec.to_json(), encoding="utf-8")
    sshd.generate_key(keygen, layout.client_key, f"otclab client key ({layout.root})")
    passphrase = secrets.token_urlsafe(18)
    fd = os.open(layout.passphrase_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        stream.write(passphrase + "\n")
    sshd.generate_passphrase_key(layout.passphrase_key, passphrase, f"otclab passphrase key ({layout.root})")
    layout.authorized_keys.write_text(
        "".join(sshd.public_key_line(k) + " otclab\n" for k in (layout.client_key, layout.passphrase_key)),
        encoding="ascii",
    )
    for host in spec.hosts:
        layout.host_root(host.id).mkdir(parents=True, exist_ok=True)
        write_state(layout.power_state(host.id), POWER_ON)
        for service in host.services:
            write_state(layout.service_state(host.id, service.name), RUNNING)
    for host in spec.ssh_hosts():
        sshd.generate_key(keygen, layout.host_key(host.id), f"otclab host key {host.id}")
        sshd.write_sshd_config(layout, spec, host)
    layout.known_hosts.write_text(
        "".join(sshd.known_hosts_line(h, layout) + "\n" for h in spec.ssh_hosts()), encoding="ascii"
    )
    inventory = write_lab_inventory(production, spec, layout, source)
    _install_databases(layout, spec, inventory)
    winrm_hosts.write_files(layout, spec, inventory)
    write_day(
        {key: (f.path, f.types) for key, f in inventory.data_files.items() if f.format == "ofd"}, spec.date
    )


def _install_databases(layout: LabLayout, spec: LabSpec, inventory: Inventory) -> None:
    """A SQLite database shaped like OTCDB and a ``sqlplus`` stand-in on each database host."""
    from otcctl_lab.oracle_standin import create_lab_database, install_sqlplus_standin

    day = datetime.strptime(spec.date, "%Y%m%d").date()
    from otcctl_lab.sudo_standin import install_sudo_standin

    for database in inventory.databases.values():
        roles = ((database.primary_host, ("M5", "M3")), (database.standby_host, ("M6", "M4")))
        for host_id, clients in roles:
            if host_id is None or host_id not in {h.id for h in spec.ssh_hosts()}:
                continue
            root = layout.host_root(host_id)
            db_path = create_lab_database(root / "otcdb.sqlite", day, host_name=host_id.lower(), client_hosts=clients)
            install_sqlplus_standin(root / "bin", db_path, service_state_dir=layout.state_dir,
                                    faults_file=layout.faults_file(host_id))
            if database.route == "sqlplus-ssh" and database.os_user and database.os_user != spec.user:
                install_sudo_standin(root, layout.faults_file(host_id), login_user=spec.user,
                                     target=database.os_user, oracle_bin=root / "bin")


def _start(layout: LabLayout, spec: LabSpec) -> None:
    done = subprocess.run(
        [spec.python, "-m", "otcctl_lab.listeners", "--dir", str(layout.root)],
        capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        raise LabError((done.stderr or done.stdout).strip() or f"listener daemon exited {done.returncode}")
    for host in spec.ssh_hosts():
        sshd.start_sshd(layout, spec, host)
    from otcctl.model.inventory import load_inventory

    winrm_hosts.start(layout, spec, load_inventory(layout.inventory).inventory)
    winrm_hosts.start_mail(layout, spec)
