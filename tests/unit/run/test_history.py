"""``runs``: every journal listed, fast from the ledger, one bad journal never hiding the others, filters."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from otcctl.run.history import RunFilter, run_summaries
from otcctl.run.records import RunFinished
from tests.unit.run.journal_fixtures import LI, header, passed_run, started, write


def test_one_bad_journal_never_hides_the_others(tmp_path: Path) -> None:
    write(tmp_path, passed_run(1), "20261127-090000-a-0001")
    bad = write(tmp_path, passed_run(1), "20261127-100000-b-0002")
    bad.write_bytes(bad.read_bytes().replace(b'"run-started"', b'"run-begun"', 1))
    unreadable = tmp_path / "runs" / "20261127-110000-c-0003.jsonl"
    unreadable.mkdir()  # not even a file
    rows = run_summaries(tmp_path)
    ids = [r.summary.run_id for r in rows]
    assert ids == ["20261127-110000-c-0003", "20261127-100000-b-0002", "20261127-090000-a-0001"]
    assert rows[0].summary.outcome == "unreadable" and "cannot read" in rows[0].problems[0]
    assert rows[1].problems[0] == (
        f"journal {bad}, line 1, field 'type': unknown record kind 'run-begun' (written by a newer otcctl, or edited)"
    )
    assert rows[2].summary.outcome == "passed" and rows[2].problems == ()


def test_listing_uses_the_ledger_and_flags_what_changed_or_vanished(tmp_path: Path) -> None:
    kept = write(tmp_path, passed_run(2), "20261127-090000-a-0001")
    grown = write(tmp_path, passed_run(2), "20261127-100000-b-0002")
    gone = write(tmp_path, passed_run(2), "20261127-110000-c-0003")
    running = write(tmp_path, [header(2), started(1)], "20261127-120000-d-0004")
    with grown.open("ab") as f:
        f.write(grown.read_bytes().splitlines(keepends=True)[2])
    gone.unlink()
    rows = {r.summary.run_id: r for r in run_summaries(tmp_path)}
    assert rows[kept.stem].problems == () and rows[kept.stem].summary.outcome == "passed"
    assert "changed after the run ended" in rows[grown.stem].problems[-1]
    assert rows[gone.stem].summary.outcome == "journal missing" and "gone" in rows[gone.stem].problems[0]
    assert rows[running.stem].summary.outcome == "interrupted" and rows[running.stem].summary.in_flight == "s1"


def test_a_journal_the_ledger_never_saw_is_flagged(tmp_path: Path) -> None:
    write(tmp_path, passed_run(1), "20261127-090000-a-0001")
    from otcctl.run.journal import Journal

    forged = Journal(tmp_path / "runs" / "20261127-100000-x-0009.jsonl", ledger=False)
    for record in passed_run(1):
        forged.append(record)
    forged.close()
    (row,) = [r for r in run_summaries(tmp_path) if r.summary.run_id.endswith("x-0009")]
    assert "not in the ledger" in row.problems[0]


def test_filters(tmp_path: Path) -> None:
    write(tmp_path, passed_run(1), "20261127-090000-market-open-0001")
    write(
        tmp_path, [header(1, "monthly-restart", LI), RunFinished(outcome="failed", steps=0)], "20261127-100000-m-0002"
    )
    every = run_summaries(tmp_path)
    assert len(every) == 2

    def ids(f: RunFilter) -> list[str]:
        return [r.summary.run_id[-4:] for r in run_summaries(tmp_path, f)]

    assert ids(RunFilter(runbook="monthly-restart")) == ["0002"]
    assert ids(RunFilter(outcome="passed")) == ["0001"]
    assert ids(RunFilter(operator="lisi")) == ["0002"] and ids(RunFilter(operator="张三")) == ["0001"]
    assert ids(RunFilter(environment="production")) == []
    today = date.today()
    assert len(ids(RunFilter(since=today, until=today))) == 2 and ids(RunFilter(until=date(2000, 1, 1))) == []


def _same_size_edit(path: Path, old: bytes, new: bytes, line_from_end: int) -> None:
    """Edit one line in place, keeping the journal's size (what a size check alone would miss)."""
    assert len(old) == len(new)
    lines = path.read_bytes().splitlines(keepends=True)
    index = len(lines) - line_from_end
    assert old in lines[index]
    lines[index] = lines[index].replace(old, new, 1)
    path.write_bytes(b"".join(lines))


def test_a_same_size_edit_of_the_last_record_is_not_believed(tmp_path: Path) -> None:
    journal = write(tmp_path, [*passed_run(2)[:-1], RunFinished(outcome="failed", steps=2)], "20261127-090000-a-0001")
    _same_size_edit(journal, b'"outcome":"failed"', b'"outcome":"passed"', 1)
    (row,) = run_summaries(tmp_path)
    assert row.summary.outcome == "passed", "what the journal now says is shown ..."
    assert "its last record is not the run-finished record the ledger noted" in row.problems[0], "... and flagged"


