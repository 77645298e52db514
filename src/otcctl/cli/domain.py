"""``otcctl calendar`` and ``otcctl ofd``: the trading calendar and the OFD file checker from the shell.

Mounted by ``cli.py``. Each command parses, calls ``otcctl.domain`` and prints; the exit code is the
answer a script reads: ``calendar check`` exits 0 on a trading day and 1 on a closed day, ``ofd check``
0 when every file is good and 1 when any is bad, both 2 for input they cannot use. A year without a
calendar file is input the operator must create, never a day guessed to trade.
"""


import re
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from otcctl.cli.options import date_option
from otcctl.domain.holiday_notice import RANGES_FORMAT, ranges_error, read_ranges
from otcctl.errors import ExitCode, InputError, Problem
from otcctl.i18n import _

if TYPE_CHECKING:
    from rich.console import Console

    from otcctl.domain.calendar import CalendarUnknownYear
    from otcctl.domain.ofd import OfdReport

CREATE_SOURCE = "State Council notice via otcctl calendar create"
_YEAR = re.compile(r"\d{4}")


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
    epilog="otcctl calendar 2027  # the year's month grids and closed weekdays\n"
    "otcctl calendar check 2026-10-03  # exit 0 when it trades, 1 when closed (and why)",
)
ofd_app = typer.Typer(
    name="ofd",
    help="OFD data files (JR/T 0017) from 中证: the F1 market file and the F2 clearing files.",
    no_args_is_help=True,
    rich_markup_mode=None,
    epilog="otcctl ofd check OFD_*_20261130_*.TXT --date 2026-11-30  # every problem with line, field and byte",
)

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for machines")]
DataDirOpt = Annotated[
    Path | None,
    typer.Option("--data-dir", metavar="DIR",
                 help="folder of the calendar's YEAR.yaml files (default: the package's own)"),
]
YearArg = Annotated[int, typer.Argument(metavar="YEAR", min=1000, max=9999, help="the calendar year, e.g. 2027")]


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


@calendar_app.command("check", epilog="otcctl calendar check 20261130  # a trading day: exit 0\n"
                      "otcctl calendar check 2026-10-03 --json  # closed: 国庆节, and the next trading day")
