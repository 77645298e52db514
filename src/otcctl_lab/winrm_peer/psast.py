"""The parse tree of the PowerShell the emulation runs (see :mod:`psparse`): one frozen node per construct.

``pos`` is the node's offset in the script (error records point at it); statements also keep
``end``, so a record can underline the whole command.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Node:
    pos: int


@dataclass(frozen=True)
class Const(Node):
    value: Any


@dataclass(frozen=True)
class Var(Node):
    name: str


@dataclass(frozen=True)
class Expandable(Node):
    parts: tuple[Any, ...]


@dataclass(frozen=True)
class SubExpr(Node):
    body: tuple[Any, ...]
    array: bool


@dataclass(frozen=True)
class Paren(Node):
    statement: Any


@dataclass(frozen=True)
class HashLit(Node):
    items: tuple[tuple[Any, Any], ...]


@dataclass(frozen=True)
class ArrayLit(Node):
    items: tuple[Any, ...]


@dataclass(frozen=True)
class Unary(Node):
    op: str
    operand: Any


@dataclass(frozen=True)
class Binary(Node):
    op: str
    left: Any
    right: Any


@dataclass(frozen=True)
class Member(Node):
    target: Any
    name: str
    static: bool


@dataclass(frozen=True)
class Call(Node):
    target: Any
    name: str
    args: tuple[Any, ...]
    static: bool


@dataclass(frozen=True)
class Index(Node):
    target: Any
    index: Any


@dataclass(frozen=True)
class TypeRef(Node):
    name: str


@dataclass(frozen=True)
class Cast(Node):
    type_name: str
    operand: Any


@dataclass(frozen=True)
class BlockLit(Node):
    body: tuple[Any, ...]
    text: str


@dataclass(frozen=True)
class CmdArg:
    name: str | None
    value: Any
    text: str


@dataclass(frozen=True)
class Command(Node):
    name: str
    args: tuple[CmdArg, ...]
    end: int


@dataclass(frozen=True)
class Pipeline(Node):
    elements: tuple[Any, ...]
    end: int


@dataclass(frozen=True)
class Assign(Node):
    target: Any
    op: str
    value: Any
    end: int


@dataclass(frozen=True)
class IncDec(Node):
    target: Any
    op: str
    end: int


@dataclass(frozen=True)
class If(Node):
    clauses: tuple[tuple[Any, tuple[Any, ...]], ...]
    otherwise: tuple[Any, ...] | None
    end: int


@dataclass(frozen=True)
class Foreach(Node):
    var: str
    iterable: Any
    body: tuple[Any, ...]
    end: int


@dataclass(frozen=True)
class Exit(Node):
    value: Any
    end: int


@dataclass(frozen=True)
class Jump(Node):
    kind: str
    end: int
