"""Running runbooks for real against the lab: verdicts, timeouts, the journal, confirmations, trust."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from otcctl_lab import Lab
from tests.helpers import sleep_marker
from tests.runs import journals, otcctl, records, variant_inventory, write_runbook

SSH_STEPS = """\
  - id: hello
    kind: shell
    targets: [M3, M4]
    command: echo "host=$OTCLAB_HOST"; uname -s
    expect: {all: [{exit_code: 0}, {contains: "host=M"}]}
    action: 说你好
    assumption: A01
  - id: tomcat-up
    kind: port
    targets: [web]
    services: [Tomcat]
    action: Tomcat 端口
    assumption: A01
  - id: f1-today
    kind: file
    data_file: F1
    ofd: true
    stable_for: 0.2s
    action: 当日行情文件
    assumption: A04
  - id: tomcat-status
    kind: service
    targets: [M3]
    services: [Tomcat]
    operation: status
    action: Tomcat 状态
    assumption: A01
  - id: local-echo
    kind: local
    command: echo local-ok
    expect: {contains: local-ok}
    action: 本机命令
    assumption: A01
"""


def test_run_passes_and_journals_every_step(lab: Lab, tmp_path: Path) -> None:
    books = tmp_path / "books"
    write_runbook(books, "ssh-basics", SSH_STEPS)
    result = otcctl(tmp_path / "state", "run", "ssh-basics", "--runbooks", str(books), "-i", str(lab.inventory_path),
                    "--operator", "张三")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS 1 hello" in result.stdout and "PASS 3 f1-today" in result.stdout
    (journal,) = journals(tmp_path / "state")
    recs = records(journal)
    kinds = [r["type"] for r in recs]
    assert kinds[0] == "run-started" and kinds[-1] == "run-finished"
    assert kinds.count("step-started") == kinds.count("step-finished") == 5
    started = recs[0]
    assert started["operator"]["operator"] == "张三" and started["operator"]["login"]
    assert len(started["runbook_sha256"]) == 64 and len(started["inventory_sha256"]) == 64
    hello = next(r for r in recs if r["type"] == "step-finished" and r["step"] == "hello")
    assert {t["host"] for t in hello["targets"]} == {"M3", "M4"}
    assert any("host=M3" in t["stdout"] for t in hello["targets"])
    assert "time_utc" in hello and "time_shanghai" in hello and hello["time_shanghai"].endswith("+08:00")
    # a start record precedes each finish record of the same step
    for step in ("hello", "tomcat-up", "f1-today", "tomcat-status", "local-echo"):
        s = next(i for i, r in enumerate(recs) if r["type"] == "step-started" and r["step"] == step)
        f = next(i for i, r in enumerate(recs) if r["type"] == "step-finished" and r["step"] == step)
        assert s < f
    listing = otcctl(tmp_path / "state", "runs", "--json")
    assert '"outcome": "passed"' in listing.stdout
    shown = otcctl(tmp_path / "state", "log", journal.stem)
    assert "张三" in shown.stdout and "PASS" in shown.stdout and "WARNING" not in shown.stdout
    for fmt in ("pdf", "html"):
        written = otcctl(tmp_path / "state", "report", journal.stem, "-f", fmt, "-o", str(tmp_path / f"r.{fmt}"))
        assert written.returncode == 0, written.stderr
    assert "张三" in (tmp_path / "r.html").read_text(encoding="utf-8")
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    checked = otcctl(tmp_path / "state", "verify", "--all")
    lines = len(journal.read_bytes().splitlines())
    assert checked.returncode == 0 and f"ok      {journal.stem}  {lines} records" in checked.stdout, checked.stdout
    edited = journal.read_bytes().replace(b'"outcome":"passed"', b'"outcome":"failed"', 1)
    journal.write_bytes(edited)
    broken = otcctl(tmp_path / "state", "verify", journal.stem[:20])
    assert broken.returncode == 1 and "BROKEN" in broken.stdout and "changed after it was written" in broken.stdout
    assert "WARNING: the hash chain is broken" in otcctl(tmp_path / "state", "log", "last").stdout


def test_failing_condition_fails_the_run_with_exit_1(lab: Lab, tmp_path: Path) -> None:
    books = tmp_path / "books"
    write_runbook(books, "bad-check", """\
  - id: wrong-text
    kind: shell
    targets: [M3]
    command: echo RUNNING
    expect: {contains: STOPPED}
    action: 不会通过
    assumption: A01
  - id: never-reached
    kind: shell
    targets: [M3]
    command: echo unreachable
    action: 不应执行
    assumption: A01
