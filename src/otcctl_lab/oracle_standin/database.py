"""A small SQLite database shaped like OTCDB, for the lab's sqlplus stand-in.

Only what the runbooks query is here, with Oracle's column types written in (SQL*Plus sizes a
column by its declared width). Oracle names become SQLite table names: ``v$instance`` as is,
``aboss.tdrwt_wgd`` as one quoted name, so an unqualified ``tdrwt_wgd`` fails with ORA-00942
just as it does for SYSDBA on the real database (no public synonyms are assumed).

The column names of the ABOSS tables are the lab's own guesses at 顶点's schema: queries for
the lab must use these; what the real tables hold must be checked on site.
"""

from __future__ import annotations

import calendar
import os
import random
import sqlite3
from datetime import date, datetime, time, timedelta
from pathlib import Path

from otcctl_lab.oracle_standin.alertlog import write_alert_log
from otcctl_lab.oracle_standin.functions import encode
from otcctl_lab.oracle_standin.session import META_TABLE

SCHEMAS = ("aboss", "fpss", "livebos", "fpss_his", "eimage", "fpss_3rd", "product", "ada")
INSTANCE = "OTCDB"

_ORDER_COLUMNS = (
    "wth NUMBER(16), wtrq VARCHAR2(8), wtsj VARCHAR2(8), khh VARCHAR2(20), cpdm VARCHAR2(12), wtlb VARCHAR2(4), "
    "wtje NUMBER(16,2), sbjg CHAR(1)"
)
SESSION_SERVICE_TABLE = "otcctl$session_service"
OWN_SID = 31
_TABLES = {
    "dual": "dummy VARCHAR2(1)",
    "v$instance": "instance_number NUMBER, instance_name VARCHAR2(16), host_name VARCHAR2(64), version VARCHAR2(17), "
    "startup_time DATE, status VARCHAR2(12), archiver VARCHAR2(7), logins VARCHAR2(10), "
    "database_status VARCHAR2(17), instance_role VARCHAR2(18)",
    "v$database": "dbid NUMBER, name VARCHAR2(9), created DATE, log_mode VARCHAR2(12), open_mode VARCHAR2(10), "
    "database_role VARCHAR2(16), platform_name VARCHAR2(101)",
    "v$session": 'sid NUMBER, "serial#" NUMBER, username VARCHAR2(30), status VARCHAR2(8), schemaname VARCHAR2(30), '
    "osuser VARCHAR2(30), process VARCHAR2(12), machine VARCHAR2(64), terminal VARCHAR2(16), program VARCHAR2(48), "
    "type VARCHAR2(10), module VARCHAR2(48), logon_time DATE",
    "dba_data_files": "file_name VARCHAR2(513), file_id NUMBER, tablespace_name VARCHAR2(30), bytes NUMBER, "
    "blocks NUMBER, status VARCHAR2(9), autoextensible VARCHAR2(3), maxbytes NUMBER",
    "dba_free_space": "tablespace_name VARCHAR2(30), file_id NUMBER, block_id NUMBER, bytes NUMBER, blocks NUMBER",
    "aboss.tcpxlh": "cpdm VARCHAR2(12), cpmc VARCHAR2(80), cplb VARCHAR2(4), xkzt CHAR(1), ksrq VARCHAR2(8), "
    "jsrq VARCHAR2(8)",
    "v$mystat": 'sid NUMBER, "statistic#" NUMBER, value NUMBER',
    "aboss.tdrwt": _ORDER_COLUMNS,
    "aboss.tdrwt_wgd": _ORDER_COLUMNS,
    SESSION_SERVICE_TABLE: "sid NUMBER, host TEXT, service TEXT",
}
_PRODUCTS = (
    ("S00001", "稳健收益1号集合资产管理计划", "01", "1", "20230101", "20991231"),
    ("S00002", "季季盈2号收益凭证", "02", "1", "20240301", "20991231"),
    ("S00003", "安心理财3号", "01", "1", "20240601", "20991231"),
    ("S00004", "成长精选4号(已停售)", "01", "0", "20220101", "20241231"),
    ("S00005", "场外期权挂钩5号", "03", "1", "20250101", "20991231"),
)
_TABLESPACES = (  # name, size in MiB, used %
    ("SYSTEM", 800, 71), ("SYSAUX", 1200, 64), ("UNDOTBS1", 2000, 22), ("USERS", 100, 12), ("FPSS", 20480, 76),
    ("LIVEBOS", 4096, 58), ("FPSS_HIS", 30720, 81), ("EIMAGE", 8192, 40), ("FPSS_3RD", 2048, 33),
    ("PRODUCT", 1024, 47),
)


