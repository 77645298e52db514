"""doctor --first-run's readings of real host output, pinned with data (Windows zh-CN and English, sudo)."""

from __future__ import annotations

from otcctl.connectors.base import CommandOutput
from otcctl.run.first_run import (
    judge_codepage,
    judge_drive,
    judge_groups,
    judge_powershell,
    judge_quotas,
    judge_service,
    judge_sudo_rules,
    judge_sudo_version,
    judge_systemctl,
)


def out(stdout: str, code: int = 0) -> CommandOutput:
    return CommandOutput(code, stdout, "", 0.1, False, False)


def test_quotas_of_winrm_2_are_read_and_too_small_ones_named() -> None:
    ok, detail = judge_quotas(out("Winrs\n    MaxMemoryPerShellMB = 150\n    MaxShellsPerUser = 5\n"))
    assert ok and "WinRM 2.0's defaults" in detail
    ok, detail = judge_quotas(out("Winrs\n    MaxMemoryPerShellMB = 80\n    MaxShellsPerUser = 1\n"))
    assert not ok and "winrm set winrm/config/winrs" in detail
    assert not judge_quotas(out("not emulated: winrm", 1))[0]


def test_groups_tell_an_administrator_from_a_filtered_token_and_a_remote_user() -> None:
    admin = "BUILTIN\\Administrators  Alias  S-1-5-32-544  Mandatory group, Enabled by default, Enabled group\n"
    filtered = "BUILTIN\\Administrators  Alias  S-1-5-32-544  Group used for deny only\n"
    filtered_zh = "BUILTIN\\Administrators  别名  S-1-5-32-544  仅用于拒绝的组\n"
    remote = "BUILTIN\\Remote Management Users  Alias  S-1-5-32-580  Enabled group\n"
    assert judge_groups(out(admin))[0]
    assert "LocalAccountTokenFilterPolicy" in judge_groups(out(filtered))[1]
    assert not judge_groups(out(filtered_zh))[0]
    ok, detail = judge_groups(out(remote))
    assert not ok and "Remote Management Users only" in detail and "error 5" in detail


def test_code_page_powershell_drive_and_service_readings() -> None:
    assert judge_codepage(out("活动代码页: 936\n"), 936, "gbk")[0]
    assert not judge_codepage(out("Active code page: 65001\n"), 936, "gbk")[0]
    assert judge_powershell(out("2.0\n")) == (True, judge_powershell(out("2.0\n"))[1])
    assert not judge_powershell(out("", 1))[0]
    assert judge_drive(out("True\n"))[0] and "UNC" in judge_drive(out("False\n"))[1]
    config = ("[SC] QueryServiceConfig 成功\n\nSERVICE_NAME: FOS\n        START_TYPE         : 4   DISABLED\n"
              "        DEPENDENCIES       : MCenter\n        SERVICE_START_NAME : LocalSystem\n")
    ok, detail = judge_service(out(config))
    assert not ok and "1058" in detail and "depends on MCenter" in detail
    assert "windows_service" in judge_service(out("[SC] OpenService 失败 1060:\n", 1060))[1]


def test_linux_readings_name_the_inventory_or_sudoers_change() -> None:
    assert "status_command" in judge_systemctl(out("no systemctl\n"))[1]
    assert not judge_sudo_version(out("Sudo version 1.6.9p17\n"))[0]
    assert judge_sudo_version(out("Sudo version 1.8.6p3\n"))[0]
    listing = ("Matching Defaults entries for otcops on this host:\n    requiretty, env_reset\n\n"
               "User otcops may run the following commands on this host:\n    (oracle) NOPASSWD: ALL\n")
    ok, detail = judge_sudo_rules(out(listing), "otcops", ["oracle"])
    assert not ok and "Defaults:otcops !requiretty" in detail
    good = "User otcops may run the following commands on this host:\n    (oracle) NOPASSWD: ALL\n" \
           "    (root) NOPASSWD: /sbin/shutdown\n"
    assert judge_sudo_rules(out(good), "otcops", ["oracle"])[0]
    assert not judge_sudo_rules(out("    (oracle) NOPASSWD: ALL\n"), "otcops", ["oracle"])[0]
    assert "otcops ALL=(oracle)" in judge_sudo_rules(out("    (root) NOPASSWD: ALL\n"), "otcops", ["oracle"])[1]
