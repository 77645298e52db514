"""Run a parsed PowerShell script: statements, pipelines, expressions, assignments and control flow.

Output of each top-level statement is printed through :mod:`psformat` when the statement ends
(or the script exits); error records go to the session. A statement-terminating error (null
method call, a .NET exception) stops that statement only, unless ``$ErrorActionPreference`` is
``Stop``. ``exit N`` ends the script with N; otherwise the exit code is 1 when the last
statement wrote an error, as ``powershell -Command`` reports it.
"""

from __future__ import annotations

from typing import Any

from otcctl_lab.winrm_peer import cmdlets
from otcctl_lab.winrm_peer.psast import (
    ArrayLit,
    Assign,
    Binary,
    BlockLit,
    Call,
    Cast,
    Command,
    Const,
    Exit,
    Expandable,
    Foreach,
    HashLit,
    If,
    IncDec,
    Index,
    Jump,
    Member,
    Paren,
    Pipeline,
    SubExpr,
    TypeRef,
    Unary,
    Var,
)
from otcctl_lab.winrm_peer.psformat import format_values
from otcctl_lab.winrm_peer.psmembers import (
    call_method,
    call_static,
    cast,
    get_property,
    static_property,
    type_literal,
)
from otcctl_lab.winrm_peer.psops import arithmetic, compare
from otcctl_lab.winrm_peer.pssession import Session
from otcctl_lab.winrm_peer.psvalues import (
    FileObject,
    NotEmulated,
    PSHashtable,
    PSRuntimeError,
    ScriptBlock,
    TypeName,
    enumerate_value,
    to_int,
    to_number,
    to_string,
    truthy,
    unwrap,
)

MAX_RANGE = 100_000


