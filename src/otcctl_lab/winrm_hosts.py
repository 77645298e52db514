"""Start and stop the WinRM peers that stand in for the Windows hosts M5 and M6.

Each peer is its own process (``python -m otcctl_lab.winrm_peer``), checking real NTLM logins
against a users file whose password is generated per lab and kept in ``DIR/winrm_password``
(mode 0600): otcctl reads it from ``$OTCLAB_WINRM_PASSWORD`` as it would read a production
password, so the lab exercises the same credential path. Service ports stay with the lab's
listener daemon; the peer and the daemon share the service state files. Each peer seeds its
disks for the lab's date: three weeks of database exports with their logs and archives, and
the middleware's log files (see :mod:`otcctl_lab.winrm_peer.seeding`).

By default the peers serve HTTPS on 5986 with a certificate issued by the lab CA to the
computer name (``OTC-M5``), as a site issues them; ``lab up --winrm http`` serves plain HTTP on
5985 with NTLM sealing instead. Besides the inventory's user (an administrator) every peer
knows users with fewer rights, all with the lab password (see :data:`LAB_USERS`).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from pathlib import Path

from otcctl.model.inventory import Inventory
from otcctl_lab import proc
from otcctl_lab.errors import LabError
from otcctl_lab.layout import LabLayout, LabSpec

DOWN_SECONDS = 3
# user -> rights on the lab's Windows hosts (roles of otcctl_lab.winrm_peer.rights); the
# inventory's own user is added as an administrator
LAB_USERS = {
    "OTC\\otcmon": "remote-management",  # Remote Management Users, shell granted: connects, cannot control services
    "OTC\\otcguest": "not-allowed",  # a domain user without WinRM rights: Access is denied (fault 5)
    ".\\otcadmin": "uac-local",  # a local administrator under UAC remote restrictions: HTTP 401
}


def password_file(layout: LabLayout) -> Path:
    """Where the lab keeps its generated WinRM password."""
    return layout.root / "winrm_password"


def read_password(layout: LabLayout) -> str:
    """The lab's WinRM password (export it as OTCLAB_WINRM_PASSWORD to run against the lab)."""
    return password_file(layout).read_text(encoding="utf-8").strip()


def _pid_file(layout: LabLayout, host_id: str) -> Path:
    return layout.run_dir / f"{host_id}.winrm.pid"


def windows_hosts(spec: LabSpec) -> list[str]:
    """Lab hosts without sshd: the Windows ones."""
    return [h.id for h in spec.hosts if h.ssh_port is None]


