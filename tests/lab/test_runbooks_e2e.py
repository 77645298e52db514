"""Every shipped runbook, run for real in the lab; people's steps answered by a scripted operator.

Two things are shown here, and they run side by side to keep the file fast (under xdist, on
different workers: the acceptance runs are one class, which a worker takes whole):

* **The acceptance runs** (background threads): ``otcctl run NAME -i LAB/inventory.yaml
  --assume-yes`` for every runbook in ``runbooks/``, as an operator would type it, against the
  session lab (the trading day in order: open, a monitoring round, close, end of day, clearing;
  the weekly, quarterly and yearly procedures; the weekend drill and its switchback) and, for
  the monthly restart, which reboots every host, against a lab of its own. Each must pass every
  step. The parameters given are the documented rehearsal overrides (time gates at 00:00, the
  lab's alert-log path, a holiday file, keep 24 months so the ADA step has nothing to remove).
* **The operator's side** (main thread, on a private rehearsal lab): the same runbooks in process
  through :func:`otcctl.run.session.start_run` with a :class:`ScriptedConfirmer` that also does what a
  person would do at the console (clean up with ADA, re-run a failed export). Here bad data is
  put in the lab on purpose, and the checks must fail on it: a dump without its archive, a
  failed export log, a backup too old, the wrong date typed into ADA, today's errors in the
  middleware logs and the alert log, a full disk.

Every service a test stops is started again, and every file it breaks is put back.
"""

from __future__ import annotations

import base64
import email
import email.policy
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from typing import Any

import pytest

from otcctl.connectors.winrm import clixml_to_text
from otcctl.domain.calendar import CalendarUnknownYear, TradingCalendar
from otcctl.domain.clock import SHANGHAI
from otcctl.plan.prepare import PlanRequest, prepare_plan
from otcctl.run.confirm import ConfirmRequest, ScriptedConfirmer
from otcctl.run.engine import PERSON_KINDS
from otcctl.run.events import RunResult
from otcctl.run.records import Operator as Identity
from otcctl.run.session import RunRequest, start_run
from otcctl_lab import Lab, lab_down
from otcctl_lab.layout import RUNNING, read_state
from otcctl_lab.oracle_standin.alertlog import ALERT_LOG, header
from otcctl_lab.power import set_service
from otcctl_lab.winrm_peer.drives import GIB, Drives
from otcctl_lab.winrm_peer.host import EmulatedHost, ServiceSpec
from otcctl_lab.winrm_peer.powershell import run as run_powershell
from otcctl_lab.winrm_peer.process import CommandLog, CommandRecord, Invocation, Machine, RunningCommand
from otcctl_lab.winrm_peer.seeding import export_log, seed_backups, seed_middleware_logs, sparse_file, text_file
from tests.conftest import start_lab
from tests.helpers import REPO, RUNBOOKS

SHIPPED = sorted(p.stem for p in RUNBOOKS.glob("*.yaml"))
VENV_BIN = str(Path(sys.executable).parent)
# The daily runbooks in the order of a trading day, then the rest; the monthly restart has its own lab.
SESSION_ORDER = ("market-open", "intraday-monitor", "market-close", "end-of-day", "clearing", "weekly-backup-cleanup",
                 "quarterly-archive-cleanup", "yearly-trading-calendar", "failover-drill", "failover-switchback")
RESTART_ORDER = ("monthly-restart",)
CLI_TIMEOUT = 240.0


# -- the lab ---------------------------------------------------------------------------------------

def run_date(lab: Lab) -> date:
    return datetime.strptime(lab.spec.date, "%Y%m%d").date()


def calendar_flags(day: date) -> list[str]:
    """``--allow-non-trading-day`` when the lab's date (today) does not trade or is not known yet."""
    try:
        return [] if TradingCalendar().is_trading_day(day) else ["--allow-non-trading-day"]
    except CalendarUnknownYear:
        return ["--allow-non-trading-day"]


def drives(lab: Lab, host: str) -> Path:
    """The folder behind the emulated Windows host's drive letters (``drives/D`` is D:)."""
    return lab.layout.state_dir / host / "drives"


def alert_log(lab: Lab) -> Path:
    return lab.layout.host_root("M1") / ALERT_LOG


def restore_services(lab: Lab) -> None:
    """Start again every stand-in service the runs left stopped (other tests expect them running)."""
    for host in lab.spec.hosts:
        for service in host.services:
            if read_state(lab.layout.service_state(host.id, service.name), RUNNING) != RUNNING:
                set_service(lab.layout, lab.spec, host.id, service.name, running=True)


