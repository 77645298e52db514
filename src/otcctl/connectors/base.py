"""What every connector offers, as Protocols, and the frozen results they return.

A connector opens a connection when first asked, runs a command with a deadline (and makes
sure nothing is left running on the host when the deadline passes), and closes. An
unreachable host is reported as :class:`ConnectionFailed`, which the engine turns into a
failed verdict, never a stray traceback.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from otcctl.errors import OtcctlError

OUTPUT_LIMIT = 64 * 1024  # bytes of stdout/stderr kept per command (the tail)


class ConnectionFailed(OtcctlError):
    """The host could not be reached or refused us (auth, host key, network)."""


class HostKeyRejected(ConnectionFailed):
    """The host's key is unknown or changed: a possible man in the middle; the run stops."""


class UnsupportedStep(OtcctlError):
    """This version of otcctl cannot execute the step here (the dry run still shows it)."""


Shell = Literal["cmd", "powershell"]
Observe = Callable[[Literal["stdout", "stderr"], bytes], None]


@dataclass(frozen=True)
class CommandOutput:
    """What a command did: exit code (None when it never finished), output tails, time taken.

    ``lost``: the connection died before the exit status came back, so nobody knows how the
    command ended. ``cancelled``: stopped because the operator interrupted. ``kill_delivered``:
    after a timeout or cancel, whether the stop reached the host (None when none was needed).
    ``truncated``: only the tail of the output is kept here (the whole was judged, see ``judged``).
    """

    exit_code: int | None
    stdout: str
    stderr: str
    duration: float
    timed_out: bool = False
    truncated: bool = False
    lost: bool = False
    cancelled: bool = False
    kill_delivered: bool | None = None

    @property
    def failed(self) -> bool:
        """True unless the command finished with exit code 0."""
        return self.exit_code != 0


@dataclass(frozen=True)
class FileStat:
    """Size and modification time of a remote file."""

    size: int
    mtime: float


class CommandRunner(Protocol):
    """Runs commands on one host."""

    def run(
        self,
        command: str,
        timeout: float,
        *,
        cancel: threading.Event | None = None,
        shell: Shell | None = None,
        observe: Observe | None = None,
        on_sent: Callable[[], None] | None = None,
    ) -> CommandOutput:
        """Run ``command``; past ``timeout`` seconds, or once ``cancel`` is set, stop it on the host.

        ``shell`` chooses cmd.exe or PowerShell on Windows hosts; other hosts refuse it.
        ``observe`` is handed every chunk of raw output as it arrives (the whole output, in order).
        ``on_sent`` is called once the command has left for the host (before its output comes back).
        """
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


@runtime_checkable
class FileReader(Protocol):
    """Reads files on one host."""

    def stat(self, path: str) -> FileStat | None:
        """Size and mtime, or None when the file does not exist."""
        ...

    def read(self, path: str, limit: int) -> bytes:
        """Up to ``limit`` bytes of the file."""
        ...


@dataclass(frozen=True)
class SqlResult:
    """Rows of a query, columns named as the database names them (upper case for Oracle)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    duration: float


class SqlRunner(Protocol):
    """Runs one query with bind variables against a database."""

    def query(
        self,
        sql: str,
        binds: dict[str, str],
        timeout: float,
        max_rows: int,
        *,
        cancel: threading.Event | None = None,
        on_sent: Callable[[], None] | None = None,
    ) -> SqlResult:
        """Execute and fetch up to ``max_rows`` rows; past ``timeout`` or on ``cancel`` stop; errors raise SqlFailed."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


class SqlFailed(OtcctlError):
    """The database refused the query or could not be reached; the message is one paragraph.

    ``final``: the site must change something first (sudoers, the inventory), so retrying the
    query cannot help.
    """

    def __init__(self, message: str, *, final: bool = False) -> None:
        super().__init__(message)
        self.final = final


def tail(data: bytes, encoding: str, limit: int = OUTPUT_LIMIT) -> tuple[str, bool]:
    """The last ``limit`` bytes decoded, and whether anything was cut."""
    cut = len(data) > limit
    return data[-limit:].decode(encoding, errors="backslashreplace"), cut  # undecodable bytes kept, escaped
