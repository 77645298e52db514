"""``otcctl calendar`` and ``otcctl ofd``: the trading calendar and the OFD file checker from the shell.

Mounted by ``cli.py``. Each command parses, calls ``otcctl.domain`` and prints; the exit code is the
answer a script reads: ``calendar check`` exits 0 on a trading day and 1 on a closed day, ``ofd check``
0 when every file is good and 1 when any is bad, both 2 for input they cannot use. A year without a
calendar file is input the operator must create, never a day guessed to trade.
"""

from __future__ import annotations

import re
import sys
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from otcctl.errors import ExitCode, InputError, Problem

if TYPE_CHECKING:
    from rich.console import Console

    from otcctl.domain.calendar import CalendarDataError, CalendarUnknownYear
    from otcctl.domain.ofd import OfdReport

CREATE_SOURCE = "State Council notice via otcctl calendar create"
RANGES_FORMAT = "a YAML list of {from: YYYY-MM-DD, to: YYYY-MM-DD, name: 春节}"
_YEAR = re.compile(r"\d{4}")
_DATE = re.compile(r"\d{8}|\d{4}-\d{2}-\d{2}")
_RANGE_KEYS = ("from", "to", "name")


class _CalendarGroup(TyperGroup):
    """Routes ``otcctl calendar 2026`` to the hidden ``show`` command, beside ``check`` and ``create``.

    A YEAR argument on the group itself would swallow the sub-command's name ("check" read as a year),
    so a four-digit word in the command's place is taken as the year instead.
    """

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and _YEAR.fullmatch(args[0]):
            return "show", self.commands["show"], args
        return super().resolve_command(ctx, args)


calendar_app = typer.Typer(
    name="calendar",
    cls=_CalendarGroup,
    help="The SSE/SZSE trading calendar: a year's month grids (otcctl calendar [YEAR], default this year "
    "in Asia/Shanghai), whether a day trades (check), and next year's file from the notices (create).",
    invoke_without_command=True,
    subcommand_metavar="[YEAR] | COMMAND [ARGS]...",
    rich_markup_mode=None,
)
ofd_app = typer.Typer(
    name="ofd",
    help="OFD data files (JR/T 0017) from 中证: the F1 market file and the F2 clearing files.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for machines")]
DataDirOpt = Annotated[
    Path | None,
    typer.Option("--data-dir", help="folder of the calendar's YEAR.yaml files (default: the package's own)"),
]
YearArg = Annotated[int, typer.Argument(metavar="YEAR", min=1000, max=9999, help="the calendar year, e.g. 2027")]


@dataclass(frozen=True)
class _HolidayRange:
    """One closure range from the operator's ranges file, with its line for error messages."""

    start: date
    end: date
    name: str
    line: int


@calendar_app.callback()
def calendar_main(ctx: typer.Context, as_json: JsonOpt = False, data_dir: DataDirOpt = None) -> None:
    """Show a year's month grids: otcctl calendar [YEAR]; see also check and create."""
    if ctx.invoked_subcommand is None:
        _show_year(None, as_json, data_dir)


@calendar_app.command("show", hidden=True)
def calendar_show(
    ctx: typer.Context,
    year: Annotated[int | None, typer.Argument(metavar="YEAR", min=1000, max=9999, help="default: this year")] = None,
    as_json: JsonOpt = False,
    data_dir: DataDirOpt = None,
) -> None:
    """The year's month grids and closed weekdays (what otcctl calendar YEAR runs)."""
    _show_year(year, _json_wanted(ctx, as_json), _data_dir(ctx, data_dir))


