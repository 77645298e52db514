"""The run journal: one append-only JSON Lines file per run, fsynced record by record.

It is the audit record compliance reads (who confirmed what, when) and the state a resume
starts from. Every record is written with a single ``write`` of one whole line and fsynced
before the engine goes on, so ``kill -9`` at any moment leaves a file whose every complete
line parses; a torn last line (the kernel died mid-write) is reported and ignored on reading.
"""

from __future__ import annotations

import json
import os
import secrets as pyrandom
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from otcctl.domain.clock import SHANGHAI
from otcctl.errors import InputError

JOURNAL_VERSION = 1


def state_dir() -> Path:
    """Where journals and locks live: ``$OTCCTL_STATE_DIR`` or ``~/.local/state/otcctl``."""
    configured = os.environ.get("OTCCTL_STATE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "otcctl"


def timestamps(now: datetime | None = None) -> dict[str, str]:
    """The same moment in UTC and in Asia/Shanghai, as every record carries it."""
    moment = now or datetime.now(tz=UTC)
    return {
        "time_utc": moment.astimezone(UTC).isoformat(timespec="milliseconds"),
        "time_shanghai": moment.astimezone(SHANGHAI).isoformat(timespec="milliseconds"),
    }


def new_run_id(runbook: str, now: datetime | None = None) -> str:
    """``20261127-153000-monthly-restart-7f3a``: sortable, readable, unique."""
    moment = (now or datetime.now(tz=UTC)).astimezone(SHANGHAI)
    return f"{moment:%Y%m%d-%H%M%S}-{runbook}-{pyrandom.token_hex(2)}"


class Journal:
    """Appends records to one run's file; each append is durable when it returns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        existed = path.exists()
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        if not existed:
            _fsync_dir(path.parent)

    @classmethod
    def create(cls, directory: Path, run_id: str) -> Journal:
        """A new journal for a new run."""
        return cls(directory / "runs" / f"{run_id}.jsonl")

    def append(self, record_type: str, /, **data: Any) -> dict[str, Any]:
        """Write one record and fsync it; returns the record as written."""
        record = {"v": JOURNAL_VERSION, "type": record_type, **timestamps(), **data}
        line = (json.dumps(record, ensure_ascii=False, default=str, separators=(",", ":")) + "\n").encode("utf-8")
        written = os.write(self._fd, line)
        if written != len(line):  # a short write leaves a torn line; finish it so the next record starts clean
            os.write(self._fd, line[written:])
        os.fsync(self._fd)
        return record

    def close(self) -> None:
        """Close the file (records are already durable)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class JournalReading:
    """A journal read back: its records and any torn line at the end."""

    path: Path
    records: list[dict[str, Any]]
    torn_lines: list[int] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        """The run's id (the file name)."""
        return self.path.stem

    def first(self, kind: str) -> dict[str, Any] | None:
        """The first record of a type."""
        return next((r for r in self.records if r["type"] == kind), None)

    def of(self, kind: str) -> Iterator[dict[str, Any]]:
        """All records of a type."""
        return (r for r in self.records if r["type"] == kind)


def read_journal(path: Path) -> JournalReading:
    """Parse a journal; a line that does not parse (torn by a crash) is noted, not fatal."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError.at(path, "no such run journal") from None
    records: list[dict[str, Any]] = []
    torn: list[int] = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            torn.append(number)
            continue
        if isinstance(record, dict) and "type" in record:
            records.append(record)
        else:
            torn.append(number)
    return JournalReading(path, records, torn)


def find_run(directory: Path, run_id: str) -> Path:
    """The journal of a run id (a unique prefix is enough)."""
    runs = directory / "runs"
    exact = runs / f"{run_id}.jsonl"
    if exact.is_file():
        return exact
    matches = sorted(runs.glob(f"{run_id}*.jsonl")) if runs.is_dir() else []
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise InputError.at(str(runs), f"no run {run_id!r} (see `otcctl runs`)")
    raise InputError.at(str(runs), f"{run_id!r} matches {len(matches)} runs; give more of the id")


def list_runs(directory: Path) -> list[Path]:
    """Every journal, newest first."""
    runs = directory / "runs"
    return sorted(runs.glob("*.jsonl"), reverse=True) if runs.is_dir() else []
