"""The Oracle routes against real peers: oracledb's thin client against loopback TNS listeners,
and the sqlplus route against the lab's sqlplus stand-in (run locally through bash here; the
lab runs the same command over real SSH).

No Oracle server exists here. The TNS peers speak just enough of the protocol to make the real
client fail the way a real listener makes it fail: a REFUSE packet naming ORA-12514, as a
listener that does not know the service sends, and an ACCEPT packet with protocol version 313,
as a 10g server sends (python-oracledb thin needs 315, i.e. 12.1).
"""

from __future__ import annotations

import io
import os
import socket
import sqlite3
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from otcctl.connectors.base import CommandOutput, SqlFailed
from otcctl.connectors.oracle import (
    OracledbRunner,
    SqlplusRunner,
    make_sql_runner,
    sqlplus_command,
)
from otcctl.connectors.sqlplus_output import parse_rows
from otcctl.model.inventory import Database
from otcctl.model.load import load_runbook
from otcctl.model.schema import SqlStep
from otcctl.model.templates import render
from otcctl.plan.params import resolve_params
from otcctl.plan.sql_route import SqlplusCommand, describe_route
from otcctl.secrets import Secret
from otcctl_lab.oracle_standin import create_lab_database, install_sqlplus_standin
from otcctl_lab.oracle_standin.cli import main as standin_main
from tests.unit.run.harness import FakeRunner

RUNBOOKS = Path(__file__).resolve().parents[2] / "runbooks"

LAB_DAY = date(2025, 6, 18)
PASSWORD = "pw-never-shown-9f3"
TNS_CONNECT, TNS_ACCEPT, TNS_REFUSE, TNS_DATA = 1, 2, 4, 6
REFUSE_12514 = b"(DESCRIPTION=(TMP=)(VSNNUM=169869568)(ERR=12514)(ERROR_STACK=(ERROR=(CODE=12514)(EMFI=4))))"


def _database(**changes: object) -> Database:
    base = {"title": "OTC 主数据库", "service_name": "OTCDB", "port": 1521, "primary_host": "M1",
            "standby_host": "M2", "route": "sqlplus-ssh", "os_user": "oracle", "oracle_sid": "OTCDB",
            "version": "10g", "credential": {"source": "os-auth"}}
    return Database.model_validate({**base, **changes})


# ---------------------------------------------------------------- TNS peers for the thin route


def _packet(packet_type: int, payload: bytes) -> bytes:
    """A pre-negotiation TNS packet: 2-byte length, checksum, type, flags, header checksum."""
    return struct.pack(">HHBBH", 8 + len(payload), 0, packet_type, 0, 0) + payload


