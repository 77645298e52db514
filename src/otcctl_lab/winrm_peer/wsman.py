"""WS-Management as pywinrm speaks it (MS-WSMV): the remote shell's Create, Command, Receive, Signal, Delete.

Requests and replies are SOAP 1.2 envelopes. Faults carry the codes a real WinRM service
uses, because pywinrm acts on them: 2150858793 (OperationTimeout) on a Receive that found no
output in time is what makes the client simply ask again, and any other fault becomes a
``WSManFaultError``. Only the cmd shell resource is served; PowerShell remoting
(``microsoft.powershell``), WMI and the other resources get a fault, as does any other action.
"""

from __future__ import annotations

import base64
import re
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from otcctl_lab.winrm_peer.cmd import run_line
from otcctl_lab.winrm_peer.process import CommandLog, CommandRecord, EndReason, Invocation, Machine, RunningCommand

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "x": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
}
SHELL_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
_RSP = NS["rsp"]
_TRANSFER = NS["x"]
ACTIONS = {
    f"{_TRANSFER}/Create": "create",
    f"{_RSP}/Command": "command",
    f"{_RSP}/Receive": "receive",
    f"{_RSP}/Signal": "signal",
    f"{_TRANSFER}/Delete": "delete",
}
SIGNAL_TERMINATE = f"{_RSP}/signal/terminate"
SIGNAL_CTRL_C = f"{_RSP}/signal/ctrl_c"
TIMED_OUT, ACTION_NOT_SUPPORTED, NOT_FOUND, SHELL_NOT_FOUND, QUOTA = (
    2150858793, 2150858771, 2150858752, 2150858843, 2150859173)
ACCESS_DENIED = 5
RECEIVE_CHUNK = 64 * 1024
MAX_COMMAND_LINE = 8191  # cmd.exe's limit on one command line


@dataclass(frozen=True)
class Quotas:
    """The WinRM service's shell quotas (``winrm get winrm/config/winrs``) that the peer enforces."""

    version: str
    max_shells_per_user: int
    max_concurrent_users: int
    max_memory_per_shell_mb: int  # counted, not measured: what a PowerShell script keeps (pssession.keep)


QUOTAS = {
    "2.0": Quotas("2.0", max_shells_per_user=5, max_concurrent_users=5, max_memory_per_shell_mb=150),
    "3.0": Quotas("3.0", max_shells_per_user=30, max_concurrent_users=10, max_memory_per_shell_mb=1024),
}
MAX_SHELLS_PER_USER = QUOTAS["3.0"].max_shells_per_user


def quotas_for(version: str) -> Quotas:
    """WinRM 2.0's defaults (Windows Server 2008 R2 without WMF 3) or 3.0's (2012 and later)."""
    return QUOTAS[version]


class Fault(Exception):
    """A SOAP fault to send back (HTTP 500), with the WSManFault code pywinrm looks at."""

    def __init__(self, code: int, subcode: str, reason: str, sender: bool = True) -> None:
        super().__init__(reason)
        self.code, self.subcode, self.reason, self.sender = code, subcode, reason, sender


@dataclass
class Shell:
    """A remote shell: who opened it, its code page and its commands."""

    shell_id: str
    user: str
    codepage: int
    commands: dict[str, RunningCommand] = field(default_factory=dict)


