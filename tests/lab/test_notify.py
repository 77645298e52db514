"""Notifications against real peers on loopback: aiosmtpd for e-mail, http.server for the robots.

The SMTP peer speaks plain SMTP, or STARTTLS with a certificate made here and AUTH LOGIN/PLAIN
checked against a known password; the robot peer answers as WeCom, DingTalk and Feishu do.
Every failure must come back as a result whose detail holds neither password nor token.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import json
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from otcctl.connectors.notify import NO_SMTP, NotifyResult, send_notification
from otcctl.connectors.notify.webhook import fit, proxies_for
from otcctl.model.inventory import Inventory
from otcctl.secrets import Masker

SENDER = "otcctl@otc.example"
SUBJECT = "【通知】OTC系统 周末维护：清算前请勿操作"
BODY = "各部门：\n\n本周六 09:00—12:00 重启 M1–M6，期间柜台暂停服务。\n如有疑问请致电运维部值班。\n"
DEPARTMENTS: dict[str, Any] = {
    "brokerage": {"name": "经纪业务部", "email": ["brokerage-duty@otc.example"]},
    "clearing": {"name": "清算部", "email": ["clearing-duty@otc.example", "clearing-backup@otc.example"]},
    "branches": {"name": "营业部", "email": []},
}
USER = "otcctl"
PASSWORD = "s3cret-Password-4711"
PASSWORD_ENV = "OTCTEST_SMTP_PASSWORD"


def make_inventory(notification: dict[str, Any]) -> Inventory:
    return Inventory.model_validate(
        {
            "name": "notify-test",
            "environment": "test",
            "known_hosts": "/dev/null",
            "hosts": {},
            "departments": DEPARTMENTS,
            "notification": notification,
        }
    )


def notify(
    inventory: Inventory,
    channels: list[str],
    *,
    departments: tuple[str, ...] = ("brokerage", "clearing"),
    environ: dict[str, str] | None = None,
    masker: Masker | None = None,
    timeout: float = 10.0,
    tls_context: ssl.SSLContext | None = None,
    message: str = BODY,
) -> NotifyResult:
    return send_notification(
        inventory,
        list(departments),
        SUBJECT,
        message,
        channels,
        masker=masker or Masker(),
        environ=environ or {},
        timeout=timeout,
        tls_context=tls_context,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def silent_listener() -> Iterator[int]:
    """A port that accepts connections (the kernel completes the handshake) and never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


# --- the SMTP peer --------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    login: bytes | None
    over_tls: bool

    def parsed(self) -> EmailMessage:
        message = email.message_from_bytes(self.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class Inbox:
    messages: list[Received] = field(default_factory=list)
    mechanisms: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert envelope.mail_from is not None and envelope.original_content is not None
        login = session.login_data if isinstance(session.login_data, bytes) else None
        received = Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content, login,
                            session.ssl is not None)
        self.messages.append(received)
        return "250 2.0.0 queued"

    def authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                     auth_data: Any) -> AuthResult:
        self.mechanisms.append(mechanism)
        good = (isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode()
                and auth_data.password == PASSWORD.encode())
        return AuthResult(success=good, handled=False, auth_data=auth_data)


@contextmanager
def smtp_peer(*, check_login: bool = False, **smtp_options: Any) -> Iterator[tuple[int, Inbox]]:
    """aiosmtpd on 127.0.0.1; with ``check_login`` it accepts USER/PASSWORD and nothing else."""
    inbox = Inbox()
    if check_login:
        smtp_options["authenticator"] = inbox.authenticate
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), server_hostname="mail.test",
                            ready_timeout=10, **smtp_options)
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


