"""Commands on the Windows middleware hosts (M5, M6) over WinRM, with pywinrm's Protocol.

The Protocol is used directly, not ``winrm.Session``, because a deadline must really end the
remote command: output is received in slices no longer than the time left, and past the
deadline the command gets a Signal terminate before the shell is deleted. Each run opens and
deletes its own shell; the connection (TLS session, NTLM context) is kept between runs, as an
SSH connection is, so a command does not pay a TLS handshake, a certificate check and three NTLM
round trips. A kept connection that no longer works (the host rebooted, dropped it, or forgot
the NTLM context behind a sealed message) fails at the shell's opening, before anything runs:
then it is dropped and the shell is opened once on a new connection, checked like the first.

Transport comes from the host's ``winrm`` settings: HTTPS with certificate validation by
default, or plain HTTP where NTLM seals every message. The shell is opened with the code page
of the host's encoding (936 for GBK), and output is decoded with that encoding unless it is
UTF-8 Chinese (see :func:`decode_output`). PowerShell's CLIXML error stream becomes plain text.
Connection trouble is a :class:`ConnectionFailed` whose message never holds the password.
"""

from __future__ import annotations

import base64
import codecs
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, cast

from otcctl.connectors.base import (
    OUTPUT_LIMIT,
    CommandOutput,
    CommandRunner,
    ConnectionFailed,
    Observe,
    Shell,
    UnsupportedStep,
)
from otcctl.model.inventory import Host, WinrmSettings

if TYPE_CHECKING:
    from winrm.protocol import Protocol

    from otcctl.secrets import Secret

ServiceState = Literal["running", "stopped", "start_pending", "stop_pending", "unknown"]
READ_TIMEOUT_SECONDS = 30
MAX_OPERATION_SECONDS = 20
CANCEL_POLL_SECONDS = 1
MAX_COMMAND_LINE = 8191  # cmd.exe's limit; a longer PowerShell script must be split into steps
_CODEPAGES = {"gbk": 936, "gb2312": 936, "gb18030": 54936, "utf-8": 65001, "big5": 950}
_SC_STATES: dict[str, ServiceState] = {"1": "stopped", "2": "start_pending", "3": "stop_pending", "4": "running"}
_SERVICE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


