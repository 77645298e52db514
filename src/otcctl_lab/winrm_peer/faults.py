"""Faults injected into an emulated Windows host, and the rights of its users.

Faults live in a small JSON file (``{"slow-stop": {"service": "FOS", "seconds": 40}, ...}``)
that ``otcctl lab fault`` writes and the peer re-reads whenever it changed, so a fault can be
set or cleared while the host runs. Each one reproduces what real hosts do and the lab's
well-behaved services never did:

- ``reboot-slow``: the host stays down for ``seconds`` (real Windows servers take minutes);
- ``reboot-held``: an interactive program holds ``shutdown /r`` (without ``/f``): the command
  succeeds and the host never goes down;
- ``winrm-503-while-starting``: after power-on the WinRM listener answers HTTP 503 for ``seconds``;
- ``slow-stop``: ``service`` stays in STOP_PENDING for ``seconds``;
- ``stuck-stop-pending``: ``service`` never leaves STOP_PENDING (until the fault is cleared or a reboot);
- ``dependents-running``: stopping ``service`` fails with error 1051 (other running services depend on it);
- ``dies-after-start``: ``service`` starts, runs for ``seconds`` and stops by itself.

``service`` ``"*"`` means every service of the host.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Literal

WINDOWS_FAULTS = ("reboot-slow", "reboot-held", "winrm-503-while-starting", "slow-stop", "stuck-stop-pending",
                  "dependents-running", "dies-after-start")
SERVICE_FAULTS = frozenset({"slow-stop", "stuck-stop-pending", "dependents-running", "dies-after-start"})
DEFAULT_SECONDS = {"reboot-slow": 150.0, "winrm-503-while-starting": 20.0, "slow-stop": 40.0,
                   "dies-after-start": 2.0}

Role = Literal["administrator", "remote-management", "not-allowed", "uac-local"]
ROLES: tuple[Role, ...] = ("administrator", "remote-management", "not-allowed", "uac-local")


class Faults:
    """The host's current faults, re-read from ``path`` when the file changes; no file means none."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._stamp: tuple[int, int] | None = None
        self._faults: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def current(self) -> dict[str, dict[str, Any]]:
        if self._path is None:
            return {}
        with self._lock:
            try:
                info = self._path.stat()
            except FileNotFoundError:
                self._stamp, self._faults = None, {}
                return {}
            stamp = (info.st_mtime_ns, info.st_size)
            if stamp != self._stamp:
                try:
                    raw = json.loads(self._path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    raw = {}
                self._faults = {k: v for k, v in raw.items() if isinstance(v, dict)} if isinstance(raw, dict) else {}
                self._stamp = stamp
            return dict(self._faults)

    def get(self, name: str, service: str | None = None) -> dict[str, Any] | None:
        """The fault's parameters if it is set (for ``service``, when it is a service fault)."""
        fault = self.current().get(name)
        if fault is None:
            return None
        if service is not None and name in SERVICE_FAULTS:
            wanted = str(fault.get("service", "*")).lower()
            if wanted not in ("*", service.lower()):
                return None
        return fault

    def seconds(self, name: str, service: str | None = None) -> float | None:
        fault = self.get(name, service)
        if fault is None:
            return None
        return float(fault.get("seconds", DEFAULT_SECONDS.get(name, 0.0)))


class Rights:
    """Who may do what on the host; a user not listed is an administrator (older tests' peers)."""

    def __init__(self, roles: dict[str, str] | None = None) -> None:
        self._roles = {k.lower(): v for k, v in (roles or {}).items()}
        self.enforced = roles is not None

    @classmethod
    def load(cls, path: Path | None) -> Rights:
        if path is None:
            return cls(None)
        raw = json.loads(path.read_text(encoding="utf-8"))
        bad = {k: v for k, v in raw.items() if v not in ROLES} if isinstance(raw, dict) else raw
        if bad:
            raise ValueError(f"{path}: roles must be one of {', '.join(ROLES)}; not {bad}")
        return cls(raw)

    def role(self, user: str) -> str:
        name = user.lower()
        if name in self._roles:
            return self._roles[name]
        _, _, bare = name.rpartition("\\")
        local = next((r for u, r in self._roles.items() if u.startswith(".\\") and u[2:] == bare), None)
        return local or ("not-allowed" if self.enforced else "administrator")

    def may_control_services(self, user: str) -> bool:
        return self.role(user) == "administrator"
