"""The emulated middleware host behind the WinRM peer: its services, their ports and its power.

State lives in small files under the state directory, one word each, in the lab's own format
(``<service>`` holds ``running``/``stopped``, ``.power`` holds ``on``/``off``). So a reboot, the
lab's ctl and ``lab status`` read and change one truth, and the peer follows changes made by
others on its next tick. Transitions (START_PENDING, STOP_PENDING) live only in memory: they
last a fraction of a second, like a well-behaved service's, and a crash simply drops them.

A running service's port listens on the host's loopback address, a stopped one's refuses,
exactly what an operator's port check sees on the real host.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from otcctl_lab.winrm_peer.faults import Faults

RUNNING, STOPPED = "running", "stopped"
POWER_FILE = ".power"
POWER_ON, POWER_OFF = "on", "off"
REBOOT_GRACE_SECONDS = 0.5

ServiceState = Literal["running", "stopped", "start_pending", "stop_pending"]
_log = logging.getLogger("otcctl_lab.winrm_peer")


@dataclass(frozen=True)
class ServiceSpec:
    """A Windows service of the emulated host, as the lab describes it at start."""

    name: str
    port: int | None = None
    autostart: bool = True
    start_order: int | None = None
    display_name: str | None = None
    windows_service: str | None = None

    @property
    def sc_name(self) -> str:
        """The name ``sc`` and ``Get-Service`` know it by."""
        return self.windows_service or self.name

    @property
    def title(self) -> str:
        """The display name (Chinese on the real hosts), shown by ``net``, ``sc qc``, ``Get-Service``."""
        return self.display_name or self.sc_name

    @property
    def pid(self) -> int:
        """A stable fake process id, so ``sc queryex`` output looks like the real thing."""
        return 1000 + zlib.crc32(self.sc_name.encode()) % 8000


def load_services(path: Path) -> tuple[ServiceSpec, ...]:
    """Read ``[{"name": ..., "port": ..., "autostart": ..., ...}, ...]``; ValueError names the bad entry."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a JSON list of services")
    fields = set(ServiceSpec.__dataclass_fields__)
    services = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict) or "name" not in entry or set(entry) - fields:
            raise ValueError(f"{path}: service #{index + 1} needs 'name' and only {sorted(fields)}")
        services.append(ServiceSpec(**entry))
    return tuple(services)


def read_word(path: Path, default: str) -> str:
    """A state file's word, or ``default`` when it is missing or empty."""
    try:
        return path.read_text(encoding="ascii").strip() or default
    except (FileNotFoundError, UnicodeDecodeError):
        return default


