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
from otcctl.connectors.sqlplus import SqlplusRunner, sqlplus_command, sqlplus_script
from otcctl.model.inventory import Database
from otcctl.plan.sql_route import SqlplusCommand
from otcctl.secrets import Secret

__all__ = [
    "OracledbRunner",
    "SqlplusCommand",
    "SqlplusRunner",
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


