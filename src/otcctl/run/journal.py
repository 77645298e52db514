"""The run journal: one append-only JSON Lines file per run, fsynced record by record, hash-chained.

It is the audit record compliance reads (who confirmed what, when) and the state a resume
starts from. Every record is written with a single ``write`` of one whole line and fsynced
before the engine goes on, so ``kill -9`` at any moment leaves a file whose every complete
line parses. Each line carries its sequence number and the SHA-256 of the line before it
(``seq``, ``prev``), so an edit, insertion, deletion or reordering breaks the chain.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets as pyrandom
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from otcctl.domain.clock import SHANGHAI
from otcctl.errors import InputError, OtcctlError
from otcctl.i18n import N_
from otcctl.run.ledger import note
from otcctl.run.lines import Entry, MaskFn, RecordError, Stamp, parse_line
from otcctl.run.records import VERSION, Record
from otcctl.run.replay import replay
from otcctl.run.state import ensure_dir, open_shared, state_dir

__all__ = [
    "Journal",
    "JournalReading",
    "JournalUnwritable",
    "find_run",
    "list_runs",
    "read_journal",
    "state_dir",
    "timestamps",
]

GENESIS = "0" * 64
"""The ``prev`` of a journal's first record."""
JOURNAL_MODE = 0o640
"""Owner writes, the operators' group reads (the shared state directory is group-owned and setgid)."""

_R = TypeVar("_R", bound=Record)


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


def line_hash(line: bytes) -> str:
    """The SHA-256 of one journal line without its newline: what the next line's ``prev`` holds."""
    return hashlib.sha256(line).hexdigest()


class JournalUnwritable(OtcctlError):
    """The journal cannot take a record (disk full, I/O error): nothing more may be done."""


class Journal:
    """Appends records to one run's file; each append is durable when it returns."""

    def __init__(self, path: Path, *, ledger: bool = True) -> None:
        self.path = path
        self.run_id = path.stem
        self.state = path.parent.parent
        self.ledger = ledger
        ensure_dir(path.parent)
        existed = path.exists()
        self.repaired = _cut_torn_tail(path) if existed else 0
        self.entries: list[Entry] = read_journal(path).entries if existed else []
        self.seq, self.head = _chain_end(path) if existed else (0, GENESIS)
        self._fd = open_shared(path, os.O_WRONLY | os.O_APPEND, JOURNAL_MODE)
        self.size = os.fstat(self._fd).st_size
        self._flushed = self.size
        self._write_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        if not existed:
            _fsync_dir(path.parent)

    @classmethod
    def create(cls, directory: Path, run_id: str) -> Journal:
        """A new journal for a new run."""
        return cls(directory / "runs" / f"{run_id}.jsonl")

    def append(self, record: Record, *, mask: MaskFn | None = None, now: datetime | None = None) -> Entry:
        """Write one record, chained to the one before, and fsync it; returns it as written.

        Thread-safe: the hosts of a parallel step record from their worker threads. Lines are
        chained and written one at a time; the fsync is shared (group commit): an append returns
        only after an fsync that began once its line was written, and one fsync covers every line
        written before it began, so six hosts reporting together wait for one or two disk
        flushes, not six in a row. A record the ledger notes is flushed before it is noted.
        """
        body = record.to_json()
        as_written = record
        if mask is not None:
            masked = mask(body)
            assert isinstance(masked, dict)
            if masked != body:  # a secret was masked: the entry holds what was written, not the record
                body = masked
                as_written = type(record).model_validate(body)
        with self._write_lock:
            entry, end = self._write(record.type, body, as_written, now)
            if self.ledger and record.anchor:
                self._flush_through(end)
                summary = replay(self.run_id, self.entries).summary()
                note(self.state, entry, self.size, summary, now or datetime.now(tz=UTC))
                return entry
        self._flush_through(end)
        return entry

    def _write(self, kind: str, body: Mapping[str, object], record: Record, now: datetime | None) -> tuple[Entry, int]:
        """Chain and write one whole line (under the write lock); its entry and where the file ends."""
        stamp = Stamp(v=VERSION, type=kind, seq=self.seq + 1, prev=self.head, run_id=self.run_id, **timestamps(now))
        data = {**stamp.model_dump(), **body}
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        line = text + b"\n"
        start = os.lseek(self._fd, 0, os.SEEK_END)
        try:
            written = os.write(self._fd, line)
            while written < len(line):  # a short write: finish the line, or fail and cut it below
                written += os.write(self._fd, line[written:])
        except OSError as exc:
            with contextlib.suppress(OSError):  # never leave a torn line to be glued to the next record
                os.ftruncate(self._fd, start)
                os.fsync(self._fd)
            raise self._unwritable(exc) from None
        self.seq, self.head, self.size = self.seq + 1, line_hash(text), self.size + len(line)
        entry = Entry(self.seq, stamp, record, self.head)
        self.entries.append(entry)
        return entry, self.size

    def _flush_through(self, end: int) -> None:
        """Return once the file is on disk at least up to ``end`` (one fsync may serve many appends)."""
        with self._flush_lock:
            if self._flushed >= end:
                return  # an fsync that began after our line was written has finished
            target = self.size
            try:
                os.fsync(self._fd)
            except OSError as exc:
                raise self._unwritable(exc) from None
            self._flushed = max(self._flushed, target)

    def _unwritable(self, exc: OSError) -> JournalUnwritable:
        return JournalUnwritable(
            f"the journal {self.path} cannot be written ({exc.strerror or exc}); otcctl stops rather than "
            "act without a record. Free space in the state directory, then `otcctl resume` the run."
        )

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


