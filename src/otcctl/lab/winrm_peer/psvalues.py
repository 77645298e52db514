"""PowerShell objects as the emulation passes them down a pipeline: services, files, drives, scalars.

Also what PowerShell does with them without being asked: read a property (``$_.Length``),
compare two values (``-lt``, ``-like``), and print them with the default table formats of
zh-CN PowerShell 5.1 when a pipeline ends.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from otcctl.lab.winrm_peer.drives import GIB, SHANGHAI, DriveInfo, Entry
from otcctl.lab.winrm_peer.host import ServiceSpec
from otcctl.lab.winrm_peer.listing import child_items_table, local_time


class NotEmulated(Exception):
    """A statement, cmdlet or parameter the emulation does not run."""


@dataclass(frozen=True)
class ServiceObject:
    spec: ServiceSpec
    status: str


@dataclass(frozen=True)
class FileObject:
    entry: Entry


@dataclass(frozen=True)
class DriveObject:
    info: DriveInfo


PSValue = ServiceObject | FileObject | DriveObject | str | int | bool | datetime
STATUS = {"running": "Running", "stopped": "Stopped", "start_pending": "StartPending", "stop_pending": "StopPending"}


def sort_key(value: PSValue) -> tuple[int, float, str]:
    if isinstance(value, datetime):
        return (0, value.timestamp(), "")
    if isinstance(value, int):
        return (0, float(value), "")
    return (1, 0.0, str(value).lower())


def literal(text: str) -> PSValue:
    quoted = re.fullmatch(r"'([^']*)'|\"([^\"]*)\"", text)
    if quoted:
        return quoted.group(1) if quoted.group(1) is not None else quoted.group(2)
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    date = re.fullmatch(r"\(Get-Date\)(?:\.AddDays\((-?\d+)\))?", text, re.I)
    if date:
        return datetime.now(SHANGHAI) + timedelta(days=int(date.group(1) or 0))
    if re.fullmatch(r"[A-Za-z]\w*", text):
        return text
    raise NotEmulated(f"the value {text}")


def compare(left: PSValue, op: str, right: PSValue) -> bool:
    if isinstance(left, str) and isinstance(right, str | int):
        a, b = left.lower(), str(right).lower()
        if op in ("like", "notlike"):
            return fnmatch.fnmatchcase(a, b) == (op == "like")
        return _ordered(a, op, b)
    if isinstance(left, datetime) and isinstance(right, datetime):
        return _ordered(left.timestamp(), op, right.timestamp())
    if isinstance(left, int) and isinstance(right, int):
        return _ordered(left, op, right)
    raise NotEmulated(f"comparing {left!r} -{op} {right!r}")


def _ordered(a: object, op: str, b: object) -> bool:
    table: dict[str, Callable[[object, object], bool]] = {
        "eq": lambda x, y: x == y, "ne": lambda x, y: x != y,
        "lt": lambda x, y: x < y, "le": lambda x, y: x <= y,  # type: ignore[operator]
        "gt": lambda x, y: x > y, "ge": lambda x, y: x >= y,  # type: ignore[operator]
    }
    if op not in table:
        raise NotEmulated(f"the operator -{op}")
    return table[op](a, b)


def prop(value: PSValue, name: str) -> PSValue:
    """A property of an object, as ``$_.Name`` or ``(...).Name`` reads it."""
    key = name.lower()
    table: dict[str, PSValue] = {}
    if isinstance(value, ServiceObject):
        table = {"status": value.status, "name": value.spec.sc_name, "servicename": value.spec.sc_name,
                 "displayname": value.spec.title, "starttype": "Automatic" if value.spec.autostart else "Manual"}
    elif isinstance(value, FileObject):
        entry = value.entry
        table = {"name": entry.name, "fullname": entry.path, "length": entry.size,
                 "lastwritetime": local_time(entry.mtime), "extension": "." + entry.name.rsplit(".", 1)[-1]
                 if "." in entry.name else "", "basename": entry.name.rsplit(".", 1)[0], "psiscontainer": entry.is_dir}
    elif isinstance(value, DriveObject):
        table = {"name": value.info.letter, "free": value.info.free, "used": value.info.used,
                 "root": value.info.letter + ":\\", "description": value.info.label}
    elif isinstance(value, str):
        table = {"length": len(value)}
    if key not in table:
        raise NotEmulated(f"the property {name} of {type(value).__name__}")
    return table[key]


def format_values(values: list[PSValue]) -> str:
    """PowerShell's default output: a table per run of objects of one kind, scalars one per line."""
    text, index = "", 0
    while index < len(values):
        kind = type(values[index])
        end = index
        while end < len(values) and type(values[end]) is kind:
            end += 1
        text += _format_run(values[index:end])
        index = end
    return text


def _format_run(run: list[PSValue]) -> str:
    first = run[0]
    if isinstance(first, ServiceObject):
        rows = [f"{v.status:<8} {v.spec.sc_name:<18} {v.spec.title}\n" for v in run if isinstance(v, ServiceObject)]
        return ("\nStatus   Name               DisplayName\n------   ----               -----------\n"
                + "".join(rows) + "\n\n")
    if isinstance(first, FileObject):
        return child_items_table([v.entry for v in run if isinstance(v, FileObject)])
    if isinstance(first, DriveObject):
        rows = [f"{d.info.letter:<14}{d.info.used / GIB:>10.2f}{d.info.free / GIB:>14.2f} {'FileSystem':<13} "
                f"{d.info.letter}:\\\n" for d in run if isinstance(d, DriveObject)]
        return ("\nName           Used (GB)     Free (GB) Provider      Root\n"
                "----           ---------     --------- --------      ----\n" + "".join(rows) + "\n\n")
    return "".join(_scalar(v) + "\n" for v in run)


def _scalar(value: PSValue) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, datetime):
        return f"{value.year}/{value.month}/{value.day} {value:%H:%M:%S}"
    return str(value)
