"""The stand-in listeners: one detached daemon holding every service port of every lab host.

Run as ``python -m otcctl_lab.listeners --dir DIR``; it returns once all ports listen (or says
which one could not be bound). The daemon then follows the state files under ``DIR/state``
several times a second: a stopped service or a powered-off host closes its listening socket, so a
port check sees "connection refused" exactly as with a dead process. Connections are accepted
and closed; Tomcat's stand-in answers ``GET /`` with HTTP 200 so a web check has a page to judge.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from otcctl_lab import proc
from otcctl_lab.errors import LabError
from otcctl_lab.layout import (
    HTTP_SERVICES,
    POWER_OFF,
    POWER_ON,
    RUNNING,
    LabLayout,
    LabSpec,
    read_state,
)

POLL_SECONDS = 0.1
_log = logging.getLogger("otcctl_lab.listeners")


@dataclass(frozen=True)
class Endpoint:
    """One service port on one host's loopback address."""

    host: str
    service: str
    address: str
    port: int

    @property
    def http(self) -> bool:
        return self.service in HTTP_SERVICES


def endpoints(spec: LabSpec) -> list[Endpoint]:
    """Every service port of the lab, host by host."""
    return [
        Endpoint(host.id, service.name, host.address, service.port)
        for host in spec.hosts
        for service in host.services
        if service.port is not None
    ]


def wanted(layout: LabLayout, endpoint: Endpoint) -> bool:
    """Whether the endpoint should listen now: host powered on and service running."""
    return (
        read_state(layout.power_state(endpoint.host), POWER_ON) != POWER_OFF
        and read_state(layout.service_state(endpoint.host, endpoint.service), RUNNING) == RUNNING
    )


async def _answer(endpoint: Endpoint, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        if endpoint.http:
            try:
                await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
            except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                return
            body = f"OTC lab {endpoint.service} on {endpoint.host}\n".encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode("ascii")
                + body
            )
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


class Listeners:
    """Opens and closes the endpoints' sockets to match the state files."""

    def __init__(self, layout: LabLayout, spec: LabSpec) -> None:
        self._layout = layout
        self._endpoints = endpoints(spec)
        self._servers: dict[Endpoint, asyncio.Server] = {}
        self._complained: set[Endpoint] = set()

    async def reconcile(self) -> list[str]:
        """Bring every endpoint to its wanted state; returns the problems of those that failed."""
        problems: list[str] = []
        for endpoint in self._endpoints:
            want = wanted(self._layout, endpoint)
            server = self._servers.get(endpoint)
            if want and server is None:
                problem = await self._open(endpoint)
                if problem:
                    problems.append(problem)
            elif not want and server is not None:
                server.close()
                del self._servers[endpoint]
                _log.info("closed %s %s %s:%d", endpoint.host, endpoint.service, endpoint.address, endpoint.port)
        return problems

    async def _open(self, endpoint: Endpoint) -> str | None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await _answer(endpoint, reader, writer)

        try:
            self._servers[endpoint] = await asyncio.start_server(
                handle, endpoint.address, endpoint.port, reuse_address=True
            )
        except OSError as exc:
            problem = (
                f"{endpoint.address}:{endpoint.port} ({endpoint.host} {endpoint.service}) cannot listen: "
                f"{exc.strerror or exc}"
            )
            if endpoint not in self._complained:
                _log.warning("%s", problem)
                self._complained.add(endpoint)
            return problem
        self._complained.discard(endpoint)
        _log.info("listening %s %s %s:%d", endpoint.host, endpoint.service, endpoint.address, endpoint.port)
        return None

    def close_all(self) -> None:
        """Close every socket (daemon shutdown)."""
        for server in self._servers.values():
            server.close()
        self._servers.clear()


async def serve(layout: LabLayout, spec: LabSpec, ready_pipe: int | None) -> None:
    """Listen until SIGTERM/SIGINT; report readiness (or the first failures) on ``ready_pipe``."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    listeners = Listeners(layout, spec)
    problems = await listeners.reconcile()
    if problems:
        listeners.close_all()
        if ready_pipe is not None:
            proc.report_ready(ready_pipe, "; ".join(problems))
        return
    proc.write_pid(layout.listeners_pid, os.getpid())
    if ready_pipe is not None:
        proc.report_ready(ready_pipe)
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=POLL_SECONDS)
        except TimeoutError:
            await listeners.reconcile()
    listeners.close_all()
    _log.info("stopped")


def main(argv: list[str] | None = None) -> int:
    """Detach, listen, and tell the caller (exit 0) once every port listens, or why not (exit 1)."""
    parser = argparse.ArgumentParser(prog="python -m otcctl_lab.listeners", description=__doc__)
    parser.add_argument("--dir", required=True, type=Path, help="the lab directory")
    parser.add_argument("--foreground", action="store_true", help="do not detach (debugging)")
    args = parser.parse_args(argv)
    layout = LabLayout.at(args.dir)
    try:
        spec = layout.load_spec()
    except LabError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.foreground:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        asyncio.run(serve(layout, spec, None))
        return 0
    side = proc.detach(layout.listeners_log)
    if not side.in_daemon:
        problem = proc.await_ready(side.pipe)
        if problem:
            print(f"stand-in listeners did not start: {problem}", file=sys.stderr)
            return 1
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    try:
        asyncio.run(serve(layout, spec, side.pipe))
    except BaseException as exc:
        _log.exception("listener daemon failed")
        proc.report_ready(side.pipe, f"crashed: {exc!r}")
        os._exit(1)
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
