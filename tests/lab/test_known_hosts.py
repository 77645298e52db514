"""Host keys are checked as paramiko would, with known_hosts parsed once per run: hashed names match,
an edited file is read afresh, a key that differs stops the connection."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from otcctl.connectors.base import HostKeyRejected
from otcctl.connectors.known_hosts import known_host_keys
from otcctl.connectors.ssh import SshConnector
from otcctl.model.inventory import load_inventory
from otcctl_lab import Lab


def _connector(lab: Lab, host_id: str, known: Path) -> SshConnector:
    host = load_inventory(lab.inventory_path).inventory.hosts[host_id]
    return SshConnector(host_id, host, known, connect_timeout=5)


def test_hashed_known_hosts_entries_are_trusted(lab: Lab, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    shutil.copy(lab.known_hosts, known)
    subprocess.run(["ssh-keygen", "-H", "-f", str(known)], check=True, capture_output=True)
    assert all(line.startswith("|1|") for line in known.read_text().splitlines() if line.strip())
    connector = _connector(lab, "M3", known)
    try:
        assert connector.run("echo $OTCLAB_HOST", 15).stdout == "M3\n"
    finally:
        connector.close()


def test_an_edited_known_hosts_is_read_again_at_the_next_connection(lab: Lab, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    lines = lab.known_hosts.read_text().splitlines()
    known.write_text("\n".join(lines) + "\n")
    connector = _connector(lab, "M3", known)
    address = f"[{connector.host.address}]:{connector.host.port}"
    try:
        assert connector.run("echo $OTCLAB_HOST", 15).stdout == "M3\n"
        first = known_host_keys(known)
        mine = next(ln for ln in lines if ln.split()[0] == address)
        other = next(ln for ln in lines if ln.split()[0] != address)
        known.write_text("\n".join([f"{address} {' '.join(other.split()[1:])}",
                                    *(ln for ln in lines if ln != mine)]) + "\n")
        connector.drop()  # as after a reboot: the next step connects again
        with pytest.raises(HostKeyRejected, match="differs"):
            connector.run("echo again", 15)
        assert known_host_keys(known) is not first
    finally:
        connector.close()


def test_one_parse_serves_every_host(lab: Lab) -> None:
    assert known_host_keys(lab.known_hosts) is known_host_keys(lab.known_hosts)
