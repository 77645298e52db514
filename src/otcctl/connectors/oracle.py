"""Oracle access: one place that picks the route the inventory names and says what it will do.

Three routes reach OTCDB (see docs and ``Database.route``):

* ``sqlplus-ssh`` - :class:`SqlplusRunner`: sqlplus on the database host over the host's SSH
  session, OS authentication, no password. The only route that works on Oracle 10g without
  installing anything, hence the inventory's default.
* ``thin`` - :class:`OracledbRunner` in thin mode: pure Python, Oracle 12.1 or later only.
* ``thick`` - :class:`OracledbRunner` in thick mode: needs the site's Oracle Instant Client
  (an 11.2 client still reaches 10g).

:func:`describe_route` is what the dry run and ``doctor`` print; it opens nothing.
"""

from __future__ import annotations

from otcctl.connectors.base import CommandRunner, SqlRunner
from otcctl.connectors.oracle_thin import OracledbRunner
from otcctl.connectors.sqlplus import SqlplusCommand, SqlplusRunner, sqlplus_command, sqlplus_script
from otcctl.inventory import Database
from otcctl.secrets import Secret

__all__ = [
    "OracledbRunner",
    "SqlplusCommand",
    "SqlplusRunner",
    "describe_route",
    "make_sql_runner",
    "sqlplus_command",
    "sqlplus_script",
]


def make_sql_runner(
    database: Database,
    *,
    host_id: str | None = None,
    host_address: str | None = None,
    login_user: str | None = None,
    command_runner: CommandRunner | None = None,
    password: Secret | None = None,
    sqlplus: SqlplusCommand | None = None,
) -> SqlRunner:
    """The runner for ``database.route``.

    sqlplus-ssh needs ``command_runner`` (the open SSH session to the database host) and
    ``login_user`` (the SSH user, to decide whether sudo is needed); thin and thick need
    ``host_address`` and the password looked up from the database's credential.
    """
    if database.route == "sqlplus-ssh":
        if command_runner is None:
            raise ValueError("route sqlplus-ssh needs the database host's command runner")
        return SqlplusRunner(database, command_runner, host_id=host_id, login_user=login_user, command=sqlplus)
    if host_address is None:
        raise ValueError(f"route {database.route} needs the database host's address")
    return OracledbRunner(database, host_address, password, thick=database.route == "thick")


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