def write_word(path: Path, word: str) -> None:
    """Replace a state file atomically, so a concurrent reader never sees half a word."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    temporary.write_text(word + "\n", encoding="ascii")
    os.replace(temporary, path)


class EmulatedHost:
    """Services, ports and power of one emulated Windows host; every method is thread-safe."""

    def __init__(
        self,
        address: str,
        state_dir: Path,
        services: tuple[ServiceSpec, ...],
        *,
        pending_seconds: float = 0.5,
        down_seconds: float = 3.0,
        service_ports: bool = True,
        on_power: Callable[[bool], None] | None = None,
        faults: Faults | None = None,
    ) -> None:
        from otcctl_lab.winrm_peer.faults import Faults

        self.faults = faults or Faults(None)
        self._dies: dict[str, float] = {}
        self.address = address
        self.state_dir = state_dir
        self.services = tuple(sorted(services, key=lambda s: (s.start_order or 0, s.name)))
        self.pending_seconds = pending_seconds
        self.down_seconds = down_seconds
        self._service_ports = service_ports
        self._on_power = on_power
        self._lock = threading.RLock()
        self._pending: dict[str, tuple[str, float]] = {}
        self._sockets: dict[str, socket.socket] = {}
        self._powered: bool | None = None
        self._complained: set[str] = set()
        self._stop = threading.Event()
        state_dir.mkdir(parents=True, exist_ok=True)
        for service in self.services:
            if not self._file(service).exists():
                write_word(self._file(service), RUNNING)

    def _file(self, service: ServiceSpec) -> Path:
        return self.state_dir / service.name

    def find(self, name: str) -> ServiceSpec | None:
        """The service ``name`` names (case-insensitive, like the Service Control Manager)."""
        wanted = name.strip().lower()
        return next((s for s in self.services if wanted in (s.sc_name.lower(), s.name.lower())), None)

    def powered_on(self) -> bool:
        """Whether the host is up (the power file says ``on``)."""
        return read_word(self.state_dir / POWER_FILE, POWER_ON) != POWER_OFF

    def state(self, service: ServiceSpec) -> ServiceState:
        """What the Service Control Manager reports now."""
        with self._lock:
            pending = self._pending.get(service.name)
            if pending is not None:
                return "start_pending" if pending[0] == RUNNING else "stop_pending"
            return "running" if read_word(self._file(service), RUNNING) == RUNNING else "stopped"

    def request(self, service: ServiceSpec, running: bool) -> bool:
        """Begin a start or stop; False when the service is not in a state that allows it.

        Like the SCM: starting needs STOPPED, stopping needs RUNNING; the transition then
        completes by itself after ``pending_seconds`` whether or not anyone waits for it.
        """
        with self._lock:
            if self.state(service) != ("stopped" if running else "running"):
                return False
            target = RUNNING if running else STOPPED
            seconds = self.pending_seconds
            if not running and self.faults.get("stuck-stop-pending", service.sc_name) is not None:
                seconds = float("inf")
            elif not running:
                seconds = self.faults.seconds("slow-stop", service.sc_name) or seconds
            self._pending[service.name] = (target, time.monotonic() + seconds)
            _log.info("%s: %s -> %s pending", self.address, service.sc_name, target)
            return True

    def wait_settled(self, service: ServiceSpec, stop: threading.Event) -> None:
        """Block until the service's transition completed (or ``stop`` is set)."""
        while not stop.is_set():
            with self._lock:
                pending = self._pending.get(service.name)
            if pending is None:
                return
            stop.wait(max(0.0, min(0.05, pending[1] - time.monotonic())))
            self.tick()

    def tick(self) -> list[str]:
        """Complete due transitions, follow the state files, open/close ports, report power changes.

        Returns the ports that should listen but cannot (each is logged once, not every tick).
        """
        with self._lock:
            powered = self.powered_on()
            now = time.monotonic()
            for service in self.services:
                pending = self._pending.get(service.name)
                stuck = pending is not None and pending[1] == float("inf")
                if stuck and self.faults.get("stuck-stop-pending", service.sc_name) is None:
                    pending = (pending[0], now) if pending else None  # the fault was cleared: it completes
                if pending is not None and (pending[1] <= now or not powered):
                    del self._pending[service.name]
                    if powered:
                        write_word(self._file(service), pending[0])
                        _log.info("%s: %s is %s", self.address, service.sc_name, pending[0])
                        lives = self.faults.seconds("dies-after-start", service.sc_name)
                        if pending[0] == RUNNING and lives is not None:
                            self._dies[service.name] = now + lives
                dies = self._dies.get(service.name)
                if dies is not None and (dies <= now or not powered):
                    del self._dies[service.name]
                    if powered and service.name not in self._pending:
                        write_word(self._file(service), STOPPED)
                        _log.info("%s: %s died right after it started", self.address, service.sc_name)
            changed = powered != self._powered
            self._powered = powered
            problems = self._reconcile_ports(powered)
        if changed and self._on_power is not None:
            self._on_power(powered)
        return problems

    def _reconcile_ports(self, powered: bool) -> list[str]:
        problems = []
        for service in self.services:
            if service.port is None or not self._service_ports:
                continue
            want = powered and self.state(service) in ("running", "stop_pending")
            sock = self._sockets.get(service.name)
            if want and sock is None:
                try:
                    self._sockets[service.name] = self._listen(service.port)
                    self._complained.discard(service.name)
                except OSError as exc:
                    problems.append(f"{self.address}:{service.port} ({service.sc_name}) cannot listen: {exc.strerror}")
                    if service.name not in self._complained:
                        _log.warning("%s", problems[-1])
                        self._complained.add(service.name)
            elif not want and sock is not None:
                sock.close()
                del self._sockets[service.name]
            elif sock is not None:
                _drain(sock)
        return problems

    def _listen(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.address, port))
            sock.listen(16)
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        return sock

    def reboot(self, delay: float = 0.0) -> None:
        """Go down after ``delay`` (plus a grace moment for the reply), stay down, come back.

        Comes back as after a real boot: autostart services running, the others stopped.
        """
        threading.Thread(target=self._reboot, args=(delay,), name=f"reboot-{self.address}", daemon=True).start()

    def _reboot(self, delay: float) -> None:
        if self._stop.wait(REBOOT_GRACE_SECONDS + delay):
            return
        down = self.faults.seconds("reboot-slow") or self.down_seconds
        _log.info("%s: powering off for %.1f s", self.address, down)
        write_word(self.state_dir / POWER_FILE, POWER_OFF)
        self.tick()
        if self._stop.wait(down):
            return
        for service in self.services:
            write_word(self._file(service), RUNNING if service.autostart else STOPPED)
        write_word(self.state_dir / POWER_FILE, POWER_ON)
        _log.info("%s: powered on", self.address)
        self.tick()

    def close(self) -> None:
        """Stop a reboot in progress and close every service port (the peer is shutting down)."""
        self._stop.set()
        with self._lock:
            for sock in self._sockets.values():
                sock.close()
            self._sockets.clear()


def _drain(sock: socket.socket) -> None:
    """Accept and drop waiting connections, so a port check never fills the backlog."""
    while True:
        try:
            conn, _ = sock.accept()
        except (BlockingIOError, OSError):
            return
        conn.close()
