"""``verify``: every kind of tampering with a journal or the ledger is caught, naming the first bad record."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from otcctl.run.audit import verify
from otcctl.run.journal import Journal
from otcctl.run.ledger import ledger_path
from otcctl.run.records import RunResumed, RunStarted
from tests.unit.run.journal_fixtures import LI, confirmed, finished, header, passed_run, resumed, started, write

RUN = "20261127-153000-market-open-0001"
OTHER = "20261127-160000-market-open-0002"


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def _put(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(lines))


def _edit(line: int, old: bytes, new: bytes) -> Callable[[Path], None]:
    def change(path: Path) -> None:
        lines = _lines(path)
        assert old in lines[line - 1]
        lines[line - 1] = lines[line - 1].replace(old, new, 1)
        _put(path, lines)

    return change


def _delete(line: int) -> Callable[[Path], None]:
    def change(path: Path) -> None:
        lines = _lines(path)
        del lines[line - 1]
        _put(path, lines)

    return change


def _swap(line: int) -> Callable[[Path], None]:
    def change(path: Path) -> None:
        lines = _lines(path)
        lines[line - 1], lines[line] = lines[line], lines[line - 1]
        _put(path, lines)

    return change


def _insert_forged(at: int) -> Callable[[Path], None]:
    """A well-formed record with the right seq and prev for its place, slipped in at line ``at``."""

    def change(path: Path) -> None:
        import hashlib

        lines = _lines(path)
        prev = hashlib.sha256(lines[at - 2].rstrip(b"\n")).hexdigest()
        data = json.loads(lines[at - 1])
        data.update(seq=at, prev=prev)
        lines.insert(at - 1, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
        _put(path, lines)

    return change


def _rechain(path: Path) -> None:
    """Edit the answer and recompute the whole chain: only the ledger's anchors can tell."""
    import hashlib

    prev = "0" * 64
    out = []
    for line in _lines(path):
        data = json.loads(line)
        data["prev"] = prev
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace('"answer":"no"', '"answer":"yes"')
        prev = hashlib.sha256(text.encode()).hexdigest()
        out.append(text.encode() + b"\n")
    _put(path, out)


def _truncate_mid_line(path: Path) -> None:
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) - 20])


def _replace_whole(path: Path) -> None:
    """Another run's journal written by a real Journal, but never noted in this ledger under this id."""
    other = Journal(path.parent / "elsewhere" / path.name, ledger=False)
    for record in _run():
        other.append(record)
    other.close()
    path.write_bytes(other.path.read_bytes())


def _run() -> list[RunStarted | object]:
    h = header(3)
    return [h, started(1), finished(1), started(2), confirmed(2, LI, "no"), finished(2, "failed", "no"),
            *passed_run(3)[-1:], resumed(LI, ["s1"]), started(3), finished(3), *passed_run(3)[-1:]]


# records of _run(): 1 run-started, 2 step-started, 3 finished, 4 step-started, 5 confirmation, 6 finished(failed),
# 7 run-finished, 8 run-resumed, 9 step-started, 10 finished, 11 run-finished
TAMPERING: list[tuple[str, Callable[[Path], None], int | None, str]] = [
    ("edited answer", _edit(5, b'"answer":"no"', b'"answer":"yes"'), 5, "changed after it was written"),
    ("edited outcome", _edit(6, b'"outcome":"failed"', b'"outcome":"passed"'), 6, "changed after it was written"),
    ("edited last record", _edit(11, b'"outcome":"passed"', b'"outcome":"failed"'), 11, "not the run-finished record"),
    ("edited header", _edit(1, b'"environment":"lab"', b'"environment":"test"'), 1, "changed after it was written"),
    ("deleted record", _delete(5), 5, "holds record 6: record 5 before it were deleted"),
    ("deleted first record", _delete(1), 1, "holds record 2"),
    ("deleted resume", _delete(8), 8, "holds record 9"),
    ("inserted forged record", _insert_forged(4), 4, "was inserted"),
    ("reordered records", _swap(4), 4, "reordered"),
    ("truncated: last records removed", lambda p: _put(p, _lines(p)[:9]), 10, "records at the end were removed"),
    ("truncated: cut mid-line", _truncate_mid_line, 11, "cut short"),
    ("truncated to nothing", lambda p: p.write_bytes(b""), None, "empty"),
    ("whole chain recomputed", _rechain, 7, "not the run-finished record the ledger noted"),
    ("replaced by another journal", _replace_whole, 1, "not the run-started record the ledger noted"),
    ("a record added after the end", lambda p: _put(p, [*_lines(p), _lines(p)[-1]]), 12, "holds record 11"),
    ("a blank line", lambda p: _put(p, [*_lines(p)[:3], b"\n", *_lines(p)[3:]]), 4, "not a record"),
]


