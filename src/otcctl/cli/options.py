"""Options and helpers every command shares, in one place."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, overload

import typer

from otcctl.cli.complete import complete_date, complete_param, complete_runbook
from otcctl.errors import InputError, OtcctlError
from otcctl.i18n import _

if TYPE_CHECKING:
    from otcctl.plan.prepare import PlanRequest

RunbooksOpt = Annotated[
    Path | None,
    typer.Option("--runbooks", metavar="DIR", help="folder of runbooks (default: ./runbooks or $OTCCTL_RUNBOOKS)"),
]
InventoryOpt = Annotated[
    Path | None,
    typer.Option("--inventory", "-i", metavar="FILE",
                 help="inventory file (default: ./inventory.yaml or $OTCCTL_INVENTORY)"),
]
ParamOpt = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", metavar="KEY=VALUE", help="set a runbook parameter (repeatable)",
                 autocompletion=complete_param),
]
DateOpt = Annotated[
    str | None,
    typer.Option("--date", metavar="DATE", help="the trading date the run is for, YYYYMMDD or YYYY-MM-DD "
                 "(default: today in Asia/Shanghai)", autocompletion=complete_date),
]
NameArg = Annotated[
    str, typer.Argument(metavar="NAME", help="runbook name or path", autocompletion=complete_runbook)
]
FormatOpt = Annotated[
    str, typer.Option("--format", "-f", metavar="[text|md|html|pdf]", help="the printout's format",
                      autocompletion=lambda: ["text", "md", "html", "pdf"])
]

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for machines")]


@overload
def date_option(text: str, option: str = ...) -> date: ...
@overload
def date_option(text: None, option: str = ...) -> None: ...
@overload
def date_option(text: str | None, option: str = ...) -> date | None: ...
def date_option(text: str | None, option: str = "--date") -> date | None:
    """A date given on the command line (YYYYMMDD or YYYY-MM-DD); a bad one is bad input naming the option."""
    if text is None:
        return None
    from otcctl.domain.clock import parse_date

    try:
        return parse_date(text)
    except ValueError as exc:
        raise InputError.at(option, str(exc)) from None


def plan_request(
    name: str, params: list[str] | None, run_date: str | None, inventory: Path | None, runbooks: Path | None
) -> PlanRequest:
    from otcctl.plan.params import parse_overrides
    from otcctl.plan.prepare import PlanRequest

    return PlanRequest(name, parse_overrides(params or []), date_option(run_date), inventory, runbooks)


def write_printout(data: bytes, output: Path | None, fmt: str, note: str = "") -> None:
    """A rendered sheet to a file (saying where), or to stdout; a PDF is never sent to a terminal."""
    if output is not None:
        write_output(output, data)
        typer.echo(_("wrote {path} ({size} bytes)").format(path=output, size=len(data)) + note)
    elif fmt == "pdf":
        if sys.stdout.isatty():
            raise InputError.at("--output", _("a PDF is not printed to a terminal; give -o FILE.pdf"))
        sys.stdout.buffer.write(data)
    else:
        sys.stdout.write(data.decode("utf-8"))


def json_out(data: Any) -> None:
    from otcctl.output.console import print_json

    print_json(data)


def error_paragraph(text: str) -> None:
    """One paragraph on standard error: ``error: ...`` (``错误: ...`` in Chinese)."""
    sys.stderr.write(_("error: {text}").format(text=text) + "\n")


def write_output(path: Path, data: bytes) -> None:
    """Write a file the operator named; a path that cannot be written is bad input, not a bug."""
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise InputError.at(path, _("cannot write the file: {reason}").format(reason=exc.strerror or exc)) from None


def warn_if_closed(plan: Any) -> None:
    """On standard error: the plan's date is not a trading day (the printout says so too)."""
    from otcctl.output.calendar_words import closed_day_warning

    warning = closed_day_warning(plan)
    if warning:
        sys.stderr.write(_("warning: {text}").format(text=warning) + "\n")


def choose_language(value: str) -> None:
    """``--lang zh|en``: messages and help in that language from now on."""
    from otcctl.i18n import set_language

    try:
        set_language(value)
    except ValueError:
        raise InputError.at("--lang", _("{value!r} is not a language otcctl speaks; use zh or en").format(
            value=value)) from None


def report_error(exc: OtcctlError) -> int:
    """An otcctl error as one paragraph per problem on standard error; its exit code."""
    from otcctl.output.messages import describe_problem, translate

    if isinstance(exc, InputError):
        for problem in exc.problems:
            error_paragraph(describe_problem(problem))
    else:
        error_paragraph(translate(str(exc)))
    return int(exc.exit_code)
