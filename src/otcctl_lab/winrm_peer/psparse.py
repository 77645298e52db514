"""Parse the PowerShell the emulation runs into a small tree, before anything runs (as PowerShell does).

The statement half: statements separated by new lines and ``;``; pipelines of commands
(arguments in PowerShell's argument mode: barewords, ``-Param[:value]``, quoted strings,
``$var.Member``, ``(...)``, ``{ script block }``, comma lists); assignments (``= += -= *= /= %=``),
``++``/``--``; ``if``/``elseif``/``else``, ``foreach``, ``break``, ``continue``, ``exit``. The
expressions are read by :mod:`psexpr`. Everything else (``while``, ``try``, functions,
redirection, ``&``, here-strings, ``-f``, ``-split``...) raises :class:`NotEmulated` with the
text, and nothing of the script runs.
"""

from __future__ import annotations

import re
from typing import Any

from otcctl_lab.winrm_peer.psast import (
    Assign,
    CmdArg,
    Command,
    Const,
    Exit,
    Foreach,
    If,
    IncDec,
    Jump,
    Pipeline,
)
from otcctl_lab.winrm_peer.psexpr import ExpressionParser, number_value

_UNSUPPORTED_KEYWORDS = {
    "for", "while", "do", "until", "switch", "function", "filter", "param", "begin", "process", "end", "trap", "try",
    "catch", "finally", "throw", "return", "data", "class", "enum", "using", "workflow", "configuration",
    "dynamicparam", "parallel", "sequence", "inlinescript",
}
_ARG_END = set(" \t\r\n;|(){},")
_NAME = re.compile(r"[A-Za-z_?%][\w\-.?%]*|[?%]")


def parse_script(source: str) -> tuple[Any, ...]:
    """The script's statements; :class:`NotEmulated` names the first construct that is not kept."""
    parser = _Parser(source)
    body = parser.statements(None)
    if parser.i < len(source):
        raise parser.refuse("unexpected text")
    return body


