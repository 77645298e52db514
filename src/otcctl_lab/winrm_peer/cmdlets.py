"""The cmdlets the PowerShell emulation runs against the emulated host, and their parameter binding.

Host cmdlets here: Get-Service, Start-/Stop-/Restart-Service, Get-ChildItem (``-Recurse``,
``-Filter``, ``-File``/``-Directory``, ``-Name``), Get-Item, Remove-Item (files only), Get-PSDrive,
Test-Path, Join-Path. Reading files and WMI (Get-Content, Select-String, Get-WmiObject) are in
:mod:`content_cmdlets`; the pipeline cmdlets (Where-Object, ForEach-Object, Sort-Object,
Select-Object, Measure-Object, Get-Date, Start-Sleep, Write-*, Out-Null) in :mod:`pipeline_cmdlets`.
Parameters are bound as PowerShell binds them (names, unique prefixes, positions); a parameter
not listed for a cmdlet is refused: ``Remove-Item -Recurse`` must not "succeed" in the lab by
ignoring ``-Recurse``. Error records read as zh-CN PowerShell 5.1 writes them.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from otcctl_lab.winrm_peer.drives import Entry, NoSuchDrive, PathRefused
from otcctl_lab.winrm_peer.host import ServiceSpec
from otcctl_lab.winrm_peer.pssession import ACTIONS, PSFailure, Session
from otcctl_lab.winrm_peer.psvalues import (
    STATUS,
    DriveObject,
    FileObject,
    NotEmulated,
    ServiceObject,
    enumerate_value,
    to_string,
    truthy,
)

__all__ = ["PSFailure", "Session", "invoke"]


@dataclass(frozen=True)
class Args:
    """Bound parameters: name -> value (switches are True)."""

    named: dict[str, Any]

    def get(self, name: str) -> Any:
        return self.named.get(name)

    def text(self, name: str) -> str | None:
        value = self.named.get(name)
        return None if value is None else to_string(value)

    def flag(self, name: str) -> bool:
        return bool(self.named.get(name))


Cmdlet = Callable[[Session, Args, list[Any] | None], list[Any]]


@dataclass(frozen=True)
class Spec:
    """A cmdlet: its function, its parameters (name -> takes a value) and their positions."""

    run: Cmdlet
    params: dict[str, bool]
    positions: tuple[str, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()
    remaining: str | None = None


def bind(name: str, spec: Spec, words: list[tuple[str | None, Any, bool]], text: str) -> Args:
    """PowerShell's parameter binding: names (or unique prefixes), then positions in order."""
    params = {**spec.params, "erroraction": True}
    aliases = {"ea": "erroraction", **dict(spec.aliases)}
    named: dict[str, Any] = {}
    positional: list[Any] = []
    index = 0
    while index < len(words):
        param, value, has_value = words[index]
        index += 1
        if param is None:
            positional.append(value)
            continue
        candidates = [aliases[param]] if param in aliases else [p for p in params if p.startswith(param)]
        if param in params:
            candidates = [param]
        if len(candidates) != 1:
            raise NotEmulated(f"{text} (parameter -{param})")
        full = candidates[0]
        if params[full]:
            if not has_value:
                if index >= len(words) or words[index][0] is not None:
                    raise NotEmulated(f"{text} (-{param} without a value)")
                value = words[index][1]
                index += 1
            named[full] = value
        else:
            named[full] = truthy(value) if has_value else True
    free = [p for p in spec.positions if p not in named]
    if spec.remaining is not None and spec.remaining not in named and len(positional) > 1:
        named[spec.remaining] = positional
        return Args(named)
    if len(positional) > len(free):
        raise NotEmulated(f"{text} (more positional arguments than {name} takes)")
    named.update(zip(free, positional, strict=False))
    return Args(named)


