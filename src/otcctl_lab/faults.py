"""``otcctl lab fault HOST FAULT``: make a lab host misbehave the way real ones do.

A fault is written to the host's ``faults.json`` (``DIR/state/HOST/``); whoever plays the host
reads it as it changes: the WinRM peer (Windows hosts), the lab's reboot (Linux hosts), the
``sqlplus`` stand-in (database hosts). ``clear`` removes one fault or all of them. The faults
and what they do are listed in :data:`FAULTS`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Literal

from otcctl_lab.errors import LabError
from otcctl_lab.layout import LabLayout, LabSpec

Meets = Literal["reboot", "service-stop", "service-start", "sql", "sudo-sql"]


@dataclass(frozen=True)
class FaultKind:
    """One fault: on which hosts it exists, whether it names a service, its default duration."""

    name: str
    hosts: str  # "windows", "linux", "any", "database"
    service: bool
    seconds: float | None
    what: str
    meets: Meets
    """The planned steps it can meet (``fault_matrix`` derives each runbook's cases from this)."""


FAULTS = {f.name: f for f in (
    FaultKind("reboot-slow", "any", False, 150.0, "the next reboots keep the host down SECONDS (default 150)",
              "reboot"),
    FaultKind("reboot-held", "windows", False, None,
              "a program holds 'shutdown /r /t 0' (no /f): it succeeds and the host stays up", "reboot"),
    FaultKind("winrm-503-while-starting", "windows", False, 20.0,
              "after a reboot WinRM answers HTTP 503 for SECONDS while it starts", "reboot"),
    FaultKind("slow-stop", "windows", True, 40.0, "SERVICE stays STOP_PENDING for SECONDS when stopped",
              "service-stop"),
    FaultKind("stuck-stop-pending", "windows", True, None, "SERVICE never leaves STOP_PENDING when stopped",
              "service-stop"),
    FaultKind("dependents-running", "windows", True, None,
              "stopping SERVICE fails with error 1051 (other running services depend on it)", "service-stop"),
    FaultKind("lingers-after-stop", "linux", True, None,
              "stopping SERVICE says it did (exit 0) but its process keeps running and its port open, as an init "
              "script whose process does not exit (Tomcat's shutdown.sh and a JVM with a live thread)",
              "service-stop"),
    FaultKind("dies-after-start", "windows", True, 2.0, "SERVICE starts, runs SECONDS (default 2), then stops",
              "service-start"),
    FaultKind("standby-mounted", "database", False, None,
              "the host's OTCDB is a MOUNTED physical standby: fixed views answer, application tables give "
              "ORA-01219", "sql"),
    FaultKind("sudo-requiretty", "database", False, None,
              "the host's sudoers says 'Defaults requiretty' (Red Hat 5/6's default): sudo refuses without a tty",
              "sudo-sql"),
    FaultKind("sudo-1.6", "database", False, None, "the host's sudo is older than 1.7 and has no -n option",
              "sudo-sql"),
)}


def inject(layout: LabLayout, spec: LabSpec, host_id: str, fault: str, *, service: str | None = None,
           seconds: float | None = None) -> dict[str, Any]:
    """Set ``fault`` on ``host_id`` (replacing the same fault's earlier parameters); returns them."""
    host = spec.host(host_id)
    kind = FAULTS.get(fault)
    if kind is None:
        raise LabError(f"no fault {fault!r}; the faults are: {', '.join(FAULTS)} (and 'clear')")
    windows = host.ssh_port is None
    database = (layout.host_root(host_id) / "otcdb.sqlite").exists()
    fits = {"any": True, "windows": windows, "linux": not windows, "database": database}[kind.hosts]
    if not fits:
        where = "a database host (M1, M2)" if kind.hosts == "database" else f"a {kind.hosts} host"
        raise LabError(f"{fault} applies to {where}, not to {host_id}")
    params: dict[str, Any] = {}
    if kind.service:
        if service is None:
            raise LabError(f"{fault} needs --service NAME (or --service '*' for every service of {host_id})")
        if service != "*" and host.service(service) is None:
            known = ", ".join(s.name for s in host.services) or "none"
            raise LabError(f"no service {service} on {host_id} (services: {known})")
        params["service"] = service
    elif service is not None:
        raise LabError(f"{fault} does not take a service")
    if seconds is not None:
        if kind.seconds is None:
            raise LabError(f"{fault} does not take --seconds")
        if seconds <= 0:
            raise LabError("--seconds must be more than 0")
        params["seconds"] = seconds
    elif kind.seconds is not None:
        params["seconds"] = kind.seconds
    faults = current(layout, host_id)
    faults[fault] = params
    _write(layout, host_id, faults)
    return params


def clear(layout: LabLayout, spec: LabSpec, host_id: str, fault: str | None = None) -> list[str]:
    """Remove ``fault`` (or every fault) from ``host_id``; returns the names removed."""
    spec.host(host_id)
    faults = current(layout, host_id)
    removed = [name for name in faults if fault is None or name == fault]
    for name in removed:
        del faults[name]
    _write(layout, host_id, faults)
    return removed


def current(layout: LabLayout, host_id: str) -> dict[str, dict[str, Any]]:
    """The host's faults now (name -> parameters)."""
    try:
        raw = json.loads(layout.faults_file(host_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in raw.items() if isinstance(v, dict)} if isinstance(raw, dict) else {}


def lingers(layout: LabLayout, host_id: str, service: str) -> bool:
    """Whether stopping ``service`` on ``host_id`` leaves its process running (``lingers-after-stop``)."""
    fault = current(layout, host_id).get("lingers-after-stop")
    return fault is not None and fault.get("service") in (service, "*")


def reboot_down_seconds(layout: LabLayout, host_id: str, default: float) -> float:
    """How long a Linux lab host stays down on its next reboot."""
    slow = current(layout, host_id).get("reboot-slow")
    return float(slow.get("seconds", default)) if slow is not None else default


def _write(layout: LabLayout, host_id: str, faults: dict[str, dict[str, Any]]) -> None:
    path = layout.faults_file(host_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(faults, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, path)
