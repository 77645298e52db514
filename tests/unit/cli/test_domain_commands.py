"""``otcctl calendar`` and ``otcctl ofd`` as an operator runs them: a child process, exit codes, output.

The calendar is checked against the exchange's own view (exchange_calendars XSHG), a make-up working
Saturday (调休) must not trade, an unknown year is refused with the file to create, and ``create``
writes only where and when it is told to. OFD files come from the lab's writer and are broken on purpose.
"""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from rich.console import Console

from otcctl.domain.calendar import DEFAULT_DATA_DIR, TradingCalendar, site_calendar_dir
from otcctl.domain.clock import today_in_shanghai
from otcctl.domain.ofd_sample import sample_f1_records, sample_records, write_ofd_file
from otcctl.output.calendar_view import CELL, GAP, MONTH_WIDTH, month_lines, print_year
from tests.helpers import run_cli

# The State Council notice for 2026 as an operator would copy it: ranges include the weekends.
RANGES_2026 = """\
# 国务院办公厅关于2026年部分节假日安排的通知
- {from: 2026-01-01, to: 2026-01-03, name: 元旦 New Year's Day}
- from: 2026-02-15
  to: 2026-02-23
  name: 春节 Spring Festival
- {from: 2026-04-04, to: 2026-04-06, name: 清明节 Qingming Festival}
- {from: 2026-05-01, to: 2026-05-05, name: 劳动节 Labour Day}
- {from: 2026-06-19, to: 2026-06-21, name: 端午节 Dragon Boat Festival}
- {from: 2026-09-25, to: 2026-09-27, name: 中秋节 Mid-Autumn Festival}
- {from: 2026-10-01, to: 2026-10-07, name: 国庆节 National Day}
"""
DAY = "20261127"


def first_unknown_year() -> int:
    """The year after the last shipped file: 2027 today, and still unknown when 2027 ships."""
    return max(int(path.stem) for path in DEFAULT_DATA_DIR.glob("*.yaml")) + 1


def json_of(result: Any) -> Any:
    assert result.stderr == "", result.stderr
    return json.loads(result.stdout)


# --- calendar [YEAR] --------------------------------------------------------------------------

def test_year_grid_marks_holidays_and_lists_them() -> None:
    result = run_cli("calendar", "2026")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "\x1b[" not in out  # piped: plain text
    assert "10月 October" in out and "一  二  三  四  五  六  日" in out
    assert " 1*  2*  3   4" in out  # 2026-10-01/02 closed (Thu, Fri), the weekend after it plain
    assert "2026-10-01  四 Thu  国庆节 National Day" in out
    assert "2026: 242 trading days, 19 closed weekdays" in out


@pytest.mark.filterwarnings("ignore:Series.values returning an ndarray")  # pandas 3 vs exchange_calendars
def test_year_json_matches_the_exchanges_trading_days() -> None:
    xc = pytest.importorskip("exchange_calendars", reason="exchange_calendars (test extra) not installed")
    data = json_of(run_cli("calendar", "2026", "--json"))
    sessions = xc.get_calendar("XSHG").sessions_in_range("2026-01-01", "2026-12-31")
    assert data["year"] == 2026
    assert data["trading_days"] == [ts.date().isoformat() for ts in sessions]
    assert {"date": "2026-10-01", "reason": "国庆节 National Day"} in data["closed"]
    assert all(set(item) == {"date", "reason"} for item in data["closed"])


def test_bare_calendar_is_this_year_in_shanghai() -> None:
    this_year = today_in_shanghai().year
    result = run_cli("calendar", "--json")
    if TradingCalendar().has_year(this_year):
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["year"] == this_year
    else:
        assert result.returncode == 2 and f"{this_year}.yaml" in result.stderr


def test_group_options_reach_the_year() -> None:
    assert json_of(run_cli("calendar", "--json", "2025"))["year"] == 2025


@pytest.mark.parametrize("as_json", [False, True])
def test_unknown_year_is_refused_with_the_file_to_create(as_json: bool) -> None:
    year = first_unknown_year()
    result = run_cli("calendar", str(year), *(["--json"] if as_json else []))
    assert result.returncode == 2
    assert result.stdout == ""
    message = result.stderr
    assert message.startswith("error: ") and message.count("\n") == 1  # one paragraph
    assert str(site_calendar_dir() / f"{year}.yaml") in message  # site years live outside the package
    assert f"otcctl calendar create {year} --from FILE" in message