def lab_runbooks(lab: Lab, folder: Path) -> Path:
    """The shipped runbooks, copied as they are (the lab's inventory is what differs, never the runbooks)."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in RUNBOOKS.glob("*.yaml"):
        (folder / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def holiday_file(folder: Path, year: int) -> Path:
    """What an operator types from the notices: closed ranges, one per line."""
    path = folder / f"holidays-{year}.txt"
    path.write_text(
        f"{year}-01-01 {year}-01-01 元旦\n{year}-02-08 {year}-02-12 春节\n{year}-04-05 {year}-04-05 清明节\n"
        f"{year}-05-03 {year}-05-05 劳动节\n{year}-10-01 {year}-10-07 国庆节\n",
        encoding="utf-8",
    )
    return path


def cli_params(name: str, lab: Lab, work: Path) -> list[str]:
    """The rehearsal overrides each runbook takes in the lab (time gates, lab paths, keep period)."""
    if name == "yearly-trading-calendar":
        return ["-p", f"ranges_file={holiday_file(work, run_date(lab).year + 1)}"]
    return {
        "market-close": ["-p", "close_time=00:00"],
        "end-of-day": ["-p", "close_time=00:00"],
        "clearing": ["-p", "clearing_time=00:00"],
        "monthly-restart": ["-p", "stop_at=00:00"],
        "intraday-monitor": ["-p", f"alert_log={alert_log(lab)}"],
        # nobody runs ADA in an unattended run: keep more months than the table holds, so nothing is due
        "quarterly-archive-cleanup": ["-p", "keep_months=24"],
    }.get(name, [])


# -- the acceptance runs, in the background --------------------------------------------------------

@dataclass(frozen=True)
class CliRun:
    name: str
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    records: tuple[dict[str, Any], ...]

    def outcomes(self) -> dict[str, str]:
        return {r["step"]: r["outcome"] for r in self.records if r["type"] == "step-finished"}


def _cli_sequence(lab: Lab, names: tuple[str, ...], work: Path, env: dict[str, str],
                  futures: dict[str, Future[CliRun]]) -> None:
    """Run each runbook with the CLI, one after the other, then put the lab's services back."""
    day = run_date(lab)
    try:
        books = lab_runbooks(lab, work / "runbooks")
        # `otcctl calendar create` (yearly runbook) writes the site's years into OTCCTL_CALENDAR_DIR
        env = {**env, "OTCLAB_WINRM_PASSWORD": lab.winrm_password(), "OTCCTL_STATE_DIR": str(work / "state"),
               "OTCCTL_CALENDAR_DIR": str(work / "calendar"), "NO_COLOR": "1", "COLUMNS": "200"}
        for name in names:
            future = futures[name]
            try:
                folder = books if name.startswith("failover-") else RUNBOOKS
                argv = [sys.executable, "-m", "otcctl", "run", name, "--runbooks", str(folder), "-i",
                        str(lab.inventory_path), "--assume-yes", "--date", lab.spec.date, "--operator", "演练",
                        *calendar_flags(day), *cli_params(name, lab, work)]
                started = time.monotonic()
                done = subprocess.run(argv, cwd=work, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                      text=True, timeout=CLI_TIMEOUT, check=False)
                seconds = time.monotonic() - started
                journals = sorted((work / "state" / "runs").glob(f"*-{name}-*.jsonl"), key=lambda p: p.stat().st_mtime)
                records = tuple(json.loads(line) for line in journals[-1].read_text(encoding="utf-8").splitlines()
                                if line) if journals else ()
                future.set_result(CliRun(name, done.returncode, done.stdout, done.stderr, seconds, records))
            except BaseException as exc:  # reported by the test that waits for this runbook
                future.set_exception(exc)
            if name in ("clearing", "failover-switchback"):
                restore_services(lab)
    finally:
        for future in (futures[name] for name in names):
            if not future.done():
                future.set_exception(RuntimeError("the sequence stopped before this runbook"))
        restore_services(lab)


@dataclass
class Background:
    futures: dict[str, Future[CliRun]]
    threads: list[threading.Thread]
    restart_lab: Lab


@pytest.fixture(scope="module")
def background(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Background]:
    """Starts the acceptance runs in background threads, for the tests of ``TestAcceptanceRuns`` to wait on."""
    env = dict(os.environ)  # a snapshot: the threads never read os.environ while tests change it
    restart_lab = start_lab(tmp_path_factory.mktemp("restart-lab"))
    futures: dict[str, Future[CliRun]] = {name: Future() for name in (*SESSION_ORDER, *RESTART_ORDER)}
    jobs = ((lab, SESSION_ORDER, "session"), (restart_lab, RESTART_ORDER, "restart"))
    threads = [threading.Thread(target=_cli_sequence, name=f"cli-{label}", daemon=True,
                                args=(each, names, tmp_path_factory.mktemp(f"cli-{label}"), env, futures))
               for each, names, label in jobs]
    for thread in threads:
        thread.start()
    try:
        yield Background(futures, threads, restart_lab)
    finally:
        for thread in threads:
            thread.join(timeout=CLI_TIMEOUT * len(SESSION_ORDER))
        lab_down(restart_lab.layout.root)


# -- the operator's side, in process on a private lab ----------------------------------------------

