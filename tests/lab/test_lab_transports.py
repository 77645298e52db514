"""The lab takes production's transports and rights: real pywinrm and paramiko against the lab's peers.

WinRM runs over HTTPS on 5986 with certificate validation, against certificates a lab CA issued
to the host names (as a site issues them) while otcctl connects by address; the peers know users
with an administrator's, a Remote Management User's, no and a UAC-filtered local account's rights;
cmd.exe's line limit and WinRM 2.0's shell quotas are enforced; sqlplus goes through the
database hosts' sudo, which can be set to requiretty.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from winrm.exceptions import WSManFaultError
from winrm.protocol import Protocol

from otcctl.connectors.base import ConnectionFailed, SqlFailed
from otcctl.connectors.winrm import WinrmConnector, winrm_answers
from otcctl.model.inventory import Host, Inventory, load_inventory
from otcctl.model.yamlsource import load_yaml
from otcctl.secrets import Secret
from otcctl_lab import Lab, faults, lab_down
from tests.helpers import RUNBOOKS
from tests.lab.test_lab_faults import reasons, run, start_private_lab, step


def lab_inventory(lab: Lab) -> Inventory:
    return load_inventory(lab.inventory_path).inventory


def as_user(host: Host, user: str, **winrm: object) -> Host:
    assert host.winrm is not None
    return host.model_copy(update={"user": user, "winrm": host.winrm.model_copy(update=winrm)})


def test_winrm_uses_production_settings_with_the_lab_ca(lab: Lab) -> None:
    m5 = lab_inventory(lab).hosts["M5"]
    assert m5.winrm is not None and (m5.port, m5.winrm.scheme, m5.winrm.cert_validation) == (5986, "https", True)
    assert m5.winrm.ca_bundle == str(lab.layout.pki_dir / "ca.pem") and m5.winrm.server_name == "OTC-M5"
    password = Secret(lab.winrm_password())
    assert WinrmConnector(m5, password, label="M5").run("hostname", 15).stdout == "OTC-M5\n"

    with pytest.raises(ConnectionFailed) as mismatch:
        WinrmConnector(as_user(m5, m5.user, server_name=None), password, label="M5").run("hostname", 15)
    assert "server_name: OTC-M5" in str(mismatch.value) and m5.address in str(mismatch.value)
    with pytest.raises(ConnectionFailed) as unknown:
        WinrmConnector(as_user(m5, m5.user, ca_bundle=None), password, label="M5").run("hostname", 15)
    assert "ca_bundle" in str(unknown.value) and "OTC lab CA" in str(unknown.value)


def test_rights_tell_wrong_password_from_not_allowed(lab: Lab) -> None:
    m5 = lab_inventory(lab).hosts["M5"]
    password = Secret(lab.winrm_password())
    monitor = WinrmConnector(as_user(m5, "OTC\\otcmon"), password, label="M5")
    assert monitor.run("sc query FOS", 15).exit_code == 0  # a Remote Management User connects and reads
    refused = monitor.run("sc stop FOS", 15)
    assert refused.exit_code == 5 and "拒绝访问" in refused.stdout

    cases = (
        ("OTC\\otcguest", password, "is not allowed to use WinRM"),
        (".\\otcadmin", password, "LocalAccountTokenFilterPolicy"),
        ("OTC\\otcops", Secret("not-the-password"), "wrong password"),
    )
    for user, secret, expected in cases:
        with pytest.raises(ConnectionFailed) as caught:
            WinrmConnector(as_user(m5, user), secret, label="M5").run("hostname", 15)
        assert expected in str(caught.value), (user, str(caught.value))
        assert lab.winrm_password() not in str(caught.value)
    with pytest.raises(ConnectionFailed, match="not allowed"):  # waiting for a reboot cannot grant a right
        winrm_answers(as_user(m5, "OTC\\otcguest"), password)


def test_cmd_refuses_a_line_longer_than_8191(lab: Lab) -> None:
    m5 = lab_inventory(lab).hosts["M5"]
    connector = WinrmConnector(m5, Secret(lab.winrm_password()), label="M5")
    assert connector.run("echo " + "x" * 8186, 15).exit_code == 0
    too_long = connector.run("echo " + "x" * 8187, 15)
    assert too_long.exit_code == 1 and "命令行太长" in too_long.stderr


def test_sqlplus_goes_through_sudo_and_requiretty_is_named(lab: Lab) -> None:
    from otcctl.connectors.pool import Connections
    from otcctl.secrets import Masker

    inventory = lab_inventory(lab)
    assert inventory.databases["OTCDB"].os_user == "oracle"
    connections = Connections(inventory, Masker())
    try:
        result = connections.sql("OTCDB", "M1").query("select 'ok' as x from dual", {}, 60, 1)
        assert result.rows == (("ok",),)
        decisions = [json.loads(line) for line in
                     (lab.layout.host_root("M1") / "var" / "log" / "sudo.log").read_text().splitlines()]
        assert decisions[-1]["runas"] == "oracle" and decisions[-1]["decision"] == "allowed"
        faults.inject(lab.layout, lab.spec, "M1", "sudo-requiretty")
        try:
            with pytest.raises(SqlFailed) as caught:
                connections.sql("OTCDB", "M1").query("select 'ok' as x from dual", {}, 60, 1)
        finally:
            faults.clear(lab.layout, lab.spec, "M1")
        assert f"Defaults:{lab.spec.user} !requiretty" in str(caught.value)
        assert "NOPASSWD" not in str(caught.value)
    finally:
        connections.close_all()


@pytest.fixture(scope="module")
def http_winrm2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A lab whose Windows hosts speak plain HTTP with sealing and keep WinRM 2.0's quotas."""
    private = start_private_lab(tmp_path_factory.mktemp("http-lab"), winrm_scheme="http", winrm_version="2.0")
    try:
        yield private
    finally:
        lab_down(private.layout.root)


