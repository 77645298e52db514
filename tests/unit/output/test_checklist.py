"""Printable checklists: the manual's columns plus sign-off, in text, markdown, HTML and PDF.

The shipped market-open runbook is the main fixture (plan built offline, nothing connected);
a small sample runbook adds what market-open lacks: rollback steps, SQL with binds, service
stop/start, a notification, markup characters, and a row too tall for one PDF page.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from otcctl.domain.clock import SHANGHAI
from otcctl.errors import OtcctlError
from otcctl.output.checklist import COLUMNS, build_checklist, wrap
from otcctl.output.checklist_pdf import (
    FONT_ENV,
    CjkFontMissing,
    PdfFonts,
    find_cjk_font,
    render_pdf,
)
from otcctl.output.printout import render_checklist
from otcctl.plan.build import Plan
from otcctl.plan.prepare import PlanRequest, prepare_plan
from tests.helpers import INVENTORY

try:
    from wcwidth import wcswidth

    def display_width(text: str) -> int:
        """Width in monospace cells as a terminal or printer sees it (CJK = 2)."""
        return int(wcswidth(text))

except ImportError:  # pragma: no cover - wcwidth comes with the test tools here
    from rich.cells import cell_len as display_width

PRINTED = datetime(2026, 11, 27, 8, 5, tzinfo=SHANGHAI)
RUN_DATE = date(2026, 11, 27)
HEADER_ROW = "| " + " | ".join(COLUMNS) + " |"
DF_COMMAND = "df -P / | awk 'NR==2 {print $5}'"

SAMPLE = textwrap.dedent(
    """\
    name: checklist-sample
    title: 检查单样例
    cadence: monthly
    version: "0.3"
    manual_section: 测试 · 检查单
    steps:
      - id: stop-middleware
        when: "16:00"
        kind: service
        targets: [M5]
        services: [middleware]
        operation: stop
        action: "停止中间件 <script>alert(1)</script> & 'x' | y"
        judge: 全部服务 stopped
        remark: "a|b"
        on_failure: {rollback: [start-middleware]}
        assumption: A90
      - id: old-orders
        kind: sql
        database: OTCDB
        sql: |
          select count(*)
            from fpss.tdrwt
           where wtrq < :cutoff
        binds: {cutoff: "{{date}}"}
        expect: {scalar: {op: "==", value: "0"}}
        action: 查询未归档委托
        assumption: A90
      - id: tell-departments
        kind: notify
        departments: [brokerage, clearing]
        subject: 系统维护通知
        message: 16:00 开始维护
        action: 通知经纪业务部、清算部
        assumption: A90
      - id: long-manual
        kind: manual
        where: M5
        action: 很长的人工步骤
        instructions: |
    {instructions}
        assumption: A90
    rollback_steps:
      - id: start-middleware
        kind: service
        targets: [M5]
        services: [middleware]
        operation: start
        action: 启动中间件服务
        judge: 全部服务 running
        assumption: A90
    """
)
LAST_LONG_LINE = "第 90 行：最后一行"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return prepare_plan(PlanRequest("market-open", run_date=RUN_DATE))


@pytest.fixture(scope="module")
def sample_plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    lines = [f"第 {i} 行：在 M5 上核对一项设置" for i in range(1, 90)] + [LAST_LONG_LINE]
    body = "\n".join("          " + line for line in lines)
    path = tmp_path_factory.mktemp("runbooks") / "checklist-sample.yaml"
    path.write_text(SAMPLE.replace("{instructions}", body), encoding="utf-8")
    return prepare_plan(PlanRequest(str(path), run_date=RUN_DATE, inventory=INVENTORY))


def _text(plan: Plan, width: int = 160) -> str:
    return render_checklist(plan, "text", printed_at=PRINTED, width=width).decode("utf-8")


def _table_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(("|", "+"))]


# --- text ---------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [160, 150, 200])
def test_text_table_lines_up_with_chinese(plan: Plan, width: int) -> None:
    lines = _table_lines(_text(plan, width))
    assert HEADER_ROW.replace(" ", "") in {line.replace(" ", "") for line in lines}
    assert any("行情网关" in line for line in lines)
    assert {display_width(line) for line in lines} == {width}
    # every column rule sits at the same display column on every line
    rule_columns = [i for i, ch in enumerate(lines[0]) if ch == "+"]
    assert len(rule_columns) == len(COLUMNS) + 1
    for line in lines:
        at_column = {display_width(line[:i]): ch for i, ch in enumerate(line)}
        assert all(at_column.get(col) in ("|", "+") for col in rule_columns), line


def test_text_has_header_and_footer(plan: Plan) -> None:
    text = _text(plan)
    for expected in (
        "开市操作",
        "market-open",
        "版本 (version): 1.0",
        "搞定OTC系统运维 V1.0 · 日操作 · 开市操作",
        "2026-11-27",
        "2026-11-27 08:05 Asia/Shanghai",
        "production",
        "执行人 (operator): ________  复核人 (reviewer): ________",
        "审批人 (approver)",
        plan.runbook_sha256[:12],
    ):
        assert expected in text, expected
    assert plan.runbook_sha256 not in text  # 12 characters are enough to match a file
    assert "回退步骤" not in text


def test_text_shows_what_the_machine_checks(plan: Plan) -> None:
    flat = " ".join(_text(plan, 240).split())  # wide enough that the OFD path is not wrapped
    assert "select status from v$instance" in flat
    assert "value == 'OPEN'" in flat
    assert "/home/webuser/app/otc/QSFILE/20261127/FundDay/OFD_ZZ_189_20261127_07.TXT" in flat


def test_text_refuses_a_width_too_narrow_for_eleven_columns(plan: Plan) -> None:
    with pytest.raises(ValueError, match="at least"):
        _text(plan, 60)


def test_printed_at_is_shown_in_shanghai_time(plan: Plan) -> None:
    utc = datetime(2026, 11, 27, 0, 5, tzinfo=UTC)
    header = dict(build_checklist(plan, printed_at=utc).header)
    assert header["打印时间 (printed at)"] == "2026-11-27 08:05 Asia/Shanghai"


# --- markdown -----------------------------------------------------------------------------


def _md_cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def test_markdown_has_every_column(plan: Plan) -> None:
    md = render_checklist(plan, "md", printed_at=PRINTED).decode("utf-8")
    assert HEADER_ROW in md
    rows = [line for line in md.splitlines() if line.startswith("|")]
    assert len(rows) == 2 + len(plan.steps)
    assert all(len(_md_cells(line)) == len(COLUMNS) == 11 for line in rows)
    assert "`df -P / \\| awk 'NR==2 {print $5}'`" in md  # the pipe escaped even in code


def test_markdown_escapes_cell_markup(sample_plan: Plan) -> None:
    md = render_checklist(sample_plan, "md", printed_at=PRINTED).decode("utf-8")
    rows = [line for line in md.splitlines() if line.startswith("|")]
    assert all(len(_md_cells(line)) == len(COLUMNS) == 11 for line in rows)
    assert "\\<script\\>" in md and "<script>" not in md
    assert "a\\|b" in md
    assert "## 回退步骤" in md


# --- html ---------------------------------------------------------------------------------


def test_html_is_a_print_ready_page(plan: Plan) -> None:
    page = render_checklist(plan, "html", printed_at=PRINTED).decode("utf-8")
    assert '<html lang="zh-CN">' in page
    assert '<meta charset="utf-8">' in page
    assert "size: A4 landscape" in page
    assert "<link" not in page and "<script" not in page  # self-contained
    for heading in COLUMNS:
        assert f"<th>{heading}</th>" in page
    assert html.escape(DF_COMMAND) in page
    assert "&gt;= 200" in page  # the file condition, escaped


def test_html_escapes_step_text(sample_plan: Plan) -> None:
    page = render_checklist(sample_plan, "html", printed_at=PRINTED).decode("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#x27;x&#x27;" in page
    assert "<script>" not in page
    assert "<h2>回退步骤</h2>" in page
    assert "where wtrq &lt; :cutoff" in page
    assert ":cutoff = &#x27;20261127&#x27;" in page


def test_rollback_rows_and_links(sample_plan: Plan) -> None:
    text = _text(sample_plan)
    assert "回退步骤" in text
    assert "失败回退: R1 (回退步骤)" in " ".join(text.split())
    lines = _table_lines(text)
    assert {display_width(line) for line in lines} == {160}
    action_column = " ".join(line.split("|")[4].strip() for line in lines if line.startswith("|"))
    assert "sc start MCenter" in action_column and "sc stop RS" in action_column  # wrapped, never lost


# --- pdf ----------------------------------------------------------------------------------


def _pdftotext(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian poppler-utils) is not installed")
    path = tmp_path / "checklist.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout


def test_pdf_shows_chinese_steps_and_sign_off_columns(plan: Plan, tmp_path: Path) -> None:
    pdf = render_checklist(plan, "pdf", printed_at=PRINTED)
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) < 300_000  # the CJK font is subset, not embedded whole
    text = _pdftotext(pdf, tmp_path)
    for expected in ("关闭行情网关", "开市操作", "执行人签字", "复核人签字", "完成时间", "检查主备 Tomcat 8020 端口"):
        assert expected in text, expected
    assert "select status from" in " ".join(text.split())  # the SQL may wrap inside its cell
    assert plan.runbook_sha256[:12] in text
    with_rows = [page for page in text.split("\f") if "自动判定" in page]
    assert with_rows and all("执行人签字" in page for page in with_rows)  # the header row repeats on every page


def test_pdf_splits_a_row_taller_than_a_page(sample_plan: Plan, tmp_path: Path) -> None:
    text = _pdftotext(render_checklist(sample_plan, "pdf", printed_at=PRINTED), tmp_path)
    assert LAST_LONG_LINE in text
    assert "回退步骤" in text
    assert "启动中间件服务" in text


def test_pdf_font_override_must_exist(tmp_path: Path) -> None:
    with pytest.raises(CjkFontMissing, match="fonts-droid-fallback"):
        find_cjk_font({FONT_ENV: str(tmp_path / "missing.ttf")})


def test_pdf_without_any_cjk_font_says_what_to_install() -> None:
    with pytest.raises(CjkFontMissing, match="fonts-droid-fallback") as caught:
        find_cjk_font({}, candidates=())
    assert isinstance(caught.value, OtcctlError)


def test_pdf_refuses_to_render_with_missing_glyphs(plan: Plan, monkeypatch: pytest.MonkeyPatch) -> None:
    latin_only = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not latin_only.is_file():
        pytest.skip("DejaVu Sans (fonts-dejavu-core) not installed")
    with pytest.raises(CjkFontMissing, match="no glyph"):
        render_pdf(build_checklist(plan, printed_at=PRINTED), created_at=PRINTED, fonts=PdfFonts(cjk=latin_only))
    monkeypatch.setenv(FONT_ENV, str(latin_only))
    with pytest.raises(CjkFontMissing):
        render_checklist(plan, "pdf", printed_at=PRINTED)


# --- wrapping -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "width", "lines"),
    [
        ("检查主备数据库", 6, ["检查主", "备数据", "库"]),
        ("check the ports now", 10, ["check the", "ports now"]),
        ("状态正常，继续", 4, ["状态", "正", "常，", "继续"]),
        ("M1 (行情网关)", 5, ["M1", "(行情", "网关)"]),
        ("select 1\n  from dual", 40, ["select 1", "  from dual"]),
        ("abcdefghij", 4, ["abcd", "efgh", "ij"]),
        ("", 5, [""]),
    ],
)
def test_wrap_breaks_between_words_and_cjk_characters(text: str, width: int, lines: list[str]) -> None:
    assert wrap(text, width) == lines
