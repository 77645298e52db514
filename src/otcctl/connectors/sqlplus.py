"""The sqlplus route: SQL*Plus on the database host, OS authentication, over an open SSH session.

This is the route that works on OTCDB's Oracle 10g: python-oracledb thin mode needs 12.1+, and
``sqlplus -S -L '/ as sysdba'`` run as the Oracle software owner needs no password at all. The
whole script travels inside the command as a quoted here-document (``CommandRunner.run`` takes
a command string, nothing on stdin), so the dry run can print exactly what is sent.

Values never become SQL text: each bind is a SQL*Plus ``VARIABLE`` assigned by ``exec``, so the
query sees a real bind variable. The output settings are the ones SQL*Plus 10g has (no
``set markup csv``, which is 12.2+); :mod:`otcctl.connectors.sqlplus_output` reads them back.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

from otcctl.connectors.base import CommandOutput, CommandRunner, SqlFailed, SqlResult
from otcctl.connectors.sqlplus_output import (
    BEGIN_MARK,
    COLSEP,
    END_MARK,
    SqlplusOutputUnreadable,
    error_lines,
    parse_rows,
)
from otcctl.model.inventory import Database
from otcctl.plan.sql_route import HEREDOC_TAG, SqlplusCommand

NOT_OPEN = "ORA-01219"  # database not open: queries allowed on fixed tables/views only (a mounted standby)
MAX_LINE = 2499  # SQL*Plus 10g rejects longer input lines (SP2-0027)
MAX_BIND_LENGTH = 4000  # VARIABLE ... VARCHAR2(4000) is the 10g maximum
DATE_FORMAT = "YYYY-MM-DD HH24:MI:SS"
_BIND_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,29}$")

# Every setting exists in SQL*Plus 10g. pagesize 0 would suppress the headings we need, so a
# large page with NEWPAGE NONE gives one heading block and no blank line before it; FEEDBACK ON
# prints "n rows selected." which tells the reader exactly how many lines are rows.
SETTINGS = (
    "set define off",
    "set sqlblanklines on",
    "set echo off",
    "set verify off",
    "set termout on",
    "set tab off",
    "set wrap on",
    "set recsep off",
    "set feedback off",
    "set pagesize 50000",
    "set newpage none",
    "set heading on",
    "set underline on",
    f"set colsep '{COLSEP}'",
    "set linesize 32767",
    "set trimout on",
    "set trimspool on",
    "set numwidth 40",
    "set long 32767",
    "set longchunksize 32767",
    "whenever sqlerror exit failure",
    "whenever oserror exit failure",
)


def sqlplus_script(sql: str, binds: dict[str, str]) -> str:
    """The SQL*Plus script for one query: settings, bind variables, markers around the rows.

    Raises SqlFailed when the query or a value cannot be carried safely (a line SQL*Plus would
    read as its own command, a line too long for 10g, a bind name that is no identifier).
    """
    statement = _statement_lines(sql)
    lines = list(SETTINGS)
    for name, value in binds.items():
        if not _BIND_NAME.match(name):
            raise SqlFailed(f"bind name {name!r} is not a SQL*Plus variable name (letters, digits, _; 30 at most)")
        if len(value) > MAX_BIND_LENGTH:
            raise SqlFailed(f"bind {name} is {len(value)} characters long; the sqlplus route takes {MAX_BIND_LENGTH}")
        lines.append(f"variable {name} varchar2({MAX_BIND_LENGTH})")
        lines.extend(_assignment(name, value))
    lines += [
        f"alter session set nls_date_format = '{DATE_FORMAT}'",
        "/",
        "set feedback on",
        f"prompt {BEGIN_MARK}",
        *statement,
        "/",
        "set feedback off",
        f"prompt {END_MARK}",
        "exit success",
    ]
    return "\n".join(lines) + "\n"


def sqlplus_command(shape: SqlplusCommand, sql: str, binds: dict[str, str]) -> str:
    """The complete shell command: ``PREFIX <<'OTCCTL_SQL'``, the script, the closing tag."""
    script = sqlplus_script(sql, binds)
    tag = HEREDOC_TAG
    taken = set(script.splitlines())
    counter = 0
    while tag in taken:  # a value line equal to the tag would end the here-document early
        counter += 1
        tag = f"{HEREDOC_TAG}_{counter}"
    return f"{shape.prefix()} <<'{tag}'\n{script}{tag}"


class SqlplusRunner:
    """Runs queries through sqlplus on the database host; implements ``SqlRunner``.

    The CommandRunner is given in and stays the caller's: :meth:`close` leaves it open.
    """

    def __init__(
        self,
        database: Database,
        runner: CommandRunner,
        *,
        host_id: str | None = None,
        login_user: str | None = None,
        command: SqlplusCommand | None = None,
        name: str | None = None,
    ) -> None:
        self.database = database
        self.runner = runner
        self.host_id = host_id or database.primary_host
        self.command = command or SqlplusCommand.for_database(database, login_user)
        self.os_user = self.command.become_user or login_user or "the SSH login user"
        self.login_user = login_user or "the SSH login user"
        self.name = name or database.service_name

    def command_for(self, sql: str, binds: dict[str, str]) -> str:
        """The exact command :meth:`query` would send (the dry run shows this)."""
        return sqlplus_command(self.command, sql, binds)

    def query(
        self,
        sql: str,
        binds: dict[str, str],
        timeout: float,
        max_rows: int,
        *,
        cancel: threading.Event | None = None,
        on_sent: Callable[[], None] | None = None,
    ) -> SqlResult:
        """Run one query; rows beyond ``max_rows`` are dropped; every failure is SqlFailed."""
        command = self.command_for(sql, binds)
        started = time.monotonic()
        output = self.runner.run(command, timeout, cancel=cancel, on_sent=on_sent)
        duration = time.monotonic() - started
        self._check(output, timeout)
        try:
            columns, rows = parse_rows(output.stdout)
        except SqlplusOutputUnreadable as exc:
            errors = error_lines(output.stdout, skip_rows=False)  # e.g. SP2-0552 where the rows would be
            raise SqlFailed(f"{self._where()}: {'; '.join(errors) if errors else exc}") from None
        return SqlResult(columns=columns, rows=tuple(rows[:max_rows]), duration=duration)

    def close(self) -> None:
        """Nothing to release: the SSH session belongs to whoever opened it."""

    def _where(self) -> str:
        return f"database {self.name} on {self.host_id} (sqlplus as {self.os_user})"

    def _check(self, output: CommandOutput, timeout: float) -> None:
        """Turn a failed or unusable run into one paragraph naming the cause and what to do."""
        where = self._where()
        if output.cancelled:
            stopped = "stopped on the host" if output.kill_delivered else "NOT confirmed stopped on the host"
            raise SqlFailed(f"{where}: interrupted by the operator; the query was {stopped}")
        if output.lost:
            raise SqlFailed(f"{where}: the connection was lost before sqlplus finished; no result to judge")
        if output.timed_out:
            raise SqlFailed(f"{where}: no result within {timeout:g} s; the query was stopped on the host")
        if output.truncated:
            raise SqlFailed(
                f"{where}: the result is larger than otcctl keeps (64 KiB of output); "
                "select fewer rows or columns (max_rows cannot shorten what sqlplus prints)"
            )
        errors = error_lines(output.stdout + "\n" + output.stderr)
        if errors:  # a database that is only mounted stays so until a DBA opens it: retrying cannot help
            raise SqlFailed(f"{where}: {'; '.join(errors)}", final=any(NOT_OPEN in e for e in errors))
        stderr = " ".join(output.stderr.split())
        refused = sudo_refusal(stderr, login=self.login_user, target=self.command.become_user, host=self.host_id)
        if self.command.become_user and refused:
            raise SqlFailed(f"{where}: {refused}", final=True)
        if self.command.become_user and re.search(r"(^|\s)sudo:", stderr):
            raise SqlFailed(
                f"{where}: sudo failed ({stderr[:200]}); the SSH user needs sudo and a NOPASSWD sudoers rule "
                f"to run commands as {self.command.become_user}"
            )
        if output.exit_code == 127 or re.search(r"sqlplus: (command )?not found", stderr):
            raise SqlFailed(
                f"{where}: sqlplus was not found; set oracle_home for the database in the inventory, "
                "or put $ORACLE_HOME/bin on the Oracle owner's PATH"
            )
        if output.exit_code != 0:
            detail = stderr[:300] or " ".join(output.stdout.split())[-300:] or "no output"
            raise SqlFailed(f"{where}: sqlplus ended with exit code {output.exit_code}: {detail}")


def sudo_refusal(stderr: str, *, login: str, target: str | None, host: str) -> str | None:
    """What the site must change when sudo refused to run sqlplus, from sudo's own message; or None."""
    if "must have a tty to run sudo" in stderr:
        return (f"sudo on {host} requires a terminal (requiretty in /etc/sudoers, Red Hat 5/6's default) and otcctl "
                f"runs commands without one. The site must add, with visudo on {host}, the line "
                f"'Defaults:{login} !requiretty' (it lifts the rule for {login} only)")
    if re.search(r"illegal option.{0,3}-n|invalid option -- '?n", stderr):
        return (f"sudo on {host} is older than 1.7 and has no -n option. Either upgrade sudo, or set "
                "'sudo: sudo -u {user} -i' under the database in the inventory (keep the NOPASSWD rule, so "
                "sudo never prompts)")
    if "is not allowed to execute" in stderr:
        return (f"{login} may not run commands as {target} on {host}. The site must add, with visudo on {host}, "
                f"'{login} ALL=({target}) NOPASSWD: ALL' (or a rule narrowed to sqlplus, see docs/assumptions.md)")
    if "a password is required" in stderr or "no tty present and no askpass" in stderr:
        return (f"sudo on {host} asks {login} for a password, which nobody can type in an unattended run. "
                f"The sudoers rule for {login} must say NOPASSWD: '{login} ALL=({target}) NOPASSWD: ALL'")
    return None


