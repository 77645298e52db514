"""The python-oracledb routes: thin mode (Oracle 12.1+) and thick mode (a site Instant Client).

oracledb is imported only when a query is made, so ``--help`` and the dry run stay fast. Every
failure, from a closed port to an ORA- error in the query, becomes one :class:`SqlFailed`
paragraph naming the database, host:port and service and saying what to do; the driver's
traceback and the password never reach the operator.

Thin mode has no deadline on the TNS handshake itself (a listener that accepts and then says
nothing would hold the connect for ever), so the connect runs in a helper thread that is given
up on after the step's timeout.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from otcctl.connectors.base import SqlFailed, SqlResult
from otcctl.model.inventory import Database
from otcctl.secrets import Secret

_thick_lock = threading.Lock()
_thick_started: list[str | None] = []  # the lib_dir thick mode was started with, once per process
_CODE = re.compile(r"\b((?:DPY|DPI|ORA)-\d{4,5})\b")


class OracledbRunner:
    """Queries OTCDB through python-oracledb; implements ``SqlRunner``. Connects on first query."""

    def __init__(self, database: Database, host_address: str, password: Secret | None, thick: bool) -> None:
        self.database = database
        self.host_address = host_address
        self.password = password
        self.thick = thick
        self._connection: Any = None

    @property
    def mode(self) -> str:
        """"thick" or "thin", as the operator sees it."""
        return "thick" if self.thick else "thin"

    def where(self) -> str:
        """Database, address and service, the way every message starts."""
        db = self.database
        return (
            f"database {db.service_name} at {self.host_address}:{db.port}, service name {db.service_name} "
            f"(python-oracledb {self.mode} mode)"
        )

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
        """Execute with bind variables under a call timeout, fetch at most ``max_rows`` rows.

        On ``cancel`` the running call is broken off (``connection.cancel()``, an Oracle break).
        """
        started = time.monotonic()
        connection = self._connect(timeout)
        finished = threading.Event()
        if cancel is not None:
            threading.Thread(
                target=_break_on_cancel, args=(connection, cancel, finished), name="otcctl-oracle-cancel", daemon=True
            ).start()
        try:
            connection.call_timeout = max(1, int(timeout * 1000))
            with connection.cursor() as cursor:
                if on_sent is not None:
                    on_sent()
                cursor.execute(sql.strip().rstrip(";"), binds)
                if cursor.description is None:
                    raise SqlFailed(f"{self.where()}: the statement returned no rows to judge (not a query)")
                columns = tuple(str(d[0]) for d in cursor.description)
                rows = tuple(tuple(r) for r in cursor.fetchmany(max_rows))
        except SqlFailed:
            raise
        except Exception as exc:
            if not _healthy(connection):  # lost or timed out: the next query starts a new session
                self.close()
            if cancel is not None and cancel.is_set():
                raise SqlFailed(f"{self.where()}: interrupted by the operator; the query was broken off") from None
            raise SqlFailed(self._explain(exc, timeout, connecting=False)) from None
        finally:
            finished.set()
        return SqlResult(columns=columns, rows=rows, duration=time.monotonic() - started)

    def close(self) -> None:
        """Close the session; errors on close are of no use to anyone and are dropped."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()

    def _connect(self, timeout: float) -> Any:
        if self._connection is not None:
            return self._connection
        db = self.database
        if not db.db_user:
            raise SqlFailed(
                f"{self.where()}: the inventory names no db_user for this database; the {self.mode} route logs "
                "in as a database user with a password (or use route sqlplus-ssh, which needs none)"
            )
        if self.password is None:
            raise SqlFailed(
                f"{self.where()}: no password for {db.db_user}; give the database a credential "
                "(env or keyring) in the inventory"
            )
        try:
            import oracledb
        except ImportError:
            raise SqlFailed(f"{self.where()}: the python-oracledb package is not installed") from None
        if self.thick:
            self._start_thick(oracledb)
        kwargs: dict[str, Any] = {
            "user": db.db_user,
            "host": self.host_address,
            "port": db.port,
            "service_name": db.service_name,
            "password": self.password.reveal(),
            "tcp_connect_timeout": max(1.0, min(timeout, 20.0)),
        }
        self._connection = self._with_deadline(lambda: oracledb.connect(**kwargs), timeout)
        return self._connection

    def _with_deadline(self, connect: Any, timeout: float) -> Any:
        """Run ``connect`` in a thread; past ``timeout`` give up on it (it ends when the peer closes)."""
        box: dict[str, Any] = {}
        given_up = threading.Event()

        def attempt() -> None:
            try:
                connection = connect()
            except BaseException as exc:  # handed back to the caller's thread below
                box["error"] = exc
                return
            if given_up.is_set():  # too late: nobody will use or close it
                with contextlib.suppress(Exception):
                    connection.close()
            box["connection"] = connection

        worker = threading.Thread(target=attempt, name="otcctl-oracledb-connect", daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            given_up.set()
            if "connection" in box:  # it finished just now after all
                with contextlib.suppress(Exception):
                    box["connection"].close()
            raise SqlFailed(
                f"{self.where()}: no answer to the connection request within {timeout:g} s; something accepts "
                "TCP on that port but does not speak to us (is it the Oracle listener? is the instance hung?)"
            )
        if "error" in box:
            raise SqlFailed(self._explain(box["error"], timeout, connecting=True)) from None
        return box["connection"]

    def _start_thick(self, oracledb: Any) -> None:
        lib_dir = self.database.instant_client_dir
        with _thick_lock:
            if _thick_started:
                return
            try:
                oracledb.init_oracle_client(lib_dir=lib_dir)
            except Exception as exc:
                raise SqlFailed(
                    f"{self.where()}: the Oracle Client library could not be loaded from "
                    f"{lib_dir or 'the system library path'} ({self._first_line(exc)}); install Instant Client "
                    "there, or set instant_client_dir in the inventory"
                ) from None
            _thick_started.append(lib_dir)

    def _explain(self, exc: BaseException, timeout: float, *, connecting: bool) -> str:
        """One paragraph for any driver error: what happened at which address, and what to do."""
        text = self._flatten(exc)
        codes = _CODE.findall(text)
        where = self.where()
        db = self.database
        endpoint = f"{self.host_address}:{db.port}"
        if "DPY-3010" in codes:
            return (
                f"{where}: this database is older than 12.1, which thin mode cannot talk to (DPY-3010); "
                "set route: sqlplus-ssh (sqlplus on the database host, no password) or route: thick "
                "(with an Oracle Instant Client) for this database in the inventory"
            )
        if "DPY-6001" in codes or "ORA-12514" in codes:
            return (
                f"{where}: the listener at {endpoint} does not know service name {db.service_name} "
                "(ORA-12514); check service_name in the inventory against 'lsnrctl status' on the database host, "
                "and that the instance has registered with the listener"
            )
        if "DPY-6003" in codes or "ORA-12505" in codes:
            return f"{where}: the listener at {endpoint} does not know this SID (ORA-12505); check the inventory"
        if "DPY-6000" in codes:
            return f"{where}: the listener at {endpoint} refused the connection ({self._first_line(exc)})"
        if "refused" in text.lower() and connecting:
            return (
                f"{where}: connection refused at {endpoint}: nothing listens there; is the Oracle listener up "
                "('lsnrctl status' on the database host) and is the port right in the inventory?"
            )
        if "DPY-4024" in codes or "ORA-01013" in codes:
            return f"{where}: the query did not finish within {timeout:g} s and was cancelled"
        if "ORA-01017" in codes:
            return (
                f"{where}: the database refused user {db.db_user} (ORA-01017, wrong user name or password); "
                "check the credential the inventory names"
            )
        if "ORA-28000" in codes:
            return f"{where}: account {db.db_user} is locked (ORA-28000); a DBA must unlock it"
        if {"ORA-01033", "ORA-01034", "ORA-01089", "ORA-01090"} & set(codes):
            return f"{where}: the instance is not open ({self._first_line(exc)}); check it on the database host"
        if "timed out" in text.lower() and connecting:
            return f"{where}: no TCP connection to {endpoint} within the timeout; check the address and firewall"
        if connecting:
            return f"{where}: cannot connect: {self._first_line(exc)}"
        return f"{where}: the query failed: {self._first_line(exc)}; check the SQL of the step"

    def _flatten(self, exc: BaseException) -> str:
        """The error and its causes as one masked line of text."""
        parts: list[str] = []
        seen: BaseException | None = exc
        while seen is not None and len(parts) < 5:
            parts.append(f"{type(seen).__name__}: {seen}")
            seen = seen.__cause__ or seen.__context__
        return self._mask(" | ".join(parts))

    def _first_line(self, exc: BaseException) -> str:
        """The driver's message without its help link or connection id, on one line."""
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip() and not ln.startswith("Help:")]
        lines = [ln for ln in lines if not ln.startswith("DPY-6005")] or lines
        return self._mask(" ".join(lines)[:400] or type(exc).__name__)

    def _mask(self, text: str) -> str:
        if self.password is not None and self.password.reveal():
            text = text.replace(self.password.reveal(), "***")
        return text


def _break_on_cancel(connection: Any, cancel: threading.Event, finished: threading.Event) -> None:
    while not finished.is_set():
        if cancel.wait(0.2):
            if not finished.is_set():
                with contextlib.suppress(Exception):
                    connection.cancel()
            return


def _healthy(connection: Any) -> bool:
    """Whether the session can take another query (python-oracledb's own check, no round trip)."""
    try:
        return bool(connection.is_healthy())
    except Exception:
        return False
