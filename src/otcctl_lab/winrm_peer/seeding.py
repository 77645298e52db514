"""What the lab's middleware hosts hold on disk when the runbooks look: backups and logs.

Daily Oracle exports (``OTCDB_YYYYMMDD.dmp``, written at 16:30 after clearing) with their exp
log (same name, ``.log``, in GBK as exp writes it on a Chinese Windows), and each day's
``.rar`` archive on the M: drive (compressed at 17:15). The middleware writes one log per
program and day under ``D:\\ABOSS2\\log`` (OTCTranSZT into its own subfolder, as ``.txt``), in
GBK. Yesterday's BLS log carries a timeout error: a check that reads only the run date's
files must not count it. Dumps and archives are sparse files, so their sizes count for free
space without using the lab machine's disk.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from pathlib import Path

from otcctl.domain.clock import SHANGHAI
from otcctl_lab.winrm_peer.drives import GIB, Drives

EXPORT_AT = time(16, 30)
ARCHIVE_AT = time(17, 15)
LOG_DIR = ("ABOSS2", "log")
_TABLES = (("TCPXLH", 5), ("TDRWT", 3821), ("TDRWT_WGD", 411_236), ("TKHXX", 18_402), ("TFE_CPFE", 95_117),
           ("TJGMX", 220_385))


def export_log(day: date, *, ok: bool = True) -> str:
    """The log of a full-schema ``exp`` of OTCDB, as exp 10g writes it in Chinese."""
    lines = [
        "",
        "Export: Release 10.2.0.5.0 - Production on 星期" + "一二三四五六日"[day.weekday()]
        + f" {day.month}月 {day.day} {EXPORT_AT:%H:%M:%S} {day.year}",
        "",
        "Copyright (c) 1982, 2007, Oracle.  All rights reserved.",
        "",
        "",
        "连接到: Oracle Database 10g Enterprise Edition Release 10.2.0.5.0 - 64bit Production",
        "With the Partitioning, OLAP, Data Mining and Real Application Testing options",
        "已导出 ZHS16GBK 字符集和 AL16UTF16 NCHAR 字符集",
        "",
        "即将导出指定的用户...",
        ". 正在导出 pre-schema 过程对象和操作",
        ". 正在导出用户 FPSS 的外部函数库名",
        ". 导出 PUBLIC 类型同义词",
        ". 正在导出专用类型同义词",
        ". 正在导出用户 FPSS 的对象类型定义",
        "即将导出 FPSS 的对象...",
        ". 正在导出数据库链接",
        ". 正在导出序号",
        ". 正在导出簇定义",
        ". 即将导出 FPSS 的表通过常规路径...",
    ]
    tables = _TABLES if ok else _TABLES[:3]
    lines += [f". . 正在导出表{name:>32}导出了{rows:>12} 行" for name, rows in tables]
    if ok:
        lines += [". 正在导出同义词", ". 正在导出视图", ". 正在导出存储过程", ". 正在导出统计信息",
                  "成功终止导出, 没有出现警告。"]
    else:
        lines += ["EXP-00056: 遇到 ORACLE 错误 1652",
                  "ORA-01652: 无法通过 128 (在表空间 TEMP 中) 扩展 temp 段",
                  "EXP-00000: 导出终止失败"]
    return "\r\n".join(lines) + "\r\n"


def seed_backups(
    drives_root: Path,
    until: date,
    days: int,
    *,
    dump_size: int = 8 * GIB,
    archive_size: int = 3 * GIB // 2,
    missing_archives: tuple[date, ...] = (),
) -> list[Path]:
    """Daily dumps with their export logs, and their archives, as the weekly clean-up finds them.

    The newest half of the dumps sit in ``D:\\backup``, older ones were moved to ``E:\\backup``;
    each day's ``.rar`` is in ``M:\\backup`` unless listed in ``missing_archives``.
    """
    Drives(drives_root)
    written: list[Path] = []
    for offset in range(days):
        day = until - timedelta(days=offset)
        stamp = day.strftime("%Y%m%d")
        folder = drives_root / ("D" if offset < (days + 1) // 2 else "E") / "backup"
        exported = datetime.combine(day, EXPORT_AT, SHANGHAI)
        written.append(sparse_file(folder / f"OTCDB_{stamp}.dmp", dump_size, exported))
        written.append(text_file(folder / f"OTCDB_{stamp}.log", export_log(day), exported))
        if day not in missing_archives:
            written.append(sparse_file(drives_root / "M" / "backup" / f"OTCDB_{stamp}.rar", archive_size,
                                       datetime.combine(day, ARCHIVE_AT, SHANGHAI)))
    return written


def _program_lines(program: str, day: date) -> list[str]:
    stamp = day.isoformat()
    lines = {
        "MCenter": ["MCenter 消息中心启动，监听端口 5001", "已连接模块 FOS BLS RS", "消息队列长度 0"],
        "FOS": ["FOS 启动完成，连接数据库 OTCDB 成功 (FPSS@OTCDB)", "连接池 16/64", "数据库心跳正常"],
        "BLS": ["BLS 启动完成，业务逻辑模块加载 42 个", "开始处理业务请求", "处理委托 1 笔，耗时 35ms"],
        "RS": ["RS 路由转发启动，监听端口 9109", "路由表已加载 12 条", "转发队列长度 0"],
        "OTCTranSZT": ["顶点报盘启动，连接 BSMR 网关", "BSMR 登录成功", "报盘队列长度 0，已报 318 笔"],
        "AxSvrMgr": ["AxSvrMgr 中间件服务管理启动", "巡检：所有模块运行中"],
    }.get(program, [f"{program} 运行中"])
    times = ("08:45:02.118", "09:15:00.004", "11:30:00.020", "13:00:00.011", "15:05:41.733")
    return [f"{stamp} {at} [INFO ] {text}" for at, text in zip(times, [*lines, "心跳正常", "心跳正常"], strict=False)]


def seed_middleware_logs(drives_root: Path, day: date, programs: tuple[str, ...], *,
                         history_days: int = 2) -> list[Path]:
    """One log per program and day under ``D:\\ABOSS2\\log``, the run date and the days before it."""
    Drives(drives_root)
    folder = drives_root.joinpath("D", *LOG_DIR)
    written: list[Path] = []
    for offset in range(history_days + 1):
        current = day - timedelta(days=offset)
        stamp = current.strftime("%Y%m%d")
        closed = datetime.combine(current, time(15, 5, 42), SHANGHAI)
        for program in programs:
            lines = _program_lines(program, current)
            if program == "BLS" and offset == 1:
                lines.insert(3, f"{current.isoformat()} 14:03:11.512 [ERROR] 调用 FOS 超时 (7016)，重试 1 次后成功")
            if program == "OTCTranSZT":
                path = folder / "OTCTranSZT" / f"OTCTranSZT_{stamp}.txt"
            else:
                path = folder / f"{program}_{stamp}.log"
            written.append(text_file(path, "\r\n".join(lines) + "\r\n", closed))
    return written


def sparse_file(path: Path, size: int, when: datetime) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.truncate(size)
    stamp = when.timestamp()
    os.utime(path, (stamp, stamp))
    return path


def text_file(path: Path, text: str, when: datetime, encoding: str = "gbk") -> Path:
    """A text file as a Chinese Windows program writes it (GBK, CRLF), modified at ``when``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    stamp = when.timestamp()
    os.utime(path, (stamp, stamp))
    return path