def _state(tmp_path: Path) -> Path:
    write(tmp_path, _run(), RUN)  # type: ignore[arg-type]
    write(tmp_path, passed_run(2), OTHER)
    assert verify(tmp_path).ok
    return tmp_path


@pytest.mark.parametrize(("change", "line", "says"), [t[1:] for t in TAMPERING], ids=[t[0] for t in TAMPERING])
def test_tampering_with_a_journal_is_caught(
    tmp_path: Path, change: Callable[[Path], None], line: int | None, says: str
) -> None:
    state = _state(tmp_path)
    change(state / "runs" / f"{RUN}.jsonl")
    report = verify(state)
    assert not report.ok
    broken = {j.run_id: j.problem for j in report.journals if j.problem}
    assert set(broken) == {RUN} and report.ledger_problem is None
    problem = broken[RUN]
    assert problem is not None and problem.line == line and says in problem.message, problem


def test_a_deleted_journal_is_caught(tmp_path: Path) -> None:
    state = _state(tmp_path)
    (state / "runs" / f"{RUN}.jsonl").unlink()
    (check,) = [j for j in verify(state).journals if j.run_id == RUN]
    assert check.problem is not None and "the journal is gone" in check.problem.message


def test_a_journal_the_ledger_never_saw_is_caught(tmp_path: Path) -> None:
    state = _state(tmp_path)
    forged = Journal(state / "runs" / "20261127-170000-forged-0003.jsonl", ledger=False)
    for record in passed_run(1):
        forged.append(record)
    forged.close()
    (check,) = [j for j in verify(state).journals if j.problem]
    assert check.run_id.endswith("forged-0003") and "not in the ledger" in str(check.problem)


LEDGER_TAMPERING: list[tuple[str, Callable[[Path], None], int | None, str]] = [
    ("edited entry", _edit(2, b'"record_type":"run-finished"', b'"record_type":"run-stopped"'), 2, "changed"),
    ("deleted entry", _delete(2), 2, "inserted, deleted or moved"),
    ("reordered entries", _swap(1), 1, "inserted, deleted or moved"),
    ("truncated mid-line", _truncate_mid_line, None, "cut short"),
    ("deleted ledger", lambda p: p.unlink(), None, "the ledger is missing"),
]


@pytest.mark.parametrize(("change", "line", "says"), [t[1:] for t in LEDGER_TAMPERING],
                         ids=[t[0] for t in LEDGER_TAMPERING])
def test_tampering_with_the_ledger_is_caught(
    tmp_path: Path, change: Callable[[Path], None], line: int | None, says: str
) -> None:
    state = _state(tmp_path)
    change(ledger_path(state))
    report = verify(state)
    assert not report.ok and report.ledger_problem is not None
    assert says in report.ledger_problem.message, report.ledger_problem
    if line is not None:
        assert report.ledger_problem.line == line


def test_a_resumed_run_keeps_one_chain_across_sessions(tmp_path: Path) -> None:
    path = write(tmp_path, [header(2), started(1), finished(1)], RUN)
    again = Journal(path)
    again.append(RunResumed(operator=LI, done=["s1"]))
    again.append(started(2))
    again.close()
    report = verify(tmp_path)
    assert report.ok and report.journals[0].records == 5


def test_verify_one_run_only(tmp_path: Path) -> None:
    state = _state(tmp_path)
    _edit(3, b'"reason":"exit 0"', b'"reason":"exit 1"')(state / "runs" / f"{OTHER}.jsonl")
    assert verify(state, [RUN]).ok
    assert not verify(state, [OTHER]).ok


