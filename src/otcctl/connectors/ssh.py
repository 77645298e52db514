"""SSH to the Linux hosts through paramiko: one connection per host, reused by every step.

Host keys are checked against the known_hosts file the inventory names (RejectPolicy: an
unknown or changed key stops the run). TCP_NODELAY is set on the socket: without it every
small command waits on Nagle's algorithm (about 45 ms instead of 5 ms per command here).
A command that outlives its timeout is killed on the host with its whole process group:
the wrapper prints the shell's process id first, and a second channel sends the signal.
"""

from __future__ import annotations

import os
import re
import select
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from otcctl.connectors.base import (
    OUTPUT_LIMIT,
    CommandOutput,
    ConnectionFailed,
    FileStat,
    HostKeyRejected,
    Observe,
    Shell,
    UnsupportedStep,
    tail,
)
from otcctl.connectors.known_hosts import known_host_keys, lookup_name
from otcctl.connectors.paramiko_import import load_client
from otcctl.errors import InputError
from otcctl.model.inventory import Host, KeyFileCredential
from otcctl.secrets import Secret, SecretMissing

if TYPE_CHECKING:
    import paramiko

_PGID_MARK = "__OTCCTL_PGID="
_PGID_LINE = re.compile(rb"^__OTCCTL_PGID=(\d+)\n")
_CANCEL_POLL = 0.05
"""How often a waiting command looks at its cancel event (Ctrl-C, a failed sibling host)."""