class WinrmConnector:
    """Runs commands on one Windows host; ``shell`` is the default, :meth:`run` may override it."""

    def __init__(self, host: Host, password: Secret | None, *, shell: Shell = "cmd", label: str | None = None) -> None:
        if host.transport != "winrm":
            raise ValueError(f"host {label or host.address} is reached over {host.transport}, not WinRM")
        self.host = host
        self.shell: Shell = shell
        self.settings = host.winrm or WinrmSettings()
        self.label = label or host.address
        self.endpoint = _endpoint(host, self.settings)
        self.codepage = codepage_for(host.encoding)
        self._password = password
        self._idle: Protocol | None = None  # the kept connection, between runs
        self._idle_lock = threading.Lock()

    def run(self, command: str, timeout: float, *, cancel: threading.Event | None = None,
            shell: Shell | None = None, observe: Observe | None = None,
            on_sent: Callable[[], None] | None = None) -> CommandOutput:
        """Run ``command``; past ``timeout`` seconds (or once ``cancel`` is set) it is terminated on the host.

        Both end as ``timed_out``, like the SSH connector. With ``cancel`` the output is polled
        at least every :data:`CANCEL_POLL_SECONDS`, so an operator's Ctrl-C is felt at once.
        """
        kind = shell or self.shell
        line = powershell_line(command) if kind == "powershell" else command
        started = time.monotonic()
        protocol, shell_id = self._open_shell()
        reusable = False
        try:
            output = self._execute(protocol, shell_id, line, started + timeout, started, cancel, observe, on_sent)
            reusable = True
            return output
        finally:
            try:
                protocol.close_shell(shell_id, close_session=False)
            except Exception:
                reusable = False
            if reusable:
                self._keep(protocol)
            else:
                protocol.transport.close_session()

    def close(self) -> None:
        """Close the kept connection, if any."""
        with self._idle_lock:
            idle, self._idle = self._idle, None
        if idle is not None:
            idle.transport.close_session()

    def _open_shell(self) -> tuple[Protocol, str]:
        """A shell on the kept connection, or on a new one when there is none or it no longer works."""
        import requests

        with self._idle_lock:
            kept, self._idle = self._idle, None
        if kept is not None:
            kept.operation_timeout_sec = min(MAX_OPERATION_SECONDS, READ_TIMEOUT_SECONDS - 1)
            try:
                return kept, kept.open_shell(codepage=self.codepage)
            except requests.exceptions.Timeout as exc:  # a host that does not answer: no second wait
                kept.transport.close_session()
                raise self._failure(exc, "opening a remote shell") from None
            except Exception:
                kept.transport.close_session()  # stale: nothing ran; open on a new connection below
        protocol = self._protocol(READ_TIMEOUT_SECONDS)
        try:
            return protocol, protocol.open_shell(codepage=self.codepage)
        except Exception as exc:
            protocol.transport.close_session()
            raise self._failure(exc, "opening a remote shell") from None

    def _keep(self, protocol: Protocol) -> None:
        with self._idle_lock:
            spare, self._idle = self._idle, protocol
        if spare is not None:  # two runs at once on this host: keep one connection
            spare.transport.close_session()

    def _execute(self, protocol: Protocol, shell_id: str, line: str, deadline: float, started: float,
                 cancel: threading.Event | None, observe: Observe | None,
                 on_sent: Callable[[], None] | None = None) -> CommandOutput:
        from winrm.exceptions import WinRMOperationTimeoutError

        try:
            command_id = protocol.run_command(shell_id, line)
        except Exception as exc:
            raise self._failure(exc, "starting the command") from None
        if on_sent is not None:
            on_sent()
        stdout, stderr = bytearray(), bytearray()
        exit_code: int | None = None
        timed_out = truncated = cancelled = False
        longest = CANCEL_POLL_SECONDS if cancel is not None else MAX_OPERATION_SECONDS
        while exit_code is None:
            remaining = deadline - time.monotonic()
            if cancel is not None and cancel.is_set():
                cancelled = True
                break
            if remaining <= 0:
                timed_out = True
                break
            protocol.operation_timeout_sec = max(1, min(longest, int(remaining)))
            try:
                out, err, code, done = protocol.get_command_output_raw(shell_id, command_id)
            except WinRMOperationTimeoutError:
                continue
            except Exception as exc:
                raise self._failure(exc, "while the command ran (it may or may not have finished)") from None
            if observe is not None:
                if out:
                    observe("stdout", out)
                if err:
                    observe("stderr", err)
            truncated |= _keep_tail(stdout, out) | _keep_tail(stderr, err)
            exit_code = code if done else None
        note = ""
        kill_delivered: bool | None = True if (timed_out or cancelled) else None
        try:
            protocol.cleanup_command(shell_id, command_id)
        except Exception as exc:
            if timed_out or cancelled:
                kill_delivered = False
                note = f"\notcctl: the host did not confirm the stopped command ended: {self._scrub(str(exc))}\n"
        return CommandOutput(
            exit_code=exit_code,
            stdout=decode_output(bytes(stdout[-OUTPUT_LIMIT:]), self.host.encoding, cut=len(stdout) > OUTPUT_LIMIT),
            stderr=clixml_to_text(decode_output(bytes(stderr[-OUTPUT_LIMIT:]), self.host.encoding,
                                                cut=len(stderr) > OUTPUT_LIMIT)) + note,
            duration=time.monotonic() - started,
            timed_out=timed_out,
            truncated=truncated,
            cancelled=cancelled,
            kill_delivered=kill_delivered,
        )

    def _protocol(self, read_timeout: int) -> Protocol:
        from winrm.protocol import Protocol

        kerberos = self.settings.auth == "kerberos"  # a ticket from the OS (kinit), no password in otcctl
        if self._password is None and not kerberos:
            raise ConnectionFailed(
                f"{self.label}: no password for {self.host.user}; the inventory's credential for this host gave none"
            )
        # None, not pywinrm's default "legacy_requests": a REQUESTS_CA_BUNDLE in the operator's
        # environment must not silently decide which certificates a production host may present.
        ca = cast(str, self.settings.ca_bundle if self.settings.cert_validation else None)
        protocol = Protocol(
            self.endpoint,
            transport=self.settings.auth,
            username=self.host.user,
            password=self._password.reveal() if self._password is not None else "",
            server_cert_validation="validate" if self.settings.cert_validation else "ignore",
            ca_trust_path=ca,
            read_timeout_sec=read_timeout,
            operation_timeout_sec=min(MAX_OPERATION_SECONDS, read_timeout - 1),
            message_encryption="auto",
            proxy=None,
        )
        if self.settings.scheme == "https" and self.settings.cert_validation and self.settings.server_name:
            _check_certificate_name(protocol, self.settings.server_name)
        return protocol

    def _scrub(self, text: str) -> str:
        """The text with the password masked (a library message could, in theory, echo it)."""
        secret = self._password.reveal() if self._password is not None else ""
        return text.replace(secret, "***") if secret else text

    def _failure(self, exc: Exception, doing: str) -> ConnectionFailed:
        """One paragraph saying what failed, where, and what to check; never the password."""
        import requests
        from winrm.exceptions import AuthenticationError, WinRMError, WinRMTransportError, WSManFaultError

        from otcctl.connectors import winrm_failures as why

        where = f"{self.label} ({self.endpoint})"
        user, server_name = self.host.user, self.settings.server_name
        if isinstance(exc, ConnectionFailed):
            return exc
        if isinstance(exc, requests.exceptions.SSLError):
            reason = _reason(str(exc), r"certificate verify failed: ([^'\")(]+)") or _reason(
                str(exc), r"(hostname '[^']*' doesn't match [^\")]+)") or "TLS handshake failed"
            presented = why.presented_certificate(self.host.address, self.host.port)
            message = why.tls_message(where, self.label, reason.strip(), presented, server_name or self.host.address)
        elif isinstance(exc, requests.exceptions.ConnectTimeout | requests.exceptions.ReadTimeout):
            message = f"{where}: no answer {doing} (timed out); the host may be down, rebooting or filtered"
        elif isinstance(exc, requests.exceptions.ConnectionError):
            reason = _reason(str(exc), r"\[Errno -?\d+\] ([^'\")]+)") or "connection failed"
            message = f"{where}: cannot connect {doing}: {reason.strip()}; is the host up and WinRM listening?"
        elif isinstance(exc, AuthenticationError):
            message = why.rejected_message(where, user, self.settings.auth, self.label, server_name)
        elif isinstance(exc, WSManFaultError) and str(exc.wsman_fault_code) == "5":
            message = why.access_denied_message(where, user, self.label)
        elif isinstance(exc, WSManFaultError) and str(exc.wsman_fault_code) == str(why.QUOTA_LIMIT):
            message = why.quota_message(where, user, self.label, exc.reason.strip())
        elif isinstance(exc, WSManFaultError):
            message = f"{where} refused {doing}: {exc.reason.strip()} (WS-Management fault {exc.wsman_fault_code})"
        elif isinstance(exc, WinRMTransportError) and exc.code == 503:
            message = (f"{where} answered HTTP 503 {doing}: the WinRM service is not ready (starting after a "
                       "reboot, or stopping); wait and try again")
        elif isinstance(exc, WinRMTransportError):
            message = f"{where} answered HTTP {exc.code} {doing}"
        elif isinstance(exc, WinRMError):
            message = f"{where}: {doing} failed: {exc}"
        else:
            message = f"{where}: {doing} failed: {type(exc).__name__}: {exc}"
        return ConnectionFailed(self._scrub(message))


