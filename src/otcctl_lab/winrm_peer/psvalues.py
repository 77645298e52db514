"""PowerShell values as the emulation holds them, and what PowerShell does with them unasked.

Scalars are Python values (``None`` is ``$null``, ``int``/``float``, ``str``, ``bool``, a naive
``datetime`` on the host's clock, ``timedelta`` for TimeSpan); arrays are lists; ``@{}`` is a
:class:`PSHashtable` (case-insensitive keys, as PowerShell's are). Host objects (services, files,
drives, matches, WMI disks) are small classes. The conversions follow PowerShell's rules
(culture-invariant strings, .NET's double format, banker's rounding for ``[int]``); the
operators are in :mod:`psops`. A conversion the emulation is not sure of raises
:class:`NotEmulated` rather than guess.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from otcctl_lab.winrm_peer.drives import DriveInfo, Entry
from otcctl_lab.winrm_peer.host import ServiceSpec


class NotEmulated(Exception):
    """A statement, cmdlet, parameter or value the emulation does not run."""


class PSRuntimeError(Exception):
    """A statement-terminating error (null method call, division by zero, a .NET exception)."""

    def __init__(self, message: str, category: str = "InvalidOperation", error_id: str = "RuntimeException",
                 exception: str = "RuntimeException") -> None:
        super().__init__(message)
        self.message, self.category, self.error_id, self.exception = message, category, error_id, exception


@dataclass(frozen=True)
class ServiceObject:
    spec: ServiceSpec
    status: str


class FileObject:
    """A FileInfo/DirectoryInfo; ``Refresh()`` reads the disk again, as .NET does."""

    def __init__(self, entry: Entry) -> None:
        self.entry = entry


@dataclass(frozen=True)
class DriveObject:
    info: DriveInfo


@dataclass(frozen=True)
class MatchInfo:
    """What Select-String emits for one matching line."""

    line: str
    line_number: int
    path: str
    filename: str
    pattern: str
    ignore_case: bool


@dataclass(frozen=True)
class WmiDisk:
    """A Win32_LogicalDisk instance."""

    info: DriveInfo
    drive_type: int


@dataclass(frozen=True)
class MeasureInfo:
    """Measure-Object's GenericMeasureInfo."""

    count: int
    prop: str | None
    sum: float | int | None = None
    average: float | None = None
    maximum: Any = None
    minimum: Any = None


@dataclass(frozen=True)
class ScriptBlock:
    """A ``{ ... }`` literal: its statements (a parse tree) and its source text."""

    body: tuple[Any, ...]
    text: str


@dataclass(frozen=True)
class TypeName:
    """A type literal such as ``[datetime]``, with its canonical .NET name."""

    name: str


@dataclass
class PSHashtable:
    """``@{}``: keys compare case-insensitively; insertion order is kept for display."""

    items: dict[Any, tuple[Any, Any]] = field(default_factory=dict)

    @staticmethod
    def norm(key: Any) -> Any:
        if isinstance(key, str):
            return ("s", key.lower())
        if isinstance(key, bool | int | float | datetime) or key is None:
            return ("v", key)
        raise NotEmulated(f"a hashtable key of type {type_name(key)}")

    def get(self, key: Any) -> Any:
        found = self.items.get(self.norm(key))
        return None if found is None else found[1]

    def set(self, key: Any, value: Any) -> None:
        if key is None:
            raise PSRuntimeError("索引操作失败；数组索引的计算结果为 Null。", error_id="NullArrayIndex")
        norm = self.norm(key)
        old = self.items.get(norm)
        self.items[norm] = (old[0] if old else key, value)

    def contains(self, key: Any) -> bool:
        return self.norm(key) in self.items

    def keys(self) -> list[Any]:
        return [k for k, _ in self.items.values()]

    def values(self) -> list[Any]:
        return [v for _, v in self.items.values()]


PSValue = Any
STATUS = {"running": "Running", "stopped": "Stopped", "start_pending": "StartPending", "stop_pending": "StopPending"}
_NUMBER = re.compile(r"^\s*([+-]?)(?:0x([0-9a-f]+)|(\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?))\s*$", re.I)


