"""A running WinRM peer: the emulated host, its WS-Management service and its HTTP(S) listener.

:func:`start_peer` is the API for tests and the lab; ``python -m otcctl_lab.winrm_peer`` runs the
same in the foreground. A small loop follows the host's state files ten times a second, so a
reboot (``shutdown /r``, or the lab writing ``.power``) closes the listener and every service
port, and reopens them when the host is back. The peer only ever binds loopback addresses:
the lab must never answer on, or reach, a real network.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import os
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from otcctl_lab.winrm_peer.drives import Drives
from otcctl_lab.winrm_peer.faults import Faults, Rights
from otcctl_lab.winrm_peer.host import POWER_FILE, POWER_ON, EmulatedHost, ServiceSpec, write_word
from otcctl_lab.winrm_peer.process import CommandLog, CommandRecord, Machine
from otcctl_lab.winrm_peer.transport import PeerHttpServer
from otcctl_lab.winrm_peer.wsman import WsmanService, quotas_for

if TYPE_CHECKING:
    from spnego.channel_bindings import GssChannelBindings

TICK_SECONDS = 0.1
_log = logging.getLogger("otcctl_lab.winrm_peer")


class PeerError(RuntimeError):
    """The peer cannot start as asked (address not loopback, port taken, users file missing)."""


@dataclass(frozen=True)
class PeerOptions:
    """Everything a peer is started with."""

    address: str
    state_dir: Path
    users_file: Path
    services: tuple[ServiceSpec, ...]
    port: int = 5985
    hostname: str = "OTC-MW"
    down_seconds: float = 3.0
    pending_seconds: float = 0.5
    service_ports: bool = True
    tls_cert: Path | None = None
    tls_key: Path | None = None
    allow_unencrypted: bool = False
    rights_file: Path | None = None
    faults_file: Path | None = None
    winrm_version: str = "3.0"


class Peer:
    """One emulated Windows host answering WinRM; :meth:`stop` ends it and closes every socket."""

    def __init__(self, options: PeerOptions) -> None:
        if not ipaddress.ip_address(options.address).is_loopback:
            raise PeerError(f"{options.address} is not a loopback address; the WinRM peer only listens on 127.0.0.0/8")
        self.options = options
        scheme = "https" if options.tls_cert else "http"
        self.url = f"{scheme}://{options.address}:{options.port}/wsman"
        self.faults = Faults(options.faults_file)
        self.rights = Rights.load(options.rights_file)
        self.host = EmulatedHost(
            options.address, options.state_dir, options.services, pending_seconds=options.pending_seconds,
            down_seconds=options.down_seconds, service_ports=options.service_ports, on_power=self._power,
            faults=self.faults,
        )
        self.log = CommandLog(options.state_dir / "commands.jsonl")
        machine = Machine(self.host, Drives(options.state_dir / "drives"), options.hostname, self.rights,
                          options.winrm_version)
        self.wsman = WsmanService(machine, self.log, self.url, quotas_for(options.winrm_version))
        self._booted = False
        self._tls = _tls_context(options)
        self._server: PeerHttpServer | None = None
        self._server_lock = threading.Lock()
        self._stop = threading.Event()
        self._loop: threading.Thread | None = None
        self._bind_error: str | None = None

    def start(self) -> Peer:
        """Power on: bind the listener and the running services' ports; :class:`PeerError` if one fails."""
        write_word(self.options.state_dir / POWER_FILE, POWER_ON)
        problems = self.host.tick()
        if problems:
            self.stop()
            raise PeerError("; ".join(problems))
        if self._server is None:
            self.stop()
            raise PeerError(f"{self.options.address}:{self.options.port} cannot listen: {self._bind_error}")
        self._loop = threading.Thread(target=self._follow, name=f"peer-{self.options.address}", daemon=True)
        self._loop.start()
        return self

    def _follow(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            self.host.tick()
            if self._server is None and self.host.powered_on():
                self._power(True)  # the port was still taken when the host came back: try again

    def _power(self, on: bool) -> None:
        with self._server_lock:
            if on and self._server is None and not self._stop.is_set():
                self._server = self._listen()
                starting = self.faults.seconds("winrm-503-while-starting") if self._booted else None
                if self._server is not None and starting:
                    self._server.unavailable_until = time.monotonic() + starting
                    _log.info("%s: WinRM answers 503 for %.0f s while it starts", self.options.address, starting)
                self._booted = self._booted or self._server is not None
            elif not on and self._server is not None:
                server, self._server = self._server, None
                server.shutdown()
                server.server_close()
                server.cut_connections()
                self.wsman.reset("power_off")
                _log.info("%s: WinRM listener closed (power off)", self.options.address)

    def _listen(self) -> PeerHttpServer | None:
        """The listener, or None (logged once) when the port cannot be bound yet."""
        bindings = _channel_bindings(self.options.tls_cert) if self.options.tls_cert else None
        try:
            server = PeerHttpServer((self.options.address, self.options.port), self.wsman, tls=self._tls,
                                    bindings=bindings, allow_unencrypted=self.options.allow_unencrypted,
                                    rights=self.rights if self.rights.enforced else None)
        except OSError as exc:
            if self._bind_error is None:
                _log.error("%s:%d cannot listen: %s", self.options.address, self.options.port, exc.strerror)
            self._bind_error = exc.strerror or str(exc)
            return None
        self._bind_error = None
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                         name=f"http-{self.options.address}", daemon=True).start()
        _log.info("%s: WinRM listening on %s", self.options.address, self.url)
        return server

    def commands(self) -> list[CommandRecord]:
        """Every command run on this host so far, oldest first, with how it ended."""
        return self.log.records()

    def stop(self) -> None:
        """Close the listener, the service ports and every connection; end running commands."""
        self._stop.set()
        self.host.close()
        self._power(False)
        if self._loop is not None and self._loop is not threading.current_thread():
            self._loop.join(timeout=2)


def start_peer(options: PeerOptions) -> Peer:
    """Start a peer in this process (threads) and return it once it listens; call ``stop()`` after.

    pyspnego reads the NTLM users from the ``NTLM_USER_FILE`` environment variable, which is
    process-wide: every peer of one process must share one users file.
    """
    if not options.users_file.is_file():
        raise PeerError(f"NTLM users file {options.users_file} does not exist (lines DOMAIN:USER:PASSWORD)")
    current = os.environ.get("NTLM_USER_FILE")
    if current and Path(current).resolve() != options.users_file.resolve():
        raise PeerError(f"this process already serves NTLM users from {current}; peers of one process share one file")
    os.environ["NTLM_USER_FILE"] = str(options.users_file.resolve())
    return Peer(options).start()


def _tls_context(options: PeerOptions) -> ssl.SSLContext | None:
    if options.tls_cert is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(options.tls_cert, options.tls_key)
    return context


def _channel_bindings(cert: Path) -> GssChannelBindings:
    """tls-server-end-point bindings (RFC 5929) of the peer's certificate, as the client computes them."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from spnego.channel_bindings import GssChannelBindings

    certificate = x509.load_pem_x509_certificate(cert.read_bytes())
    algorithm = certificate.signature_hash_algorithm
    der = certificate.public_bytes(Encoding.DER)
    if algorithm is None or algorithm.name in ("md5", "sha1"):
        digest = hashlib.sha256(der).digest()
    else:
        digest = hashlib.new(algorithm.name, der).digest()
    return GssChannelBindings(application_data=b"tls-server-end-point:" + digest)
