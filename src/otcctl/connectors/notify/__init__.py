"""Telling departments: e-mail over SMTP and a chat robot webhook (WeCom, DingTalk, Feishu).

Every way a notification can fail (no configuration, an unset variable, a server that is down,
refuses the login or presents an untrusted certificate, a robot that answers with an error
code) comes back as a failed :class:`ChannelResult` with a one-line detail an operator can act
on, never as an exception: the notify step's verdict is the operator's, and they need to know
whom to phone. Details pass through the run's :class:`Masker`; the SMTP password and the
webhook URL (its token is the robot's only credential) are registered with it before use.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from otcctl.connectors.notify._common import ChannelFailed, ChannelResult, NotifyRequest, one_line
from otcctl.connectors.notify.smtp import NO_SMTP, send_email
from otcctl.connectors.notify.webhook import send_webhook
from otcctl.model.inventory import Inventory
from otcctl.secrets import Masker

__all__ = ["NO_SMTP", "ChannelResult", "NotifyResult", "send_notification"]

CHANNELS: dict[str, Callable[[NotifyRequest], ChannelResult]] = {"email": send_email, "webhook": send_webhook}


@dataclass(frozen=True)
class NotifyResult:
    """The outcome of one notification: one result per channel asked for."""

    results: tuple[ChannelResult, ...]

    @property
    def ok(self) -> bool:
        """True when at least one channel was asked for and every one delivered."""
        return bool(self.results) and all(r.ok for r in self.results)

    @property
    def failed(self) -> bool:
        """True unless every channel delivered."""
        return not self.ok


def send_notification(
    inventory: Inventory,
    departments: list[str],
    subject: str,
    message: str,
    channels: list[str],
    *,
    masker: Masker,
    environ: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    tls_context: ssl.SSLContext | None = None,
) -> NotifyResult:
    """Send ``subject`` and ``message`` to the departments by each channel, in order; never raises.

    ``environ`` replaces ``os.environ`` for the SMTP password, the webhook URL and proxies;
    ``tls_context`` replaces the system's trust store (a test CA, a site CA bundle).
    """
    request = NotifyRequest(
        inventory=inventory,
        departments=tuple(departments),
        subject=subject,
        message=message,
        masker=masker,
        environ=os.environ if environ is None else environ,
        timeout=timeout,
        tls_context=tls_context,
    )
    results = []
    for channel in dict.fromkeys(channels):
        result = _run_channel(channel, request)
        results.append(replace(result, detail=masker.mask(one_line(result.detail))))
    return NotifyResult(tuple(results))


def _run_channel(channel: str, request: NotifyRequest) -> ChannelResult:
    send = CHANNELS.get(channel)
    if send is None:
        return ChannelResult(channel, False, f"unknown channel {channel!r}: otcctl sends by email or webhook")
    if not request.departments:
        return ChannelResult(channel, False, "no department to tell")
    try:
        return send(request)
    except ChannelFailed as exc:
        return ChannelResult(channel, False, str(exc))
    except Exception as exc:  # a notification never takes the run down with it
        return ChannelResult(channel, False, f"unexpected error sending by {channel}: {type(exc).__name__}: {exc}")
