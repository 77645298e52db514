"""The expression half of the PowerShell parser: operators by precedence, literals, strings, members.

Precedence, lowest first: ``-and -or -xor``; comparisons and ``-join``; ``+ -``; ``* / %``;
``-not ! -`` (unary); ``..``; ``,``; casts ``[type]``; member access ``.Name``, calls ``.M()``,
static ``::``, indexing ``[i]``. Literals: numbers (``10``, ``1.5``, ``0x1F``, ``1GB``, ``5L``),
``'single'`` and ``"double"`` strings (``$var`` and ``$(...)`` expanded, backtick escapes),
``$var``, ``$(...)``, ``@(...)``, ``@{...}``, ``{ script block }``. The statement half
(:mod:`psparse`) supplies ``statement``/``statements``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from otcctl_lab.winrm_peer.psast import (
    ArrayLit,
    Binary,
    BlockLit,
    Call,
    Cast,
    Const,
    Expandable,
    HashLit,
    Index,
    Member,
    Paren,
    SubExpr,
    TypeRef,
    Unary,
    Var,
)
from otcctl_lab.winrm_peer.psops import comparison_ops
from otcctl_lab.winrm_peer.psvalues import NotEmulated

_COMPARISON = comparison_ops() | {"join"}
_LOGICAL = {"and", "or", "xor"}
_REFUSED_OPERATORS = {"f", "split", "is", "isnot", "as", "band", "bor", "bxor", "bnot", "shl", "shr",
                      "csplit", "isplit"}
_NUMBER = re.compile(r"(0x[0-9a-f]+|(?:\d+(?:\.\d+)?|\.\d+)(?:e[+-]?\d+)?)(l|d)?(kb|mb|gb|tb|pb)?", re.I)
_MULTIPLIERS = {"kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4, "pb": 1024**5}
_IDENT = re.compile(r"[A-Za-z_]\w*")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def number_value(text: str) -> int | float | None:
    """A PowerShell number literal (``10``, ``1.5``, ``0x1F``, ``1GB``, ``5L``) or None."""
    match = _NUMBER.fullmatch(text)
    if match is None:
        return None
    digits, suffix, multiplier = match.groups()
    if suffix and suffix.lower() == "d":
        raise NotEmulated(f"the decimal literal {text}")
    if digits.lower().startswith("0x"):
        value: int | float = int(digits, 16)
    elif re.fullmatch(r"\d+", digits):
        value = int(digits)
    else:
        value = float(digits)
    if multiplier:
        value = value * _MULTIPLIERS[multiplier.lower()]
    return value


class ExpressionParser:
    """Reads expressions from ``src`` at ``i``; :class:`NotEmulated` for what is not kept."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.i = 0

    def statement(self) -> Any:
        raise NotImplementedError

    def statements(self, closer: str | None) -> tuple[Any, ...]:
        raise NotImplementedError

    # -- helpers ---------------------------------------------------------------------------
    def refuse(self, why: str) -> NotEmulated:
        line_start = self.src.rfind("\n", 0, self.i) + 1
        line_end = self.src.find("\n", self.i)
        line = self.src[line_start:line_end if line_end >= 0 else len(self.src)].strip()
        return NotEmulated(f"{line} ({why})")

    def peek(self, offset: int = 0) -> str:
        index = self.i + offset
        return self.src[index] if index < len(self.src) else ""

    def startswith(self, text: str) -> bool:
        return self.src.startswith(text, self.i)

    def space(self, newlines: bool = False) -> None:
        while self.i < len(self.src):
            char = self.src[self.i]
            if char in " \t\r" or (newlines and char == "\n"):
                self.i += 1
            elif char == "`" and self.peek(1) in ("\n", "\r"):
                self.i += 2
            elif char == "#":
                end = self.src.find("\n", self.i)
                self.i = len(self.src) if end < 0 else end
            elif self.startswith("<#"):
                end = self.src.find("#>", self.i)
                if end < 0:
                    raise self.refuse("an unterminated block comment")
                self.i = end + 2
            else:
                return

    def expect(self, text: str) -> None:
        if not self.startswith(text):
            raise self.refuse(f"expected {text!r}")
        self.i += len(text)

    def word_at(self) -> str:
        match = _IDENT.match(self.src, self.i)
        return match.group(0) if match else ""

    def script_block(self) -> BlockLit:
        start = self.i
        self.expect("{")
        body = self.statements("}")
        self.expect("}")
        return BlockLit(start, body, self.src[start + 1:self.i - 1])

    # -- expressions -------------------------------------------------------------------------
    def expression(self, comma: bool = True) -> Any:
        return self.binary(0, comma)

    _LEVELS: tuple[set[str], ...] = (_LOGICAL, _COMPARISON, {"+", "-"}, {"*", "/", "%"})

    def binary(self, level: int, comma: bool) -> Any:
        if level == len(self._LEVELS):
            return self.unary(comma)
        left = self.binary(level + 1, comma)
        while True:
            mark = self.i
            self.space()
            op, width = self.operator()
            if op is None or op not in self._LEVELS[level]:
                self.i = mark
                return left
            pos = self.i
            self.i += width
            self.space(newlines=True)
            left = Binary(pos, op, left, self.binary(level + 1, comma))

    def operator(self) -> tuple[str | None, int]:
        char = self.peek()
        if char == "-" and self.peek(1).isalpha():
            word = re.match(r"-([A-Za-z]+)", self.src[self.i:])
            assert word is not None
            name = word.group(1).lower()
            if name in _LOGICAL or name in _COMPARISON:
                return name, word.end()
            raise self.refuse(f"the operator -{name}" if name in _REFUSED_OPERATORS else f"unknown operator -{name}")
        if char in "+-*/%" and self.peek(1) != "=" and not (char in "+-" and self.peek(1) == char):
            return char, 1
        return None, 0

    def unary(self, comma: bool) -> Any:
        start = self.i
        if self.peek() == "!" or (self.startswith("-") and re.match(r"-not\b", self.src[self.i:], re.I)):
            self.i += 1 if self.peek() == "!" else 4
            self.space()
            return Unary(start, "not", self.unary(comma))
        if self.peek() == "-" and self.peek(1).isalpha():
            raise self.refuse("a unary operator")
        if self.peek() in "-+" and self.peek(1) not in "-+=":
            op = self.peek()
            self.i += 1
            self.space()
            operand = self.unary(comma)
            return Unary(start, "neg", operand) if op == "-" else Unary(start, "pos", operand)
        return self.range(comma)

    def range(self, comma: bool) -> Any:
        left = self.comma(comma)
        if self.startswith(".."):
            pos = self.i
            self.i += 2
            self.space()
            return Binary(pos, "..", left, self.comma(comma))
        return left

    def comma(self, comma: bool) -> Any:
        return self.comma_list(self.cast, more=comma)

    def comma_list(self, item: Callable[[], Any], *, more: bool = True) -> Any:
        """``a, b, c`` as PowerShell reads it: one item alone, or an array of them."""
        start = self.i
        items = [item()]
        while more:
            mark = self.i
            self.space()
            if self.peek() != ",":
                self.i = mark
                break
            self.i += 1
            self.space(newlines=True)
            items.append(item())
        return items[0] if len(items) == 1 else ArrayLit(start, tuple(items))

    def cast(self) -> Any:
        start = self.i
        if self.peek() == "[":
            match = re.match(r"\[\s*([A-Za-z_][\w.]*(?:\[\])?)\s*\]", self.src[self.i:])
            if match is None:
                raise self.refuse("a type literal")
            self.i += match.end()
            if self.startswith("::"):
                return self.postfix(TypeRef(start, match.group(1)))
            mark = self.i
            self.space()
            if self.peek() and self.peek() not in ")|;,}\n" and not (self.peek() == "-" and self.peek(1).isalpha()):
                return Cast(start, match.group(1), self.cast())
            self.i = mark
            return TypeRef(start, match.group(1))
        return self.postfix(self.primary())

    def postfix(self, target: Any) -> Any:
        while True:
            start = self.i
            if self.startswith("::") or (self.peek() == "." and self.peek(1) != "."):
                static = self.startswith("::")
                self.i += 2 if static else 1
                name = self.word_at()
                if not name:
                    raise self.refuse("a member name")
                self.i += len(name)
                if self.peek() == "(":
                    target = Call(start, target, name, self.call_args(), static)
                else:
                    target = Member(start, target, name, static)
            elif self.peek() == "[":
                self.i += 1
                self.space(newlines=True)
                index = self.expression()
                self.space(newlines=True)
                self.expect("]")
                target = Index(start, target, index)
            else:
                return target

    def call_args(self) -> tuple[Any, ...]:
        self.expect("(")
        self.space(newlines=True)
        args: list[Any] = []
        if self.peek() == ")":
            self.i += 1
            return ()
        while True:
            args.append(self.expression(comma=False))
            self.space(newlines=True)
            if self.peek() == ",":
                self.i += 1
                self.space(newlines=True)
                continue
            self.expect(")")
            return tuple(args)

    def primary(self) -> Any:
        start = self.i
        char = self.peek()
        if char == "$":
            if self.peek(1) == "(":
                self.i += 2
                body = self.statements(")")
                self.expect(")")
                return SubExpr(start, body, False)
            match = re.match(r"\$([A-Za-z_]\w*|_)(:?)", self.src[self.i:])
            if match is None or match.group(2):
                raise self.refuse("this kind of variable")
            self.i += match.end()
            name = match.group(1).lower()
            constants = {"true": True, "false": False, "null": None}
            return Const(start, constants[name]) if name in constants else Var(start, name)
        if char == "@":
            if self.peek(1) == "(":
                self.i += 2
                body = self.statements(")")
                self.expect(")")
                return SubExpr(start, body, True)
            if self.peek(1) == "{":
                return self.hashtable()
            raise self.refuse("here-strings and splatting")
        if char == "(":
            self.i += 1
            self.space(newlines=True)
            inner = self.statement()
            self.space(newlines=True)
            self.expect(")")
            return Paren(start, inner)
        if char == "'":
            return Const(start, self.single_quoted())
        if char == '"':
            return self.double_quoted()
        if char == "{":
            return self.script_block()
        match = _NUMBER.match(self.src, self.i)
        if match and (char.isdigit() or char == "."):
            end = match.end()
            if end < len(self.src) and (self.src[end].isalnum() or self.src[end] == "_"):
                raise self.refuse("a number followed by letters")
            self.i = end
            return Const(start, number_value(match.group(0)))
        raise self.refuse(f"unexpected {char!r}" if char else "unexpected end of the script")

    def hashtable(self) -> HashLit:
        start = self.i
        self.i += 2
        items: list[tuple[Any, Any]] = []
        while True:
            self.space(newlines=True)
            while self.peek() == ";":
                self.i += 1
                self.space(newlines=True)
            if self.peek() == "}":
                self.i += 1
                return HashLit(start, tuple(items))
            if self.peek() in "'\"":
                key: Any = self.primary()
            else:
                word = re.match(r"[A-Za-z_][\w\-.]*|\d+", self.src[self.i:])
                if word is None:
                    raise self.refuse("a hashtable key")
                self.i += word.end()
                key = Const(start, number_value(word.group(0)) if word.group(0).isdigit() else word.group(0))
            self.space()
            self.expect("=")
            self.space(newlines=True)
            items.append((key, self.statement()))
            self.space()
            if self.peek() not in (";", "\n", "}"):
                raise self.refuse("expected ';' or '}' in a hashtable")

    def single_quoted(self) -> str:
        self.i += 1
        out: list[str] = []
        while True:
            end = self.src.find("'", self.i)
            if end < 0:
                raise self.refuse("an unterminated string")
            out.append(self.src[self.i:end])
            self.i = end + 1
            if self.peek() == "'":
                out.append("'")
                self.i += 1
            else:
                return "".join(out)

    def double_quoted(self) -> Expandable:
        start = self.i
        self.i += 1
        parts: list[Any] = []
        text: list[str] = []
        while True:
            if self.i >= len(self.src):
                raise self.refuse("an unterminated string")
            char = self.src[self.i]
            if char == '"':
                if self.peek(1) == '"':
                    text.append('"')
                    self.i += 2
                    continue
                self.i += 1
                break
            if char == "`":
                following = self.peek(1)
                text.append(_ESCAPES.get(following, following))
                self.i += 2
            elif char == "$" and (self.peek(1) == "(" or re.match(r"[A-Za-z_]", self.peek(1))):
                if text:
                    parts.append("".join(text))
                    text = []
                if self.peek(1) == "(":
                    parts.append(self.primary())
                else:
                    match = re.match(r"\$([A-Za-z_]\w*)(:?)", self.src[self.i:])
                    assert match is not None
                    if match.group(2):
                        raise self.refuse("a scoped variable in a string")
                    self.i += match.end()
                    parts.append(Var(self.i, match.group(1).lower()))
            elif char == "$" and self.peek(1) == "{":
                raise self.refuse("${...} in a string")
            else:
                text.append(char)
                self.i += 1
        if text:
            parts.append("".join(text))
        return Expandable(start, tuple(parts))