class WsmanService:
    """The shells of one host; :meth:`handle` turns one request envelope into a reply envelope."""

    def __init__(self, machine: Machine, log: CommandLog, endpoint: str, quotas: Quotas | None = None) -> None:
        self.quotas = quotas or QUOTAS["3.0"]
        self.machine = machine
        self.log = log
        self.endpoint = endpoint
        self._shells: dict[str, Shell] = {}
        self._lock = threading.Lock()

    def handle(self, body: bytes, user: str) -> tuple[int, bytes]:
        """(HTTP status, reply envelope) for one request envelope from an authenticated ``user``."""
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            return 400, b""
        message_id = _text(root, "s:Header/a:MessageID") or ""
        try:
            action = _text(root, "s:Header/a:Action") or ""
            verb = ACTIONS.get(action)
            if verb is None:
                raise Fault(ACTION_NOT_SUPPORTED, "a:ActionNotSupported",
                            f"The WS-Management service does not support the specified action: {action}")
            if (_text(root, "s:Header/w:ResourceURI") or "") != SHELL_URI:
                raise Fault(NOT_FOUND, "w:DestinationUnreachable",
                            "The WS-Management service cannot process the request. The resource URI is not served "
                            "by this host (only the cmd shell is emulated).")
            reply_action, body_xml = getattr(self, f"_{verb}")(root, user)
            return 200, _envelope(reply_action, message_id, body_xml)
        except Fault as fault:
            return 500, _fault_envelope(fault, message_id)

    def _create(self, root: ET.Element, user: str) -> tuple[str, str]:
        options = _options(root)
        codepage = int(options.get("WINRS_CODEPAGE", "936") or 936)
        shell = Shell(uuid.uuid4().hex.upper(), user, codepage)
        if self.machine.rights.role(user) == "not-allowed":
            raise Fault(ACCESS_DENIED, "w:AccessDenied", "Access is denied. ")
        limit, users_limit = self.quotas.max_shells_per_user, self.quotas.max_concurrent_users
        with self._lock:
            if sum(1 for s in self._shells.values() if s.user == user) >= limit:
                raise Fault(QUOTA, "w:QuotaLimit", "The WS-Management service cannot process the request. "
                            f"This user is allowed a maximum number of {limit} concurrent shells, "
                            "which has been exceeded. Close existing shells or raise the quota for this user.")
            users = {s.user for s in self._shells.values()}
            if user not in users and len(users) >= users_limit:
                raise Fault(QUOTA, "w:QuotaLimit", "The WS-Management service cannot process the request. "
                            f"The maximum number of concurrent users ({users_limit}) for this service has "
                            "been exceeded.")
            self._shells[shell.shell_id] = shell
        created = (
            f'<x:ResourceCreated><a:Address>{escape(self.endpoint)}</a:Address><a:ReferenceParameters>'
            f"<w:ResourceURI>{SHELL_URI}</w:ResourceURI><w:SelectorSet>"
            f'<w:Selector Name="ShellId">{shell.shell_id}</w:Selector></w:SelectorSet></a:ReferenceParameters>'
            f"</x:ResourceCreated><rsp:Shell><rsp:ShellId>{shell.shell_id}</rsp:ShellId>"
            f"<rsp:ResourceUri>{SHELL_URI}</rsp:ResourceUri><rsp:Owner>{escape(user)}</rsp:Owner>"
            "<rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>"
        )
        return f"{_TRANSFER}/CreateResponse", created

    def _command(self, root: ET.Element, user: str) -> tuple[str, str]:
        shell = self._shell(root)
        line = (_text(root, "s:Body/rsp:CommandLine/rsp:Command") or "").strip()
        arguments = _text(root, "s:Body/rsp:CommandLine/rsp:Arguments")
        if arguments:
            line = f"{line} {arguments.strip()}"
        console = _options(root).get("WINRS_CONSOLEMODE_STDIN", "TRUE").upper() == "TRUE"
        command_id = str(uuid.uuid4()).upper()
        record = CommandRecord(command_id, shell.shell_id, user, line, time.time())
        running = RunningCommand(record, self.log, shell.codepage)
        shell.commands[command_id] = running
        invocation = Invocation(running, self.machine, user, console)
        running.start(lambda _cmd: _cmd_exe(line, invocation))
        reply = f"<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId></rsp:CommandResponse>"
        return f"{_RSP}/CommandResponse", reply

    def _receive(self, root: ET.Element, user: str) -> tuple[str, str]:
        shell = self._shell(root)
        stream = root.find("s:Body/rsp:Receive/rsp:DesiredStream", NS)
        command = shell.commands.get(stream.get("CommandId", "") if stream is not None else "")
        if command is None:
            raise Fault(NOT_FOUND, "w:InvalidSelectors", "The command is not running in this shell.")
        got = command.receive(_operation_timeout(root), RECEIVE_CHUNK)
        if got is None:
            raise Fault(TIMED_OUT, "w:TimedOut", "The WS-Management service cannot complete the operation within "
                        "the time specified in OperationTimeout.", sender=False)
        out, err, done, code = got
        cid = command.record.command_id
        parts = [f'<rsp:Stream Name="{name}" CommandId="{cid}">{base64.b64encode(data).decode()}</rsp:Stream>'
                 for name, data in (("stdout", out), ("stderr", err)) if data]
        if done:
            parts += [f'<rsp:Stream Name="{n}" CommandId="{cid}" End="true"></rsp:Stream>'
                      for n in ("stdout", "stderr")]
            state = (f'<rsp:CommandState CommandId="{cid}" State="{_RSP}/CommandState/Done">'
                     f"<rsp:ExitCode>{code if code is not None else 1}</rsp:ExitCode></rsp:CommandState>")
        else:
            state = f'<rsp:CommandState CommandId="{cid}" State="{_RSP}/CommandState/Running"></rsp:CommandState>'
        return f"{_RSP}/ReceiveResponse", "<rsp:ReceiveResponse>" + "".join(parts) + state + "</rsp:ReceiveResponse>"

    def _signal(self, root: ET.Element, user: str) -> tuple[str, str]:
        shell = self._shell(root)
        signal = root.find("s:Body/rsp:Signal", NS)
        command = shell.commands.get(signal.get("CommandId", "") if signal is not None else "")
        code = _text(root, "s:Body/rsp:Signal/rsp:Code") or ""
        if command is None:
            raise Fault(NOT_FOUND, "w:InvalidSelectors", "The command is not running in this shell.")
        if code == SIGNAL_TERMINATE:
            command.kill("terminated")
            shell.commands.pop(command.record.command_id, None)
        elif code == SIGNAL_CTRL_C:
            command.interrupt()
        else:
            raise Fault(ACTION_NOT_SUPPORTED, "w:InvalidParameter", f"The signal {code} is not emulated.")
        return f"{_RSP}/SignalResponse", "<rsp:SignalResponse/>"

    def _delete(self, root: ET.Element, user: str) -> tuple[str, str]:
        shell = self._shell(root)
        with self._lock:
            self._shells.pop(shell.shell_id, None)
        for command in shell.commands.values():
            command.kill("shell_deleted")
        return f"{_TRANSFER}/DeleteResponse", ""

    def _shell(self, root: ET.Element) -> Shell:
        shell_id = next((s.text or "" for s in root.iterfind("s:Header/w:SelectorSet/w:Selector", NS)
                         if s.get("Name") == "ShellId"), "")
        with self._lock:
            shell = self._shells.get(shell_id)
        if shell is None:
            raise Fault(SHELL_NOT_FOUND, "w:InvalidSelectors", f"The request for the Windows Remote Shell with "
                        f"ShellId {shell_id} failed because the shell was not found on the server. Possible causes "
                        "are: the specified ShellId is incorrect or the shell no longer exists on the server. "
                        "Provide the correct ShellId or create a new shell and retry the operation. ")
        return shell

    def reset(self, reason: EndReason) -> None:
        """Forget every shell and end every command (the host lost power)."""
        with self._lock:
            shells, self._shells = list(self._shells.values()), {}
        for shell in shells:
            for command in shell.commands.values():
                command.kill(reason)


