"""E-mail to the departments over SMTP: STARTTLS with a verified certificate, then login, then send.

The password is looked up only when the inventory names a credential, and is never sent over
an unencrypted connection. The body travels base64-encoded UTF-8, so Chinese text survives
relays that do not speak 8BITMIME.
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from otcctl.connectors.notify._common import ChannelFailed, ChannelResult, NotifyRequest, network_problem
from otcctl.domain.clock import SHANGHAI
from otcctl.model.inventory import EnvCredential, KeyringCredential, Notification
from otcctl.secrets import Secret, SecretMissing, lookup_password

NO_SMTP = "no SMTP server in the inventory's notification section"


def send_email(request: NotifyRequest) -> ChannelResult:
    """Deliver the message; raises :class:`ChannelFailed` when nothing was delivered.

    A department without an address fails the channel even when the others got the mail:
    someone has to tell that department another way.
    """
    config = request.inventory.notification
    if not config.smtp_host or not config.sender:
        raise ChannelFailed(NO_SMTP)
    addresses, to_header = _recipients(request)
    password = _password(config, request)
    if password is not None and not config.starttls:
        raise ChannelFailed(
            "the inventory gives an SMTP login but starttls: false; otcctl never sends a password "
            "unencrypted (turn starttls on)"
        )
    mail = compose(config.sender, to_header, request.subject, request.message)
    _deliver(mail, addresses, config.smtp_host, config.sender, config, password, request)
    depts = request.inventory.departments
    without = [depts[d].name for d in request.departments if d in depts and not depts[d].email]
    how = "with STARTTLS" if config.starttls else "unencrypted"
    detail = f"sent to {len(addresses)} address(es) via {config.smtp_host}:{config.smtp_port} ({how})"
    if without:
        detail += f", but {'、'.join(without)} has no e-mail address in the inventory: tell them another way"
    return ChannelResult("email", not without, detail, tuple(addresses))


def compose(sender: str, to: list[Address], subject: str, message: str) -> EmailMessage:
    """The message: UTF-8 subject and body, a Date in Asia/Shanghai and a Message-ID."""
    mail = EmailMessage()
    mail["Subject"] = " ".join(subject.split())
    mail["From"] = sender
    mail["To"] = to
    mail["Date"] = format_datetime(datetime.now(SHANGHAI))
    domain = parseaddr(sender)[1].rpartition("@")[2] or "otcctl.invalid"
    mail["Message-ID"] = make_msgid("otcctl", domain=domain)  # a domain given: no slow getfqdn()
    mail.set_content(message, charset="utf-8", cte="base64")
    return mail


def _recipients(request: NotifyRequest) -> tuple[list[str], list[Address]]:
    addresses: list[str] = []
    header: list[Address] = []
    for dept_id in request.departments:
        dept = request.inventory.departments.get(dept_id)
        if dept is None:
            raise ChannelFailed(f"unknown department {dept_id!r} (not in the inventory)")
        for email in dept.email:
            if email in addresses:
                continue
            try:
                header.append(Address(display_name=dept.name, addr_spec=email))
            except Exception:
                raise ChannelFailed(f"department {dept_id} has an e-mail address that is not one: {email!r}") from None
            addresses.append(email)
    if not addresses:
        raise ChannelFailed("none of these departments has an e-mail address in the inventory: tell them another way")
    return addresses, header


def _password(config: Notification, request: NotifyRequest) -> Secret | None:
    credential = config.smtp_credential
    if credential is None:
        return None
    if not isinstance(credential, EnvCredential | KeyringCredential):
        raise ChannelFailed(
            f"smtp_credential with source {credential.source} cannot give a password; use env or keyring"
        )
    try:
        return lookup_password(credential, request.masker, environ=dict(request.environ))
    except SecretMissing as exc:
        raise ChannelFailed(f"SMTP login: {exc}") from None
    except Exception as exc:
        raise ChannelFailed(f"cannot read the SMTP password ({credential.source}): {exc}") from None


def _deliver(
    mail: EmailMessage,
    addresses: list[str],
    host: str,
    sender: str,
    config: Notification,
    password: Secret | None,
    request: NotifyRequest,
) -> None:
    server = f"the SMTP server {host}:{config.smtp_port}"
    try:
        smtp = smtplib.SMTP(host, config.smtp_port, timeout=request.timeout)
        try:
            smtp.ehlo()
            if config.starttls:
                if not smtp.has_extn("starttls"):
                    raise ChannelFailed(f"{server} does not offer STARTTLS, which the inventory asks for")
                smtp.starttls(context=request.tls_context or ssl.create_default_context())
                smtp.ehlo()
            if password is not None:
                _login(smtp, config.smtp_user or parseaddr(sender)[1], password, server)
            refused = smtp.send_message(mail, from_addr=parseaddr(sender)[1], to_addrs=addresses)
        except BaseException:
            smtp.close()  # the conversation's state is unknown (half a TLS handshake): just hang up
            raise
        _quit(smtp)
    except ChannelFailed:
        raise
    except Exception as exc:
        raise ChannelFailed(_problem(server, exc, request.timeout)) from None
    if refused:
        listed = ", ".join(f"{a} ({_reply(*r)})" for a, r in refused.items())
        raise ChannelFailed(f"{server} took the message but refused some recipients: {listed}")


def _login(smtp: smtplib.SMTP, user: str, password: Secret, server: str) -> None:
    try:
        smtp.login(user, password.reveal())
    except smtplib.SMTPAuthenticationError as exc:
        raise ChannelFailed(f"{server} refused the login of {user}: {_reply(exc.smtp_code, exc.smtp_error)}") from None
    except smtplib.SMTPNotSupportedError:
        raise ChannelFailed(f"{server} offers no login (AUTH) on this connection") from None
    except UnicodeEncodeError:
        raise ChannelFailed("the SMTP user or password has non-ASCII characters; SMTP AUTH cannot carry them") from None


def _quit(smtp: smtplib.SMTP) -> None:
    """QUIT politely; the message is already accepted, so a failure here changes nothing."""
    try:
        smtp.quit()
    except Exception:
        smtp.close()


def _problem(server: str, exc: Exception, timeout: float) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        listed = ", ".join(f"{a} ({_reply(*r)})" for a, r in exc.recipients.items())
        return f"{server} refused every recipient: {listed}"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"{server} refused the sender {exc.sender}: {_reply(exc.smtp_code, exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{server} refused the message: {_reply(exc.smtp_code, exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        if isinstance(exc.__context__, OSError):  # smtplib turns a timeout or reset into this
            return network_problem(server, exc.__context__, timeout)
        return f"{server} closed the connection unexpectedly ({exc})"
    if isinstance(exc, smtplib.SMTPException):
        return f"{server}: {exc}"
    if isinstance(exc, OSError):
        return network_problem(server, exc, timeout)
    return f"{server}: unexpected {type(exc).__name__}: {exc}"


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return f"{code} {text}"
