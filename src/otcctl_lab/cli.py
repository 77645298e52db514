"""``otcctl lab up|status|down``: the rehearsal estate on loopback. Parses, calls otcctl_lab, prints.

Mounted by otcctl as the ``lab`` sub-command through the ``otcctl.commands`` entry point.
Errors become a one-paragraph message and an
exit code here, and nowhere else.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from otcctl.errors import ExitCode, InputError, OtcctlError
from otcctl.i18n import _

if TYPE_CHECKING:
    from otcctl_lab import LabStatus

lab_app = typer.Typer(
    name="lab",
    help="A rehearsal copy of the estate on loopback (NET.11-17, NET being 127.0.0 or $OTCLAB_NETWORK): real "
    "sshd for M1-M4, WinRM peers for M5/M6, stand-in service ports, a mail sink, today's data files, and an "
    "inventory pointing at it.",
    no_args_is_help=True,
    rich_markup_mode=None,
    epilog="otcctl lab up && otcctl lab status  # build the lab in ./lab, see it\n"
    "otcctl doctor -i lab/inventory.yaml  # then check it as a run would\n"
    "otcctl lab down  # stop it",
)

DirOption = Annotated[
    Path, typer.Option("--dir", metavar="DIR", help="Directory holding the lab (keys, logs, inventory.yaml).")
]


def _say(console: Console, text: str) -> None:
    """Plain text: no markup (addresses like [127.0.0.11]:2222 are not tags), the terminal wraps it."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _fail(exc: OtcctlError) -> typer.Exit:
    """The lab's errors as otcctl's one error paragraph (``error: ...``/``错误: ...``) and its exit code."""
    from otcctl.cli.options import report_error

    return typer.Exit(report_error(exc))


def _fail_input(where: str | Path, message: str) -> typer.Exit:
    return _fail(InputError.at(where, message))


def _one_of(value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise typer.BadParameter(_("give one of {choices}").format(choices=", ".join(choices)))
    return value


def _check_date(value: str | None) -> str | None:
    """YYYYMMDD or YYYY-MM-DD, as everywhere in otcctl; the lab is given YYYYMMDD."""
    if value is None:
        return None
    from otcctl.domain.clock import parse_date

    try:
        return parse_date(value).strftime("%Y%m%d")
    except ValueError:
        raise _fail_input("--date", _("{value!r} is not a date; write YYYYMMDD or YYYY-MM-DD").format(
            value=value)) from None


@lab_app.command(epilog="otcctl lab up  # the lab in ./lab on 127.0.0.11-17\n"
                 "OTCLAB_NETWORK=127.0.33 otcctl lab up --dir /tmp/lab2  # a second lab beside it\n"
                 "otcctl lab up --date 2026-12-01  # data files for another day")
def up(
    lab_dir: DirOption = Path("lab"),
    inventory: Annotated[
        Path, typer.Option("--inventory", "-i", metavar="FILE",
                           help="Production inventory the lab copies (hosts, services).")
    ] = Path("inventory.yaml"),
    date: Annotated[
        str | None,
        typer.Option(metavar="DATE", help="Trading date of the data files, YYYYMMDD or YYYY-MM-DD (default: today "
                     "in the inventory's timezone)."),
    ] = None,
    network: Annotated[
        str, typer.Option(metavar="NET", envvar="OTCLAB_NETWORK",
                          help="First three octets of the lab's loopback addresses, e.g. 127.0.33 (hosts get .11 "
                          "upwards; default: $OTCLAB_NETWORK or 127.0.0).")
    ] = "127.0.0",
    sshd: Annotated[
        str | None, typer.Option(metavar="PATH",
                                 help="Path of the OpenSSH server binary (default: found on PATH or /usr/sbin).")
    ] = None,
    winrm: Annotated[
        str, typer.Option(metavar="[https|http]",
                          help="WinRM transport of M5/M6: 'https' (production's: 5986, lab CA, certificate "
                          "named after the host) or 'http' (5985, NTLM sealing).",
                          callback=lambda v: _one_of(v, ("https", "http")))
    ] = "https",
    winrm_version: Annotated[
        str, typer.Option(metavar="[2.0|3.0]",
                          help="Whose default shell quotas M5/M6 enforce: WinRM '2.0' (5 shells per user) "
                          "or '3.0' (30).",
                          callback=lambda v: _one_of(v, ("2.0", "3.0")))
    ] = "3.0",
) -> None:
    """Build and start the lab; returns once every host answers."""
    from otcctl_lab import LabOptions, lab_status, lab_up

    date = _check_date(date)
    _check_network(network)
    if not inventory.is_file():
        raise _fail_input(inventory, _("no such inventory file (give --inventory FILE)"))
    try:
        lab = lab_up(LabOptions(directory=lab_dir, inventory=inventory, date=date, network=network, sshd=sshd,
                                winrm_scheme=winrm, winrm_version=winrm_version))
        status = lab_status(lab.layout.root)
    except OtcctlError as exc:
        raise _fail(exc) from None
    console = Console()
    if lab.already_up:
        _say(console, _("The lab in {root} is already up (run 'otcctl lab down' first to rebuild it).").format(
            root=lab.layout.root))
    else:
        _say(console, _("Lab up in {root}, data files for {date}.").format(root=lab.layout.root, date=lab.spec.date))
    _print_status(console, status)
    if lab.spec.winrm_scheme == "https":
        _say(console, _("WinRM: HTTPS on 5986, certificates issued by the lab CA {ca} to the host names (OTC-M5...); "
                        "quotas of WinRM {version}").format(ca=lab.layout.pki_dir / "ca.pem",
                                                           version=lab.spec.winrm_version))
    else:
        _say(console, _("WinRM: HTTP on 5985 with NTLM sealing; quotas of WinRM {version}").format(
            version=lab.spec.winrm_version))
    _say(console, _("Inventory: {path}  (otcctl ... --inventory {path})").format(path=lab.inventory_path))


@lab_app.command(epilog="otcctl lab status  # every host up or down\n"
                 "otcctl lab status --json  # for scripts: exit 1 when a host is down")
def status(
    lab_dir: DirOption = Path("lab"),
    as_json: Annotated[bool, typer.Option("--json", help="print JSON for machines")] = False,
) -> None:
    """Show each lab host: address, port, pid, up or down, and its services; exit 1 when any is down."""
    from otcctl_lab import lab_status

    if not lab_dir.is_dir():
        raise _fail_input(lab_dir, _("no lab here (otcctl lab up --dir {dir} builds one)").format(dir=lab_dir))
    try:
        result = lab_status(lab_dir)
    except OtcctlError as exc:
        raise _fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps(_status_json(result), ensure_ascii=False, indent=2) + "\n")
    else:
        _print_status(Console(), result)
    if not result.all_up:
        raise typer.Exit(int(ExitCode.FAILED))


