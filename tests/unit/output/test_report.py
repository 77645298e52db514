"""``otcctl report``: the checklist's sheet filled from the journal, in every format, for any ending."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from otcctl.errors import OtcctlError
from otcctl.output.checklist_pdf import find_cjk_font
from otcctl.output.printout import render_sheet
from otcctl.output.report import REPORT, build_report, report_json
from otcctl.run.audit import check_journal
from otcctl.run.journal import read_journal
from otcctl.run.ledger import read_ledger
from otcctl.run.records import Operator, Reviewed, ReviewRequested, RunFinished
from otcctl.run.replay import replay
from tests.unit.run.journal_fixtures import LI, ZHANG, confirmed, finished, header, resumed, started, write

REVIEWER = Operator(login="wangwu", machine="ops-03")


def _sheet(tmp_path: Path, records: list[object]):  # type: ignore[no-untyped-def]
    path = write(tmp_path, records)  # type: ignore[arg-type]
    reading = read_journal(path)
    story = replay(reading.run_id, reading.entries)
    chain = check_journal(path, read_ledger(tmp_path).by_run[reading.run_id])
    return story, chain, build_report(story, chain, None)


FAILED_THEN_RESUMED = [
    header(3),
    started(1),
    finished(1),
    started(2),
    confirmed(2, ZHANG, "no"),
    finished(2, "failed", "the operator judged it not as expected"),
    RunFinished(outcome="failed", steps=2),
    resumed(LI, ["s1"]),
    started(2),
    finished(2, answered=LI),
    ReviewRequested(step="s2", no="2", reason="exit 0", timeout=60),
    Reviewed(
        step="s2",
        no="2",
        verdict="approved",
        reviewer=REVIEWER,
        comment="核对无误",
        refused=["lisi: the operator's own login cannot review the operator's step"],
    ),
    started(3),
]


def test_every_step_is_filled_with_result_people_and_time(tmp_path: Path) -> None:
    _, chain, sheet = _sheet(tmp_path, FAILED_THEN_RESUMED)
    assert sheet.layout is REPORT and [r.no for r in sheet.rows] == ["1", "2", "3"]
    one, two, three = (r.trailing(REPORT) for r in sheet.rows)
    assert (
        one[0].startswith("通过 (passed)") and one[1] == "zhangsan (张三)" and re.fullmatch(r"\d\d:\d\d:\d\d", one[3])
    )
    assert "started 2 times" in two[0] and "答复 no (confirm, terminal) zhangsan (张三)" in two[0]
    assert two[1] == "lisi as root via sudo (李四)"
    assert two[2].startswith("同意 wangwu: 核对无误") and "不计 (refused): lisi" in two[2]
    assert three[0].startswith("执行中断") and three[1:] == ("", "", "")
    header = dict(sheet.header)
    assert header["结果 (outcome)"] == "中断 interrupted"
    assert (
        chain.head and chain.head in header["链头 sha256 (chain head)"] and "完整" in header["链头 sha256 (chain head)"]
    )
    assert chain.head[:16] in sheet.running_line and "a" * 16 in sheet.running_line and "b" * 16 in sheet.running_line
    assert "wangwu@ops-03" in sheet.people_line
    sections = dict(sheet.sections)
    assert any("lisi@ops-02 as root via sudo (李四)" in line for line in sections["续做 (resumes)"])
    assert any("failed" in line for line in sections["异常与例外 (exceptions)"])
    assert "规程文件已改动" in header["注意 (note)"]  # no plan given: the rows come from the journal


def test_a_broken_chain_is_printed_on_the_sheet(tmp_path: Path) -> None:
    path = write(tmp_path, FAILED_THEN_RESUMED)  # type: ignore[arg-type]
    path.write_bytes(path.read_bytes().replace(b'"answer":"no"', b'"answer":"yes"', 1))
    reading = read_journal(path)
    story = replay(reading.run_id, reading.entries)
    sheet = build_report(story, check_journal(path, read_ledger(tmp_path).by_run[reading.run_id]), None)
    assert "已被改动 (BROKEN)" in dict(sheet.header)["链头 sha256 (chain head)"]


@pytest.mark.parametrize("fmt", ["md", "text", "html"])
def test_text_formats_say_the_same(tmp_path: Path, fmt: str) -> None:
    _, chain, sheet = _sheet(tmp_path, FAILED_THEN_RESUMED)
    page = render_sheet(sheet, fmt).decode("utf-8")  # type: ignore[arg-type]
    for text in ("实际结果", "复核人", "wangwu", "核对无误", "执行人签字", "合规审核", str(chain.head)):
        assert text in page, (fmt, text)
    if fmt == "html":
        assert "counter(page)" in page and "size: A4 landscape" in page


def test_json_has_every_row(tmp_path: Path) -> None:
    story, chain, sheet = _sheet(tmp_path, FAILED_THEN_RESUMED)
    data = report_json(story, chain, sheet)
    json.dumps(data, ensure_ascii=False)
    assert [s["no"] for s in data["steps"]] == ["1", "2", "3"]  # type: ignore[index]
    assert data["chain"] == {"head": chain.head, "records": 13, "ok": True, "problem": None}


def test_pdf_is_a4_landscape(tmp_path: Path) -> None:
    try:
        find_cjk_font()
    except OtcctlError:
        pytest.skip("no CJK font installed")
    _, _, sheet = _sheet(tmp_path, FAILED_THEN_RESUMED)
    pdf = render_sheet(sheet, "pdf")
    assert pdf.startswith(b"%PDF") and b"/MediaBox [0 0 841.89 595.28]" in pdf
