"""Planned steps: one frozen value per step kind, every command rendered and every duration resolved.

``PlannedStep`` is a union discriminated by ``kind``; executors dispatch on the type, the dry
run and the checklist read the same values. A duration an executor honours is a field here,
in seconds, so what the dry run shows is exactly what is enforced: kinds whose work ends
when a person answers (manual, pause) or whose sending is bounded per channel (notify) have
no step timeout at all, and the schema refuses one on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from otcctl.model import schema as s

Risk = Literal["read", "change", "disruptive"]
RISK_ORDER: dict[Risk, int] = {"read": 0, "change": 1, "disruptive": 2}


@dataclass(frozen=True)
class PlannedService:
    """A service on a host with the exact commands that query and change it."""

    name: str
    title: str
    port: int | None
    status_command: str
    control_command: str | None


@dataclass(frozen=True)
class PlannedTarget:
    """What a step does on one host."""

    host_id: str
    address: str
    transport: str
    port: int
    command: str | None = None
    ports: tuple[tuple[int, str], ...] = ()
    path: str | None = None
    services: tuple[PlannedService, ...] = ()


@dataclass(frozen=True, kw_only=True)
class _Planned:
    """What every planned step has: where it sits, the manual's words, failure handling, risk."""

    index: int
    no: str
    step: s.StepBase
    targets: tuple[PlannedTarget, ...] = ()
    condition: str
    is_rollback: bool = False
    text: dict[str, str] = field(default_factory=dict)
    where: str | None = None
    risk: Risk = "read"
    retry_attempts: int = 1
    retry_delay: float = 0.0
    confirm: bool = False

    @property
    def id(self) -> str:
        """The step's id."""
        return self.step.id

    @property
    def on_failure(self) -> s.OnFailure:
        """What happens when the step fails."""
        return self.step.on_failure

    @property
    def host_column(self) -> str:
        """主机 column: the hosts it acts on, or where a person acts."""
        if self.targets:
            return ", ".join(t.host_id for t in self.targets)
        return self.where or "-"

    @property
    def rollback(self) -> tuple[str, ...]:
        """Ids of the rollback steps offered when this step fails."""
        policy = self.step.on_failure
        return tuple(policy.rollback) if isinstance(policy, s.Rollback) else ()


@dataclass(frozen=True, kw_only=True)
class PlannedShell(_Planned):
    """A command per Linux host over SSH; ``timeout`` bounds each host's command."""

    kind: Literal["shell"] = "shell"
    step: s.ShellStep
    timeout: float
    order: Literal["parallel", "kvm"]


@dataclass(frozen=True, kw_only=True)
class PlannedWinrm(_Planned):
    """A cmd.exe or PowerShell command per Windows host; ``timeout`` bounds each host's command."""

    kind: Literal["winrm"] = "winrm"
    step: s.WinrmStep
    timeout: float
    order: Literal["parallel", "kvm"]
    shell: Literal["cmd", "powershell"]


@dataclass(frozen=True, kw_only=True)
class PlannedLocal(_Planned):
    """A command on the operator's machine, with a declared environment; killed at ``timeout``."""

    kind: Literal["local"] = "local"
    step: s.LocalStep
    timeout: float
    environment: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PlannedSql(_Planned):
    """One query with bind variables; ``timeout`` bounds the query, cancel stops it."""

    kind: Literal["sql"] = "sql"
    step: s.SqlStep
    timeout: float
    database: str
    sql: str
    binds: dict[str, str]
    database_route: str
    route_detail: str
    max_rows: int


@dataclass(frozen=True, kw_only=True)
class PlannedPort(_Planned):
    """TCP connects; ``timeout`` bounds all of a host's ports together."""

    kind: Literal["port"] = "port"
    step: s.PortStep
    timeout: float
    order: Literal["parallel", "kvm"]
    state: Literal["open", "closed"]
    connect_timeout: float


@dataclass(frozen=True, kw_only=True)
class PlannedFile(_Planned):
    """A file check per host; ``timeout`` bounds the whole check (stat, stability wait, read)."""

    kind: Literal["file"] = "file"
    step: s.FileStep
    timeout: float
    exists: bool
    max_age: float | None
    min_size: int | None
    stable_for: float
    ofd: bool


@dataclass(frozen=True, kw_only=True)
class PlannedServiceStep(_Planned):
    """Status, stop or start; ``timeout`` bounds each host's commands and waits together."""

    kind: Literal["service"] = "service"
    step: s.ServiceStep
    timeout: float
    order: Literal["parallel", "kvm"]
    operation: Literal["status", "stop", "start"]
    want: Literal["running", "stopped"]
    settle: float


@dataclass(frozen=True, kw_only=True)
class PlannedReboot(_Planned):
    """Reboot and wait; ``timeout`` bounds each host from the command to its services listening."""

    kind: Literal["reboot"] = "reboot"
    step: s.RebootStep
    timeout: float
    order: Literal["parallel", "kvm"]
    down_timeout: float
    up_timeout: float
    check_services: bool


@dataclass(frozen=True, kw_only=True)
class PlannedManual(_Planned):
    """Done by a person; no timeout: it ends when the operator answers."""

    kind: Literal["manual"] = "manual"
    step: s.ManualStep


@dataclass(frozen=True, kw_only=True)
class PlannedPause(_Planned):
    """The operator judges before going on; no timeout."""

    kind: Literal["pause"] = "pause"
    step: s.PauseStep


@dataclass(frozen=True, kw_only=True)
class PlannedNotify(_Planned):
    """E-mail and/or chat robot; each channel's network exchange is bounded by ``channel_timeout``."""

    kind: Literal["notify"] = "notify"
    step: s.NotifyStep
    departments: tuple[str, ...]
    channels: tuple[Literal["email", "webhook"], ...]
    recipients: tuple[str, ...]
    channel_timeout: float


@dataclass(frozen=True, kw_only=True)
class PlannedTimeGate(_Planned):
    """Not before ``gate`` (Asia/Shanghai); a gate further away than ``timeout`` is refused."""

    kind: Literal["time_gate"] = "time_gate"
    step: s.TimeGateStep
    timeout: float
    gate: str
    mode: Literal["wait", "refuse"]


PlannedStep = (
    PlannedShell
    | PlannedWinrm
    | PlannedLocal
    | PlannedSql
    | PlannedPort
    | PlannedFile
    | PlannedServiceStep
    | PlannedReboot
    | PlannedManual
    | PlannedPause
    | PlannedNotify
    | PlannedTimeGate
)
PERSON_KINDS = ("manual", "pause")
SINGLE_RESULT_KINDS = ("local", "sql", "time_gate", "notify")


def enforced_timeout(p: PlannedStep) -> float | None:
    """The step timeout an executor enforces, or None for kinds that have none."""
    if isinstance(p, PlannedManual | PlannedPause | PlannedNotify):
        return None
    return p.timeout