@lab_app.command(epilog="otcctl lab fault M5 slow-stop --service OTCTranSZT  # a service that takes long to stop\n"
                 "otcctl lab fault M5 clear  # end every fault of M5")
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
    Linux too), lingers-after-stop (Linux hosts), standby-mounted, sudo-requiretty, sudo-1.6 (database
    hosts); 'clear' ends them."""
    from otcctl_lab import faults, open_lab

    try:
        lab = open_lab(lab_dir)
        if name == "clear":
            removed = faults.clear(lab.layout, lab.spec, host, which)
            cleared = ", ".join(removed) if removed else _("nothing (no fault was set)")
            _say(Console(), _("{host}: cleared {faults}.").format(host=host, faults=cleared))
            return
        if which is not None:
            raise _fail_input(which, _("unexpected argument (only 'clear' takes a fault name)"))
        params = faults.inject(lab.layout, lab.spec, host, name, service=service, seconds=seconds)
    except OtcctlError as exc:
        raise _fail(exc) from None
    detail = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())
    _say(Console(), f"{host}: {name}{' (' + detail + ')' if detail else ''}: {faults.FAULTS[name].what}. "
         f"'otcctl lab fault {host} clear' ends it.")


@lab_app.command(epilog="otcctl lab down  # stop the lab in ./lab\notcctl lab down --dir /tmp/lab2  # another one")
def down(lab_dir: DirOption = Path("lab")) -> None:
    """Stop every process the lab started (sshd, listeners, reboots in progress)."""
    from otcctl_lab import lab_down

    try:
        stopped = lab_down(lab_dir)
    except OtcctlError as exc:
        raise _fail(exc) from None
    message = (_("Stopped {count} lab processes.").format(count=len(stopped)) if stopped
               else _("Nothing of this lab was running."))
    _say(Console(), message)


def _print_status(console: Console, result: LabStatus) -> None:
    table = Table(title=_("lab {root}").format(root=result.root), title_justify="left")
    for column in (_("host"), _("address"), _("ssh port"), _("pid"), _("state"), _("services")):
        table.add_column(column)
    table.columns[1].no_wrap = True
    for host in result.hosts:
        state = _("up") if host.up else (_("rebooting") if host.rebooting else _("down"))
        services = ", ".join(
            f"{s.name}{':' + str(s.port) if s.port else ''} {_('up') if s.active else _('down')}"
            for s in host.services
        )
        table.add_row(
            host.id, host.address, str(host.port or "-"), str(host.pid or "-"),
            f"[green]{state}[/]" if host.up else f"[red]{state}[/]", services,
        )
    console.print(table)
    listeners = result.listeners_pid
    shown = _("pid {pid}").format(pid=listeners) if listeners else _("not running")
    _say(console, _("stand-in listeners: {state}").format(state=shown))
    from otcctl_lab import faults
    from otcctl_lab.layout import LabLayout

    layout = LabLayout.at(result.root)
    injected = [f"{h.id} {name}" + (f" ({', '.join(f'{k}={v}' for k, v in params.items())})" if params else "")
                for h in result.hosts for name, params in faults.current(layout, h.id).items()]
    if injected:
        _say(console, _("injected faults: {faults} ('otcctl lab fault HOST clear' ends them)").format(
            faults="; ".join(injected)))


def _status_json(result: LabStatus) -> dict[str, object]:
    return {
        "root": str(result.root),
        "all_up": result.all_up,
        "listeners_pid": result.listeners_pid,
        "hosts": [
            {"id": h.id, "address": h.address, "port": h.port, "pid": h.pid, "up": h.up, "rebooting": h.rebooting,
             "services": [{"name": s.name, "port": s.port, "active": s.active} for s in h.services]}
            for h in result.hosts
        ],
    }


def _check_network(network: str) -> None:
    parts = network.split(".")
    if len(parts) != 3 or parts[0] != "127" or not all(p.isdigit() and int(p) <= 255 for p in parts):
        raise _fail_input("--network", _("{value!r} is not a loopback network; give three octets starting "
                                           "with 127, e.g. 127.0.33").format(value=network))