@dataclass(frozen=True)
class SelfSignedCa:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> SelfSignedCa:
    """A self-signed certificate for 127.0.0.1: trusted only by a context that loads it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "otcctl test mail")])
    now = datetime.datetime.now(datetime.UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    ca = SelfSignedCa(directory / "cert.pem", directory / "key.pem")
    ca.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    ca.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
    return ca


@contextmanager
def tls_smtp_peer(ca: SelfSignedCa, exclude: tuple[str, ...] = ()) -> Iterator[tuple[int, Inbox]]:
    with smtp_peer(tls_context=ca.server_context(), require_starttls=True, auth_required=True,
                   check_login=True, auth_exclude_mechanism=exclude) as peer:
        yield peer


def smtp_settings(port: int, *, starttls: bool, login: bool = False) -> dict[str, Any]:
    settings: dict[str, Any] = {"smtp_host": "127.0.0.1", "smtp_port": port, "starttls": starttls, "sender": SENDER}
    if login:
        settings |= {"smtp_user": USER, "smtp_credential": {"source": "env", "variable": PASSWORD_ENV}}
    return settings


# --- e-mail ---------------------------------------------------------------------------------


def test_plain_smtp_delivers_the_chinese_message_to_every_department() -> None:
    with smtp_peer() as (port, inbox):
        result = notify(make_inventory(smtp_settings(port, starttls=False)), ["email"])

    assert result.ok, result
    (channel,) = result.results
    addresses = ["brokerage-duty@otc.example", "clearing-duty@otc.example", "clearing-backup@otc.example"]
    assert (channel.channel, channel.recipients) == ("email", tuple(addresses))
    assert "sent to 3 address(es)" in channel.detail
    (received,) = inbox.messages
    assert (received.mail_from, received.rcpt_tos, received.over_tls) == (SENDER, addresses, False)
    assert received.content.isascii(), "the body travels base64-encoded, safe for any relay"
    mail = received.parsed()
    assert mail["From"] == SENDER
    assert [a.addr_spec for a in mail["To"].addresses] == addresses
    assert [a.display_name for a in mail["To"].addresses] == ["经纪业务部", "清算部", "清算部"]
    assert mail["Subject"] == SUBJECT
    assert mail.get_content_type() == "text/plain" and mail.get_content_charset() == "utf-8"
    assert mail.get_content() == BODY
    assert mail["Date"].datetime.utcoffset() == datetime.timedelta(hours=8)
    assert abs(mail["Date"].datetime.timestamp() - time.time()) < 60
    assert mail["Message-ID"].startswith("<") and mail["Message-ID"].endswith("@otc.example>")


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
def test_starttls_with_login_delivers(ca: SelfSignedCa, mechanism: str) -> None:
    other = {"LOGIN": "PLAIN", "PLAIN": "LOGIN"}[mechanism]
    masker = Masker()
    with tls_smtp_peer(ca, exclude=(other,)) as (port, inbox):
        result = notify(make_inventory(smtp_settings(port, starttls=True, login=True)), ["email"],
                        environ={PASSWORD_ENV: PASSWORD}, masker=masker, tls_context=ca.client_context())

    assert result.ok, result
    assert "with STARTTLS" in result.results[0].detail
    assert inbox.mechanisms == [mechanism]
    (received,) = inbox.messages
    assert received.over_tls and received.login == USER.encode()
    assert received.parsed().get_content() == BODY
    assert masker.mask(f"password {PASSWORD}") == "password ***", "the password was registered with the masker"


def test_wrong_password_is_refused_and_never_shown(ca: SelfSignedCa) -> None:
    wrong = "wrong-Password-0815"
    with tls_smtp_peer(ca) as (port, inbox):
        result = notify(make_inventory(smtp_settings(port, starttls=True, login=True)), ["email"],
                        environ={PASSWORD_ENV: wrong}, tls_context=ca.client_context())

    assert not result.ok
    detail = result.results[0].detail
    assert "refused the login of otcctl" in detail and "535" in detail
    assert wrong not in detail and PASSWORD not in detail
    assert inbox.messages == []


def test_self_signed_certificate_is_refused_by_default(ca: SelfSignedCa) -> None:
    started = time.monotonic()
    with tls_smtp_peer(ca) as (port, inbox):
        result = notify(make_inventory(smtp_settings(port, starttls=True, login=True)), ["email"],
                        environ={PASSWORD_ENV: PASSWORD})

    assert not result.ok
    detail = result.results[0].detail
    assert "TLS certificate that is not trusted" in detail and "self-signed" in detail
    assert PASSWORD not in detail
    assert inbox.messages == [] and inbox.mechanisms == [], "nothing, and no password, was sent"
    assert time.monotonic() - started < 8


def test_starttls_asked_for_but_not_offered() -> None:
    with smtp_peer() as (port, inbox):
        result = notify(make_inventory(smtp_settings(port, starttls=True)), ["email"])
    assert not result.ok
    assert "does not offer STARTTLS" in result.results[0].detail
    assert inbox.messages == []


def test_a_password_is_never_sent_unencrypted() -> None:
    with smtp_peer(auth_require_tls=False, check_login=True) as (port, inbox):
        result = notify(make_inventory(smtp_settings(port, starttls=False, login=True)), ["email"],
                        environ={PASSWORD_ENV: PASSWORD})
    assert not result.ok
    assert "never sends a password unencrypted" in result.results[0].detail
    assert inbox.mechanisms == [] and inbox.messages == []


def test_missing_smtp_configuration() -> None:
    for settings in ({}, {"smtp_host": "127.0.0.1"}, {"sender": SENDER}):
        result = notify(make_inventory(settings), ["email"])
        assert not result.ok
        assert result.results[0].detail == NO_SMTP


def test_password_variable_not_set() -> None:
    result = notify(make_inventory(smtp_settings(free_port(), starttls=True, login=True)), ["email"])
    assert not result.ok
    assert PASSWORD_ENV in result.results[0].detail and "not set" in result.results[0].detail


def test_smtp_server_down_is_a_result() -> None:
    started = time.monotonic()
    result = notify(make_inventory(smtp_settings(free_port(), starttls=False)), ["email"])
    assert not result.ok
    assert "refused the connection" in result.results[0].detail
    assert time.monotonic() - started < 5


def test_silent_smtp_server_is_given_up_after_the_timeout() -> None:
    with silent_listener() as port:
        result = notify(make_inventory(smtp_settings(port, starttls=False)), ["email"], timeout=1)
    assert not result.ok
    assert "no answer from the SMTP server" in result.results[0].detail


def test_a_department_without_email_fails_the_channel_but_the_others_get_it() -> None:
    with smtp_peer() as (port, inbox):
        result = notify(make_inventory(smtp_settings(port, starttls=False)), ["email"],
                        departments=("brokerage", "branches"))
    assert not result.ok
    (channel,) = result.results
    assert channel.recipients == ("brokerage-duty@otc.example",)
    assert "营业部 has no e-mail address" in channel.detail
    assert [m.rcpt_tos for m in inbox.messages] == [["brokerage-duty@otc.example"]]


# --- the robot peer -------------------------------------------------------------------------


@dataclass(frozen=True)
class Posted:
    path: str
    content_type: str
    body: bytes


@contextmanager
def robot_peer(
    answer: Callable[[str], tuple[int, bytes]], tls: ssl.SSLContext | None = None
) -> Iterator[tuple[str, list[Posted]]]:
    """An HTTP(S) server on loopback; ``answer(path)`` gives the status and body to reply with."""
    posted: list[Posted] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            posted.append(Posted(self.path, self.headers.get("Content-Type", ""), self.rfile.read(length)))
            status, body = answer(self.path)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_port}", posted
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def replying(reply: dict[str, Any], status: int = 200) -> Callable[[str], tuple[int, bytes]]:
    return lambda path: (status, json.dumps(reply).encode())


def robot_url(base: str, kind: str, token: str) -> str:
    paths = {
        "wecom": f"/cgi-bin/webhook/send?key={token}",
        "dingtalk": f"/robot/send?access_token={token}",
        "feishu": f"/open-apis/bot/v2/hook/{token}",
    }
    return base + paths[kind]


def webhook_inventory(kind: str) -> Inventory:
    return make_inventory({"webhook_url_env": "OTCTEST_WEBHOOK_URL", "webhook_kind": kind})


TEXT = SUBJECT + "\n\n" + BODY.strip()
ACCEPTED = {
    "wecom": ({"errcode": 0, "errmsg": "ok"}, {"msgtype": "text", "text": {"content": TEXT}}),
    "dingtalk": ({"errcode": 0, "errmsg": "ok"}, {"msgtype": "text", "text": {"content": TEXT}}),
    "feishu": ({"code": 0, "data": {}, "msg": "success"}, {"msg_type": "text", "content": {"text": TEXT}}),
}


@pytest.mark.parametrize("kind", sorted(ACCEPTED))
def test_webhook_posts_each_robots_json(kind: str) -> None:
    reply, expected = ACCEPTED[kind]
    token = secrets.token_hex(24)
    masker = Masker()
    with robot_peer(replying(reply)) as (base, posted):
        url = robot_url(base, kind, token)
        result = notify(webhook_inventory(kind), ["webhook"], environ={"OTCTEST_WEBHOOK_URL": url}, masker=masker)

    assert result.ok, result
    (channel,) = result.results
    assert channel.recipients == ("经纪业务部", "清算部")
    assert "posted to the" in channel.detail and token not in channel.detail
    (request,) = posted
    assert token in request.path, "the robot was called at the URL from the environment"
    assert request.content_type == "application/json; charset=utf-8"
    assert "清算前请勿操作".encode() in request.body, "UTF-8 on the wire, not \\u escapes"
    assert json.loads(request.body.decode("utf-8")) == expected
    assert masker.mask(f"GET {url}") == "GET ***"
    assert masker.mask(f"token={token}") == "token=***"


REFUSED = {
    "wecom": ({"errcode": 93000, "errmsg": "invalid webhook url, hint: [key={token}]"}, "errcode 93000"),
    "dingtalk": ({"errcode": 310000, "errmsg": "keywords not in content, token {token}"}, "errcode 310000"),
    "feishu": ({"code": 19021, "data": {}, "msg": "sign match fail ({token})"}, "code 19021"),
}


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_webhook_error_code_is_a_failure_without_the_token(kind: str) -> None:
    template, code = REFUSED[kind]
    token = secrets.token_hex(24)
    reply = {k: v.format(token=token) if isinstance(v, str) else v for k, v in template.items()}
    with robot_peer(replying(reply)) as (base, _):
        environ = {"OTCTEST_WEBHOOK_URL": robot_url(base, kind, token)}
        result = notify(webhook_inventory(kind), ["webhook"], environ=environ)
    assert not result.ok
    detail = result.results[0].detail
    assert "refused the message" in detail and code in detail
    assert token not in detail, "the robot echoed the token; the masker hid it"


def test_https_robot_needs_a_trusted_certificate(ca: SelfSignedCa) -> None:
    token = secrets.token_hex(24)
    with robot_peer(replying({"code": 0, "msg": "success"}), tls=ca.server_context()) as (base, posted):
        environ = {"OTCTEST_WEBHOOK_URL": robot_url(base, "feishu", token)}
        trusted = notify(webhook_inventory("feishu"), ["webhook"], environ=environ, tls_context=ca.client_context())
        refused = notify(webhook_inventory("feishu"), ["webhook"], environ=environ)
    assert trusted.ok, trusted
    assert not refused.ok
    detail = refused.results[0].detail
    assert "TLS certificate that is not trusted" in detail and token not in detail
    assert len(posted) == 1, "nothing was posted to the untrusted server"


def test_webhook_server_down_fails_quickly_without_the_token() -> None:
    token = secrets.token_hex(24)
    started = time.monotonic()
    url = robot_url(f"http://127.0.0.1:{free_port()}", "wecom", token)
    result = notify(webhook_inventory("wecom"), ["webhook"], environ={"OTCTEST_WEBHOOK_URL": url})
    assert not result.ok
    detail = result.results[0].detail
    assert "refused the connection" in detail and token not in detail
    assert time.monotonic() - started < 5


def test_silent_robot_is_given_up_after_the_timeout() -> None:
    token = secrets.token_hex(24)
    with silent_listener() as port:
        url = robot_url(f"http://127.0.0.1:{port}", "dingtalk", token)
        result = notify(webhook_inventory("dingtalk"), ["webhook"], environ={"OTCTEST_WEBHOOK_URL": url}, timeout=1)
    assert not result.ok
    detail = result.results[0].detail
    assert "no answer from the DingTalk" in detail and token not in detail


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (lambda path: (404, b'{"errcode": 404, "errmsg": "no such robot"}'), "answered HTTP 404 Not Found"),
        (lambda path: (200, b"<html>proxy login</html>"), "not with JSON"),
        (lambda path: (200, b'{"ok": true}'), "without errcode"),
        (lambda path: (502, f"bad gateway for {path}".encode()), "answered HTTP 502"),
    ],
)
def test_webhook_unexpected_answers(answer: Callable[[str], tuple[int, bytes]], expected: str) -> None:
    token = secrets.token_hex(24)
    with robot_peer(answer) as (base, _):
        result = notify(webhook_inventory("wecom"), ["webhook"],
                        environ={"OTCTEST_WEBHOOK_URL": robot_url(base, "wecom", token)})
    assert not result.ok
    assert expected in result.results[0].detail and token not in result.results[0].detail


def test_webhook_text_is_cut_to_the_robots_limit() -> None:
    with robot_peer(replying({"errcode": 0, "errmsg": "ok"})) as (base, posted):
        result = notify(webhook_inventory("wecom"), ["webhook"], message="维护" * 1000,
                        environ={"OTCTEST_WEBHOOK_URL": robot_url(base, "wecom", secrets.token_hex(24))})
    assert result.ok
    assert "shortened to its limit of 2048 bytes" in result.results[0].detail
    content = json.loads(posted[0].body)["text"]["content"]
    assert len(content.encode("utf-8")) <= 2048 and content.endswith("…")


def test_webhook_configuration_problems() -> None:
    unset = notify(webhook_inventory("feishu"), ["webhook"])
    assert not unset.ok and "OTCTEST_WEBHOOK_URL" in unset.results[0].detail
    none = notify(make_inventory({}), ["webhook"])
    assert not none.ok and "no webhook" in none.results[0].detail
    no_kind = notify(make_inventory({"webhook_url_env": "OTCTEST_WEBHOOK_URL"}), ["webhook"],
                     environ={"OTCTEST_WEBHOOK_URL": "https://robot.example/send?key=0123456789abcdef"})
    assert not no_kind.ok and "webhook_kind" in no_kind.results[0].detail
    not_http = notify(webhook_inventory("wecom"), ["webhook"], environ={"OTCTEST_WEBHOOK_URL": "file:///etc/passwd"})
    assert not not_http.ok and "http(s) URL" in not_http.results[0].detail


# --- both, and the pure parts ---------------------------------------------------------------


def test_each_channel_reports_on_its_own() -> None:
    with smtp_peer() as (port, inbox), robot_peer(replying({"errcode": 93000, "errmsg": "invalid"})) as (base, _):
        settings = smtp_settings(port, starttls=False) | {"webhook_url_env": "HOOK", "webhook_kind": "wecom"}
        result = notify(make_inventory(settings), ["email", "webhook", "email"],
                        environ={"HOOK": robot_url(base, "wecom", secrets.token_hex(24))})
    assert [(r.channel, r.ok) for r in result.results] == [("email", True), ("webhook", False)]
    assert not result.ok and result.failed
    assert len(inbox.messages) == 1


def test_no_channel_or_an_unknown_one_is_not_success() -> None:
    assert not notify(make_inventory({}), []).ok
    result = notify(make_inventory({}), ["sms"])
    assert not result.ok and "unknown channel 'sms'" in result.results[0].detail


def test_proxies_come_from_the_given_environment() -> None:
    env = {"https_proxy": "http://proxy.corp:3128", "no_proxy": "corp.example,.intra"}
    assert proxies_for("qyapi.weixin.qq.com", env) == {"https": "http://proxy.corp:3128"}
    assert proxies_for("127.0.0.1", env) == {}
    assert proxies_for("mail.corp.example", env) == {}
    assert proxies_for("robot.intra", env) == {}
    assert proxies_for("open.feishu.cn", {}) == {}


def test_fit_never_cuts_a_character_in_half() -> None:
    assert fit("通知", 100) == ("通知", False)
    text, cut = fit("维护" * 10, 20)
    assert cut and text == "维护" * 2 + "维…" and len(text.encode()) <= 20
