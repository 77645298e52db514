"""The WinRM connector against the WinRM peer: real pywinrm, real NTLM, real message sealing.

Two emulated middleware hosts (M5, M6) run in this process on NET.15/16, NET the first free
network of this worker's block of 127.0.80-99 (tests/networks.py; OTCTEST_WINRM_NETWORK pins it in
a serial run): not a session lab's network, whose listener daemon already holds NET.15:5001 and the
other middleware ports. Pure parsing (sc output,
CLIXML, decoding) is pinned with data at the end.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from otcctl.connectors.base import ConnectionFailed, UnsupportedStep
from otcctl.connectors.winrm import (
    WinrmConnector,
    clixml_to_text,
    codepage_for,
    decode_output,
    parse_sc_state,
    powershell_line,
    service_state,
    winrm_answers,
)
from otcctl.model.inventory import Host
from otcctl.secrets import Secret
from otcctl_lab.winrm_peer import Peer, PeerError, PeerOptions, ServiceSpec, seed_backups, start_peer
from otcctl_lab.winrm_peer.tls import write_self_signed
from tests.networks import WINRM_PEERS, candidates


def _free_network() -> str:
    """The first loopback /24 whose .15/.16 WinRM and service ports are free (other test runs may hold some)."""
    import socket

    pinned = os.environ.get("OTCTEST_WINRM_NETWORK")
    for network in candidates(WINRM_PEERS, serial_first=pinned):  # this worker's block of 127.0.80-99 first
        probes = []
        try:
            for last in (15, 16):
                for port in (5985, 5986, 5001, 7016, 9109):
                    sock = socket.socket()
                    probes.append(sock)
                    sock.bind((f"{network}.{last}", port))
            return network
        except OSError:
            continue
        finally:
            for sock in probes:
                sock.close()
    raise RuntimeError("no free loopback network for the WinRM peers")


NETWORK = _free_network()
M5, M6 = f"{NETWORK}.15", f"{NETWORK}.16"
USER = "OTC\\otcops"
M5_SERVICES = (
    ServiceSpec("MCenter", 5001, autostart=False, start_order=1, display_name="消息中心"),
    ServiceSpec("FOS", 7016, autostart=True, start_order=2, display_name="FOS 数据库服务"),
    ServiceSpec("OTCTranSZT", None, autostart=False, start_order=5, display_name="顶点报盘"),
)
M6_SERVICES = (
    ServiceSpec("FOS", 7016, autostart=True, start_order=2, display_name="FOS 数据库服务"),
    ServiceSpec("RS", 9109, autostart=False, start_order=4, display_name="RS 路由转发"),
)


@dataclass(frozen=True)
class Estate:
    password: Secret
    users_file: Path
    m5: Peer
    m6: Peer
    tmp: Path

    def host(self, address: str, **winrm: Any) -> Host:
        settings = {"scheme": "http", "auth": "ntlm", "cert_validation": False, **winrm}
        port = 5986 if settings["scheme"] == "https" else 5985
        return Host.model_validate({
            "role": "中间件服务器", "address": address, "os": "windows", "transport": "winrm", "port": port,
            "kvm_order": 5, "user": USER, "credential": {"source": "env", "variable": "OTCLAB_WINRM_PASSWORD"},
            "winrm": settings, "encoding": "gbk",
        })

    def connector(self, address: str = M5, **winrm: Any) -> WinrmConnector:
        return WinrmConnector(self.host(address, **winrm), self.password, label="M5" if address == M5 else None)


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    tmp = tmp_path_factory.mktemp("winrm")
    password = "Pw-" + secrets.token_urlsafe(12)
    users = tmp / "ntlm_users"
    users.write_text(f"OTC:otcops:{password}\n", encoding="utf-8")
    seed_backups(tmp / "m5" / "drives", date(2025, 3, 14), 6, dump_size=5_000_000, archive_size=1_000_000,
                 missing_archives=(date(2025, 3, 10),))
    common: dict[str, Any] = {"pending_seconds": 0.2, "down_seconds": 1.0}
    m5 = start_peer(PeerOptions(M5, tmp / "m5", users, M5_SERVICES, hostname="OTC-M5", **common))
    try:
        m6 = start_peer(PeerOptions(M6, tmp / "m6", users, M6_SERVICES, hostname="OTC-M6", **common))
    except BaseException:
        m5.stop()
        raise
    try:
        yield Estate(Secret(password), users, m5, m6, tmp)
    finally:
        m6.stop()
        m5.stop()


def port_open(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_sc_query_shows_a_running_service(estate: Estate) -> None:
    out = estate.connector().run("sc query MCenter", timeout=15)
    assert out.exit_code == 0 and not out.timed_out
    assert "STATE              : 4  RUNNING" in out.stdout
    assert service_state(estate.connector(), "MCenter") == "running"
    assert port_open(M5, 5001)


def test_stop_service_stops_it_and_closes_its_port(estate: Estate) -> None:
    connector = estate.connector()
    stopped = connector.run("Stop-Service MCenter", timeout=15, shell="powershell")
    try:
        assert stopped.exit_code == 0, stopped.stderr
        query = connector.run("sc query MCenter", timeout=15)
        assert "1  STOPPED" in query.stdout
        assert not port_open(M5, 5001)
        assert "Stopped  MCenter" in connector.run("Get-Service MCenter", 15, shell="powershell").stdout
    finally:
        started = connector.run("Start-Service MCenter", timeout=15, shell="powershell")
    assert started.exit_code == 0 and port_open(M5, 5001)


def test_sc_stop_goes_through_stop_pending(estate: Estate) -> None:
    connector = estate.connector()
    stopping = connector.run("sc stop FOS", timeout=15)
    assert stopping.exit_code == 0 and "3  STOP_PENDING" in stopping.stdout
    assert wait_for(lambda: service_state(connector, "FOS") == "stopped", 5)
    assert connector.run("sc stop FOS", timeout=15).exit_code == 1062
    assert connector.run("net start FOS", timeout=15).stdout.strip().endswith("FOS 数据库服务 服务已经启动成功。")
    assert port_open(M5, 7016)


def test_chinese_output_arrives_in_gbk_and_decodes(estate: Estate) -> None:
    assert "DISPLAY_NAME       : 消息中心" in estate.connector().run("sc qc MCenter", 15).stdout
    assert "Running  MCenter            消息中心" in estate.connector().run("Get-Service MCenter", 15,
                                                                          shell="powershell").stdout
    from winrm.protocol import Protocol

    raw = Protocol(f"http://{M5}:5985/wsman", transport="ntlm", username=USER,
                   password=estate.password.reveal(), server_cert_validation="ignore", proxy=None)
    shell = raw.open_shell(codepage=936)
    command = raw.run_command(shell, "sc qc MCenter")
    stdout, _, code = raw.get_command_output(shell, command)
    raw.close_shell(shell)
    assert code == 0 and "消息中心".encode("gbk") in stdout and b"\r\n" in stdout


def test_wrong_password_is_a_connection_failure_without_the_password(estate: Estate) -> None:
    wrong = "Wrong-" + secrets.token_urlsafe(8)
    connector = WinrmConnector(estate.host(M5), Secret(wrong), label="M5")
    with pytest.raises(ConnectionFailed) as caught:
        connector.run("hostname", timeout=10)
    message = str(caught.value)
    assert "rejected the credentials of OTC\\otcops" in message
    assert wrong not in message and estate.password.reveal() not in message
    assert "\n" not in message
    with pytest.raises(ConnectionFailed):
        winrm_answers(estate.host(M5), Secret(wrong))


def test_timeout_terminates_the_remote_command(estate: Estate) -> None:
    started = time.monotonic()
    out = estate.connector().run("timeout /t 600", timeout=3)
    elapsed = time.monotonic() - started
    assert out.timed_out and out.exit_code is None and out.failed
    assert 2.5 <= elapsed < 5, elapsed
    assert "等待 600 秒" in out.stdout
    record = next(r for r in reversed(estate.m5.commands()) if r.command == "timeout /t 600")
    assert record.end_reason == "terminated" and record.ended is not None
    assert record.ended - record.started < 5


def test_cancel_terminates_the_remote_command_at_once(estate: Estate) -> None:
    cancel = threading.Event()
    threading.Timer(1.0, cancel.set).start()
    out = estate.connector().run("ping -n 600 127.0.0.1", timeout=60, cancel=cancel)
    assert out.cancelled and not out.timed_out and out.kill_delivered and out.duration < 3.5
    record = next(r for r in reversed(estate.m5.commands()) if r.command == "ping -n 600 127.0.0.1")
    assert record.end_reason == "terminated"


def test_ping_streams_output_and_finishes(estate: Estate) -> None:
    out = estate.connector().run("ping -n 2 127.0.0.1", timeout=10)
    assert out.exit_code == 0 and out.stdout.count("来自 127.0.0.1 的回复") == 2 and 0.9 < out.duration < 4


def test_reboot_goes_away_and_comes_back_with_autostart_services(estate: Estate) -> None:
    m6, password = estate.host(M6), estate.password
    connector = WinrmConnector(m6, password, label="M6")
    assert connector.run("net start RS", 15).exit_code in (0, 2)
    assert connector.run("shutdown /r /t 0", timeout=15).exit_code == 0
    assert wait_for(lambda: not winrm_answers(m6, password, timeout=1), 5), "M6 never went down"
    assert not port_open(M6, 7016) and not port_open(M6, 5985)
    with pytest.raises(ConnectionFailed, match="cannot connect"):
        connector.run("hostname", timeout=5)
    assert wait_for(lambda: winrm_answers(m6, password, timeout=1), 10), "M6 never came back"
    assert service_state(connector, "FOS") == "running" and port_open(M6, 7016)
    assert service_state(connector, "RS") == "stopped" and not port_open(M6, 9109)
    assert connector.run("hostname", 10).stdout == "OTC-M6\n"


def test_state_files_are_shared_with_the_lab(estate: Estate) -> None:
    state = estate.tmp / "m5" / "MCenter"
    assert state.read_text().strip() == "running"
    state.write_text("stopped\n")
    try:
        assert wait_for(lambda: not port_open(M5, 5001), 2)
        assert service_state(estate.connector(), "MCenter") == "stopped"
    finally:
        state.write_text("running\n")
    assert wait_for(lambda: port_open(M5, 5001), 2)


def test_a_taken_port_is_a_clear_start_failure(estate: Estate) -> None:
    with pytest.raises(PeerError, match=f"{M5}:5985 cannot listen"):
        start_peer(PeerOptions(M5, estate.tmp / "second", estate.users_file, ()))
    with pytest.raises(PeerError, match="not a loopback address"):
        # a documentation address (TEST-NET-1): refused before any socket is made
        start_peer(PeerOptions("192.0.2.15", estate.tmp / "real", estate.users_file, ()))


def test_unknown_commands_are_refused_not_faked(estate: Estate) -> None:
    connector = estate.connector()
    cmd = connector.run("format D: /q", timeout=10)
    assert cmd.exit_code == 1 and "not emulated: format D: /q" in cmd.stderr
    assert connector.run("sc query MCenter | findstr RUNNING", 10).exit_code == 1
    ps = connector.run("Get-Process", timeout=10, shell="powershell")
    assert ps.exit_code == 1 and ps.stderr == "not emulated: Get-Process\n"
    recurse = connector.run(r"Remove-Item -Path D:\backup -Recurse", timeout=10, shell="powershell")
    assert recurse.exit_code == 1 and "not emulated" in recurse.stderr
    assert connector.run(r"dir D:\backup\*.dmp /b", 10).stdout.count(".dmp") == 3


def test_powershell_errors_come_back_as_text(estate: Estate) -> None:
    out = estate.connector().run("Get-Service Nope", timeout=10, shell="powershell")
    assert out.exit_code == 1
    assert out.stderr.startswith("Get-Service : 找不到任何服务名称为“Nope”的服务。\n")
    assert "#< CLIXML" not in out.stderr and "_x000D_" not in out.stderr
    quiet = estate.connector().run("(Get-Service MCenter).Status", timeout=10, shell="powershell")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "Running\n", "")


def test_weekly_backup_cleanup_commands(estate: Estate) -> None:
    connector = estate.connector()
    listing = connector.run(r"dir D:\backup", 10)
    assert listing.exit_code == 0 and " D:\\backup 的目录" in listing.stdout and "可用字节" in listing.stdout
    table = connector.run(r"Get-ChildItem -Path D:\backup -Filter *.dmp", 10, shell="powershell")
    assert "    目录: D:\\backup\n" in table.stdout and table.stdout.count(".dmp") == 3
    archives = connector.run(r"Get-ChildItem -Path M:\backup -Filter *.rar -Name", 10, shell="powershell")
    assert "OTCDB_20250310.rar" not in archives.stdout and archives.stdout.count(".rar") == 5
    free = "(Get-PSDrive E).Free"
    before = int(connector.run(free, 10, shell="powershell").stdout)
    cleanup = (r"Get-ChildItem -Path E:\backup -Filter *.dmp | "
               r"Where-Object { $_.LastWriteTime -lt (Get-Date).AddDays(-3) } | Remove-Item")
    assert connector.run(cleanup, 15, shell="powershell").exit_code == 0
    assert connector.run(r"dir E:\backup\*.dmp", 10).exit_code == 1
    assert int(connector.run(free, 10, shell="powershell").stdout) == before + 3 * 5_000_000


def test_https_checks_the_certificate_and_binds_the_channel(estate: Estate) -> None:
    address = f"{NETWORK}.18"
    cert, key = estate.tmp / "peer.pem", estate.tmp / "peer.key"
    write_self_signed(cert, key, address)
    peer = start_peer(PeerOptions(address, estate.tmp / "https", estate.users_file, (), port=5986,
                                  tls_cert=cert, tls_key=key))
    try:
        with pytest.raises(ConnectionFailed, match="TLS certificate was not accepted"):
            estate.connector(address, scheme="https", cert_validation=True).run("hostname", 10)
        trusted = estate.connector(address, scheme="https", cert_validation=True, ca_bundle=str(cert))
        assert trusted.run("hostname", 10).stdout == "OTC-MW\n"
        assert estate.connector(address, scheme="https").run("whoami", 10).stdout == "otc\\otcops\n"
    finally:
        peer.stop()


def test_peer_refuses_what_a_default_winrm_service_refuses(estate: Estate) -> None:
    import xmltodict  # type: ignore[import-untyped]
    from winrm.exceptions import InvalidCredentialsError, WSManFaultError
    from winrm.protocol import Protocol

    def raw(encryption: str = "auto") -> Protocol:
        return Protocol(f"http://{M5}:5985/wsman", transport="ntlm", username=USER, password=estate.password.reveal(),
                        server_cert_validation="ignore", message_encryption=encryption, proxy=None)  # type: ignore[arg-type]

    with pytest.raises(InvalidCredentialsError):
        raw("never").open_shell()
    client = raw()
    cmd_shell = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
    powershell_remoting = "http://schemas.microsoft.com/powershell/microsoft.powershell"
    for action, resource, code in (
        ("http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate", cmd_shell, 2150858771),
        ("http://schemas.xmlsoap.org/ws/2004/09/transfer/Create", powershell_remoting, 2150858752),
    ):
        envelope = {"env:Envelope": client.build_wsman_header(action=action, resource_uri=resource)}
        envelope["env:Envelope"]["env:Body"] = {}
        with pytest.raises(WSManFaultError) as fault:
            client.send_message(xmltodict.unparse(envelope))
        assert fault.value.wsman_fault_code == code
    with pytest.raises(WSManFaultError) as gone:
        client.run_command("NO-SUCH-SHELL", "hostname")
    assert gone.value.wsman_fault_code == 2150858843


def test_nothing_listening_is_not_an_answer(estate: Estate) -> None:
    silent = estate.host(f"{NETWORK}.17")
    assert winrm_answers(silent, estate.password, timeout=1) is False
    with pytest.raises(ConnectionFailed, match="Connection refused"):
        WinrmConnector(silent, estate.password).run("hostname", 5)


def test_peer_runs_as_a_command_for_the_lab(estate: Estate, tmp_path: Path) -> None:
    address = f"{NETWORK}.19"
    services = tmp_path / "services.json"
    services.write_text(json.dumps([{"name": "BLS", "port": 9009, "autostart": True, "display_name": "BLS 业务逻辑"}]))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    child = subprocess.Popen(
        [sys.executable, "-m", "otcctl_lab.winrm_peer", "--address", address, "--state-dir", str(tmp_path / "state"),
         "--users-file", str(estate.users_file), "--services-json", str(services), "--hostname", "OTC-M5",
         "--backups-until", "20250314", "--backup-days", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert child.stdout is not None and "listening on http://" in child.stdout.readline()
        listing = estate.connector(address).run(r"dir D:\backup /b", 10).stdout
        assert listing == "OTCDB_20250314.dmp\nOTCDB_20250314.log\n"  # each day's export: the dump, exp's log
        assert port_open(address, 9009)
    finally:
        child.terminate()
        assert child.wait(timeout=10) == 0
    assert not port_open(address, 9009) and not port_open(address, 5985)


# Pure parts, pinned with data.

SC_ENGLISH = """
SERVICE_NAME: MCenter
        TYPE               : 10  WIN32_OWN_PROCESS
        STATE              : 3  STOP_PENDING
                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)