def test_not_a_year_or_command_is_a_usage_error() -> None:
    assert run_cli("calendar", "twenty").returncode == 2


# --- calendar check ---------------------------------------------------------------------------

def test_check_holiday_exits_1_with_the_reason() -> None:
    result = run_cli("calendar", "check", "20261001")
    assert result.returncode == 1
    assert result.stdout.startswith("2026-10-01 is not a trading day: 国庆节 National Day")
    assert "next trading day 2026-10-08" in result.stdout


def test_check_trading_day_exits_0() -> None:
    result = run_cli("calendar", "check", "2026-10-09")
    assert (result.returncode, result.stdout) == (0, "2026-10-09 is a trading day\n")


def test_make_up_working_saturday_does_not_trade() -> None:
    cc = pytest.importorskip("chinese_calendar", reason="chinese_calendar (test extra) not installed")
    saturday = date(2026, 2, 14)
    assert saturday.weekday() == 5 and cc.is_workday(saturday)  # an office day (调休)...
    result = run_cli("calendar", "check", "2026-02-14")
    assert result.returncode == 1  # ...but not a trading day
    assert "2026-02-14 is not a trading day: 周末 Weekend" in result.stdout


def test_check_json() -> None:
    result = run_cli("calendar", "check", "20261001", "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout) == {"date": "2026-10-01", "trading_day": False,
                                         "reason": "国庆节 National Day", "next_trading_day": "2026-10-08"}
    result = run_cli("calendar", "check", "20261009", "--json")
    assert result.returncode == 0 and json.loads(result.stdout)["trading_day"] is True


@pytest.mark.parametrize("day", ["2026-13-01", "tomorrow", "2026101"])
def test_check_bad_date_exits_2(day: str) -> None:
    result = run_cli("calendar", "check", day)
    assert result.returncode == 2 and "not a date" in result.stderr


def test_check_unknown_year_exits_2_never_guesses() -> None:
    year = first_unknown_year()
    result = run_cli("calendar", "check", f"{year}0104")
    assert result.returncode == 2 and result.stdout == ""
    assert f"{year}.yaml" in result.stderr and f"otcctl calendar create {year}" in result.stderr


# --- calendar create --------------------------------------------------------------------------

@pytest.fixture
def ranges_2026(tmp_path: Path) -> Path:
    path = tmp_path / "holidays-2026.yaml"
    path.write_text(RANGES_2026, encoding="utf-8")
    return path


