"""The stand-in's SQL*Plus session: reads a script line by line and answers as SQL*Plus 10g would.

It keeps SQL*Plus's buffer rules (a statement ends at ``;``, at ``/`` on its own line, or is
dropped at a blank line unless SQLBLANKLINES is on), runs queries on the lab's SQLite copy of
OTCDB through :mod:`~otcctl_lab.oracle_standin.translate`, prints errors in SQL*Plus's shape
(``ERROR at line n:`` then ``ORA-nnnnn: ...``) and leaves with WHENEVER SQLERROR's exit code.

What the stand-in does not imitate ends the run on stderr with exit code :data:`REFUSED`,
so the caller sees a failure, never an answer SQL*Plus would not have given.
"""

from __future__ import annotations

import re
import sqlite3
import sys
from dataclasses import dataclass, field
from datetime import date
from typing import TextIO

from otcctl_lab.oracle_standin import commands
from otcctl_lab.oracle_standin.functions import Functions, OraError, unimplemented
from otcctl_lab.oracle_standin.render import NotEmulated, Settings, columns_for, render
from otcctl_lab.oracle_standin.sqltokens import words
from otcctl_lab.oracle_standin.translate import translate

REFUSED = 3
MAX_LINE = 2499
META_TABLE = "otcctl$standin"
_SQL_START = words(
    "select with insert update delete merge create alter drop grant revoke truncate comment rename lock commit "
    "rollback savepoint explain call audit noaudit analyze flashback purge"
)
_PLSQL_START = frozenset({"begin", "declare"})
_OTHER_COMMANDS = words(
    "column col spool define def undefine @ @@ start sta host ! connect conn disconnect disc describe desc show sho "
    "print ttitle btitle break compute clear accept pause get save edit list input append change del run store "
    "copy password recover startup shutdown archive attribute repheader repfooter help xquery timing"
)