class ExitScript(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class _LoopJump(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class Interpreter:
    """Evaluates one script's statements against a :class:`Session`."""

    def __init__(self, session: Session) -> None:
        self.session = session
        session.run_block = self.run_block

    def run(self, body: tuple[Any, ...]) -> int:
        """The script's exit code (``exit N``, or 1 when the last statement wrote an error)."""
        ok = True
        for statement in body:
            before = len(self.session.errors)
            out: list[Any] = []
            self.session.flush = lambda out=out: self._print(out)  # type: ignore[misc]
            try:
                self.execute_body((statement,), out)
            except ExitScript as exc:
                return exc.code
            except _LoopJump as exc:
                raise NotEmulated(f"{exc.kind} outside a loop") from None
            finally:
                self._print(out)
            ok = len(self.session.errors) == before
        return 0 if ok else 1

    def _print(self, out: list[Any]) -> None:
        if out:
            text = format_values(out)
            out.clear()
            self.session.inv.cmd.out(text)

    def run_block(self, block: ScriptBlock, item: Any) -> list[Any]:
        """A script block called by a cmdlet with ``$_`` set to ``item`` (in the caller's scope)."""
        variables = self.session.variables
        saved = variables.get("_")
        variables["_"] = item
        out: list[Any] = []
        try:
            self.execute_body(block.body, out)
        except _LoopJump as exc:
            raise NotEmulated(f"{exc.kind} inside a script block") from None
        finally:
            variables["_"] = saved
        return out

    # -- statements ------------------------------------------------------------------------
    def execute_body(self, body: tuple[Any, ...], out: list[Any]) -> None:
        for statement in body:
            try:
                self.execute(statement, out)
            except PSRuntimeError as exc:
                self.session.runtime_error(exc)

    def execute(self, statement: Any, out: list[Any]) -> None:
        self.session.position = (statement.pos, getattr(statement, "end", statement.pos + 1))
        if isinstance(statement, Pipeline):
            out.extend(self.pipeline(statement))
        elif isinstance(statement, Assign):
            self.assign(statement)
        elif isinstance(statement, IncDec):
            current = self.eval(statement.target)
            self.store(statement.target, arithmetic("+" if statement.op == "++" else "-", current or 0, 1))
        elif isinstance(statement, If):
            for condition, body in statement.clauses:
                if truthy(self.value_of(condition)):
                    self.execute_body(body, out)
                    return
            if statement.otherwise is not None:
                self.execute_body(statement.otherwise, out)
        elif isinstance(statement, Foreach):
            self.foreach(statement, out)
        elif isinstance(statement, Exit):
            code = 0 if statement.value is None else to_int(self.eval(statement.value))
            raise ExitScript(code)
        elif isinstance(statement, Jump):
            raise _LoopJump(statement.kind)
        else:
            raise NotEmulated(f"the statement {type(statement).__name__}")

    def foreach(self, statement: Foreach, out: list[Any]) -> None:
        items = self.value_of(statement.iterable)
        for item in [] if items is None else enumerate_value(items):
            self.session.variables[statement.var] = item
            try:
                self.execute_body(statement.body, out)
            except _LoopJump as exc:
                if exc.kind == "break":
                    break

    def value_of(self, statement: Any) -> Any:
        """A statement used as a value (an assignment's right side, a condition, ``( ... )``)."""
        if isinstance(statement, Pipeline) and len(statement.elements) == 1 and \
                not isinstance(statement.elements[0], Command):
            self.session.position = (statement.pos, statement.end)
            return self.eval(statement.elements[0])
        if isinstance(statement, Assign):
            self.execute(statement, [])
            return self.eval(statement.target)
        out: list[Any] = []
        self.execute(statement, out)
        return unwrap(out)

    def pipeline(self, pipeline: Pipeline) -> list[Any]:
        values: list[Any] | None = None
        for element in pipeline.elements:
            if isinstance(element, Command):
                values = self.command(element, values)
            else:
                values = enumerate_value(self.eval(element))
        return values or []

    def command(self, command: Command, piped: list[Any] | None) -> list[Any]:
        args: list[tuple[str | None, Any, bool]] = []
        for arg in command.args:
            value = None if arg.value is None else self.eval(arg.value)
            args.append((arg.name, value, arg.value is not None))
        self.session.position = (command.pos, command.end)
        text = self.session.source[command.pos:command.end].strip()
        return cmdlets.invoke(command.name, args, piped, self.session, text)

    def assign(self, statement: Assign) -> None:
        value = self.value_of(statement.value)
        if statement.op != "=":
            value = arithmetic(statement.op[0], self.eval(statement.target), value)
        self.store(statement.target, value)

    def store(self, target: Any, value: Any) -> None:
        if isinstance(target, Var):
            self.session.set_variable(target.name, value)
            return
        if isinstance(target, Index | Member) and not getattr(target, "static", False):
            container = self.eval(target.target)
            key = self.eval(target.index) if isinstance(target, Index) else target.name
            if isinstance(container, PSHashtable):
                container.set(key, value)
                return
            if isinstance(container, list) and isinstance(target, Index):
                index = to_int(key)
                if not -len(container) <= index < len(container):
                    raise PSRuntimeError("索引超出了数组界限。", error_id="IndexOutOfRange")
                container[index] = value
                return
            if container is None:
                raise PSRuntimeError("无法索引到空数组。", error_id="NullArray")
        raise NotEmulated("this assignment target")

    # -- expressions -------------------------------------------------------------------------
    def eval(self, node: Any) -> Any:
        if isinstance(node, Const):
            return node.value
        if isinstance(node, Var):
            return self.session.variable("_" if node.name == "psitem" else node.name)
        if isinstance(node, Expandable):
            return "".join(part if isinstance(part, str) else to_string(self.eval(part)) for part in node.parts)
        if isinstance(node, SubExpr):
            out: list[Any] = []
            self.execute_body(node.body, out)
            return list(out) if node.array else unwrap(out)
        if isinstance(node, Paren):
            return self.value_of(node.statement)
        if isinstance(node, HashLit):
            table = PSHashtable()
            for key, value in node.items:
                table.set(self.eval(key), self.value_of(value))
            return table
        if isinstance(node, ArrayLit):
            return [self.eval(item) for item in node.items]
        if isinstance(node, Unary):
            value = self.eval(node.operand)
            if node.op == "not":
                return not truthy(value)
            number = to_number(value)
            return -number if node.op == "neg" else number
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, Member):
            target = self.eval(node.target)
            if node.static:
                return static_property(self._type(target), node.name)
            return get_property(target, node.name)
        if isinstance(node, Call):
            target = self.eval(node.target)
            args = [self.eval(a) for a in node.args]
            if node.static:
                return call_static(self._type(target), node.name, args)
            return call_method(target, node.name, args, self._refresh)
        if isinstance(node, Index):
            return self.index(self.eval(node.target), self.eval(node.index))
        if isinstance(node, TypeRef):
            return type_literal(node.name)
        if isinstance(node, Cast):
            return cast(type_literal(node.type_name), self.eval(node.operand))
        if isinstance(node, BlockLit):
            return ScriptBlock(node.body, node.text)
        raise NotEmulated(f"the expression {type(node).__name__}")

    @staticmethod
    def _type(value: Any) -> TypeName:
        if not isinstance(value, TypeName):
            raise NotEmulated("static members of a value that is not a [type]")
        return value

    def _refresh(self, file: FileObject) -> None:
        drives = self.session.inv.machine.drives
        real = drives.resolve(file.entry.path)
        if real is None:
            raise NotEmulated(f"Refresh() of a file that was deleted ({file.entry.path})")
        file.entry = drives.entry(real)

    def binary(self, node: Binary) -> Any:
        op = node.op
        left = self.eval(node.left)
        if op in ("and", "or"):
            if truthy(left) == (op == "or"):
                return op == "or"
            return truthy(self.eval(node.right))
        right = self.eval(node.right)
        if op == "xor":
            return truthy(left) != truthy(right)
        if op in ("+", "-", "*", "/", "%"):
            return arithmetic(op, left, right)
        if op == "join":
            return to_string(right).join(to_string(item) for item in enumerate_value(left))
        if op == "..":
            first, last = to_int(left), to_int(right)
            if abs(last - first) > MAX_RANGE:
                raise NotEmulated(f"a range of {abs(last - first) + 1} numbers")
            step = 1 if last >= first else -1
            return list(range(first, last + step, step))
        matches: dict[str, Any] = {}
        result = compare(left, op, right, matches)
        if matches:
            table = PSHashtable()
            for key, value in matches.items():
                table.set(int(key) if key.isdigit() else key, value)
            self.session.variables["matches"] = table
        return result

    @staticmethod
    def index(target: Any, index: Any) -> Any:
        if target is None:
            raise PSRuntimeError("无法索引到空数组。", error_id="NullArray")
        if isinstance(target, PSHashtable):
            if isinstance(index, list):
                raise NotEmulated("indexing a hashtable with an array")
            return target.get(index)
        if isinstance(target, list | str):
            if isinstance(index, list):
                return [Interpreter.index(target, i) for i in index]
            position = to_int(index)
            if not -len(target) <= position < len(target):
                return None
            return target[position]
        raise NotEmulated(f"indexing a {type(target).__name__}")
