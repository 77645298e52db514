"""What every connector offers, as Protocols, and the frozen results they return.

A connector opens a connection when first asked, runs a command with a deadline (and makes
sure nothing is left running on the host when the deadline passes), and closes. An
unreachable host is reported as :class:`ConnectionFailed`, which the engine turns into a
failed verdict, never a stray traceback.
"""

from __future__ import annotations

import threading
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


@dataclass(frozen=True)
class CommandOutput:
    """What a command did: exit code (None when it never finished), output tails, time taken."""

    exit_code: int | None
    stdout: str
    stderr: str
    duration: float
    timed_out: bool = False
    truncated: bool = False

    @property
    def failed(self) -> bool:
        """True unless the command finished with exit code 0."""
        return self.exit_code != 0


@dataclass(frozen=True)
class FileStat:
    """Size and modification time of a remote file."""

    size: int
    mtime: float


Shell = Literal["cmd", "powershell"]


class CommandRunner(Protocol):
    """Runs commands on one host."""

    def run(
        self, command: str, timeout: float, *, cancel: threading.Event | None = None, shell: Shell | None = None
    ) -> CommandOutput:
        """Run ``command``; past ``timeout`` seconds or once ``cancel`` is set, stop it on the host.

        ``shell`` picks the Windows interpreter; a POSIX host refuses any value but None.
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

    def query(self, sql: str, binds: dict[str, str], timeout: float, max_rows: int) -> SqlResult:
        """Execute and fetch up to ``max_rows`` rows; errors raise SqlFailed."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


class SqlFailed(OtcctlError):
    """The database refused the query or could not be reached; the message is one paragraph."""


def tail(data: bytes, encoding: str, limit: int = OUTPUT_LIMIT) -> tuple[str, bool]:
    """The last ``limit`` bytes decoded, and whether anything was cut."""
    cut = len(data) > limit
    return data[-limit:].decode(encoding, errors="replace"), cut