""")
    result = otcctl(tmp_path / "s", "run", "bad-check", "--runbooks", str(books), "-i", str(lab.inventory_path))
    assert result.returncode == 1
    assert "FAIL 1 wrong-text" in result.stdout and "lacks 'STOPPED'" in result.stdout
    assert "never-reached" not in result.stdout.split("FAIL 1 wrong-text")[1]


def test_hung_command_is_stopped_at_its_timeout_and_leaves_nothing_behind(lab: Lab, tmp_path: Path) -> None:
    books = tmp_path / "books"
    marker = sleep_marker(600)
    write_runbook(books, "hung", f"""\
  - id: hangs
    kind: shell
    targets: [M3]
    command: {marker}
    timeout: 3s
    action: 卡住的命令
    assumption: A01
""")
    started = time.monotonic()
    result = otcctl(tmp_path / "s", "run", "hung", "--runbooks", str(books), "-i", str(lab.inventory_path))
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    assert "timed out after 3s" in result.stdout
    assert elapsed < 15, elapsed
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-fx", marker], capture_output=True, text=True)
    assert left.stdout.strip() == "", f"left behind: {left.stdout}"


def test_retries_then_passes(lab: Lab, tmp_path: Path) -> None:
    books = tmp_path / "books"
    flag = tmp_path / "flag"
    write_runbook(books, "flaky", f"""\
  - id: second-time-lucky
    kind: shell
    targets: [M3]
    command: test -e {flag} || {{ touch {flag}; exit 1; }}
    retry: {{attempts: 3, delay: 0.2s}}
    action: 第二次成功
    assumption: A01
""")
    result = otcctl(tmp_path / "s", "run", "flaky", "--runbooks", str(books), "-i", str(lab.inventory_path))
    assert result.returncode == 0, result.stdout + result.stderr
    (journal,) = journals(tmp_path / "s")
    done = next(r for r in records(journal) if r["type"] == "step-finished")
    assert done["attempts"] == 2 and done["outcome"] == "passed"


def test_confirmation_without_terminal_stops_clearly(lab: Lab, tmp_path: Path) -> None:
    books = tmp_path / "books"
    write_runbook(books, "needs-person", """\
  - id: look-at-it
    kind: manual
    where: DDV5-HQZH-54
    action: 人工确认
    judge: 看到 ready
    assumption: A06
""")
    result = otcctl(tmp_path / "s", "run", "needs-person", "--runbooks", str(books), "-i", str(lab.inventory_path))
    assert result.returncode == 2  # refused before it starts: no journal, a line in the refusal log
    assert "no terminal" in result.stdout + result.stderr and "--assume-yes" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not journals(tmp_path / "s")
    assert "needs-person" in (tmp_path / "s" / "refusals.jsonl").read_text(encoding="utf-8")


def test_assume_yes_is_recorded_as_pre_approval(lab: Lab, tmp_path: Path) -> None:
    books = tmp_path / "books"
    write_runbook(books, "needs-person", """\
  - id: look-at-it
    kind: manual
    where: DDV5-HQZH-54
    action: 人工确认
    assumption: A06
""")
    result = otcctl(tmp_path / "s", "run", "needs-person", "--runbooks", str(books), "-i", str(lab.inventory_path),
                    "--assume-yes", "--operator", "李四")
    assert result.returncode == 0, result.stdout + result.stderr
    recs = records(journals(tmp_path / "s")[0])
    assert any(r["type"] == "pre-approval" and r["operator"]["operator"] == "李四" for r in recs)
    confirmation = next(r for r in recs if r["type"] == "confirmation")
    assert confirmation["answer"] == "yes" and confirmation["how"] == "assume-yes"
    assert confirmation["operator"]["operator"] == "李四" and confirmation["time_shanghai"].endswith("+08:00")


def test_changed_host_key_stops_the_run(lab: Lab, tmp_path: Path) -> None:
    lines = lab.known_hosts.read_text().splitlines()
    m3 = next(ln for ln in lines if "]:" in ln)  # first host entry
    other = next(ln for ln in lines if ln.split()[0] != m3.split()[0])
    forged = [f"{m3.split()[0]} {' '.join(other.split()[1:])}"] + [ln for ln in lines if ln != m3]
    known = tmp_path / "known_hosts"
    known.write_text("\n".join(forged) + "\n")
    inventory = variant_inventory(lab.inventory_path, tmp_path / "inv.yaml", known_hosts=str(known))
    books = tmp_path / "books"
    host = _host_of(lab, m3.split()[0])
    write_runbook(books, "trust", f"""\
  - id: hello
    kind: shell
    targets: [{host}]
    command: echo hi
    action: 连接
    assumption: A01
