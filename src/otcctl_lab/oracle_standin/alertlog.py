"""The alert log of the lab's OTCDB instance, as Oracle 10g writes it under ``bdump``.

Ten days of an instance that runs: a startup a month ago, log switches and checkpoints every
day, and on two earlier days the kind of ORA- errors a DBA looks at (a snapshot too old, a
deadlock). The run date itself has only routine entries, so a check for today's ORA- lines has
something real to read and passes; a test appends an error to make it fail. Each entry starts
with Oracle's header line ``Thu Nov  5 22:00:01 2026`` (day padded with a space).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

ALERT_LOG = Path("u01/app/oracle/admin/OTCDB/bdump/alert_OTCDB.log")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def header(moment: datetime) -> str:
    """Oracle's entry header: weekday, month, day padded to two places, time, year."""
    return (f"{_DAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment.day:>2} "
            f"{moment:%H:%M:%S} {moment.year}")


def _entry(day: date, at: time, *lines: str) -> tuple[datetime, str]:
    moment = datetime.combine(day, at)
    return moment, header(moment) + "\n" + "".join(line + "\n" for line in lines)


def alert_log_text(today: date, *, days: int = 10) -> str:
    """The log's text for the ``days`` days up to ``today``."""
    started = today - timedelta(days=30)
    entries = [_entry(started, time(6, 12, 3), "Starting ORACLE instance (normal)",
                      "LICENSE_MAX_SESSION = 0", "Picked latch-free SCN scheme 3",
                      "Using LOG_ARCHIVE_DEST_1 parameter default value as /u01/app/oracle/arch"),
               _entry(started, time(6, 12, 41), "Completed: ALTER DATABASE OPEN")]
    sequence = 4400
    for offset in range(days - 1, -1, -1):
        day = today - timedelta(days=offset)
        for at in (time(8, 0, 12), time(13, 30, 5), time(22, 0, 1)):
            sequence += 1
            entries.append(_entry(day, at, f"Thread 1 advanced to log sequence {sequence} (LGWR switch)",
                                  f"  Current log# {sequence % 3 + 1} seq# {sequence} mem# 0: "
                                  f"/u01/oradata/OTCDB/redo0{sequence % 3 + 1}.log"))
        if offset == 2:
            entries.append(_entry(day, time(2, 13, 44),
                                  "ORA-01555 caused by SQL statement below (SQL ID: 7h35uxf5uhmm1, Query Duration=1402 "
                                  "sec, SCN: 0x0000.0a1b2c3d):",
                                  "SELECT * FROM FPSS.TJGMX WHERE RQ < :B1"))
        if offset == 5:
            entries.append(_entry(day, time(10, 41, 9),
                                  "ORA-00060: Deadlock detected. More info in file "
                                  "/u01/app/oracle/admin/OTCDB/udump/otcdb_ora_21877.trc."))
    return "".join(text for _, text in sorted(entries))


def write_alert_log(host_root: Path, today: date) -> Path:
    """``host_root/u01/.../alert_OTCDB.log`` (the 10g default path under the lab host's tree)."""
    path = host_root / ALERT_LOG
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(alert_log_text(today), encoding="utf-8")
    return path
