"""Who is running otcctl, as compliance wants it recorded: login, sudo user, named operator, machine."""

from __future__ import annotations

import getpass
import os
import socket


def operator_identity(named: str | None) -> dict[str, str]:
    """The OS login, the invoking user behind sudo, the ``--operator`` name and the machine."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = str(os.getuid())
    identity = {"login": login, "machine": socket.gethostname()}
    sudo_user = os.environ.get("SUDO_USER")
    if sudo_user:
        identity["sudo_user"] = sudo_user
    if named:
        identity["operator"] = named
    return identity


def display_name(identity: dict[str, str]) -> str:
    """``张三 (login root via sudo from zhangsan on ops-01)``."""
    who = identity.get("operator") or identity.get("sudo_user") or identity["login"]
    via = f" via sudo from {identity['sudo_user']}" if "sudo_user" in identity else ""
    return f"{who} (login {identity['login']}{via} on {identity['machine']})"
