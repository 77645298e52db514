"""``python -m otcctl_lab.winrm_peer``: run one emulated Windows host in the foreground until SIGTERM.

The lab daemonizes it and stops it with SIGTERM (exit 0). It prints one line to stdout once
it listens, so a starter may wait for that line (or for the port); a start failure (port
taken, address not loopback, bad services file) prints the reason to stderr and exits 1.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from types import FrameType

from otcctl_lab.winrm_peer.host import load_services
from otcctl_lab.winrm_peer.peer import PeerError, PeerOptions, start_peer
from otcctl_lab.winrm_peer.seeding import LOG_DIR, seed_backups, seed_middleware_logs


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m otcctl_lab.winrm_peer", description=__doc__)
    parser.add_argument("--address", required=True, help="loopback address to listen on, e.g. 127.0.0.15")
    parser.add_argument("--port", type=int, default=5985, help="WinRM port (default 5985; 5986 with --tls-cert)")
    parser.add_argument("--state-dir", type=Path, required=True, help="the host's state: services, drives, log")
    parser.add_argument("--users-file", type=Path, required=True, help="NTLM users, lines DOMAIN:USER:PASSWORD")
    parser.add_argument("--services-json", type=Path, required=True,
                        help='[{"name", "port", "autostart", "start_order", "display_name", "windows_service"}]')
    parser.add_argument("--hostname", default="OTC-MW", help="what 'hostname' prints")
    parser.add_argument("--down-seconds", type=float, default=3.0, help="how long a reboot keeps the host down")
    parser.add_argument("--pending-seconds", type=float, default=0.5, help="how long START/STOP_PENDING last")
    parser.add_argument("--no-service-ports", action="store_true",
                        help="do not open service ports (someone else follows the same state files)")
    parser.add_argument("--tls-cert", type=Path, help="serve HTTPS with this PEM certificate")
    parser.add_argument("--tls-key", type=Path, help="the certificate's PEM key")
    parser.add_argument("--backups-until", help="seed daily .dmp/.rar backups up to YYYYMMDD (if none exist yet)")
    parser.add_argument("--backup-days", type=int, default=14, help="how many days of backups to seed")
    parser.add_argument("--logs-until", help="seed the middleware's log files up to YYYYMMDD (if none exist yet)")
    parser.add_argument("--rights-json", type=Path, help='{"DOMAIN\\\\user": "administrator|remote-management|'
                        'not-allowed|uac-local"}; without it every user is an administrator')
    parser.add_argument("--faults-file", type=Path, help="injected faults, re-read when it changes (otcctl lab fault)")
    parser.add_argument("--winrm-version", choices=("2.0", "3.0"), default="3.0",
                        help="whose default shell quotas to enforce (2.0: 5 shells per user; 3.0: 30)")
    parser.add_argument("--log-level", default="INFO", help="logging level (stderr)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Start the peer, wait for SIGTERM/SIGINT, stop it; returns the exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(message)s", stream=sys.stderr)
    try:
        services = load_services(args.services_json)
        if args.backups_until and not (args.state_dir / "drives" / "D" / "backup").exists():
            until = datetime.strptime(args.backups_until, "%Y%m%d").date()
            seed_backups(args.state_dir / "drives", until, args.backup_days)
        if args.logs_until and not (args.state_dir / "drives" / "D").joinpath(*LOG_DIR).exists():
            day = datetime.strptime(args.logs_until, "%Y%m%d").date()
            seed_middleware_logs(args.state_dir / "drives", day, tuple(s.name for s in services))
        peer = start_peer(PeerOptions(
            args.address, args.state_dir, args.users_file, services, port=args.port, hostname=args.hostname,
            down_seconds=args.down_seconds, pending_seconds=args.pending_seconds,
            service_ports=not args.no_service_ports, tls_cert=args.tls_cert, tls_key=args.tls_key,
            rights_file=args.rights_json, faults_file=args.faults_file, winrm_version=args.winrm_version,
        ))
    except (PeerError, OSError, ValueError) as exc:
        print(f"winrm peer did not start: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    print(f"winrm peer {args.hostname} listening on {peer.url}", flush=True)
    while not stop.wait(0.5):
        pass
    peer.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
