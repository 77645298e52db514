"""The lab's mail server: a real SMTP server (aiosmtpd) on loopback that keeps every message.

Notify steps in the lab send real e-mail through the same code as production; the messages
land in ``DIR/mail/*.eml`` where an operator rehearsing (or a test) reads what the departments
would have received. Run as ``python -m otcctl_lab.mailsink --address A --port P --dir D``.
"""

from __future__ import annotations

import argparse
import signal
import threading
import time
from pathlib import Path
from typing import Any

MAIL_INDEX = 7  # 127.0.0.17: after the six hosts
MAIL_PORT = 2525


class _Keeper:
    """aiosmtpd handler: write each accepted message to its own file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.count += 1
            name = f"{time.strftime('%Y%m%d-%H%M%S')}-{self.count:04d}.eml"
        data = envelope.original_content or envelope.content
        path = self.folder / name
        path.write_bytes(data if isinstance(data, bytes) else str(data).encode("utf-8"))
        return "250 Message accepted for delivery"


def messages(folder: Path) -> list[Path]:
    """Every message the sink has kept, oldest first."""
    return sorted(folder.glob("*.eml"))


def main(argv: list[str] | None = None) -> None:
    """Serve until SIGTERM."""
    from aiosmtpd.controller import Controller

    parser = argparse.ArgumentParser(description="otcctl lab mail sink")
    parser.add_argument("--address", required=True)
    parser.add_argument("--port", type=int, default=MAIL_PORT)
    parser.add_argument("--dir", required=True, type=Path)
    args = parser.parse_args(argv)
    if not args.address.startswith("127."):
        raise SystemExit("the lab mail sink listens on loopback addresses only")
    args.dir.mkdir(parents=True, exist_ok=True)
    controller = Controller(_Keeper(args.dir), hostname=args.address, port=args.port)
    controller.start()
    print(f"lab mail sink listening on {args.address}:{args.port}, keeping mail in {args.dir}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