def winrm_answers(host: Host, password: Secret | None, *, timeout: float = 5.0) -> bool:
    """Whether the host's WinRM service accepts us now (opens and deletes a shell): to wait out a reboot.

    False while the host is unreachable or not yet serving; a rejected password or certificate
    raises :class:`ConnectionFailed`, because waiting longer would not fix it.
    """
    import requests
    from winrm.exceptions import AuthenticationError, WSManFaultError

    connector = WinrmConnector(host, password)
    protocol = connector._protocol(max(2, int(timeout)))
    try:
        shell_id = protocol.open_shell(codepage=connector.codepage)
        protocol.close_shell(shell_id)
    except (AuthenticationError, requests.exceptions.SSLError) as exc:
        raise connector._failure(exc, "probing WinRM") from None
    except WSManFaultError as exc:
        if str(exc.wsman_fault_code) == "5":  # access denied: waiting will not grant it
            raise connector._failure(exc, "probing WinRM") from None
        protocol.transport.close_session()
        return False
    except Exception:
        protocol.transport.close_session()
        return False
    return True


def service_state(runner: CommandRunner, name: str, *, timeout: float = 30.0) -> ServiceState:
    """The state ``sc.exe query NAME`` reports ("unknown" when it cannot tell, e.g. no such service).

    ``sc.exe`` rather than ``sc``: in PowerShell ``sc`` is Set-Content.
    """
    if not _SERVICE_NAME.match(name):
        raise ValueError(f"not a Windows service name: {name!r}")
    output = runner.run(f"sc.exe query {name}", timeout)
    return "unknown" if output.timed_out else parse_sc_state(output.stdout)