def create_lab_database(
    db_path: Path,
    today: date,
    *,
    host_name: str = "m1",
    status: str = "OPEN",
    client_hosts: tuple[str, str] = ("M5", "M3"),
) -> Path:
    """Write the database (replacing one that is there); ``today`` is the lab's trading date.

    ``sysdate`` in the stand-in is this date with the wall clock's time of day, so a lab set to
    another date answers date queries for that date. ``aboss.tdrwt`` holds today's orders, all
    reported; ``aboss.tdrwt_wgd`` (not yet archived) holds orders on weekdays from 18 months
    before ``today`` to yesterday. ``v$session`` has the background processes, this sqlplus
    session (SID 31, see ``v$mystat``), 九桥同步 on the database host and the application
    sessions of ``client_hosts`` (middleware host, web host): M5/M3 for M1, M6/M4 for M2. Each
    application session is tied to its lab service, so a stand-in given the lab's state
    directory shows it only while that service runs.

    The instance's alert log is written beside it, at Oracle 10g's default path under the same
    folder (``u01/app/oracle/admin/OTCDB/bdump/alert_OTCDB.log``, see :mod:`alertlog`): the lab
    passes the database host's tree as that folder.
    """
    db_path.parent.mkdir(parents=True, exist_ok=True)
    partial = db_path.with_name(db_path.name + ".partial")
    partial.unlink(missing_ok=True)
    connection = sqlite3.connect(partial)
    try:
        with connection:
            connection.execute(f'create table "{META_TABLE}" (key TEXT primary key, value TEXT)')
            meta = {"lab_date": today.isoformat(), "instance_name": INSTANCE, "schemas": ",".join(SCHEMAS)}
            connection.executemany(f'insert into "{META_TABLE}" values (?, ?)', meta.items())
            for name, columns in _TABLES.items():
                connection.execute(f'create table "{name}" ({columns})')
            _fill(connection, today, host_name, status, client_hosts)
    finally:
        connection.close()
    os.replace(partial, db_path)
    write_alert_log(db_path.parent, today)
    return db_path