@pytest.fixture(scope="module")
def rehearsal(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A private lab for runs in this process; os.environ carries its WinRM password meanwhile."""
    private = start_lab(tmp_path_factory.mktemp("rehearsal-lab"))
    calendar = tmp_path_factory.mktemp("rehearsal-calendar")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OTCLAB_WINRM_PASSWORD", private.winrm_password())
        patch.setenv("OTCCTL_CALENDAR_DIR", str(calendar))  # the yearly runbook's `otcctl calendar create`
        try:
            yield private
        finally:
            lab_down(private.layout.root)


class Operator(ScriptedConfirmer):
    """A person at the console: answers from the script, and first does by hand what a step asks."""

    def __init__(self, answers: list[Any], actions: dict[str, Callable[[ConfirmRequest], None]] | None = None):
        super().__init__(answers)
        self.actions = actions or {}

    def ask(self, request: ConfirmRequest) -> Any:
        action = self.actions.get(request.step_id)
        if action is not None:
            action(request)
        return super().ask(request)

    def steps(self, purpose: str = "confirm") -> list[str]:
        """The steps that asked, in order (``self.asked`` holds the whole requests)."""
        return [r.step_id for r in self.asked if r.purpose == purpose]

    def request(self, step_id: str) -> ConfirmRequest:
        return next(r for r in self.asked if r.step_id == step_id)


def person_steps(name: str, lab: Lab, runbooks: Path = RUNBOOKS, params: dict[str, str] | None = None) -> list[str]:
    """Steps that ask the operator when they pass: manual and pause steps, and ``confirm: true``."""
    plan = prepare_plan(PlanRequest(name, params or {}, run_date(lab), lab.inventory_path, runbooks))
    return [p.id for p in plan.steps if p.kind in PERSON_KINDS or p.step.confirm]


def run_in_process(lab: Lab, name: str, operator: Operator, state: Path, runbooks: Path = RUNBOOKS,
                   **params: str) -> RunResult:
    day = run_date(lab)
    request = RunRequest(PlanRequest(name, params, day, lab.inventory_path, runbooks), Identity.current("张三"),
                         allow_non_trading_day=bool(calendar_flags(day)))
    return start_run(request, state, operator, [])


def outcomes(result: RunResult) -> dict[str, str]:
    return {s.step_id: s.outcome for s in result.steps}


def output(result: RunResult, step_id: str, host: str | None = None) -> str:
    step = next(s for s in result.steps if s.step_id == step_id)
    return "".join(t.stdout for t in step.targets if host is None or t.host == host)


def mail_subjects(lab: Lab) -> list[str]:
    """Subjects of the mail the lab's SMTP sink received."""
    return [str(email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["Subject"])
            for p in sorted((lab.layout.root / "mail").glob("*.eml"))]



def test_quarterly_ada_step_is_asked_with_the_start_date_warning_and_checked_after(rehearsal: Lab,
                                                                                   tmp_path: Path) -> None:
    database = rehearsal.layout.host_root("M1") / "otcdb.sqlite"
    saved = database.read_bytes()
    cutoff: dict[str, str] = {}

    def note_cutoff(request: ConfirmRequest) -> None:  # the operator writes CUTOFF down from step 2
        found = re.search(r"\b(\d{8})\b", "".join(t.get("stdout", "") for t in request.evidence))
        assert found, request.evidence
        cutoff["date"] = found.group(1)

    def clean_with_ada(request: ConfirmRequest) -> None:  # ADA 日常管理 -> 数据清理, the cut-off typed in
        with sqlite3.connect(database) as connection:
            connection.execute('delete from "aboss.tdrwt_wgd" where wtrq < ?', (cutoff["date"],))

    try:
        expected = person_steps("quarterly-archive-cleanup", rehearsal)
        operator = Operator(["yes"] * len(expected), {"rows-before-cutoff": note_cutoff,
                                                      "ada-data-cleanup": clean_with_ada})
        result = run_in_process(rehearsal, "quarterly-archive-cleanup", operator, tmp_path / "state")
        assert result.outcome == "passed", outcomes(result)
        assert operator.steps() == expected == ["earliest-unarchived-date", "rows-before-cutoff", "ada-data-cleanup",
                                                "kept-rows-intact"]
        ada = operator.request("ada-data-cleanup")
        assert "ADA.exe" in ada.action and "起始日期" in ada.extra["instructions"]
        assert "实际为截止日期" in ada.extra["instructions"] and "CUTOFF" in ada.extra["instructions"]
        first = operator.request("rows-before-cutoff").evidence[0]["stdout"]
        kept_before = int(first.split()[-1])  # CUTOFF ROWS_TO_CLEAN ROWS_TO_KEEP
        kept_after = operator.request("kept-rows-intact").evidence[0]["stdout"].split()[-1]
        assert int(kept_after) == kept_before > 0  # what the operator compares (A37)
        assert "BACKUP_RECENT" in output(result, "recent-backup-exists")
    finally:
        database.write_bytes(saved)


def test_quarterly_wrong_date_in_ada_fails_the_check_after_it(rehearsal: Lab, tmp_path: Path) -> None:
    """The manual's warning: typing the earliest date into 起始日期 leaves the old rows in place."""
    database = rehearsal.layout.host_root("M1") / "otcdb.sqlite"
    saved = database.read_bytes()

    def wrong_date_in_ada(request: ConfirmRequest) -> None:
        with sqlite3.connect(database) as connection:
            earliest = connection.execute('select min(wtrq) from "aboss.tdrwt_wgd"').fetchone()[0]
            connection.execute('delete from "aboss.tdrwt_wgd" where wtrq < ?', (earliest,))

    try:
        operator = Operator(["yes"] * 3, {"ada-data-cleanup": wrong_date_in_ada})
        result = run_in_process(rehearsal, "quarterly-archive-cleanup", operator, tmp_path / "state")
        assert result.outcome == "failed"
        assert outcomes(result)["nothing-before-cutoff"] == "failed"
        assert "kept-rows-intact" not in outcomes(result)
    finally:
        database.write_bytes(saved)


def test_quarterly_refuses_to_clean_without_a_recent_backup(rehearsal: Lab, tmp_path: Path) -> None:
    day = run_date(rehearsal)
    recent = [p for p in drives(rehearsal, "M5").glob("?/backup/*.dmp")
              if datetime.fromtimestamp(p.stat().st_mtime, SHANGHAI).date() >= day - timedelta(days=1)]
    times = {p: p.stat().st_mtime for p in recent}
    stale = datetime.combine(day - timedelta(days=3), time_of_day(16, 30), SHANGHAI)
    try:
        for path in recent:  # the last two nights' exports did not run: the newest dump is three days old
            os.utime(path, (stale.timestamp(), stale.timestamp()))
        operator = Operator(["yes"] * 2)
        result = run_in_process(rehearsal, "quarterly-archive-cleanup", operator, tmp_path / "state")
        assert result.outcome == "failed" and outcomes(result)["recent-backup-exists"] == "failed"
        assert "BACKUP_TOO_OLD" in output(result, "recent-backup-exists")
        assert "ada-data-cleanup" not in operator.steps()  # ADA is never reached
    finally:
        for path, mtime in times.items():
            os.utime(path, (mtime, mtime))


@pytest.mark.slow(25)
def test_trading_day_with_a_scripted_operator(rehearsal: Lab, tmp_path: Path) -> None:
    """Open, close, end of day and clearing; the first export log says the export failed."""
    day = run_date(rehearsal)
    log = drives(rehearsal, "M5") / "D" / "backup" / f"OTCDB_{day:%Y%m%d}.log"
    good, written = log.read_bytes(), log.stat().st_mtime
    text_file(log, export_log(day, ok=False), datetime.fromtimestamp(written, SHANGHAI))

    def export_again(request: ConfirmRequest) -> None:  # the DBA re-runs exp; the operator answers retry
        assert request.purpose == "failure" and "EXPORT_NOT_SUCCESSFUL" in request.evidence[0]["stdout"]
        assert "EXP-00000" in request.evidence[0]["stdout"]
        log.write_bytes(good)
        os.utime(log, (written, written))

    state = tmp_path / "state"
    try:
        # this site stops the report program at the end of day (the opt-in), so clearing checks it is stopped
        for name, params in (("market-open", {}), ("market-close", {"close_time": "00:00"}),
                             ("end-of-day", {"close_time": "00:00", "stop_report_program": "yes"})):
            operator = Operator(["yes"] * len(person_steps(name, rehearsal, params=params)))
            result = run_in_process(rehearsal, name, operator, state, **params)
            assert result.outcome == "passed", (name, outcomes(result))
            assert operator.steps() == person_steps(name, rehearsal, params=params)
            if name == "market-open":
                gateway = operator.request("restart-md-gateway")
                assert "DDV5-HQZH-54" in gateway.extra["instructions"] and "CMD" in gateway.extra["instructions"]
            if name == "end-of-day":
                assert "FDEP" in operator.request("exit-bsmr-gateway").extra["instructions"]
        operator = Operator(["yes", "retry", "yes"], {"backup-log-ok": export_again})
        result = run_in_process(rehearsal, "clearing", operator, state, clearing_time="00:00",
                                stop_report_program="yes")
        assert result.outcome == "passed", outcomes(result)
        assert outcomes(result)["report-program-stopped"] == "passed"
        assert [(r.step_id, r.purpose) for r in operator.asked] == [
            ("run-clearing", "confirm"), ("backup-log-ok", "failure"), ("clearing-sign-off", "confirm")]
        assert "清算部" in operator.request("run-clearing").extra["instructions"]
        assert "BACKUP_OK" in output(result, "backup-file-today")
        log_check = output(result, "backup-log-ok")
        assert "EXPORT_LOG_OK" in log_check and "没有出现警告" not in log_check  # the success line is no warning
        assert any("清算文件已到齐" in subject for subject in mail_subjects(rehearsal))
    finally:
        log.write_bytes(good)
        os.utime(log, (written, written))
        restore_services(rehearsal)


@pytest.mark.slow(80)
def test_weekend_drill_and_switchback_with_a_scripted_operator(rehearsal: Lab, tmp_path: Path) -> None:
    books = lab_runbooks(rehearsal, tmp_path / "runbooks")
    state = tmp_path / "state"
    try:
        for name in ("failover-drill", "failover-switchback"):
            expected = person_steps(name, rehearsal, books)
            operator = Operator(["yes"] * len(expected))
            result = run_in_process(rehearsal, name, operator, state, books)
            assert result.outcome == "passed", (name, outcomes(result))
            assert operator.steps() == expected
            switch = "switch-database" if name == "failover-drill" else "switch-database-back"
            assert "九桥" in operator.request(switch).extra["instructions"]
    finally:
        restore_services(rehearsal)


@pytest.mark.slow(18)
def test_drill_rolls_back_from_its_first_stop(rehearsal: Lab, tmp_path: Path) -> None:
    """A failure right after OTCTranSZT is stopped (a program cannot be closed) restarts what was stopped."""
    books = lab_runbooks(rehearsal, tmp_path / "runbooks")
    try:
        # confirm non-trading day, clearing; the gateways cannot be closed: "no"; run the rollback;
        # then the rollback's manual step (reopen programs) is confirmed
        operator = Operator(["yes", "yes", "no", "yes", "yes"])
        result = run_in_process(rehearsal, "failover-drill", operator, tmp_path / "state", books)
        assert result.outcome != "passed"
        done = outcomes(result)
        assert done["stop-report-program"] == "passed" and done["close-exchange-report-gateways"] == "failed"
        assert "switch-database" not in done and "rb-db-switch-back" not in done  # nothing switched, nothing to undo
        assert done["rb-start-middleware"] == "passed" and done["rb-middleware-ports"] == "passed"
        state = read_state(rehearsal.layout.service_state("M5", "OTCTranSZT"), RUNNING)
        assert state == RUNNING  # the report program is running again
        assert any("演练中止" in s for s in mail_subjects(rehearsal))
    finally:
        restore_services(rehearsal)


def test_monthly_restart_refuses_before_stopping_anything_without_todays_backup(rehearsal: Lab,
                                                                                  tmp_path: Path) -> None:
    day = run_date(rehearsal)
    today = [p for p in drives(rehearsal, "M5").glob("?/backup/*.dmp")
             if datetime.fromtimestamp(p.stat().st_mtime, SHANGHAI).date() == day]
    times = {p: p.stat().st_mtime for p in today}
    yesterday = datetime.combine(day - timedelta(days=1), time_of_day(17, 0), SHANGHAI).timestamp()
    try:
        for path in today:  # tonight's export has not run yet
            os.utime(path, (yesterday, yesterday))
        operator = Operator(["yes"])  # the clearing department confirms
        result = run_in_process(rehearsal, "monthly-restart", operator, tmp_path / "state", stop_at="00:00")
        assert result.outcome == "failed" and outcomes(result)["backup-done"] == "failed"
        assert "NOT_FROM_RUN_DATE" in output(result, "backup-done")
        assert "stop-middleware" not in outcomes(result)
        assert read_state(rehearsal.layout.service_state("M5", "MCenter"), RUNNING) == RUNNING
    finally:
        for path, mtime in times.items():
            os.utime(path, (mtime, mtime))


def test_monthly_restart_refuses_before_stopping_anything_when_clearing_is_not_done(rehearsal: Lab,
                                                                                     tmp_path: Path) -> None:
    operator = Operator(["no"])  # the clearing department: not finished yet
    result = run_in_process(rehearsal, "monthly-restart", operator, tmp_path / "state", stop_at="00:00")
    assert result.outcome == "failed" and outcomes(result)["clearing-done"] == "failed"
    assert list(outcomes(result)) == ["notify-maintenance", "wait-for-stop-time", "clearing-done"]
    assert read_state(rehearsal.layout.service_state("M5", "FOS"), RUNNING) == RUNNING


@pytest.mark.slow(9)
def test_end_of_day_leaves_the_report_program_running_unless_the_site_opts_in(rehearsal: Lab,
                                                                            tmp_path: Path) -> None:
    plain = prepare_plan(PlanRequest("end-of-day", {}, run_date(rehearsal), rehearsal.inventory_path, RUNBOOKS))
    assert "stop-report-program" not in [p.id for p in plain.steps]
    assert [s.split(" ")[0] for s in plain.skipped] == ["stop-report-program", "exit-bsmr-gateway",
                                                         "no-orders-after-stop"]
    opted = prepare_plan(PlanRequest("end-of-day", {"stop_report_program": "yes"}, run_date(rehearsal),
                                     rehearsal.inventory_path, RUNBOOKS))
    assert "stop-report-program" in [p.id for p in opted.steps] and not opted.skipped
    try:
        operator = Operator(["yes"] * 2)
        result = run_in_process(rehearsal, "end-of-day", operator, tmp_path / "state", close_time="00:00")
        assert result.outcome == "passed", outcomes(result)
        assert read_state(rehearsal.layout.service_state("M5", "OTCTranSZT"), RUNNING) == RUNNING
        # had the site stopped it, the next open starts it again
        set_service(rehearsal.layout, rehearsal.spec, "M5", "OTCTranSZT", running=False)
        operator = Operator(["yes"] * 3)
        result = run_in_process(rehearsal, "market-open", operator, tmp_path / "state2")
        assert outcomes(result)["start-report-program"] == "passed", outcomes(result)
        assert read_state(rehearsal.layout.service_state("M5", "OTCTranSZT"), RUNNING) == RUNNING
    finally:
        restore_services(rehearsal)


def test_yearly_calendar_with_a_scripted_operator(rehearsal: Lab, tmp_path: Path) -> None:
    year = run_date(rehearsal).year + 1
    ranges = holiday_file(tmp_path, year)
    expected = person_steps("yearly-trading-calendar", rehearsal)
    operator = Operator(["yes"] * len(expected))
    result = run_in_process(rehearsal, "yearly-trading-calendar", operator, tmp_path / "state",
                            ranges_file=str(ranges))
    assert result.outcome == "passed", outcomes(result)
    assert operator.steps() == expected
    written = Path(os.environ["OTCCTL_CALENDAR_DIR"]) / f"{year}.yaml"
    assert written.exists() and "国庆节" in written.read_text(encoding="utf-8")
    assert not (REPO / "src" / "otcctl" / "domain" / "data" / "calendar" / f"{year}.yaml").exists()


def test_weekly_cleanup_never_deletes_a_dump_without_its_archive(rehearsal: Lab, tmp_path: Path) -> None:
    day = run_date(rehearsal)
    root = drives(rehearsal, "M5")
    orphan_day = day - timedelta(days=18)  # old enough to be deleted, but its archive went missing
    archive = root / "M" / "backup" / f"OTCDB_{orphan_day:%Y%m%d}.rar"
    archive_time = archive.stat().st_mtime
    archive.unlink()
    try:
        operator = Operator(["yes"] * 5)  # the failure: "go on anyway"; then the four confirmations
        result = run_in_process(rehearsal, "weekly-backup-cleanup", operator, tmp_path / "state")
        assert operator.asked[0].purpose == "failure"
        check_step = next(s for s in result.steps if s.step_id == "check-rar-matches")
        assert result.outcome == "passed-with-exceptions" and "waived by the operator" in check_step.reason
        assert check_step.outcome == "waived"
        check = output(result, "check-rar-matches")
        assert f"UNMATCHED E:\\backup\\OTCDB_{orphan_day:%Y%m%d}.dmp" in check and "UNMATCHED=1" in check
        assert f"OTCDB_{orphan_day:%Y%m%d}" not in output(result, "list-delete-candidates")
        assert (root / "E" / "backup" / f"OTCDB_{orphan_day:%Y%m%d}.dmp").exists()
        deleted = re.findall(r"DELETED (\S+)", output(result, "delete-old-dumps"))
        assert deleted and all(not Path(p.replace("\\", "/")).name.startswith(f"OTCDB_{orphan_day:%Y%m%d}")
                               for p in deleted)
        assert not (root / "E" / "backup" / f"OTCDB_{day - timedelta(days=20):%Y%m%d}.dmp").exists()
        assert (root / "E" / "backup" / f"OTCDB_{day - timedelta(days=14):%Y%m%d}.dmp").exists()
    finally:
        sparse_file(archive, 3 * GIB // 2, datetime.fromtimestamp(archive_time, SHANGHAI))


def test_weekly_cleanup_deletes_exactly_the_confirmed_list(rehearsal: Lab, tmp_path: Path) -> None:
    """A dump that becomes deletable after the list was confirmed is not deleted; a file struck off is kept."""
    day = run_date(rehearsal)
    root = drives(rehearsal, "M5")

    def pair(name: str, days: int) -> Path:
        when = datetime.combine(day - timedelta(days=days), time_of_day(17, 0), SHANGHAI)
        sparse_file(root / "M" / "backup" / f"{name}.rar", 512, when)
        return sparse_file(root / "E" / "backup" / f"{name}.dmp", 1024, when)

    listed = pair("OTCDB_LISTED", 30)
    struck = pair("OTCDB_STRUCK", 31)
    late: list[Path] = []

    def after_listing(request: ConfirmRequest) -> None:
        late.append(pair("OTCDB_LATE", 40))  # meanwhile a new old dump and its archive appear
        list_file = root / "D" / "backup" / f"otcctl-delete-list-{day:%Y%m%d}.txt"
        lines = list_file.read_text(encoding="utf-8-sig").splitlines()
        assert any(listed.name in x for x in lines) and any(struck.name in x for x in lines)
        kept = [x for x in lines if struck.name not in x]  # the operator strikes one file off the list
        list_file.write_text("\r\n".join(kept) + "\r\n", encoding="utf-8-sig")

    try:
        operator = Operator(["yes"] * 3, {"list-delete-candidates": after_listing})
        result = run_in_process(rehearsal, "weekly-backup-cleanup", operator, tmp_path / "state")
        assert result.outcome == "passed", outcomes(result)
        deleted = output(result, "delete-old-dumps")
        assert re.search(r"DELETED_COUNT=(\d+) LISTED=\1", deleted), deleted
        assert not listed.exists() and struck.exists() and late and late[0].exists()
        assert not list((root / "D" / "backup").glob("otcctl-delete-list-*.txt"))
    finally:
        for path in (listed, struck, *late):
            path.unlink(missing_ok=True)
            (root / "M" / "backup" / path.with_suffix(".rar").name).unlink(missing_ok=True)


def test_weekly_check_stops_the_run_when_the_operator_says_no(rehearsal: Lab, tmp_path: Path) -> None:
    day = run_date(rehearsal)
    archive = drives(rehearsal, "M5") / "M" / "backup" / f"OTCDB_{day - timedelta(days=1):%Y%m%d}.rar"
    archive_time = archive.stat().st_mtime
    archive.write_bytes(b"")  # the compression job left an empty archive: not a match
    try:
        operator = Operator(["no"])
        result = run_in_process(rehearsal, "weekly-backup-cleanup", operator, tmp_path / "state")
        assert result.outcome == "failed" and outcomes(result)["check-rar-matches"] == "failed"
        assert "delete-old-dumps" not in outcomes(result)
        unmatched = f"UNMATCHED D:\\backup\\OTCDB_{day - timedelta(days=1):%Y%m%d}.dmp"
        assert unmatched in output(result, "check-rar-matches")
    finally:
        sparse_file(archive, 3 * GIB // 2, datetime.fromtimestamp(archive_time, SHANGHAI))


def test_monitoring_round_reports_todays_errors_and_a_full_disk(rehearsal: Lab, tmp_path: Path) -> None:
    day = run_date(rehearsal)
    fos_log = drives(rehearsal, "M6") / "D" / "ABOSS2" / "log" / f"FOS_{day:%Y%m%d}.log"
    alert = alert_log(rehearsal)
    saved = {fos_log: fos_log.read_bytes(), alert: alert.read_bytes()}
    saved_times = {p: p.stat().st_mtime for p in saved}
    filler = drives(rehearsal, "M5") / "C" / "pagefile.sys"
    try:
        with fos_log.open("ab") as handle:
            handle.write(f"{day.isoformat()} 10:12:40.221 [ERROR] 连接数据库失败 ORA-12541: TNS: 无监听程序\r\n"
                         .encode("gbk"))
        with alert.open("a", encoding="utf-8") as handle:
            handle.write(header(datetime.combine(day, time_of_day(10, 12)))
                         + "\nORA-00600: internal error code, arguments: [kcbgcur_3], [], [], [], [], [], [], []\n")
        sparse_file(filler, 45 * GIB, datetime.now(SHANGHAI))  # C: 100 GB, 40 used: now 85 %
        result = run_in_process(rehearsal, "intraday-monitor", Operator([]), tmp_path / "state",
                                alert_log=str(alert))
        assert result.outcome == "failed"
        failed = {step for step, outcome in outcomes(result).items() if outcome != "passed"}
        assert failed == {"db-alert-log", "middleware-log-errors", "disk-windows"}
        assert "ORA-00600" in output(result, "db-alert-log") and "ORA_COUNT=1" in output(result, "db-alert-log")
        m6 = output(result, "middleware-log-errors", "M6")
        assert "FOS_" in m6 and "ORA-12541" in m6 and "ERROR_LINES=1" in m6
        # yesterday's BLS timeout is in yesterday's file: not counted today
        assert "ERROR_LINES=0" in output(result, "middleware-log-errors", "M5")
        assert "C: used=85%" in output(result, "disk-windows", "M5")
        assert "MAX_USED=85%" in output(result, "disk-windows", "M5")
    finally:
        filler.unlink(missing_ok=True)
        for path, data in saved.items():
            path.write_bytes(data)
            os.utime(path, (saved_times[path], saved_times[path]))


# -- the acceptance runs' results ------------------------------------------------------------------

class TestAcceptanceRuns:
    """Every test that uses ``background``: a class, so parallel workers take it whole (tests/conftest.py)
    and one worker runs the sequences once; the other workers take this file's other tests meanwhile."""

    def test_runs_start_for_every_shipped_runbook(self, background: Background) -> None:
        assert sorted((*SESSION_ORDER, *RESTART_ORDER)) == SHIPPED
        assert len(background.threads) == 2 and set(background.futures) == set(SHIPPED)

    @pytest.mark.parametrize("name", [*SESSION_ORDER, *RESTART_ORDER])
    def test_cli_run_completes_in_the_lab(self, background: Background, name: str) -> None:
        run = background.futures[name].result(timeout=CLI_TIMEOUT * 3)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
        assert "run passed" in run.stdout
        assert run.outcomes() and set(run.outcomes().values()) == {"passed"}, run.outcomes()
        plan_steps = next(r for r in run.records if r["type"] == "run-started")["steps"]
        assert [s["id"] for s in plan_steps] == list(run.outcomes())


# -- the PowerShell the runbooks need, pinned with data (no lab: an emulated host in this process) -

@pytest.fixture(scope="module")
def powershell(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[int, str, str]]:
    """Runs a script on an emulated M5 (seeded for 2026-11-27); returns (exit code, stdout, stderr)."""
    root = tmp_path_factory.mktemp("ps-host")
    seed_backups(root / "drives", date(2026, 11, 27), 21)
    seed_middleware_logs(root / "drives", date(2026, 11, 27), ("FOS", "BLS"))
    host = EmulatedHost("127.0.9.15", root / "state", (ServiceSpec("FOS", None, display_name="FOS 数据库服务"),),
                        service_ports=False)
    machine = Machine(host, Drives(root / "drives"), "OTC-M5")
    log = CommandLog(root / "commands.jsonl")

    def run(script: str) -> tuple[int, str, str]:
        command = RunningCommand(CommandRecord("c", "s", "OTC\\otcops", "powershell", 0.0), log, 65001)
        encoded = base64.b64encode(script.encode("utf-16-le")).decode()
        code = run_powershell(["-NoProfile", "-EncodedCommand", encoded], Invocation(command, machine, "OTC\\otcops"))
        received = command.receive(0, 1 << 20)
        out, err = (received[0], received[1]) if received else (b"", b"")
        return code, out.decode("utf-8").replace("\r\n", "\n"), clixml_to_text(err.decode("utf-8"))

    return run


@pytest.mark.parametrize(("script", "code", "stdout"), [
    ("'DMP=' + @(1, 2).Count + ' RAR=' + @{}.Count", 0, "DMP=2 RAR=0\n"),
    ("[datetime]::ParseExact('20261127', 'yyyyMMdd', $null).AddDays(-1 * [int]'14').ToString('yyyy-MM-dd')", 0,
     "2026-11-13\n"),
    ("[math]::Round(3 * 8589934592 / 1GB, 1); [math]::Round(7 / 2); 100 - 100 * 60 / 100", 0, "24\n4\n40\n"),
    ("$h = @{}; $h['OTCDB_1'] = 'x'; $h.ContainsKey('otcdb_1'); $h['OTCDB_2'] -eq $null", 0, "True\nTrue\n"),
    ("$n = 0; foreach ($i in 1..4) { if ($i -eq 3) { continue }; $n += $i }; $n; $n++; $n", 0, "7\n8\n"),
    ("if (-not (Test-Path -LiteralPath 'M:\\nothing')) { 'ARCHIVE_NOT_FOUND'; exit 2 }; 'not reached'", 2,
     "ARCHIVE_NOT_FOUND\n"),
    ("'a.DMP'.ToLower().EndsWith('.dmp'); 'OTCDB_1.dmp' -like 'otcdb_*'; 'x1' -match '\\d'; $Matches[0]", 0,
     "True\nTrue\nTrue\n1\n"),
    ("@(3, 1, 2) | Sort-Object -Descending | Select-Object -First 2; @(1, 2, 3) -gt 1", 0, "3\n2\n2\n3\n"),
    ("Set-Content -LiteralPath 'D:\\backup\\l.txt' -Value @('D:\\backup\\a.dmp', 'b') -Encoding UTF8; "
     "@(Get-Content -LiteralPath 'D:\\backup\\l.txt' -Encoding UTF8 | Where-Object { $_ -ne '' }).Count; "
     "Remove-Item -LiteralPath 'D:\\backup\\l.txt'; Test-Path -LiteralPath 'D:\\backup\\l.txt'", 0, "2\nFalse\n"),
    ("$d = [datetime]::ParseExact('20261127', 'yyyyMMdd', $null); 'x' + $d; $d.ToString()", 0,
     "x11/27/2026 00:00:00\n2026/11/27 0:00:00\n"),
    ("$f = Get-ChildItem -LiteralPath 'D:\\backup' -Filter *.dmp | Sort-Object LastWriteTime -Descending | "
     "Select-Object -First 1; $f.Name + ' ' + $f.Length + ' ' + $f.LastWriteTime.ToString('HH:mm') + ' ' + "
     "$f.BaseName + ' ' + $f.Extension + ' ' + $f.DirectoryName", 0,
     "OTCDB_20261127.dmp 8589934592 16:30 OTCDB_20261127 .dmp D:\\backup\n"),
    ("@(Get-ChildItem -LiteralPath 'M:\\' -Recurse -Filter *.rar).Count", 0, "21\n"),
    ("Get-Content -LiteralPath 'D:\\backup\\OTCDB_20261127.log' | Select-String -Pattern '成功终止' | "
     "ForEach-Object { $_.LineNumber.ToString() + ':' + $_.Line }", 0, "32:成功终止导出, 没有出现警告。\n"),
    ("Get-ChildItem -LiteralPath 'D:\\ABOSS2\\log' -Recurse | Select-String -Pattern 'error|失败' -Encoding Default | "
     "ForEach-Object { $_.Filename + ':' + $_.LineNumber }", 0, "BLS_20261126.log:4\n"),
    ("Get-WmiObject Win32_LogicalDisk -Filter 'DriveType=3' | Where-Object { $_.DeviceID -eq 'C:' } | "
     "ForEach-Object { [math]::Round(100 - 100 * $_.FreeSpace / $_.Size) }", 0, "40\n"),
    ("[math]::Round((Get-PSDrive E).Free / 1GB, 2); @(1, 2) -join ','", 0, "340\n1,2\n"),
])
def test_powershell_runs_what_the_runbooks_write(powershell: Callable[[str], tuple[int, str, str]], script: str,
                                                 code: int, stdout: str) -> None:
    assert powershell(script) == (code, stdout, "")


@pytest.mark.parametrize(("script", "refused"), [
    ("Get-Process", "not emulated: Get-Process"),
    ("'ran'; while ($true) { }", "the keyword while"),  # parsed before it runs: 'ran' is never printed
    ("'{0}' -f 1", "the operator -f"),
    ("$env:COMPUTERNAME", "this kind of variable"),
    ("$PSVersionTable", "the automatic variable"),
    ("(Get-Date).GetType()", "gettype"),
    ("Remove-Item -LiteralPath 'D:\\backup' -Recurse", "-recurse"),
    ("Get-WmiObject Win32_Process", "only Win32_LogicalDisk"),
    ("Get-ChildItem -LiteralPath 'D:\\ABOSS2\\log' | Select-String -Pattern 'x'", "without -Encoding"),
    ("Get-ChildItem -LiteralPath 'D:\\backup' -Filter *.dmp | Select-String -Pattern 'x' -Encoding Default",
     "larger than the emulation reads"),
    ("$f = Get-Item -LiteralPath 'D:\\backup\\OTCDB_20261127.dmp'; 'file ' + $f", "file object to a string"),
    ("$f = Get-Item -LiteralPath 'D:\\backup\\OTCDB_20261127.dmp'; $f.CreationTime", "CreationTime"),
    ("'x' | Out-File C:\\a.txt", "Out-File"),
    ("Get-ChildItem . ", "only absolute paths"),
    ("'a' > C:\\a.txt", "redirection"),
])
def test_powershell_refuses_what_it_does_not_emulate(powershell: Callable[[str], tuple[int, str, str]],
                                                     script: str, refused: str) -> None:
    code, stdout, stderr = powershell(script)
    assert code == 1 and stdout == "" and stderr.startswith("not emulated:") and refused in stderr


def test_powershell_errors_are_records_and_stop_ends_the_script(
        powershell: Callable[[str], tuple[int, str, str]]) -> None:
    code, stdout, stderr = powershell("$null.Trim(); 'after'")
    assert (code, stdout) == (0, "after\n")
    assert stderr.startswith("不能对 Null 值表达式调用方法。\n所在位置 行:1 字符: 1")
    code, stdout, stderr = powershell("$ErrorActionPreference = 'Stop'\nGet-Item -LiteralPath 'D:\\nope'\n'after'")
    assert (code, stdout) == (1, "")
    assert stderr.startswith("Get-Item : 找不到路径“D:\\nope”，因为该路径不存在。\n所在位置 行:2")
