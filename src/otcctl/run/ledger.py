"""The ledger: one hash-chained file in the state directory noting every run's start, resumes and end.

A journal's own chain shows an edit, insertion, deletion or reordering inside it; it cannot
show that the whole journal was deleted, replaced by another well-chained file, or cut after
its last record. The ledger can: for each run it keeps the hash and position of the anchor
records (``run-started``, ``run-resumed``, the run's end) and the journal's size at that
moment, chained line to line like a journal. Appends from concurrent runs are serialised by
``flock``. Its latest entry per run also carries the run's summary, so ``otcctl runs`` can
list ten thousand runs from this one file and a ``stat`` per journal.
"""


import fcntl
import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from otcctl.run.lines import Entry
from otcctl.run.replay import RunSummary
from otcctl.run.state import ensure_dir, open_shared

LEDGER_VERSION = 1
LEDGER_FILE = "ledger.jsonl"
GENESIS = "0" * 64
END_TYPES = ("run-finished", "run-interrupted", "run-stopped")
"""A run's end: after one of these only a ``run-resumed`` (itself noted here) may follow in its journal."""


class LedgerEntry(BaseModel):
    """One anchor: which run, which record (position and SHA-256), the journal's size then, the summary."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    v: int
    seq: int
    prev: str
    time_utc: str
    run_id: str
    record_seq: int
    record_type: str
    record_sha256: str
    journal_bytes: int
    summary: RunSummary | None = None


def ledger_path(state: Path) -> Path:
    """Where the ledger of a state directory lives."""
    return state / LEDGER_FILE


def note(state: Path, entry: Entry, journal_bytes: int, summary: RunSummary | None, now: datetime) -> None:
    """Append one anchor to the ledger, chained to the last line, durably and under a lock."""
    path = ledger_path(state)
    ensure_dir(state)
    fd = open_shared(path, os.O_RDWR | os.O_APPEND, 0o660)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        seq, prev = _last(fd)
        line = LedgerEntry(
            v=LEDGER_VERSION,
            seq=seq + 1,
            prev=prev,
            time_utc=now.isoformat(timespec="milliseconds"),
            run_id=entry.stamp.run_id,
            record_seq=entry.stamp.seq or entry.line,
            record_type=entry.record.type,
            record_sha256=entry.sha256,
            journal_bytes=journal_bytes,
            summary=summary if entry.record.type != "run-started" else None,
        ).model_dump_json(exclude_none=True, by_alias=True)
        os.write(fd, line.encode("utf-8") + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)  # closing releases the lock
    send_to_syslog(entry)


def send_to_syslog(entry: Entry, environ: dict[str, str] | None = None) -> bool:
    """An external anchor: the head of a run's end in the system log, where otcctl cannot rewrite it.

    On when ``$OTCCTL_AUDIT_SYSLOG`` is set (to ``auth``, ``authpriv``, ``user`` or ``local0``-``local7``);
    a log host that keeps what it receives then holds a copy of every head.
    """
    facility_name = (environ if environ is not None else os.environ).get("OTCCTL_AUDIT_SYSLOG", "")
    if not facility_name or entry.record.type not in END_TYPES:
        return False
    import syslog

    facility = getattr(syslog, f"LOG_{facility_name.upper()}", syslog.LOG_AUTHPRIV)
    syslog.openlog("otcctl", syslog.LOG_PID, facility)
    syslog.syslog(
        syslog.LOG_NOTICE,
        f"run {entry.stamp.run_id} {entry.record.type} record {entry.stamp.seq} head sha256 {entry.sha256}",
    )
    return True


def _last(fd: int) -> tuple[int, str]:
    """The last complete line's seq and hash, read backwards from the end."""
    size = os.fstat(fd).st_size
    chunk, tail = 4096, b""
    while True:
        start = max(0, size - chunk)
        tail = os.pread(fd, size - start, start)
        body = tail.rstrip(b"\n")
        if b"\n" in body or start == 0:
            break
        chunk *= 4
    body = tail.rstrip(b"\n")
    if not body:
        return 0, GENESIS
    last = body.rsplit(b"\n", 1)[-1]
    try:
        seq = int(json.loads(last)["seq"])
    except (ValueError, KeyError, TypeError):
        seq = body.count(b"\n") + 1  # a damaged last line: verify will name it; keep appending after it
    return seq, hashlib.sha256(last).hexdigest()


@dataclass
class LedgerReading:
    """The ledger read back: its entries by run, and the first line that breaks its chain."""

    path: Path
    entries: list[LedgerEntry] = field(default_factory=list)
    by_run: dict[str, list[LedgerEntry]] = field(default_factory=dict)
    broken: tuple[int, str] | None = None
    exists: bool = True


def read_ledger(state: Path, *, check_chain: bool = True) -> LedgerReading:
    """Every anchor; with ``check_chain`` the first line that does not follow its predecessor is named."""
    path = ledger_path(state)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return LedgerReading(path, exists=False)
    reading = LedgerReading(path)
    prev = GENESIS
    lines = raw.split(b"\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if number == len(lines) and check_chain:  # no newline after it: cut short
            reading.broken = reading.broken or (number, "is cut short")
            break
        try:
            entry = LedgerEntry.model_validate_json(line)
        except ValidationError as exc:
            reading.broken = reading.broken or (number, f"not a ledger entry ({exc.errors()[0]['msg']})")
            prev = hashlib.sha256(line).hexdigest()
            continue
        if check_chain and reading.broken is None:
            if entry.seq != number:
                reading.broken = (number, f"says it is entry {entry.seq}: an entry was inserted, deleted or moved")
            elif entry.prev != prev:
                reading.broken = (number - 1, "was changed after it was written (the next entry holds another hash)")
        prev = hashlib.sha256(line).hexdigest()
        reading.entries.append(entry)
        reading.by_run.setdefault(entry.run_id, []).append(entry)
    return reading
