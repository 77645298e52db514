"""The emulated host's disks: drive letters mapped onto folders under the state directory.

List, read, delete, and free space. Windows paths are case-insensitive and may use either
slash; a path that climbs out of its drive, has no drive letter or names a drive the host
lacks is refused, never guessed. Free space is the drive's size minus a fixed base and the
files' apparent sizes, so deleting a (sparse) 8 GB dump frees 8 GB as far as ``dir``,
``Get-PSDrive`` and WMI can tell. Every drive is a local fixed disk (WMI DriveType 3) unless
``drives.json`` says otherwise. The seeding functions write what the runbooks look at: daily
exports with their logs and archives, and the middleware's log files.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from pathlib import Path

GIB = 1024**3
ANSI_CODEPAGE = 936  # a Chinese Windows: GBK for "ANSI" and "OEM" text
DEFAULT_DRIVES: dict[str, dict[str, object]] = {
    "C": {"label": "系统", "size": 100 * GIB, "base_used": 40 * GIB},
    "D": {"label": "DATA", "size": 500 * GIB, "base_used": 120 * GIB},
    "E": {"label": "BACKUP1", "size": 500 * GIB, "base_used": 80 * GIB},
    "M": {"label": "ARCHIVE", "size": 2048 * GIB, "base_used": 600 * GIB},
}
_PATH = re.compile(r"^(?P<drive>[A-Za-z]):(?P<rest>[\\/].*)?$")


class PathRefused(ValueError):
    """A path the emulation does not handle (no drive letter, escapes its drive)."""


class NoSuchDrive(PathRefused):
    """A drive letter the host does not have: a real error on Windows, not a refusal."""

    def __init__(self, letter: str) -> None:
        super().__init__(f"drive {letter}: does not exist on this host")
        self.letter = letter


@dataclass(frozen=True)
class Entry:
    """One file or folder as a listing shows it."""

    name: str
    path: str
    is_dir: bool
    size: int
    mtime: float


@dataclass(frozen=True)
class DriveInfo:
    """A drive's label and space, for ``dir`` footers and ``Get-PSDrive``."""

    letter: str
    label: str
    size: int
    used: int

    @property
    def free(self) -> int:
        return max(0, self.size - self.used)


class Drives:
    """Drive letters on folders ``ROOT/<letter>``; sizes from ``ROOT/drives.json`` or the defaults."""

    def __init__(self, root: Path) -> None:
        self.root = root
        config = root / "drives.json"
        self._config = json.loads(config.read_text(encoding="utf-8")) if config.exists() else DEFAULT_DRIVES
        for letter in self._config:
            (root / letter).mkdir(parents=True, exist_ok=True)

    def letters(self) -> list[str]:
        return sorted(self._config)

    def split(self, windows_path: str) -> tuple[str, list[str]]:
        """``D:\\a\\b`` -> ("D", ["a", "b"]); :class:`PathRefused` for what is not emulated."""
        match = _PATH.match(windows_path.strip().strip('"').strip("'"))
        if match is None:
            raise PathRefused(f"only absolute paths with a drive letter are emulated: {windows_path}")
        letter = match["drive"].upper()
        if letter not in self._config:
            raise NoSuchDrive(letter)
        parts = [p for p in re.split(r"[\\/]+", match["rest"] or "") if p and p != "."]
        if any(p == ".." for p in parts):
            raise PathRefused(f"'..' in paths is not emulated: {windows_path}")
        return letter, parts

    def resolve(self, windows_path: str) -> Path | None:
        """The real path (matching names case-insensitively), or None when it does not exist."""
        letter, parts = self.split(windows_path)
        current = self.root / letter
        for part in parts:
            if not current.is_dir():
                return None
            found = next((c for c in current.iterdir() if c.name.lower() == part.lower()), None)
            if found is None:
                return None
            current = found
        return current

    def windows_path(self, real: Path) -> str:
        """The Windows spelling of a real path under the root."""
        relative = real.relative_to(self.root).parts
        return relative[0] + ":\\" + "\\".join(relative[1:])

    def entry(self, real: Path) -> Entry:
        stat = real.stat()
        return Entry(real.name, self.windows_path(real), real.is_dir(), 0 if real.is_dir() else stat.st_size,
                     stat.st_mtime)

    def list(self, windows_path: str, pattern: str | None = None) -> tuple[str, list[Entry]] | None:
        """(folder, entries) for a folder, or a wildcard/file path; None when nothing is there.

        ``D:\\bak\\*.dmp`` lists the matching files of ``D:\\bak``, as ``dir`` does.
        """
        real = self.resolve(windows_path)
        if real is not None and real.is_dir():
            folder, leaf = real, pattern or "*"
        else:
            letter, parts = self.split(windows_path)
            if not parts:
                return None
            parent = self.resolve(f"{letter}:\\" + "\\".join(parts[:-1]))
            if parent is None or not parent.is_dir():
                return None
            folder, leaf = parent, parts[-1]
            if pattern is not None and not fnmatch.fnmatch(leaf.lower(), pattern.lower()):
                return None
        entries = [self.entry(c) for c in sorted(folder.iterdir(), key=lambda p: p.name.lower())
                   if not c.name.startswith(".") and fnmatch.fnmatch(c.name.lower(), leaf.lower())]
        return self.windows_path(folder), entries

    def remove(self, entry: Entry) -> None:
        """Delete one file (folders are not emulated: refused)."""
        if entry.is_dir:
            raise PathRefused(f"removing folders is not emulated: {entry.path}")
        real = self.resolve(entry.path)
        if real is not None:
            real.unlink()

    def write(self, windows_path: str, data: bytes) -> None:
        """Create or replace one file in an existing folder."""
        letter, parts = self.split(windows_path)
        if not parts:
            raise PathRefused(f"writing a drive root is not emulated: {windows_path}")
        parent = self.resolve(f"{letter}:\\" + "\\".join(parts[:-1]))
        if parent is None or not parent.is_dir():
            raise PathRefused(f"the folder of {windows_path} does not exist")
        existing = self.resolve(windows_path)
        if existing is not None and existing.is_dir():
            raise PathRefused(f"{windows_path} is a folder")
        (existing or parent / parts[-1]).write_bytes(data)

    def read(self, entry: Entry) -> bytes:
        """A file's bytes (refused above 64 MiB: the lab's big files are sparse dumps, not text)."""
        real = self.resolve(entry.path)
        if real is None or real.is_dir():
            raise PathRefused(f"reading {entry.path}: not a file")
        if real.stat().st_size > 64 * 1024 * 1024:
            raise PathRefused(f"reading {entry.path}: larger than the emulation reads")
        return real.read_bytes()

    def drive_type(self, letter: str) -> int:
        """WMI's DriveType: 3 local disk (the default), 4 network drive, 2 removable, 5 CD."""
        return _int(self._config[letter.upper()].get("type", 3))

    def info(self, letter: str) -> DriveInfo:
        """Label, size and used space of a drive."""
        config = self._config[letter.upper()]
        files = sum(p.stat().st_size for p in (self.root / letter.upper()).rglob("*") if p.is_file())
        return DriveInfo(letter.upper(), str(config.get("label", "")), _int(config.get("size")),
                         _int(config.get("base_used")) + files)


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | float | str) else 0