def _cut_torn_tail(path: Path) -> int:
    """Cut an unfinished last line (power lost mid-write; never acknowledged); returns the bytes cut."""
    raw = path.read_bytes()
    if not raw or raw.endswith(b"\n"):
        return 0
    keep = raw.rfind(b"\n") + 1
    os.truncate(path, keep)
    return len(raw) - keep


def _chain_end(path: Path) -> tuple[int, str]:
    lines = [line for line in path.read_bytes().split(b"\n") if line.strip()]
    if not lines:
        return 0, GENESIS
    return len(lines), line_hash(lines[-1])


@dataclass(frozen=True)
class LineProblem:
    """A line a reader could not use: where, why, and the field at fault if one is."""

    line: int
    message: str
    field: str | None = None
    torn: bool = False


@dataclass
class JournalReading:
    """A journal read back: its typed entries and the lines that could not be read."""

    path: Path
    entries: list[Entry]
    problems: list[LineProblem] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        """The run's id (the file name)."""
        return self.path.stem

    @property
    def records(self) -> list[Record]:
        """The records in order."""
        return [e.record for e in self.entries]

    def first(self, kind: type[_R]) -> _R | None:
        """The first record of a kind."""
        return next(self.of(kind), None)

    def of(self, kind: type[_R]) -> Iterator[_R]:
        """All records of a kind."""
        return (e.record for e in self.entries if isinstance(e.record, kind))

    def describe(self, problem: LineProblem) -> str:
        """``journal FILE, line N, field F: message``."""
        where = f"journal {self.path}, line {problem.line}"
        return where + (f", field '{problem.field}'" if problem.field else "") + f": {problem.message}"

    def require_readable(self) -> None:
        """Raise an input error naming the first line that is not a readable record (a torn tail is fine)."""
        bad = next((p for p in self.problems if not p.torn), None)
        if bad is not None:
            raise InputError.at(self.path, bad.message, bad.line, bad.field)


def read_journal(path: Path) -> JournalReading:
    """Read every line; a line that is not a readable record is noted with why, never fatal here."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError.at(path, "no such run journal") from None
    except OSError as exc:
        raise InputError.at(path, f"cannot read this journal: {exc.strerror}") from None
    return read_lines(path, raw)


def read_lines(path: Path, raw: bytes, first_line: int = 1) -> JournalReading:
    """Parse journal bytes (all of a file, or a piece starting at ``first_line``)."""
    entries: list[Entry] = []
    problems: list[LineProblem] = []
    lines = raw.split(b"\n")
    for number, line in enumerate(lines, start=first_line):
        if not line.strip():
            continue
        last = number - first_line == len(lines) - 1  # no newline after it: cut short by a crash
        try:
            entries.append(parse_line(line, number, line_hash(line)))
        except RecordError as exc:
            problems.append(LineProblem(number, str(exc), exc.field, torn=last))
    return JournalReading(path, entries, problems)


def find_run(directory: Path, run_id: str) -> Path:
    """The journal of a run id (a unique prefix is enough; ``last`` is the newest run)."""
    runs = directory / "runs"
    if run_id == "last":
        newest = list_runs(directory)
        if not newest:
            raise InputError.at(str(runs), N_("no runs recorded yet"))
        return newest[0]
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
    try:
        names = [n for n in os.listdir(runs) if n.endswith(".jsonl")]
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [runs / n for n in sorted(names, reverse=True)]
