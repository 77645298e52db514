"""Codes rendered as words: run events, the journal read back, conditions, reasons, closed days."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from otcctl import i18n
from otcctl.domain.calendar import WEEKEND_REASON, TradingCalendar
from otcctl.model.conditions_schema import Condition
from otcctl.output.condition_words import describe
from otcctl.output.console import make_console
from otcctl.output.log_view import print_log
from otcctl.output.messages import translate_reason
from otcctl.output.run_view import ConsoleRenderer, JsonRenderer
from otcctl.run.events import Event
from otcctl.run.journal import read_journal
from otcctl.run.records import RunFinished, StepStarted
from tests.unit.run.journal_fixtures import LI, ZHANG, confirmed, finished, header, resumed, write


@pytest.fixture(autouse=True)
def _language() -> Iterator[None]:
    i18n.set_language("zh")
    yield
    i18n.set_language(None)


def test_json_events_carry_the_run_id() -> None:
    out = io.StringIO()
    renderer = JsonRenderer(out)
    renderer.on_event(Event("note", {"message": "run r1: x", "run_id": "20261130-071554-market-open"}))
    renderer.on_event(Event("step-started", {"no": "1", "id": "a", "kind": "shell", "host": "M1", "action": ""}))
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["run_id"] for line in lines] == ["20261130-071554-market-open"] * 2


def test_a_failure_shows_the_remark_and_the_next_command() -> None:
    out = io.StringIO()
    renderer = ConsoleRenderer(make_console(out, width=80))
    renderer.on_event(Event("note", {"message": "run R1: m 开市 (lab); journal /j", "run_id": "R1"}))
    renderer.on_event(Event("step-started", {"no": "2", "id": "db", "kind": "sql", "host": "M1", "action": "查库",
                                             "remark": "联系 DBA"}))
    renderer.on_event(Event("step-finished", {"no": "2", "id": "db", "outcome": "failed", "duration": 1.0,
                                              "reason": "M1: exit code 1 (expected 0)", "targets": []}))
    renderer.on_event(Event("run-finished", {"outcome": "failed", "journal": "/j"}))
    text = out.getvalue()
    assert "运行 R1：m 开市（lab）" in text
    assert "失败 2 db" in text and "M1: 退出码 1（应为 0）" in text and "备注: 联系 DBA" in text
    assert "运行失败" in text and "otcctl resume R1" in text and "otcctl log R1" in text


def test_log_shows_kinds_reasons_and_who_resumed(tmp_path: Path) -> None:
    kvm = StepStarted(step="kvm", no="1", kind="manual", action="切换 [KVM]")
    asked = confirmed(1, ZHANG, answer="no").model_copy(update={"step": "kvm", "verdict": "done as described?",
                                                                "comment": "屏幕无显示"})
    failed = finished(1, "failed", "M3: exit code 1 (expected 0)").model_copy(update={"step": "kvm"})
    path = write(tmp_path, [header(1), kvm, asked, failed, RunFinished(outcome="failed", steps=1), resumed(LI, [])])
    out = io.StringIO()
    print_log(make_console(out, width=120), read_journal(path))
    text = out.getvalue()
    assert ">> 1 kvm [manual]  切换 [KVM]" in text, "the kind is text, not markup"
    assert "?? kvm 确认（已按描述完成？）：zhangsan@ops-01 (张三) 回答“否”（终端输入） — 屏幕无显示" in text
    assert "失败 1 kvm  M3: 退出码 1（应为 0）" in text
    assert "由 lisi@ops-02 as root via sudo (李四) 继续运行" in text, "who resumed"


@pytest.mark.parametrize(
    ("condition", "words"),
    [
        ({"number": {"regex": "(\\d+)%", "op": "<", "value": 80}}, "使用率低于 80%"),
        ({"scalar": {"op": "==", "value": "OPEN"}}, "状态为 OPEN"),
        ({"exit_code": 0}, "命令执行成功（退出码 0）"),
        ({"contains": "RUNNING"}, "输出包含“RUNNING”"),
        ({"row_count": {"op": ">=", "value": 1}}, "返回行数不低于 1"),
        ({"all": [{"exit_code": 0}, {"not_contains": "ORA-"}]}, "命令执行成功（退出码 0） 且 输出不含“ORA-”"),
    ],
)
def test_conditions_in_words(condition: dict[str, Any], words: str) -> None:
    assert describe(Condition.model_validate(condition)) == words


def test_english_words_too() -> None:
    i18n.set_language("en")
    assert describe(Condition.model_validate({"number": {"regex": "(\\d+)%", "op": "<", "value": 80}})) == \
        "usage below 80%"
    assert translate_reason("M3: exit code 1 (expected 0)") == "M3: exit code 1 (expected 0)"


def test_reasons_part_by_part() -> None:
    assert translate_reason("M3: output lacks 'RUNNING'; M4: output contains 'RUNNING'") == \
        "M3: 输出不含 'RUNNING'；M4: 输出包含 'RUNNING'"
    assert translate_reason("something new") == "something new"


def test_weekends_inside_a_holiday_carry_its_name() -> None:
    calendar = TradingCalendar()
    assert calendar.closure_reason(date(2026, 10, 3)) == "国庆节 National Day"
    assert calendar.closure_reason(date(2026, 10, 4)) == "国庆节 National Day"
    assert calendar.closure_reason(date(2026, 10, 10)) == WEEKEND_REASON
    assert calendar.closure_reason(date(2026, 11, 28)) == WEEKEND_REASON


def test_checklist_warns_on_a_closed_day_in_chinese_whatever_the_terminal_speaks() -> None:
    from otcctl.output.calendar_words import closed_day_warning

    i18n.set_language("en")
    plan = SimpleNamespace(params={"date_iso": "2026-10-05"}, runbook=SimpleNamespace(trading_day_only=True))
    assert "2026-10-05 is not a trading day (国庆节" in (closed_day_warning(plan) or "")
    with i18n.speaking("zh_CN"):
        assert "2026-10-05 不是交易日（国庆节" in (closed_day_warning(plan) or "")
    assert closed_day_warning(SimpleNamespace(params={"date_iso": "2026-11-30"}, runbook=plan.runbook)) is None