@calendar_app.command("check")
def calendar_check(
    ctx: typer.Context,
    day: Annotated[str, typer.Argument(metavar="DATE", help="the day, YYYYMMDD or YYYY-MM-DD")],
    as_json: JsonOpt = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Whether SSE/SZSE trade on DATE: exit 0 when they do, 1 when closed (and why), 2 when unknown."""
    from otcctl.domain.calendar import WEEKEND_REASON, CalendarUnknownYear, TradingCalendar

    folder = _data_dir(ctx, data_dir)
    when = _parse_day(day, "DATE")
    calendar = TradingCalendar(folder)
    try:
        reason = calendar.closure_reason(when)
    except CalendarUnknownYear as exc:
        raise _unknown_year(exc, folder) from None
    following: date | None = None
    if reason is not None:
        try:
            following = calendar.next_trading_day(when)
        except CalendarUnknownYear:
            following = None
    if _json_wanted(ctx, as_json):
        _print_json({
            "date": when.isoformat(),
            "trading_day": reason is None,
            "reason": reason,
            "next_trading_day": None if following is None else following.isoformat(),
        })
    elif reason is None:
        _say(f"{when.isoformat()} is a trading day")
    else:
        why = reason
        if reason == WEEKEND_REASON:
            why += " (weekends never trade, 调休 make-up working days included)"
        after = "" if following is None else f"; next trading day {following.isoformat()}"
        _say(f"{when.isoformat()} is not a trading day: {why}{after}")
    if reason is not None:
        raise typer.Exit(int(ExitCode.FAILED))


@calendar_app.command("create")
def calendar_create(
    ctx: typer.Context,
    year: YearArg,
    ranges_file: Annotated[
        Path,
        typer.Option("--from", metavar="RANGES_FILE", help=f"the year's closure ranges: {RANGES_FORMAT}, "
                     "or lines of 'YYYY-MM-DD YYYY-MM-DD 名称'"),
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show the month grids, write nothing")] = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Build YEAR's calendar file from the notices' closure ranges; shows the month grids to check first."""
    from otcctl.domain.calendar import CalendarDataError, TradingCalendar, derive_year, write_year

    folder = _data_dir(ctx, data_dir)
    ranges = _read_ranges(ranges_file)
    try:
        derived = derive_year(year, [(r.start, r.end, r.name) for r in ranges], source=CREATE_SOURCE)
    except CalendarDataError as exc:
        raise _ranges_error(exc, ranges_file, ranges) from None
    target = TradingCalendar(folder).year_path(year)
    if target.exists():
        raise InputError.at(target, f"already exists: otcctl calendar create never replaces a reviewed year. "
                            f"Compare it with the notices; to redo {year}, remove the file first (through review)")
    from otcctl.output import calendar_view

    console = _console()
    if dry_run:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="otcctl-calendar-") as scratch:
            preview = TradingCalendar(Path(scratch))
            write_year(derived, preview.year_path(year))
            calendar_view.print_year(console, preview, year,
                                     heading=f"{year} 年交易日历 preview from {ranges_file} (dry run)")
        console.print(f"dry run: nothing written; without --dry-run this writes {target}", markup=False)
        return
    write_year(derived, target)
    written = TradingCalendar(target.parent)
    calendar_view.print_year(console, written, year, heading=f"{year} 年交易日历 written to {target}")
    console.print(f"wrote {target}: {len(written.trading_days(year))} trading days, "
                  f"{len(derived.closed)} closed weekdays. Have it reviewed against both notices, then commit it.",
                  markup=False)


@ofd_app.callback()
def ofd_main() -> None:
    """OFD data files (JR/T 0017) from 中证: the F1 market file and the F2 clearing files."""


