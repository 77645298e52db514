"""``python -m otcctl_lab.ctl``: the lab's systemctl and shutdown, for commands run on a lab host.

The generated lab inventory puts these commands where production has ``systemctl`` and
``shutdown -r``, so otcctl's service and reboot steps run unchanged against the lab:

    ctl --dir DIR service M3 Tomcat status|start|stop|restart
    ctl --dir DIR reboot M3 [--down-seconds 3]

``status`` prints ``active``/``inactive`` and exits 0/3 like ``systemctl is-active``; an unknown
host or service exits 4; any other failure exits 1 with a message on stderr. ``reboot`` returns
at once, like ``shutdown -r now``, and the host goes away half a second later.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from types import FrameType

from otcctl_lab import power, proc
from otcctl_lab.errors import LabError
from otcctl_lab.layout import LabLayout, LabSpec

EXIT_OK, EXIT_FAILED, EXIT_INACTIVE, EXIT_UNKNOWN = 0, 1, 3, 4
DEFAULT_DOWN_SECONDS = 3.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m otcctl_lab.ctl", description="Control a lab host.")
    parser.add_argument("--dir", required=True, type=Path, help="the lab directory")
    commands = parser.add_subparsers(dest="command", required=True)
    service = commands.add_parser("service", help="start, stop or query a stand-in service")
    service.add_argument("host")
    service.add_argument("service")
    service.add_argument("action", choices=["status", "is-active", "start", "stop", "restart"])
    reboot = commands.add_parser("reboot", help="reboot a lab host (returns at once)")
    reboot.add_argument("host")
    reboot.add_argument(
        "--down-seconds", type=float, default=DEFAULT_DOWN_SECONDS,
        help=f"how long the host stays off (default {DEFAULT_DOWN_SECONDS:g})",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one ctl command; returns the exit code."""
    args = _parser().parse_args(argv)
    layout = LabLayout.at(args.dir)
    try:
        spec = layout.load_spec()
        _refuse_other_host(layout, args.host)
        if args.command == "service":
            return _service(layout, spec, args.host, args.service, args.action)
        return _reboot(layout, spec, args.host, args.down_seconds)
    except power.UnknownUnit as exc:
        print(exc, file=sys.stderr)
        return EXIT_UNKNOWN
    except LabError as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAILED


def _refuse_other_host(layout: LabLayout, host_id: str) -> None:
    """On a lab host, act on that host only: systemctl and shutdown cannot reach another machine.

    So a runbook that sends a command to the wrong host fails in the lab as it would in production.
    """
    here = os.environ.get("OTCLAB_HOST")
    if here and here != host_id and os.environ.get("OTCLAB_DIR") == str(layout.root):
        raise LabError(f"this command runs on lab host {here}; it cannot act on {host_id} from here")


def _service(layout: LabLayout, spec: LabSpec, host: str, name: str, action: str) -> int:
    if action in ("status", "is-active"):
        active = power.service_active(layout, spec, host, name)
        print("active" if active else "inactive")
        return EXIT_OK if active else EXIT_INACTIVE
    if action in ("stop", "restart"):
        from otcctl_lab.faults import lingers

        if lingers(layout, host, name):
            return EXIT_OK  # the stop script returned; the process it asked to exit did not
        power.set_service(layout, spec, host, name, running=False)
    if action in ("start", "restart"):
        power.set_service(layout, spec, host, name, running=True)
    return EXIT_OK


def _reboot(layout: LabLayout, spec: LabSpec, host_id: str, down_seconds: float) -> int:
    from otcctl_lab.faults import reboot_down_seconds

    spec.host(host_id)
    down_seconds = reboot_down_seconds(layout, host_id, down_seconds)
    if power.listeners_pid(layout) is None or layout.stopping_marker.exists():
        raise LabError(f"the lab in {layout.root} is not up; 'otcctl lab up --dir {layout.root}' first")
    running = proc.live_pid(layout.reboot_pid(host_id))
    if running is not None:
        raise LabError(f"lab host {host_id} is already rebooting (pid {running})")
    side = proc.detach(layout.reboot_log(host_id))
    if not side.in_daemon:
        problem = proc.await_ready(side.pipe, timeout=5.0)
        if problem:
            raise LabError(f"reboot of {host_id} did not start: {problem}")
        print(f"lab host {host_id} is going down for reboot (back in about {down_seconds:g} s)")
        return EXIT_OK
    os._exit(_reboot_worker(layout, spec, host_id, down_seconds, side.pipe))


def _reboot_worker(layout: LabLayout, spec: LabSpec, host_id: str, down_seconds: float, pipe: int) -> int:
    """The detached half of a reboot: records its pid so ``lab down`` can cancel it."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    cancelled = False

    def on_term(signum: int, frame: FrameType | None) -> None:
        nonlocal cancelled
        cancelled = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    pid_file = layout.reboot_pid(host_id)
    proc.write_pid(pid_file, os.getpid())
    proc.report_ready(pipe)
    try:
        power.reboot_host(layout, spec, host_id, down_seconds, lambda: cancelled)
    except Exception:
        logging.getLogger("otcctl_lab.ctl").exception("reboot of %s failed", host_id)
        return EXIT_FAILED
    finally:
        pid_file.unlink(missing_ok=True)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
