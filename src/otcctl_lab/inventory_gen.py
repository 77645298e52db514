"""The lab's inventory, derived from the production inventory so the two cannot drift apart.

Hosts, groups, services, KVM order, databases and departments are kept as production has them;
only what must differ is replaced: loopback addresses, ports, login user and key, known_hosts,
data-file paths, and the service and reboot commands, which become lab ctl commands. Nothing of
production's network is copied (manual-only hosts lose their addresses, notifications go nowhere).
"""

from __future__ import annotations

import shlex
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from otcctl.model.inventory import Inventory
from otcctl_lab.datafiles import rebase
from otcctl_lab.layout import LabHost, LabLayout, LabService, LabSpec, loopback_address

WINRM_PORT = 5985
WINRM_HTTPS_PORT = 5986
WINRM_PASSWORD_ENV = "OTCLAB_WINRM_PASSWORD"


def winrm_port(scheme: str) -> int:
    """WinRM's default listener port for ``scheme`` (5986 HTTPS, 5985 HTTP)."""
    return WINRM_HTTPS_PORT if scheme == "https" else WINRM_PORT


def computer_name(host_id: str) -> str:
    """The Windows computer name of a lab host: what ``hostname`` prints and its certificate names."""
    return f"OTC-{host_id}"


def lab_spec(
    production: Inventory, *, network: str, ssh_port: int, user: str, python: str, sshd: str, date: str,
    winrm_scheme: str = "https", winrm_version: str = "3.0",
) -> LabSpec:
    """The lab's hosts: one loopback address each, in KVM order (.11 for the first)."""
    hosts = []
    for index, host_id in enumerate(production.kvm_ordered(production.hosts), start=1):
        host = production.hosts[host_id]
        hosts.append(
            LabHost(
                id=host_id,
                address=loopback_address(network, index),
                ssh_port=ssh_port if host.transport == "ssh" else None,
                services=tuple(LabService(s.name, s.port, s.autostart) for s in host.services),
            )
        )
    return LabSpec(network=network, ssh_port=ssh_port, user=user, python=python, sshd=sshd, date=date,
                   hosts=tuple(hosts), winrm_scheme=winrm_scheme, winrm_version=winrm_version)


def ctl_command(spec: LabSpec, layout: LabLayout, *args: str) -> str:
    """A shell command line running ``python -m otcctl_lab.ctl`` with this lab's interpreter and dir."""
    argv = [spec.python, "-m", "otcctl_lab.ctl", "--dir", str(layout.root), *args]
    return " ".join(shlex.quote(a) for a in argv)


def lab_inventory(production: Inventory, spec: LabSpec, layout: LabLayout) -> Inventory:
    """The validated lab inventory."""
    data: dict[str, Any] = production.model_dump(mode="python")
    data["name"] = f"演练环境 LAB (copy of {production.name})"
    data["environment"] = "lab"
    data["known_hosts"] = str(layout.known_hosts)
    for lab_host in spec.hosts:
        data["hosts"][lab_host.id] = _lab_host(data["hosts"][lab_host.id], lab_host, spec, layout)
    for entry in data["manual_only"].values():
        entry["address"] = None
    for data_file in data["data_files"].values():
        host_root = layout.host_root(data_file["host"])
        data_file["path"] = rebase(host_root, data_file["path"])
    from otcctl_lab.mailsink import MAIL_PORT
    from otcctl_lab.winrm_hosts import mail_address

    # notifications go to the lab's own SMTP sink (DIR/mail/*.eml), never to a real mail server
    data["notification"] = {"smtp_host": mail_address(spec), "smtp_port": MAIL_PORT, "starttls": False,
                            "sender": "otcctl-lab@otc.example"}
    # databases keep production's os_user: sqlplus goes through the database host's sudo (the lab's
    # stand-in, see otcctl_lab.sudo_standin), exactly the command production sends
    return Inventory.model_validate(data)


def _lab_host(host: dict[str, Any], lab: LabHost, spec: LabSpec, layout: LabLayout) -> dict[str, Any]:
    host["address"] = lab.address
    if lab.ssh_port is not None:
        host["port"] = lab.ssh_port
        host["user"] = spec.user
        host["credential"] = {"source": "key-file", "path": str(layout.client_key)}
        host["reboot_command"] = ctl_command(spec, layout, "reboot", lab.id)
        for service in host["services"]:
            service.update({
                f"{action}_command": ctl_command(spec, layout, "service", lab.id, service["name"], action)
                for action in ("status", "start", "stop")
            })
    else:
        host["port"] = winrm_port(spec.winrm_scheme)
        if spec.winrm_scheme == "https":
            # production's settings (HTTPS, certificate validation) with the lab CA as the only trust,
            # checked against the computer name the certificate is issued to, as on site
            from otcctl_lab.pki import ca_files

            host["winrm"] = {**(host.get("winrm") or {}), "scheme": "https", "cert_validation": True,
                             "ca_bundle": str(ca_files(layout.pki_dir)[0]), "server_name": computer_name(lab.id)}
        else:
            host["winrm"] = {**(host.get("winrm") or {}), "scheme": "http", "cert_validation": False,
                             "ca_bundle": None, "server_name": None}
        if host["credential"]["source"] == "env":
            host["credential"] = {"source": "env", "variable": WINRM_PASSWORD_ENV}
    return host


def inventory_yaml(inventory: Inventory, layout: LabLayout, source: Path) -> str:
    """The YAML text of the lab inventory, with a header saying it is generated and from what."""
    body: dict[str, Any] = {
        "version": inventory.version,
        "name": inventory.name,
        "environment": inventory.environment,
        "timezone": inventory.timezone,
        **inventory.model_dump(mode="json", exclude_none=True, exclude_defaults=True),
    }
    ssh = [h for h in inventory.hosts.values() if h.transport == "ssh"]
    header = [
        "# GENERATED by 'otcctl lab up' — do not edit: the next 'lab up' rewrites it.",
        f"# Generated {datetime.now().astimezone().isoformat(timespec='seconds')} from {source.resolve()}",
        f"# Lab directory: {layout.root}",
        f"# Every host is a loopback stand-in; SSH hosts log in as {ssh[0].user if ssh else '-'} with "
        f"{layout.client_key.name}, WinRM hosts use ${WINRM_PASSWORD_ENV}.",
        "# Stop the lab with: otcctl lab down --dir " + str(layout.root),
    ]
    text = yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=140)
    Inventory.model_validate(yaml.safe_load(text))
    return "\n".join(header) + "\n" + text


def write_lab_inventory(production: Inventory, spec: LabSpec, layout: LabLayout, source: Path) -> Inventory:
    """Generate, validate and write ``DIR/inventory.yaml``; returns the inventory written."""
    inventory = lab_inventory(production, spec, layout)
    layout.inventory.write_text(inventory_yaml(inventory, layout, source), encoding="utf-8")
    return inventory
