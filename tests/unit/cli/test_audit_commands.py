"""``runs``, ``log``, ``verify`` and ``report`` as an operator types them: exit codes, warnings, bad input."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import run_cli
from tests.unit.run.journal_fixtures import LI, confirmed, finished, header, passed_run, started, write

RUN = "20261127-153000-market-open-0001"
OTHER = "20261127-160000-monthly-restart-0002"


def _cli(state: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_cli(*args, env={"OTCCTL_STATE_DIR": str(state)})


def _history(tmp_path: Path) -> Path:
    write(tmp_path, passed_run(2), RUN)
    write(
        tmp_path, [header(2, "monthly-restart", LI), started(1), confirmed(1, LI, "no"), finished(1, "failed")], OTHER
    )
    return tmp_path


def test_runs_lists_every_run_with_its_columns_and_never_cuts_ids(tmp_path: Path) -> None:
    state = _history(tmp_path)
    shown = run_cli("runs", env={"OTCCTL_STATE_DIR": str(state), "COLUMNS": "80"})
    assert shown.returncode == 0 and RUN in shown.stdout and OTHER in shown.stdout
    assert "trading date" in shown.stdout and "lisi@ops-02 as root via sudo (李四)" in shown.stdout
    rows = json.loads(_cli(state, "runs", "--json", "--runbook", "monthly-restart").stdout)
    assert [r["run_id"] for r in rows] == [OTHER] and rows[0]["outcome"] == "incomplete"


def test_runs_shows_a_page_says_what_it_left_out_and_what_it_did_not_check(tmp_path: Path) -> None:
    state = _history(tmp_path)
    page = _cli(state, "runs", "--limit", "1")
    assert page.returncode == 0 and OTHER in page.stdout and RUN not in page.stdout
    assert "1 of 2 runs shown" in page.stdout
    assert "Not checked: the records before it (run `otcctl verify`" in page.stdout.replace("\n", " ")
    every = _cli(state, "runs", "--all")
    assert RUN in every.stdout and "runs shown" not in every.stdout
    assert len(json.loads(_cli(state, "runs", "--json").stdout)) == 2, "--json lists every run unless limited"
    assert len(json.loads(_cli(state, "runs", "--json", "--limit", "1").stdout)) == 1


def test_bad_filters_are_bad_input(tmp_path: Path) -> None:
    bad = _cli(_history(tmp_path), "runs", "--since", "yesterday")
    assert bad.returncode == 2 and "--since" in bad.stderr and "Traceback" not in bad.stderr


def test_verify_exits_1_naming_the_record_and_log_warns(tmp_path: Path) -> None:
    state = _history(tmp_path)
    ok = _cli(state, "verify", "--all")
    assert ok.returncode == 0 and "every chain holds" in ok.stdout
    journal = state / "runs" / f"{OTHER}.jsonl"
    journal.write_bytes(journal.read_bytes().replace(b'"answer":"no"', b'"answer":"yes"'))
    broken = _cli(state, "verify", "--all")
    assert broken.returncode == 1
    assert f"BROKEN  {OTHER}  {journal}, line 3: was changed after it was written" in broken.stdout
    as_json = json.loads(_cli(state, "verify", OTHER, "--json").stdout)
    assert as_json["ok"] is False and "line 3" in as_json["runs"][0]["problem"]
    assert "WARNING: the hash chain is broken" in _cli(state, "log", OTHER).stdout
    assert "WARNING" not in _cli(state, "log", RUN).stdout


def test_log_last_is_the_newest(tmp_path: Path) -> None:
    shown = _cli(_history(tmp_path), "log", "last")
    assert shown.returncode == 0 and f"run {OTHER}" in shown.stdout and "答复" not in shown.stdout


def test_verify_and_report_refuse_bad_input_in_one_paragraph(tmp_path: Path) -> None:
    state = _history(tmp_path)
    for args in (
        ("verify",),
        ("verify", RUN, "--all"),
        ("verify", "nosuchrun"),
        ("report", RUN, "-f", "docx"),
        ("report", "nosuchrun"),
    ):
        done = _cli(state, *args)
        assert done.returncode == 2 and done.stderr.strip() and "Traceback" not in done.stderr, args


def test_report_writes_every_format(tmp_path: Path) -> None:
    state = _history(tmp_path)
    for fmt in ("md", "html", "json"):
        done = _cli(state, "report", OTHER, "-f", fmt)
        assert done.returncode == 0 and "lisi" in done.stdout, fmt
    data = json.loads(_cli(state, "report", OTHER, "-f", "json").stdout)
    assert data["summary"]["outcome"] == "incomplete" and data["chain"]["ok"] is True
