"""The cmdlets the PowerShell emulation runs, their objects, and PowerShell's default formatting.

Get-Service, Start-/Stop-/Restart-Service, Get-ChildItem, Remove-Item, Get-PSDrive, Test-Path,
Write-Output, and the pipeline helpers Where-Object (one comparison), Select-Object
(-ExpandProperty/-First/-Last), Sort-Object and Out-Null. Parameters not listed for a cmdlet
are refused: ``Remove-Item -Recurse`` must not "succeed" in the lab by ignoring ``-Recurse``.
Error records read as zh-CN PowerShell 5.1 writes them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from otcctl.lab.winrm_peer.drives import Entry, NoSuchDrive, PathRefused
from otcctl.lab.winrm_peer.host import ServiceSpec
from otcctl.lab.winrm_peer.process import Invocation
from otcctl.lab.winrm_peer.psvalues import (
    STATUS,
    DriveObject,
    FileObject,
    NotEmulated,
    PSValue,
    ServiceObject,
    compare,
    literal,
    prop,
    sort_key,
)

_ACTIONS = {"continue", "stop", "silentlycontinue"}


class PSFailure(Exception):
    """A terminating error (``-ErrorAction Stop``): the script ends with exit code 1."""

    def __init__(self, record: str) -> None:
        super().__init__(record)
        self.record = record


class Session:
    """One powershell.exe run: where it is in the script, and the error records written so far."""

    def __init__(self, inv: Invocation) -> None:
        self.inv = inv
        self.errors: list[str] = []
        self.stop_on_error = False
        self.action = "continue"
        self.position: tuple[int, str] = (1, "")

    def error(self, cmdlet: str, message: str, category: str, target: str, exception: str, fqid: str) -> None:
        """Write a non-terminating error, or raise it as terminating under ``-ErrorAction Stop``."""
        line, statement = self.position
        record = (
            f"{cmdlet} : {message}\n所在位置 行:{line} 字符: 1\n+ {statement}\n+ {'~' * len(statement)}\n"
            f"    + CategoryInfo          : {category}: ({target}:String) [{cmdlet}], {exception}\n"
            f"    + FullyQualifiedErrorId : {fqid},Microsoft.PowerShell.Commands.{cmdlet.replace('-', '')}Command\n \n"
        )
        if self.action == "stop" or (self.stop_on_error and self.action == "continue"):
            raise PSFailure(record)
        if self.action != "silentlycontinue":
            self.errors.append(record)


@dataclass(frozen=True)
class Args:
    positional: list[str]
    named: dict[str, str | bool]

    def get(self, name: str, position: int | None = None) -> str | None:
        value = self.named.get(name)
        if isinstance(value, str):
            return value
        if position is not None and position < len(self.positional):
            return self.positional[position]
        return None


Cmdlet = Callable[[Session, Args, list[PSValue] | None], list[PSValue]]


def _parse(cmdlet: str, words: list[str], spec: dict[str, bool], positional: int) -> Args:
    args = Args([], {})
    rest = iter(words)
    for word in rest:
        if re.match(r"^-[A-Za-z]", word):
            name, _, inline = word[1:].partition(":")
            name = name.lower()
            takes_value = {**spec, "erroraction": True}.get(name)
            if takes_value is None:
                raise NotEmulated(f"{cmdlet} {word}")
            args.named[name] = (inline or next(rest, "")) if takes_value else True
        else:
            args.positional.append(word)
    if len(args.positional) > positional:
        raise NotEmulated(f"{cmdlet} {' '.join(words)}")
    return args


def _services(session: Session, args: Args, piped: list[PSValue] | None, cmdlet: str) -> list[ServiceSpec]:
    host = session.inv.machine.host
    if piped is not None:
        return [v.spec for v in piped if isinstance(v, ServiceObject)]
    names = args.get("name", 0)
    if names is None:
        return list(host.services) if cmdlet == "Get-Service" else []
    found = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        if any(c in name for c in "*?["):
            raise NotEmulated(f"{cmdlet} {name} (wildcards in service names)")
        spec = host.find(name)
        if spec is None:
            session.error(cmdlet, f"找不到任何服务名称为“{name}”的服务。", "ObjectNotFound", name,
                          "ServiceCommandException", "NoServiceFoundForGivenName")
        else:
            found.append(spec)
    return found


def _status(session: Session, spec: ServiceSpec) -> ServiceObject:
    return ServiceObject(spec, STATUS[session.inv.machine.host.state(spec)])


def get_service(session: Session, args: Args, piped: list[PSValue] | None) -> list[PSValue]:
    return [_status(session, s) for s in _services(session, args, piped, "Get-Service")]


def _control(cmdlet: str, actions: tuple[bool, ...]) -> Cmdlet:
    def run(session: Session, args: Args, piped: list[PSValue] | None) -> list[PSValue]:
        host, cancel = session.inv.machine.host, session.inv.cmd.cancel
        out: list[PSValue] = []
        for spec in _services(session, args, piped, cmdlet):
            for running in actions:
                host.wait_settled(spec, cancel)
                if host.request(spec, running):
                    host.wait_settled(spec, cancel)
            if args.named.get("passthru"):
                out.append(_status(session, spec))
        return out

    return run


def _listing(session: Session, cmdlet: str, path: str | None, pattern: str | None) -> list[Entry]:
    if path is None:
        raise NotEmulated(f"{cmdlet} without -Path (the current directory)")
    drives = session.inv.machine.drives
    try:
        listed = drives.list(path, pattern)
    except NoSuchDrive as missing:
        session.error(cmdlet, f"找不到驱动器。名为“{missing.letter}”的驱动器不存在。", "ObjectNotFound", missing.letter,
                      "DriveNotFoundException", "DriveNotFound")
        return []
    except PathRefused as exc:
        raise NotEmulated(f"{cmdlet} {path} ({exc})") from None
    if listed is None:
        if not any(c in path for c in "*?"):
            session.error(cmdlet, f"找不到路径“{path}”，因为该路径不存在。", "ObjectNotFound", path,
                          "ItemNotFoundException", "PathNotFound")
        return []
    return listed[1]


def get_child_item(session: Session, args: Args, piped: list[PSValue] | None) -> list[PSValue]:
    entries = _listing(session, "Get-ChildItem", args.get("path", 0) or args.get("literalpath"), args.get("filter"))
    entries = [e for e in entries if not (args.named.get("file") and e.is_dir)
               and not (args.named.get("directory") and not e.is_dir)]
    return [e.name for e in entries] if args.named.get("name") else [FileObject(e) for e in entries]


def remove_item(session: Session, args: Args, piped: list[PSValue] | None) -> list[PSValue]:
    if piped is not None:
        entries = [v.entry for v in piped if isinstance(v, FileObject)]
    else:
        entries = _listing(session, "Remove-Item", args.get("path", 0) or args.get("literalpath"), None)
    for entry in entries:
        if entry.is_dir:
            raise NotEmulated(f"Remove-Item on a folder ({entry.path})")
        if args.named.get("whatif"):
            session.inv.cmd.out(f"WhatIf: 正在目标“{entry.path}”上执行操作“删除文件”。\n")
        else:
            session.inv.machine.drives.remove(entry)
    return []


def get_psdrive(session: Session, args: Args, piped: list[PSValue] | None) -> list[PSValue]:
    drives = session.inv.machine.drives
    provider = args.get("psprovider")
    if provider is not None and provider.lower() != "filesystem":
        raise NotEmulated(f"Get-PSDrive -PSProvider {provider}")
    name = args.get("name", 0)
    letters = [name.rstrip(":").upper()] if name else drives.letters()
    out: list[PSValue] = []
    for letter in letters:
        if letter in drives.letters():
            out.append(DriveObject(drives.info(letter)))
        else:
            session.error("Get-PSDrive", f"找不到名为“{name}”的驱动器。", "ObjectNotFound", name or "",
                          "DriveNotFoundException", "GetLocationNoMatchingDrive")
    return out


def test_path(session: Session, args: Args, piped: list[PSValue] | None) -> list[PSValue]:
    path = args.get("path", 0)
    if path is None:
        raise NotEmulated("Test-Path without -Path")
    try:
        listed = session.inv.machine.drives.list(path)
    except NoSuchDrive:
        return [False]
    except PathRefused as exc:
        raise NotEmulated(f"Test-Path {path} ({exc})") from None
    return [listed is not None and (bool(listed[1]) or session.inv.machine.drives.resolve(path) is not None)]


def write_output(session: Session, args: Args, piped: list[PSValue] | None) -> list[PSValue]:
    return list(args.positional)


def where_object(session: Session, args: Args, piped: list[PSValue] | None) -> list[PSValue]:
    words = args.positional
    block = re.fullmatch(r"\{\s*\$_\.(\w+)\s+-(\w+)\s+(.+?)\s*\}", words[0], re.S) if len(words) == 1 else None
    if block:
        name, op, text = block.groups()
    elif len(words) == 3 and words[1].startswith("-"):
        name, op, text = words[0], words[1][1:], words[2]
    else:
        raise NotEmulated("Where-Object " + " ".join(words) + " (one comparison of $_.Property)")
    value = literal(text)
    return [v for v in piped or [] if compare(prop(v, name), op.lower(), value)]


def select_object(session: Session, args: Args, piped: list[PSValue] | None) -> list[PSValue]:
    values = list(piped or [])
    expand, first, last = args.get("expandproperty"), args.get("first"), args.get("last")
    if expand:
        values = [prop(v, expand) for v in values]
    if first is not None:
        values = values[: int(first)]
    if last is not None:
        values = values[-int(last):] if int(last) else []
    if not (expand or first or last):
        raise NotEmulated("Select-Object without -ExpandProperty, -First or -Last")
    return values


def sort_object(session: Session, args: Args, piped: list[PSValue] | None) -> list[PSValue]:
    name = args.get("property", 0)
    if name is None:
        raise NotEmulated("Sort-Object without a property")
    return sorted(piped or [], key=lambda v: sort_key(prop(v, name)), reverse=bool(args.named.get("descending")))


def out_null(session: Session, args: Args, piped: list[PSValue] | None) -> list[PSValue]:
    return []


_SERVICE = {"name": True, "force": False, "passthru": False}
CMDLETS: dict[str, tuple[Cmdlet, dict[str, bool], int]] = {
    "get-service": (get_service, {"name": True}, 1),
    "start-service": (_control("Start-Service", (True,)), _SERVICE, 1),
    "stop-service": (_control("Stop-Service", (False,)), _SERVICE, 1),
    "restart-service": (_control("Restart-Service", (False, True)), _SERVICE, 1),
    "get-childitem": (get_child_item, {"path": True, "literalpath": True, "filter": True, "file": False,
                                       "directory": False, "name": False}, 1),
    "remove-item": (remove_item, {"path": True, "literalpath": True, "force": False, "whatif": False}, 1),
    "get-psdrive": (get_psdrive, {"name": True, "psprovider": True}, 1),
    "test-path": (test_path, {"path": True}, 1),
    "write-output": (write_output, {}, 99),
    "where-object": (where_object, {}, 3),
    "select-object": (select_object, {"expandproperty": True, "first": True, "last": True}, 0),
    "sort-object": (sort_object, {"property": True, "descending": False}, 1),
    "out-null": (out_null, {}, 0),
}
ALIASES = {"gsv": "get-service", "sasv": "start-service", "spsv": "stop-service", "gci": "get-childitem",
           "ls": "get-childitem", "dir": "get-childitem", "rm": "remove-item", "del": "remove-item",
           "ri": "remove-item", "erase": "remove-item", "gdr": "get-psdrive", "echo": "write-output",
           "write": "write-output", "?": "where-object", "where": "where-object", "select": "select-object",
           "sort": "sort-object"}


def invoke(name: str, words: list[str], piped: list[PSValue] | None, session: Session) -> list[PSValue]:
    """Run one cmdlet of a pipeline; ``piped`` is None for the first stage."""
    key = ALIASES.get(name.lower(), name.lower())
    if key not in CMDLETS:
        raise NotEmulated(" ".join([name, *words]))
    cmdlet, spec, positional = CMDLETS[key]
    args = _parse(name, words, spec, positional)
    action = str(args.named.get("erroraction", "continue")).lower()
    if action not in _ACTIONS:
        raise NotEmulated(f"-ErrorAction {action}")
    session.action = action
    try:
        return cmdlet(session, args, piped)
    finally:
        session.action = "continue"
