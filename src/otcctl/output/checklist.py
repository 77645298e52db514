"""Printable checklists that operators sign: the manual's table, one row per planned step.

The manual's procedures are paper tables (序号, 时间, 主机, 操作内容, 结果判断, 备注); compliance
audits who did what, so a printout adds signature columns and ties itself to the exact runbook
file (its sha256) and to the plan it came from. Everything printed comes from the same
:class:`~otcctl.plan.build.Plan` the dry run shows, so the paper and the run cannot disagree.

This module turns a plan into a format-neutral :class:`Checklist`; the text/md/html renderers
live in ``checklist_text`` and the PDF in ``checklist_pdf`` (imported only when asked for, so
fpdf2 loads only for PDFs).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from rich.cells import cell_len

from otcctl.domain.clock import SHANGHAI
from otcctl.i18n import speaking
from otcctl.output.calendar_words import closed_day_warning
from otcctl.output.condition_words import condition_words
from otcctl.plan.build import Plan
from otcctl.plan.steps import PlannedNotify, PlannedSql, PlannedStep, PlannedTarget, PlannedTimeGate

RISK_ZH = {"read": "只读", "change": "变更", "disruptive": "中断业务 (现场逐项确认)"}

Format = Literal["text", "md", "html", "pdf"]
FORMATS: tuple[Format, ...] = ("text", "md", "html", "pdf")

MANUAL_COLUMNS = ("序号", "时间", "主机", "操作内容", "结果判断", "备注", "来源")
SIGN_COLUMNS = ("实际结果/异常说明", "执行人签字", "复核人签字", "完成时间")
COLUMNS = MANUAL_COLUMNS + SIGN_COLUMNS

STEPS_HEADING = "操作步骤"
ROLLBACK_HEADING = "回退步骤"
ROLLBACK_NOTE = "仅在某步失败并指明回退时执行 (only when a failed step names them)"
PEOPLE_LINE = "执行人 (operator): ________  复核人 (reviewer): ________"
APPROVER_LINE = "审批人 (approver): ____________  日期 (date): ____________"

ENVIRONMENT_ZH = {"production": "生产环境", "lab": "演练环境", "test": "测试环境"}
MACHINE_KINDS = frozenset({"shell", "local", "winrm", "sql", "port", "file", "service", "reboot", "time_gate"})


@dataclass(frozen=True)
class Detail:
    """One line shown under the action: what the machine checks or runs, so a reviewer can see it.

    ``code`` marks exact commands and SQL, which renderers set in a monospace face and never
    reflow, because a reviewer compares them character for character.
    """

    label: str
    text: str
    code: bool = False


@dataclass(frozen=True)
class Layout:
    """The columns of a printout and how wide each is in every format.

    The first six are always the manual's; the blank checklist adds the sign-off columns,
    the filled report (``otcctl report``) its actual-result and who/when columns.
    """

    columns: tuple[str, ...]
    pdf_mm: tuple[float, ...]
    html_pct: tuple[int, ...]
    text_trailing: tuple[int, ...]
    """Text widths of the columns after the manual's six (the action column takes what is left)."""

    @property
    def trailing(self) -> int:
        """How many columns follow the manual's six."""
        return len(self.columns) - len(MANUAL_COLUMNS)


SHEET = Layout(
    COLUMNS,
    (9.0, 13.0, 22.0, 70.0, 27.0, 20.0, 16.0, 28.0, 26.0, 26.0, 20.0),
    (4, 6, 8, 21, 10, 8, 6, 11, 10, 10, 6),
    (17, 10, 10, 8),
)


@dataclass(frozen=True)
class ChecklistRow:
    """One step as the manual's table row; the sign-off cells are always blank."""

    no: str
    when: str
    host: str
    action: str
    details: tuple[Detail, ...]
    judge: str
    remark: str
    source: str = ""
    filled: tuple[str, ...] = ()
    """What the columns after the manual's seven say; blank on the checklist, for the hand."""

    def trailing(self, layout: Layout) -> tuple[str, ...]:
        """The cells after the manual's seven, blank where nothing is filled in."""
        return (*self.filled, *("",) * layout.trailing)[: layout.trailing]


