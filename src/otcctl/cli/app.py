"""The otcctl command line: parse, build a request, call the core, map errors to exit codes.

Nothing here decides anything about runbooks; it only turns words into calls and results
into output. Heavy libraries (paramiko, pywinrm, oracledb, fpdf2) are imported by the core
only when a command needs them, so ``--help``, ``list`` and ``dry-run`` start fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from otcctl import __version__
from otcctl.cli.options import (
    DateOpt,
    InventoryOpt,
    JsonOpt,
    ParamOpt,
    RunbooksOpt,
    error_paragraph,
    json_out,
    plan_request,
    write_printout,
)
from otcctl.errors import ExitCode, InputError

app = typer.Typer(
    name="otcctl",
    help="Run the OTC trading system's operations manual as runbooks: preview, print, execute, record.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

def _version(value: bool) -> None:
    if value:
        typer.echo(f"otcctl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit")
    ] = False,
) -> None:
    """otcctl: runbooks for the OTC system's operators."""


@app.command("list")
def list_runbooks(runbooks: RunbooksOpt = None, as_json: JsonOpt = False) -> None:
    """List the runbooks: name, title, cadence, number of steps."""
    from otcctl.model import locate
    from otcctl.model.load import load_runbook
    from otcctl.output.plan_view import print_list, runbook_summary

    loaded = [load_runbook(path) for path in locate.all_runbooks(runbooks)]
    if as_json:
        json_out([runbook_summary(item) for item in loaded])
        return
    from otcctl.output.console import make_console

    print_list(make_console(), loaded)


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="runbook name or path")],
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


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="runbook or inventory files (default: all shipped)")
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
            mark = "ok  " if item.ok else "FAIL"
            console.print(f"{mark} {item.kind:<9} {item.path}", markup=False)
        for problem in report.problems:
            error_paragraph(str(problem))
    if report.problems:
        raise typer.Exit(ExitCode.BAD_INPUT)


@app.command("dry-run")
def dry_run(
    name: Annotated[str, typer.Argument(help="runbook name or path")],
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

    print_plan(make_console(), plan)


@app.command()
def checklist(
    name: Annotated[str, typer.Argument(help="runbook name or path")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, md, html or pdf")] = "text",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write to this file")] = None,
    param: ParamOpt = None,
    run_date: DateOpt = None,
    inventory: InventoryOpt = None,
    runbooks: RunbooksOpt = None,
) -> None:
    """Print the manual's table for a runbook with sign-off columns, ready to print and sign."""
    if fmt not in ("text", "md", "html", "pdf"):
        raise InputError.at("--format", f"{fmt!r} is not one of text, md, html, pdf")
    from otcctl.output.printout import render_checklist
    from otcctl.plan.prepare import prepare_plan

    plan = prepare_plan(plan_request(name, param, run_date, inventory, runbooks))
    write_printout(render_checklist(plan, fmt), output, fmt)  # type: ignore[arg-type]


@app.command()
def schema(
    what: Annotated[str, typer.Argument(help="runbook or inventory")] = "runbook",
) -> None:
    """Print the JSON Schema of runbooks (or the inventory) for editors and CI."""
    from otcctl.model.schema_export import schema_json

    if what not in ("runbook", "inventory"):
        raise InputError.at("schema", f"{what!r} is not 'runbook' or 'inventory'")
    sys.stdout.write(schema_json(what) + "\n")