def test_create_dry_run_shows_the_grid_and_writes_nothing(tmp_path: Path, ranges_2026: Path) -> None:
    data_dir = tmp_path / "calendar"
    result = run_cli("calendar", "create", "2026", "--from", str(ranges_2026), "--dry-run",
                     "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert "10月 October" in result.stdout and "国庆节 National Day" in result.stdout
    assert "2026: 242 trading days" in result.stdout
    assert "dry run: nothing written" in result.stdout
    assert not data_dir.exists()


def test_create_writes_the_year_and_a_second_create_refuses(tmp_path: Path, ranges_2026: Path) -> None:
    data_dir = tmp_path / "calendar"
    args = ("calendar", "create", "2026", "--from", str(ranges_2026), "--data-dir", str(data_dir))
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    written = data_dir / "2026.yaml"
    assert f"wrote {written}: 242 trading days" in result.stdout
    text = written.read_text(encoding="utf-8")
    assert "source: State Council notice via otcctl calendar create" in text
    # the notice's ranges give exactly the exchange's days the shipped file holds
    mine = json_of(run_cli("calendar", "2026", "--json", "--data-dir", str(data_dir)))
    shipped = json_of(run_cli("calendar", "2026", "--json"))
    assert (mine["trading_days"], mine["closed"]) == (shipped["trading_days"], shipped["closed"])
    assert run_cli("calendar", "check", "2026-10-01", "--data-dir", str(data_dir)).returncode == 1

    again = run_cli(*args)
    assert again.returncode == 2 and "already exists" in again.stderr and str(written) in again.stderr
    assert written.read_text(encoding="utf-8") == text


def test_create_refuses_a_shipped_year_even_in_a_dry_run(ranges_2026: Path) -> None:
    shipped = DEFAULT_DATA_DIR / "2026.yaml"
    before = shipped.read_bytes()
    result = run_cli("calendar", "create", "2026", "--from", str(ranges_2026), "--dry-run")
    assert result.returncode == 2 and "already exists" in result.stderr
    assert shipped.read_bytes() == before


def test_create_reads_the_runbooks_one_range_per_line_text(tmp_path: Path) -> None:
    ranges = tmp_path / "holidays-next-year.txt"
    ranges.write_text("# 开始日期 结束日期 名称\n2026-10-01 2026-10-07 国庆节\n2026-01-01 2026-01-03 元旦\n",
                      encoding="utf-8")
    result = run_cli("calendar", "create", "2026", "--from", str(ranges), "--dry-run",
                     "--data-dir", str(tmp_path / "calendar"))
    assert result.returncode == 0, result.stderr
    assert "2026-10-07  三 Wed  国庆节" in result.stdout


@pytest.mark.parametrize(("content", "where", "text"), [
    ("- {from: 2026-10-01, name: 国庆节}\n", "line 1, field 'to'", "missing"),
    ("- {from: 2026-10-01, to: 2026-10-07, name: 国庆节}\n- {from: 2026-13-01, to: 2026-10-07, name: x}\n",
     "line 2, field 'from'", "not a date"),
    ("- {from: 2026-10-01, to: 2026-10-07, name: 国庆节, days: 7}\n", "line 1, field 'days'", "unknown key"),
    ("- {from: 2026-10-07, to: 2026-10-01, name: 国庆节}\n", "line 1, field 'to'", "before"),
    ("- {from: 2026-10-01, to: 2026-10-07, name: 国庆节}\n- {from: 2025-12-31, to: 2026-01-01, name: 元旦}\n",
     "line 2", "a weekday of 2025, not 2026"),
    ("- {from: 2026-10-01, to: 2026-10-07, name: 国庆节}\n- {from: 2026-10-05, to: 2026-10-05, name: x}\n",
     "line 2", "already closed"),
    ("- {from: 2026-10-01, to: 2026-10-07, name: 国庆节\n", "line 2", "not valid YAML"),
    ("2026-10-01 国庆节\n", "line 1", "expected 'YYYY-MM-DD YYYY-MM-DD 名称'"),
    ("", "", "no closure ranges"),
])
def test_create_names_file_and_line_of_a_bad_range(tmp_path: Path, content: str, where: str, text: str) -> None:
    ranges = tmp_path / "ranges.yaml"
    ranges.write_text(content, encoding="utf-8")
    data_dir = tmp_path / "calendar"
    result = run_cli("calendar", "create", "2026", "--from", str(ranges), "--data-dir", str(data_dir))
    assert result.returncode == 2, result.stdout
    assert f"{ranges}, {where}".rstrip(", ") in result.stderr and text in result.stderr, result.stderr
    assert not data_dir.exists()


def test_create_without_a_ranges_file_exits_2(tmp_path: Path) -> None:
    result = run_cli("calendar", "create", "2026", "--from", str(tmp_path / "none.yaml"),
                     "--data-dir", str(tmp_path))
    assert result.returncode == 2 and "no such file" in result.stderr


# --- the grid's layout ------------------------------------------------------------------------

@pytest.mark.parametrize("terminal", [False, True])
def test_grid_columns_line_up_under_the_chinese_weekday_names(terminal: bool) -> None:
    calendar = TradingCalendar()
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, force_terminal=terminal, color_system=None, highlight=False)
    print_year(console, calendar, 2026)
    lines = buffer.getvalue().splitlines()
    header = next(line for line in lines if line.startswith("一  二"))
    sundays = [cell_len(header[:i]) for i, ch in enumerate(header) if ch == "日"]
    step = MONTH_WIDTH + len(GAP)
    assert sundays == [6 * (CELL + 1) + k * step for k in range(4)]  # four months side by side
    # 2026-01-04 and 2026-02-01 are Sundays: their numbers end in the 日 column (two cells wide)
    first_weeks = lines[lines.index(header) + 1]
    assert first_weeks[sundays[0]:sundays[0] + 2] == " 4"
    assert first_weeks[sundays[1]:sundays[1] + 2] == " 1"
    for grid in calendar.month_grid(2026):
        assert {line.cell_len for line in month_lines(grid)} == {MONTH_WIDTH}


# --- ofd check --------------------------------------------------------------------------------

