"""The lab is a faithful enough peer: real SSH with host-key checks, ports that stop and start,
reboots that drop the host and bring it back with the same key, and nothing left running after.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest
from typer.testing import CliRunner

from otcctl.domain.ofd import check_ofd_file
from otcctl.model.inventory import load_inventory
from otcctl_lab import (
    PASSPHRASE_ENV,
    Lab,
    LabError,
    LabOptions,
    build,
    lab_down,
    lab_status,
    lab_up,
    lab_up_on_free_network,
    open_lab,
)
from otcctl_lab.cli import lab_app
from otcctl_lab.layout import LabLayout, LabSpec, loopback_address
from otcctl_lab.proc import descendants, pid_alive, port_open, read_pid, ssh_banner, wait_until
from tests.conftest import PRODUCTION_INVENTORY, start_lab
from tests.helpers import run_cli
from tests.networks import SESSION_LABS, candidates

LINUX_HOSTS = ("M1", "M2", "M3", "M4")


def connect(lab: Lab, host_id: str, *, key: Path | None = None, passphrase: str | None = None,
            known_hosts: Path | None = None) -> paramiko.SSHClient:
    """A paramiko client that trusts only the given known_hosts file, as otcctl's connector will."""
    host = lab.host(host_id)
    client = paramiko.SSHClient()
    client.load_host_keys(str(known_hosts or lab.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(
        host.address, port=host.ssh_port or 22, username=lab.spec.user, key_filename=str(key or lab.client_key),
        passphrase=passphrase, look_for_keys=False, allow_agent=False, timeout=5, banner_timeout=5, auth_timeout=5,
    )
    return client


def run(client: paramiko.SSHClient, command: str) -> tuple[int, str]:
    _, stdout, _ = client.exec_command(command, timeout=15)
    out = stdout.read().decode()
    return stdout.channel.recv_exit_status(), out


@pytest.fixture
def m3(lab: Lab) -> Iterator[paramiko.SSHClient]:
    client = connect(lab, "M3")
    yield client
    client.close()


@pytest.mark.parametrize("host_id", LINUX_HOSTS)
def test_each_linux_host_is_a_real_sshd_that_knows_which_host_it_is(lab: Lab, host_id: str) -> None:
    client = connect(lab, host_id)
    try:
        assert run(client, "echo $OTCLAB_HOST") == (0, f"{host_id}\n")
        assert run(client, "echo $OTCLAB_ROOT")[1].strip() == str(lab.layout.host_root(host_id))
    finally:
        client.close()


def test_a_host_key_missing_from_known_hosts_is_rejected(lab: Lab, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(paramiko.SSHException, match="not found in known_hosts"):
        connect(lab, "M1", known_hosts=empty)


def test_the_passphrase_key_works_only_with_its_passphrase(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, lab.passphrase())
    client = connect(lab, "M2", key=lab.passphrase_key, passphrase=os.environ[PASSPHRASE_ENV])
    try:
        assert run(client, "echo $OTCLAB_HOST") == (0, "M2\n")
    finally:
        client.close()
    with pytest.raises(paramiko.SSHException):
        connect(lab, "M2", key=lab.passphrase_key, passphrase="not-" + lab.passphrase())
    with pytest.raises(paramiko.PasswordRequiredException):
        connect(lab, "M2", key=lab.passphrase_key)


def test_every_service_port_accepts_connections(lab: Lab) -> None:
    ported = [(h.id, s.name, h.address, s.port) for h in lab.spec.hosts for s in h.services if s.port]
    assert {(h, p) for h, _, _, p in ported} >= {("M1", 1521), ("M1", 8303), ("M2", 8304), ("M3", 8020),
                                                 ("M5", 5001), ("M6", 9109)}
    for host_id, name, address, port in ported:
        assert address.startswith("127."), (host_id, name)
        with socket.create_connection((address, port), timeout=2):
            pass


def test_tomcat_stand_in_serves_a_page(lab: Lab) -> None:
    connection = http.client.HTTPConnection(lab.host("M4").address, 8020, timeout=3)
    connection.request("GET", "/")
    response = connection.getresponse()
    assert response.status == 200
    assert b"M4" in response.read()
    connection.close()


def test_stopping_a_service_refuses_its_port_until_started_again(lab: Lab) -> None:
    address = lab.host("M1").address

    def ctl(action: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(lab.ctl("service", "M1", "JiuqiaoSync", action), capture_output=True, text=True,
                              timeout=20, check=False)

    assert ctl("stop").returncode == 0
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, 8303), timeout=2)
    assert port_open(address, 1521), "only the stopped service goes away"
    status = ctl("status")
    assert (status.returncode, status.stdout) == (3, "inactive\n")
    assert ctl("start").returncode == 0
    assert port_open(address, 8303)
    status = ctl("status")
    assert (status.returncode, status.stdout) == (0, "active\n")


def test_inventory_service_commands_run_over_ssh_like_systemctl(lab: Lab, m3: paramiko.SSHClient) -> None:
    tomcat = load_inventory(lab.inventory_path).inventory.hosts["M3"].service("Tomcat")
    assert tomcat is not None and tomcat.stop_command and tomcat.start_command and tomcat.status_command
    assert run(m3, tomcat.stop_command)[0] == 0
    assert run(m3, tomcat.status_command) == (3, "inactive\n")
    assert run(m3, tomcat.start_command)[0] == 0
    assert run(m3, tomcat.status_command) == (0, "active\n")


def test_a_host_cannot_control_another_hosts_service(lab: Lab, m3: paramiko.SSHClient) -> None:
    listener = load_inventory(lab.inventory_path).inventory.hosts["M1"].service("OracleListener")
    assert listener is not None and listener.stop_command
    status, _ = run(m3, listener.stop_command + " 2>&1")
    assert status == 1
    assert port_open(lab.host("M1").address, 1521)


def test_ctl_names_an_unknown_service_with_exit_4(lab: Lab) -> None:
    done = subprocess.run(lab.ctl("service", "M3", "OracleListener", "status"), capture_output=True, text=True,
                          timeout=20, check=False)
    assert done.returncode == 4
    assert "Tomcat" in done.stderr


def test_reboot_drops_the_host_and_brings_it_back_with_the_same_key(lab: Lab, m3: paramiko.SSHClient) -> None:
    host = lab.host("M3")
    port = host.ssh_port or 22
    old_pid = read_pid(lab.layout.sshd_pid("M3"))
    assert run(m3, lab.ctl_line("service", "M3", "Tomcat", "stop"))[0] == 0
    reboot = load_inventory(lab.inventory_path).inventory.hosts["M3"].reboot_command
    assert reboot is not None
    started = time.monotonic()
    assert run(m3, reboot)[0] == 0
    # the host stays off 3 s (ctl's default): a reboot command that waited for it would take longer; the
    # margin below that is for a busy machine (parallel workers) starting ctl's Python over SSH
    assert time.monotonic() - started < 2.8, "reboot returns at once, like shutdown -r now"

    deadline = started + 5
    while ssh_banner(host.address, port, timeout=0.3) is not None:
        assert time.monotonic() < deadline, "host never went down"
        time.sleep(0.1)
    assert not port_open(host.address, 8020)
    deadline = started + 15
    while ssh_banner(host.address, port, timeout=0.3) is None:
        assert time.monotonic() < deadline, "host did not come back within 15 s"
        time.sleep(0.2)

    client = connect(lab, "M3")
    try:
        assert run(client, "echo $OTCLAB_HOST") == (0, "M3\n")
    finally:
        client.close()
    new_pid = read_pid(lab.layout.sshd_pid("M3"))
    assert new_pid is not None and new_pid != old_pid and pid_alive(new_pid)
    assert old_pid is not None and not pid_alive(old_pid)
    assert wait_until(lambda: port_open(host.address, 8020), 3), "Tomcat starts at boot though it was stopped before"


def test_generated_inventory_is_valid_and_points_only_at_the_lab(lab: Lab) -> None:
    inventory = load_inventory(lab.inventory_path).inventory
    text = lab.inventory_path.read_text(encoding="utf-8")
    assert text.startswith("# GENERATED")
    production = load_inventory(PRODUCTION_INVENTORY).inventory
    real = {h.address for h in production.hosts.values()} | {m.address for m in production.manual_only.values()}
    assert not [address for address in real if address and address in text]
    assert inventory.environment == "lab"
    assert inventory.known_hosts == str(lab.known_hosts)
    assert inventory.kvm_ordered(inventory.hosts) == ["M1", "M2", "M3", "M4", "M5", "M6"]
    for host_id, host in inventory.hosts.items():
        assert host.address == lab.host(host_id).address
    for host_id in LINUX_HOSTS:
        host = inventory.hosts[host_id]
        assert (host.port, host.user) == (lab.spec.ssh_port, lab.spec.user)
        assert host.credential.source == "key-file" and host.credential.path == str(lab.client_key)
        assert host.reboot_command and "otcctl_lab.ctl" in host.reboot_command
    for host_id in ("M5", "M6"):
        host = inventory.hosts[host_id]
        # production's transport (HTTPS on 5986, certificates validated) with the lab CA as the only trust
        assert host.port == 5986 and host.winrm is not None and host.winrm.scheme == "https"
        assert host.winrm.cert_validation and host.winrm.ca_bundle == str(lab.layout.pki_dir / "ca.pem")
        assert host.winrm.server_name == f"OTC-{host_id}"
    assert all(m.address is None for m in inventory.manual_only.values())
    assert set(inventory.databases) == {"OTCDB"} and set(inventory.departments) >= {"clearing"}


def test_todays_data_files_are_on_m4_and_well_formed(lab: Lab) -> None:
    inventory = load_inventory(lab.inventory_path).inventory
    date = lab.spec.date
    f1 = Path(inventory.data_files["F1"].path.replace("{{date}}", date))
    assert f1 == lab.layout.host_root("M4") / f"home/webuser/app/otc/QSFILE/{date}/FundDay/OFD_ZZ_189_{date}_07.TXT"
    f2 = inventory.data_files["F2"]
    paths = [f1, *(Path(f2.path.replace("{{date}}", date).replace("{{type}}", t)) for t in f2.types)]
    for path in paths:
        report = check_ofd_file(path, expected_date=date)
        assert report.ok, report.problems


def test_loopback_only() -> None:
    assert loopback_address("127.0.3", 1) == "127.0.3.11"
    for network in ("10.0.0", "0.0.0", "not.an.ip"):
        with pytest.raises(LabError):
            loopback_address(network, 1)


def test_up_refuses_a_directory_that_is_not_a_lab(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(LabError, match="not a lab"):
        lab_up(LabOptions(directory=tmp_path, inventory=PRODUCTION_INVENTORY))


def test_missing_sshd_is_one_paragraph_with_the_install_command(tmp_path: Path) -> None:
    done = run_cli("lab", "up", "--dir", str(tmp_path / "lab"), "--sshd", "/nonexistent/sshd",
                   "--inventory", str(PRODUCTION_INVENTORY))
    assert done.returncode == 1
    assert done.stderr.startswith("error: ") and "apt-get install openssh-server" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not (tmp_path / "lab").exists()


def test_cli_up_status_down_leaves_nothing_running(lab: Lab, tmp_path: Path) -> None:
    """A second lab on other loopback addresses, so the session's lab stays up for other tests."""
    directory = tmp_path / "lab"
    network = start_lab(directory, avoid=(lab.spec.network,)).spec.network
    runner = CliRunner()
    args = ["--dir", str(directory)]
    try:
        again = runner.invoke(lab_app, ["up", *args, "--inventory", str(PRODUCTION_INVENTORY)])
        assert again.exit_code == 0 and "already up" in again.output
        shown = runner.invoke(lab_app, ["status", *args])
        assert shown.exit_code == 0 and f"{network}.13" in shown.output
        status = lab_status(directory)
        assert status.all_up
        pids = {h.pid for h in status.hosts if h.pid is not None}
        assert len(pids) == 5, "four sshd and one listener daemon"
        session = connect(open_lab(directory), "M1")
        sessions = [p for pid in pids for p in descendants(pid)]
        assert sessions, "the open SSH session has processes under sshd"
    finally:
        down = runner.invoke(lab_app, ["down", *args])
    assert down.exit_code == 0, down.output
    assert not [pid for pid in (*pids, *sessions) if pid_alive(pid)]
    assert not port_open(f"{network}.11", 2222) and not port_open(f"{network}.15", 5001)
    assert not lab_status(directory).any_running
    session.close()
    assert runner.invoke(lab_app, ["down", *args]).exit_code == 0, "down twice is fine"


def test_a_network_taken_while_the_lab_starts_is_passed_over(lab: Lab, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Two sessions can both find a network free and race for it: the one that loses moves on."""
    start = build._start
    taken: list[tuple[str, socket.socket]] = []

    def lose_the_race(layout: LabLayout, spec: LabSpec) -> None:
        if not taken:
            m1 = spec.host("M1")
            taken.append((spec.network, socket.create_server((m1.address, m1.ssh_port or 22))))  # the other's sshd
            raise LabError(f"sshd for M1 could not bind {m1.address}")
        start(layout, spec)

    monkeypatch.setattr(build, "_start", lose_the_race)
    directory = tmp_path / "lab"
    try:
        second = lab_up_on_free_network(directory, PRODUCTION_INVENTORY, candidates(SESSION_LABS),
                                        avoid=(lab.spec.network,))
        (lost, _), = taken
        assert second.spec.network != lost and lab_status(directory).all_up
    finally:
        lab_down(directory)
        for _, sock in taken:
            sock.close()