def invoke(name: str, words: list[tuple[str | None, Any, bool]], piped: list[Any] | None, session: Session,
           text: str) -> list[Any]:
    """Run one command of a pipeline; ``piped`` is None for the first stage."""
    from otcctl_lab.winrm_peer.content_cmdlets import CONTENT_CMDLETS
    from otcctl_lab.winrm_peer.pipeline_cmdlets import PIPELINE_CMDLETS

    key = ALIASES.get(name.lower(), name.lower())
    spec = CMDLETS.get(key) or CONTENT_CMDLETS.get(key) or PIPELINE_CMDLETS.get(key)
    if spec is None:
        raise NotEmulated(text)
    args = bind(name, spec, words, text)
    action = (args.text("erroraction") or "continue").lower()
    if action not in ACTIONS:
        raise NotEmulated(f"-ErrorAction {action}")
    previous, session.action = session.action, action
    try:
        return spec.run(session, args, piped)
    finally:
        session.action = previous


def _services(session: Session, args: Args, piped: list[Any] | None, cmdlet: str) -> list[ServiceSpec]:
    host = session.inv.machine.host
    if piped is not None:
        return [v.spec for v in piped if isinstance(v, ServiceObject)]
    names = args.get("name")
    if names is None:
        return list(host.services) if cmdlet == "Get-Service" else []
    found = []
    for name in (to_string(n).strip() for v in enumerate_value(names) for n in to_string(v).split(",")):
        if not name:
            continue
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


def get_service(session: Session, args: Args, piped: list[Any] | None) -> list[Any]:
    return [_status(session, s) for s in _services(session, args, piped, "Get-Service")]


def _control(cmdlet: str, actions: tuple[bool, ...]) -> Cmdlet:
    def run(session: Session, args: Args, piped: list[Any] | None) -> list[Any]:
        host, cancel = session.inv.machine.host, session.inv.cmd.cancel
        out: list[Any] = []
        for spec in _services(session, args, piped, cmdlet):
            if not session.inv.machine.rights.may_control_services(session.inv.user):
                session.error(cmdlet, f"无法打开计算机“.”上的 {spec.sc_name} 服务。", "CloseError", spec.sc_name,
                              "ServiceCommandException", "CouldNotStopService" if False in actions
                              else "CouldNotStartService")
                continue
            if False in actions and host.faults.get("dependents-running", spec.sc_name) is not None:
                session.error(cmdlet, f"无法停止服务“{spec.title} ({spec.sc_name})”，因为有其他服务依赖于该服务。"
                              "只有在设置了 Force 标志时才能停止该服务。", "InvalidOperation", spec.sc_name,
                              "ServiceCommandException", "ServiceHasDependentServices")
                continue
            for running in actions:
                host.wait_settled(spec, cancel)
                if host.request(spec, running):
                    host.wait_settled(spec, cancel)
            if args.flag("passthru"):
                out.append(_status(session, spec))
        return out

    return run


def path_arg(args: Args, cmdlet: str) -> tuple[str, bool]:
    """(path, literal) from -Path or -LiteralPath; one path only."""
    value = args.get("literalpath") if args.get("literalpath") is not None else args.get("path")
    if value is None:
        raise NotEmulated(f"{cmdlet} without -Path (the current directory)")
    if isinstance(value, list):
        raise NotEmulated(f"{cmdlet} with several paths")
    return to_string(value), args.get("literalpath") is not None


def _not_found(session: Session, cmdlet: str, path: str) -> None:
    session.error(cmdlet, f"找不到路径“{path}”，因为该路径不存在。", "ObjectNotFound", path,
                  "ItemNotFoundException", "PathNotFound")


