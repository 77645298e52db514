"""How a SQL step reaches its database, as the plan spells it out: the sqlplus command line
on the database host, or python-oracledb's endpoint. Pure text; nothing here opens a connection,
so the dry run, ``doctor`` and the sqlplus connector all print and run the same words.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from otcctl.model.inventory import Database

HEREDOC_TAG = "OTCCTL_SQL"


@dataclass(frozen=True)
class SqlplusCommand:
    """How sqlplus is started on the database host; printed verbatim by the dry run.

    ``become_user`` set means the SSH login user differs from the Oracle software owner, so
    the command goes through ``sudo -n -u USER -i``: ``-i`` loads that user's login profile
    (ORACLE_HOME, PATH), ``-n`` fails at once instead of waiting for a password prompt nobody
    can answer. The site then needs a sudoers rule such as ``otcops ALL=(oracle) NOPASSWD: ALL``;
    with ``-i`` sudo runs the target's login shell, so a rule narrowed to sqlplus needs the
    ``sudo`` template without ``-i`` and ``oracle_home`` set (the dry run shows the result).
    """

    become_user: str | None = None
    oracle_home: str | None = None
    oracle_sid: str | None = None
    logon: str = "/ as sysdba"
    nls_lang: str = "AMERICAN_AMERICA.AL32UTF8"
    sudo: str = "sudo -n -u {user} -i"

    @classmethod
    def for_database(cls, database: Database, login_user: str | None) -> SqlplusCommand:
        """The command shape the inventory implies for a login as ``login_user``."""
        owner = database.os_user
        become = owner if owner and owner != login_user else None
        if database.sudo:
            return cls(become_user=become, oracle_home=database.oracle_home, oracle_sid=database.oracle_sid,
                       sudo=database.sudo)
        return cls(become_user=become, oracle_home=database.oracle_home, oracle_sid=database.oracle_sid)

    def prefix(self) -> str:
        """The shell words before the here-document: sudo, environment, sqlplus and its logon."""
        words: list[str] = []
        if self.become_user:
            words.append(self.sudo.format(user=shlex.quote(self.become_user)))
        env = [f"NLS_LANG={self.nls_lang}"]
        if self.oracle_sid:
            env.insert(0, f"ORACLE_SID={self.oracle_sid}")
        if self.oracle_home:
            env.insert(0, f"ORACLE_HOME={self.oracle_home}")
        words.append("env " + " ".join(shlex.quote(e) for e in env))
        program = f"{self.oracle_home.rstrip('/')}/bin/sqlplus" if self.oracle_home else "sqlplus"
        words.append(f"{shlex.quote(program)} -S -L {shlex.quote(self.logon)}")
        return " ".join(words)

    def describe(self, host_id: str, login_user: str | None = None) -> str:
        """One line for the dry run and ``doctor``."""
        who = self.become_user or login_user or "the SSH login user"
        how = "OS authentication (no password)" if self.logon.startswith("/") else f"logon {self.logon}"
        return f"sqlplus on {host_id} as {who} with {how}: {self.prefix()} <<'{HEREDOC_TAG}' ... {HEREDOC_TAG}"


def describe_route(
    database: Database,
    *,
    host_id: str | None = None,
    host_address: str | None = None,
    login_user: str | None = None,
) -> str:
    """One line saying how otcctl will reach the database, for the dry run and ``doctor``."""
    host = host_id or database.primary_host
    if database.route == "sqlplus-ssh":
        return SqlplusCommand.for_database(database, login_user).describe(host, login_user)
    endpoint = f"{host_address or host}:{database.port}/{database.service_name}"
    user = database.db_user or "(no db_user set)"
    if database.route == "thin":
        return f"python-oracledb thin mode to {endpoint} as {user} (needs Oracle 12.1+)"
    client = database.instant_client_dir or "the system library path"
    return f"python-oracledb thick mode to {endpoint} as {user} with Oracle Client from {client}"