def type_name(value: Any) -> str:
    names = {bool: "bool", int: "int", float: "double", str: "string", datetime: "datetime", list: "object[]",
             timedelta: "timespan", PSHashtable: "hashtable"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def enumerate_value(value: Any) -> list[Any]:
    """What a value sends down a pipeline: an array's elements, anything else once."""
    return list(value) if isinstance(value, list) else [value]


def unwrap(values: list[Any]) -> Any:
    """A pipeline's output as a value: nothing is $null, one object is itself, more an array."""
    if not values:
        return None
    return values[0] if len(values) == 1 else list(values)


def truthy(value: Any) -> bool:
    """PowerShell's conversion to bool."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value != ""
    if isinstance(value, list):
        return truthy(value[0]) if len(value) == 1 else bool(value)
    return True


def dotnet_double(value: float) -> str:
    """A double as .NET Framework's ToString() writes it (15 significant digits, 'E+nn' exponents)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    text = format(value, ".15g")
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}E{exponent[0]}{int(exponent[1:]):02d}"
    return "0" if text == "-0" else text


def to_string(value: Any) -> str:
    """PowerShell's conversion to string (culture-invariant, arrays joined by a space)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return dotnet_double(value)
    if isinstance(value, datetime):
        return value.strftime("%m/%d/%Y %H:%M:%S")
    if isinstance(value, timedelta):
        return timespan_text(value)
    if isinstance(value, list):
        return " ".join(to_string(v) for v in value)
    if isinstance(value, MatchInfo):
        return match_text(value)
    if isinstance(value, ScriptBlock):
        return value.text
    if isinstance(value, PSHashtable):
        return "System.Collections.Hashtable"
    if isinstance(value, FileObject):
        # FileInfo.ToString() is the path it was created from: a name or a full path depending on
        # how Get-ChildItem was called; not guessed here.
        raise NotEmulated("converting a file object to a string (use .Name or .FullName)")
    raise NotEmulated(f"converting a {type_name(value)} to a string")


def timespan_text(value: timedelta) -> str:
    ticks = round(value.total_seconds() * 10_000_000)
    sign = "-" if ticks < 0 else ""
    ticks = abs(ticks)
    days, rest = divmod(ticks, 864_000_000_000)
    hours, rest = divmod(rest, 36_000_000_000)
    minutes, rest = divmod(rest, 600_000_000)
    seconds, fraction = divmod(rest, 10_000_000)
    text = f"{sign}{f'{days}.' if days else ''}{hours:02d}:{minutes:02d}:{seconds:02d}"
    return text + (f".{fraction:07d}" if fraction else "")


def match_text(match: MatchInfo) -> str:
    return match.line if match.path == "InputStream" else f"{match.path}:{match.line_number}:{match.line}"


def to_number(value: Any) -> int | float:
    """PowerShell's conversion to a number for arithmetic and comparisons."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        match = _NUMBER.match(value)
        if match is None:
            if value.strip() == "":
                return 0
            raise PSRuntimeError(f"无法将值“{value}”转换为类型“System.Int32”。错误:“输入字符串的格式不正确。”",
                                 error_id="InvalidCastFromStringToInteger", exception="RuntimeException")
        sign = -1 if match.group(1) == "-" else 1
        if match.group(2):
            return sign * int(match.group(2), 16)
        text = match.group(3)
        return sign * (int(text) if text.isdigit() else float(text))
    if isinstance(value, list) and len(value) == 1:
        return to_number(value[0])
    raise NotEmulated(f"converting a {type_name(value)} to a number")


def to_int(value: Any, bits: int = 32) -> int:
    """``[int]`` / ``[long]``: rounds half to even like .NET, range-checked."""
    number = to_number(value)
    result = round(number) if isinstance(number, float) else number
    if not -(2 ** (bits - 1)) <= result < 2 ** (bits - 1):
        raise PSRuntimeError(f"无法将值“{to_string(value)}”转换为类型“System.Int{bits}”。"
                             f"错误:“值对于 Int{bits} 太大或太小。”",
                             error_id="InvalidCastIConvertible")
    return result
