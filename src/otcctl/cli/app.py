"""The otcctl command line: parse, build a request, call the core, map errors to exit codes.

Nothing here decides anything about runbooks; it only turns words into calls and results
into output. Heavy libraries (paramiko, pywinrm, oracledb, fpdf2) are imported by the core
only when a command needs them, so ``--help``, ``list`` and ``dry-run`` start fast.
"""


import sys
from pathlib import Path
from typing import Annotated

import typer

from otcctl import __version__
from otcctl.cli.help import OtcctlGroup
from otcctl.cli.options import (
    DateOpt,
    FormatOpt,
    InventoryOpt,
    JsonOpt,
    NameArg,
    ParamOpt,
    RunbooksOpt,
    choose_language,
    error_paragraph,
    json_out,
    plan_request,
    warn_if_closed,
    write_printout,
)
from otcctl.errors import ExitCode, InputError
from otcctl.i18n import _
from otcctl.output.messages import describe_problem

CONTEXT = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    name="otcctl",
    cls=OtcctlGroup,
    help="Run the OTC trading system's operations manual as runbooks: preview, print, execute, record.",
    epilog="otcctl list  # the runbooks\n"
    "otcctl dry-run market-open --date 2026-12-01  # what a run would do, connecting nowhere\n"
    "otcctl --lang zh run market-open  # run it, in Chinese",
    invoke_without_command=True,
    context_settings=CONTEXT,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

def _version(value: bool) -> None:
    if value:
        typer.echo(f"otcctl {__version__}")
        raise typer.Exit()


def _language(value: str | None) -> str | None:
    if value is not None:
        choose_language(value)
    return value


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit")
    ] = False,
    lang: Annotated[
        str | None,
        typer.Option("--lang", metavar="[zh|en]", callback=_language, is_eager=True,
                     help="language of messages and help (default: $OTCCTL_LANG, else the locale: LC_ALL, "
                     "LC_MESSAGES, LANG)", autocompletion=lambda: ["zh", "en"]),
    ] = None,
) -> None:
    """Run the OTC trading system's operations manual as runbooks: preview, print, execute, record."""
    if ctx.invoked_subcommand is None and not ctx.resilient_parsing:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)


@app.command("list", epilog="otcctl list  # the shipped runbooks\n"
             "otcctl list --runbooks ~/runbooks --json  # another folder, for scripts")
def list_runbooks(runbooks: RunbooksOpt = None, as_json: JsonOpt = False) -> None:
    """List the runbooks: name, title, cadence, number of steps."""
    from otcctl.model import locate
    from otcctl.model.load import load_runbook
    from otcctl.output.list_view import print_list, runbook_summary

    loaded, broken = [], []
    for path in locate.all_runbooks(runbooks):
        try:
            loaded.append(load_runbook(path))
        except InputError as exc:  # one bad runbook never hides the others
            broken.append(exc)
    if as_json:
        json_out([runbook_summary(item) for item in loaded])
    else:
        from otcctl.output.console import make_console

        print_list(make_console(), loaded)
    if broken:
        raise InputError([problem for exc in broken for problem in exc.problems])


@app.command(epilog="otcctl show market-open  # the steps in the manual's columns\n"
             "otcctl show runbooks/clearing.yaml --json  # by path, for scripts")
def show(
    name: NameArg,
    runbooks: RunbooksOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one runbook: parameters and steps as written (no inventory needed)."""
    from otcctl.output.runbook_view import print_runbook, runbook_to_json
    from otcctl.plan.prepare import load_named_runbook

    loaded = load_named_runbook(name, runbooks)
    if as_json:
        json_out(runbook_to_json(loaded))
        return
    from otcctl.output.console import make_console

    print_runbook(make_console(), loaded)


@app.command(epilog="otcctl validate  # every shipped runbook and the inventory\n"
             "otcctl validate runbooks/market-open.yaml -i lab/inventory.yaml  # one file against the lab")
def validate(
    paths: Annotated[
        list[Path] | None, typer.Argument(metavar="FILE", help="runbook or inventory files (default: all shipped)")
    ] = None,
    inventory: InventoryOpt = None,
    runbooks: RunbooksOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check runbooks and the inventory: YAML, schema, and that every host, service and file exists."""
    from otcctl.model.validate import validate_files

    report = validate_files(paths or [], inventory, runbooks)
    if as_json:
        json_out(report.to_json())
    else:
        from otcctl.output.console import make_console

        console = make_console()
        for item in report.files:
            mark = _("ok") if item.ok else _("FAIL")
            console.print(f"{mark:<4} {item.kind:<9} {item.path}", markup=False)
        for problem in report.problems:
            error_paragraph(describe_problem(problem))
        for warning in report.warnings:
            sys.stderr.write(_("warning: {text}").format(text=describe_problem(warning)) + "\n")
    if report.problems:
        raise typer.Exit(ExitCode.BAD_INPUT)


@app.command("dry-run", epilog="otcctl dry-run monthly-restart  # every step, host and exact command\n"
             "otcctl dry-run market-open --date 2026-12-01 -p notify=no  # another day, a parameter set\n"
             "otcctl dry-run clearing --json  # the plan for machines")
def dry_run(
    name: NameArg,
    param: ParamOpt = None,
    run_date: DateOpt = None,
    inventory: InventoryOpt = None,
    runbooks: RunbooksOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show every step as it would run (hosts, exact commands, SQL, conditions) without connecting anywhere."""
    from otcctl.output.plan_view import plan_to_json, print_plan
    from otcctl.plan.prepare import prepare_plan

    plan = prepare_plan(plan_request(name, param, run_date, inventory, runbooks))
    if as_json:
        json_out(plan_to_json(plan))
        return
    from otcctl.output.console import make_console

    warn_if_closed(plan)
    print_plan(make_console(), plan)


@app.command(epilog="otcctl checklist market-open -f pdf -o mo.pdf  # print it, sign it\n"
             "otcctl checklist monthly-restart -f html -o mr.html --date 2026-12-07  # for a given day")
def checklist(
    name: NameArg,
    fmt: FormatOpt = "text",
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE", help="write to this file")] = None,
    param: ParamOpt = None,
    run_date: DateOpt = None,
    inventory: InventoryOpt = None,
    runbooks: RunbooksOpt = None,
) -> None:
    """Print the manual's table for a runbook with sign-off columns, ready to print and sign."""
    if fmt not in ("text", "md", "html", "pdf"):
        raise InputError.at("--format", _("{value!r} is not one of text, md, html, pdf").format(value=fmt))
    from otcctl.output.printout import render_checklist
    from otcctl.plan.prepare import prepare_plan

    plan = prepare_plan(plan_request(name, param, run_date, inventory, runbooks))
    warn_if_closed(plan)
    write_printout(render_checklist(plan, fmt), output, fmt)  # type: ignore[arg-type]


@app.command(epilog="otcctl schema > runbook.schema.json  # for an editor's YAML support\n"
             "otcctl schema inventory  # the inventory's schema")
def schema(
    what: Annotated[str, typer.Argument(metavar="[runbook|inventory]", help="which schema",
                                        autocompletion=lambda: ["runbook", "inventory"])] = "runbook",
) -> None:
    """Print the JSON Schema of runbooks (or the inventory) for editors and CI."""
    from otcctl.model.schema_export import schema_json

    if what not in ("runbook", "inventory"):
        raise InputError.at("schema", _("{value!r} is not 'runbook' or 'inventory'").format(value=what))
    sys.stdout.write(schema_json(what) + "\n")