def calendar_check(
    ctx: typer.Context,
    day: Annotated[str, typer.Argument(metavar="DATE", help="the day, YYYYMMDD or YYYY-MM-DD")],
    as_json: JsonOpt = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Whether SSE/SZSE trade on DATE: exit 0 when they do, 1 when closed (and why), 2 when unknown."""
    from otcctl.domain.calendar import WEEKEND_REASON, CalendarUnknownYear, TradingCalendar

    folder = _data_dir(ctx, data_dir)
    when = date_option(day, "DATE")
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
        _say(_("{day} is a trading day").format(day=when.isoformat()))
    else:
        why = reason
        if reason == WEEKEND_REASON:
            why += _(" (weekends never trade, 调休 make-up working days included)")
        after = "" if following is None else _("; next trading day {day}").format(day=following.isoformat())
        _say(_("{day} is not a trading day: {why}{after}").format(day=when.isoformat(), why=why, after=after))
    if reason is not None:
        raise typer.Exit(int(ExitCode.FAILED))


@calendar_app.command("create", epilog="otcctl calendar create 2027 --from 2027-ranges.yaml --dry-run  # look first\n"
                      "otcctl calendar create 2027 --from 2027-ranges.yaml  # then write it")
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
    ranges = read_ranges(ranges_file)
    try:
        derived = derive_year(year, [(r.start, r.end, r.name) for r in ranges], source=CREATE_SOURCE)
    except CalendarDataError as exc:
        raise ranges_error(exc, ranges_file, ranges) from None
    target = TradingCalendar(folder).year_path(year)
    if target.exists():
        raise InputError.at(target, _("already exists: otcctl calendar create never replaces a reviewed year. "
                                      "Compare it with the notices; to redo {year}, remove the file first (through "
                                      "review)").format(year=year))
    from otcctl.output import calendar_view

    console = _console()
    if dry_run:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="otcctl-calendar-") as scratch:
            preview = TradingCalendar(Path(scratch))
            write_year(derived, preview.year_path(year))
            calendar_view.print_year(console, preview, year,
                                     heading=_("{year} trading calendar preview from {file} (dry run)").format(
                                         year=year, file=ranges_file))
        console.print(_("dry run: nothing written; without --dry-run this writes {target}").format(target=target),
                      markup=False)
        return
    try:
        write_year(derived, target)
    except OSError as exc:
        raise InputError.at(target, _("cannot write the file: {reason}").format(reason=exc.strerror or exc)) from None
    written = TradingCalendar(target.parent)
    calendar_view.print_year(console, written, year, heading=_("{year} trading calendar written to {target}").format(
        year=year, target=target))
    console.print(_("wrote {target}: {trading} trading days, {closed} closed weekdays. Have it reviewed against "
                    "both notices, then commit it.").format(target=target, trading=len(written.trading_days(year)),
                                                            closed=len(derived.closed)), markup=False)


@ofd_app.callback()
def ofd_main() -> None:
    """OFD data files (JR/T 0017) from 中证: the F1 market file and the F2 clearing files."""


@ofd_app.command("check", epilog="otcctl ofd check OFD_*_20261130_*.TXT  # header, names, counts, every field\n"
                 "otcctl ofd check F1.TXT --date 2026-11-30 --json  # for scripts")
def ofd_check(
    files: Annotated[list[Path], typer.Argument(metavar="FILE", help="OFD data files, OFD_creator_receiver_"
                                                "YYYYMMDD_type.TXT")],
    run_date: Annotated[
        str | None,
        typer.Option("--date", metavar="DATE", help="the trading date every file must be for, YYYYMMDD or "
                     "YYYY-MM-DD (default: only check that the header date matches the file name)"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check each file: header, field names, record count and length in bytes, every field; exit 1 if any is bad."""
    expected = date_option(run_date)
    unusable = [Problem(str(path), None, None, _("is a directory, not an OFD data file") if path.is_dir()
                        else _("no such file")) for path in files if not path.is_file()]
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


def _unknown_year(exc: "CalendarUnknownYear", data_dir: Path | None) -> typer.Exit:
    from otcctl.output.messages import translate

    where = "" if data_dir is None else f" --data-dir {data_dir}"
    _error(_(
        "{problem}. To create it, write the year's closure ranges into a file ({format}), preview with "
        "`otcctl calendar create {year} --from FILE{where} --dry-run`, then run it again without --dry-run "
        "(runbook yearly-trading-calendar). Until then otcctl does not guess which days of {year} trade."
    ).format(problem=translate(str(exc)), format=_(RANGES_FORMAT), year=exc.year, where=where))
    return typer.Exit(int(ExitCode.BAD_INPUT))


def _json_wanted(ctx: typer.Context, flag: bool) -> bool:
    """``otcctl calendar --json 2026`` sets --json on the group; the command honours it too."""
    return flag or bool(ctx.parent is not None and ctx.parent.params.get("as_json"))


def _data_dir(ctx: typer.Context, value: Path | None) -> Path | None:
    if value is None and ctx.parent is not None:
        inherited = ctx.parent.params.get("data_dir")
        return inherited if isinstance(inherited, Path) else None
    return value


def _ofd_to_json(path: Path, report: "OfdReport") -> dict[str, Any]:
    return {
        "file": str(path),
        "ok": report.ok,
        "header": None if report.header is None else asdict(report.header),
        "records_found": report.records_found,
        "problems": [asdict(problem) for problem in report.problems],
    }


def _print_ofd(reports: "list[tuple[Path, OfdReport]]") -> None:
    from rich.text import Text

    from otcctl.output.messages import describe_ofd_problem

    console = _console()
    for path, report in reports:
        if report.ok and report.header is not None:
            header = report.header
            console.print(Text.assemble((_("ok") + " ", "green"), " " + _(
                "{path} (version {version}, type {type}, {records} records)").format(
                path=path, version=header.version, type=header.file_type, records=report.records_found)))
            continue
        console.print(Text.assemble((_("BAD"), "bold red"), f" {path}"))
        for problem in report.problems:
            console.print(Text(f"    {describe_ofd_problem(problem)}"))
    if len(reports) > 1:
        bad = sum(1 for _, report in reports if not report.ok)
        console.print(_("{count} files: {good} ok, {bad} bad").format(count=len(reports), good=len(reports) - bad,
                                                                       bad=bad), markup=False)


def _console() -> "Console":
    from otcctl.output.console import make_console

    return make_console()


def _say(text: str) -> None:
    _console().print(text, markup=False)


def _print_json(data: Any) -> None:
    from otcctl.output.console import print_json

    print_json(data)


def _error(text: str) -> None:
    sys.stderr.write(_("error: {text}").format(text=text) + "\n")
