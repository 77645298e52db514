"""``otcctl doctor``: can this machine run the inventory's procedures? Checked, not assumed.

For every host it opens the real connection a run would open (host key, login), for every
database it runs ``select 'ok' from dual`` by the database's route, and it looks for the
credentials and the printout font. It reports; it changes nothing on any host.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from otcctl.connectors.pool import Connections
from otcctl.errors import OtcctlError
from otcctl.model.inventory import LoadedInventory
from otcctl.run.findings import Finding
from otcctl.secrets import Masker

__all__ = ["Finding", "run_doctor"]



def run_doctor(loaded: LoadedInventory, progress: Callable[[str], None] = lambda _: None, *,
               first_run: bool = False) -> list[Finding]:
    """Every check, in KVM order, then the databases and the local prerequisites.

    ``first_run``: also read, host by host, what the lab cannot rehearse (:mod:`otcctl.run.first_run`).
    """
    inventory = loaded.inventory
    findings: list[Finding] = []
    masker = Masker()
    connections = Connections(inventory, masker)
    known = Path(os.path.expanduser(inventory.known_hosts))
    ssh_hosts = [h for h in inventory.kvm_ordered(inventory.hosts) if inventory.hosts[h].transport == "ssh"]
    if ssh_hosts:
        findings.append(_known_hosts(known))
    try:
        for host_id in inventory.kvm_ordered(inventory.hosts):
            host = inventory.hosts[host_id]
            progress(f"{host_id} {host.address}")
            findings.append(_login(connections, host_id, f"{host.transport} {host.address}:{host.port}"))
        for db_id, database in inventory.databases.items():
            findings.append(_database(connections, db_id, database.primary_host))
        if first_run:
            from otcctl.run.first_run import first_run_findings

            findings += first_run_findings(connections, progress)
    finally:
        connections.close_all()
    return [Finding(f.check, f.target, f.ok, masker.mask(f.detail)) for f in findings]


def _login(connections: Connections, host_id: str, where: str) -> Finding:
    try:
        output = connections.runner(host_id).run("echo otcctl-doctor", 30)
    except OtcctlError as exc:
        return Finding("login", f"{host_id} ({where})", False, str(exc))
    ok = output.exit_code == 0 and "otcctl-doctor" in output.stdout
    detail = "logged in, command ran" if ok else f"exit {output.exit_code}: {output.stderr.strip()[:200]}"
    return Finding("login", f"{host_id} ({where})", ok, detail)


def _database(connections: Connections, db_id: str, host_id: str) -> Finding:
    from otcctl.connectors.base import SqlFailed
    from otcctl.plan.sql_route import describe_route

    database = connections.inventory.databases[db_id]
    host = connections.inventory.hosts[host_id]
    route = describe_route(database, host_id=host_id, host_address=host.address, login_user=host.user)
    try:
        result = connections.sql(db_id, host_id).query("select 'ok' as doctor from dual", {}, 60, 1)
    except (SqlFailed, OtcctlError) as exc:
        return Finding("database", f"{db_id} via {database.route}", False, f"{exc} (route: {route})")
    ok = bool(result.rows) and str(result.rows[0][0]).strip() == "ok"
    return Finding("database", f"{db_id} via {database.route}", ok, f"answered in {result.duration:.1f}s; {route}")


def _known_hosts(path: Path) -> Finding:
    """Present, and every line a key the SSH library uses (what a run's preflight will demand)."""
    from otcctl.connectors.known_hosts import known_host_keys
    from otcctl.errors import InputError

    try:
        keys = known_host_keys(path)
    except InputError as exc:
        problem = exc.problems[0]
        where = f"line {problem.line}: " if problem.line is not None else ""
        return Finding("known_hosts", str(path), False, where + problem.message)
    return Finding("known_hosts", str(path), True, f"present, {len(keys)} host names")
