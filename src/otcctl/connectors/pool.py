"""The run's connections: one per host, opened when a step first needs it, reused after.

Transports load lazily: paramiko on the first SSH step, pywinrm on the first WinRM step,
oracledb on the first thin/thick SQL step. Credentials are looked up here, registered with
the run's masker, and handed to the library; they are never stored anywhere else.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Collection
from pathlib import Path
from typing import Any

from otcctl.connectors.base import CommandRunner, FileReader, SqlRunner, UnsupportedStep
from otcctl.model.inventory import Inventory, KeyFileCredential
from otcctl.secrets import Masker, SecretMissing, lookup_password


class Connections:
    """Connection pool for one run."""

    def __init__(self, inventory: Inventory, masker: Masker, *, environ: dict[str, str] | None = None) -> None:
        self.inventory = inventory
        self.masker = masker
        self.environ = dict(os.environ if environ is None else environ)
        self._hosts: dict[str, CommandRunner] = {}
        self._sql: dict[tuple[str, str], SqlRunner] = {}
        self._lock = threading.Lock()
        self._secrets: dict[tuple[str, str], Any] = {}
        self._keys: dict[str, Any] = {}  # SSH key files, loaded in prepare()

    def prepare(self, host_ids: set[str], database_ids: set[str]) -> None:
        """Look up every credential the run will need before its first record is written.

        A missing password is then found before anything is done, and every secret is known to
        the masker before a command that might print it reaches the journal. The client library
        of each transport is loaded here too: a build without one refuses before the first
        record, and its import is paid during start-up rather than inside the first step.
        """
        for host_id in sorted(host_ids):
            self._secret(("host", host_id), self.inventory.hosts[host_id].credential)
        _load_transports({self.inventory.hosts[host_id].transport for host_id in host_ids})
        loaded: dict[tuple[str, str | None], Any] = {}  # hosts sharing a key file share the loaded key
        for host_id in sorted(host_ids):
            credential = self.inventory.hosts[host_id].credential
            if self.inventory.hosts[host_id].transport == "ssh" and isinstance(credential, KeyFileCredential):
                from otcctl.connectors.ssh import load_private_key

                same = (credential.path, credential.passphrase_env)
                if same not in loaded:
                    loaded[same] = load_private_key(host_id, credential, self._secret(("host", host_id), credential))
                self._keys[host_id] = loaded[same]
        for database_id in sorted(database_ids):
            self._secret(("db", database_id), self.inventory.databases[database_id].credential)

    def prepare_notification(self, channels: Collection[str]) -> None:
        """The SMTP password and the webhook URL, looked up and masked before the first record.

        A notify step would otherwise look them up only when it runs: a journal written before
        it could not mask them, and a missing one would be found after the run had begun.
        """
        config = self.inventory.notification
        if "email" in channels and config.smtp_credential is not None:
            self._secret(("notify", "smtp"), config.smtp_credential)
        if "webhook" in channels and config.webhook_url_env:
            url = self.environ.get(config.webhook_url_env, "").strip()
            if not url:
                raise SecretMissing(
                    f"the environment variable {config.webhook_url_env}, which holds the webhook URL of the "
                    "notify steps, is not set; export it in the shell that runs otcctl"
                )
            from otcctl.connectors.notify.webhook import register_url

            register_url(url, self.masker)

    def _secret(self, key: tuple[str, str], credential: object) -> Any:
        if key not in self._secrets:
            self._secrets[key] = lookup_password(credential, self.masker, environ=self.environ)
        return self._secrets[key]

    def known_hosts(self) -> Path:
        """The known_hosts file every SSH host key is checked against."""
        return Path(os.path.expanduser(self.inventory.known_hosts))

    def runner(self, host_id: str) -> CommandRunner:
        """The command runner of a host (SSH or WinRM)."""
        with self._lock:
            if host_id not in self._hosts:
                self._hosts[host_id] = self._open(host_id)
            return self._hosts[host_id]

    def files(self, host_id: str) -> FileReader:
        """File access on a host (SFTP over SSH)."""
        runner = self.runner(host_id)
        if not isinstance(runner, FileReader):
            raise UnsupportedStep(f"{host_id}: file checks are done over SFTP, which {host_id} does not offer")
        return runner

    def _open(self, host_id: str) -> CommandRunner:
        host = self.inventory.hosts[host_id]
        secret = self._secret(("host", host_id), host.credential)
        if host.transport == "ssh":
            from otcctl.connectors.ssh import SshConnector

            return SshConnector(host_id, host, self.known_hosts(), passphrase=secret, key=self._keys.get(host_id))
        try:
            from otcctl.connectors.winrm import WinrmConnector
        except ImportError:
            raise UnsupportedStep(f"{host_id}: WinRM steps are not available in this build of otcctl") from None
        return WinrmConnector(host, secret)

    def drop(self, host_id: str) -> None:
        """Forget a host's connection (it rebooted); the next step reconnects."""
        with self._lock:
            runner = self._hosts.pop(host_id, None)
        if runner is not None:
            runner.close()

    def sql(self, database_id: str, host_id: str) -> SqlRunner:
        """A query runner for a database, by the route the inventory chose."""
        key = (database_id, host_id)
        with self._lock:
            existing = self._sql.get(key)
        if existing is not None:
            return existing
        database = self.inventory.databases[database_id]
        try:
            from otcctl.connectors import oracle
        except ImportError:
            raise UnsupportedStep("SQL steps are not available in this build of otcctl") from None
        host = self.inventory.hosts[host_id]
        created = oracle.make_sql_runner(
            database,
            host_id=host_id,
            host_address=host.address,
            login_user=host.user,
            command_runner=self.runner(host_id) if database.route == "sqlplus-ssh" else None,
            password=None
            if database.route == "sqlplus-ssh"
            else self._secret(("db", database_id), database.credential),
        )
        with self._lock:
            self._sql[key] = created
        return created

    def close_all(self) -> None:
        """Close every connection of the run."""
        with self._lock:
            runners = list(self._hosts.values()) + list(self._sql.values())
            self._hosts.clear()
            self._sql.clear()
        for runner in runners:
            try:
                runner.close()
            except Exception:
                continue


def _load_transports(transports: set[str]) -> None:
    """Import the connectors (and their client libraries) these transports need."""
    if "ssh" in transports:
        from otcctl.connectors.paramiko_import import load_client

        load_client()
    if "winrm" in transports:
        try:
            from otcctl.connectors import winrm  # noqa: F401 - loaded now, used by _open
        except ImportError:
            raise UnsupportedStep("WinRM steps are not available in this build of otcctl") from None