def listing(session: Session, cmdlet: str, path: str, literal: bool, pattern: str | None) -> list[Entry] | None:
    """A folder's entries, or the file a path names, or what a wildcard matches (maybe nothing).

    None, with the error written, when a path without wildcards does not exist.
    """
    drives = session.inv.machine.drives
    wildcard = any(c in path for c in "*?[")
    if literal and wildcard:
        raise NotEmulated(f"{cmdlet} -LiteralPath with wildcard characters in the name")
    try:
        if wildcard:
            listed = drives.list(path, pattern)
            return listed[1] if listed else []
        real = drives.resolve(path)
        if real is None:
            _not_found(session, cmdlet, path)
            return None
        if real.is_dir():
            listed = drives.list(path, pattern)
            return listed[1] if listed else []
        entry = drives.entry(real)
        return [entry] if pattern is None or fnmatch.fnmatch(entry.name.lower(), pattern.lower()) else []
    except NoSuchDrive as missing:
        session.error(cmdlet, f"找不到驱动器。名为“{missing.letter}”的驱动器不存在。", "ObjectNotFound", missing.letter,
                      "DriveNotFoundException", "DriveNotFound")
        return None
    except PathRefused as exc:
        raise NotEmulated(f"{cmdlet} {path} ({exc})") from None


def _walk(session: Session, folder: str, pattern: str | None, seen: int = 0) -> list[Entry]:
    """``Get-ChildItem -Recurse``: a folder's matching items, then each subfolder's, in name order."""
    drives = session.inv.machine.drives
    everything = drives.list(folder) or (folder, [])
    matching = everything[1] if pattern is None else (drives.list(folder, pattern) or (folder, []))[1]
    out = list(matching)
    for sub in (e for e in everything[1] if e.is_dir):
        if seen > 64:
            raise NotEmulated("folders nested deeper than 64 levels")
        out += _walk(session, sub.path, pattern, seen + 1)
    return out


def get_child_item(session: Session, args: Args, piped: list[Any] | None) -> list[Any]:
    path, literal = path_arg(args, "Get-ChildItem")
    pattern = args.text("filter")
    entries = listing(session, "Get-ChildItem", path, literal, pattern)
    if entries is None:
        return []
    if args.flag("recurse"):
        real = session.inv.machine.drives.resolve(path)
        if real is None or not real.is_dir():
            raise NotEmulated("Get-ChildItem -Recurse on a wildcard or a file")
        entries = _walk(session, session.inv.machine.drives.windows_path(real), pattern)
    if args.flag("file") or args.flag("directory"):
        entries = [e for e in entries if e.is_dir == args.flag("directory")]
    return [e.name for e in entries] if args.flag("name") else [FileObject(e) for e in entries]


def get_item(session: Session, args: Args, piped: list[Any] | None) -> list[Any]:
    path, _ = path_arg(args, "Get-Item")
    if any(c in path for c in "*?"):
        raise NotEmulated("Get-Item with wildcards")
    drives = session.inv.machine.drives
    try:
        real = drives.resolve(path)
    except PathRefused as exc:
        raise NotEmulated(f"Get-Item {path} ({exc})") from None
    if real is None:
        _not_found(session, "Get-Item", path)
        return []
    return [FileObject(drives.entry(real))]


def remove_item(session: Session, args: Args, piped: list[Any] | None) -> list[Any]:
    if piped is not None:
        entries = [v.entry for v in piped if isinstance(v, FileObject)]
        if len(entries) != len(piped):
            raise NotEmulated("Remove-Item with piped values that are not files")
    else:
        path, literal = path_arg(args, "Remove-Item")
        entries = listing(session, "Remove-Item", path, literal, None) or []
    for entry in entries:
        if entry.is_dir:
            raise NotEmulated(f"Remove-Item on a folder ({entry.path})")
        if args.flag("whatif"):
            session.inv.cmd.out(f"WhatIf: 正在目标“{entry.path}”上执行操作“删除文件”。\n")
        else:
            session.inv.machine.drives.remove(entry)
    return []


def get_psdrive(session: Session, args: Args, piped: list[Any] | None) -> list[Any]:
    drives = session.inv.machine.drives
    provider = args.text("psprovider")
    if provider is not None and provider.lower() != "filesystem":
        raise NotEmulated(f"Get-PSDrive -PSProvider {provider}")
    name = args.text("name")
    letters = [name.rstrip(":").upper()] if name else drives.letters()
    out: list[Any] = []
    for letter in letters:
        if letter in drives.letters():
            out.append(DriveObject(drives.info(letter)))
        else:
            session.error("Get-PSDrive", f"找不到名为“{name}”的驱动器。", "ObjectNotFound", name or "",
                          "DriveNotFoundException", "GetLocationNoMatchingDrive")
    return out