def write_files(layout: LabLayout, spec: LabSpec, inventory: Inventory) -> None:
    """The users file (NTLM), the password, and each host's service list."""
    password = secrets.token_urlsafe(18)
    fd = os.open(password_file(layout), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        stream.write(password + "\n")
    rights = {inventory.hosts[h].user: "administrator" for h in windows_hosts(spec)}
    rights = {**LAB_USERS, **rights}
    lines = []
    for user in sorted(rights):
        domain, _, name = user.rpartition("\\")
        lines.append(f"{domain or '.'}:{name}:{password}\n")
    (layout.run_dir / "winrm_rights.json").write_text(json.dumps(rights, indent=2) + "\n", encoding="utf-8")
    if spec.winrm_scheme == "https":
        from otcctl_lab.inventory_gen import computer_name
        from otcctl_lab.pki import issue_host_certificate, write_ca

        write_ca(layout.pki_dir, f"OTC lab CA ({layout.root.name})")
        for host_id in windows_hosts(spec):
            issue_host_certificate(layout.pki_dir, computer_name(host_id), host_id)
    fd = os.open(layout.run_dir / "ntlm_users", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        stream.writelines(lines)
    for host_id in windows_hosts(spec):
        services = [
            {"name": s.name, "port": s.port, "autostart": s.autostart, "start_order": s.start_order or 0,
             "display_name": s.title, "windows_service": s.windows_service or s.name}
            for s in inventory.hosts[host_id].services
        ]
        (layout.run_dir / f"{host_id}.services.json").write_text(
            json.dumps(services, ensure_ascii=False, indent=2), encoding="utf-8"
        )


def fault_file(layout: LabLayout, host_id: str) -> Path:
    """The faults injected into a Windows host (``otcctl lab fault``), read by its peer as they change."""
    return layout.faults_file(host_id)


def start(layout: LabLayout, spec: LabSpec, inventory: Inventory, timeout: float = 20.0) -> None:
    """Start one peer per Windows host and wait until each answers on its port."""
    from otcctl_lab.inventory_gen import computer_name

    for host_id in windows_hosts(spec):
        host = inventory.hosts[host_id]
        state_dir = layout.state_dir / host_id
        state_dir.mkdir(parents=True, exist_ok=True)
        log = layout.log_dir / f"{host_id}.winrm.log"
        argv = [
            spec.python, "-m", "otcctl_lab.winrm_peer", "--address", host.address, "--port", str(host.port),
            "--state-dir", str(state_dir), "--users-file", str(layout.run_dir / "ntlm_users"),
            "--services-json", str(layout.run_dir / f"{host_id}.services.json"),
            "--hostname", computer_name(host_id), "--down-seconds", str(DOWN_SECONDS), "--no-service-ports",
            "--backups-until", spec.date, "--backup-days", "21", "--logs-until", spec.date,
            "--rights-json", str(layout.run_dir / "winrm_rights.json"), "--winrm-version", spec.winrm_version,
            "--faults-file", str(fault_file(layout, host_id)),
        ]
        if spec.winrm_scheme == "https":
            argv += ["--tls-cert", str(layout.pki_dir / f"{host_id}.pem"),
                     "--tls-key", str(layout.pki_dir / f"{host_id}.key")]
        # the peer names its own users file; one inherited from a caller's process must not leak in
        env = {k: v for k, v in os.environ.items() if k != "NTLM_USER_FILE"}
        with log.open("ab") as out:
            child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
                                     env=env)
        proc.write_pid(_pid_file(layout, host_id), child.pid)
        address, port = host.address, host.port
        if not proc.wait_until(lambda: proc.port_open(address, port), timeout):  # noqa: B023 - used at once
            problem = log.read_text(encoding="utf-8", errors="replace")[-800:]
            raise LabError(f"the WinRM peer of {host_id} did not start on {host.address}:{host.port}: {problem}")


def mail_address(spec: LabSpec) -> str:
    """Where the lab's SMTP sink listens."""
    from otcctl_lab.layout import loopback_address
    from otcctl_lab.mailsink import MAIL_INDEX

    return loopback_address(spec.network, MAIL_INDEX)


def start_mail(layout: LabLayout, spec: LabSpec, timeout: float = 20.0) -> None:
    """The SMTP sink that notify steps send to in the lab."""
    from otcctl_lab.mailsink import MAIL_PORT

    address = mail_address(spec)
    log = layout.log_dir / "mail.log"
    argv = [spec.python, "-m", "otcctl_lab.mailsink", "--address", address, "--port", str(MAIL_PORT),
            "--dir", str(layout.root / "mail")]
    with log.open("ab") as out:
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)
    proc.write_pid(layout.run_dir / "mail.pid", child.pid)
    if not proc.wait_until(lambda: proc.port_open(address, MAIL_PORT), timeout):
        problem = log.read_text(encoding="utf-8", errors="replace")[-800:]
        raise LabError(f"the lab mail sink did not start on {address}:{MAIL_PORT}: {problem}")


def stop(layout: LabLayout, spec: LabSpec, grace: float = 3.0) -> list[int]:
    """Stop every peer this lab started, and the mail sink."""
    stopped: list[int] = []
    pid = proc.live_pid(layout.run_dir / "mail.pid")
    if pid is not None:
        stopped += proc.terminate([pid], grace)
    (layout.run_dir / "mail.pid").unlink(missing_ok=True)
    for host_id in windows_hosts(spec):
        pid = proc.live_pid(_pid_file(layout, host_id))
        if pid is not None:
            stopped += proc.terminate([pid], grace)
        _pid_file(layout, host_id).unlink(missing_ok=True)
    return stopped
