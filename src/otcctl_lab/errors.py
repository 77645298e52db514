"""Errors of the lab, under otcctl's one root error so the CLI reports them the same way."""

from __future__ import annotations

from otcctl.errors import OtcctlError


class LabError(OtcctlError):
    """The lab could not be built, reached or stopped; the message says what to do about it."""


class SshdMissing(LabError):
    """OpenSSH's server or ssh-keygen is not installed: the lab needs real sshd peers."""


class PortsInUse(LabError):
    """Another lab (or anything else) holds the addresses and ports this lab needs."""
