"""The engine with an in-memory pool: timeouts enforced per kind, cancel reaches every kind, truthful outcomes."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from otcctl.connectors.base import CommandOutput, HostKeyRejected
from tests.unit.run.harness import hang_until_cancel_or_timeout, make_plan, run_engine


def ok(command: str, timeout: float, cancel: threading.Event | None) -> CommandOutput:
    return CommandOutput(0, "RUNNING ok", "", 0.01)


def test_service_control_is_bounded_by_the_step_timeout(tmp_path: Path) -> None:
    plan = make_plan(tmp_path, """\
  - id: stop-tomcat
    kind: service
    targets: [M3]
    services: [Tomcat]
    operation: stop
    timeout: 1s
    action: 停
    assumption: A01
""")
    started = time.monotonic()
    ran = run_engine(tmp_path, plan, hang_until_cancel_or_timeout)
    assert time.monotonic() - started < 5
    (step,) = ran.result.steps
    assert step.outcome == "failed" and "timed out" in step.targets[0].stdout


def test_cancel_reaches_a_hanging_sql_query(tmp_path: Path) -> None:
    plan = make_plan(tmp_path, """\
  - id: query
    kind: sql
    database: OTCDB
    sql: select 1 from dual
    timeout: 1h
    action: 查询
    assumption: A01
""")

    def cancel_soon(engine: object) -> None:
        threading.Timer(0.3, engine.cancel.set).start()  # type: ignore[attr-defined]

    started = time.monotonic()
    ran = run_engine(tmp_path, plan, hang_until_cancel_or_timeout, engine_hook=cancel_soon)
    assert time.monotonic() - started < 5
    assert ran.result.steps[0].outcome == "failed" and "interrupted" in ran.result.steps[0].reason


def test_lost_connection_is_never_a_pass(tmp_path: Path) -> None:
    plan = make_plan(tmp_path, """\
  - id: check
    kind: shell
    targets: [M3]
    command: echo hi
    expect: {not_contains: ERROR}
    action: 查
    assumption: A01
""")
    ran = run_engine(tmp_path, plan, lambda c, t, x: CommandOutput(None, "", "", 0.1, lost=True))
    step = ran.result.steps[0]
    assert step.outcome == "failed" and "exit status is unknown" in step.reason


def test_host_key_alarm_stops_the_run_whatever_on_failure_says(tmp_path: Path) -> None:
    plan = make_plan(tmp_path, """\
  - id: first
    kind: shell
    targets: [M3, M4]
    command: echo hi
    on_failure: continue
    retry: {attempts: 3, delay: 0s}
    action: 一
    assumption: A01
  - id: second
    kind: shell
    targets: [M3]
    command: echo again
    action: 二
    assumption: A01
""")

    def forged(command: str, timeout: float, cancel: threading.Event | None) -> CommandOutput:
        raise HostKeyRejected("M3 presented a host key that differs")

    ran = run_engine(tmp_path, plan, forged)
    assert [s.step_id for s in ran.result.steps] == ["first"]
    assert ran.result.outcome == "failed"
    assert ran.connections.runners["M3"].sent == ["echo hi"]  # never retried


def test_going_on_after_a_failure_is_waived_with_the_reason(tmp_path: Path) -> None:
    plan = make_plan(tmp_path, """\
  - id: check
    kind: shell
    targets: [M3]
    command: "false"
    on_failure: ask
    action: 查
    assumption: A01
  - id: sign-off
    kind: pause
    prompt: 以上检查均通过
    action: 签字
    assumption: A01
""")
    ran = run_engine(
        tmp_path, plan, lambda c, t, x: CommandOutput(1, "", "", 0.01), [("yes", "已人工核对"), "yes"]
    )
    first, sign = ran.result.steps
    assert sign.outcome == "passed"
    assert first.outcome == "waived" and "已人工核对" in first.reason
    assert ran.result.outcome == "passed-with-exceptions"
    asked = ran.confirmer.asked[1]
    assert "1 check: waived" in next(v for k, v in asked.extra.items() if k.startswith("exceptions"))


def test_manual_steps_refuse_a_timeout(tmp_path: Path) -> None:
    import pytest

    from otcctl.errors import InputError

    with pytest.raises(InputError) as caught:
        make_plan(tmp_path, """\
  - id: by-hand
    kind: manual
    where: M3
    timeout: 2h
    action: 手工
    assumption: A01
""")
    assert "takes no timeout" in str(caught.value)


def test_a_refusal_waiting_cannot_cure_is_not_retried(tmp_path: Path) -> None:
    """A mounted database (ORA-01219) stays mounted: no 20 x 30 s of polling; a transient error is retried."""
    plan = make_plan(tmp_path, """\
  - id: orders-drained
    kind: sql
    database: OTCDB
    sql: select count(*) as pending from aboss.tdrwt
    expect: {row_count: {op: "==", value: 0}}
    timeout: 10s
    retry: {attempts: 3, delay: 0s}
    action: 查询
    assumption: A01
""")
    for error, attempts in (("ORA-01219: database not open: queries allowed on fixed tables/views only", 1),
                            ("ORA-12560: TNS:protocol adapter error", 3)):
        ran = run_engine(tmp_path, plan, lambda c, t, x, e=error: CommandOutput(0, f"\n{e}\n", "", 0.01))
        (step,) = ran.result.steps
        assert step.outcome == "failed" and error[:9] in step.reason and step.attempts == attempts, step