@ofd_app.command("check")
def ofd_check(
    files: Annotated[list[Path], typer.Argument(metavar="FILE", help="OFD data files, OFD_creator_receiver_"
                                                "YYYYMMDD_type.TXT")],
    run_date: Annotated[
        str | None,
        typer.Option("--date", help="the trading date every file must be for, YYYYMMDD (default: only check "
                     "that the header date matches the file name)"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check each file: header, field names, record count and length in bytes, every field; exit 1 if any is bad."""
    expected = None if run_date is None else _parse_day(run_date, "--date")
    unusable = [Problem(str(path), None, None, "is a directory, not an OFD data file" if path.is_dir()
                        else "no such file") for path in files if not path.is_file()]
    if unusable:
        raise InputError(unusable)
    from otcctl.domain.ofd import check_ofd_file

    reports = [(path, check_ofd_file(path, expected_date=expected)) for path in files]
    if as_json:
        _print_json([_ofd_to_json(path, report) for path, report in reports])
    else:
        _print_ofd(reports)
    if not all(report.ok for _, report in reports):
        raise typer.Exit(int(ExitCode.FAILED))


def _show_year(year: int | None, as_json: bool, data_dir: Path | None) -> None:
    from otcctl.domain.calendar import CalendarUnknownYear, TradingCalendar
    from otcctl.domain.clock import today_in_shanghai
    from otcctl.output import calendar_view

    wanted = today_in_shanghai().year if year is None else year
    calendar = TradingCalendar(data_dir)
    try:
        calendar.year(wanted)
    except CalendarUnknownYear as exc:
        raise _unknown_year(exc, data_dir) from None
    if as_json:
        _print_json(calendar_view.year_to_json(calendar, wanted))
    else:
        calendar_view.print_year(_console(), calendar, wanted)


def _unknown_year(exc: CalendarUnknownYear, data_dir: Path | None) -> typer.Exit:
    where = "" if data_dir is None else f" --data-dir {data_dir}"
    _error(
        f"{exc}. To create it, write the year's closure ranges into a file ({RANGES_FORMAT}), preview with "
        f"`otcctl calendar create {exc.year} --from FILE{where} --dry-run`, then run it again without --dry-run "
        f"(runbook yearly-trading-calendar). Until then otcctl does not guess which days of {exc.year} trade."
    )
    return typer.Exit(int(ExitCode.BAD_INPUT))


def _read_ranges(path: Path) -> list[_HolidayRange]:
    """The operator's ranges file: YAML (a list of mappings) or the runbook's one-range-per-line text."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError.at(path, f"no such file; write the closure ranges there first ({RANGES_FORMAT})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.at(path, f"cannot read: {exc}") from None
    content = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    if not content:
        raise InputError.at(path, f"no closure ranges in the file; expected {RANGES_FORMAT}")
    ranges = _yaml_ranges(path, text) if content[0].startswith(("-", "[")) else _line_ranges(path, text)
    problems = [Problem(str(path), r.line, "to", f"{r.end} is before {r.start}") for r in ranges if r.end < r.start]
    if problems:
        raise InputError(problems)
    return ranges


def _yaml_ranges(path: Path, text: str) -> list[_HolidayRange]:
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = None if exc.problem_mark is None else exc.problem_mark.line + 1
        raise InputError.at(path, f"not valid YAML: {exc.problem}", line) from None
    except yaml.YAMLError as exc:
        raise InputError.at(path, f"not valid YAML: {exc}") from None
    if not isinstance(root, yaml.SequenceNode) or not root.value:
        raise InputError.at(path, f"expected {RANGES_FORMAT}", 1)
    problems: list[Problem] = []
    ranges: list[_HolidayRange] = []
    for item in root.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            problems.append(Problem(str(path), line, None, "expected {from: YYYY-MM-DD, to: YYYY-MM-DD, name: 春节}"))
            continue
        values: dict[str, tuple[str, int]] = {}
        seen: set[str] = set()
        for key_node, value_node in item.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            at = key_node.start_mark.line + 1
            if key not in _RANGE_KEYS:
                problems.append(Problem(str(path), at, key, f"unknown key; expected {', '.join(_RANGE_KEYS)}"))
            elif key in seen:
                problems.append(Problem(str(path), at, key, "listed twice"))
            elif not isinstance(value_node, yaml.ScalarNode) or not str(value_node.value).strip():
                problems.append(Problem(str(path), at, key, "needs a value"))
            else:
                values[key] = (str(value_node.value).strip(), at)
            seen.add(key)
        problems.extend(Problem(str(path), line, key, "missing") for key in _RANGE_KEYS if key not in seen)
        if all(key in values for key in _RANGE_KEYS):
            parsed = _range_from(path, values, line, problems)
            if parsed is not None:
                ranges.append(parsed)
    if problems:
        raise InputError(problems)
    return ranges


def _line_ranges(path: Path, text: str) -> list[_HolidayRange]:
    problems: list[Problem] = []
    ranges: list[_HolidayRange] = []
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parts = stripped.split(maxsplit=2)
        if len(parts) < 3:
            problems.append(Problem(str(path), number, None, "expected 'YYYY-MM-DD YYYY-MM-DD 名称' (first day, "
                                    f"last day, name), e.g. '2027-02-06 2027-02-14 春节'; or use {RANGES_FORMAT}"))
            continue
        values = {key: (value, number) for key, value in zip(_RANGE_KEYS, parts, strict=True)}
        parsed = _range_from(path, values, number, problems)
        if parsed is not None:
            ranges.append(parsed)
    if problems:
        raise InputError(problems)
    return ranges


def _range_from(path: Path, values: dict[str, tuple[str, int]], line: int,
                problems: list[Problem]) -> _HolidayRange | None:
    days: list[date] = []
    for key in ("from", "to"):
        text, at = values[key]
        try:
            days.append(_strict_date(text))
        except ValueError as exc:
            problems.append(Problem(str(path), at, key, str(exc)))
    if len(days) != 2:
        return None
    return _HolidayRange(days[0], days[1], values["name"][0], line)


def _ranges_error(exc: CalendarDataError, path: Path, ranges: list[_HolidayRange]) -> InputError:
    """derive_year names a range by its position; point at the line the operator wrote it on."""
    entry = exc.entry or ""
    match = re.match(r"holiday range (\d+)", entry)
    line = ranges[int(match.group(1)) - 1].line if match else None
    message = f"{entry}: {exc.problem}" if entry else str(exc.problem)
    return InputError(Problem(str(path), line, None, message))


def _parse_day(text: str, what: str) -> date:
    try:
        return _strict_date(text)
    except ValueError as exc:
        raise InputError.at(what, str(exc)) from None


def _strict_date(text: str) -> date:
    """Exactly YYYYMMDD or YYYY-MM-DD: strptime alone reads '2026101' as 2026-10-01, a guess."""
    from otcctl.plan.params import parse_date

    if not _DATE.fullmatch(text.strip()):
        raise ValueError(f"{text!r} is not a date; write YYYYMMDD or YYYY-MM-DD")
    return parse_date(text)


def _json_wanted(ctx: typer.Context, flag: bool) -> bool:
    """``otcctl calendar --json 2026`` sets --json on the group; the command honours it too."""
    return flag or bool(ctx.parent is not None and ctx.parent.params.get("as_json"))


def _data_dir(ctx: typer.Context, value: Path | None) -> Path | None:
    if value is None and ctx.parent is not None:
        inherited = ctx.parent.params.get("data_dir")
        return inherited if isinstance(inherited, Path) else None
    return value


def _ofd_to_json(path: Path, report: OfdReport) -> dict[str, Any]:
    return {
        "file": str(path),
        "ok": report.ok,
        "header": None if report.header is None else asdict(report.header),
        "records_found": report.records_found,
        "problems": [asdict(problem) for problem in report.problems],
    }


def _print_ofd(reports: list[tuple[Path, OfdReport]]) -> None:
    from rich.text import Text

    console = _console()
    for path, report in reports:
        if report.ok and report.header is not None:
            header = report.header
            console.print(Text.assemble(("ok ", "green"), f" {path} (version {header.version}, type "
                                        f"{header.file_type}, {report.records_found} records)"))
            continue
        console.print(Text.assemble(("BAD", "bold red"), f" {path}"))
        for problem in report.problems:
            console.print(Text(f"    {problem}"))
    if len(reports) > 1:
        bad = sum(1 for _, report in reports if not report.ok)
        console.print(f"{len(reports)} files: {len(reports) - bad} ok, {bad} bad", markup=False)


def _console() -> Console:
    from otcctl.output.console import make_console

    return make_console()


def _say(text: str) -> None:
    _console().print(text, markup=False)


def _print_json(data: Any) -> None:
    from otcctl.output.console import print_json

    print_json(data)


def _error(text: str) -> None:
    sys.stderr.write(f"error: {text}\n")