def good_f1(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_ofd_file(folder, creator="ZZ", receiver="189", date=DAY, file_type="07",
                          records=sample_f1_records(3, update_date=DAY))


def good_f2(folder: Path) -> Path:
    return write_ofd_file(folder, creator="899", receiver="189", date=DAY, file_type="25", version="22",
                          records=sample_records("25", 4, date=DAY))


def replace_line(path: Path, line: int, new: bytes) -> None:
    lines = path.read_bytes().split(b"\r\n")
    lines[line - 1] = new
    path.write_bytes(b"\r\n".join(lines))


def test_good_f1_and_f2_pass(tmp_path: Path) -> None:
    f1, f2 = good_f1(tmp_path), good_f2(tmp_path)
    result = run_cli("ofd", "check", str(f1), str(f2), "--date", DAY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"ok  {f1} (version 21, type 07, 3 records)",
        f"ok  {f2} (version 22, type 25, 4 records)",
        "2 files: 2 ok, 0 bad",
    ]


def test_good_files_json(tmp_path: Path) -> None:
    f1 = good_f1(tmp_path)
    [item] = json_of(run_cli("ofd", "check", str(f1), "--json"))
    assert (item["file"], item["ok"], item["problems"], item["records_found"]) == (str(f1), True, [], 3)
    assert item["header"]["version"] == "21" and item["header"]["file_type"] == "07"
    assert item["header"]["fields"][4] == "NAV"


# v21 F1, 14 fields: lines 1-10 header, 11-24 field names, 25 record count, 26-28 records, 29 OFDCFEND.
def _wrong_count(path: Path) -> None:
    replace_line(path, 25, b"00000004")


def _bad_nav(path: Path) -> None:
    record = path.read_bytes().split(b"\r\n")[26]
    replace_line(path, 27, record[:63] + b"1.02340" + record[70:])  # NAV is bytes 64-70


def _short_record(path: Path) -> None:
    replace_line(path, 28, path.read_bytes().split(b"\r\n")[27][:-1])


def _header_date(path: Path) -> None:
    replace_line(path, 5, b"20261126")


def _unknown_field(path: Path) -> None:
    replace_line(path, 12, b"TotalFundVolume")


def _no_trailer(path: Path) -> None:
    path.write_bytes(path.read_bytes().replace(b"OFDCFEND\r\n", b""))


@pytest.mark.parametrize(("damage", "where"), [
    (_wrong_count, "line 25: header says 4 records but 3 follow"),
    (_bad_nav, "line 27, field NAV, byte 65: "),
    (_short_record, "line 28, field AnnouncFlag, byte 109: record is 108 bytes"),
    (_header_date, "line 5: header date 20261126 differs from the file name date"),
    (_unknown_field, "line 12, field TotalFundVolume: "),
    (_no_trailer, "line 29: "),
])
def test_each_broken_kind_exits_1_naming_line_and_field(tmp_path: Path, damage: Any, where: str) -> None:
    good, bad = good_f1(tmp_path / "good"), good_f1(tmp_path / "bad")
    damage(bad)
    result = run_cli("ofd", "check", str(good), str(bad))
    assert result.returncode == 1, result.stdout
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"ok  {good} ")
    assert lines[1] == f"BAD {bad}"
    assert any(line.startswith(f"    {where}") for line in lines[2:]), result.stdout
    assert lines[-1] == "2 files: 1 ok, 1 bad"


def test_broken_file_json_has_line_field_offset(tmp_path: Path) -> None:
    bad = good_f1(tmp_path)
    _bad_nav(bad)
    result = run_cli("ofd", "check", str(bad), "--json")
    assert result.returncode == 1
    [item] = json.loads(result.stdout)
    assert item["ok"] is False
    [problem] = item["problems"]
    assert (problem["line"], problem["field"], problem["offset"]) == (27, "NAV", 65)
    assert "N7,4" in problem["message"]


def test_file_for_another_trading_date_is_bad(tmp_path: Path) -> None:
    result = run_cli("ofd", "check", str(good_f1(tmp_path)), "--date", "2026-11-30")
    assert result.returncode == 1
    assert "line 5: header date 20261127 is not the expected trading date 20261130" in result.stdout


def test_missing_file_or_bad_date_exits_2(tmp_path: Path) -> None:
    good = good_f1(tmp_path)
    missing = tmp_path / "OFD_ZZ_189_20261127_07.TXT.missing"
    result = run_cli("ofd", "check", str(good), str(missing))
    assert result.returncode == 2 and f"{missing}: no such file" in result.stderr and result.stdout == ""
    result = run_cli("ofd", "check", str(good), "--date", "27/11/2026")
    assert result.returncode == 2 and "--date" in result.stderr
    assert run_cli("ofd", "check", str(tmp_path)).returncode == 2
