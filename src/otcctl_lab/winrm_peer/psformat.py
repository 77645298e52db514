"""What Out-Default prints at the end of a statement, as zh-CN Windows PowerShell 5.1 shows it.

Tables for services, files (one block per folder), drives and hashtables; lists for WMI disks
and Measure-Object; scalars one per line (dates in the long zh-CN form). An object the
emulation has no display for is refused rather than printed in a made-up layout.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from otcctl_lab.winrm_peer.drives import GIB
from otcctl_lab.winrm_peer.listing import child_items_table
from otcctl_lab.winrm_peer.psdates import DISPLAY_FORMAT, format_date
from otcctl_lab.winrm_peer.psvalues import (
    DriveObject,
    FileObject,
    MatchInfo,
    MeasureInfo,
    NotEmulated,
    PSHashtable,
    ScriptBlock,
    ServiceObject,
    WmiDisk,
    match_text,
    to_string,
    type_name,
)


def format_values(values: list[Any]) -> str:
    """PowerShell's default output: a table per run of objects of one kind, scalars one per line."""
    text, index = "", 0
    values = [v for v in values if v is not None]
    while index < len(values):
        kind = type(values[index])
        end = index
        while end < len(values) and type(values[end]) is kind:
            end += 1
        text += _format_run(values[index:end])
        index = end
    return text


def _format_run(run: list[Any]) -> str:
    first = run[0]
    if isinstance(first, ServiceObject):
        rows = [f"{v.status:<8} {v.spec.sc_name:<18} {v.spec.title}\n" for v in run]
        return ("\nStatus   Name               DisplayName\n------   ----               -----------\n"
                + "".join(rows) + "\n\n")
    if isinstance(first, FileObject):
        return child_items_table([v.entry for v in run])
    if isinstance(first, DriveObject):
        rows = [f"{d.info.letter:<14}{d.info.used / GIB:>10.2f}{d.info.free / GIB:>14.2f} {'FileSystem':<13} "
                f"{d.info.letter}:\\\n" for d in run]
        return ("\nName           Used (GB)     Free (GB) Provider      Root\n"
                "----           ---------     --------- --------      ----\n" + "".join(rows) + "\n\n")
    if isinstance(first, WmiDisk):
        return "".join(_list_block([("DeviceID", d.info.letter + ":"), ("DriveType", d.drive_type),
                                    ("ProviderName", None), ("FreeSpace", d.info.free), ("Size", d.info.size),
                                    ("VolumeName", d.info.label)]) for d in run) + "\n\n"
    if isinstance(first, MeasureInfo):
        return "".join(_list_block([("Count", m.count), ("Average", m.average), ("Sum", m.sum),
                                    ("Maximum", m.maximum), ("Minimum", m.minimum), ("Property", m.prop)])
                       for m in run) + "\n\n"
    if isinstance(first, PSHashtable):
        rows = [f"{to_string(k):<30} {to_string(v)}\n" for h in run for k, v in zip(h.keys(), h.values(), strict=True)]
        return "\nName                           Value\n----                           -----\n" + "".join(rows) + "\n\n"
    if isinstance(first, MatchInfo):
        return "\n" + "".join(match_text(m) + "\n" for m in run) + "\n\n"
    return "".join(_scalar(v) + "\n" for v in run)


def _list_block(pairs: list[tuple[str, Any]]) -> str:
    width = max(len(name) for name, _ in pairs)
    return "\n" + "".join(f"{name:<{width}} : {to_string(value)}".rstrip() + "\n" for name, value in pairs)


def _scalar(value: Any) -> str:
    if isinstance(value, datetime):
        return "\n" + format_date(value, DISPLAY_FORMAT) + "\n"
    if isinstance(value, ScriptBlock):
        return value.text
    if isinstance(value, bool | int | float | str):
        return to_string(value)
    raise NotEmulated(f"displaying a {type_name(value)}")