def _fill(connection: sqlite3.Connection, today: date, host_name: str, status: str,
          client_hosts: tuple[str, str]) -> None:
    def at(day: date, hour: int, minute: int = 0) -> float:
        return encode(datetime.combine(day, time(hour, minute)))

    insert = connection.execute
    insert('insert into dual values (?)', ("X",))
    insert('insert into "v$instance" values (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
           (INSTANCE, host_name, "10.2.0.5.0", at(today - timedelta(days=30), 6, 12), status, "STARTED", "ALLOWED",
            "ACTIVE", "PRIMARY_INSTANCE"))
    insert('insert into "v$database" values (?, ?, ?, ?, ?, ?, ?)',
           (1403260919, INSTANCE, at(date(2013, 5, 20), 10), "ARCHIVELOG", "READ WRITE", "PRIMARY",
            "Linux x86 64-bit"))
    sessions: list[tuple[object, ...]] = [
        (n, 1, None, "ACTIVE", "SYS", "oracle", str(4100 + n), host_name, "UNKNOWN", f"oracle@{host_name} ({p})",
         "BACKGROUND", None, at(today - timedelta(days=30), 6, 12))
        for n, p in enumerate(("PMON", "PSP0", "MMAN", "DBW0", "LGWR", "CKPT", "SMON", "RECO", "MMON"), start=1)
    ]
    middleware, web = client_hosts
    users = (  # user, OS user, machine, program, (lab host, lab service)
        ("FPSS", "otcsvc", f"OTC\\{middleware}", "FOS.exe", middleware, "FOS"),
        ("FPSS", "otcsvc", f"OTC\\{middleware}", "BLS.exe", middleware, "BLS"),
        ("FPSS", "otcsvc", f"OTC\\{middleware}", "RS.exe", middleware, "RS"),
        ("FPSS", "otcsvc", f"OTC\\{middleware}", "OTCTranSZT.exe", middleware, "OTCTranSZT"),
        ("LIVEBOS", "tomcat", web.lower(), "JDBC Thin Client", web, "Tomcat"),
        ("LIVEBOS", "tomcat", web.lower(), "JDBC Thin Client", web, "Tomcat"),
        ("FPSS", "jqsync", host_name, f"jqsync@{host_name} (TNS V1-V3)", host_name.upper(), "JiuqiaoSync"),
    )
    owners: list[tuple[int, str, str]] = []
    for n, (user, osuser, machine, program, lab_host, service) in enumerate(users, start=21):
        sessions.append((n, 100 + n, user, "INACTIVE", user, osuser, str(5200 + n), machine, "unknown", program,
                         "USER", program, at(today, 8, n)))
        owners.append((n, lab_host, service))
    sessions.append((OWN_SID, 7, "SYS", "ACTIVE", "SYS", "oracle", "6031", host_name, "pts/0",
                     f"sqlplus@{host_name} (TNS V1-V3)", "USER", "sqlplus@" + host_name, at(today, 9, 0)))
    connection.executemany('insert into "v$session" values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', sessions)
    connection.executemany(f'insert into "{SESSION_SERVICE_TABLE}" values (?, ?, ?)', owners)
    connection.executemany('insert into "v$mystat" values (?, ?, ?)', [(OWN_SID, n, n * 7) for n in range(6)])
    for file_id, (name, mib, used) in enumerate(_TABLESPACES, start=1):
        size = mib * 1024 * 1024
        insert("insert into dba_data_files values (?, ?, ?, ?, ?, 'AVAILABLE', 'NO', 0)",
               (f"/u01/oradata/OTCDB/{name.lower()}01.dbf", file_id, name, size, size // 8192))
        free = size * (100 - used) // 100
        insert("insert into dba_free_space values (?, ?, 9, ?, ?)", (name, file_id, free, free // 8192))
    connection.executemany('insert into "aboss.tcpxlh" values (?, ?, ?, ?, ?, ?)', _PRODUCTS)
    history, current = _orders(today)
    connection.executemany('insert into "aboss.tdrwt_wgd" values (?, ?, ?, ?, ?, ?, ?, ?)', history)
    connection.executemany('insert into "aboss.tdrwt" values (?, ?, ?, ?, ?, ?, ?, ?)', current)


def _orders(today: date) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """(history before today, today's orders): weekdays over 18 months, the same for the same ``today``.

    Every order is reported (sbjg '2', or '8' for a few rejected ones), so the lab's order
    queue is drained; the codes are the lab's guess (the runbooks take them as parameters).
    """
    months_back = today.year * 12 + today.month - 1 - 18
    year, month = divmod(months_back, 12)
    day = date(year, month + 1, min(today.day, calendar.monthrange(year, month + 1)[1]))
    rng = random.Random(today.toordinal())
    rows: list[tuple[object, ...]] = []
    number = 1
    while day <= today:
        if day.weekday() < 5 or day == today:
            for _ in range(rng.randint(3, 6) if day == today else rng.randint(1, 4)):
                product = rng.choice(_PRODUCTS)[0]
                amount = rng.choice((10000, 50000, 100000, 300000, 1000000)) + rng.randint(0, 99) / 100
                when = f"{rng.randint(9, 14):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
                rows.append((number, day.strftime("%Y%m%d"), when, f"1880{rng.randint(100000, 999999)}", product,
                             rng.choice(("020", "022", "024")), amount, rng.choice("2222228")))
                number += 1
        day += timedelta(days=1)
    mark = today.strftime("%Y%m%d")
    return [r for r in rows if r[1] != mark], [r for r in rows if r[1] == mark]