@dataclass(frozen=True)
class Checklist:
    """Everything a printout shows, already worded, so every format says exactly the same."""

    title: str
    header: tuple[tuple[str, str], ...]
    rows: tuple[ChecklistRow, ...]
    rollback_rows: tuple[ChecklistRow, ...]
    footer: tuple[str, ...]
    running_line: str
    lang: str = "zh-CN"
    layout: Layout = SHEET
    people_line: str = PEOPLE_LINE
    sections: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Extra headed lists after the tables (the report's exceptions and resumes)."""

    @property
    def heading_lines(self) -> tuple[str, ...]:
        """The header as ``label: value`` lines, then the operator/reviewer line."""
        return (*(f"{label}: {value}" for label, value in self.header), self.people_line)


def build_checklist(plan: Plan, *, printed_at: datetime | None = None) -> Checklist:
    """Word the plan once for every format: header, rows, rollback rows and footer."""
    rb = plan.runbook
    inventory = plan.inventory.inventory
    env = inventory.environment
    run_date = plan.params.get("date_iso") or plan.params.get("date", "")
    sha12 = plan.runbook_sha256[:12]
    file_name = Path(plan.runbook_path).name
    header: list[tuple[str, str]] = [
        ("操作规程 (runbook)", f"{rb.title} ({rb.name})"),
        ("版本 (version)", rb.version),
        ("手册章节 (manual section)", rb.manual_section),
        ("执行日期 (run date)", run_date),
        ("打印时间 (printed at)", in_shanghai(printed_at).strftime("%Y-%m-%d %H:%M Asia/Shanghai")),
        ("环境 (environment)", f"{ENVIRONMENT_ZH.get(env, env)} {env} · {inventory.name}"),
    ]
    shown = {k: v for k, v in plan.params.items() if k in rb.params}
    if shown:
        header.append(("参数 (parameters)", ", ".join(f"{k}={v}" for k, v in shown.items())))
    numbers = {p.id: p.no for p in plan.rollback_steps}
    with speaking("zh_CN"):  # the printout is the manual's paper: Chinese whatever the terminal speaks
        warning = closed_day_warning(plan)
        rows = tuple(plan_row(p, numbers) for p in plan.steps)
        rollback_rows = tuple(plan_row(p, numbers) for p in plan.rollback_steps)
    if warning:
        header.append(("注意 (warning)", warning))
    return Checklist(
        title=f"{rb.title} {rb.name} 检查单 (checklist)",
        header=tuple(header),
        rows=rows,
        rollback_rows=rollback_rows,
        footer=(
            APPROVER_LINE,
            f"runbook sha256: {sha12} ({file_name}, version {rb.version}); "
            "核对打印件与规程文件版本一致 (match this printout to the file version)",
        ),
        running_line=f"{rb.name} v{rb.version} · {run_date} · sha256 {sha12}",
    )


def in_shanghai(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(tz=SHANGHAI)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(SHANGHAI)


def plan_row(p: PlannedStep, rollback_numbers: dict[str, str]) -> ChecklistRow:
    """One planned step as the manual's table row (the report fills in the columns after it)."""
    step = p.step
    details = list(_details(p))
    if p.rollback:
        named = ", ".join(rollback_numbers.get(i, i) for i in p.rollback)
        details.append(Detail("失败回退", f"{named} ({ROLLBACK_HEADING})"))
    return ChecklistRow(
        no=p.no,
        when=step.when or "",
        host=p.host_column,
        action=p.text.get("action", step.action),
        details=tuple(details),
        judge=p.text.get("judge") or "",
        remark=p.text.get("remark") or "",
        source=step.source,
    )


def _details(p: PlannedStep) -> Iterator[Detail]:
    """What a reviewer needs to see of a step besides the manual's words."""
    if p.kind in MACHINE_KINDS:
        words = condition_words(p)
        yield Detail("自动判定", words)
        if words != p.condition:
            yield Detail("规则", p.condition, code=True)
    if isinstance(p, PlannedSql):
        host = ", ".join(t.host_id for t in p.targets)
        yield Detail(f"SQL {host} ({p.database_route})", p.sql, code=True)
        if p.binds:
            yield Detail("绑定变量", ", ".join(f":{k} = {v!r}" for k, v in p.binds.items()), code=True)
    yield from _grouped_commands(p.targets)
    for t in p.targets:
        if t.ports:
            ports = "; ".join(f"{number} {name}" for number, name in t.ports)
            yield Detail(f"端口 {t.host_id} {t.address}", ports)
        if t.path:
            yield Detail(f"文件 {t.host_id}", t.path, code=True)
        for x in t.services:
            yield Detail(f"服务 {t.host_id} {x.title}", x.control_command or x.status_command, code=True)
            if x.control_command:
                yield Detail("  然后查询", x.status_command, code=True)
    if isinstance(p, PlannedTimeGate):
        yield Detail("时间要求", "未到该时间则等待" if p.mode == "wait" else "未到该时间则拒绝执行")
    for key, label in (("instructions", "说明"), ("prompt", "确认"), ("subject", "通知主题")):
        if p.text.get(key):
            yield Detail(label, p.text[key])
    if isinstance(p, PlannedNotify) and p.recipients:
        yield Detail("通知对象", "; ".join(p.recipients))
    if p.risk != "read":
        yield Detail("风险", RISK_ZH[p.risk])


def _grouped_commands(targets: tuple[PlannedTarget, ...]) -> Iterator[Detail]:
    """One line per distinct command, naming every host that runs it (M1-M4 run the same df)."""
    hosts_by_command: dict[str, list[str]] = {}
    for t in targets:
        if t.command:
            hosts_by_command.setdefault(t.command, []).append(t.host_id)
    for command, hosts in hosts_by_command.items():
        yield Detail(f"命令 {', '.join(hosts)}", command, code=True)


_TOKEN = re.compile(r"\s+|[^\s]")
_NO_LINE_START = frozenset("，。、；：？！）》」』】,.;:?!)]}%")
_NO_LINE_END = frozenset("（《「『【([{")


def wrap(text: str, width: float, measure: Callable[[str], float] = cell_len) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` as ``measure`` sees it.

    Shared by the text table (terminal cells, CJK = 2) and the PDF (millimetres), so both break
    the same way: between words of Latin text, between any two CJK characters, never before
    closing punctuation, and inside a word only when the word alone is too wide. Newlines in
    the text (multi-line SQL) stay line breaks.
    """
    lines: list[str] = []
    for paragraph in text.replace("\t", "    ").split("\n"):
        lines.extend(_wrap_paragraph(paragraph, width, measure))
    return lines


def _tokens(paragraph: str) -> list[str]:
    """Whitespace runs, Latin words, and single wide characters (each a break opportunity)."""
    tokens: list[str] = []
    for match in _TOKEN.finditer(paragraph):
        piece = match.group()
        if piece.isspace() or not tokens or tokens[-1].isspace():
            tokens.append(piece)
            continue
        last = tokens[-1][-1]
        latin_word = cell_len(piece) == 1 and cell_len(last) == 1
        if latin_word or last in _NO_LINE_END or piece in _NO_LINE_START:
            tokens[-1] += piece
        else:
            tokens.append(piece)
    return tokens


def _wrap_paragraph(paragraph: str, width: float, measure: Callable[[str], float]) -> list[str]:
    lines: list[str] = []
    current, current_width = "", 0.0
    for token in _tokens(paragraph):
        if token.isspace() and lines and not current:
            continue
        token_width = measure(token)
        if current_width + token_width <= width:
            current, current_width = current + token, current_width + token_width
            continue
        if current.strip():
            lines.append(current.rstrip())
        current, current_width = "", 0.0
        if token.isspace():
            continue
        if token_width <= width:
            current, current_width = token, token_width
            continue
        for char in token:
            char_width = measure(char)
            if current and current_width + char_width > width:
                lines.append(current)
                current, current_width = "", 0.0
            current, current_width = current + char, current_width + char_width
    if current.strip() or not lines:
        lines.append(current.rstrip())
    return lines
