"""The estate as validated data: hosts M1-M6, their groups, services, KVM order and credentials.

The inventory names where each credential comes from (environment, keyring, SSH agent, key
file) and never holds one. Hosts the manual names but otcctl cannot reach are kept apart as
``manual_only`` so a runbook can mention them in a printout but never target them.
"""


import hashlib
import ipaddress
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from otcctl.errors import InputError
from otcctl.i18n import N_
from otcctl.model.yamlsource import load_yaml, validation_problems

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SshAgentCredential(_Strict):
    """Authenticate with whatever key the running ssh-agent offers."""

    source: Literal["ssh-agent"]


class KeyFileCredential(_Strict):
    """Authenticate with a private key file; its passphrase, if any, comes from the environment."""

    source: Literal["key-file"]
    path: str
    passphrase_env: str | None = None


class EnvCredential(_Strict):
    """A password read from an environment variable at run time (never stored)."""

    source: Literal["env"]
    variable: Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")]


class KeyringCredential(_Strict):
    """A password read from the OS keyring (service, username) at run time."""

    source: Literal["keyring"]
    service: str
    username: str


class OsAuthCredential(_Strict):
    """No secret at all: the operating system vouches for the user (sqlplus '/ as sysdba')."""

    source: Literal["os-auth"]


Credential = Annotated[
    SshAgentCredential | KeyFileCredential | EnvCredential | KeyringCredential | OsAuthCredential,
    Field(discriminator="source"),
]


class Service(_Strict):
    """A program on a host, with the port it listens on when it has one."""

    name: Identifier
    title: str = Field(description="Chinese name as the manual writes it")
    port: int | None = Field(default=None, ge=1, le=65535)
    process: str | None = Field(default=None, description="process name, for a status check")
    windows_service: str | None = Field(default=None, description="service name for sc/Get-Service")
    unit: str | None = Field(default=None, description="systemd unit or init script name on Linux")
    middleware: bool = Field(default=False, description="stopped/started with 'all middleware services'")
    start_order: int | None = None
    autostart: bool = Field(default=True, description="comes back by itself after a reboot")
    status_command: str | None = Field(default=None, description="Linux: overrides 'systemctl is-active UNIT'")
    start_command: str | None = Field(default=None, description="Linux: overrides 'sudo systemctl start UNIT'")
    stop_command: str | None = Field(default=None, description="Linux: overrides 'sudo systemctl stop UNIT'")


class WinrmSettings(_Strict):
    """How to reach a Windows host over WinRM. HTTPS with certificate validation by default."""

    scheme: Literal["https", "http"] = "https"
    auth: Literal["ntlm", "kerberos"] = "ntlm"
    cert_validation: bool = True
    ca_bundle: str | None = None
    server_name: str | None = Field(
        default=None,
        description="the host name the WinRM certificate is issued to, when otcctl connects by IP address "
        "(the certificate is checked against this name; the connection still goes to the address)",
    )
    path: str = "/wsman"


