"""Journal records: every kind written and read back typed, the operator shown by one rule, bad lines named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from otcctl.errors import InputError
from otcctl.run.journal import Journal, read_journal
from otcctl.run.lines import RecordError, parse_line
from otcctl.run.records import (
    RECORD_KINDS,
    VERSION,
    Operator,
    PreApproval,
    RunInterrupted,
    RunStopped,
    StepFinished,
    StepInterrupted,
)
from tests.unit.run.journal_fixtures import LI, ZHANG, confirmed, finished, header, passed_run, resumed, started, write


def test_every_kind_is_registered_once() -> None:
    assert set(RECORD_KINDS) == {
        "run-started",
        "pre-approval",
        "run-resumed",
        "step-started",
        "confirmation",
        "step-finished",
        "review-requested",
        "reviewed",
        "step-interrupted",
        "run-interrupted",
        "run-stopped",
        "run-finished",
        "run-refused",
        "command-sent",
        "host-finished",
    }


def test_every_kind_round_trips_typed(tmp_path: Path) -> None:
    records = [
        header(),
        PreApproval(operator=LI, statement="--assume-yes"),
        started(1),
        confirmed(1, LI),
        finished(1, answered=LI),
        StepInterrupted(step="s2", no="2"),
        RunInterrupted(reason="Ctrl-C"),
        resumed(ZHANG, ["s1"], "s2"),
        RunStopped(reason="no secret"),
        *passed_run()[1:],
    ]
    reading = read_journal(write(tmp_path, records))
    assert reading.problems == []
    assert reading.records == records
    assert [e.stamp.seq for e in reading.entries] == list(range(1, len(records) + 1))
    assert all(e.stamp.v == VERSION and e.stamp.run_id == reading.run_id for e in reading.entries)


def test_the_stated_name_is_written_as_operator_and_read_back(tmp_path: Path) -> None:
    path = write(tmp_path, [header(operator=LI)])
    line = json.loads(path.read_text(encoding="utf-8"))
    assert line["operator"] == {"login": "root", "machine": "ops-02", "sudo_user": "lisi", "operator": "李四"}
    assert read_journal(path).records[0] == header(operator=LI)


@pytest.mark.parametrize(
    ("operator", "shown", "short"),
    [
        (Operator(login="zhangsan", machine="ops-01"), "zhangsan@ops-01", "zhangsan"),
        (Operator(login="zhangsan", machine="ops-01", stated="张三"), "zhangsan@ops-01 (张三)", "zhangsan (张三)"),
        (
            Operator(login="root", machine="ops-02", sudo_user="lisi", stated="李四"),
            "lisi@ops-02 as root via sudo (李四)",
            "lisi as root via sudo (李四)",
        ),
        (Operator(login="root", machine="ops-02", stated="root"), "root@ops-02", "root"),
        # a stated name never replaces the identity, even when it names someone else
        (Operator(login="root", machine="ops-02", stated="lisi"), "root@ops-02 (lisi)", "root (lisi)"),
    ],
)
def test_an_operator_is_shown_by_one_rule(operator: Operator, shown: str, short: str) -> None:
    assert (str(operator), operator.short()) == (shown, short)


def test_the_same_person_is_the_same_os_account_never_the_same_name() -> None:
    assert LI.same_person(Operator(login="root", machine="other", sudo_user="lisi"))
    assert not ZHANG.same_person(Operator(login="lisi", machine="ops-01", stated="张三"))
    assert not Operator(login="root", machine="m", sudo_user="a").same_person(
        Operator(login="root", machine="m", sudo_user="b")
    )


def test_current_operator_takes_sudo_user_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUDO_USER", "wangwu")
    me = Operator.current("王五")
    assert me.sudo_user == "wangwu" and me.stated == "王五" and me.person == "wangwu" and me.login
    monkeypatch.delenv("SUDO_USER")
    assert Operator.current(None).sudo_user is None and Operator.current("").stated is None


GOOD = json.dumps(
    {
        "v": 2,
        "type": "run-interrupted",
        "seq": 1,
        "prev": "0" * 64,
        "time_utc": "t",
        "time_shanghai": "t",
        "run_id": "r",
        "reason": "Ctrl-C",
    }
)


@pytest.mark.parametrize(
    ("line", "message", "field"),
    [
        ('{"v": 2, "type": "run-interr', "not a JSON record", None),
        ("[1, 2]", "not a JSON object", None),
        (GOOD.replace("run-interrupted", "run-exploded"), "unknown record kind 'run-exploded'", "type"),
        (GOOD.replace('"v": 2', '"v": 9'), "record format version 9", "v"),
        (
            GOOD.replace('"reason": "Ctrl-C"', '"reason": 5'),
            "run-interrupted record: reason: Input should be a valid string",
            "reason",
        ),
        (GOOD.replace('"reason": "Ctrl-C"', '"why": "x"'), "reason: Field required", "reason"),
        (GOOD.replace('"run_id": "r", ', ""), "run_id: Field required", "run_id"),
        (GOOD.replace('"seq": 1, ', ""), "without its place in the hash chain", "seq"),
        (
            GOOD.replace('"reason": "Ctrl-C"', '"reason": "x", "extra": 1'),
            "extra: Extra inputs are not permitted",
            "extra",
        ),
    ],
)
def test_a_bad_line_is_refused_naming_the_field(line: str, message: str, field: str | None) -> None:
    with pytest.raises(RecordError) as caught:
        parse_line(line.encode(), 1, "")
    assert message in str(caught.value) and caught.value.field == field


def test_version_1_records_are_read_without_a_chain() -> None:
    old = {
        "v": 1,
        "type": "step-finished",
        "time_utc": "t",
        "time_shanghai": "t",
        "run_id": "r",
        "step": "a",
        "no": "1",
        "outcome": "passed",
        "reason": "ok",
        "attempts": 1,
        "duration": 0.1,
        "targets": [
            {
                "host": "M3",
                "passed": True,
                "reason": "ok",
                "exit_code": None,
                "stdout": "",
                "stderr": "",
                "duration": 0.1,
            }
        ],
    }
    entry = parse_line(json.dumps(old).encode(), 4, "h")
    assert isinstance(entry.record, StepFinished) and entry.stamp.seq is None and entry.line == 4


def test_a_reader_names_the_journal_and_line_and_goes_on(tmp_path: Path) -> None:
    path = write(tmp_path, passed_run(1))
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace('"step-started"', '"step-begun"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reading = read_journal(path)
    assert len(reading.entries) == 3 and [p.line for p in reading.problems] == [2]
    assert reading.describe(reading.problems[0]) == (
        f"journal {path}, line 2, field 'type': unknown record kind 'step-begun' (written by a newer otcctl, or edited)"
    )
    with pytest.raises(InputError, match=r"line 2, field 'type'"):
        reading.require_readable()


def test_a_torn_last_line_is_noted_and_cut_before_the_next_append(tmp_path: Path) -> None:
    path = write(tmp_path, passed_run(1)[:3])
    with path.open("ab") as f:
        f.write(b'{"v":2,"type":"run-fin')
    reading = read_journal(path)
    assert [(p.line, p.torn) for p in reading.problems] == [(4, True)]
    reading.require_readable()  # a crash's torn tail is no reason to refuse the journal
    journal = Journal(path)
    assert journal.repaired == len(b'{"v":2,"type":"run-fin') and journal.seq == 3
    journal.append(RunInterrupted(reason="resumed after a crash"))
    journal.close()
    again = read_journal(path)
    assert again.problems == [] and [e.stamp.seq for e in again.entries] == [1, 2, 3, 4]


def test_masking_reaches_every_string_before_the_disk(tmp_path: Path) -> None:
    journal = Journal.create(tmp_path, "r")
    journal.append(
        RunStopped(reason="password s3cret rejected"), mask=lambda d: json.loads(json.dumps(d).replace("s3cret", "***"))
    )
    journal.close()
    assert "s3cret" not in journal.path.read_text(encoding="utf-8")
    assert read_journal(journal.path).records == [RunStopped(reason="password *** rejected")]
