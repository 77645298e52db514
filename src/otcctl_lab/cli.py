"""``otcctl lab up|status|down``: the rehearsal estate on loopback. Parses, calls otcctl_lab, prints.

Mounted by otcctl as the ``lab`` sub-command through the ``otcctl.commands`` entry point.
Errors become a one-paragraph message and an
exit code here, and nowhere else.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from otcctl.errors import OtcctlError

if TYPE_CHECKING:
    from otcctl_lab import LabStatus

lab_app = typer.Typer(
    name="lab",
    help="A rehearsal copy of the estate on loopback (127.0.0.11-16): real sshd for M1-M4, "
    "stand-in service ports for all hosts, today's data files, and an inventory pointing at it.",
    no_args_is_help=True,
)

DirOption = Annotated[Path, typer.Option("--dir", help="Directory holding the lab (keys, logs, inventory.yaml).")]


def _say(console: Console, text: str) -> None:
    """Plain text: no markup (addresses like [127.0.0.11]:2222 are not tags), the terminal wraps it."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _fail(exc: OtcctlError) -> typer.Exit:
    _say(Console(stderr=True), str(exc))
    return typer.Exit(int(exc.exit_code))


def _check_date(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"\d{8}", value):
        raise typer.BadParameter("give the date as YYYYMMDD, e.g. 20240105")
    return value


@lab_app.command()
def up(
    lab_dir: DirOption = Path("lab"),
    inventory: Annotated[
        Path, typer.Option("--inventory", "-i", help="Production inventory the lab copies (hosts, services).")
    ] = Path("inventory.yaml"),
    date: Annotated[
        str | None,
        typer.Option(help="Trading date of the data files, YYYYMMDD (default: today in the inventory's timezone).",
                     callback=_check_date),
    ] = None,
    network: Annotated[
        str, typer.Option(help="First three octets of the lab's loopback addresses (hosts get .11 upwards).")
    ] = "127.0.0",
    sshd: Annotated[
        str | None, typer.Option(help="Path of the OpenSSH server binary (default: found on PATH or /usr/sbin).")
    ] = None,
) -> None:
    """Build and start the lab; returns once every host answers."""
    from otcctl_lab import LabOptions, lab_status, lab_up

    try:
        lab = lab_up(LabOptions(directory=lab_dir, inventory=inventory, date=date, network=network, sshd=sshd))
        status = lab_status(lab.layout.root)
    except OtcctlError as exc:
        raise _fail(exc) from None
    console = Console()
    if lab.already_up:
        _say(console, f"The lab in {lab.layout.root} is already up (run 'lab down' first to rebuild it).")
    else:
        _say(console, f"Lab up in {lab.layout.root}, data files for {lab.spec.date}.")
    _print_status(console, status)
    _say(console, f"Inventory: {lab.inventory_path}  (otcctl ... --inventory {lab.inventory_path})")


@lab_app.command()
def status(lab_dir: DirOption = Path("lab")) -> None:
    """Show each lab host: address, port, pid, up or down, and its services."""
    from otcctl_lab import lab_status

    try:
        result = lab_status(lab_dir)
    except OtcctlError as exc:
        raise _fail(exc) from None
    _print_status(Console(), result)


@lab_app.command()
def down(lab_dir: DirOption = Path("lab")) -> None:
    """Stop every process the lab started (sshd, listeners, reboots in progress)."""
    from otcctl_lab import lab_down

    try:
        stopped = lab_down(lab_dir)
    except OtcctlError as exc:
        raise _fail(exc) from None
    message = f"Stopped {len(stopped)} lab processes." if stopped else "Nothing of this lab was running."
    _say(Console(), message)


def _print_status(console: Console, result: LabStatus) -> None:
    table = Table(title=f"lab {result.root}", title_justify="left")
    for column in ("host", "address", "ssh port", "pid", "state", "services"):
        table.add_column(column)
    for host in result.hosts:
        state = "up" if host.up else ("rebooting" if host.rebooting else "down")
        services = ", ".join(
            f"{s.name}{':' + str(s.port) if s.port else ''} {'up' if s.active else 'down'}" for s in host.services
        )
        table.add_row(
            host.id, host.address, str(host.port or "-"), str(host.pid or "-"),
            f"[green]{state}[/]" if host.up else f"[red]{state}[/]", services,
        )
    console.print(table)
    listeners = result.listeners_pid
    _say(console, f"stand-in listeners: {'pid ' + str(listeners) if listeners else 'not running'}")
