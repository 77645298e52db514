"""The known_hosts file, read strictly and once per run: every line a key paramiko will use, or a refusal.

Every SSH host key is checked against the file the inventory names. paramiko's own reader skips
what it cannot use without a word (a line with too few fields, two spaces between fields, an
unknown key type) and takes OpenSSH's ``@revoked`` and ``@cert-authority`` markers for host names,
so a key revoked in the file would still be trusted; a byte that is not UTF-8 or a key that is
not base64 ends the run from deep inside a step. Here each of those is an input problem naming the
file and line, found before the run starts (``run/preflight.py``), so nothing is sent to any host.

The file is parsed once per version of it (inode, size, modification time) and shared by every
host's connection: 50 hosts used to parse it 50 times (about 3 ms each for 58 lines, and a copy of
every key per host in memory). An edited file (a key fixed during a long run) is read afresh at the
next connection.
"""

from __future__ import annotations

import re
import struct
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from otcctl.errors import InputError
from otcctl.i18n import N_

if TYPE_CHECKING:
    import paramiko

_lock = threading.Lock()
_parsed: dict[Path, tuple[tuple[int, int, int], paramiko.HostKeys]] = {}

_PARAMIKO_FIELDS = re.compile(" |\t")
_NOT_A_KEY_LINE = N_("not a host key line otcctl can use: write HOST[,HOST...] KEY-TYPE BASE64-KEY, one space apart "
                     "(as ssh-keyscan prints it)")


def lookup_name(address: str, port: int) -> str:
    """The name paramiko looks a server's key up by: the address on port 22, ``[address]:port`` otherwise."""
    return address if port == 22 else f"[{address}]:{port}"


def known_host_keys(path: Path) -> paramiko.HostKeys:
    """The host keys of ``path``, parsed at most once per version of the file; :class:`InputError` if unusable."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError.at(path, N_(
            "the known_hosts file does not exist; otcctl checks every host key against it and never trusts a key "
            "on first sight. Add the hosts' keys (ssh-keyscan, checked against the console) to that file"
        )) from None
    except OSError as exc:
        raise InputError.at(path, f"cannot be read: {exc.strerror}") from None
    version = (info.st_ino, info.st_size, info.st_mtime_ns)
    with _lock:  # the hosts of a parallel step connect at once: one parses, the others wait
        cached = _parsed.get(path)
        if cached is None or cached[0] != version:
            cached = (version, read_known_hosts(path))
            _parsed[path] = cached
        return cached[1]


def read_known_hosts(path: Path) -> paramiko.HostKeys:
    """Parse every line of a known_hosts file, refusing any line paramiko would skip or misread."""
    from otcctl.connectors.paramiko_import import load_client

    load_client()  # paramiko as a run loads it (without invoke), even when preflight is the first to need it
    import paramiko
    from paramiko.hostkeys import HostKeyEntry, InvalidHostKey

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError.at(path, f"cannot be read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        at = raw.count(b"\n", 0, exc.start) + 1
        raise InputError.at(path, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", line=at) from None
    keys = paramiko.HostKeys()
    first_seen: dict[tuple[str, str], tuple[str, int]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if entry.startswith("@"):
            raise InputError.at(path, N_(
                "markers such as @revoked and @cert-authority are not understood by otcctl's SSH library "
                "(paramiko): a revoked key would still be trusted. Remove the marked line, and the revoked key's "
                "own line"
            ), line=number)
        if "" in _PARAMIKO_FIELDS.split(entry)[:3]:  # paramiko splits on each space: "a  b" shifts its fields
            raise InputError.at(path, _NOT_A_KEY_LINE, line=number)
        try:
            parsed = HostKeyEntry.from_line(entry, number)
        except InvalidHostKey as exc:
            raise InputError.at(path, f"the key is not valid base64 ({exc.exc})", line=number) from None
        except (paramiko.SSHException, ValueError, TypeError, IndexError, struct.error) as exc:
            raise InputError.at(path, f"the key cannot be read ({exc})", line=number) from None
        if parsed is None or parsed.key is None:
            raise InputError.at(path, _NOT_A_KEY_LINE, line=number)
        key_type, key_text = parsed.key.get_name(), parsed.key.get_base64()
        for host in parsed.hostnames:
            earlier = first_seen.setdefault((host, key_type), (key_text, number))
            if earlier[0] != key_text:
                raise InputError.at(path, f"a second, different {key_type} key for {host} (the first is on line "
                                          f"{earlier[1]}); only one can be trusted: keep the right one", line=number)
            keys.add(host, key_type, parsed.key)
    return keys
