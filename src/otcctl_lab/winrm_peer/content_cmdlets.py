"""Cmdlets that read (and, with Set-Content, write) the emulated host's files, and its WMI disks.

Get-Content (``-Encoding``, ``-TotalCount``/``-Tail``, ``-Raw``; Windows PowerShell 5.1 reads
"ANSI", GBK on this Chinese host, unless a byte-order mark says otherwise), Select-String
(``-Pattern`` regexes or ``-SimpleMatch``, case-insensitive unless ``-CaseSensitive``, on piped
strings or files or ``-Path``; MatchInfo with Line, LineNumber, Filename, Path; without
``-Encoding`` only plain-ASCII or BOM-marked text is read, since the cmdlet's own default is not
emulated), and Get-WmiObject Win32_LogicalDisk with a simple WQL ``-Filter``
(``DriveType=3``, ``DeviceID='C:'``, joined by AND).
"""

from __future__ import annotations

import codecs
import operator
import re
from collections.abc import Callable
from typing import Any

from otcctl_lab.winrm_peer.cmdlets import Args, Spec, listing, path_arg
from otcctl_lab.winrm_peer.drives import ANSI_CODEPAGE, Entry, PathRefused
from otcctl_lab.winrm_peer.psops import regex
from otcctl_lab.winrm_peer.pssession import Session
from otcctl_lab.winrm_peer.psvalues import (
    FileObject,
    MatchInfo,
    NotEmulated,
    WmiDisk,
    enumerate_value,
    to_int,
    to_string,
)

_ENCODINGS = {"default": f"cp{ANSI_CODEPAGE}", "oem": f"cp{ANSI_CODEPAGE}", "utf8": "utf-8", "unicode": "utf-16-le",
              "bigendianunicode": "utf-16-be", "utf32": "utf-32-le", "ascii": "ascii"}
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))


def decode_text(data: bytes, encoding: str | None, default: str | None) -> str:
    """Text as a .NET StreamReader reads it: a byte-order mark wins over the encoding given.

    ``default`` None: the cmdlet's own default is not emulated, so text that is not plain ASCII
    and has no byte-order mark is refused unless ``-Encoding`` says how to read it.
    """
    if encoding is None and default is None:
        if not any(data.startswith(bom) for bom, _ in _BOMS) and not data.isascii():
            raise NotEmulated("reading non-ASCII text without -Encoding (this cmdlet's default is not emulated)")
        default = "utf8"
    codec = _ENCODINGS.get((encoding or default or "").lower())
    if codec is None:
        raise NotEmulated(f"-Encoding {encoding}")
    for bom, name in _BOMS:
        if data.startswith(bom):
            data, codec = data[len(bom):], name
            break
    text = data.decode("gbk" if codec == f"cp{ANSI_CODEPAGE}" else codec, errors="replace")
    return "".join(c if ord(c) < 128 else "?" for c in text) if codec == "ascii" else text


def read_lines(data: bytes, encoding: str | None, default: str | None) -> list[str]:
    """The lines of a text file (a final line break does not start another line)."""
    lines = re.split(r"\r\n|\n|\r", decode_text(data, encoding, default))
    return lines[:-1] if lines and lines[-1] == "" else lines


def _file_bytes(session: Session, cmdlet: str, path: str, literal: bool) -> list[tuple[Entry, bytes]]:
    entries = listing(session, cmdlet, path, literal, None)
    if entries is None:
        return []
    drives = session.inv.machine.drives
    real = drives.resolve(path)
    if real is not None and real.is_dir():
        raise NotEmulated(f"{cmdlet} on a folder ({path})")
    try:
        return [(e, drives.read(e)) for e in entries if not e.is_dir]
    except PathRefused as exc:
        raise NotEmulated(f"{cmdlet} {path} ({exc})") from None


def get_content(session: Session, args: Args, piped: list[Any] | None) -> list[Any]:
    path, literal = path_arg(args, "Get-Content")
    out: list[Any] = []
    for _, data in _file_bytes(session, "Get-Content", path, literal):
        if args.flag("raw"):
            out.append(decode_text(data, args.text("encoding"), "default"))
            continue
        lines = read_lines(data, args.text("encoding"), "default")
        if args.get("totalcount") is not None:
            lines = lines[: to_int(args.get("totalcount"))]
        if args.get("tail") is not None:
            count = to_int(args.get("tail"))
            lines = lines[-count:] if count else []
        session.keep("Get-Content", lines)
        out.extend(lines)
    return out