class _Parser(ExpressionParser):
    """Statements, pipelines and commands in argument mode, on top of the expression parser."""

    # -- statements ------------------------------------------------------------------------
    def statements(self, closer: str | None) -> tuple[Any, ...]:
        body: list[Any] = []
        while True:
            self.space(newlines=True)
            while self.peek() == ";":
                self.i += 1
                self.space(newlines=True)
            if self.i >= len(self.src) or (closer is not None and self.peek() == closer):
                return tuple(body)
            body.append(self.statement())
            self.space()
            if self.peek() not in ("", "\n", ";") and (closer is None or self.peek() != closer):
                raise self.refuse(f"unexpected {self.peek()!r}")

    def block(self) -> tuple[Any, ...]:
        self.space(newlines=True)
        self.expect("{")
        body = self.statements("}")
        self.expect("}")
        return body

    def statement(self) -> Any:
        start = self.i
        word = self.word_at().lower()
        after = self.src[self.i + len(word):self.i + len(word) + 1]
        if word and (after == "" or not (after.isalnum() or after in "-_")):
            if word == "if":
                return self.if_statement(start)
            if word == "foreach":
                return self.foreach_statement(start)
            if word == "exit":
                self.i += 4
                self.space()
                value = None if self.peek() in ("", "\n", ";", "}") else self.expression()
                return Exit(start, value, self.i)
            if word in ("break", "continue"):
                self.i += len(word)
                self.space()
                if self.peek() not in ("", "\n", ";", "}"):
                    raise self.refuse(f"{word} with a label")
                return Jump(start, word, self.i)
            if word in _UNSUPPORTED_KEYWORDS or word in ("else", "elseif", "in"):
                raise self.refuse(f"the keyword {word}")
        if self.startswith("++") or self.startswith("--"):
            op = self.src[self.i:self.i + 2]
            self.i += 2
            target = self.postfix(self.primary())
            return IncDec(start, target, op, self.i)
        if self.peek() == "$":
            target = self.postfix(self.primary())
            self.space()
            match = re.match(r"(\+\+|--|[-+*/%]?=)(?!=)", self.src[self.i:])
            if match:
                op = match.group(1)
                self.i += len(op)
                if op in ("++", "--"):
                    return IncDec(start, target, op, self.i)
                self.space(newlines=True)
                value = self.statement()
                return Assign(start, target, op, value, self.i)
            self.i = start
        return self.pipeline()

    def if_statement(self, start: int) -> If:
        clauses: list[tuple[Any, tuple[Any, ...]]] = []
        otherwise = None
        self.i += 2
        while True:
            self.space()
            self.expect("(")
            self.space(newlines=True)
            condition = self.statement()
            self.space(newlines=True)
            self.expect(")")
            clauses.append((condition, self.block()))
            mark = self.i
            self.space(newlines=True)
            word = self.word_at().lower()
            if word == "elseif":
                self.i += 6
                continue
            if word == "else":
                self.i += 4
                otherwise = self.block()
            else:
                self.i = mark
            return If(start, tuple(clauses), otherwise, self.i)

    def foreach_statement(self, start: int) -> Foreach:
        self.i += 7
        self.space()
        self.expect("(")
        self.space()
        self.expect("$")
        name = self.word_at()
        if not name:
            raise self.refuse("a foreach variable")
        self.i += len(name)
        self.space()
        if self.word_at().lower() != "in":
            raise self.refuse("expected 'in'")
        self.i += 2
        self.space(newlines=True)
        iterable = self.statement()
        self.space(newlines=True)
        self.expect(")")
        return Foreach(start, name.lower(), iterable, self.block(), self.i)

    def pipeline(self) -> Pipeline:
        start = self.i
        elements: list[Any] = []
        while True:
            self.space()
            if elements:
                if not _NAME.match(self.src, self.i):
                    raise self.refuse("only commands can follow '|'")
                elements.append(self.command())
            elif _NAME.match(self.src, self.i) and not self.peek().isdigit():
                elements.append(self.command())
            elif self.peek() in ("&", "."):
                raise self.refuse("the call and dot-source operators")
            else:
                elements.append(self.expression())
            self.space()
            if self.peek() == "|" and self.peek(1) != "|":
                self.i += 1
                self.space(newlines=True)
                continue
            if self.peek() in (">", "2") and re.match(r"\d?>", self.src[self.i:]):
                raise self.refuse("redirection")
            return Pipeline(start, tuple(elements), self.i)

    # -- commands (argument mode) ------------------------------------------------------------
    def command(self) -> Command:
        start = self.i
        match = _NAME.match(self.src, self.i)
        assert match is not None
        name = match.group(0)
        self.i = match.end()
        args: list[CmdArg] = []
        while True:
            self.space()
            char = self.peek()
            if char in ("", "\n", ";", "|", ")", "}"):
                return Command(start, name, tuple(args), self.i)
            arg_start = self.i
            if char == "-" and (self.peek(1).isalpha() or self.peek(1) == "_"):
                param = re.match(r"-([A-Za-z_][\w]*)(:?)", self.src[self.i:])
                assert param is not None
                self.i += param.end()
                value = self.argument_list() if param.group(2) else None
                args.append(CmdArg(param.group(1).lower(), value, self.src[arg_start:self.i]))
            elif char == "-" and self.peek(1) == "-":
                raise self.refuse("'--' in arguments")
            else:
                value = self.argument_list()
                args.append(CmdArg(None, value, self.src[arg_start:self.i]))

    def argument_list(self) -> Any:
        return self.comma_list(self.argument)

    def argument(self) -> Any:
        char = self.peek()
        start = self.i
        if char == "$" or char == "(" or (char == "@" and self.peek(1) in "({"):
            value = self.postfix(self.primary())
        elif char in "'\"":
            value = self.primary()
        elif char == "{":
            value = self.script_block()
        else:
            while self.i < len(self.src) and self.src[self.i] not in _ARG_END:
                if self.src[self.i] in "$`'\"@[<>&":
                    raise self.refuse(f"the argument {self.src[start:self.i + 1]}...")
                self.i += 1
            text = self.src[start:self.i]
            if not text:
                raise self.refuse("an empty argument")
            number = number_value(text.removeprefix("-")) if (text.lstrip("-")[:1].isdigit()) else None
            if number is not None and text.startswith("-"):
                number = -number
            return Const(start, number if number is not None else text)
        if self.i < len(self.src) and self.src[self.i] not in _ARG_END:
            raise self.refuse("an argument that continues after its value")
        return value
