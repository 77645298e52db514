"""Hostile input is bad input (exit 2 with file and line), never a hang or an internal error."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from otcctl.errors import InputError
from otcctl.model.durations import parse_duration
from otcctl.model.load import load_runbook
from otcctl.model.validate import validate_files

REPO = Path(__file__).resolve().parents[3]
BOMB = "".join(
    f"{a}: &{a} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['x'] * 9)}]\n"
    for p, a in zip(["", "a", "b", "c", "d", "e", "f", "g", "h"], "abcdefghi", strict=True)
)


@pytest.mark.parametrize(
    ("value", "ok"),
    [(30, True), ("1h30m", True), ("7d", False), (float("nan"), False), (float("inf"), False), (-1, False),
     (10**400, False), ("9" * 5000, False), (8 * 24 * 3600, False), ("", False), (True, False)],
    ids=["30", "1h30m", "7d", "nan", "inf", "negative", "huge-int", "huge-text", "8-days", "empty", "bool"],
)
def test_durations(value: object, ok: bool) -> None:
    if ok:
        assert parse_duration(value) >= 0
    else:
        with pytest.raises(ValueError):
            parse_duration(value)


@pytest.mark.timeout(30)  # a self-referring alias once looped for ever, memory growing
@pytest.mark.parametrize(
    ("text", "said"),
    [
        (BOMB, "expands to more than"),
        ("name: x\nsteps: &a [*a]\n", "line 2: an alias refers to the anchor it is inside"),
        ("name: x\nsteps:\n  - &a {id: s1, more: [x, *a]}\n", "line 3: an alias refers to the anchor it is inside"),
        ("a: " + "[" * 100000 + "]" * 100000 + "\n", "nested deeper"),
        ("name: x\nn: " + "9" * 5000 + "\n", "cannot read"),
        ((REPO / "runbooks" / "market-open.yaml").read_text().replace("timeout: 30s", "timeout: .nan", 1), "finite"),
    ],
)
def test_hostile_runbooks_are_input_errors_found_fast(tmp_path: Path, text: str, said: str) -> None:
    path = tmp_path / "market-open.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(InputError) as caught:
        load_runbook(path)
    assert said in str(caught.value) and str(path) in str(caught.value)
    assert time.monotonic() - started < 2


def test_one_bad_runbook_never_stops_the_validation_of_the_others(tmp_path: Path) -> None:
    good = tmp_path / "market-open.yaml"
    good.write_text((REPO / "runbooks" / "market-open.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "bomb.yaml").write_text(BOMB, encoding="utf-8")
    (tmp_path / "deep.yaml").write_text("steps: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    report = validate_files([], REPO / "inventory.yaml", tmp_path)
    verdicts = {Path(f.path).name: f.ok for f in report.files}
    assert verdicts == {"inventory.yaml": True, "market-open.yaml": True, "bomb.yaml": False, "deep.yaml": False}
