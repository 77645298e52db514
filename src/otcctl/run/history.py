"""The run history: every journal in the state directory, summarised through the one replay.

Proportional to what is shown. The run ids come from one directory listing, sorted newest
first; the ledger (read once) gives each run's latest anchor, whose summary is what ``runs``
lists. Only the rows that are built are checked against their journal: a journal whose size
is the size the ledger noted and whose last line is the very record the ledger noted (same
SHA-256) is listed from the ledger after one short read of its tail, provided the ledger line
after that entry holds the entry's hash; any other (a run in progress, one killed, one cut or
changed, one the ledger never saw, an entry changed in the ledger, the ledger's last entry) is
read whole and replayed, and flagged when that is not how a run leaves it. Without filters
only the page shown is built; with filters every run is.

What this does not check: the records before the last one. An edit inside a journal that
keeps its size is found by ``otcctl verify``, which reads every byte and walks every chain.
One journal that cannot be read never hides the others: it is listed with what is wrong.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from otcctl.errors import OtcctlError
from otcctl.run.journal import read_journal
from otcctl.run.ledger import END_TYPES, LedgerEntry, ledger_path
from otcctl.run.replay import RunSummary, replay


@dataclass(frozen=True)
class HistoryRow:
    """One run as ``runs`` lists it, with any warning about its journal."""

    summary: RunSummary
    journal: str
    problems: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        """For ``runs --json``."""
        return {**self.summary.to_json(), "journal": self.journal, "problems": list(self.problems)}


@dataclass(frozen=True)
class RunFilter:
    """``runs`` filters; every one given must match."""

    runbook: str | None = None
    since: date | None = None
    until: date | None = None
    outcome: str | None = None
    environment: str | None = None
    operator: str | None = None

    @property
    def empty(self) -> bool:
        """True when no filter is given (every run matches)."""
        return all(v is None for v in (self.runbook, self.since, self.until, self.outcome, self.environment,
                                       self.operator))

    def matches(self, s: RunSummary) -> bool:
        """True when the run passes every filter given."""
        day = (s.started_shanghai or "")[:10]
        checks = (
            self.runbook is None or s.runbook == self.runbook,
            self.since is None or day >= self.since.isoformat(),
            self.until is None or (bool(day) and day <= self.until.isoformat()),
            self.outcome is None or s.outcome == self.outcome,
            self.environment is None or s.environment == self.environment,
            self.operator is None or any(self.operator in who for who in s.operators),
        )
        return all(checks)


@dataclass(frozen=True)
class HistoryPage:
    """The rows built (newest first, at most the limit) and how many runs matched in all."""

    rows: list[HistoryRow]
    matched: int


RUNS_PAGE = 50
"""Runs ``otcctl runs`` shows on screen unless told otherwise."""
_ENTRY_HEAD = re.compile(
    rb'^\{"v":\d+,"seq":\d+,"prev":"([0-9a-f]*)","time_utc":"[^"\n]*","run_id":"([^"\n]*)"', re.M
)
_TAIL_CHUNK = 1024  # a run-finished line is about 250 bytes; longer last lines take another read


@dataclass(frozen=True)
class Noted:
    """A run's latest ledger entry, and whether the ledger line after it holds its hash.

    ``sealed`` is True when it does, False when it holds another (the entry was changed), None
    when no entry follows (the ledger's last line, which only the journal itself can confirm).
    """

    entry: LedgerEntry
    sealed: bool | None = True


@dataclass
class _Ledger:
    raw: bytes
    latest: dict[str, int]  # run id -> where its latest line starts
    exists: bool

    def anchor(self, run_id: str) -> Noted | None:
        start = self.latest.get(run_id)
        if start is None:
            return None
        end = self.raw.find(b"\n", start)
        end = len(self.raw) if end < 0 else end
        line = self.raw[start:end]
        try:
            entry = LedgerEntry.model_validate_json(line)
        except ValidationError:
            return None  # a damaged ledger line: the journal is read whole; verify names the line
        follower = _ENTRY_HEAD.match(self.raw, end + 1)
        if follower is None:
            return Noted(entry, None)
        return Noted(entry, hashlib.sha256(line).hexdigest() == follower.group(1).decode("ascii"))


def _read_ledger(state: Path) -> _Ledger:
    """Where each run's latest ledger line is, found without parsing the others (verify checks the chain)."""
    try:
        raw = ledger_path(state).read_bytes()
    except FileNotFoundError:
        return _Ledger(b"", {}, exists=False)
    latest = {m.group(2).decode("utf-8", "replace"): m.start() for m in _ENTRY_HEAD.finditer(raw)}
    return _Ledger(raw, latest, exists=True)


def _run_ids(state: Path) -> list[str]:
    try:
        names = os.listdir(state / "runs")
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [n[:-6] for n in names if n.endswith(".jsonl")]


def run_summary(journal: Path | str, noted: Noted | None = None, ledger_exists: bool = False) -> HistoryRow:
    """One journal's row: from the ledger when its size and last record are the ones noted there, else read whole.

    The ledger's summary is believed only when the ledger line after it holds its hash; the
    ledger's last line is held against the journal read whole.
    """
    anchor = noted.entry if noted is not None else None
    try:
        fd = os.open(journal, os.O_RDONLY)
    except OSError as exc:
        return _unreadable(Path(journal), f"cannot read this journal: {exc.strerror}")
    try:
        size = os.fstat(fd).st_size
        same_size = anchor is not None and anchor.summary is not None and anchor.journal_bytes == size
        tail_fits = same_size and anchor is not None and _last_line_hash(fd, size) == anchor.record_sha256
    except OSError as exc:
        return _unreadable(Path(journal), f"cannot read this journal: {exc.strerror}")
    finally:
        os.close(fd)
    if tail_fits and noted is not None and noted.sealed and noted.entry.summary is not None:
        return HistoryRow(noted.entry.summary, str(journal))
    path = Path(journal)
    try:
        reading = read_journal(path)
    except OtcctlError as exc:
        return _unreadable(path, str(exc))
    summary = replay(reading.run_id, reading.entries).summary()
    problems = [reading.describe(p) for p in reading.problems]
    problems += _misfits(path, size, anchor, ledger_exists, same_size and not tail_fits)
    if noted is not None and noted.sealed is False:
        problems.append(f"{path}: the ledger's entry for this run was changed after it was written "
                        "(the next entry holds another hash; see `otcctl verify`)")
    elif tail_fits and anchor is not None and summary != anchor.summary:
        problems.append(f"{path}: does not match the summary the ledger keeps for it (the ledger was edited; "
                        "see `otcctl verify`)")
    return HistoryRow(summary, str(path), tuple(problems))


def _misfits(path: Path, size: int, anchor: LedgerEntry | None, ledger_exists: bool, tail_differs: bool) -> list[str]:
    """What about a journal read whole does not fit what the ledger noted (verify says exactly where)."""
    if anchor is None:
        return [f"{path}: not in the ledger (see `otcctl verify`)"] if ledger_exists else []
    if tail_differs:
        return [f"{path}: its last record is not the {anchor.record_type} record the ledger noted "
                "(changed or replaced; see `otcctl verify`)"]
    if size < anchor.journal_bytes:
        return [f"{path}: shorter than when the ledger noted its {anchor.record_type} "
                "(records were cut; see `otcctl verify`)"]
    if anchor.record_type in END_TYPES and anchor.journal_bytes != size:
        return [f"{path}: changed after the run ended (size differs from the ledger's; see `otcctl verify`)"]
    return []


def _last_line_hash(fd: int, size: int) -> str | None:
    """SHA-256 of the last complete line (without its newline), read from the end; None if it has no newline."""
    chunk = _TAIL_CHUNK
    while True:
        start = max(0, size - chunk)
        data = os.pread(fd, size - start, start)
        if not data.endswith(b"\n"):
            return None
        cut = data.rfind(b"\n", 0, len(data) - 1)
        if cut >= 0 or start == 0:
            return hashlib.sha256(data[cut + 1 : -1]).hexdigest()
        chunk *= 16


def history(state: Path, wanted: RunFilter | None = None, limit: int | None = None) -> HistoryPage:
    """The newest ``limit`` runs that pass ``wanted`` (all with ``None``), and how many passed in all.

    Journals the ledger knows and that are gone are listed too.
    """
    ledger = _read_ledger(state)
    present = _run_ids(state)
    gone = set(ledger.latest).difference(present)
    order = sorted([*present, *gone], reverse=True)
    runs = os.path.join(state, "runs", "")  # strings: a Path per run costs more than the rest of a row
    every = wanted is None or wanted.empty
    rows: list[HistoryRow] = []
    matched = 0
    for run_id in order:
        if every and limit is not None and len(rows) >= limit:
            return HistoryPage(rows, len(order))
        journal = f"{runs}{run_id}.jsonl"
        noted = ledger.anchor(run_id)
        row = _gone(Path(journal), noted) if run_id in gone else run_summary(journal, noted, ledger.exists)
        if every or (wanted is not None and wanted.matches(row.summary)):
            matched += 1
            if limit is None or len(rows) < limit:
                rows.append(row)
    return HistoryPage(rows, matched)


def run_summaries(state: Path, wanted: RunFilter | None = None) -> list[HistoryRow]:
    """Every run that passes ``wanted``, newest first."""
    return history(state, wanted).rows


def _empty(path: Path, outcome: str = "unreadable") -> RunSummary:
    return RunSummary(run_id=path.stem, outcome=outcome)


def _unreadable(path: Path, message: str) -> HistoryRow:
    return HistoryRow(_empty(path), str(path), (message,))


def _gone(path: Path, noted: Noted | None) -> HistoryRow:
    summary = (noted.entry.summary if noted is not None else None) or _empty(path)
    kind = noted.entry.record_type if noted is not None else "anchor"
    message = f"{path}: the journal is gone; the ledger noted its {kind} (see `otcctl verify`)"
    return HistoryRow(summary.model_copy(update={"outcome": "journal missing"}), str(path), (message,))
