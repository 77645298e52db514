"""``otcctl verify``: check every journal's hash chain against itself and against the ledger.

Reads everything (unlike ``runs``, which checks sizes and last records) and names the first line that does not
fit: edited, inserted, deleted, reordered, cut short, added after the end, a journal replaced,
deleted or unknown to the ledger, or a ledger entry changed. What this can and cannot prove
is written in docs/audit.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from otcctl.run.journal import GENESIS, line_hash, list_runs
from otcctl.run.ledger import END_TYPES, LedgerEntry, LedgerReading, read_ledger
from otcctl.run.lines import Entry, RecordError, parse_line
from otcctl.run.replay import replay


@dataclass(frozen=True)
class Finding:
    """The first thing that does not fit: where, and what it means."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}" + (f", line {self.line}" if self.line else "") + f": {self.message}"


@dataclass(frozen=True)
class JournalCheck:
    """One run's verdict: its records, its head (SHA-256 of the last line) and the first break, if any."""

    run_id: str
    path: Path | None
    records: int = 0
    head: str | None = None
    problem: Finding | None = None


@dataclass
class AuditReport:
    """The ledger's verdict and every journal's."""

    ledger: LedgerReading
    ledger_problem: Finding | None
    journals: list[JournalCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return self.ledger_problem is None and all(j.problem is None for j in self.journals)


def check_journal(path: Path, anchors: list[LedgerEntry] | None) -> JournalCheck:
    """Walk one journal's chain, then hold it against its ledger anchors (None: no ledger to compare)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return JournalCheck(path.stem, path, problem=Finding(str(path), None, f"cannot be read: {exc.strerror}"))
    lines = raw.split(b"\n")
    torn = bool(raw) and not raw.endswith(b"\n")
    if not torn and lines and lines[-1] == b"":
        lines.pop()
    hashes = [line_hash(line) for line in lines]
    parsed: list[Entry | str] = []
    for number, line in enumerate(lines, start=1):
        try:
            parsed.append(parse_line(line, number, hashes[number - 1]))
        except RecordError as exc:
            parsed.append(str(exc))
    anchored = {(a.record_seq, a.record_sha256) for a in anchors or []}
    chain = _chain(path, lines, parsed, hashes, torn, anchored)
    findings = [f for f in (chain, _anchors(path, hashes, anchors), _noted(path, parsed, anchors)) if f]
    if not findings:  # the journal is sound: does the ledger still say what the run said of itself?
        sizes = [len(line) + 1 for line in lines]
        findings = [f for f in (_summaries(path, parsed, anchors, sizes),) if f]
    first = min(findings, key=lambda f: f.line or 0) if findings else None
    return JournalCheck(path.stem, path, len(lines), hashes[-1] if hashes else None, first)


def _chain(
    path: Path,
    lines: list[bytes],
    parsed: list[Entry | str],
    hashes: list[str],
    torn: bool,
    anchored: set[tuple[int, str]],
) -> Finding | None:
    where = str(path)
    if not lines:
        return Finding(where, None, "the journal is empty")
    seqs = [p.stamp.seq if isinstance(p, Entry) else None for p in parsed]
    for number, item in enumerate(parsed, start=1):
        if torn and number == len(parsed):
            return Finding(where, number, "the last record is cut short (truncated in the middle of a line)")
        if isinstance(item, str):
            return Finding(where, number, f"not a record this otcctl can read ({item})")
        seq, prev = item.stamp.seq, item.stamp.prev
        if item.stamp.run_id != path.stem:
            return Finding(where, number, f"belongs to run {item.stamp.run_id}: copied or renamed into this journal")
        if seq is None or prev is None:
            return Finding(where, number, "written before the hash chain (format 1); it cannot be verified")
        expected_prev = hashes[number - 2] if number > 1 else GENESIS
        if seq != number:
            return Finding(where, *_misplaced(number, seq, seqs, prev, hashes, anchored))
        if prev != expected_prev:
            if number == 1:
                return Finding(where, 1, "the first record does not start a chain: records before it were removed")
            return Finding(where, number - 1, "was changed after it was written (the next record holds another hash)")
    return None


def _misplaced(
    number: int, seq: int, seqs: list[int | None], prev: str, hashes: list[str], anchored: set[tuple[int, str]]
) -> tuple[int, str]:
    """Name the line out of place: inserted, deleted before, or reordered."""
    if seq < number:
        before_is_genuine = (number - 1, hashes[number - 2]) in anchored
        if number >= 3 and prev == hashes[number - 3] and not before_is_genuine:
            return number - 1, "was inserted (the record after it was chained to the one before it)"
        return number, f"holds record {seq}: it was inserted or copied here"
    if number in seqs[number:]:
        return number, f"holds record {seq} while record {number} comes later: the records were reordered"
    gone = f"record {number}" if seq == number + 1 else f"records {number}-{seq - 1}"
    return number, f"holds record {seq}: {gone} before it were deleted"


def _anchors(path: Path, hashes: list[str], anchors: list[LedgerEntry] | None) -> Finding | None:
    where = str(path)
    if anchors is None:
        return None
    if not anchors:
        return Finding(where, None, "not in the ledger: not written by a run here, or the ledger lost it")
    for anchor in anchors:
        if anchor.record_seq > len(hashes):
            return Finding(
                where,
                len(hashes) + 1,
                f"the journal ends at line {len(hashes)}, but the ledger noted record {anchor.record_seq} "
                f"({anchor.record_type}, {anchor.time_utc}): records at the end were removed",
            )
        if hashes[anchor.record_seq - 1] != anchor.record_sha256:
            return Finding(
                where,
                anchor.record_seq,
                f"is not the {anchor.record_type} record the ledger noted at {anchor.time_utc} "
                "(changed, or the journal was replaced)",
            )
    last = anchors[-1]
    if last.record_type in END_TYPES and len(hashes) > last.record_seq:
        return Finding(where, last.record_seq + 1, f"was added after the run's {last.record_type} without a resume")
    return None


def _noted(path: Path, parsed: list[Entry | str], anchors: list[LedgerEntry] | None) -> Finding | None:
    """Every run start, resume and end in the journal is in the ledger, with the summary it had then."""
    if not anchors:
        return None
    noted = {a.record_seq for a in anchors}
    for item in parsed:
        if isinstance(item, Entry) and item.record.anchor and item.line not in noted:
            return Finding(
                str(path),
                item.line,
                f"is a {item.record.type} record the ledger never noted (added later, or the ledger lost its end)",
            )
    return None


def _summaries(
    path: Path, parsed: list[Entry | str], anchors: list[LedgerEntry] | None, sizes: list[int]
) -> Finding | None:
    entries = [p for p in parsed if isinstance(p, Entry)]
    for anchor in anchors or []:
        if anchor.record_seq <= len(sizes) and anchor.journal_bytes != sum(sizes[: anchor.record_seq]):
            return Finding(
                str(path),
                None,
                f"is not as long as the ledger says it was at record {anchor.record_seq} "
                f"(ledger line {anchor.seq}): the ledger was edited",
            )
        if anchor.summary is None or anchor.record_seq > len(entries):
            continue
        if replay(path.stem, entries[: anchor.record_seq]).summary() != anchor.summary:
            return Finding(
                str(path),
                None,
                f"does not match the summary the ledger keeps for it (ledger line {anchor.seq}): the ledger was edited",
            )
    return None


def verify(state: Path, run_ids: list[str] | None = None) -> AuditReport:
    """Check the ledger's own chain and every journal (or the named runs) against it."""
    ledger = read_ledger(state)
    report = AuditReport(ledger, _ledger_problem(ledger, bool(list_runs(state))))
    anchors = ledger.by_run if ledger.exists else None
    paths = {p.stem: p for p in list_runs(state)}
    wanted = run_ids if run_ids is not None else sorted(set(paths) | set(ledger.by_run))
    for run_id in wanted:
        path = paths.get(run_id)
        if path is None:
            last = ledger.by_run[run_id][-1]
            gone = Finding(
                str(state / "runs" / f"{run_id}.jsonl"),
                None,
                f"the journal is gone; the ledger noted its {last.record_type} at {last.time_utc}",
            )
            report.journals.append(JournalCheck(run_id, None, problem=gone))
            continue
        report.journals.append(check_journal(path, anchors.get(run_id, []) if anchors is not None else None))
    return report


def _ledger_problem(ledger: LedgerReading, journals_exist: bool) -> Finding | None:
    if not ledger.exists:
        return Finding(str(ledger.path), None, "the ledger is missing") if journals_exist else None
    if ledger.broken is not None:
        line, message = ledger.broken
        return Finding(str(ledger.path), line, message)
    return None
