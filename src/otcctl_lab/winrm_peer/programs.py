"""The cmd.exe programs the peer emulates: sc, net, shutdown, ping, timeout, hostname, whoami, echo.

Output imitates a Chinese Windows Server (labels of ``sc query`` stay English there, messages
of ``sc``/``net``/``ping`` are Chinese) and exit codes are the real ones (``sc`` returns the
Win32 error, ``net`` returns 2). Any option or form not listed here is refused with
"not emulated", so a runbook never passes in the lab with a command production would reject.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from otcctl_lab.winrm_peer.host import ServiceSpec, ServiceState
from otcctl_lab.winrm_peer.process import STATUS_CONTROL_C_EXIT, Invocation

Program = Callable[[Invocation, list[str]], int]
_SC_STATE = {"stopped": "1  STOPPED", "start_pending": "2  START_PENDING",
             "stop_pending": "3  STOP_PENDING", "running": "4  RUNNING"}
_SC_ERRORS = {
    5: ("OpenService", "拒绝访问。"),
    1051: ("ControlService", "停止控制被发送到其他正在运行的服务所依赖的服务。"),
    1056: ("StartService", "服务的实例已在运行中。"),
    1060: ("OpenService", "指定的服务未安装。"),
    1061: ("ControlService", "服务此时无法接受控制信息。"),
    1062: ("ControlService", "服务尚未启动。"),
}
_LOCAL_TARGETS = {"127.0.0.1", "localhost"}


def not_emulated(inv: Invocation, what: str) -> int:
    """Refuse loudly: exit 1 and say so on stderr; the peer never pretends success."""
    inv.cmd.err(f"not emulated: {what}\n")
    return 1


def _sc_block(service: ServiceSpec, state: ServiceState, ex: bool = False) -> str:
    controls = ("(STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)" if state == "running"
                else "(NOT_STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)")
    lines = [
        f"SERVICE_NAME: {service.sc_name}",
        "        TYPE               : 10  WIN32_OWN_PROCESS",
        f"        STATE              : {_SC_STATE[state]}",
        f"                                {controls}",
        "        WIN32_EXIT_CODE    : 0  (0x0)",
        "        SERVICE_EXIT_CODE  : 0  (0x0)",
        "        CHECKPOINT         : 0x0",
        f"        WAIT_HINT          : {'0x7d0' if state.endswith('pending') else '0x0'}",
    ]
    if ex:
        pid = service.pid if state != "stopped" else 0
        lines += [f"        PID                : {pid}", "        FLAGS              :"]
    return "\n" + "\n".join(lines) + "\n"


def _sc_error(inv: Invocation, code: int) -> int:
    call, text = _SC_ERRORS[code]
    inv.cmd.out(f"[SC] {call} 失败 {code}:\n\n{text}\n\n")
    return code


def sc(inv: Invocation, args: list[str]) -> int:
    """``sc query|queryex|qc|start|stop NAME`` and ``sc query`` (running services)."""
    host = inv.machine.host
    verb = args[0].lower() if args else ""
    if verb in ("query", "queryex") and len(args) == 1:
        for each in host.services:
            if host.state(each) != "stopped":
                inv.cmd.out(_sc_block(each, host.state(each), verb == "queryex"))
        return 0
    if verb not in ("query", "queryex", "qc", "start", "stop") or len(args) != 2:
        return not_emulated(inv, "sc " + " ".join(args))
    service = host.find(args[1])
    if service is None:
        return _sc_error(inv, 1060)
    if verb == "qc":
        inv.cmd.out(_sc_config(service))
        return 0
    if verb in ("start", "stop"):
        if not inv.machine.rights.may_control_services(inv.user):
            return _sc_error(inv, 5)
        if verb == "stop" and host.faults.get("dependents-running", service.sc_name) is not None \
                and host.state(service) == "running":
            return _sc_error(inv, 1051)
        state = host.state(service)
        if not host.request(service, running=verb == "start"):
            if state.endswith("pending"):
                return _sc_error(inv, 1061)
            return _sc_error(inv, 1056 if verb == "start" else 1062)
    inv.cmd.out(_sc_block(service, host.state(service), ex=verb != "query"))
    return 0


def _sc_config(service: ServiceSpec) -> str:
    start = "2   AUTO_START" if service.autostart else "3   DEMAND_START"
    return (
        "[SC] QueryServiceConfig 成功\n\n"
        f"SERVICE_NAME: {service.sc_name}\n"
        "        TYPE               : 10  WIN32_OWN_PROCESS\n"
        f"        START_TYPE         : {start}\n"
        "        ERROR_CONTROL      : 1   NORMAL\n"
        f"        BINARY_PATH_NAME   : D:\\ABOSS2\\bin\\{service.sc_name}.exe\n"
        "        LOAD_ORDER_GROUP   :\n"
        "        TAG                : 0\n"
        f"        DISPLAY_NAME       : {service.title}\n"
        "        DEPENDENCIES       :\n"
        "        SERVICE_START_NAME : LocalSystem\n"
    )


def net(inv: Invocation, args: list[str]) -> int:
    """``net start`` (list), ``net start NAME``, ``net stop NAME [/y]``; waits like the real one."""
    host = inv.machine.host
    words = [a for a in args if a.lower() != "/y"]
    verb = words[0].lower() if words else ""
    if verb == "start" and len(words) == 1:
        running = [s.title for s in host.services if host.state(s) == "running"]
        inv.cmd.out("已经启动以下 Windows 服务:\n\n" + "".join(f"   {t}\n" for t in running) + "\n命令成功完成。\n\n")
        return 0
    if verb not in ("start", "stop") or len(words) < 2:
        return not_emulated(inv, "net " + " ".join(args))
    name = " ".join(words[1:])
    found = host.find(name) or next((s for s in host.services if s.title.lower() == name.lower()), None)
    if found is None:
        return _net_error(inv, "服务名无效。", 2185)
    service = found
    starting = verb == "start"
    if not inv.machine.rights.may_control_services(inv.user):
        inv.cmd.err("发生系统错误 5。\n\n拒绝访问。\n\n")
        return 2
    if host.state(service).endswith("pending"):
        return _net_error(inv, "服务正在启动或停止中，请稍候片刻后再试一次。", 2189)
    if not host.request(service, running=starting):
        if starting:
            return _net_error(inv, "请求的服务已经启动。", 2182)
        return _net_error(inv, f"没有启动 {service.title} 服务。", 3521)
    inv.cmd.out(f"{service.title} 服务正在{'启动' if starting else '停止'} .\n")
    host.wait_settled(service, inv.cmd.cancel)
    inv.cmd.out(f"{service.title} 服务{'已经启动成功' if starting else '已成功停止'}。\n\n")
    return 0


def _net_error(inv: Invocation, text: str, helpmsg: int) -> int:
    inv.cmd.err(f"{text}\n\n请键入 NET HELPMSG {helpmsg} 以获得更多的帮助。\n\n")
    return 2


def shutdown(inv: Invocation, args: list[str]) -> int:
    """``shutdown /r [/f] [/t N] [/d ...] [/c "..."]``: returns at once, the host goes down shortly after."""
    flags: dict[str, str | None] = {}
    rest = iter(args)
    for arg in rest:
        key = arg.lower().lstrip("/-")
        if not re.match(r"^[/-]", arg) or key not in ("r", "f", "t", "d", "c"):
            return not_emulated(inv, "shutdown " + " ".join(args))
        flags[key] = next(rest, None) if key in ("t", "d", "c") else None
    delay = flags.get("t") or "30"
    if "r" not in flags or not delay.isdigit():
        return not_emulated(inv, "shutdown " + " ".join(args) + " (only restarts, /r, are emulated)")
    if not inv.machine.rights.may_control_services(inv.user):
        inv.cmd.err(f"{inv.machine.hostname}: 拒绝访问。(5)\n")
        return 5
    if int(delay) == 0 and "f" not in flags and inv.machine.host.faults.get("reboot-held") is not None:
        # an interactive program refuses to close; without /f (implied only by /t > 0) Windows gives up
        return 0
    inv.machine.host.reboot(float(delay))
    return 0


def ping(inv: Invocation, args: list[str]) -> int:
    """``ping [-n N] [-w MS] 127.0.0.1``: one reply a second, interruptible, local targets only."""
    count, targets, rest = 4, [], iter(args)
    for arg in rest:
        if arg.lower() in ("-n", "/n", "-w", "/w"):
            value = next(rest, "")
            if not value.isdigit():
                return not_emulated(inv, "ping " + " ".join(args))
            count = int(value) if arg.lower().endswith("n") else count
        elif arg.startswith(("-", "/")):
            return not_emulated(inv, "ping " + " ".join(args))
        else:
            targets.append(arg)
    if len(targets) != 1 or targets[0].lower() not in _LOCAL_TARGETS:
        return not_emulated(inv, "ping " + " ".join(args) + " (only 127.0.0.1 is emulated)")
    inv.cmd.out("\n正在 Ping 127.0.0.1 具有 32 字节的数据:\n")
    sent = 0
    for index in range(count):
        if index and not inv.cmd.sleep(1.0):
            break
        inv.cmd.out("来自 127.0.0.1 的回复: 字节=32 时间<1ms TTL=128\n")
        sent += 1
    inv.cmd.out(f"\n127.0.0.1 的 Ping 统计信息:\n    数据包: 已发送 = {sent}，已接收 = {sent}，丢失 = 0 (0% 丢失)，\n"
                "往返行程的估计时间(以毫秒为单位):\n    最短 = 0ms，最长 = 0ms，平均 = 0ms\n")
    if inv.cmd.cancel.is_set():
        inv.cmd.out("Control-C\n^C")
        return STATUS_CONTROL_C_EXIT
    return 0


def timeout(inv: Invocation, args: list[str]) -> int:
    """``timeout /t N [/nobreak]``: waits N seconds; like timeout.exe it refuses a redirected stdin."""
    lowered = [a.lower() for a in args]
    if len(args) not in (2, 3) or lowered[0] != "/t" or not args[1].isdigit() or lowered[2:] not in ([], ["/nobreak"]):
        return not_emulated(inv, "timeout " + " ".join(args))
    if not inv.console_stdin:
        inv.cmd.err("错误: 不支持输入重定向，立即退出此进程。\n")
        return 1
    hint = "按 CTRL+C 退出" if "/nobreak" in lowered else "按一个键继续"
    inv.cmd.out(f"\n等待 {int(args[1])} 秒，{hint} ...")
    if not inv.cmd.sleep(float(args[1])):
        return STATUS_CONTROL_C_EXIT
    inv.cmd.out("\n")
    return 0


def hostname(inv: Invocation, args: list[str]) -> int:
    if args:
        return not_emulated(inv, "hostname " + " ".join(args))
    inv.cmd.out(inv.machine.hostname + "\n")
    return 0


def whoami(inv: Invocation, args: list[str]) -> int:
    """``whoami`` and ``whoami /groups`` (the groups follow the user's role in the lab)."""
    if [a.lower() for a in args] == ["/groups"]:
        role = inv.machine.rights.role(inv.user)
        rows = [("Everyone", "已知组", "必需的组, 启用于默认, 启用的组")]
        if role == "administrator":
            rows.append(("BUILTIN\\Administrators", "别名", "必需的组, 启用于默认, 启用的组, 组的所有者"))
        if role == "remote-management":
            rows.append(("BUILTIN\\Remote Management Users", "别名", "必需的组, 启用于默认, 启用的组"))
        rows.append(("NT AUTHORITY\\NETWORK", "已知组", "必需的组, 启用于默认, 启用的组"))
        inv.cmd.out("\n组信息\n-----------------\n\n" + f"{'组名':<40} {'类型':<8} 属性\n"
                    + "".join(f"{name:<40} {kind:<8} {attrs}\n" for name, kind, attrs in rows))
        return 0
    if args:
        return not_emulated(inv, "whoami " + " ".join(args))
    inv.cmd.out(inv.user.lower() + "\n")
    return 0


def chcp(inv: Invocation, args: list[str]) -> int:
    """``chcp``: the shell's code page (changing it is not emulated)."""
    if args:
        return not_emulated(inv, "chcp " + " ".join(args))
    inv.cmd.out(f"活动代码页: {inv.cmd.codepage}\n")
    return 0


def winrm(inv: Invocation, args: list[str]) -> int:
    """``winrm get winrm/config/winrs``: the shell quotas this peer enforces."""
    if [a.lower() for a in args] != ["get", "winrm/config/winrs"]:
        return not_emulated(inv, "winrm " + " ".join(args))
    from otcctl_lab.winrm_peer.wsman import quotas_for

    quotas = quotas_for(inv.machine.winrm_version)
    idle = 900000 if quotas.version == "2.0" else 7200000
    inv.cmd.out(f"Winrs\n    AllowRemoteShellAccess = true\n    IdleTimeout = {idle}\n"
                f"    MaxConcurrentUsers = {quotas.max_concurrent_users}\n    MaxShellRunTime = 2147483647\n"
                f"    MaxProcessesPerShell = {15 if quotas.version == '2.0' else 25}\n"
                f"    MaxMemoryPerShellMB = {quotas.max_memory_per_shell_mb}\n"
                f"    MaxShellsPerUser = {quotas.max_shells_per_user}\n\n")
    return 0


PROGRAMS: dict[str, Program] = {
    "sc": sc, "net": net, "shutdown": shutdown, "ping": ping, "timeout": timeout,
    "hostname": hostname, "whoami": whoami, "chcp": chcp, "winrm": winrm,
}
