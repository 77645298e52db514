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


def _one_of(value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise typer.BadParameter(f"give one of {', '.join(choices)}")
    return value


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
    winrm: Annotated[
        str, typer.Option(help="WinRM transport of M5/M6: 'https' (production's: 5986, lab CA, certificate "
                          "named after the host) or 'http' (5985, NTLM sealing).",
                          callback=lambda v: _one_of(v, ("https", "http")))
    ] = "https",
    winrm_version: Annotated[
        str, typer.Option(help="Whose default shell quotas M5/M6 enforce: WinRM '2.0' (5 shells per user) "
                          "or '3.0' (30).",
                          callback=lambda v: _one_of(v, ("2.0", "3.0")))
    ] = "3.0",
) -> None:
    """Build and start the lab; returns once every host answers."""
    from otcctl_lab import LabOptions, lab_status, lab_up

    try:
        lab = lab_up(LabOptions(directory=lab_dir, inventory=inventory, date=date, network=network, sshd=sshd,
                                winrm_scheme=winrm, winrm_version=winrm_version))
        status = lab_status(lab.layout.root)
    except OtcctlError as exc:
        raise _fail(exc) from None
    console = Console()
    if lab.already_up:
        _say(console, f"The lab in {lab.layout.root} is already up (run 'lab down' first to rebuild it).")
    else:
        _say(console, f"Lab up in {lab.layout.root}, data files for {lab.spec.date}.")
    _print_status(console, status)
    if lab.spec.winrm_scheme == "https":
        _say(console, f"WinRM: HTTPS on 5986, certificates issued by the lab CA {lab.layout.pki_dir / 'ca.pem'} "
             f"to the host names (OTC-M5...); quotas of WinRM {lab.spec.winrm_version}")
    else:
        _say(console, f"WinRM: HTTP on 5985 with NTLM sealing; quotas of WinRM {lab.spec.winrm_version}")
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
def fault(
    host: Annotated[str, typer.Argument(help="Lab host, e.g. M5.")],
    name: Annotated[str, typer.Argument(help="The fault (see the list below), or 'clear'.")],
    which: Annotated[str | None, typer.Argument(help="With 'clear': the one fault to clear (default: all).")] = None,
    service: Annotated[str | None, typer.Option(help="The service a service fault applies to ('*': all).")] = None,
    seconds: Annotated[float | None, typer.Option(help="How long the fault lasts, where it has a duration.")] = None,
    lab_dir: DirOption = Path("lab"),
) -> None:
    """Make a lab host misbehave as real ones do: reboot-slow, reboot-held, winrm-503-while-starting,
    slow-stop, stuck-stop-pending, dependents-running, dies-after-start (Windows hosts; reboot-slow on
    Linux too), standby-mounted, sudo-requiretty, sudo-1.6 (database hosts); 'clear' ends them."""
    from otcctl_lab import faults, open_lab

    try:
        lab = open_lab(lab_dir)
        if name == "clear":
            removed = faults.clear(lab.layout, lab.spec, host, which)
            _say(Console(), f"{host}: cleared {', '.join(removed) if removed else 'nothing (no fault was set)'}.")
            return
        if which is not None:
            raise typer.BadParameter(f"unexpected argument {which!r} (only 'clear' takes a fault name)")
        params = faults.inject(lab.layout, lab.spec, host, name, service=service, seconds=seconds)
    except OtcctlError as exc:
        raise _fail(exc) from None
    detail = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())
    _say(Console(), f"{host}: {name}{' (' + detail + ')' if detail else ''}: {faults.FAULTS[name].what}. "
         f"'otcctl lab fault {host} clear' ends it.")


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
    from otcctl_lab import faults
    from otcctl_lab.layout import LabLayout

    layout = LabLayout.at(result.root)
    injected = [f"{h.id} {name}" + (f" ({', '.join(f'{k}={v}' for k, v in params.items())})" if params else "")
                for h in result.hosts for name, params in faults.current(layout, h.id).items()]
    if injected:
        _say(console, "injected faults: " + "; ".join(injected) + " ('otcctl lab fault HOST clear' ends them)")
