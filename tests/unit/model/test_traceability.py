"""docs/traceability.md and the closing list of docs/assumptions.md are generated and current."""

from __future__ import annotations

import re
import runpy

from tests.helpers import REPO

TRACE = runpy.run_path(str(REPO / "scripts" / "trace.py"), run_name="trace")
MANUAL = (REPO / "docs" / "manual" / "manual.txt").read_text(encoding="utf-8").splitlines()


def test_generated_documents_are_current() -> None:
    assert TRACE["main"](["--check"]) == 0, "run: .venv/bin/python scripts/trace.py"


def test_every_listed_manual_item_is_on_its_lines() -> None:
    for item in TRACE["ITEMS"]:
        text = re.sub(r"\s+", "", "".join(MANUAL[item.first - 1 : item.last]))
        assert re.sub(r"\s+", "", item.words) in text, item


def test_every_procedure_heading_of_the_manual_is_listed() -> None:
    """Chapter 3's procedure headings (##### 3.x.y.z) each have an item: none is forgotten."""
    headings = {n for n in range(715, 779) if re.match(r"^#####\s+3\.\d+\.\d+\.\d+", MANUAL[n - 1])}

    def heading_of(line: int) -> int:
        return max(n for n in headings if n <= line)

    assert len(headings) == 10
    assert {heading_of(item.first) for item in TRACE["ITEMS"]} == headings


def test_no_numbered_manual_item_is_left_without_a_step() -> None:
    trace = (REPO / "docs" / "traceability.md").read_text(encoding="utf-8")
    assert "**none**" not in trace
    assert "| 3.1.3.1 重启服务器 第4步 | L749 | monthly-restart | 4 losap-started |" in trace
