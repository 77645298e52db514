"""Services and power of lab hosts: what ``systemctl`` and ``shutdown -r`` do on a real host.

A service's wanted state lives in a state file that the listener daemon follows; its actual
state is what a client sees (the port accepts or refuses). A reboot is a detached worker that
powers the host off (sshd and all its sessions killed, listeners closed), waits, and powers it
on again with the same host key, services coming back as their ``autostart`` says.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from otcctl_lab import proc, sshd
from otcctl_lab.errors import LabError
from otcctl_lab.layout import (
    POWER_OFF,
    POWER_ON,
    RUNNING,
    STOPPED,
    LabHost,
    LabLayout,
    LabService,
    LabSpec,
    read_state,
    write_state,
)

SETTLE_SECONDS = 5.0
_log = logging.getLogger("otcctl_lab.power")


class UnknownUnit(LabError):
    """The host or service is not part of this lab (systemctl's "unit not found")."""


def listeners_pid(layout: LabLayout) -> int | None:
    """The stand-in listener daemon's pid, if it runs; it is what makes the lab "up"."""
    return proc.live_pid(layout.listeners_pid)


def powered_on(layout: LabLayout, host_id: str) -> bool:
    """Whether the host is on (off only during a reboot)."""
    return read_state(layout.power_state(host_id), POWER_ON) != POWER_OFF


def find_service(spec: LabSpec, host_id: str, name: str) -> tuple[LabHost, LabService]:
    """The host and service; :class:`UnknownUnit` when either is not in the lab."""
    try:
        host = spec.host(host_id)
    except LabError as exc:
        raise UnknownUnit(str(exc)) from None
    service = host.service(name)
    if service is None:
        known = ", ".join(s.name for s in host.services) or "none"
        raise UnknownUnit(f"no service {name} on lab host {host_id} (services: {known})")
    return host, service


def service_active(layout: LabLayout, spec: LabSpec, host_id: str, name: str) -> bool:
    """What a client would see: the port accepts, or (no port) the stand-in process "runs"."""
    host, service = find_service(spec, host_id, name)
    if service.port is not None:
        return proc.port_open(host.address, service.port)
    return (
        read_state(layout.service_state(host_id, name), RUNNING) == RUNNING
        and powered_on(layout, host_id)
        and listeners_pid(layout) is not None
    )


def set_service(layout: LabLayout, spec: LabSpec, host_id: str, name: str, running: bool) -> None:
    """Start or stop a service and wait until a client sees it; :class:`LabError` if it does not."""
    host, service = find_service(spec, host_id, name)
    if running and not powered_on(layout, host_id):
        raise LabError(f"lab host {host_id} is powered off (rebooting); {name} cannot start")
    write_state(layout.service_state(host_id, name), RUNNING if running else STOPPED)
    if service.port is None:
        return
    port = service.port

    def settled() -> bool:
        return proc.port_open(host.address, port, timeout=0.2) == running

    if not proc.wait_until(settled, SETTLE_SECONDS):
        hint = "" if listeners_pid(layout) else " (the listener daemon is not running: is the lab up?)"
        verb = "start" if running else "stop"
        raise LabError(f"{name} on {host_id} did not {verb} within {SETTLE_SECONDS:.0f} s{hint}")


def reboot_host(
    layout: LabLayout, spec: LabSpec, host_id: str, down_seconds: float, cancelled: Callable[[], bool]
) -> None:
    """Power the host off, wait ``down_seconds``, power it on; gives up quietly when cancelled.

    ``cancelled`` is true once ``lab down`` asks this worker to stop: the host then stays off
    and ``lab down`` finds nothing restarted behind its back.
    """
    host = spec.host(host_id)

    def stopped() -> bool:
        return cancelled() or layout.stopping_marker.exists()

    _sleep(0.5, stopped)
    _log.info("%s: powering off", host_id)
    write_state(layout.power_state(host_id), POWER_OFF)
    killed = sshd.stop_sshd(layout, host_id)
    _log.info("%s: stopped sshd and sessions %s", host_id, killed)
    proc.wait_until(lambda: not _any_port_open(host), SETTLE_SECONDS)
    _sleep(down_seconds, stopped)
    if stopped():
        _log.info("%s: reboot cancelled while off; host stays down", host_id)
        return
    for service in host.services:
        write_state(layout.service_state(host_id, service.name), RUNNING if service.autostart else STOPPED)
    write_state(layout.power_state(host_id), POWER_ON)
    _log.info("%s: powering on", host_id)
    if host.ssh_port is not None:
        pid = sshd.start_sshd(layout, spec, host)
        _log.info("%s: sshd up, pid %d", host_id, pid)
    wanted = [s for s in host.services if s.port is not None and s.autostart]
    if not proc.wait_until(lambda: all(proc.port_open(host.address, s.port or 0) for s in wanted), SETTLE_SECONDS):
        _log.warning("%s: not every service came back within %.0f s", host_id, SETTLE_SECONDS)
    _log.info("%s: reboot finished", host_id)


def _any_port_open(host: LabHost) -> bool:
    ports = [s.port for s in host.services if s.port is not None]
    if host.ssh_port is not None:
        ports.append(host.ssh_port)
    return any(proc.port_open(host.address, port, timeout=0.2) for port in ports)


def _sleep(seconds: float, stop: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while not stop() and (left := deadline - time.monotonic()) > 0:
        time.sleep(min(0.05, left))