def test_path(session: Session, args: Args, piped: list[Any] | None) -> list[Any]:
    path, literal = path_arg(args, "Test-Path")
    kind = (args.text("pathtype") or "any").lower()
    if kind not in ("any", "leaf", "container"):
        raise NotEmulated(f"Test-Path -PathType {kind}")
    drives = session.inv.machine.drives
    try:
        if any(c in path for c in "*?") and not literal:
            listed = drives.list(path)
            items = listed[1] if listed else []
        else:
            real = drives.resolve(path)
            items = [drives.entry(real)] if real is not None else []
    except NoSuchDrive:
        return [False]
    except PathRefused as exc:
        raise NotEmulated(f"Test-Path {path} ({exc})") from None
    wanted = {"any": items, "leaf": [e for e in items if not e.is_dir], "container": [e for e in items if e.is_dir]}
    return [bool(wanted[kind])]


def join_path(session: Session, args: Args, piped: list[Any] | None) -> list[Any]:
    base, child = args.text("path"), args.text("childpath")
    if base is None or child is None or isinstance(args.get("path"), list):
        raise NotEmulated("Join-Path without one -Path and one -ChildPath")
    match = re.match(r"^([A-Za-z]):", base)
    if match is None:
        raise NotEmulated(f"Join-Path {base} (only paths with a drive letter)")
    if match.group(1).upper() not in session.inv.machine.drives.letters():
        session.error("Join-Path", f"找不到驱动器。名为“{match.group(1)}”的驱动器不存在。", "ObjectNotFound",
                      match.group(1), "DriveNotFoundException", "DriveNotFound")
        return []
    return [base.rstrip("\\/") + "\\" + child.lstrip("\\/")]


_SERVICE = {"name": True, "force": False, "passthru": False}
_PATH = {"path": True, "literalpath": True}
CMDLETS: dict[str, Spec] = {
    "get-service": Spec(get_service, {"name": True}, ("name",)),
    "start-service": Spec(_control("Start-Service", (True,)), _SERVICE, ("name",)),
    "stop-service": Spec(_control("Stop-Service", (False,)), _SERVICE, ("name",)),
    "restart-service": Spec(_control("Restart-Service", (False, True)), _SERVICE, ("name",)),
    "get-childitem": Spec(get_child_item, {**_PATH, "filter": True, "recurse": False, "file": False,
                                           "directory": False, "name": False, "force": False}, ("path", "filter")),
    "get-item": Spec(get_item, {**_PATH, "force": False}, ("path",)),
    "remove-item": Spec(remove_item, {**_PATH, "force": False, "whatif": False}, ("path",)),
    "get-psdrive": Spec(get_psdrive, {"name": True, "psprovider": True}, ("name",)),
    "test-path": Spec(test_path, {**_PATH, "pathtype": True}, ("path",)),
    "join-path": Spec(join_path, {"path": True, "childpath": True}, ("path", "childpath")),
}
ALIASES = {"gsv": "get-service", "sasv": "start-service", "spsv": "stop-service", "gci": "get-childitem",
           "ls": "get-childitem", "dir": "get-childitem", "gi": "get-item", "rm": "remove-item",
           "del": "remove-item", "ri": "remove-item", "erase": "remove-item", "gdr": "get-psdrive",
           "gc": "get-content", "cat": "get-content", "type": "get-content", "sls": "select-string",
           "gwmi": "get-wmiobject", "echo": "write-output", "write": "write-output", "?": "where-object",
           "where": "where-object", "%": "foreach-object", "foreach": "foreach-object", "select": "select-object",
           "sort": "sort-object", "measure": "measure-object", "sleep": "start-sleep"}