""")
    result = otcctl(tmp_path / "s", "run", "trust", "--runbooks", str(books), "-i", str(inventory))
    assert result.returncode == 1
    assert "differs" in result.stdout and "man-in-the-middle" in result.stdout
    known.write_text("\n".join(ln for ln in lines if ln != m3) + "\n")
    result = otcctl(tmp_path / "s2", "run", "trust", "--runbooks", str(books), "-i", str(inventory))
    assert result.returncode == 2 and "has no key in this file" in result.stderr, "refused before anything is sent"
    assert not journals(tmp_path / "s2")


def _host_of(lab: Lab, entry: str) -> str:
    import yaml

    address = entry.split("]")[0].lstrip("[")
    hosts = yaml.safe_load(lab.inventory_path.read_text())["hosts"]
    return next(h for h, spec in hosts.items() if spec["address"] == address)


def test_known_secret_never_reaches_any_output(lab: Lab, tmp_path: Path) -> None:
    secret = lab.passphrase()
    inventory = variant_inventory(
        lab.inventory_path, tmp_path / "inv.yaml",
        hosts__M3__credential={"source": "key-file", "path": str(lab.passphrase_key), "passphrase_env": "LAB_PASS"},
    )
    books = tmp_path / "books"
    write_runbook(books, "secretive", f"""\
  - id: leak-attempt
    kind: shell
    targets: [M3]
    command: echo "the passphrase is {secret}"; echo "{secret}" >&2
    action: 试图泄露
    assumption: A01
    confirm: true
""")
    state = tmp_path / "s"
    env = {"LAB_PASS": secret}
    outputs = [otcctl(state, "run", "secretive", "--runbooks", str(books), "-i", str(inventory), "--assume-yes",
                      env=env)]
    assert outputs[0].returncode == 0, outputs[0].stdout + outputs[0].stderr
    outputs.append(otcctl(state, "run", "secretive", "--runbooks", str(books), "-i", str(inventory), "--assume-yes",
                          "--json", env=env))
    run_id = journals(state)[0].stem
    outputs += [otcctl(state, "log", run_id), otcctl(state, "log", run_id, "--json"), otcctl(state, "runs", "--json")]
    for out in outputs:
        assert secret not in out.stdout and secret not in out.stderr
    assert "***" in outputs[0].stdout or "***" in outputs[2].stdout
    for journal in journals(state):
        assert secret.encode() not in journal.read_bytes()
    # and without the passphrase the key does not open: a clear message, not a traceback
    bad = otcctl(tmp_path / "s2", "run", "secretive", "--runbooks", str(books), "-i", str(inventory), "--assume-yes")
    assert bad.returncode == 1 and "LAB_PASS" in bad.stderr and "Traceback" not in bad.stdout + bad.stderr


@pytest.mark.slow(15)
@pytest.mark.parametrize("order", ["kvm"])
def test_service_stop_and_start_on_linux(lab: Lab, tmp_path: Path, order: str) -> None:
    books = tmp_path / "books"
    write_runbook(books, "tomcat-cycle", f"""\
  - id: stop
    kind: service
    targets: [web]
    order: {order}
    services: [Tomcat]
    operation: stop
    settle: 10s
    action: 停 Tomcat
    assumption: A01
  - id: closed
    kind: port
    targets: [web]
    services: [Tomcat]
    state: closed
    action: 端口关闭
    assumption: A01
  - id: start
    kind: service
    targets: [web]
    order: {order}
    services: [Tomcat]
    operation: start
    settle: 10s
    action: 启 Tomcat
    assumption: A01
  - id: open
    kind: port
    targets: [web]
    services: [Tomcat]
    action: 端口恢复
    assumption: A01
""")
    result = otcctl(tmp_path / "s", "run", "tomcat-cycle", "--runbooks", str(books), "-i", str(lab.inventory_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all stopped" in result.stdout and "all running" in result.stdout


def _shanghai_now():  # type: ignore[no-untyped-def]
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(tz=ZoneInfo("Asia/Shanghai"))


GATE = """\
  - id: gate
    kind: time_gate
    not_before: "{{at}}"
    action: 等到点
    manual_ref: 月操作·重启服务器 第2步
"""
GATE_PARAMS = """\
params:
  at: {type: time, description: 时间, default: "16:00"}
