"""Options and helpers every command shares, in one place."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from otcctl.errors import InputError

if TYPE_CHECKING:
    from otcctl.plan.prepare import PlanRequest

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


def parse_run_date(text: str | None) -> date | None:
    if text is None:
        return None
    from otcctl.plan.params import parse_date

    try:
        return parse_date(text)
    except ValueError as exc:
        raise InputError.at("--date", str(exc)) from None


def plan_request(
    name: str, params: list[str] | None, run_date: str | None, inventory: Path | None, runbooks: Path | None
) -> PlanRequest:
    from otcctl.plan.params import parse_overrides
    from otcctl.plan.prepare import PlanRequest

    return PlanRequest(name, parse_overrides(params or []), parse_run_date(run_date), inventory, runbooks)


def write_printout(data: bytes, output: Path | None, fmt: str, note: str = "") -> None:
    """A rendered sheet to a file (saying where), or to stdout; a PDF is never sent to a terminal."""
    import sys

    import typer

    if output is not None:
        output.write_bytes(data)
        typer.echo(f"wrote {output} ({len(data)} bytes){note}")
    elif fmt == "pdf":
        if sys.stdout.isatty():
            raise InputError.at("--output", "a PDF is not printed to a terminal; give -o FILE.pdf")
        sys.stdout.buffer.write(data)
    else:
        sys.stdout.write(data.decode("utf-8"))


def json_out(data: Any) -> None:
    from otcctl.output.console import print_json

    print_json(data)


def error_paragraph(text: str) -> None:
    sys.stderr.write(f"error: {text}\n")