def test_a_same_size_edit_before_the_last_record_is_left_to_verify(tmp_path: Path) -> None:
    """The listing says so in words (print_runs' footer); verify names the line."""
    from otcctl.run.audit import verify

    journal = write(tmp_path, passed_run(2), "20261127-090000-a-0001")
    _same_size_edit(journal, b'"reason":"exit 0"', b'"reason":"exit 9"', 2)
    (row,) = run_summaries(tmp_path)
    assert row.problems == ()
    assert not verify(tmp_path).ok


def test_a_journal_replaced_by_another_of_the_same_size_is_not_believed(tmp_path: Path) -> None:
    journal = write(tmp_path, passed_run(2), "20261127-090000-a-0001")
    other = write(tmp_path / "elsewhere", passed_run(2), "20261127-090000-a-0001")  # another run, same shape
    assert other.stat().st_size == journal.stat().st_size
    journal.write_bytes(other.read_bytes())
    (row,) = run_summaries(tmp_path)
    assert row.problems and "last record is not" in row.problems[0]


def test_a_truncated_journal_is_listed_as_it_now_reads_and_flagged(tmp_path: Path) -> None:
    journal = write(tmp_path, passed_run(3), "20261127-090000-a-0001")
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:-3]))  # step 3 and the end cut away
    (row,) = run_summaries(tmp_path)
    assert row.summary.outcome == "incomplete" and row.summary.steps_finished == 2
    assert "shorter than when the ledger noted its run-finished" in row.problems[0]


def test_in_flight_and_killed_runs_are_read_whole(tmp_path: Path) -> None:
    running = write(tmp_path, [header(3), started(1)], "20261127-090000-a-0001")
    killed = write(tmp_path, [header(3), started(1)], "20261127-100000-b-0002")
    with killed.open("ab") as f:
        f.write(b'{"v":2,"type":"step-fini')  # kill -9 in the middle of a write
    rows = {r.summary.run_id: r for r in run_summaries(tmp_path)}
    assert rows[running.stem].summary.in_flight == "s1" and rows[running.stem].problems == ()
    assert rows[killed.stem].summary.in_flight == "s1"
    assert "line 3" in rows[killed.stem].problems[0]


def test_a_page_builds_only_the_newest_rows_and_counts_the_rest(tmp_path: Path) -> None:
    from otcctl.run.history import history

    for n in range(5):
        write(tmp_path, passed_run(1), f"20261127-09000{n}-a-000{n}")
    gone = write(tmp_path, passed_run(1), "20261127-090009-a-0009")
    gone.unlink()
    (tmp_path / "runs" / "20261127-090000-a-0000.jsonl").write_bytes(b"older rows are not even read")
    page = history(tmp_path, None, 3)
    assert [r.summary.run_id[-4:] for r in page.rows] == ["0009", "0004", "0003"] and page.matched == 6
    assert page.rows[0].summary.outcome == "journal missing"
    failed = history(tmp_path, RunFilter(outcome="passed"), 2)
    assert [r.summary.run_id[-4:] for r in failed.rows] == ["0004", "0003"] and failed.matched == 4


def test_an_edited_ledger_summary_is_not_believed(tmp_path: Path) -> None:
    """The summary comes from the ledger only when the ledger line after it holds its hash, or the journal agrees."""
    failed = write(tmp_path, [header(1), RunFinished(outcome="failed", steps=0)], "20261127-090000-a-0001")
    newest = write(tmp_path, passed_run(1), "20261127-100000-b-0002")
    ledger = tmp_path / "ledger.jsonl"
    lines = ledger.read_bytes().splitlines(keepends=True)
    assert b'"outcome":"failed"' in lines[1] and b'"outcome":"passed"' in lines[-1]
    lines[1] = lines[1].replace(b'"outcome":"failed"', b'"outcome":"passed"')  # a later line holds its hash
    lines[-1] = lines[-1].replace(b'"outcome":"passed"', b'"outcome":"failed"')  # the ledger's last line
    ledger.write_bytes(b"".join(lines))
    rows = {r.summary.run_id: r for r in run_summaries(tmp_path)}
    assert rows[failed.stem].summary.outcome == "failed"
    assert "the ledger's entry for this run was changed" in rows[failed.stem].problems[0]
    assert rows[newest.stem].summary.outcome == "passed"
    assert "does not match the summary the ledger keeps" in rows[newest.stem].problems[0]


def test_an_untouched_history_lists_without_problems(tmp_path: Path) -> None:
    for n in range(3):
        write(tmp_path, passed_run(2), f"20261127-09000{n}-a-000{n}")
    assert [r.problems for r in run_summaries(tmp_path)] == [(), (), ()]