"""


def test_time_gate_waits_with_a_countdown_in_shanghai_time(lab: Lab, tmp_path: Path) -> None:
    from datetime import timedelta

    now = _shanghai_now()
    if now.hour == 23 and now.minute >= 58:
        pytest.skip("too close to midnight in Asia/Shanghai for a gate a minute ahead")
    books = tmp_path / "books"
    write_runbook(books, "gated", GATE, GATE_PARAMS)
    ahead = (now + timedelta(minutes=1)).strftime("%H:%M")
    refused = otcctl(tmp_path / "s1", "run", "gated", "--runbooks", str(books), "-i", str(lab.inventory_path),
                     "-p", f"at={ahead}", "--no-wait", env={"TZ": "America/New_York"})
    # refused before anything is done (preflight), not at the gate after the steps before it
    assert refused.returncode == 2 and f"not before {ahead}" in refused.stderr and "--no-wait" in refused.stderr
    assert not journals(tmp_path / "s1")
    behind = (now - timedelta(minutes=1)).strftime("%H:%M") if now.hour or now.minute else "00:00"
    passed = otcctl(tmp_path / "s2", "run", "gated", "--runbooks", str(books), "-i", str(lab.inventory_path),
                    "-p", f"at={behind}", "--no-wait", "--json", env={"TZ": "America/New_York"})
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_wait_gate_counts_down_and_passes_at_the_time() -> None:
    import threading
    from datetime import UTC, datetime, timedelta

    from otcctl.plan.prepare import PlanRequest, prepare_plan
    from otcctl.steps.base import StepContext
    from otcctl.steps.time_gate import wait_for_gate

    plan = prepare_plan(PlanRequest("monthly-restart", {"stop_at": "16:00"}, run_date=None))
    gate = next(p for p in plan.steps if p.kind == "time_gate")
    clock = [datetime(2026, 11, 27, 7, 59, 57, tzinfo=UTC)]  # 15:59:57 in Shanghai
    messages: list[str] = []

    def sleep(seconds: float) -> None:
        clock[0] += timedelta(seconds=seconds)

    ctx = StepContext(None, plan.params, threading.Event(), lambda: clock[0], sleep, messages.append)  # type: ignore[arg-type]
    result = wait_for_gate(gate, ctx)
    assert result.passed and "waited until 16:00" in result.reason
    assert messages[0].endswith("00:00:03 to go") and len(messages) == 3
    assert clock[0] == datetime(2026, 11, 27, 8, 0, 0, tzinfo=UTC)


def test_trading_day_runbook_refuses_a_holiday_unless_overridden(lab: Lab, tmp_path: Path) -> None:
    refused = otcctl(tmp_path / "s", "run", "market-open", "-i", str(lab.inventory_path), "--date", "20261001",
                     "--assume-yes")
    assert refused.returncode == 2
    assert "2026-10-01 is not a trading day" in refused.stderr and "国庆节" in refused.stderr
    assert not journals(tmp_path / "s")
    unknown = otcctl(tmp_path / "s", "run", "market-open", "-i", str(lab.inventory_path), "--date", "20270104")
    assert unknown.returncode == 2 and "2027" in unknown.stderr
    books = tmp_path / "books"
    write_runbook(books, "holiday-ok", """\
  - id: hello
    kind: local
    command: "true"
    action: 节假日演练
    assumption: A01
""", "trading_day_only: true\n")
    allowed = otcctl(tmp_path / "s2", "run", "holiday-ok", "--runbooks", str(books), "-i", str(lab.inventory_path),
                     "--date", "20261001", "--allow-non-trading-day", "--operator", "周八")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    header = records(journals(tmp_path / "s2")[0])[0]
    assert header["trading_day"] == {"date": "2026-10-01", "trading": False, "override": True}
    assert header["options"]["allow_non_trading_day"] is True and header["operator"]["operator"] == "周八"


def test_failed_verification_offers_its_rollback_steps(lab: Lab, tmp_path: Path) -> None:
    books = tmp_path / "books"
    marker = tmp_path / "rolled-back"
    write_runbook(books, "with-rollback", """\
  - id: switch
    kind: shell
    targets: [M4]
    command: echo switched
    action: 切换
    assumption: A01
  - id: verify
    kind: shell
    targets: [M4]
    command: echo NOT-READY
    expect: {contains: READY-OK}
    on_failure: {rollback: [switch-back]}
    action: 验证
    assumption: A01
  - id: after
    kind: shell
    targets: [M4]
    command: echo never
    action: 不应执行
    assumption: A01
""", f"""\
rollback_steps:
  - id: switch-back
    kind: shell
    targets: [M4]
    command: touch {marker}
    action: 切回
    assumption: A01
""")
    result = otcctl(tmp_path / "s", "run", "with-rollback", "--runbooks", str(books), "-i", str(lab.inventory_path),
                    "--assume-yes")
    assert result.returncode == 1
    assert marker.exists()
    recs = records(journals(tmp_path / "s")[0])
    finished = [(r["step"], r["outcome"]) for r in recs if r["type"] == "step-finished"]
    assert finished == [("switch", "passed"), ("verify", "failed"), ("switch-back", "passed")]
    asked = next(r for r in recs if r["type"] == "confirmation")
    assert asked["purpose"] == "rollback" and asked["answer"] == "yes" and asked["how"] == "assume-yes"
