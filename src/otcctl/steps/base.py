"""What every step kind shares: the context it runs in, its result per host, a TCP probe.

Step modules import this, never each other, so the kinds stay independent of one another.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from otcctl.connectors.pool import Connections


@dataclass(frozen=True)
class TargetResult:
    """What a step found on one host."""

    host: str
    passed: bool
    reason: str
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    final: bool = False
    """The failure cannot change by waiting or retrying (a refusal the site must fix): no retry."""

    def to_json(self) -> dict[str, Any]:
        """For the journal and --json."""
        return {
            "host": self.host,
            "passed": self.passed,
            "reason": self.reason,
            "exit_code": self.exit_code,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "duration": round(self.duration, 3),
            **({"details": self.details} if self.details else {}),
        }


@dataclass
class StepContext:
    """What executors need besides the step: connections, the run's date, a clock, cancellation."""

    connections: Connections
    params: dict[str, str]
    cancel: threading.Event
    now: Callable[[], datetime]
    sleep: Callable[[float], None]
    progress: Callable[[str], None]
    no_wait: bool = False
    max_parallel: int | None = None
    """Hosts a parallel step acts on at once; None: all of them (up to ``schema.FAN_OUT_LIMIT``)."""
    sent: Callable[[str], None] = lambda host: None
    """Called as a step's command leaves for a host: the journal's ``command-sent``."""
    host_done: Callable[[TargetResult], None] = lambda result: None
    """Called as each host of a step is done: the journal's ``host-finished`` (per-host progress)."""


class Budget:
    """A step's deadline: every wait and command of one attempt gets what is left of its timeout."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self.deadline = clock() + seconds

    def left(self) -> float:
        """Seconds still allowed (never negative)."""
        return max(0.0, self.deadline - self._clock())

    @property
    def spent(self) -> bool:
        """True once the deadline has passed."""
        return self._clock() >= self.deadline


def port_open(address: str, port: int, timeout: float) -> bool:
    """True when a TCP connection to address:port is accepted."""
    try:
        with socket.create_connection((address, port), timeout=timeout) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return True
    except OSError:
        return False
