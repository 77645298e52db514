"""What the WinRM connector tells an operator, pinned with data: sc refusals, 401s, certificates."""

from __future__ import annotations

import pytest

from otcctl.connectors.sqlplus import sudo_refusal
from otcctl.connectors.winrm_failures import (
    PresentedCertificate,
    is_local_account,
    out_of_shell_memory,
    quota_message,
    rejected_message,
    sc_refusal,
    tls_message,
)

CERT = PresentedCertificate("CN=OTC-M5", ("OTC-M5",), "CN=OTC CA", False, "AB" * 20, "CD" * 32)
SELF = PresentedCertificate("CN=OTC-M5", ("OTC-M5",), "CN=OTC-M5", True, "AB" * 20, "CD" * 32)


@pytest.mark.parametrize(("code", "output", "expected"), [
    (5, "[SC] OpenService 失败 5:\n\n拒绝访问。\n", "access denied: OTC\\otcmon may not control services on M5"),
    (1051, "[SC] ControlService 失败 1051:\n\n停止控制被发送到其他正在运行的服务所依赖的服务。\n", "sc enumdepend FOS"),
    (1058, "[SC] StartService FAILED 1058:\n\nThe service cannot be started\n", "sc config FOS start= demand"),
    (2, "发生系统错误 5。\n\n拒绝访问。\n", "Administrators"),
    (1060, "[SC] OpenService 失败 1060:\n", "windows_service"),
    (2, "发生系统错误 1053。\n\n服务没有及时响应启动或控制请求。\n", "error 1053"),
])
def test_sc_refusals_say_why_waiting_cannot_help(code: int, output: str, expected: str) -> None:
    message = sc_refusal(code, output, service="FOS", host="M5", user="OTC\\otcmon")
    assert message is not None and expected in message


@pytest.mark.parametrize(("code", "output"), [
    (0, "STATE : 3 STOP_PENDING"), (1062, "[SC] ControlService 失败 1062:\n\n服务尚未启动。"),
    (1061, "[SC] ControlService 失败 1061:"), (None, ""),
])
def test_what_waiting_may_fix_is_no_refusal(code: int | None, output: str) -> None:
    assert sc_refusal(code, output, service="FOS", host="M5", user="u") is None


def test_a_shell_quota_names_the_setting() -> None:
    message = quota_message("M5", "OTC\\otcops", "M5", "This user is allowed a maximum number of 5 concurrent shells.")
    assert "MaxShellsPerUser" in message and "5 concurrent shells" in message


def test_local_accounts_get_the_uac_cause_and_domain_accounts_the_password() -> None:
    assert is_local_account(".\\otcadmin") and is_local_account("otcadmin")
    assert is_local_account("OTC-M5\\admin", "OTC-M5.otc.example") and not is_local_account("OTC\\otcops", "OTC-M5")
    local = rejected_message("M5 (https://x:5986/wsman)", ".\\otcadmin", "ntlm", "M5")
    assert "LocalAccountTokenFilterPolicy" in local and "password" in local
    domain = rejected_message("M5 (https://x:5986/wsman)", "OTC\\otcops", "ntlm", "M5")
    assert "wrong password" in domain and "UAC" not in domain


def test_certificate_messages_name_the_exact_fix() -> None:
    mismatch = tls_message("M5", "M5", "IP address mismatch, certificate is not valid for '10.0.0.5'", CERT,
                           "10.0.0.5")
    assert "server_name: OTC-M5" in mismatch and "AB" * 20 in mismatch
    unknown = tls_message("M5", "M5", "unable to get local issuer certificate", CERT, "10.0.0.5")
    assert "ca_bundle" in unknown and "CN=OTC CA" in unknown and "server_name: OTC-M5" in unknown
    own = tls_message("M5", "M5", "self-signed certificate", SELF, "OTC-M5")
    assert "self-signed" in own and "Export-Certificate" in own and "server_name" not in own
    expired = tls_message("M5", "M5", "certificate has expired", CERT, "OTC-M5")
    assert "renew" in expired


@pytest.mark.parametrize(("stderr", "expected"), [
    ("sudo: sorry, you must have a tty to run sudo", "'Defaults:otcops !requiretty'"),
    ("sudo: illegal option `-n'", "sudo: sudo -u {user} -i"),
    ("Sorry, user otcops is not allowed to execute 'env ...' as oracle on M1.", "otcops ALL=(oracle) NOPASSWD: ALL"),
    ("sudo: a password is required", "NOPASSWD"),
])
def test_sudo_refusals_name_what_the_site_changes(stderr: str, expected: str) -> None:
    message = sudo_refusal(stderr, login="otcops", target="oracle", host="M1")
    assert message is not None and expected in message
    assert sudo_refusal("ORA-01034: ORACLE not available", login="otcops", target="oracle", host="M1") is None


def test_running_out_of_shell_memory_names_max_memory_per_shell() -> None:
    powershell = '<S S="Error">Get-Content : 引发类型为“System.OutOfMemoryException”的异常。_x000D__x000A_</S>'
    for output in (powershell, "The paging file is too small for this operation to complete.\r\n",
                   "存储空间不足，无法处理此命令。\r\n"):
        why = out_of_shell_memory(output, "M5")
        assert why is not None and "ran out of memory on M5" in why and "MaxMemoryPerShellMB" in why
    assert out_of_shell_memory("[SC] OpenService 失败 1060:\r\n", "M5") is None
