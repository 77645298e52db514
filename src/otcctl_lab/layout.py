"""Where everything of one lab lives, and the lab's own description (``lab.json``).

Every lab process (``lab up``, the listener daemon, ``python -m otcctl_lab.ctl`` run over SSH,
a reboot in progress) finds its files through :class:`LabLayout` and its hosts through
:class:`LabSpec`, read from plain JSON so that these commands start fast: they run inside
runbook steps and must not pay for pydantic or YAML.
"""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from otcctl_lab.errors import LabError

SPEC_FILE = "lab.json"
RUNNING, STOPPED = "running", "stopped"
POWER_ON, POWER_OFF = "on", "off"
HTTP_SERVICES = frozenset({"Tomcat"})


@dataclass(frozen=True)
class LabService:
    """A service of a lab host; ``port`` None means a process with nothing to connect to."""

    name: str
    port: int | None
    autostart: bool = True


@dataclass(frozen=True)
class LabHost:
    """A host of the lab: its loopback address, and its sshd port when it is reached over SSH."""

    id: str
    address: str
    ssh_port: int | None
    services: tuple[LabService, ...] = ()

    def service(self, name: str) -> LabService | None:
        """The named service, if this host runs it."""
        return next((s for s in self.services if s.name == name), None)


@dataclass(frozen=True)
class LabSpec:
    """What ``lab up`` built; written once to ``lab.json`` and read by every later command."""

    network: str
    ssh_port: int
    user: str
    python: str
    sshd: str
    date: str
    hosts: tuple[LabHost, ...]
    winrm_scheme: str = "https"
    winrm_version: str = "3.0"

    def host(self, host_id: str) -> LabHost:
        """The named host; :class:`LabError` names the hosts there are."""
        for host in self.hosts:
            if host.id == host_id:
                return host
        raise LabError(f"no host {host_id} in this lab (hosts: {', '.join(h.id for h in self.hosts)})")

    def ssh_hosts(self) -> tuple[LabHost, ...]:
        """Hosts that get a real sshd."""
        return tuple(h for h in self.hosts if h.ssh_port is not None)

    def to_json(self) -> str:
        """The spec as JSON text."""
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> LabSpec:
        """Read a spec written by :meth:`to_json`."""
        raw = json.loads(text)
        hosts = tuple(
            LabHost(
                id=h["id"],
                address=h["address"],
                ssh_port=h["ssh_port"],
                services=tuple(LabService(**s) for s in h["services"]),
            )
            for h in raw.pop("hosts")
        )
        return cls(hosts=hosts, **raw)


def loopback_address(network: str, index: int) -> str:
    """``network`` + ``.{10 + index}``, refusing anything that is not a loopback address.

    The lab must never reach a real machine, whatever a caller passes as ``network``.
    """
    try:
        address = ipaddress.IPv4Address(f"{network}.{10 + index}")
    except ValueError:
        raise LabError(f"network {network!r} must be three octets of 127.0.0.0/8, like 127.0.0") from None
    if not address.is_loopback:
        raise LabError(f"network {network!r} is not loopback: the lab only ever uses 127.0.0.0/8")
    return str(address)


@dataclass(frozen=True)
class LabLayout:
    """Paths of one lab directory; ``root`` is absolute so the paths work from any cwd or host."""

    root: Path

    @classmethod
    def at(cls, directory: Path) -> LabLayout:
        """The layout of ``directory``, made absolute."""
        return cls(Path(os.path.abspath(directory)))

    @property
    def spec_file(self) -> Path:
        return self.root / SPEC_FILE

    @property
    def inventory(self) -> Path:
        return self.root / "inventory.yaml"

    @property
    def client_key(self) -> Path:
        return self.root / "id_ed25519"

    @property
    def passphrase_key(self) -> Path:
        return self.root / "id_ed25519_pass"

    @property
    def passphrase_file(self) -> Path:
        return self.root / "id_ed25519_pass.passphrase"

    @property
    def authorized_keys(self) -> Path:
        return self.root / "authorized_keys"

    @property
    def known_hosts(self) -> Path:
        return self.root / "known_hosts"

    @property
    def run_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def stopping_marker(self) -> Path:
        """Present while ``lab down`` runs, so a reboot in progress does not bring a host back."""
        return self.run_dir / "stopping"

    @property
    def listeners_pid(self) -> Path:
        return self.run_dir / "listeners.pid"

    @property
    def listeners_log(self) -> Path:
        return self.log_dir / "listeners.log"

    def owned_entries(self) -> tuple[Path, ...]:
        """Everything ``lab up`` creates; a rebuild removes these and nothing else."""
        keys = (self.client_key, self.passphrase_key, self.passphrase_file)
        return (
            self.spec_file, self.inventory, self.authorized_keys, self.known_hosts,
            *keys, *(k.with_name(k.name + ".pub") for k in keys[:2]),
            self.root / "hosts", self.run_dir, self.log_dir, self.state_dir, self.pki_dir,
        )

    @property
    def pki_dir(self) -> Path:
        """The lab CA (``ca.pem``, the bundle the lab inventory names) and the WinRM hosts' certificates."""
        return self.root / "pki"

    def faults_file(self, host_id: str) -> Path:
        """The faults injected into a host (``otcctl lab fault``), read by its peer or stand-ins as they change."""
        return self.state_dir / host_id / "faults.json"

    def host_root(self, host_id: str) -> Path:
        """The host's own file tree (``OTCLAB_ROOT``): data files, its /etc/ssh."""
        return self.root / "hosts" / host_id

    def sshd_config(self, host_id: str) -> Path:
        return self.host_root(host_id) / "etc" / "ssh" / "sshd_config"

    def host_key(self, host_id: str) -> Path:
        return self.host_root(host_id) / "etc" / "ssh" / "ssh_host_ed25519_key"

    def sshd_pid(self, host_id: str) -> Path:
        return self.run_dir / f"{host_id}.sshd.pid"

    def sshd_log(self, host_id: str) -> Path:
        return self.log_dir / f"{host_id}.sshd.log"

    def reboot_pid(self, host_id: str) -> Path:
        return self.run_dir / f"{host_id}.reboot.pid"

    def reboot_log(self, host_id: str) -> Path:
        return self.log_dir / f"{host_id}.reboot.log"

    def power_state(self, host_id: str) -> Path:
        return self.state_dir / host_id / ".power"

    def service_state(self, host_id: str, service: str) -> Path:
        return self.state_dir / host_id / service

    def load_spec(self) -> LabSpec:
        """The spec ``lab up`` wrote; :class:`LabError` when this is not a lab directory."""
        try:
            return LabSpec.from_json(self.spec_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise LabError(
                f"{self.root} is not a lab (no {SPEC_FILE}); run 'otcctl lab up --dir {self.root}'"
            ) from None
        except (ValueError, KeyError, TypeError) as exc:
            raise LabError(f"{self.spec_file} is damaged ({exc}); run 'otcctl lab down' and 'lab up' again") from None


def read_state(path: Path, default: str) -> str:
    """A state file's word, or ``default`` when it is missing or empty."""
    try:
        return path.read_text(encoding="ascii").strip() or default
    except (FileNotFoundError, UnicodeDecodeError):
        return default


def write_state(path: Path, value: str) -> None:
    """Replace a state file atomically, so the listener daemon never reads half a word."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(value + "\n", encoding="ascii")
    os.replace(temporary, path)
