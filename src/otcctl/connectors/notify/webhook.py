"""A text message to a group chat through its robot webhook: WeCom, DingTalk or Feishu.

The webhook URL comes from an environment variable and carries the robot's token, its only
credential: the URL and its token-like pieces are registered with the masker before anything
is sent. A robot answers HTTP 200 even when it refuses, so the JSON reply's code is the verdict.
Robots with signing ("加签") turned on are not supported: the token-only URL must be enough.
"""

from __future__ import annotations

import ipaddress
import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from otcctl.connectors.notify._common import ChannelFailed, ChannelResult, NotifyRequest, network_problem, snippet
from otcctl.secrets import Masker, Secret

REPLY_LIMIT = 64 * 1024
ROBOTS = {"wecom": "WeCom (企业微信)", "dingtalk": "DingTalk (钉钉)", "feishu": "Feishu (飞书)"}
# Most bytes of text each robot takes: WeCom documents 2048 for text.content, Feishu 20 KB per request.
TEXT_LIMITS = {"wecom": 2048, "dingtalk": 20000, "feishu": 19000}


def send_webhook(request: NotifyRequest) -> ChannelResult:
    """Post the subject and message to the robot; raises :class:`ChannelFailed` unless it accepted."""
    config = request.inventory.notification
    variable = config.webhook_url_env
    if not variable:
        raise ChannelFailed("no webhook in the inventory's notification section (webhook_url_env)")
    kind = config.webhook_kind
    if kind is None:
        raise ChannelFailed("the inventory names a webhook but not its kind (webhook_kind: wecom, dingtalk or feishu)")
    url = request.environ.get(variable, "").strip()
    if not url:
        raise ChannelFailed(
            f"the environment variable {variable}, which holds the webhook URL, is not set; "
            "export it in the shell that runs otcctl"
        )
    register_url(url, request.masker)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ChannelFailed(f"the environment variable {variable} does not hold an http(s) URL")
    robot = f"the {ROBOTS[kind]} robot at {parts.hostname}"
    text, shortened = fit(f"{request.subject.strip()}\n\n{request.message.strip()}", TEXT_LIMITS[kind])
    reply = _post(url, payload(kind, text), parts.hostname, robot, request)
    judge_reply(kind, reply, robot)
    detail = f"posted to {robot}"
    if shortened:
        detail += f" (text shortened to its limit of {TEXT_LIMITS[kind]} bytes)"
    return ChannelResult("webhook", True, detail, request.department_names())


def register_url(url: str, masker: Masker) -> None:
    """Mask the URL and every piece of it that may be its token, wherever it turns up."""
    masker.add(Secret(url))
    parts = urlsplit(url)
    pieces = [value for _, value in parse_qsl(parts.query)]
    pieces += [parts.path.rstrip("/").rpartition("/")[2], parts.password or ""]
    for piece in pieces:
        if len(piece) >= 8:
            masker.add(Secret(piece))


def payload(kind: str, text: str) -> dict[str, Any]:
    """The JSON body of a text message, as each robot wants it."""
    if kind == "feishu":
        return {"msg_type": "text", "content": {"text": text}}
    return {"msgtype": "text", "text": {"content": text}}


def fit(text: str, limit: int) -> tuple[str, bool]:
    """The text cut to ``limit`` UTF-8 bytes (never inside a character), and whether it was cut."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text, False
    return data[: limit - 3].decode("utf-8", errors="ignore") + "…", True


def judge_reply(kind: str, reply: bytes, robot: str) -> None:
    """Raise unless the robot's JSON reply says the message was accepted (code 0)."""
    try:
        answer = json.loads(reply.decode("utf-8", errors="replace"))
    except ValueError:
        raise ChannelFailed(f"{robot} answered HTTP 200 but not with JSON: {snippet(reply)}") from None
    if not isinstance(answer, dict):
        raise ChannelFailed(f"{robot} answered HTTP 200 with unexpected JSON: {snippet(reply)}")
    if kind == "feishu":
        code_key, text_key = ("code", "msg") if "code" in answer else ("StatusCode", "StatusMessage")
    else:
        code_key, text_key = "errcode", "errmsg"
    code = answer.get(code_key)
    if code == 0:
        return
    if code is None:
        raise ChannelFailed(f"{robot} answered without {code_key}, so delivery is unknown: {snippet(reply)}")
    raise ChannelFailed(f"{robot} refused the message: {code_key} {code} ({answer.get(text_key, '')})")


def proxies_for(host: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The proxies the environment names, unless the host is loopback or listed in ``no_proxy``."""
    try:
        if ipaddress.ip_address(host).is_loopback:
            return {}
    except ValueError:
        if host == "localhost":
            return {}
    no_proxy = environ.get("no_proxy") or environ.get("NO_PROXY") or ""
    for entry in (e.strip().lstrip(".").lower() for e in no_proxy.split(",")):
        if entry == "*" or (entry and (host.lower() == entry or host.lower().endswith("." + entry))):
            return {}
    found = {}
    for scheme in ("http", "https"):
        proxy = environ.get(f"{scheme}_proxy") or environ.get(f"{scheme.upper()}_PROXY")
        if proxy:
            found[scheme] = proxy
    return found


def _post(url: str, body: dict[str, Any], host: str, robot: str, request: NotifyRequest) -> bytes:
    post = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler(proxies_for(host, request.environ)),
        urllib.request.HTTPSHandler(context=request.tls_context or ssl.create_default_context()),
    )
    try:
        with opener.open(post, timeout=request.timeout) as response:
            status: int = response.status
            reply: bytes = response.read(REPLY_LIMIT)
    except urllib.error.HTTPError as exc:
        answer = snippet(_error_body(exc))
        said = f"{robot} answered HTTP {exc.code} {exc.reason}"
        raise ChannelFailed(f"{said}: {answer}" if answer else said) from None
    except urllib.error.URLError as exc:
        reason = exc.reason if isinstance(exc.reason, OSError) else OSError(str(exc.reason))
        raise ChannelFailed(network_problem(robot, reason, request.timeout)) from None
    except OSError as exc:
        raise ChannelFailed(network_problem(robot, exc, request.timeout)) from None
    if status != 200:
        raise ChannelFailed(f"{robot} answered HTTP {status} instead of 200")
    return reply


def _error_body(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read(REPLY_LIMIT)
    except Exception:
        return b""
    finally:
        exc.close()