"""
SC_FAILED = "[SC] OpenService 失败 1060:\n\n指定的服务未安装。\n"


@pytest.mark.parametrize(("text", "state"), [
    (SC_ENGLISH, "stop_pending"),
    (SC_ENGLISH.replace("3  STOP_PENDING", "4  RUNNING"), "running"),
    ("        STATE              : 1  已停止\n", "stopped"),
    ("        STATE              : 2  START_PENDING\n", "start_pending"),
    ("        STATE              : 7  PAUSED\n", "unknown"),
    (SC_FAILED, "unknown"),
    ("", "unknown"),
])
def test_parse_sc_state(text: str, state: str) -> None:
    assert parse_sc_state(text) == state


def test_service_state_refuses_names_that_are_not_names(estate: Estate) -> None:
    with pytest.raises(ValueError):
        service_state(estate.connector(), "MCenter & shutdown /r")


def test_clixml_to_text() -> None:
    clixml = ('#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
              '<Obj S="progress" RefId="0"><MS><I64 N="SourceId">1</I64></MS></Obj>'
              '<S S="Error">Stop-Service : 无法停止_x000D__x000A_</S><S S="Error">a_x005F_x000D_b_x000D__x000A_</S>'
              '<S S="warning">slow_x000D__x000A_</S></Objs>')
    assert clixml_to_text(clixml) == "Stop-Service : 无法停止\na_x000D_b\nWARNING: slow\n"
    progress_only = clixml.split("<S ")[0] + "</Objs>"
    assert clixml_to_text(progress_only) == ""
    assert clixml_to_text("plain error\n") == "plain error\n"
    assert clixml_to_text("#< CLIXML\r\n<Objs broken") == "#< CLIXML\r\n<Objs broken"


def test_decoding_prefers_valid_utf8_then_the_host_encoding() -> None:
    assert decode_output("消息中心\r\n".encode("gbk"), "gbk") == "消息中心\n"
    assert decode_output("消息中心".encode(), "gbk") == "消息中心"
    assert decode_output("消息中心".encode()[2:], "gbk", cut=True) == "息中心"
    assert decode_output("消abc".encode("gbk"), "gbk", cut=True) == "消abc"
    assert "目录".encode("gbk").decode("utf-8") == "Ŀ¼"  # valid UTF-8 by accident
    assert decode_output("    目录: D:\\backup\r\n".encode("gbk"), "gbk") == "    目录: D:\\backup\n"
    assert decode_output("“启动成功”".encode(), "gbk") == "“启动成功”"
    assert decode_output("café".encode(), "ascii") == "café"
    assert codepage_for("gbk") == codepage_for("cp936") == 936
    assert codepage_for("utf-8") == 65001 and codepage_for("cp1252") == 1252


def test_powershell_line_is_encoded_and_bounded() -> None:
    line = powershell_line("Get-Service '消息中心'")
    encoded = line.rsplit(" ", 1)[1]
    assert line.startswith("powershell -NoProfile -NonInteractive -EncodedCommand ")
    assert base64.b64decode(encoded).decode("utf-16-le") == "Get-Service '消息中心'"
    with pytest.raises(UnsupportedStep, match="split it"):
        powershell_line("Write-Output 1\n" * 400)


def _counting_logins(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every new connection (TLS handshake, certificate check, NTLM login) the connectors build."""
    built: list[str] = []
    original = WinrmConnector._protocol

    def counted(self: WinrmConnector, read_timeout: int) -> Any:
        built.append(self.label)
        return original(self, read_timeout)

    monkeypatch.setattr(WinrmConnector, "_protocol", counted)
    return built


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_one_connection_serves_every_command_of_a_run(
    estate: Estate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    """Over HTTPS (certificate checked by name) and over HTTP with NTLM sealing alike."""
    address = f"{NETWORK}.19"
    options: dict[str, Any] = {}
    if scheme == "https":
        from otcctl_lab.pki import issue_host_certificate, write_ca

        ca = write_ca(tmp_path / "pki")
        issued = issue_host_certificate(tmp_path / "pki", "OTC-M9", "m9")
        options = {"port": 5986, "tls_cert": issued.cert, "tls_key": issued.key}
    peer = start_peer(PeerOptions(address, tmp_path / "m9", estate.users_file, (), hostname="OTC-M9",
                                  service_ports=False, **options))
    built = _counting_logins(monkeypatch)
    tls = {"cert_validation": True, "ca_bundle": str(ca), "server_name": "OTC-M9"} if scheme == "https" else {}
    connector = estate.connector(address, scheme=scheme, **tls)
    try:
        outputs = [connector.run(f"echo {n}", 10) for n in range(5)]
        assert [o.stdout for o in outputs] == [f"{n}\n" for n in range(5)]
        assert len(built) == 1, "one login for five commands"
        wrong_name = estate.connector(address, scheme=scheme, **{**tls, "server_name": "OTC-M5"})
        if scheme == "https":  # every new connection is checked: a name the certificate does not carry fails
            with pytest.raises(ConnectionFailed, match="TLS"):
                wrong_name.run("hostname", 10)
    finally:
        connector.close()
        peer.stop()


def test_a_kept_connection_the_host_dropped_is_replaced_before_anything_runs(
    estate: Estate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The host restarted between two commands (a reboot): the next command opens a new connection, runs once."""
    address = f"{NETWORK}.20"
    peer = start_peer(PeerOptions(address, tmp_path / "m9", estate.users_file, (), service_ports=False))
    built = _counting_logins(monkeypatch)
    connector = estate.connector(address)
    try:
        assert connector.run("echo before", 10).stdout == "before\n"
        peer.stop()
        peer = start_peer(PeerOptions(address, tmp_path / "m9", estate.users_file, (), service_ports=False))
        assert connector.run("echo after", 10).stdout == "after\n"
        assert len(built) == 2
        peer.stop()
        with pytest.raises(ConnectionFailed, match="cannot connect"):  # down: reported, not hidden by the retry
            connector.run("echo down", 10)
    finally:
        connector.close()
        peer.stop()
