"""Members of the emulated values: ``$f.Length``, ``$s.ToLower()``, ``[datetime]::ParseExact(...)``, ``[int]$x``.

Each type lists the members it has; a member the emulation does not know is refused (a real
object may well have it, so answering ``$null`` would be a guess). Members known to be absent
(``Length`` of a folder) give ``$null`` as PowerShell does. Arrays enumerate members of their
elements (PowerShell 3+). A .NET exception in a method is reported the way PowerShell wraps it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from otcctl_lab.winrm_peer.drives import Entry
from otcctl_lab.winrm_peer.listing import local_time
from otcctl_lab.winrm_peer.psdates import format_date, parse_exact
from otcctl_lab.winrm_peer.psvalues import (
    DriveObject,
    FileObject,
    MatchInfo,
    MeasureInfo,
    NotEmulated,
    PSHashtable,
    PSRuntimeError,
    ServiceObject,
    TypeName,
    WmiDisk,
    match_text,
    to_int,
    to_number,
    to_string,
    truthy,
    type_name,
)

TYPES = {
    "int": "System.Int32", "int32": "System.Int32", "long": "System.Int64", "int64": "System.Int64",
    "double": "System.Double", "string": "System.String", "bool": "System.Boolean", "datetime": "System.DateTime",
    "math": "System.Math", "timespan": "System.TimeSpan", "array": "System.Array", "object[]": "System.Object[]",
    "hashtable": "System.Collections.Hashtable", "char": "System.Char",
}


def type_literal(name: str) -> TypeName:
    key = name.lower().removeprefix("system.")
    if key not in TYPES:
        raise NotEmulated(f"the type [{name}]")
    return TypeName(TYPES[key])


def _file_props(entry: Entry) -> dict[str, Any]:
    base, dot, ext = entry.name.rpartition(".")
    props: dict[str, Any] = {
        "name": entry.name, "fullname": entry.path, "lastwritetime": local_time(entry.mtime).replace(tzinfo=None),
        "extension": "." + ext if dot and ext else "", "psiscontainer": entry.is_dir, "exists": True,
        "mode": "d-----" if entry.is_dir else "-a----",
    }
    if entry.is_dir:
        props.update({"basename": entry.name, "length": None})
    else:
        parent = entry.path.rsplit("\\", 1)[0]
        props.update({"basename": base if dot else entry.name, "length": entry.size,
                      "directoryname": parent + "\\" if parent.endswith(":") else parent})
    return props


def get_property(value: Any, name: str) -> Any:
    """``value.name`` (no error for ``$null``; arrays enumerate their elements' members)."""
    key = name.lower()
    if value is None:
        return 0 if key in ("count", "length") else None
    if isinstance(value, list):
        if key in ("count", "length"):
            return len(value)
        found = [get_property(v, name) for v in value]
        return found[0] if len(found) == 1 else found
    if isinstance(value, PSHashtable):
        if key in ("count", "keys", "values") and not value.contains(name):
            return {"count": len(value.items), "keys": value.keys(), "values": value.values()}[key]
        return value.get(name)
    table = _properties(value)
    if key not in table:
        if key == "count" and not isinstance(value, PSHashtable):
            return 1  # PowerShell 3+: every object has Count 1
        raise NotEmulated(f"the property {name} of a {type_name(value)}")
    return table[key]


def _properties(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"length": len(value)}
    if isinstance(value, datetime):
        return {"date": value.replace(hour=0, minute=0, second=0, microsecond=0), "year": value.year,
                "month": value.month, "day": value.day, "hour": value.hour, "minute": value.minute,
                "second": value.second, "dayofweek": value.strftime("%A"), "dayofyear": value.timetuple().tm_yday}
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        return {"totaldays": seconds / 86400, "totalhours": seconds / 3600, "totalminutes": seconds / 60,
                "totalseconds": seconds, "days": value.days}
    if isinstance(value, ServiceObject):
        spec = value.spec
        return {"status": value.status, "name": spec.sc_name, "servicename": spec.sc_name, "displayname": spec.title,
                "starttype": "Automatic" if spec.autostart else "Manual"}
    if isinstance(value, FileObject):
        return _file_props(value.entry)
    if isinstance(value, DriveObject):
        info = value.info
        return {"name": info.letter, "free": info.free, "used": info.used, "root": info.letter + ":\\",
                "description": info.label, "provider": "Microsoft.PowerShell.Core\\FileSystem"}
    if isinstance(value, MatchInfo):
        return {"line": value.line, "linenumber": value.line_number, "path": value.path, "filename": value.filename,
                "pattern": value.pattern, "ignorecase": value.ignore_case}
    if isinstance(value, WmiDisk):
        info = value.info
        return {"deviceid": info.letter + ":", "name": info.letter + ":", "caption": info.letter + ":",
                "drivetype": value.drive_type, "freespace": info.free, "size": info.size, "volumename": info.label,
                "filesystem": "NTFS", "providername": None}
    if isinstance(value, MeasureInfo):
        return {"count": value.count, "sum": value.sum, "average": value.average, "maximum": value.maximum,
                "minimum": value.minimum, "property": value.prop}
    return {}


def call_method(value: Any, name: str, args: list[Any], refresh: Callable[[FileObject], None]) -> Any:
    """``value.name(args)``; .NET exceptions come back wrapped as PowerShell shows them."""
    key = name.lower()
    if value is None:
        raise PSRuntimeError("不能对 Null 值表达式调用方法。", error_id="InvokeMethodOnNull")
    try:
        return _call(value, key, args, refresh)
    except _DotNetError as exc:
        raise PSRuntimeError(f"使用“{len(args)}”个参数调用“{name}”时发生异常:“{exc}”", category="NotSpecified",
                             error_id=exc.kind, exception="MethodInvocationException") from None
    except PSRuntimeError as exc:
        raise PSRuntimeError(f"使用“{len(args)}”个参数调用“{name}”时发生异常:“{exc.message}”", category="NotSpecified",
                             error_id=exc.error_id, exception="MethodInvocationException") from None


class _DotNetError(Exception):
    def __init__(self, message: str, kind: str = "ArgumentOutOfRangeException") -> None:
        super().__init__(message)
        self.kind = kind


def _arity(name: str, args: list[Any], *allowed: int) -> None:
    if len(args) not in allowed:
        raise PSRuntimeError(f"找不到“{name}”的重载，参数计数为:“{len(args)}”。", category="NotSpecified",
                             error_id="MethodCountCouldNotFindBest", exception="MethodException")


def _call(value: Any, key: str, args: list[Any], refresh: Callable[[FileObject], None]) -> Any:
    if isinstance(value, str):
        return _string_method(value, key, args)
    if isinstance(value, datetime):
        return _date_method(value, key, args)
    if isinstance(value, PSHashtable):
        if key in ("containskey", "contains"):
            _arity(key, args, 1)
            return value.contains(args[0])
        if key == "containsvalue":
            _arity(key, args, 1)
            return any(v == args[0] for v in value.values())
        if key == "add":
            _arity(key, args, 2)
            if value.contains(args[0]):
                key = to_string(args[0])
                raise _DotNetError(f"已添加了具有相同键的项。\n字典中的关键字:“{key}”", "ArgumentException")
            value.set(args[0], args[1])
            return None
        if key == "remove":
            _arity(key, args, 1)
            value.items.pop(PSHashtable.norm(args[0]), None)
            return None
    if isinstance(value, FileObject) and key == "refresh":
        _arity(key, args, 0)
        refresh(value)
        return None
    if isinstance(value, MatchInfo) and key == "tostring" and not args:
        return match_text(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and key == "tostring" and not args:
        return to_string(value)
    raise NotEmulated(f"the method {key}() of a {type_name(value)}")


def _string_method(text: str, key: str, args: list[Any]) -> Any:
    strings = [to_string(a) for a in args]
    simple: dict[str, Callable[[], Any]] = {
        "tolower": lambda: text.lower(), "toupper": lambda: text.upper(), "tolowerinvariant": lambda: text.lower(),
        "toupperinvariant": lambda: text.upper(), "tostring": lambda: text,
    }
    if key in simple:
        _arity(key, args, 0)
        return simple[key]()
    if key in ("trim", "trimstart", "trimend"):
        chars = "".join(strings) if args else None
        trims: dict[str, Callable[[str | None], str]] = {"trim": text.strip, "trimstart": text.lstrip,
                                                         "trimend": text.rstrip}
        return trims[key](chars)
    if key in ("endswith", "startswith", "contains", "indexof"):
        _arity(key, args, 1)
        needle = strings[0]
        tests: dict[str, Callable[[str], Any]] = {"endswith": text.endswith, "startswith": text.startswith,
                                                  "contains": text.__contains__, "indexof": text.find}
        return tests[key](needle)
    if key == "substring":
        _arity(key, args, 1, 2)
        start = to_int(args[0])
        length = to_int(args[1]) if len(args) == 2 else len(text) - start
        if start < 0 or start > len(text):
            raise _DotNetError("startIndex 不能大于字符串长度。\n参数名: startIndex")
        if length < 0 or start + length > len(text):
            raise _DotNetError("索引和长度必须引用该字符串内的位置。\n参数名: length")
        return text[start:start + length]
    if key == "replace":
        _arity(key, args, 2)
        return text.replace(strings[0], strings[1])
    if key == "split" and len(args) == 1 and isinstance(args[0], str) and len(args[0]) == 1:
        return text.split(args[0])
    if key in ("padleft", "padright"):
        _arity(key, args, 1, 2)
        fill = strings[1] if len(args) == 2 else " "
        width = to_int(args[0])
        return text.rjust(width, fill) if key == "padleft" else text.ljust(width, fill)
    raise NotEmulated(f"the method {key}() of a string")


def _date_method(value: datetime, key: str, args: list[Any]) -> Any:
    units = {"adddays": "days", "addhours": "hours", "addminutes": "minutes", "addseconds": "seconds",
             "addmilliseconds": "milliseconds"}
    if key in units:
        _arity(key, args, 1)
        amount = to_number(args[0])
        return value + timedelta(**{units[key]: amount})
    if key in ("addmonths", "addyears"):
        _arity(key, args, 1)
        months = to_int(args[0]) * (12 if key == "addyears" else 1)
        total = value.year * 12 + value.month - 1 + months
        year, month = divmod(total, 12)
        import calendar

        day = min(value.day, calendar.monthrange(year, month + 1)[1])
        return value.replace(year=year, month=month + 1, day=day)
    if key == "tostring":
        _arity(key, args, 0, 1)
        return format_date(value, to_string(args[0]) if args and args[0] is not None else "G")
    raise NotEmulated(f"the method {key}() of a datetime")


def call_static(type_: TypeName, name: str, args: list[Any]) -> Any:
    """``[type]::name(args)``."""
    key = name.lower()
    try:
        return _static(type_.name, key, args)
    except PSRuntimeError as exc:
        if exc.exception == "MethodException":
            raise
        raise PSRuntimeError(f"使用“{len(args)}”个参数调用“{name}”时发生异常:“{exc.message}”", category="NotSpecified",
                             error_id=exc.error_id, exception="MethodInvocationException") from None


def _static(type_: str, key: str, args: list[Any]) -> Any:
    if type_ == "System.DateTime" and key == "parseexact":
        _arity("ParseExact", args, 3)
        if args[2] is not None:
            raise NotEmulated("ParseExact with a format provider other than $null")
        return parse_exact(to_string(args[0]), to_string(args[1]))
    if type_ == "System.Math":
        numbers = [to_number(a) for a in args]
        if key == "round":
            _arity("Round", args, 1, 2)
            digits = to_int(args[1]) if len(args) == 2 else 0
            if not 0 <= digits <= 15:
                raise _DotNetError("舍入位数必须介于 0 和 15 之间(包括 0 和 15)。")
            return float(round(numbers[0], digits)) if isinstance(numbers[0], float) else numbers[0]
        one: dict[str, Callable[[Any], Any]] = {"floor": math.floor, "ceiling": math.ceil, "abs": abs,
                                                "truncate": math.trunc, "sqrt": math.sqrt}
        if key in one:
            _arity(key, args, 1)
            result = one[key](numbers[0])
            return float(result) if isinstance(numbers[0], float) or key == "sqrt" else result
        if key in ("max", "min"):
            _arity(key, args, 2)
            return max(numbers) if key == "max" else min(numbers)
    if type_ == "System.String":
        if key == "isnullorempty":
            _arity("IsNullOrEmpty", args, 1)
            return args[0] is None or to_string(args[0]) == ""
        if key == "join":
            _arity("Join", args, 2)
            items = args[1] if isinstance(args[1], list) else [args[1]]
            return to_string(args[0]).join(to_string(v) for v in items)
    raise NotEmulated(f"[{type_}]::{key}")


def static_property(type_: TypeName, name: str) -> Any:
    key = name.lower()
    if type_.name == "System.DateTime" and key in ("now", "today"):
        from otcctl_lab.winrm_peer.listing import local_now

        now = local_now()
        return now if key == "now" else now.replace(hour=0, minute=0, second=0, microsecond=0)
    if type_.name == "System.Int32" and key in ("maxvalue", "minvalue"):
        return 2**31 - 1 if key == "maxvalue" else -(2**31)
    if type_.name == "System.Math" and key == "pi":
        return math.pi
    raise NotEmulated(f"[{type_.name}]::{name}")


def cast(type_: TypeName, value: Any) -> Any:
    """``[type]value`` for the scalar types the runbooks use."""
    name = type_.name
    if name == "System.Int32":
        return to_int(value, 32)
    if name == "System.Int64":
        return to_int(value, 64)
    if name == "System.Double":
        return float(to_number(value))
    if name == "System.String":
        return to_string(value)
    if name == "System.Boolean":
        return truthy(value)
    if name in ("System.Array", "System.Object[]"):
        return list(value) if isinstance(value, list) else [] if value is None else [value]
    if name == "System.DateTime" and isinstance(value, datetime):
        return value
    raise NotEmulated(f"converting a {type_name(value)} to [{name}]")