def test_http_with_sealing_and_winrm_2_quotas(http_winrm2: Lab) -> None:
    m5 = lab_inventory(http_winrm2).hosts["M5"]
    assert m5.winrm is not None and (m5.port, m5.winrm.scheme) == (5985, "http")
    password = http_winrm2.winrm_password()
    assert WinrmConnector(m5, Secret(password), label="M5").run("whoami", 15).stdout == "otc\\otcops\n"
    protocol = Protocol(f"http://{m5.address}:5985/wsman", transport="ntlm", username=m5.user, password=password,
                        message_encryption="always", server_cert_validation="ignore")
    shells = [protocol.open_shell() for _ in range(5)]
    try:
        with pytest.raises(WSManFaultError) as caught:
            protocol.open_shell()
        assert "maximum number of 5 concurrent shells" in str(caught.value.reason)
        with pytest.raises(ConnectionFailed, match=r"5 concurrent shells.*MaxShellsPerUser"):  # and what to raise
            WinrmConnector(m5, Secret(password), label="M5").run("hostname", 15)
    finally:
        for shell in shells:
            protocol.close_shell(shell)
    listing = WinrmConnector(m5, Secret(password), label="M5").run("winrm get winrm/config/winrs", 15).stdout
    assert "MaxShellsPerUser = 5" in listing and "MaxMemoryPerShellMB = 150" in listing


def test_a_step_past_winrm_2_max_memory_per_shell_is_told_as_such(http_winrm2: Lab, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """clearing's backup-log-ok holds the whole exp log; a big one passes WinRM 2.0's 150 MB per shell."""
    monkeypatch.setenv("OTCLAB_WINRM_PASSWORD", http_winrm2.winrm_password())
    stamp = http_winrm2.spec.date
    log = next((http_winrm2.layout.state_dir / "M5" / "drives").glob(f"*/backup/OTCDB_{stamp}.log"))
    seeded = log.read_bytes()
    partitions = "".join(f". . 正在导出分区                 P{n:07d}导出了        {n % 9000:>4} 行\r\n"
                         for n in range(200_000))  # a partitioned schema: one line per partition
    log.write_bytes(seeded + partitions.encode("gbk"))
    try:
        book = load_yaml(RUNBOOKS / "clearing.yaml").data
        book["steps"] = [s for s in book["steps"] if s["id"] == "backup-log-ok"]
        folder = tmp_path / "runbooks"
        folder.mkdir()
        (folder / "clearing.yaml").write_text(yaml.safe_dump(book, allow_unicode=True), encoding="utf-8")
        result, _ = run(http_winrm2, "clearing", runbooks=folder)
    finally:
        log.write_bytes(seeded)
    check = step(result, "backup-log-ok")
    assert result.outcome == "failed" and check.outcome == "failed"
    assert "ran out of memory on M5" in reasons(check) and "MaxMemoryPerShellMB" in reasons(check)
    assert "150 MB by default on WinRM 2.0" in reasons(check)
    assert check.attempts == 1  # the same log hits the same quota again: no retry
    assert "System.OutOfMemoryException" in check.targets[0].stderr
