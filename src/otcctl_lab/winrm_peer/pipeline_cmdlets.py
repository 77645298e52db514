"""Cmdlets that work on what flows down a pipeline, and the few that only produce or wait.

Where-Object (a script block, or ``Where-Object Prop -op Value``), ForEach-Object (a process
block), Sort-Object (properties or a script block, ``-Descending``, stable), Select-Object
(``-First -Last -Skip -ExpandProperty -Unique``; building new objects with ``-Property`` is
refused), Measure-Object (count, ``-Sum -Average -Maximum -Minimum`` of a property), Get-Date
(the host's clock, ``-Format``), Start-Sleep (interruptible), Write-Output, Write-Host, Out-Null.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from otcctl_lab.winrm_peer.cmdlets import Args, Spec
from otcctl_lab.winrm_peer.listing import local_now
from otcctl_lab.winrm_peer.psdates import format_date
from otcctl_lab.winrm_peer.psmembers import get_property
from otcctl_lab.winrm_peer.psops import compare
from otcctl_lab.winrm_peer.pssession import Session
from otcctl_lab.winrm_peer.psvalues import (
    MeasureInfo,
    NotEmulated,
    ScriptBlock,
    enumerate_value,
    to_int,
    to_number,
    to_string,
    truthy,
    unwrap,
)

_WHERE_OPERATORS = ("eq", "ne", "gt", "ge", "lt", "le", "like", "notlike", "match", "notmatch", "contains",
                    "notcontains", "in", "notin")


class Interrupted(Exception):
    """Start-Sleep was interrupted (Ctrl-C or the command was terminated)."""


def where_object(session: Session, args: Args, piped: list[Any] | None) -> list[Any]:
    block = args.get("filterscript")
    if isinstance(block, ScriptBlock):
        return [v for v in piped or [] if truthy(unwrap(session.block(block, v)))]
    operators = [op for op in _WHERE_OPERATORS if args.flag(op)]
    name = args.get("filterscript")
    if name is None or len(operators) != 1 or "value" not in args.named:
        raise NotEmulated("Where-Object without a script block or one 'Property -op Value' comparison")
    return [v for v in piped or [] if truthy(compare(get_property(v, to_string(name)), operators[0],
                                                     args.get("value")))]


def foreach_object(session: Session, args: Args, piped: list[Any] | None) -> list[Any]:
    block = args.get("process")
    if not isinstance(block, ScriptBlock):
        raise NotEmulated("ForEach-Object without a { process block } (member names are not emulated)")
    out: list[Any] = []
    for value in piped or []:
        out.extend(session.block(block, value))
    return out


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (1, value)
    if isinstance(value, datetime):
        return (2, value)
    if isinstance(value, timedelta):
        return (3, value)
    if isinstance(value, str):
        return (4, value.lower())
    raise NotEmulated(f"sorting {type(value).__name__} objects")


def sort_object(session: Session, args: Args, piped: list[Any] | None) -> list[Any]:
    keys = enumerate_value(args.get("property")) if args.get("property") is not None else []

    def key(value: Any) -> tuple[tuple[int, Any], ...]:
        if not keys:
            return (_sort_key(value),)
        return tuple(_sort_key(unwrap(session.block(k, value)) if isinstance(k, ScriptBlock)
                               else get_property(value, to_string(k))) for k in keys)

    values = list(piped or [])
    ordered = sorted(values, key=key, reverse=args.flag("descending"))
    if args.flag("unique"):
        seen: list[Any] = []
        ordered = [v for v in ordered if not (key(v) in seen or seen.append(key(v)))]  # type: ignore[func-returns-value]
    return ordered


def select_object(session: Session, args: Args, piped: list[Any] | None) -> list[Any]:
    if args.get("property") is not None:
        raise NotEmulated("Select-Object -Property (new objects are not emulated; use -ExpandProperty)")
    values = list(piped or [])
    if args.flag("unique"):
        unique: list[Any] = []
        for value in values:
            if not any(compare(value, "ceq", u) is True for u in unique):
                unique.append(value)
        values = unique
    expand = args.text("expandproperty")
    if expand:
        values = [item for v in values for item in enumerate_value(get_property(v, expand))]
    if args.get("skip") is not None:
        values = values[to_int(args.get("skip")):]
    if args.get("first") is not None:
        values = values[: to_int(args.get("first"))]
    if args.get("last") is not None:
        count = to_int(args.get("last"))
        values = values[-count:] if count else []
    if not (expand or args.get("first") is not None or args.get("last") is not None or args.get("skip") is not None
            or args.flag("unique")):
        raise NotEmulated("Select-Object without -First, -Last, -Skip, -Unique or -ExpandProperty")
    return values


def measure_object(session: Session, args: Args, piped: list[Any] | None) -> list[Any]:
    name = args.text("property")
    values = [v for v in piped or [] if v is not None]
    if name is None:
        if any(args.flag(f) for f in ("sum", "average", "maximum", "minimum")):
            raise NotEmulated("Measure-Object -Sum/-Average/-Maximum/-Minimum without -Property")
        return [MeasureInfo(len(values), None)]
    measured = [get_property(v, name) for v in values]
    numbers = [to_number(m) for m in measured if m is not None]
    total = sum(numbers) if numbers else 0
    return [MeasureInfo(
        len(numbers), name,
        sum=total if args.flag("sum") else None,
        average=float(total) / len(numbers) if args.flag("average") and numbers else None,
        maximum=max(numbers) if args.flag("maximum") and numbers else None,
        minimum=min(numbers) if args.flag("minimum") and numbers else None,
    )]


def get_date(session: Session, args: Args, piped: list[Any] | None) -> list[Any]:
    now = local_now()
    fmt = args.text("format")
    return [format_date(now, fmt) if fmt is not None else now]


def start_sleep(session: Session, args: Args, piped: list[Any] | None) -> list[Any]:
    seconds = to_number(args.get("seconds")) if args.get("seconds") is not None else None
    if args.get("milliseconds") is not None:
        seconds = to_number(args.get("milliseconds")) / 1000
    if seconds is None:
        raise NotEmulated("Start-Sleep without -Seconds or -Milliseconds")
    session.flush()
    if not session.inv.cmd.sleep(float(seconds)):
        raise Interrupted
    return []


def write_output(session: Session, args: Args, piped: list[Any] | None) -> list[Any]:
    return list(enumerate_value(args.get("inputobject"))) if "inputobject" in args.named else list(piped or [])


def write_host(session: Session, args: Args, piped: list[Any] | None) -> list[Any]:
    session.flush()
    text = " ".join(to_string(v) for v in enumerate_value(args.get("object"))) if "object" in args.named else ""
    session.inv.cmd.out(text + ("" if args.flag("nonewline") else "\n"))
    return []


def out_null(session: Session, args: Args, piped: list[Any] | None) -> list[Any]:
    return []


_WHERE = {"filterscript": True, "value": True, **{op: False for op in _WHERE_OPERATORS}}
PIPELINE_CMDLETS: dict[str, Spec] = {
    "where-object": Spec(where_object, _WHERE, ("filterscript", "value"), (("property", "filterscript"),)),
    "foreach-object": Spec(foreach_object, {"process": True}, ("process",)),
    "sort-object": Spec(sort_object, {"property": True, "descending": False, "unique": False}, ("property",)),
    "select-object": Spec(select_object, {"property": True, "expandproperty": True, "first": True, "last": True,
                                          "skip": True, "unique": False}, ("property",)),
    "measure-object": Spec(measure_object, {"property": True, "sum": False, "average": False, "maximum": False,
                                            "minimum": False}, ("property",)),
    "get-date": Spec(get_date, {"format": True}),
    "start-sleep": Spec(start_sleep, {"seconds": True, "milliseconds": True}, ("seconds",)),
    "write-output": Spec(write_output, {"inputobject": True}, ("inputobject",), remaining="inputobject"),
    "write-host": Spec(write_host, {"object": True, "nonewline": False, "foregroundcolor": True,
                                    "backgroundcolor": True}, ("object",), remaining="object"),
    "out-null": Spec(out_null, {}),
}
