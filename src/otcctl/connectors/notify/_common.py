"""What the channels share: the request, the failure a channel raises, and operator-language details."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass

from otcctl.model.inventory import Inventory
from otcctl.secrets import Masker

DETAIL_LIMIT = 400


@dataclass(frozen=True)
class ChannelResult:
    """What one channel did: whether it delivered, a one-line detail, and whom it reached."""

    channel: str
    ok: bool
    detail: str
    recipients: tuple[str, ...] = ()


class ChannelFailed(Exception):
    """A channel could not deliver; the message is the one-line detail shown to the operator."""


@dataclass(frozen=True)
class NotifyRequest:
    """One notification, with everything a channel needs passed in (environment, trust, deadline)."""

    inventory: Inventory
    departments: tuple[str, ...]
    subject: str
    message: str
    masker: Masker
    environ: Mapping[str, str]
    timeout: float
    tls_context: ssl.SSLContext | None

    def department_names(self) -> tuple[str, ...]:
        """The departments as people call them (the id when the inventory does not know it)."""
        known = self.inventory.departments
        return tuple(known[d].name if d in known else d for d in self.departments)


def network_problem(peer: str, exc: OSError, timeout: float) -> str:
    """A socket or TLS error, said the way an operator can act on it."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        why = exc.verify_message or exc.reason or "certificate verify failed"
        return f"{peer} presented a TLS certificate that is not trusted ({why}); its CA must be in the trust store"
    if isinstance(exc, ssl.SSLError):
        return f"TLS with {peer} failed: {exc.reason or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return f"{peer} refused the connection (nothing listening there?)"
    if isinstance(exc, socket.gaierror):
        return f"{peer}: the name cannot be resolved ({exc.strerror})"
    if isinstance(exc, TimeoutError):
        return f"no answer from {peer} within {timeout:g} s"
    return f"cannot reach {peer}: {exc.strerror or exc}"


def snippet(data: bytes) -> str:
    """The start of a server's reply, on one line."""
    return one_line(data[:300].decode("utf-8", errors="replace"))


def one_line(text: str) -> str:
    """Whitespace collapsed, cut to a length a status line can show."""
    line = " ".join(text.split())
    return line if len(line) <= DETAIL_LIMIT else line[: DETAIL_LIMIT - 1] + "…"