def parse_sc_state(text: str) -> ServiceState:
    """The STATE of ``sc query`` output, by its number, which no Windows language translates."""
    match = re.search(r"^\s*STATE\s*:\s*(\d+)", text, re.MULTILINE)
    return _SC_STATES.get(match.group(1), "unknown") if match else "unknown"


def powershell_line(script: str) -> str:
    """The cmd.exe line that runs ``script`` (base64 of UTF-16LE, so no quoting can go wrong)."""
    encoded = base64.b64encode(script.encode("utf-16-le")).decode("ascii")
    line = f"powershell -NoProfile -NonInteractive -EncodedCommand {encoded}"
    if len(line) > MAX_COMMAND_LINE:
        raise UnsupportedStep(
            f"the PowerShell script is too long for one command line ({len(script)} characters; "
            f"encoded it needs {len(line)} of cmd.exe's {MAX_COMMAND_LINE}): split it into several steps"
        )
    return line


def codepage_for(encoding: str) -> int:
    """The Windows code page that makes the host print in ``encoding`` (GBK -> 936)."""
    name = codecs.lookup(encoding).name
    if name in _CODEPAGES:
        return _CODEPAGES[name]
    match = re.fullmatch(r"cp(\d+)", name)
    return int(match.group(1)) if match else 65001


def decode_output(data: bytes, encoding: str, *, cut: bool = False) -> str:
    """The host's encoding, unless the bytes are UTF-8 that reads as Chinese (a program ignoring the code page).

    "Valid UTF-8" alone is not enough: short GBK text often is valid UTF-8 by accident
    (PowerShell's ``目录`` header, C4 BF C2 BC, reads as ``Ŀ¼``), while genuine UTF-8 output on
    these hosts is Chinese. So UTF-8 wins only when every non-ASCII character it yields is
    CJK, or when the host's encoding cannot read the bytes at all. ``cut``: the bytes are a
    tail, whose first UTF-8 character may have lost up to three leading bytes.
    """
    start = 0
    while cut and start < min(3, len(data)) and 0x80 <= data[start] <= 0xBF:
        start += 1
    try:
        utf8: str | None = data[start:].decode("utf-8")
    except UnicodeDecodeError:
        utf8 = None
    if utf8 is not None and (all(ord(c) < 0x80 or _is_cjk(c) for c in utf8) or not _decodes(data, encoding)):
        text = utf8
    else:
        text = data.decode(encoding, errors="replace")
    return text.replace("\r\n", "\n")


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (0x2E80 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0xFE30 <= code <= 0xFE4F
            or 0xFF00 <= code <= 0xFFEF or 0x2010 <= code <= 0x2027)


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def clixml_to_text(text: str) -> str:
    """PowerShell's ``#< CLIXML`` error stream as the lines an operator would read; other text unchanged."""
    if not text.startswith("#< CLIXML"):
        return text
    try:
        root = ET.fromstring(text[len("#< CLIXML"):].strip())
    except ET.ParseError:
        return text
    lines = []
    for node in root.iter():
        stream = node.get("S", "").lower() if node.tag.endswith("}S") else ""
        if stream in ("error", "warning"):
            lines.append(("WARNING: " if stream == "warning" else "") + (node.text or ""))
    decoded = re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), "".join(lines))
    return decoded.replace("\r\n", "\n").rstrip() + "\n" if decoded.strip() else ""


def _keep_tail(buffer: bytearray, data: bytes) -> bool:
    """Append, keeping at most twice the limit in memory; True when something was dropped."""
    buffer.extend(data)
    if len(buffer) > 2 * OUTPUT_LIMIT:
        del buffer[:-OUTPUT_LIMIT]
        return True
    return len(buffer) > OUTPUT_LIMIT


def _reason(text: str, pattern: str) -> str | None:
    match = re.search(pattern, text)
    return match.group(1) if match else None


def _check_certificate_name(protocol: Protocol, server_name: str) -> None:
    """Check the host's certificate against ``server_name`` while still connecting to the address.

    urllib3's ``assert_hostname`` replaces the address in the name check; ``server_hostname``
    sends the name as SNI, as a client addressing the host by name would.
    """
    session = protocol.transport.build_session()
    adapter = session.get_adapter(protocol.transport.endpoint)
    pool_kw = getattr(getattr(adapter, "poolmanager", None), "connection_pool_kw", None)
    if isinstance(pool_kw, dict):
        pool_kw["assert_hostname"] = server_name
        pool_kw["server_hostname"] = server_name


def _endpoint(host: Host, settings: WinrmSettings) -> str:
    address = f"[{host.address}]" if ":" in host.address else host.address
    return f"{settings.scheme}://{address}:{host.port}{settings.path}"
