"""``otcctl doctor --first-run``: on site, read what the lab cannot rehearse, before the first real run.

The lab reproduces transports, rights, sudo and failures, but not the site's own Windows, sudo,
SQL*Plus and service manager. Each check here only reads (no service is touched, nothing is
written) and says what to change when the answer would break a runbook: WinRM's shell quotas,
whether the login is an administrator with an unfiltered token (UAC), the console code page, the
PowerShell version, the Windows services' names and dependencies, whether ``M:`` is visible in a
WinRM session, systemctl on old Red Hat, the sudo version and rules (``-n``, NOPASSWD,
requiretty), SQL*Plus's real output, and a Kerberos ticket where Kerberos is configured. A check
the host cannot answer says so; it never passes by default.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable

from otcctl.connectors.base import CommandOutput
from otcctl.connectors.pool import Connections
from otcctl.errors import OtcctlError
from otcctl.model.inventory import Host
from otcctl.run.findings import Finding

Judge = Callable[[CommandOutput], tuple[bool, str]]


def first_run_findings(connections: Connections, progress: Callable[[str], None] = lambda _: None) -> list[Finding]:
    """Every first-run check, host by host in KVM order, then the databases and Kerberos."""
    inventory = connections.inventory
    findings: list[Finding] = []
    for host_id in inventory.kvm_ordered(inventory.hosts):
        host = inventory.hosts[host_id]
        progress(f"first run: {host_id}")
        checks = _windows_checks(host) if host.transport == "winrm" else _linux_checks(host_id, connections)
        for check, command, judge in checks:
            findings.append(_ask(connections, host_id, check, command, judge))
    for db_id in inventory.databases:
        findings.append(_sqlplus_output(connections, db_id))
    if any(h.winrm is not None and h.winrm.auth == "kerberos" for h in inventory.hosts.values()):
        findings.append(_kerberos_ticket())
    return findings


def _ask(connections: Connections, host_id: str, check: str, command: str, judge: Judge) -> Finding:
    try:
        output = connections.runner(host_id).run(command, 60)
    except OtcctlError as exc:
        return Finding(check, host_id, False, f"could not check: {exc}")
    if output.timed_out:
        return Finding(check, host_id, False, "could not check: no answer within 60 s")
    ok, detail = judge(output)
    return Finding(check, host_id, ok, detail)


def _windows_checks(host: Host) -> list[tuple[str, str, Judge]]:
    from otcctl.connectors.winrm import codepage_for, powershell_line

    checks: list[tuple[str, str, Judge]] = [
        ("winrm quotas", "winrm get winrm/config/winrs", judge_quotas),
        ("rights", "whoami /groups", judge_groups),
        ("code page", "chcp", lambda out: judge_codepage(out, codepage_for(host.encoding), host.encoding)),
        ("powershell", powershell_line("$PSVersionTable.PSVersion.ToString()"), judge_powershell),
        ("drive M:", powershell_line("Test-Path M:\\"), judge_drive),
    ]
    for service in host.services:
        name = service.windows_service or service.name
        checks.append((f"service {name}", f"sc.exe qc {name}", judge_service))
    return checks


def _linux_checks(host_id: str, connections: Connections) -> list[tuple[str, str, Judge]]:
    inventory = connections.inventory
    host = inventory.hosts[host_id]
    owners = [d.os_user for d in inventory.databases.values()
              if d.route == "sqlplus-ssh" and d.os_user and d.os_user != host.user
              and host_id in (d.primary_host, d.standby_host)]
    default_units = any(not (s.status_command and s.start_command and s.stop_command) for s in host.services)
    reboot_sudo = (host.reboot_command or "sudo ").startswith("sudo ")
    checks: list[tuple[str, str, Judge]] = []
    if default_units:
        checks.append(("service manager", "command -v systemctl || echo 'no systemctl'", judge_systemctl))
    if owners or reboot_sudo or default_units:
        checks.append(("sudo version", "sudo -V 2>&1 | head -1", judge_sudo_version))
        checks.append(("sudo rules", "sudo -n -l 2>&1",
                       lambda out: judge_sudo_rules(out, host.user, owners, reboot_sudo)))
    return checks


def judge_quotas(out: CommandOutput) -> tuple[bool, str]:
    values = {k: int(v) for k, v in re.findall(r"(MaxShellsPerUser|MaxMemoryPerShellMB|MaxProcessesPerShell|"
                                                r"MaxConcurrentUsers)\s*=\s*(\d+)", out.stdout)}
    if "MaxShellsPerUser" not in values:
        return False, f"could not read the quotas: {_brief(out)}"
    listing = ", ".join(f"{k} {v}" for k, v in values.items())
    version = " (WinRM 2.0's defaults)" if values.get("MaxShellsPerUser") == 5 else ""
    memory = values.get("MaxMemoryPerShellMB", 1024)
    ok = values["MaxShellsPerUser"] >= 2 and memory >= 150
    hint = "" if ok else ("; otcctl needs 2 shells per user and 150 MB per shell: raise them with "
                          "winrm set winrm/config/winrs @{MaxShellsPerUser=\"5\";MaxMemoryPerShellMB=\"150\"}")
    return ok, listing + version + hint


def judge_groups(out: CommandOutput) -> tuple[bool, str]:
    line = next((x for x in out.stdout.splitlines() if "BUILTIN\\Administrators" in x), None)
    if line is None:
        remote = "Remote Management Users" in out.stdout
        return False, ("not a member of Administrators" + (" (Remote Management Users only)" if remote else "")
                       + ": service steps will fail with error 5; the site must add the account to Administrators")
    if re.search(r"deny only|仅用于拒绝", line):
        return False, ("Administrators is 'used for deny only' (a UAC-filtered token): service control fails with "
                       "error 5; use a domain administrator or set LocalAccountTokenFilterPolicy=1 on the host")
    return True, "member of Administrators, token not filtered"


def judge_codepage(out: CommandOutput, wanted: int, encoding: str) -> tuple[bool, str]:
    match = re.search(r"(\d{3,5})\s*$", out.stdout.strip())
    if match is None:
        return False, f"could not read the code page: {_brief(out)}"
    found = int(match.group(1))
    if found != wanted:
        return False, (f"the console code page is {found}, the inventory's encoding {encoding} is {wanted}: "
                       "set the host's encoding in the inventory to what the host prints")
    return True, f"code page {found} ({encoding})"


def judge_powershell(out: CommandOutput) -> tuple[bool, str]:
    match = re.search(r"(\d+)\.(\d+)", out.stdout)
    if out.exit_code != 0 or match is None:
        return False, f"could not read $PSVersionTable: {_brief(out)}"
    major = int(match.group(1))
    detail = f"PowerShell {match.group(0)}"
    if major < 2:
        return False, detail + ": the runbooks' PowerShell steps need 2.0 or later"
    return True, detail + ("; compare the runbooks' output formats on this version once (dry run + one "
                           "read-only step)" if major == 2 else "")


def judge_drive(out: CommandOutput) -> tuple[bool, str]:
    answer = out.stdout.strip().lower()
    if answer == "true":
        return True, "M: is visible in a WinRM session"
    if answer == "false":
        return False, ("M: is not visible in a WinRM session (a mapped network drive exists only in an interactive "
                       "logon): give the weekly runbook the UNC path (\\\\server\\share) instead")
    return False, f"could not check: {_brief(out)}"


def judge_service(out: CommandOutput) -> tuple[bool, str]:
    if re.search(r"\b1060\b", out.stdout) or out.exit_code == 1060:
        return False, "no such service: set windows_service in the inventory to its real name (sc query state= all)"
    if out.exit_code not in (0, None) or "SERVICE_NAME" not in out.stdout:
        return False, f"could not check: {_brief(out)}"
    start = re.search(r"START_TYPE\s*:\s*\d+\s+(\w+)", out.stdout)
    deps = re.search(r"DEPENDENCIES\s*:(.*(?:\n\s{20,}:.*)*)", out.stdout)
    depends = " ".join(re.findall(r"[\w.-]+", deps.group(1))) if deps else ""
    detail = f"start type {start.group(1) if start else '?'}" + (f"; depends on {depends}" if depends else "")
    if start and start.group(1) == "DISABLED":
        return False, detail + ": a start step will fail with error 1058"
    return True, detail


def judge_systemctl(out: CommandOutput) -> tuple[bool, str]:
    if "no systemctl" in out.stdout:
        return False, ("no systemctl (Red Hat 5/6 use 'service'): set status_command, start_command and "
                       "stop_command of this host's services in the inventory, e.g. 'service tomcat status'")
    return True, out.stdout.strip()


def judge_sudo_version(out: CommandOutput) -> tuple[bool, str]:
    match = re.search(r"version (\d+)\.(\d+)\S*", out.stdout)
    if match is None:
        return False, f"could not read sudo's version: {_brief(out)}"
    if (int(match.group(1)), int(match.group(2))) < (1, 7):
        return False, (f"sudo {match.group(0)[8:]} has no -n: set 'sudo: sudo -u {{user}} -i' for the database in "
                       "the inventory, with a NOPASSWD rule")
    return True, match.group(0)


def judge_sudo_rules(out: CommandOutput, login: str, owners: list[str], reboot: bool = True) -> tuple[bool, str]:
    text = out.stdout + out.stderr
    if "must have a tty" in text or re.search(r"^\s+.*\brequiretty\b", text, re.MULTILINE):
        return False, f"requiretty: the site must add 'Defaults:{login} !requiretty' with visudo"
    if "password is required" in text:
        return False, f"sudo asks {login} for a password: the rules otcctl uses need NOPASSWD"
    missing = [o for o in owners if not re.search(rf"\(({re.escape(o)}|ALL)[^)]*\)\s*NOPASSWD", text)]
    if missing:
        return False, (f"no NOPASSWD rule to run commands as {', '.join(missing)}: add "
                       f"'{login} ALL=({missing[0]}) NOPASSWD: ALL' with visudo")
    shutdown = not reboot or bool(re.search(r"\((root|ALL)[^)]*\)\s*NOPASSWD:.*(ALL|/sbin/shutdown)", text))
    covered = [*owners, *(["root (shutdown)"] if reboot and shutdown else [])]
    detail = "sudo rules cover " + (", ".join(covered) or "what otcctl needs")
    return shutdown, detail if shutdown else detail + "; not /sbin/shutdown as root: the reboot step will be refused"


def _sqlplus_output(connections: Connections, db_id: str) -> Finding:
    from otcctl.connectors.base import SqlFailed

    database = connections.inventory.databases[db_id]
    sql = "select 1 as n, 'otcctl' as s, sysdate as d from dual"
    try:
        result = connections.sql(db_id, database.primary_host).query(sql, {}, 60, 1)
    except (SqlFailed, OtcctlError) as exc:
        return Finding("sqlplus output", db_id, False, f"could not check: {exc}")
    ok = result.columns == ("N", "S", "D") and len(result.rows) == 1 and str(result.rows[0][1]).strip() == "otcctl"
    detail = f"columns {', '.join(result.columns)}, row {result.rows[0] if result.rows else '-'}"
    return Finding("sqlplus output", db_id, ok,
                   detail if ok else f"SQL*Plus's output was not read as expected: {detail}")


def _kerberos_ticket() -> Finding:
    klist = shutil.which("klist")
    if klist is None:
        return Finding("kerberos", "this machine", False, "no klist: install the Kerberos client (krb5-user)")
    done = subprocess.run([klist, "-s"], capture_output=True, timeout=10, check=False)
    return Finding("kerberos", "this machine", done.returncode == 0,
                   "a valid ticket" if done.returncode == 0 else "no valid ticket: run kinit for the WinRM account")


def _brief(out: CommandOutput) -> str:
    text = " ".join((out.stdout + " " + out.stderr).split())
    return (text[:160] or "no output") + f" (exit {out.exit_code})"
