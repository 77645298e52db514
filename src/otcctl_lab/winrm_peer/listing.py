"""Folder listings as a Chinese Windows prints them: cmd's ``dir`` and PowerShell's Get-ChildItem table.

Kept apart from the disks themselves so the formats (date style, thousands separators, the
footer with free bytes) can be compared with a real host's output in one place.
"""

from __future__ import annotations

import zlib
from datetime import datetime

from otcctl.domain.clock import SHANGHAI
from otcctl_lab.winrm_peer.drives import DriveInfo, Entry, NoSuchDrive, PathRefused
from otcctl_lab.winrm_peer.process import Invocation
from otcctl_lab.winrm_peer.programs import not_emulated

_DIR_SWITCHES = {"/b", "/a-d", "/od", "/o:d", "/o-d", "/o:-d", "/on", "/o:n"}


def local_time(timestamp: float) -> datetime:
    """A file time on the host's clock (Asia/Shanghai, like the production servers)."""
    return datetime.fromtimestamp(timestamp, SHANGHAI)


def local_now() -> datetime:
    """The host's clock (Asia/Shanghai) as PowerShell's Get-Date sees it: local time, no zone."""
    return datetime.now(SHANGHAI).replace(tzinfo=None)


def _volume_header(info: DriveInfo) -> str:
    serial = zlib.crc32(info.letter.encode()) & 0xFFFFFFFF
    return f" 驱动器 {info.letter} 中的卷是 {info.label}\n 卷的序列号是 {serial >> 16:04X}-{serial & 0xFFFF:04X}\n"


def dir_command(inv: Invocation, args: list[str]) -> int:
    """``dir PATH [/b] [/a-d] [/o:d|/o-d|/o:n]``; PATH may end in a wildcard like ``*.dmp``."""
    switches = [a.lower() for a in args if a.startswith("/")]
    paths = [a for a in args if not a.startswith("/")]
    if len(paths) != 1 or set(switches) - _DIR_SWITCHES:
        return not_emulated(inv, "dir " + " ".join(args) + " (one absolute path and /b /a-d /o:d /o:n)")
    drives = inv.machine.drives
    try:
        letter, _ = drives.split(paths[0])
        listed = drives.list(paths[0])
    except NoSuchDrive:
        inv.cmd.err("系统找不到指定的路径。\n")
        return 1
    except PathRefused as exc:
        return not_emulated(inv, f"dir {paths[0]} ({exc})")
    bare = "/b" in switches
    info = drives.info(letter)
    if listed is None:
        if not bare:
            inv.cmd.out(_volume_header(info) + "\n")
        inv.cmd.err("系统找不到指定的路径。\n" if drives.resolve(paths[0]) is None and "*" not in paths[0]
                    else "找不到文件\n")
        return 1
    folder, entries = listed
    real = drives.resolve(paths[0])
    if real is not None and real.is_dir() and not folder.endswith(":\\") and not bare:
        mtime = real.stat().st_mtime
        entries = [Entry(".", folder, True, 0, mtime), Entry("..", folder, True, 0, mtime), *entries]
    if "/a-d" in switches:
        entries = [e for e in entries if not e.is_dir]
    if any(s in switches for s in ("/od", "/o:d")):
        entries.sort(key=lambda e: e.mtime)
    elif any(s in switches for s in ("/o-d", "/o:-d")):
        entries.sort(key=lambda e: e.mtime, reverse=True)
    if not entries:
        if not bare:
            inv.cmd.out(_volume_header(info) + f"\n {folder} 的目录\n\n")
        inv.cmd.err("找不到文件\n")
        return 1
    if bare:
        inv.cmd.out("".join(e.name + "\n" for e in entries))
        return 0
    inv.cmd.out(_dir_text(folder, entries, info))
    return 0


def _dir_text(folder: str, entries: list[Entry], info: DriveInfo) -> str:
    lines = [_volume_header(info), f"\n {folder} 的目录\n\n"]
    for entry in entries:
        stamp = local_time(entry.mtime).strftime("%Y/%m/%d  %H:%M")
        size = "   <DIR>         " if entry.is_dir else f"{entry.size:>17,}"
        lines.append(f"{stamp} {size} {entry.name}\n")
    files = [e for e in entries if not e.is_dir]
    total = sum(e.size for e in files)
    lines.append(f"{len(files):>16} 个文件 {total:>17,} 字节\n")
    lines.append(f"{len(entries) - len(files):>16} 个目录 {info.free:>17,} 可用字节\n")
    return "".join(lines)


def child_items_table(entries: list[Entry]) -> str:
    """Get-ChildItem's default table, one block per folder, as zh-CN PowerShell 5.1 shows it."""
    folders: dict[str, list[Entry]] = {}
    for entry in entries:
        parent = entry.path.rsplit("\\", 1)[0]
        folders.setdefault(parent + "\\" if parent.endswith(":") else parent, []).append(entry)
    blocks: list[str] = []
    for folder, items in folders.items():
        rows = [f"\n\n    目录: {folder}\n\n\n",
                "Mode                 LastWriteTime         Length Name\n",
                "----                 -------------         ------ ----\n"]
        for item in items:
            when = local_time(item.mtime)
            stamp = f"{when.year}/{when.month}/{when.day}"
            mode = "d-----" if item.is_dir else "-a----"
            length = "" if item.is_dir else str(item.size)
            rows.append(f"{mode:<6}{stamp:>17}{when.strftime('%H:%M'):>9}{length:>15} {item.name}\n")
        blocks.append("".join(rows))
    return "".join(blocks) + "\n\n"