def _cmd_exe(line: str, inv: Invocation) -> int:
    """cmd.exe refuses a line longer than 8191 characters before running anything of it."""
    if len(line) > MAX_COMMAND_LINE:
        inv.cmd.err("命令行太长。\n")
        return 1
    return run_line(line, inv)


def _text(root: ET.Element, path: str) -> str | None:
    node = root.find(path, NS)
    return node.text if node is not None else None


def _options(root: ET.Element) -> dict[str, str]:
    return {o.get("Name", ""): (o.text or "") for o in root.iterfind("s:Header/w:OptionSet/w:Option", NS)}


def _operation_timeout(root: ET.Element) -> float:
    text = (_text(root, "s:Header/w:OperationTimeout") or "").strip()
    match = re.fullmatch(r"PT(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?", text)
    if match is None or not any(match.groups()):
        return 20.0
    return min(60.0, int(match.group(1) or 0) * 60 + float(match.group(2) or 0))


_ENVELOPE_NS = " ".join(f'xmlns:{k}="{v}"' for k, v in NS.items())


def _envelope(action: str, relates_to: str, body: str) -> bytes:
    header = (f"<s:Header><a:Action>{action}</a:Action><a:MessageID>uuid:{uuid.uuid4()}</a:MessageID>"
              f"<a:To>{NS['a']}/role/anonymous</a:To><a:RelatesTo>{escape(relates_to)}</a:RelatesTo></s:Header>")
    return f'<s:Envelope xml:lang="en-US" {_ENVELOPE_NS}>{header}<s:Body>{body}</s:Body></s:Envelope>'.encode()


def _fault_envelope(fault: Fault, relates_to: str) -> bytes:
    body = (
        f"<s:Fault><s:Code><s:Value>s:{'Sender' if fault.sender else 'Receiver'}</s:Value>"
        f"<s:Subcode><s:Value>{fault.subcode}</s:Value></s:Subcode></s:Code>"
        f'<s:Reason><s:Text xml:lang="en-US">{escape(fault.reason)}</s:Text></s:Reason>'
        f'<s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="{fault.code}" '
        f'Machine="localhost"><f:Message>{escape(fault.reason)}</f:Message></f:WSManFault></s:Detail></s:Fault>'
    )
    return _envelope("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", relates_to, body)