class Stop(Exception):
    """Leave SQL*Plus with this exit code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Session:
    """One connected (or idle) SQL*Plus session on the stand-in database."""

    connection: sqlite3.Connection
    out: TextIO
    today: date
    schemas: frozenset[str]
    idle: bool = False
    mounted: bool = False  # a physical standby: MOUNTED, only fixed tables and views answer
    settings: Settings = field(default_factory=Settings)
    flags: commands.Flags = field(default_factory=commands.Flags)
    variables: dict[str, commands.Variable] = field(default_factory=dict)
    buffer: list[str] | None = None
    buffer_kind: str = "sql"
    last: tuple[str, list[str]] | None = None
    pending: str = ""

    def __post_init__(self) -> None:
        self.functions = Functions(self.today)
        self.functions.install(self.connection)
        self.declared = self._declared_types()

    def run(self, lines: list[str]) -> int:
        """Feed the whole script; the exit code SQL*Plus would end with."""
        try:
            for line in lines:
                self.feed(line)
        except Stop as stop:
            return stop.code
        except NotEmulated as exc:
            print(f"sqlplus stand-in (otcctl lab): {exc} is not emulated", file=sys.stderr)
            return REFUSED
        return 0

    def feed(self, line: str) -> None:
        """One input line."""
        if len(line) > MAX_LINE:
            self.print(f"SP2-0027: Input is too long (> {MAX_LINE} characters) - line ignored")
            return
        if self.flags.define and "&" in line:
            raise NotEmulated("substitution variables (&) with SET DEFINE ON")
        if self.buffer is not None:
            self._buffered(line)
            return
        continues = line.rstrip().endswith(" -")
        if self.pending or (continues and _first_word(line) not in _SQL_START | _PLSQL_START):
            joined = self.pending + line
            if continues:  # a SQL*Plus command goes on on the next line
                self.pending = joined.rstrip()[:-1]
                return
            self.pending, line = "", joined
        self._command(line)

    def print(self, *lines: str) -> None:
        """Write lines to the terminal (stdout)."""
        for line in lines:
            self.out.write(line + "\n")

    def _command(self, line: str) -> None:
        text = line.strip()
        if not text or text.startswith("--"):
            return
        if text == "/":
            if self.last is None:
                self.print("SP2-0103: Nothing in SQL buffer to run.")
            else:
                self._execute(*self.last)
            return
        first, _, rest = text.partition(" ")
        word = first.lower().rstrip(";")
        if word in _SQL_START or word in _PLSQL_START:
            self.buffer, self.buffer_kind = [], "plsql" if word in _PLSQL_START else "sql"
            self._buffered(line)
        elif _abbrev(word, "set", 3):
            self._set(rest)
        elif _abbrev(word, "variable", 3):
            self._report(commands.declare(rest, self.variables))
        elif _abbrev(word, "execute", 4):
            self._execute("exec", [rest])
        elif word == "whenever":
            commands.whenever(rest, self.flags)
        elif _abbrev(word, "prompt", 3):
            self.print(rest)
        elif word in ("exit", "quit"):
            raise Stop(commands.exit_code(rest.split()[0].rstrip(";")) if rest.strip() else 0)
        elif _abbrev(word, "remark", 3):
            return
        elif word in _OTHER_COMMANDS or word.startswith("@"):
            raise NotEmulated(f"the SQL*Plus command {first.upper()}")
        else:
            self.print(f'SP2-0734: unknown command beginning "{text[:10]}..." - rest of line ignored.')

    def _buffered(self, line: str) -> None:
        assert self.buffer is not None
        bare = line.strip()
        if bare == "/":
            self._finish(execute=True)
        elif bare == "." or (not bare and self.buffer_kind == "sql" and not self.flags.sqlblanklines):
            self._finish(execute=False)
        elif self.buffer_kind == "sql" and (end := self.flags.sqlterminator) and line.rstrip().endswith(end):
            self.buffer.append(line.rstrip()[: -len(end)])
            self._finish(execute=True)
        else:
            self.buffer.append(line)

    def _finish(self, execute: bool) -> None:
        assert self.buffer is not None
        self.last = (self.buffer_kind, self.buffer)
        self.buffer = None
        if execute:
            self._execute(*self.last)

    def _set(self, rest: str) -> None:
        try:
            commands.apply_set(rest, self.settings, self.flags)
        except commands.UnknownOption as exc:
            self.print(str(exc))

    def _report(self, message: str | None) -> None:
        if message:
            self.print(message)

    def _execute(self, kind: str, lines: list[str]) -> None:
        text = "\n".join(lines)
        try:
            if kind == "exec":
                self._report(commands.assign(text, self.variables))
                if self.settings.feedback:
                    self.print("", "PL/SQL procedure successfully completed.", "")
                return
            if kind == "plsql":
                raise unimplemented("PL/SQL blocks")
            self._statement(text)
        except OraError as exc:
            self._fail(exc, lines)

    def _statement(self, text: str) -> None:
        if self.idle:
            raise OraError("ORA-01034", "ORACLE not available")
        session = re.fullmatch(r"\s*alter\s+session\s+set\s+nls_date_format\s*=\s*'([^']*)'\s*", text, re.IGNORECASE)
        if session:
            commands.check_date_format(session.group(1))
            self.settings.date_format = self.functions.date_format = session.group(1)
            if self.settings.feedback:
                self.print("", "Session altered.", "")
            return
        query = translate(text, self.schemas, self._date_columns())
        if self.mounted and any(t in self.declared and not t.startswith(("v$", "gv$")) and t != "dual"
                                for t in query.tables):
            raise OraError("ORA-01219", "database not open: queries allowed on fixed tables/views only")
        missing = [b for b in query.binds if b not in self.variables]
        if missing:
            self.print(f'SP2-0552: Bind variable "{missing[0].upper()}" not declared.')
            return
        params = {b: self.variables[b].value for b in query.binds}
        self.functions.error = None
        try:
            cursor = self.connection.execute(query.sql, params)
            rows = [tuple(r) for r in cursor.fetchall()]
        except sqlite3.Error as exc:
            raise self._oracle_error(exc, text) from None
        names = [str(d[0]) for d in cursor.description or ()]
        tables = [t for t in query.tables if t in self.declared]
        if query.items is not None and len(query.items) == len(names):
            declared = [self._declared(item.source_column, tables) for item in query.items]
            names = [item.heading for item in query.items]
        else:  # "select *": SQLite's names are the table's column names
            declared = [self._declared(name.lower(), tables) for name in names]
            names = [name.upper() for name in names]
        columns = columns_for(names, rows, declared, self.settings)
        self.print(*render(columns, rows, self.settings))

    def _fail(self, exc: OraError, lines: list[str]) -> None:
        if exc.position is not None and 0 < exc.position[0] <= len(lines):
            row, col = exc.position
            self.print(lines[row - 1], " " * (col - 1) + "*", f"ERROR at line {row}:")
        else:
            self.print("ERROR:")
        self.print(exc.line(), "")
        if self.flags.on_sqlerror is not None:
            raise Stop(self.flags.on_sqlerror)

    def _oracle_error(self, exc: sqlite3.Error, text: str) -> OraError:
        if self.functions.error is not None:
            return self.functions.error
        message = str(exc)
        for pattern, code, template in (
            (r"no such table: (\S+)", "ORA-00942", "table or view does not exist"),
            (r"no such column: (\S+)", "ORA-00904", '"{name}": invalid identifier'),
            (r"ambiguous column name: (\S+)", "ORA-00918", "column ambiguously defined"),
            (r"wrong number of arguments to function (\w+)", "ORA-00909", "invalid number of arguments"),
            (r"misuse of aggregate", "ORA-00934", "group function is not allowed here"),
        ):
            match = re.search(pattern, message)
            if match:
                name = match.group(1) if match.groups() else ""
                return OraError(code, template.format(name=name.upper().strip('"')), position=_find(text, name))
        if "syntax error" in message or "incomplete input" in message:
            return OraError("ORA-00900", "invalid SQL statement", f"SQLite says: {message}")
        return unimplemented(f"this statement (SQLite says: {message})")

    def _declared_types(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for (table,) in self.connection.execute("select name from sqlite_master where type in ('table', 'view')"):
            info = self.connection.execute(f'pragma table_info("{table}")').fetchall()
            out[str(table).lower()] = {str(r[1]).lower(): str(r[2]).upper() for r in info}
        return out

    def _date_columns(self) -> frozenset[str]:
        return frozenset(c for cols in self.declared.values() for c, t in cols.items() if t.startswith("DATE"))

    def _declared(self, column: str | None, tables: list[str]) -> str | None:
        if column is None:
            return None
        found = {self.declared[t][column] for t in tables if column in self.declared[t]}
        return found.pop() if len(found) == 1 else None


def _first_word(line: str) -> str:
    words = line.split()
    return words[0].lower() if words else ""


def _abbrev(word: str, command: str, shortest: int) -> bool:
    return len(word) >= shortest and command.startswith(word)


def _find(text: str, name: str) -> tuple[int, int] | None:
    """Where a name the database complained about first appears (for the ``*`` marker)."""
    bare = name.strip('"').split(".")[-1]
    if not bare:
        return None
    for row, line in enumerate(text.split("\n"), start=1):
        match = re.search(re.escape(bare), line, re.IGNORECASE)
        if match:
            return (row, match.start() + 1)
    return None