class SshConnector:
    """Runs commands and reads files on one Linux host."""

    def __init__(
        self,
        host_id: str,
        host: Host,
        known_hosts: Path,
        *,
        passphrase: Secret | None = None,
        key: paramiko.PKey | None = None,
        connect_timeout: float = 10.0,
        keepalive: int = 15,
    ) -> None:
        self.host_id = host_id
        self.host = host
        self.known_hosts = known_hosts
        self.passphrase = passphrase
        self.key = key
        self.connect_timeout = connect_timeout
        self.keepalive = keepalive
        self._client: paramiko.SSHClient | None = None
        self._lock = threading.Lock()

    # -- connection -------------------------------------------------------------------------
    def _connect(self) -> paramiko.SSHClient:
        load_client()
        import paramiko  # loaded only when a step needs SSH

        with self._lock:
            if self._client is not None:
                transport = self._client.get_transport()
                if transport is not None and transport.is_active():
                    return self._client
                self._client.close()
                self._client = None
            client = paramiko.SSHClient()
            self._trust_known_keys(client)
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
            kwargs: dict[str, Any] = {
                "hostname": self.host.address,
                "port": self.host.port,
                "username": self.host.user,
                "timeout": self.connect_timeout,
                "banner_timeout": self.connect_timeout,
                "auth_timeout": self.connect_timeout,
                "look_for_keys": False,
                "allow_agent": self.host.credential.source == "ssh-agent",
            }
            if self.key is not None:  # loaded before the run began (load_private_key)
                kwargs["pkey"] = self.key
            elif isinstance(self.host.credential, KeyFileCredential):
                kwargs["key_filename"] = os.path.expanduser(self.host.credential.path)
                if self.passphrase is not None:
                    kwargs["passphrase"] = self.passphrase.reveal()
            try:
                # TCP_NODELAY from the first packet: the handshake is many small messages too
                sock = socket.create_connection((self.host.address, self.host.port), timeout=self.connect_timeout)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                kwargs["sock"] = sock
                client.connect(**kwargs)
            except paramiko.BadHostKeyException as exc:
                raise HostKeyRejected(
                    f"{self.host_id} ({self.host.address}:{self.host.port}) presented a host key that differs "
                    f"from the one in {self.known_hosts} (got {exc.key.get_name()} "
                    f"{exc.key.fingerprint}). This may be a man-in-the-middle attack, or the host was reinstalled: "
                    "check with the system's owner before changing known_hosts. The run stops."
                ) from None
            except paramiko.SSHException as exc:
                if "not found in known_hosts" in str(exc):
                    raise HostKeyRejected(
                        f"{self.host_id} ({self.host.address}:{self.host.port}) is not in {self.known_hosts}; "
                        "otcctl never trusts an unknown host key. Add its key after checking it on the console."
                    ) from None
                raise ConnectionFailed(f"{self.host_id}: SSH failed: {_clean(exc)}") from None
            except (OSError, EOFError) as exc:
                raise ConnectionFailed(
                    f"{self.host_id} ({self.host.address}:{self.host.port}) cannot be reached over SSH: {_clean(exc)}"
                ) from None
            transport = client.get_transport()
            assert transport is not None
            transport.set_keepalive(self.keepalive)
            self._client = client
            return client

    def _trust_known_keys(self, client: paramiko.SSHClient) -> None:
        """Give the client this host's entries of known_hosts: the keys paramiko would look up itself.

        paramiko checks the server's key against the name ``address`` (port 22) or ``[address]:port``;
        exactly those entries (hashed ones too) are copied from the file parsed once per run.
        """
        name = lookup_name(self.host.address, self.host.port)
        try:
            known = known_host_keys(self.known_hosts)
        except InputError as exc:  # checked before the run; here only if the file changed since
            raise HostKeyRejected(f"{self.host_id}: {exc}. The run stops.") from None
        entries = known.lookup(name)
        own = client.get_host_keys()
        for key_type, key in (entries or {}).items():
            own.add(name, key_type, key)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def drop(self) -> None:
        """Forget a connection that died (after a reboot) so the next call reconnects."""
        self.close()

    # -- commands ---------------------------------------------------------------------------
    def run(
        self,
        command: str,
        timeout: float,
        *,
        cancel: threading.Event | None = None,
        shell: Shell | None = None,
        observe: Observe | None = None,
        on_sent: Callable[[], None] | None = None,
    ) -> CommandOutput:
        """Run a command; past the timeout (or on cancel) kill its process group on the host.

        ``observe`` sees every chunk of output as it arrives, so a condition can be judged on
        the whole output while only the tail is kept here.
        """
        if shell is not None:
            raise UnsupportedStep(f"{self.host_id} is reached over SSH; a {shell} command needs a Windows host")
        client = self._connect()
        started = time.monotonic()
        transport = client.get_transport()
        assert transport is not None
        try:
            channel = transport.open_session(timeout=self.connect_timeout)
            channel.exec_command(f"echo {_PGID_MARK}$$ >&2; {command}")
        except Exception as exc:
            self.drop()
            raise ConnectionFailed(f"{self.host_id}: the SSH connection failed: {_clean(exc)}") from None
        if on_sent is not None:
            on_sent()
        out, err = bytearray(), bytearray()
        timed_out = cancelled = False
        kill_delivered: bool | None = None
        pgid: int | None = None
        header_read = False
        deadline = started + timeout
        while True:
            busy = False
            if channel.recv_ready():
                chunk = channel.recv(65536)
                if observe is not None:
                    observe("stdout", chunk)
                out += chunk
                del out[: -OUTPUT_LIMIT * 2]
                busy = True
            if channel.recv_stderr_ready():
                chunk = channel.recv_stderr(65536)
                if not header_read:
                    err += chunk
                    if b"\n" in err:
                        header_read = True
                        match = _PGID_LINE.match(bytes(err))
                        if match:
                            pgid = int(match.group(1))
                            del err[: match.end()]
                        if observe is not None and err:
                            observe("stderr", bytes(err))
                else:
                    if observe is not None:
                        observe("stderr", chunk)
                    err += chunk
                del err[: -OUTPUT_LIMIT * 2]
                busy = True
            if busy:
                continue
            if channel.exit_status_ready() or channel.closed:
                break
            now = time.monotonic()
            if cancel is not None and cancel.is_set():
                cancelled = True
            elif now > deadline:
                timed_out = True
            if timed_out or cancelled:
                kill_delivered = self._kill(pgid)
                break
            _wait(channel, deadline - now if cancel is None else min(deadline - now, _CANCEL_POLL))
        lost = False
        exit_code: int | None = None
        if not (timed_out or cancelled):
            exit_code = channel.recv_exit_status()
            if exit_code == -1 or not transport.is_active():  # paramiko's "no exit status came back"
                exit_code, lost = None, True
        channel.close()
        err_bytes = bytes(err) if pgid is not None else _PGID_LINE.sub(b"", bytes(err), count=1)
        stdout, cut_out = tail(bytes(out), self.host.encoding)
        stderr, cut_err = tail(err_bytes, self.host.encoding)
        return CommandOutput(
            exit_code,
            stdout,
            stderr,
            time.monotonic() - started,
            timed_out,
            cut_out or cut_err,
            lost=lost,
            cancelled=cancelled,
            kill_delivered=kill_delivered,
        )

    def _kill(self, pgid: int | None) -> bool:
        """Stop the command's process group on the host; True only when the host took the kill."""
        if pgid is None or self._client is None:
            return False
        transport = self._client.get_transport()
        if transport is None or not transport.is_active():
            return False
        try:
            channel = transport.open_session(timeout=self.connect_timeout)
            channel.exec_command(
                f"kill -TERM -- -{pgid} 2>/dev/null; "
                f"(sleep 2; kill -KILL -- -{pgid} 2>/dev/null) </dev/null >/dev/null 2>&1 & true"
            )
            status = channel.recv_exit_status()
            channel.close()
        except Exception:
            return False
        return status == 0

    # -- files ------------------------------------------------------------------------------
    def stat(self, path: str) -> FileStat | None:
        """Size and mtime over SFTP, or None when the file is missing."""
        sftp = self._sftp()
        try:
            attrs = sftp.stat(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConnectionFailed(f"{self.host_id}: cannot stat {path}: {_clean(exc)}") from None
        finally:
            sftp.close()
        return FileStat(int(attrs.st_size or 0), float(attrs.st_mtime or 0))

    def read(self, path: str, limit: int) -> bytes:
        """Up to ``limit`` bytes of a remote file over SFTP."""
        sftp = self._sftp()
        try:
            with sftp.open(path, "rb") as handle:
                return bytes(handle.read(limit))
        except OSError as exc:
            raise ConnectionFailed(f"{self.host_id}: cannot read {path}: {_clean(exc)}") from None
        finally:
            sftp.close()

    def _sftp(self) -> paramiko.SFTPClient:
        client = self._connect()
        try:
            return client.open_sftp()
        except Exception as exc:
            self.drop()
            raise ConnectionFailed(f"{self.host_id}: SFTP failed: {_clean(exc)}") from None


def load_private_key(host_id: str, credential: KeyFileCredential, passphrase: Secret | None) -> paramiko.PKey:
    """The host's key file, read and decrypted before the run's first record, or :class:`SecretMissing`.

    A key file that is missing, unreadable, not a key, or needs a passphrase that is not given
    would otherwise fail the first step on that host, perhaps after steps on other hosts had acted.
    The loaded key is what the connection then uses (an encrypted key is decrypted once).
    """
    load_client()
    import paramiko

    path = os.path.expanduser(credential.path)
    try:
        secret = passphrase.reveal().encode("utf-8") if passphrase is not None else None
        key: paramiko.PKey = paramiko.PKey.from_path(path, secret)  # type: ignore[arg-type]  # bytes, as cryptography takes it
    except FileNotFoundError:
        raise SecretMissing(f"{host_id}: the key file {credential.path} does not exist") from None
    except OSError as exc:
        raise SecretMissing(f"{host_id}: the key file {credential.path} cannot be read: {exc.strerror}") from None
    except TypeError as exc:  # cryptography: "Password was not given but private key is encrypted"
        if passphrase is not None:
            raise SecretMissing(f"{host_id}: the key file {credential.path} cannot be used ({_clean(exc)})") from None
        raise SecretMissing(f"{host_id}: the key {credential.path} is protected by a passphrase; name the "
                            "environment variable that holds it (credential passphrase_env)") from None
    except (paramiko.SSHException, paramiko.pkey.UnknownKeyType, ValueError) as exc:
        raise SecretMissing(f"{host_id}: the key file {credential.path} cannot be used ({_clean(exc)}); "
                            "a wrong passphrase reads the same") from None
    return key


def _wait(channel: paramiko.Channel, seconds: float) -> None:
    """Sleep until the channel has output, reaches its end or gets its exit status, at most ``seconds``.

    Output and end of output wake ``select`` on the channel's pipe (paramiko sets it for stdout and
    stderr alike); after the end of output, only the exit status is still to come.
    """
    if seconds <= 0:
        return
    if channel.eof_received:
        channel.status_event.wait(seconds)
    else:
        select.select([channel], [], [], seconds)


def _clean(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())