def _recv_exact(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("client closed")
        data += chunk
    return data


def _read_connect(conn: socket.socket) -> str:
    """The connect descriptor of a CONNECT packet (in a DATA packet after it when long)."""
    header = _recv_exact(conn, 8)
    length, packet_type = struct.unpack(">H", header[:2])[0], header[4]
    assert packet_type == TNS_CONNECT
    body = _recv_exact(conn, length - 8)
    data_length, data_offset = struct.unpack(">HH", body[16:20])
    data = body[data_offset - 8 : data_offset - 8 + data_length]
    if len(data) < data_length:  # over 230 bytes: sent in a DATA packet (2 bytes of data flags first)
        header = _recv_exact(conn, 8)
        assert header[4] == TNS_DATA
        data = _recv_exact(conn, struct.unpack(">H", header[:2])[0] - 8)[2:]
    return data.decode()


class TnsPeer:
    """A loopback listener answering one kind of reply to every CONNECT; records what it got."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.received: list[str] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                try:
                    self.received.append(_read_connect(conn))
                except (ConnectionError, OSError):
                    continue
                if self.reply == "refuse-12514":  # what a 10.2 listener says for a service it does not know
                    text = REFUSE_12514
                    conn.sendall(_packet(TNS_REFUSE, bytes([1, 0]) + struct.pack(">H", len(text)) + text))
                elif self.reply == "accept-10g":
                    # version 313, options, SDU 8192, TDU 32767, byte order, data length/offset, flags
                    body = struct.pack(">HHHHHHHBB", 313, 0, 8192, 32767, 0x0100, 0, 24, 0x41, 0x01)
                    conn.sendall(_packet(TNS_ACCEPT, body + bytes(8)))
                elif self.reply == "silent":
                    self.stop.wait(10)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


@pytest.fixture
def tns_peer(request: pytest.FixtureRequest) -> Iterator[TnsPeer]:
    peer = TnsPeer(request.param)
    try:
        yield peer
    finally:
        peer.close()


def _free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return int(sock.getsockname()[1])


def _thin(port: int) -> OracledbRunner:
    db = _database(route="thin", port=port, db_user="otcctl_ro",
                   credential={"source": "env", "variable": "OTCCTL_DB_PASSWORD"})
    return OracledbRunner(db, "127.0.0.1", Secret(PASSWORD), thick=False)


def _failure(runner: OracledbRunner, timeout: float = 5) -> str:
    with pytest.raises(SqlFailed) as caught:
        runner.query("select status from v$instance", {}, timeout, 10)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message and PASSWORD not in message
    error = caught.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    return message


def test_thin_closed_port_is_one_paragraph_naming_the_address() -> None:
    port = _free_port()
    message = _failure(_thin(port))
    assert f"127.0.0.1:{port}" in message
    assert "service name OTCDB" in message
    assert "connection refused" in message and "listener" in message


@pytest.mark.parametrize("tns_peer", ["refuse-12514"], indirect=True)
def test_thin_listener_refusing_unknown_service(tns_peer: TnsPeer) -> None:
    message = _failure(_thin(tns_peer.port))
    assert tns_peer.received and "(SERVICE_NAME=OTCDB)" in tns_peer.received[0]
    assert f"the listener at 127.0.0.1:{tns_peer.port} does not know service name OTCDB" in message
    assert "ORA-12514" in message and "lsnrctl status" in message


@pytest.mark.parametrize("tns_peer", ["accept-10g"], indirect=True)
def test_thin_against_a_10g_server_says_use_sqlplus_or_thick(tns_peer: TnsPeer) -> None:
    message = _failure(_thin(tns_peer.port))
    assert "older than 12.1" in message
    assert "route: sqlplus-ssh" in message and "route: thick" in message
    assert f"127.0.0.1:{tns_peer.port}" in message


@pytest.mark.parametrize("tns_peer", ["silent"], indirect=True)
def test_thin_silent_listener_is_given_up_after_the_timeout(tns_peer: TnsPeer) -> None:
    started = time.monotonic()
    message = _failure(_thin(tns_peer.port), timeout=1)
    assert time.monotonic() - started < 4
    assert "no answer" in message and "1 s" in message


def test_thin_without_db_user_or_password_says_what_is_missing() -> None:
    no_user = OracledbRunner(_database(route="thin"), "127.0.0.1", None, thick=False)
    assert "no db_user" in _failure(no_user)
    no_password = OracledbRunner(_database(route="thin", db_user="u"), "127.0.0.1", None, thick=False)
    assert "no password" in _failure(no_password)


def test_thick_without_instant_client_names_the_directory(tmp_path: Path) -> None:
    missing = tmp_path / "instantclient_11_2"
    db = _database(route="thick", db_user="otcctl_ro", instant_client_dir=str(missing))
    message = _failure(OracledbRunner(db, "127.0.0.1", Secret(PASSWORD), thick=True))
    assert f"Oracle Client library could not be loaded from {missing}" in message
    assert "thick mode" in message


# ---------------------------------------------------------------- the sqlplus route and stand-in


def local_bash(bin_dir: Path) -> FakeRunner:
    """A CommandRunner that runs commands here with bash, the stand-in first on PATH (``sent`` records them)."""
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("ORACLE_SID", None)
    env.pop("NLS_LANG", None)

    def run_here(command: str, timeout: float, cancel: threading.Event | None) -> CommandOutput:
        started = time.monotonic()
        try:
            done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=timeout,
                                  env=env, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return CommandOutput(None, "", "", time.monotonic() - started, timed_out=True)
        return CommandOutput(done.returncode, done.stdout, done.stderr, time.monotonic() - started)

    return FakeRunner("M1", run_here)


@pytest.fixture(scope="module")
def standin(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("oracle")
    db_path = create_lab_database(root / "otcdb.sqlite", LAB_DAY)
    bin_dir = install_sqlplus_standin(root / "hosts" / "M1" / "bin", db_path, service_state_dir=root / "state")
    return bin_dir.parent, db_path


@pytest.fixture
def bash(standin: tuple[Path, Path]) -> FakeRunner:
    return local_bash(standin[0])


@pytest.fixture
def sqlplus(bash: FakeRunner) -> SqlplusRunner:
    return SqlplusRunner(_database(), bash, host_id="M1", login_user="oracle")


def test_instance_status_is_one_row_open(sqlplus: SqlplusRunner, bash: FakeRunner) -> None:
    result = sqlplus.query("select status from v$instance", {}, 30, 200)
    assert result.columns == ("STATUS",)
    assert result.rows == (("OPEN",),)
    assert bash.sent[0].startswith(
        "env ORACLE_SID=OTCDB NLS_LANG=AMERICAN_AMERICA.AL32UTF8 sqlplus -S -L '/ as sysdba' <<'OTCCTL_SQL'\n"
    )


def test_keep_months_bind_counts_orders_before_the_cutoff(sqlplus: SqlplusRunner, standin: tuple[Path, Path]) -> None:
    sql = (
        "select count(*) orders, min(wtrq) earliest\n"
        "  from aboss.tdrwt_wgd\n"
        " where wtrq < to_char(add_months(trunc(sysdate), -:keep_months), 'YYYYMMDD')"
    )
    result = sqlplus.query(sql, {"keep_months": "6"}, 30, 200)
    with sqlite3.connect(standin[1]) as direct:
        expected = direct.execute(
            'select count(*), min(wtrq) from "aboss.tdrwt_wgd" where wtrq < ?', ("20241218",)
        ).fetchone()
    assert result.columns == ("ORDERS", "EARLIEST")
    assert result.rows == (tuple(expected),)
    assert expected[0] > 0
    assert "exec :keep_months := '6'" in sqlplus.command_for(sql, {"keep_months": "6"})


def test_unknown_table_is_ora_00942(sqlplus: SqlplusRunner) -> None:
    with pytest.raises(SqlFailed) as caught:
        sqlplus.query("select * from aboss.no_such_table", {}, 30, 10)
    message = str(caught.value)
    assert "ORA-00942: table or view does not exist" in message
    assert "OTCDB on M1" in message and "\n" not in message


def test_quotes_in_a_bind_are_data_not_sql(sqlplus: SqlplusRunner) -> None:
    hostile = "S00001' or '1'='1"
    count = sqlplus.query("select count(*) n from aboss.tcpxlh where cpdm = :code", {"code": hostile}, 30, 10)
    assert count.rows == ((0,),)
    tricky = "it's & 'quoted' OTCCTL_SQL ; exit"
    echoed = sqlplus.query("select :v v, length(:v) n from dual", {"v": tricky}, 30, 10)
    assert echoed.rows == ((tricky, len(tricky)),)


def test_line_breaks_in_a_bind_stay_inside_the_here_document(sqlplus: SqlplusRunner) -> None:
    value = "first\nOTCCTL_SQL\nexit 0"
    result = sqlplus.query("select length(:v) n from dual", {"v": value}, 30, 10)
    assert result.rows == ((len(value),),)


def test_a_query_line_equal_to_the_tag_gets_another_tag(sqlplus: SqlplusRunner) -> None:
    result = sqlplus.query("select 1 as\nOTCCTL_SQL\nfrom dual", {}, 30, 10)
    assert result.columns == ("OTCCTL_SQL",)
    assert "<<'OTCCTL_SQL_1'" in sqlplus.command_for("select 1 as\nOTCCTL_SQL\nfrom dual", {})


def test_nulls_no_rows_and_max_rows(sqlplus: SqlplusRunner) -> None:
    background = sqlplus.query("select username, program from v$session where type = 'BACKGROUND'", {}, 30, 3)
    assert len(background.rows) == 3
    assert background.rows[0] == (None, "oracle@m1 (PMON)")
    assert sqlplus.query("select sid from v$session where sid < 0", {}, 30, 10).rows == ()


def test_undeclared_bind_and_unemulated_sql_fail_honestly(sqlplus: SqlplusRunner) -> None:
    with pytest.raises(SqlFailed, match='SP2-0552: Bind variable "MISSING" not declared'):
        sqlplus.query("select :missing from dual", {}, 30, 10)
    with pytest.raises(SqlFailed, match="ORA-03001: unimplemented feature"):
        sqlplus.query("select sid from v$session connect by prior sid = sid", {}, 30, 10)
    with pytest.raises(SqlFailed, match=r"ORA-03001: .*\|\| next to \+ - \* /"):
        sqlplus.query("select sid + 1 || 'x' from v$session", {}, 30, 10)
    concatenated = sqlplus.query("select username || '@' || machine who from v$session where sid = 1", {}, 30, 10)
    assert concatenated.rows == (("@m1",),)  # Oracle's ||: a NULL operand counts as ''



def test_sudo_when_the_login_user_is_not_the_oracle_owner() -> None:
    shape = SqlplusCommand.for_database(_database(oracle_home="/u01/app/oracle/10.2"), "otcops")
    assert shape.prefix() == (
        "sudo -n -u oracle -i env ORACLE_HOME=/u01/app/oracle/10.2 ORACLE_SID=OTCDB "
        "NLS_LANG=AMERICAN_AMERICA.AL32UTF8 /u01/app/oracle/10.2/bin/sqlplus -S -L '/ as sysdba'"
    )
    assert SqlplusCommand.for_database(_database(), "oracle").become_user is None
    command = sqlplus_command(shape, "select 1 from dual", {})
    assert command.splitlines()[-1] == "OTCCTL_SQL"
    assert "whenever sqlerror exit failure" in command and "set markup" not in command


def test_refused_query_lines_never_reach_the_host(bash: FakeRunner) -> None:
    runner = SqlplusRunner(_database(), bash, login_user="oracle")
    for sql in ("select 1 from dual;\nselect 2 from dual", "select 1\n/\nfrom dual", "#host id"):
        with pytest.raises(SqlFailed):
            runner.query(sql, {}, 30, 10)
    assert bash.sent == []


def test_describe_route_and_factory(bash: FakeRunner) -> None:
    assert describe_route(_database(), login_user="otcops").startswith(
        "sqlplus on M1 as oracle with OS authentication (no password): sudo -n -u oracle -i "
    )
    thin = _database(route="thin", db_user="otcctl_ro")
    assert describe_route(thin, host_address="127.0.0.11") == (
        "python-oracledb thin mode to 127.0.0.11:1521/OTCDB as otcctl_ro (needs Oracle 12.1+)"
    )
    assert isinstance(make_sql_runner(_database(), command_runner=bash), SqlplusRunner)
    assert isinstance(make_sql_runner(thin, host_address="127.0.0.1"), OracledbRunner)


# ---------------------------------------------------------------- reading SQL*Plus output


def test_parse_rows_reads_numbers_nulls_and_a_null_only_row() -> None:
    out = "\n".join([
        "OTCCTL-ROWS-BEGIN",
        "USERNAME|~|                                     SID",
        "--------|~|----------------------------------------",
        "FPSS    |~|                                      21",
        "        |~|                                       1",
        "",
        "2 rows selected.",
        "",
        "OTCCTL-ROWS-END",
    ])
    assert parse_rows(out) == (("USERNAME", "SID"), [("FPSS", 21), (None, 1)])
    single_null = "OTCCTL-ROWS-BEGIN\nD\n-\n\n\n1 row selected.\n\nOTCCTL-ROWS-END\n"
    assert parse_rows(single_null) == (("D",), [(None,)])
    assert parse_rows("OTCCTL-ROWS-BEGIN\n\nno rows selected\n\nOTCCTL-ROWS-END") == ((), [])


def _standin(script: str, db_path: Path, **env: str) -> tuple[int, str]:
    out = io.StringIO()
    environ = {"ORACLE_SID": "OTCDB", "NLS_LANG": "AMERICAN_AMERICA.AL32UTF8", **env}
    code = standin_main(["-S", "-L", "/ as sysdba"], db_path, stdin=io.StringIO(script), stdout=out,
                        environ=environ)
    return code, out.getvalue()


def test_standin_speaks_sqlplus_and_refuses_what_it_cannot_do(standin: tuple[Path, Path]) -> None:
    db = standin[1]
    code, out = _standin("select * from dual;\nselect dummy xyz from dual;\n", db)
    assert code == 0 and out.splitlines()[:4] == ["", "D", "-", "X"]
    assert "\nX\n-\nX\n" in out  # heading cut to the VARCHAR2(1) width, as SQL*Plus does
    code, out = _standin("set pages 0\nset bogus on\nselect wtrq, count(*) from aboss.tdrwt_wgd;\n", db)
    assert 'SP2-0158: unknown SET option "bogus"' in out and "ORA-00937" not in out
    assert "ORA-00979: not a GROUP BY expression" in out
    code, out = _standin("whenever sqlerror exit failure\nselect 1 from dual limit 1;\nprompt after\n", db)
    assert code == 1 and "ORA-00933: SQL command not properly ended" in out and "after" not in out
    code, out = _standin("select 1 from dual;\n", db, ORACLE_SID="")
    assert code == 1 and "ORA-12162" in out
    code, out = _standin("select cpmc from aboss.tcpxlh where cpdm = 'S00003';\n", db, NLS_LANG="")
    assert "\n????3?\n" in out  # a client without a UTF-8 NLS_LANG prints '?' for Chinese


# ---------------------------------------------------------------- the runbooks' own SQL


def _sql_steps() -> list[tuple[str, SqlStep, dict[str, str]]]:
    found = []
    for path in sorted(RUNBOOKS.glob("*.yaml")):
        loaded = load_runbook(path)
        params = resolve_params(loaded, {}, LAB_DAY)
        found += [(f"{path.stem}:{step.id}", step, params) for step in loaded.runbook.steps
                  if isinstance(step, SqlStep)]
    return found


@pytest.mark.parametrize(("name", "step", "params"), _sql_steps(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_runbook_query_runs_on_the_sqlplus_route(name: str, step: SqlStep, params: dict[str, str],
                                                       sqlplus: SqlplusRunner) -> None:
    """What the 10g route will send, run against the stand-in: no refusal, no unreadable output."""
    binds = {key: render(value, params, "raw") for key, value in step.binds.items()}
    result = sqlplus.query(step.sql, binds, 30, step.max_rows)
    assert result.rows == () or len(result.columns) == len(result.rows[0])


def test_sessions_follow_the_lab_services(standin: tuple[Path, Path], sqlplus: SqlplusRunner) -> None:
    sql = (
        "select s.machine, s.program, count(*) as sessions from v$session s, v$instance i"
        " where s.type = 'USER' and s.sid <> (select sid from v$mystat where rownum = 1)"
        " and upper(nvl(s.machine, '-')) not like upper(i.host_name) || '%'"
        " and not regexp_like(nvl(s.machine, '-'), :ignore, 'i') group by s.machine, s.program"
    )
    state = standin[0].parents[2] / "state"
    before = sqlplus.query(sql, {"ignore": "^$"}, 30, 50)
    assert ("OTC\\M5", "FOS.exe", 1) in before.rows and ("m3", "JDBC Thin Client", 2) in before.rows
    assert all(machine != "m1" for machine, _, _ in before.rows)  # the DB host's own sessions are filtered
    (state / "M5").mkdir(parents=True, exist_ok=True)
    (state / "M5" / "FOS").write_text("stopped\n", encoding="ascii")
    (state / "M3").mkdir(parents=True, exist_ok=True)
    (state / "M3" / ".power").write_text("off\n", encoding="ascii")
    try:
        after = sqlplus.query(sql, {"ignore": "^OTC\\\\M5$"}, 30, 50)
        assert after.rows == ()
        remaining = sqlplus.query(sql, {"ignore": "^$"}, 30, 50)
        assert {program for _, program, _ in remaining.rows} == {"BLS.exe", "RS.exe", "OTCTranSZT.exe"}
    finally:
        (state / "M5" / "FOS").unlink()
        (state / "M3" / ".power").unlink()