def _statement_lines(sql: str) -> list[str]:
    """The query as buffer lines; refuses lines SQL*Plus would not pass to the database as SQL."""
    text = sql.strip()
    if text.endswith(";"):
        text = text[:-1].rstrip()
    if not text:
        raise SqlFailed("the query is empty")
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        bare = line.strip()
        if bare in ("/", ".") or bare.startswith("#") or bare.endswith(";"):
            raise SqlFailed(
                f"line {number} of the query ({bare!r}) would be read by SQL*Plus as a command or an end "
                "of statement; rewrite it (one statement, no line ending in ';', none starting with '#')"
            )
        if len(line) > MAX_LINE:
            raise SqlFailed(f"line {number} of the query is longer than SQL*Plus 10g reads ({MAX_LINE}); break it")
    return lines


def _assignment(name: str, value: str) -> list[str]:
    """``exec :name := '...'``; quotes doubled, line breaks as chr(10), long values over lines."""
    pieces: list[str] = []
    for index, part in enumerate(re.split(r"(\r\n|\r|\n)", value)):
        if index % 2:
            pieces.append("chr(13)||chr(10)" if part == "\r\n" else f"chr({ord(part)})")
        elif part or not pieces:
            pieces.extend("'" + part[i : i + 500].replace("'", "''") + "'" for i in range(0, max(len(part), 1), 500))
    # A trailing hyphen continues a SQL*Plus command on the next line, so a long value stays
    # within the 10g line limit without ever cutting through a quoted literal.
    lines = [f"exec :{name} := {pieces[0]}"]
    for piece in pieces[1:]:
        lines[-1] += " || -"
        lines.append(f"  {piece}")
    return lines
