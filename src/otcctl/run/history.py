"""The run history: every journal in the state directory, summarised through the one replay.

Fast: the ledger's latest entry per run carries the run's summary and the journal's size at
that moment, so a journal whose size still matches is listed without being opened; any other
(a run in progress, one killed, one changed) is read whole and replayed. A size that differs
after a run's end, a journal the ledger never saw, or one the ledger saw and that is gone is
flagged on its row; ``otcctl verify`` reads everything. One journal that cannot be read never
hides the others: it is listed with what is wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from otcctl.errors import OtcctlError
from otcctl.run.journal import list_runs, read_journal
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


@dataclass
class _Latest:
    by_run: dict[str, bytes] = field(default_factory=dict)
    exists: bool = False


_RUN_ID = b'"run_id":"'


def _latest_anchors(state: Path) -> _Latest:
    """The ledger's last line per run, found without parsing the others (verify checks the chain)."""
    latest = _Latest()
    try:
        raw = ledger_path(state).read_bytes()
    except FileNotFoundError:
        return latest
    latest.exists = True
    for line in raw.split(b"\n"):
        at = line.find(_RUN_ID)
        if at < 0:
            continue
        start = at + len(_RUN_ID)
        end = line.find(b'"', start)
        if end > start:
            latest.by_run[line[start:end].decode("utf-8", "replace")] = line
    return latest


def _anchor(line: bytes | None) -> dict[str, object] | None:
    if line is None:
        return None
    try:
        item = json.loads(line)
    except ValueError:
        return None
    return item if isinstance(item, dict) else None


def run_summary(path: Path, anchor: dict[str, object] | None = None, ledger_exists: bool = False) -> HistoryRow:
    """One journal's row: from the ledger when the journal still has the size noted there, else read whole."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        return _unreadable(path, f"cannot read this journal: {exc.strerror}")
    if anchor is not None and anchor.get("journal_bytes") == size and isinstance(anchor.get("summary"), dict):
        try:
            return HistoryRow(RunSummary.model_validate(anchor["summary"]), str(path))
        except ValidationError:
            pass
    try:
        reading = read_journal(path)
    except OtcctlError as exc:
        return _unreadable(path, str(exc))
    problems = [reading.describe(p) for p in reading.problems]
    if anchor is None and ledger_exists:
        problems.append(f"{path}: not in the ledger (see `otcctl verify`)")
    elif anchor is not None and anchor.get("record_type") in END_TYPES and anchor.get("journal_bytes") != size:
        problems.append(f"{path}: changed after the run ended (size differs from the ledger's; see `otcctl verify`)")
    return HistoryRow(replay(reading.run_id, reading.entries).summary(), str(path), tuple(problems))


def run_summaries(state: Path, wanted: RunFilter | None = None) -> list[HistoryRow]:
    """Every run, newest first (journals the ledger knows and that are gone are listed too)."""
    latest = _latest_anchors(state)
    paths = list_runs(state)
    rows = [run_summary(p, _anchor(latest.by_run.get(p.stem)), latest.exists) for p in paths]
    present = {p.stem for p in paths}
    for run_id, line in latest.by_run.items():
        anchor = _anchor(line) if run_id not in present else None
        if anchor is not None:
            where = state / "runs" / f"{run_id}.jsonl"
            rows.append(_gone(where, anchor))
    rows.sort(key=lambda r: r.summary.run_id, reverse=True)
    return [r for r in rows if wanted is None or wanted.matches(r.summary)]


def _empty(path: Path, outcome: str = "unreadable") -> RunSummary:
    return RunSummary(run_id=path.stem, outcome=outcome)


def _unreadable(path: Path, message: str) -> HistoryRow:
    return HistoryRow(_empty(path), str(path), (message,))


def _gone(path: Path, anchor: dict[str, object]) -> HistoryRow:
    try:
        summary = LedgerEntry.model_validate(anchor).summary or _empty(path)
    except ValidationError:
        summary = _empty(path)
    message = f"{path}: the journal is gone; the ledger noted its {anchor.get('record_type')} (see `otcctl verify`)"
    return HistoryRow(summary.model_copy(update={"outcome": "journal missing"}), str(path), (message,))