def select_string(session: Session, args: Args, piped: list[Any] | None) -> list[Any]:
    patterns = [to_string(p) for p in enumerate_value(args.get("pattern"))] if args.get("pattern") is not None else []
    if not patterns:
        raise NotEmulated("Select-String without -Pattern")
    case = args.flag("casesensitive")
    compiled = [re.compile(re.escape(p), 0 if case else re.I) if args.flag("simplematch") else regex(p, case)
                for p in patterns]
    sources: list[tuple[str, str, list[str]]] = []
    if args.get("path") is not None or args.get("literalpath") is not None:
        path, literal = path_arg(args, "Select-String")
        for entry, data in _file_bytes(session, "Select-String", path, literal):
            sources.append((entry.path, entry.name, read_lines(data, args.text("encoding"), None)))
    else:
        strings: list[str] = []
        for value in piped or []:
            if isinstance(value, FileObject):
                if value.entry.is_dir:
                    continue
                try:
                    data = session.inv.machine.drives.read(value.entry)
                except PathRefused as exc:
                    raise NotEmulated(f"Select-String on {value.entry.path} ({exc})") from None
                sources.append((value.entry.path, value.entry.name, read_lines(data, args.text("encoding"), None)))
            elif isinstance(value, str | int | float):
                strings.append(to_string(value))
            elif value is not None:
                raise NotEmulated(f"Select-String on piped {type(value).__name__} objects")
        if strings:
            sources.append(("InputStream", "InputStream", strings))
    out: list[Any] = []
    for path, name, lines in sources:
        for number, line in enumerate(lines, start=1):
            hit = any(p.search(line) for p in compiled)
            if hit != args.flag("notmatch"):
                if args.flag("quiet"):
                    return [True]
                out.append(MatchInfo(line, number, path, name, patterns[0], not case))
                if args.flag("list"):
                    break
    session.keep("Select-String", [m.line for m in out])  # it streams the files; the matches it returns stay
    return [False] if args.flag("quiet") and not out else out


_WQL = re.compile(r"^\s*(\w+)\s*(=|<>|!=|<=|>=|<|>)\s*('([^']*)'|\d+)\s*$")


def get_wmi_object(session: Session, args: Args, piped: list[Any] | None) -> list[Any]:
    cls = (args.text("class") or "").lower()
    if cls != "win32_logicaldisk":
        raise NotEmulated(f"Get-WmiObject {args.text('class')} (only Win32_LogicalDisk)")
    drives = session.inv.machine.drives
    disks = [WmiDisk(drives.info(letter), drives.drive_type(letter)) for letter in drives.letters()]
    where = args.text("filter")
    if where:
        for clause in re.split(r"\s+and\s+", where, flags=re.I):
            disks = [d for d in disks if _wql_true(d, clause)]
    return list(disks)


def _wql_true(disk: WmiDisk, clause: str) -> bool:
    from otcctl_lab.winrm_peer.psmembers import get_property

    match = _WQL.match(clause)
    if match is None:
        raise NotEmulated(f"the WMI filter {clause!r}")
    prop, op, literal, text = match.groups()
    value = get_property(disk, prop)
    wanted: Any = text if text is not None else int(literal)
    if isinstance(wanted, str):
        value, wanted = to_string(value).lower(), wanted.lower()
    if value is None:
        return False  # WQL: a comparison with NULL is never true
    compare: dict[str, Callable[[Any, Any], Any]] = {"=": operator.eq, "<>": operator.ne, "!=": operator.ne,
                                                     "<": operator.lt, ">": operator.gt, "<=": operator.le,
                                                     ">=": operator.ge}
    return bool(compare[op](value, wanted))


def set_content(session: Session, args: Args, piped: list[Any] | None) -> list[Any]:
    """``Set-Content -LiteralPath P [-Value V] [-Encoding UTF8]``: one line per value, CRLF, as 5.1 writes it."""
    path, _ = path_arg(args, "Set-Content")
    values = piped if piped is not None else list(enumerate_value(args.get("value")))
    encoding = (args.text("encoding") or "default").lower()
    codec = _ENCODINGS.get(encoding)
    if codec is None:
        raise NotEmulated(f"Set-Content -Encoding {encoding}")
    text = "".join(to_string(v) + "\r\n" for v in values)
    data = text.encode("gbk" if codec == f"cp{ANSI_CODEPAGE}" else codec)
    if encoding == "utf8":
        data = codecs.BOM_UTF8 + data
    elif encoding == "unicode":
        data = codecs.BOM_UTF16_LE + data
    try:
        session.inv.machine.drives.write(path, data)
    except PathRefused as exc:
        raise NotEmulated(f"Set-Content {path} ({exc})") from None
    return []


_PATH = {"path": True, "literalpath": True}
CONTENT_CMDLETS: dict[str, Spec] = {
    "set-content": Spec(set_content, {**_PATH, "value": True, "encoding": True}, ("path", "value")),
    "get-content": Spec(get_content, {**_PATH, "encoding": True, "totalcount": True, "tail": True, "raw": False},
                        ("path",), (("first", "totalcount"), ("head", "totalcount"), ("last", "tail"))),
    "select-string": Spec(select_string, {"pattern": True, **_PATH, "simplematch": False, "casesensitive": False,
                                          "notmatch": False, "encoding": True, "quiet": False, "list": False},
                          ("pattern", "path")),
    "get-wmiobject": Spec(get_wmi_object, {"class": True, "filter": True}, ("class",)),
}
