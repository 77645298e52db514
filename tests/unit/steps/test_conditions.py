"""Output in, verdict out: every condition kind as a row of data (habit 11)."""

from __future__ import annotations

from typing import Any

import pytest

from otcctl.model.conditions_schema import Condition
from otcctl.steps.conditions import Observation, judge

DF = "Filesystem  Use%\n/dev/sda1   73%\n"
ROWS = Observation(exit_code=0, columns=("STATUS", "N"), rows=(("OPEN", "3"), ("OPEN", 12)))

CASES: list[tuple[str, dict[str, Any], Observation, bool, str]] = [
    ("exit 0", {"exit_code": 0}, Observation(exit_code=0), True, "exit code 0"),
    ("exit 1", {"exit_code": 0}, Observation(exit_code=1), False, "exit code 1 (expected 0)"),
    ("exit in list", {"exit_code": [0, 3]}, Observation(exit_code=3), True, "expected 0 or 3"),
    ("contains", {"contains": "ready"}, Observation(0, "gateway ready\n"), True, "contains 'ready'"),
    ("lacks", {"contains": "ready"}, Observation(0, "starting\n"), False, "lacks 'ready'"),
    ("not_contains", {"not_contains": "ERROR"}, Observation(0, "ERROR: disk\n"), False, "contains 'ERROR'"),
    ("stderr stream", {"contains": "ORA-", "stream": "stderr"}, Observation(1, "", "ORA-00600"), True, "ORA-"),
    ("matches", {"matches": r"^LISTEN\s+5001"}, Observation(0, "x\nLISTEN  5001\n"), True, "matches"),
    ("number below", {"number": {"regex": r"(\d+)%", "op": "<", "value": 80}}, Observation(0, DF), True, "73 < 80"),
    ("number above", {"number": {"regex": r"(\d+)%", "op": "<", "value": 70}}, Observation(0, DF), False, "73 < 70"),
    ("no number", {"number": {"regex": r"(\d+)%", "op": "<", "value": 80}}, Observation(0, "n/a"), False, "no number"),
    ("row count", {"row_count": {"op": "==", "value": 2}}, ROWS, True, "row count 2"),
    ("scalar text", {"scalar": {"op": "==", "value": "OPEN"}}, ROWS, True, "value 'OPEN'"),
    ("column all", {"column": {"name": "n", "op": ">", "value": 5}}, ROWS, False, "n '3' > 5 is false"),
    ("column any", {"column": {"name": "n", "op": ">", "value": 5, "rows": "any"}}, ROWS, True, "n 12 > 5"),
    ("no rows at all", {"row_count": {"op": "==", "value": 0}}, Observation(0, "ok"), False, "needs SQL rows"),
    ("all", {"all": [{"exit_code": 0}, {"contains": "ok"}]}, Observation(0, "ok"), True, "exit code 0"),
    ("all one fails", {"all": [{"exit_code": 0}, {"contains": "ok"}]}, Observation(0, "no"), False, "lacks 'ok'"),
    ("any", {"any": [{"contains": "ready"}, {"contains": "process"}]}, Observation(0, "process"), True, "process"),
    ("not", {"not": {"contains": "ERROR"}}, Observation(0, "fine"), True, "not (output lacks"),
]


@pytest.mark.parametrize(("condition", "seen", "passed", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_verdicts(condition: dict[str, Any], seen: Observation, passed: bool, reason: str) -> None:
    verdict = judge(Condition.model_validate(condition), seen)
    assert verdict.passed is passed
    assert reason in verdict.reason
