"""The peer's HTTP listener: WinRM's POST /wsman with NTLM authentication and message sealing.

NTLM authenticates a TCP connection, not a request, so each connection keeps its own pyspnego
server context: the client's Negotiate message gets a 401 with the challenge, its Authenticate
message is checked against ``NTLM_USER_FILE`` (a wrong password gets 401, as on Windows), and
from then on the connection's requests are unsealed and its replies sealed with that context.
Like a default WinRM service (AllowUnencrypted=false, Basic off), an unsealed request on plain
HTTP is refused with 401. On HTTPS the TLS channel protects the traffic and the client's
channel binding token is checked against the peer's certificate.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import socket
import ssl
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from otcctl_lab.winrm_peer.sealing import CONTENT_TYPE, SealingError, is_sealed, seal, unseal

if TYPE_CHECKING:
    from spnego import ContextProxy
    from spnego.channel_bindings import GssChannelBindings

    from otcctl_lab.winrm_peer.faults import Rights
    from otcctl_lab.winrm_peer.wsman import WsmanService

_log = logging.getLogger("otcctl_lab.winrm_peer")
SOAP_TYPE = "application/soap+xml;charset=UTF-8"


class PeerHttpServer(ThreadingHTTPServer):
    """One listening socket; remembers its open connections so power-off can cut them."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], wsman: WsmanService, *, tls: ssl.SSLContext | None = None,
                 bindings: GssChannelBindings | None = None, allow_unencrypted: bool = False,
                 rights: Rights | None = None, unavailable_until: float = 0.0) -> None:
        super().__init__(address, _Handler)
        self.wsman = wsman
        self.rights = rights
        self.unavailable_until = unavailable_until  # time.monotonic() before which every request gets 503
        self.tls = tls
        self.bindings = bindings
        self.allow_unencrypted = allow_unencrypted
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def get_request(self) -> tuple[socket.socket, object]:
        conn, address = super().get_request()
        if self.tls is not None:
            conn = self.tls.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return conn, address

    def track(self, conn: socket.socket, alive: bool) -> None:
        with self._connections_lock:
            (self._connections.add if alive else self._connections.discard)(conn)

    def cut_connections(self) -> None:
        """Drop every open connection at once, as a host that loses power does."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: object, client_address: object) -> None:
        _log.debug("connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall per reply
    timeout = 300  # an idle keep-alive connection is dropped, as WinRM's HTTP.sys does
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""
    server: PeerHttpServer

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
            self.request.settimeout(None)
        super().setup()
        self.server.track(self.request, True)
        self._pending: ContextProxy | None = None
        self._context: ContextProxy | None = None
        self._user = ""

    def finish(self) -> None:
        self.server.track(self.request, False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: object) -> None:
        _log.debug("%s " + format, self.address_string(), *args)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if time.monotonic() < self.server.unavailable_until:
            # the listener is registered with HTTP.sys but the WinRM service is still starting
            self._reply(503, b"<h1>Service Unavailable</h1>", "text/html; charset=us-ascii")
            return
        if self.path.split("?")[0].lower() != "/wsman":
            self._reply(404, b"", "text/html")
            return
        header = self.headers.get("Authorization")
        if header is not None and not self._authenticate(header):
            return
        if self._context is None:
            self._reply(401, b"", None)
            return
        if not body:
            self._reply(200, b"", SOAP_TYPE)
            return
        sealed = is_sealed(self.headers.get("Content-Type", ""))
        if not sealed and self.server.tls is None and not self.server.allow_unencrypted:
            _log.info("refused an unencrypted request from %s on plain HTTP", self._user)
            self._reply(401, b"", None)
            return
        try:
            envelope = unseal(body, self._context) if sealed else body
        except SealingError as exc:
            _log.warning("bad sealed message from %s: %s", self._user, exc)
            self._reply(400, b"", None)
            return
        status, reply = self.server.wsman.handle(envelope, self._user)
        if sealed:
            self._reply(status, seal(reply, self._context), CONTENT_TYPE)
        else:
            self._reply(status, reply, SOAP_TYPE)

    def _authenticate(self, header: str) -> bool:
        """Advance the NTLM handshake; True when the connection is now authenticated."""
        import spnego
        from spnego.exceptions import SpnegoError

        scheme, _, value = header.partition(" ")
        try:
            token = base64.b64decode(value.strip(), validate=True)
        except ValueError:
            token = b""
        kind = struct.unpack("<I", token[8:12])[0] if token.startswith(b"NTLMSSP\x00") and len(token) >= 12 else 0
        if scheme.lower() not in ("negotiate", "ntlm") or kind not in (1, 3):
            self._reply(401, b"", None)
            return False
        try:
            if kind == 1:
                self._context = None
                self._pending = spnego.server(protocol="ntlm", channel_bindings=self.server.bindings)
                challenge = self._pending.step(token) or b""
                self._reply(401, b"", None, f"{scheme} {base64.b64encode(challenge).decode()}")
                return False
            if self._pending is None:
                raise SpnegoError(context_msg="an NTLM Authenticate message without a Negotiate first")
            self._pending.step(token)
        except SpnegoError as exc:
            _log.info("NTLM authentication failed from %s: %s", self.address_string(), exc)
            self._pending = None
            self._reply(401, b"", None)
            return False
        user = self._pending.client_principal or ""
        if self.server.rights is not None and self.server.rights.role(user) == "uac-local":
            # the password was right, but UAC's remote restrictions give a local administrator other than
            # the built-in one a filtered token, which WinRM refuses exactly like a wrong password
            _log.info("refused %s: a local account under UAC remote restrictions", user)
            self._pending = None
            self._reply(401, b"", None)
            return False
        self._context, self._pending = self._pending, None
        self._user = user
        _log.info("authenticated %s from %s", self._user, self.address_string())
        return True

    def _reply(self, status: int, body: bytes, content_type: str | None, challenge: str | None = None) -> None:
        self.send_response(status)
        if status == 401:
            for offer in [challenge] if challenge else ["Negotiate", "Kerberos"]:
                self.send_header("WWW-Authenticate", offer)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
