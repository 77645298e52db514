"""The stand-in's command line: ``sqlplus -S -L '/ as sysdba'`` and little else.

Logging on follows what SQL*Plus does with OS authentication: ``ORACLE_SID`` must be set
(ORA-12162 otherwise), and a SID other than the lab's instance reaches an idle instance
(every statement then fails with ORA-01034). Output is UTF-8 only when ``NLS_LANG`` names a
UTF-8 character set; otherwise non-ASCII text prints as ``?``, as a 10g client does.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import traceback
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TextIO

from otcctl_lab.oracle_standin.database import SESSION_SERVICE_TABLE
from otcctl_lab.oracle_standin.session import META_TABLE, REFUSED, Session

VERSION = "SQL*Plus: Release 10.2.0.5.0 - Production"


def main(argv: list[str], db_path: Path | str, *, stdin: TextIO | None = None, stdout: TextIO | None = None,
         environ: Mapping[str, str] | None = None, service_state_dir: Path | str | None = None,
         faults_file: Path | str | None = None) -> int:
    """Run like sqlplus: arguments, then the script on stdin; returns the exit code.

    With ``service_state_dir`` (the lab's ``DIR/state``), an application session in
    ``v$session`` is shown only while its lab service runs on a powered-on host.
    """
    env = os.environ if environ is None else environ
    out = stdout or sys.stdout
    flags = {a.upper() for a in argv if a.startswith("-")}
    logon = " ".join(a for a in argv if not a.startswith("-")).strip()
    if "-V" in flags:
        out.write(VERSION + "\n\n")
        return 0
    unknown = flags - {"-S", "-L", "-SILENT"}
    if unknown or ("-S" not in flags and "-SILENT" not in flags):
        return _refuse(f"options {' '.join(sorted(unknown)) or '(without -S)'}")
    if logon.lower() == "/nolog":
        return _refuse("/nolog (CONNECT is not emulated either)")
    if " ".join(logon.lower().split()) != "/ as sysdba":
        return _refuse_logon(out, logon)
    source = stdin or sys.stdin
    lines = source.read().splitlines()
    connection = _open(Path(db_path))
    try:
        meta = dict(connection.execute(f'select key, value from "{META_TABLE}"').fetchall())
        sid = env.get("ORACLE_SID")
        if not sid:
            out.write("ERROR:\nORA-12162: TNS:net service name is incorrectly specified\n\n\n")
            out.write("SP2-0751: Unable to connect to Oracle.  Exiting SQL*Plus\n")
            return 1
        session = Session(
            connection=connection,
            out=out,
            today=date.fromisoformat(meta["lab_date"]),
            schemas=frozenset(meta["schemas"].split(",")),
            idle=sid != meta["instance_name"],
            mounted=_standby_mounted(faults_file),
        )
        if session.mounted:
            _mount_as_physical_standby(connection)
        if service_state_dir is not None or session.mounted:
            _hide_absent_sessions(connection, None if service_state_dir is None else Path(service_state_dir),
                                  mounted=session.mounted)
        charset = env.get("NLS_LANG", "").rpartition(".")[2].upper()
        session.settings.ascii_only = charset not in ("AL32UTF8", "UTF8")
        return session.run(lines)
    except Exception:  # a bug of the stand-in: say so, never pass for an Oracle answer
        traceback.print_exc()
        print("sqlplus stand-in (otcctl lab): internal error (above)", file=sys.stderr)
        return REFUSED
    finally:
        connection.close()


def _open(db_path: Path) -> sqlite3.Connection:
    """Read-only: the stand-in answers queries, it never changes the lab's data."""
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    connection.execute("pragma case_sensitive_like = on")  # Oracle's LIKE is case-sensitive
    return connection


def _hide_absent_sessions(connection: sqlite3.Connection, state_dir: Path | None, *, mounted: bool) -> None:
    """A temporary view over ``v$session`` without the sessions of stopped services or hosts.

    A MOUNTED database admits no application session at all (only SYSDBA), whatever runs.
    """
    from otcctl_lab.layout import POWER_OFF, RUNNING, read_state

    hidden = [
        int(sid)
        for sid, host, service in connection.execute(f'select sid, host, service from "{SESSION_SERVICE_TABLE}"')
        if mounted or state_dir is None
        or read_state(state_dir / host / ".power", "on") == POWER_OFF
        or read_state(state_dir / host / service, RUNNING) != RUNNING
    ]
    listed = ", ".join(str(sid) for sid in hidden) or "-1"
    connection.execute(f'create temp view "v$session" as select * from main."v$session" where sid not in ({listed})')


def _standby_mounted(faults_file: Path | str | None) -> bool:
    """``otcctl lab fault M2 standby-mounted`` makes this host's database a MOUNTED physical standby."""
    if faults_file is None:
        return False
    try:
        faults = json.loads(Path(faults_file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(faults, dict) and "standby-mounted" in faults


def _mount_as_physical_standby(connection: sqlite3.Connection) -> None:
    """``v$database`` and ``v$instance`` as a physical standby in managed recovery shows them."""
    connection.execute('create temp view "v$database" as select dbid, name, created, log_mode, '
                       "'MOUNTED' as open_mode, 'PHYSICAL STANDBY' as database_role, platform_name "
                       'from main."v$database"')
    connection.execute('create temp view "v$instance" as select instance_number, instance_name, host_name, '
                       "version, startup_time, 'MOUNTED' as status, archiver, logins, 'ACTIVE' as database_status, "
                       'instance_role from main."v$instance"')


def _refuse(what: str) -> int:
    print(f"sqlplus stand-in (otcctl lab): {what} is not emulated", file=sys.stderr)
    return REFUSED


def _refuse_logon(out: TextIO, logon: str) -> int:
    if not logon:
        return _refuse("prompting for a user name (no logon given)")
    out.write("ERROR:\nORA-01017: invalid username/password; logon denied\n\n\n")
    out.write("SP2-0751: Unable to connect to Oracle.  Exiting SQL*Plus\n")
    return 1