class Host(_Strict):
    """One server of the estate."""

    role: str
    address: str
    os: Literal["linux", "windows"]
    transport: Literal["ssh", "winrm"]
    port: int = Field(ge=1, le=65535)
    kvm_order: int = Field(ge=1, description="position on the KVM console: restarts go in this order")
    kvm_label: str | None = None
    groups: tuple[Identifier, ...] = ()
    user: str
    credential: Credential
    services: tuple[Service, ...] = ()
    winrm: WinrmSettings | None = None
    encoding: str = Field(default="utf-8", description="how the host's command output is encoded")
    reboot_command: str | None = Field(
        default=None, description="overrides the OS default ('sudo /sbin/shutdown -r now' / 'shutdown /r /t 0')"
    )

    @field_validator("address")
    @classmethod
    def _address_is_ip_or_name(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not value or " " in value:
                raise ValueError(N_("must be an IP address or a host name")) from None
        return value

    @model_validator(mode="after")
    def _transport_fits_os(self) -> Self:
        if self.transport == "winrm" and self.os != "windows":
            raise ValueError(N_("transport winrm needs os: windows"))
        if self.transport == "ssh" and self.credential.source == "os-auth":
            raise ValueError(N_("os-auth is for database access, not for logging in over SSH"))
        return self

    def service(self, name: str) -> Service | None:
        """The named service on this host, if it runs here."""
        return next((s for s in self.services if s.name == name), None)


class ManualOnlyHost(_Strict):
    """A machine the manual names that otcctl never connects to (operators act on it by hand)."""

    role: str
    reason: str
    address: str | None = None
    note: str | None = None


class Database(_Strict):
    """An Oracle database and the route otcctl takes to query it."""

    title: str
    service_name: str
    port: int = 1521
    primary_host: Identifier
    standby_host: Identifier | None = None
    route: Literal["sqlplus-ssh", "thin", "thick"] = Field(
        default="sqlplus-ssh",
        description="sqlplus-ssh: sqlplus on the DB host with OS authentication (works on 10g); "
        "thin: python-oracledb thin mode (Oracle 12.1+); thick: oracledb with a site Instant Client",
    )
    os_user: str | None = Field(default=None, description="OS account that owns sqlplus (sqlplus-ssh route)")
    oracle_home: str | None = None
    oracle_sid: str | None = None
    sudo: str | None = Field(
        default=None,
        description="how sqlplus becomes os_user, {user} standing for it (default 'sudo -n -u {user} -i'; "
        "sudo older than 1.7 has no -n: 'sudo -u {user} -i' with a NOPASSWD rule)",
        pattern=r"^sudo( [-A-Za-z{}]+)*$",
    )
    db_user: str | None = None
    credential: Credential | None = None
    instant_client_dir: str | None = None
    version: str | None = None
    schemas: tuple[str, ...] = ()


class DataFile(_Strict):
    """A daily data file from FDEP / 中证资本, with its path template ({{date}} = YYYYMMDD)."""

    title: str
    host: Identifier
    path: str
    format: Literal["ofd", "text"] = "ofd"
    types: tuple[str, ...] = ()


class Department(_Strict):
    """A department told before and after maintenance."""

    name: str
    email: tuple[str, ...] = ()
    phone_note: str | None = Field(default=None, description="where the duty phone list is kept (no numbers here)")


class Notification(_Strict):
    """How notifications leave: SMTP and/or a chat robot webhook."""

    smtp_host: str | None = None
    smtp_port: int = 587
    starttls: bool = True
    sender: str | None = None
    smtp_user: str | None = None
    smtp_credential: Credential | None = None
    webhook_url_env: str | None = Field(default=None, description="environment variable holding the webhook URL")
    webhook_kind: Literal["wecom", "dingtalk", "feishu"] | None = None


class Inventory(_Strict):
    """The whole estate."""

    version: Literal[1] = 1
    name: str
    environment: Literal["production", "lab", "test"] = "production"
    timezone: str = "Asia/Shanghai"
    known_hosts: str = Field(description="known_hosts file host keys are checked against")
    hosts: dict[Identifier, Host]
    manual_only: dict[str, ManualOnlyHost] = {}
    databases: dict[Identifier, Database] = {}
    data_files: dict[Identifier, DataFile] = {}
    departments: dict[Identifier, Department] = {}
    notification: Notification = Notification()

    @model_validator(mode="after")
    def _references_resolve(self) -> Self:
        orders = [h.kvm_order for h in self.hosts.values()]
        if len(orders) != len(set(orders)):
            raise ValueError(N_("two hosts share a kvm_order; each host needs its own place on the KVM"))
        for name, db in self.databases.items():
            for ref in (db.primary_host, db.standby_host):
                if ref is not None and ref not in self.hosts:
                    raise ValueError(f"database {name} names unknown host {ref}")
        for name, data_file in self.data_files.items():
            if data_file.host not in self.hosts:
                raise ValueError(f"data file {name} names unknown host {data_file.host}")
        clash = set(self.groups()) & set(self.hosts)
        if clash:
            raise ValueError(f"a group has the same name as a host: {', '.join(sorted(clash))}")
        return self

    def groups(self) -> dict[str, list[str]]:
        """Group name -> host ids in KVM order."""
        out: dict[str, list[str]] = {}
        for host_id in self.kvm_ordered(self.hosts):
            for group in self.hosts[host_id].groups:
                out.setdefault(group, []).append(host_id)
        return out

    def kvm_ordered(self, host_ids: Iterable[str]) -> list[str]:
        """Host ids sorted by their place on the KVM console."""
        return sorted(host_ids, key=lambda h: self.hosts[h].kvm_order)

    def resolve_targets(self, names: list[str] | tuple[str, ...]) -> list[str]:
        """Host ids and group names -> distinct host ids in KVM order; raises KeyError on an unknown name."""
        groups = self.groups()
        found: set[str] = set()
        for name in names:
            if name in self.hosts:
                found.add(name)
            elif name in groups:
                found.update(groups[name])
            elif name == "all":
                found.update(self.hosts)
            else:
                raise KeyError(name)
        return self.kvm_ordered(found)


class LoadedInventory(BaseModel):
    """An inventory with the file it came from and its content hash.

    The YAML node tree (the line map) is not kept: errors are located while the file is validated,
    and a run's whole life is too long to hold a tree of thousands of nodes nobody reads again.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    inventory: Inventory
    path: Path
    sha256: str


def load_inventory(path: Path) -> LoadedInventory:
    """Read and validate an inventory file; every problem is an :class:`InputError` with file and line."""
    text_bytes = _read_bytes(path)
    loaded = load_yaml(path, text=text_bytes.decode("utf-8", errors="replace"))
    if not isinstance(loaded.data, dict):
        raise InputError.at(path, N_("an inventory is a mapping with name, known_hosts and hosts"), line=1)
    try:
        inventory = Inventory.model_validate(loaded.data)
    except ValidationError as exc:
        raise InputError(validation_problems(loaded.source, exc)) from None
    return LoadedInventory(inventory=inventory, path=path, sha256=hashlib.sha256(text_bytes).hexdigest())


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError.at(path, N_("inventory file not found (give --inventory FILE)")) from None
    except OSError as exc:
        raise InputError.at(path, f"cannot be read: {exc.strerror}") from None
