"""``otcctl report``: the filled record of a run, the blank checklist's sheet with what happened in it.

The rows are the manual's columns as the checklist prints them (from the runbook, when its
file still has the digest the run recorded), filled from the journal through the one replay:
the actual result per host, the outcome, every answer with who and when, the reviewer, the
finish time. Around them: the trading-day check, resumes and who did them, the exceptions a
reviewer must look at, the runbook and inventory digests and the chain head on every page,
and the lines for the signatures the paper still needs. The same renderers and fonts as the
checklist print it, so the two sheets look alike.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from otcctl.i18n import speaking
from otcctl.output.checklist import (
    ENVIRONMENT_ZH,
    MANUAL_COLUMNS,
    Checklist,
    ChecklistRow,
    Layout,
    in_shanghai,
    plan_row,
)
from otcctl.plan.build import Plan
from otcctl.run.audit import JournalCheck
from otcctl.run.lines import Stamp
from otcctl.run.records import RunResumed
from otcctl.run.replay import Replay, StepStory

REPORT = Layout(
    (*MANUAL_COLUMNS, "实际结果", "执行人", "复核人", "完成时间"),
    (9.0, 13.0, 22.0, 52.0, 30.0, 20.0, 15.0, 52.0, 24.0, 22.0, 18.0),
    (4, 5, 7, 19, 11, 6, 6, 20, 8, 7, 7),
    (30, 12, 12, 8),
)
OUTCOME_ZH = {
    "passed": "通过",
    "passed-with-exceptions": "通过 (有例外)",
    "failed": "失败",
    "skipped": "跳过",
    "aborted": "中止",
    "unknown": "未知",
    "done-by-operator": "人工完成",
    "waived": "豁免",
    "rolled-back": "已回退",
    "interrupted": "中断",
    "incomplete": "未完成",
    "not run": "未执行",
}
VERDICT_ZH = {"approved": "同意", "rejected": "驳回", "timed-out": "超时无人复核"}
SIGN_LINE = (
    "执行人签字 (operator): __________  复核人签字 (reviewer): __________  "
    "合规审核 (compliance): __________  日期 (date): ________"
)
NOT_RUN = "未执行 (not run)"
IN_FLIGHT = "执行中断, 结果未知 (in flight when the run stopped)"


def build_report(
    story: Replay, chain: JournalCheck, plan: Plan | None, *, printed_at: datetime | None = None
) -> Checklist:
    """Word the run once for every format."""
    header = story.header
    if header is None:
        raise ValueError("a report needs the run's header (run-started record)")
    head = chain.head or "?"
    state = "完整 (chain holds)" if chain.problem is None else f"已被改动 (BROKEN): {chain.problem}"
    numbers = {p.id: p.no for p in plan.rollback_steps} if plan else {}
    with speaking("zh_CN"):  # the sheet is the manual's paper: Chinese whatever the terminal speaks
        planned = {p.id: plan_row(p, numbers) for p in plan.every_step} if plan else {}
    ids = [p.id for p in plan.steps] if plan else [s.id for s in header.steps]
    rows = [_row(planned.get(i) or _bare(story, i), story.stories.get(i)) for i in ids]
    rollback = [_row(planned.get(i) or _bare(story, i), s) for i, s in story.stories.items() if s.rollback]
    operators = "; ".join(str(o) for o in story.operators)
    reviewers = sorted({str(r.reviewer) for s in story.stories.values() for r in s.reviews if r.reviewer})
    trading = _trading(story)
    items: list[tuple[str, str]] = [
        ("操作规程 (runbook)", f"{header.title} ({header.runbook}) 版本 {header.runbook_version}"),
        ("运行编号 (run)", story.run_id),
        ("环境 (environment)", f"{ENVIRONMENT_ZH.get(header.environment, header.environment)} {header.environment}"),
        ("交易日 (trading date)", trading),
        ("开始 / 结束 (Asia/Shanghai)", f"{_time(story.started)} / {_time(story.ended)}"),
        ("结果 (outcome)", f"{OUTCOME_ZH.get(story.outcome, story.outcome)} {story.outcome}"),
        ("执行人 (operators)", operators),
        ("规程 sha256 (runbook)", header.runbook_sha256),
        ("清单 sha256 (inventory)", f"{header.inventory_sha256} ({header.inventory})"),
        ("链头 sha256 (chain head)", f"{head} · {chain.records} records · {state}"),
        ("打印时间 (printed at)", in_shanghai(printed_at).strftime("%Y-%m-%d %H:%M Asia/Shanghai")),
    ]
    if plan is None:
        items.append(("注意 (note)", "规程文件已改动或不在原处: 操作内容取自执行记录 (runbook file changed or moved)"))
    sections = [("异常与例外 (exceptions)", story.exceptions or ("无 (none)",))]
    if story.resumes:
        sections.append(("续做 (resumes)", tuple(_resume(stamp, r) for stamp, r in story.resumes)))
    if story.stop_reason:
        sections.append(("停止原因 (stopped)", (story.stop_reason,)))
    return Checklist(
        title=f"{header.title} {header.runbook} 执行记录 (run report)",
        header=tuple(items),
        rows=tuple(rows),
        rollback_rows=tuple(rollback),
        footer=(
            SIGN_LINE,
            f"runbook sha256 {header.runbook_sha256} · inventory sha256 {header.inventory_sha256}",
            f"chain head sha256 {head}: 核对 `otcctl verify {story.run_id}` 输出的链头与本页一致 "
            "(check that otcctl verify prints this head)",
        ),
        running_line=f"{story.run_id} · {story.outcome} · runbook {header.runbook_sha256[:16]} · "
        f"inventory {header.inventory_sha256[:16]} · head {head[:16]}",
        layout=REPORT,
        people_line=f"执行人 (operator): {operators}    复核人 (reviewer): {'; '.join(reviewers) or '—'}",
        sections=tuple(sections),
    )


def _row(row: ChecklistRow, story: StepStory | None) -> ChecklistRow:
    if story is None or story.finished is None:
        flying = story is not None and story.starts > 0
        result = IN_FLIGHT if flying else NOT_RUN
        return replace(row, filled=(result,))
    done = story.finished
    lines = [f"{OUTCOME_ZH.get(done.outcome, done.outcome)} ({done.outcome}): {done.reason}"]
    if len(done.targets) > 1:
        lines += [f"{t.host}: {'ok' if t.passed else 'NOT OK'} {t.reason}" for t in done.targets]
    if story.starts > 1:
        lines.append(f"执行 {story.starts} 次 (started {story.starts} times)")
    for stamp, answer in story.answers:
        said = f": {answer.comment}" if answer.comment else ""
        lines.append(
            f"答复 {answer.answer} ({answer.purpose}, {answer.how}) {answer.operator.short()} {_time(stamp)}{said}"
        )
    reviewed = []
    for review in story.reviews:
        who = review.reviewer.short() if review.reviewer else ""
        said = f": {review.comment}" if review.comment else ""
        reviewed.append(f"{VERDICT_ZH[review.verdict]} {who}{said}".strip())
        reviewed += [f"不计 (refused): {why}" for why in review.refused]
    by = story.by.short() if story.by else ""
    finished = story.finished_at.time_shanghai[11:19] if story.finished_at else ""
    filled = ("\n".join(lines), by, "\n".join(reviewed), finished)
    return replace(row, filled=filled)


def _bare(story: Replay, step_id: str) -> ChecklistRow:
    """A row from the journal alone (the runbook file is gone or changed)."""
    line = next((s for s in story.header.steps if s.id == step_id), None) if story.header else None
    told = story.stories.get(step_id)
    no = line.no if line else (told.no if told else "?")
    host = line.host if line else ""
    action = told.action if told and told.action else step_id
    return ChecklistRow(no, "", host, action, (), "", "")


def _trading(story: Replay) -> str:
    header = story.header
    check = header.trading_day if header else None
    if check is None:
        return f"{story.trading_date or '?'} (未检查: not a trading-day runbook)"
    if check.trading:
        return f"{check.date} 交易日 (trading day)"
    if check.trading is None:
        return f"{check.date} 日历未知, 经执行人确认继续 (calendar unknown; run anyway, recorded)"
    return f"{check.date} 非交易日, 经执行人确认继续 (not a trading day; run anyway, recorded)"


def _resume(stamp: Stamp, resumed: RunResumed) -> str:
    flying = f"; 中断时执行中 {resumed.in_flight}" if resumed.in_flight else ""
    decided = f" (--in-flight {resumed.options.in_flight})" if resumed.options.in_flight else ""
    return f"{_time(stamp)} {resumed.operator}{flying}{decided}; 已完成 {', '.join(resumed.done) or '—'}"


def _time(stamp: object) -> str:
    text = getattr(stamp, "time_shanghai", None)
    return str(text)[:19].replace("T", " ") if text else "—"


def _filled(row: ChecklistRow) -> dict[str, str]:
    return dict(zip(REPORT.columns[len(MANUAL_COLUMNS) :], row.trailing(REPORT), strict=True))


def report_json(story: Replay, chain: JournalCheck, sheet: Checklist) -> dict[str, object]:
    """The same report for machines."""
    return {
        "run_id": story.run_id,
        "summary": story.summary().to_json(),
        "chain": {
            "head": chain.head,
            "records": chain.records,
            "ok": chain.problem is None,
            "problem": str(chain.problem) if chain.problem else None,
        },
        "header": [{"label": label, "value": value} for label, value in sheet.header],
        "steps": [
            {"no": r.no, "action": r.action, "host": r.host, **_filled(r)} for r in (*sheet.rows, *sheet.rollback_rows)
        ],
        "sections": {heading: list(lines) for heading, lines in sheet.sections},
    }