def test_the_head_of_a_runs_end_goes_to_syslog_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import syslog

    sent: list[str] = []
    monkeypatch.setattr(syslog, "syslog", lambda priority, message: sent.append(message))
    monkeypatch.setattr(syslog, "openlog", lambda *args: None)
    monkeypatch.setenv("OTCCTL_AUDIT_SYSLOG", "authpriv")
    path = write(tmp_path, passed_run(1))
    head = __import__("hashlib").sha256(path.read_bytes().splitlines()[-1]).hexdigest()
    assert sent == [f"run {path.stem} run-finished record 4 head sha256 {head}"]
    monkeypatch.delenv("OTCCTL_AUDIT_SYSLOG")
    write(tmp_path, passed_run(1), OTHER)
    assert len(sent) == 1


def test_an_edited_summary_in_the_ledgers_last_line_is_caught(tmp_path: Path) -> None:
    """The ledger's last line has no successor to hold its hash; the journal replayed holds it to account."""
    state = _state(tmp_path)
    lines = _lines(ledger_path(state))
    assert b'"outcome":"passed"' in lines[-1]
    lines[-1] = lines[-1].replace(b'"outcome":"passed"', b'"outcome":"failed"')
    _put(ledger_path(state), lines)
    report = verify(state)
    (check,) = [j for j in report.journals if j.problem]
    assert check.run_id == OTHER and "the ledger was edited" in str(check.problem)


def test_a_ledger_cut_at_its_end_is_caught(tmp_path: Path) -> None:
    state = _state(tmp_path)
    _put(ledger_path(state), _lines(ledger_path(state))[:-1])  # OTHER's run-finished entry gone
    (check,) = [j for j in verify(state).journals if j.problem]
    assert check.run_id == OTHER and check.problem is not None
    assert check.problem.line == 6 and "the ledger never noted" in check.problem.message


def test_a_journal_copied_under_another_runs_name_is_caught(tmp_path: Path) -> None:
    state = _state(tmp_path)
    (state / "runs" / f"{OTHER}.jsonl").write_bytes((state / "runs" / f"{RUN}.jsonl").read_bytes())
    (check,) = [j for j in verify(state).journals if j.problem]
    assert check.run_id == OTHER and check.problem is not None and check.problem.line == 1
    assert f"belongs to run {RUN}" in check.problem.message


def test_an_edited_size_in_the_ledger_is_caught(tmp_path: Path) -> None:
    state = _state(tmp_path)
    lines = _lines(ledger_path(state))
    data = json.loads(lines[-1])
    data["journal_bytes"] += 1
    lines[-1] = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
    _put(ledger_path(state), lines)
    (check,) = [j for j in verify(state).journals if j.problem]
    assert check.run_id == OTHER and "not as long as the ledger says" in str(check.problem)


def test_hosts_recording_at_once_leave_one_unbroken_chain(tmp_path: Path) -> None:
    """A parallel step's hosts append from their threads: no line torn or interleaved, every one chained."""
    import threading

    from otcctl.run.journal import read_journal
    from otcctl.run.records import CommandSent, RunFinished

    journal = Journal.create(tmp_path, RUN)
    journal.append(header(1))
    journal.append(started(1))
    hosts = [f"H{n:02d}" for n in range(12)]
    go = threading.Barrier(len(hosts))

    def report(host: str) -> None:
        go.wait()
        for _ in range(15):
            journal.append(CommandSent(step="s1", no="1", host=host))

    threads = [threading.Thread(target=report, args=(host,)) for host in hosts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    journal.append(finished(1))
    journal.append(RunFinished(outcome="passed", steps=1))
    journal.close()

    read = read_journal(journal.path)
    assert not read.problems
    sent = [e.record for e in read.entries if isinstance(e.record, CommandSent)]
    assert sorted(r.host for r in sent) == sorted(hosts * 15)
    assert [e.stamp.seq for e in read.entries] == list(range(1, len(read.entries) + 1))
    assert verify(tmp_path).ok
