"""Every step that cites the manual quotes it: the cited lines exist and hold the step's words.

The manual is kept verbatim in docs/manual/manual.txt (line numbers as in the original). A step
with ``manual_ref: L747`` (or ``L732-734``) must quote the manual in its 操作内容: the text before
the first `` (`` (our own explanation, in half-width brackets) is the manual's words, possibly
several pieces joined by ``：``, each found on the cited lines (whitespace and table markup
ignored). Where the cited lines include the row's 结果判断 cell, the step's 结果判断 quotes it too.
Runbooks whose manual section numbers its rows carry that 序号 in ``no`` on every step.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from otcctl.model.load import load_runbook
from tests.helpers import REPO, RUNBOOKS

MANUAL = REPO / "docs" / "manual" / "manual.txt"
MANUAL_SHA256 = "14ad60742ac810bfe26cfece4359a82d8e36635fa9d338ed469a052361771ba3"
REF = re.compile(r"^L(\d+)(?:-(\d+))?$")
JUDGE_CELLS = (733, 775)  # the 结果判断 cells of the manual's two procedure tables
PROCEDURES = range(715, 779)  # chapter 3, 运维流程


def manual_lines() -> list[str]:
    return MANUAL.read_text(encoding="utf-8").splitlines()


def normalise(text: str) -> str:
    text = re.sub(r"<br\s*/?>|</?td>|</?tr>|<P[^>]*>", "", text)
    return re.sub(r"\s+", "", text)


def cited(ref: str) -> range:
    match = REF.fullmatch(ref)
    assert match, f"manual_ref {ref!r} is not L<line> or L<first>-<last>"
    first = int(match.group(1))
    last = int(match.group(2) or first)
    assert first <= last, ref
    return range(first, last + 1)


def quoted_pieces(action: str) -> list[str]:
    own = action.split(" (", 1)[0]
    return [piece for piece in own.split("：") if piece.strip()]


def _all(runbook: Any) -> list[Any]:
    return [*runbook.steps, *runbook.rollback_steps]


def steps() -> list[tuple[str, Any]]:
    """Every step of every shipped runbook, read as otcctl reads it (YAML 1.2: ``no:`` is a key, not false)."""
    found = []
    for path in sorted(RUNBOOKS.glob("*.yaml")):
        found += [(path.stem, step) for step in _all(load_runbook(path).runbook)]
    return found


CITING = [(name, step) for name, step in steps() if step.manual_ref]


def test_the_manual_copy_is_the_one_the_refs_were_checked_against() -> None:
    assert hashlib.sha256(MANUAL.read_bytes()).hexdigest() == MANUAL_SHA256
    readme = (REPO / "docs" / "manual" / "README.md").read_text(encoding="utf-8")
    assert MANUAL_SHA256 in readme and "搞定OTC系统运维" in readme


@pytest.mark.parametrize(("name", "step"), CITING, ids=[f"{n}:{s.id}" for n, s in CITING])
def test_every_manual_ref_quotes_the_cited_lines(name: str, step: Any) -> None:
    lines = manual_lines()
    span = cited(step.manual_ref)
    assert span.start in PROCEDURES and span.stop - 1 in PROCEDURES, f"{step.manual_ref} is not a procedure line"
    text = normalise("".join(lines[n - 1] for n in span))
    pieces = quoted_pieces(step.action)
    assert pieces, step.action
    for piece in pieces:
        assert normalise(piece) in text, f"{name}:{step.id}: {piece!r} is not on {step.manual_ref}"
    for cell in JUDGE_CELLS:
        if cell in span:
            assert normalise(lines[cell - 1]) in normalise(step.judge or ""), f"{name}:{step.id} judge"
    if numbered(span):
        assert step.no, f"{name}:{step.id}: a step from the manual carries the manual's 序号 in no"


def test_a_made_up_quote_or_a_line_outside_the_procedures_is_caught() -> None:
    lines = manual_lines()
    text = normalise(lines[747 - 1])
    assert normalise("16:00，在【2-5】RZRQ-FOS-25上关闭所有中间件服务。") in text
    assert normalise("16:00，停止所有中间件服务") not in text
    assert cited("L760-777") == range(760, 778)
    with pytest.raises(AssertionError):
        cited("月操作·重启服务器 第3步")
    assert quoted_pieces("关闭下列程序：银行存管程序 (在 KVM 上)") == ["关闭下列程序", "银行存管程序"]


def test_the_switch_and_switchback_do_not_claim_the_one_row_failover_table() -> None:
    """The 主切备 table (L760-777) has one row: closing programs; switching and switching back are assumptions."""
    for name, step in CITING:
        if step.manual_ref.startswith(("L77", "L76")):
            assert name == "failover-drill", (name, step.id)
            assert "切换" not in step.action and "启动" not in step.action, step.id


def numbered(span: range) -> bool:
    """The manual numbers this item: a table row (序号 cell) or a line starting "1、"."""
    lines = manual_lines()
    in_table = any(n in range(729, 736) or n in range(770, 778) for n in span)
    return in_table or bool(re.match(r"^\d+、", normalise(lines[span.start - 1])))


def test_steps_in_numbered_manual_sections_carry_a_number() -> None:
    for path in sorted(RUNBOOKS.glob("*.yaml")):
        runbook = load_runbook(path).runbook
        if any(s.manual_ref and numbered(cited(s.manual_ref)) for s in runbook.steps):
            missing = [s.id for s in runbook.steps if not s.no]
            assert not missing, f"{path.stem}: give these a 序号 (no:) next to the manual's: {missing}"


def test_the_manual_copy_names_its_lines_as_the_original(tmp_path: Path) -> None:
    lines = manual_lines()
    assert lines[745].startswith("1、") and "经济业务部" in lines[745]  # the manual's own spelling, kept
    assert "LOSAP" in lines[748]
