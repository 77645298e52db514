"""Notify steps send real mail in the lab; when sending fails the operator is asked to phone."""

from __future__ import annotations

import email
import socket
from email.header import decode_header, make_header
from pathlib import Path

from otcctl.plan.prepare import PlanRequest
from otcctl.run.confirm import ScriptedConfirmer
from otcctl.run.records import Operator
from otcctl.run.session import RunRequest, start_run
from otcctl_lab import Lab
from tests.runs import journals, otcctl, records, variant_inventory, write_runbook

NOTIFY = """\
  - id: tell
    kind: notify
    departments: [brokerage, clearing, branches]
    subject: "【系统维护通知】OTC 柜台系统 {{date_iso}} 月度重启"
    message: 各位同事：OTC 柜台交易系统将进行月度服务器重启维护。
    action: 通知各部门
    manual_ref: 月操作·重启服务器 第1步
"""


def test_notification_reaches_the_lab_mail_server(lab: Lab, tmp_path: Path) -> None:
    mail = lab.layout.root / "mail"
    before = set(mail.glob("*.eml"))
    books = tmp_path / "books"
    write_runbook(books, "tell", NOTIFY)
    result = otcctl(tmp_path / "s", "run", "tell", "--runbooks", str(books), "-i", str(lab.inventory_path),
                    "--date", "20261127")
    assert result.returncode == 0, result.stdout + result.stderr
    (new,) = set(mail.glob("*.eml")) - before
    message = email.message_from_bytes(new.read_bytes())
    assert str(make_header(decode_header(message["Subject"]))) == "【系统维护通知】OTC 柜台系统 2026-11-27 月度重启"
    assert "brokerage-duty@otc.example" in message["To"] and "clearing-duty@otc.example" in message["To"]
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes) and "月度服务器重启维护" in body.decode("utf-8")


def test_failed_sending_asks_the_operator_to_phone(lab: Lab, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    inventory = variant_inventory(lab.inventory_path, tmp_path / "inv.yaml",
                                  notification={"smtp_host": "127.0.0.1", "smtp_port": closed, "starttls": False,
                                                "sender": "otcctl-lab@otc.example"})
    books = tmp_path / "books"
    write_runbook(books, "tell", NOTIFY)
    stopped = otcctl(tmp_path / "s1", "run", "tell", "--runbooks", str(books), "-i", str(inventory), "--assume-yes")
    assert stopped.returncode == 1 and "refused the connection" in stopped.stdout
    confirmer = ScriptedConfirmer([("yes", "已电话通知三个部门")])
    request = RunRequest(PlanRequest(str(books / "tell.yaml"), inventory=inventory), Operator.current("孙九"))
    result = start_run(request, tmp_path / "s2", confirmer, [])
    assert result.outcome == "passed-with-exceptions"  # sending failed; phoning instead is a waiver
    assert result.steps[0].outcome == "waived" and "已电话通知三个部门" in result.steps[0].reason
    (asked,) = confirmer.asked
    assert asked.purpose == "failure" and "phone" in asked.question
    recs = records(journals(tmp_path / "s2")[0])
    confirmation = next(r for r in recs if r["type"] == "confirmation")
    assert confirmation["comment"] == "已电话通知三个部门" and confirmation["operator"]["operator"] == "孙九"
