"""The otcctl command line: parse, build a request, call the core, map errors to exit codes.

Nothing here decides anything about runbooks; it only turns words into calls and results
into output. Heavy libraries (paramiko, pywinrm, oracledb, fpdf2) are imported by the core
only when a command needs them, so ``--help``, ``list`` and ``dry-run`` start fast.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from otcctl import __version__
from otcctl.errors import ExitCode, InputError, OtcctlError

app = typer.Typer(
    name="otcctl",
    help="Run the OTC trading system's operations manual as runbooks: preview, print, execute, record.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

RunbooksOpt = Annotated[
    Path | None, typer.Option("--runbooks", help="folder of runbooks (default: ./runbooks or $OTCCTL_RUNBOOKS)")
]
InventoryOpt = Annotated[
    Path | None,
    typer.Option("--inventory", "-i", help="inventory file (default: ./inventory.yaml or $OTCCTL_INVENTORY)"),
]
ParamOpt = Annotated[
    list[str] | None, typer.Option("--param", "-p", help="set a runbook parameter: NAME=VALUE (repeatable)")
]
DateOpt = Annotated[
    str | None, typer.Option("--date", help="the trading date the run is for, YYYYMMDD (default: today, Shanghai)")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for machines")]


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


def _run_date(text: str | None) -> date | None:
    if text is None:
        return None
    from otcctl.params import parse_date

    try:
        return parse_date(text)
    except ValueError as exc:
        raise InputError.at("--date", str(exc)) from None


def _request(
    name: str, params: list[str] | None, run_date: str | None, inventory: Path | None, runbooks: Path | None
) -> Any:
    from otcctl.params import parse_overrides
    from otcctl.prepare import PlanRequest

    return PlanRequest(name, parse_overrides(params or []), _run_date(run_date), inventory, runbooks)


@app.command("list")
def list_runbooks(runbooks: RunbooksOpt = None, as_json: JsonOpt = False) -> None:
    """List the runbooks: name, title, cadence, number of steps."""
    from otcctl import locate
    from otcctl.output.plan_view import print_list, runbook_summary
    from otcctl.runbook.load import load_runbook

    loaded = [load_runbook(path) for path in locate.all_runbooks(runbooks)]
    if as_json:
        _json([runbook_summary(item) for item in loaded])
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
    from otcctl.prepare import load_named_runbook

    loaded = load_named_runbook(name, runbooks)
    if as_json:
        _json(runbook_to_json(loaded))
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
    from otcctl.validate import validate_files

    report = validate_files(paths or [], inventory, runbooks)
    if as_json:
        _json(report.to_json())
    else:
        from otcctl.output.console import make_console

        console = make_console()
        for item in report.files:
            mark = "ok  " if item.ok else "FAIL"
            console.print(f"{mark} {item.kind:<9} {item.path}", markup=False)
        for problem in report.problems:
            _error_paragraph(str(problem))
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
    from otcctl.prepare import prepare_plan

    plan = prepare_plan(_request(name, param, run_date, inventory, runbooks))
    if as_json:
        _json(plan_to_json(plan))
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
    from otcctl.output.checklist import render_checklist
    from otcctl.prepare import prepare_plan

    plan = prepare_plan(_request(name, param, run_date, inventory, runbooks))
    data = render_checklist(plan, fmt)  # type: ignore[arg-type]
    if output is not None:
        output.write_bytes(data)
        typer.echo(f"wrote {output} ({len(data)} bytes)")
    elif fmt == "pdf":
        if sys.stdout.isatty():
            raise InputError.at("--output", "a PDF is not printed to a terminal; give -o FILE.pdf")
        sys.stdout.buffer.write(data)
    else:
        sys.stdout.write(data.decode("utf-8"))


@app.command()
def schema(
    what: Annotated[str, typer.Argument(help="runbook or inventory")] = "runbook",
) -> None:
    """Print the JSON Schema of runbooks (or the inventory) for editors and CI."""
    from otcctl.schema_export import schema_json

    if what not in ("runbook", "inventory"):
        raise InputError.at("schema", f"{what!r} is not 'runbook' or 'inventory'")
    sys.stdout.write(schema_json(what) + "\n")


def _json(data: Any) -> None:
    from otcctl.output.console import print_json

    print_json(data)


def _error_paragraph(text: str) -> None:
    sys.stderr.write(f"error: {text}\n")


def main() -> None:
    """Entry point: run the CLI and turn otcctl errors into one paragraph and an exit code."""
    _mount_subcommands()
    try:
        app()
    except OtcctlError as exc:
        if isinstance(exc, InputError):
            for problem in exc.problems:
                _error_paragraph(str(problem))
        else:
            _error_paragraph(str(exc))
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        sys.stderr.write("interrupted; the journal records where the run stopped (otcctl runs)\n")
        sys.exit(int(ExitCode.INTERRUPTED))
    except Exception as exc:  # an otcctl bug: say so in one paragraph, keep the traceback for OTCCTL_DEBUG
        if os.environ.get("OTCCTL_DEBUG"):
            raise
        _error_paragraph(
            f"internal error ({type(exc).__name__}: {exc}). This is a bug in otcctl, not in your input. "
            "Every step that started is in the run journal (otcctl runs / otcctl log RUN_ID); rerun with "
            "OTCCTL_DEBUG=1 for the traceback and report it."
        )
        sys.exit(int(ExitCode.FAILED))


def _mount_subcommands() -> None:
    """Sub-apps live in their own modules; they are added at start so --help lists them."""
    from importlib import import_module

    for module, attr, name in (
        ("otcctl.cli_lab", "lab_app", "lab"),
        ("otcctl.cli_domain", "calendar_app", "calendar"),
        ("otcctl.cli_domain", "ofd_app", "ofd"),
    ):
        try:
            sub = getattr(import_module(module), attr)
        except (ImportError, AttributeError):
            continue
        if not any(g.name == name for g in app.registered_groups):
            app.add_typer(sub, name=name)


from otcctl import cli_run  # noqa: E402 - registers run, runs, log and resume on ``app``

__all__ = ["app", "cli_run", "json", "main"]
