"""Every YAML example in docs/runbook-format.md is valid, so operators can copy them as written.

Blocks are picked out of the page by their first line:

* ``- id: ...``: one step; wrapped in a minimal runbook (declaring the parameters it uses, from
  the page's own ``params:`` example), validated against the shipped inventory and planned;
* ``# yaml-language-server: ...``: a complete runbook, checked the same way as it stands;
* ``params:``: the parameter declarations the step examples draw on;
* ``expect: ...``: a condition on its own;
* ``# WRONG: words``: a step that must be refused, with ``words`` in the error.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from otcctl.errors import InputError
from otcctl.model.conditions_schema import Condition
from otcctl.model.inventory import LoadedInventory, load_inventory
from otcctl.model.load import BUILTIN_PARAMS, check_against_inventory, load_runbook
from otcctl.model.schema import STEP_KINDS
from otcctl.model.templates import placeholders
from otcctl.model.yamlsource import load_yaml
from otcctl.plan.build import Plan, build_plan
from tests.helpers import INVENTORY, REPO, RUNBOOKS

DOC = REPO / "docs" / "runbook-format.md"
RUN_DATE = date(2026, 11, 27)
SCHEMA_LINE = "# yaml-language-server: $schema=../schema/runbook.schema.json"
# -p values for parameters declared ``required: true`` (they have no default to plan with)
REQUIRED_SAMPLE = {"str": "x", "int": "1", "date": "20260531", "time": "16:00"}

_BLOCKS = [m.group(1) for m in re.finditer(r"^```yaml\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.M | re.S)]
STEP_BLOCKS = [b for b in _BLOCKS if b.startswith("- id:")]
RUNBOOK_BLOCKS = [b for b in _BLOCKS if b.startswith(SCHEMA_LINE)]
EXPECT_BLOCKS = [b for b in _BLOCKS if b.startswith("expect:")]
WRONG_BLOCKS = [b for b in _BLOCKS if b.startswith("# WRONG:")]
PARAM_BLOCKS = [b for b in _BLOCKS if b.startswith("params:")]


def _read(block: str) -> Any:
    """A block's data, read the way otcctl reads a runbook (YAML 1.2 scalars: ``16:00`` is text)."""
    return load_yaml(DOC, text=block).data


def _first_id(block: str) -> str:
    return re.search(r"^- id: *(\S+)", block, re.M).group(1)  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def inventory() -> LoadedInventory:
    return load_inventory(INVENTORY)


def _declared_params() -> dict[str, dict[str, Any]]:
    assert len(PARAM_BLOCKS) == 1, "the page has exactly one `params:` example, which the step examples use"
    return dict(_read(PARAM_BLOCKS[0])["params"])


def _wrap(block: str, name: str) -> tuple[str, dict[str, str]]:
    """A minimal runbook around one step example, and the -p values its required parameters need."""
    declared = _declared_params()
    used = [n for n in placeholders(block) if n not in BUILTIN_PARAMS]
    missing = [n for n in used if n not in declared]
    assert not missing, f"{_first_id(block)} uses {missing}: declare them in the page's `params:` example"
    params = {n: declared[n] for n in used}
    overrides = {n: REQUIRED_SAMPLE[p.get("type", "str")] for n, p in params.items() if p.get("default") is None}
    head = {
        "name": name,
        "title": "文档示例",
        "cadence": "on-demand",
        "version": "1",
        "manual_section": "docs/runbook-format.md",
        "params": params,
    }
    text = f"{SCHEMA_LINE}\n{yaml.safe_dump(head, allow_unicode=True, sort_keys=False)}steps:\n{block}"
    return text, overrides


def _plan(path: Path, inventory: LoadedInventory, overrides: dict[str, str]) -> Plan:
    """Everything `otcctl validate` and `otcctl dry-run` check; raises InputError on any problem."""
    loaded = load_runbook(path)
    problems = check_against_inventory(loaded, inventory.inventory, str(INVENTORY))
    if problems:
        raise InputError(problems)
    return build_plan(loaded, inventory, overrides, RUN_DATE)


def test_the_page_has_examples_of_every_kind() -> None:
    kinds: list[str] = []
    for block in STEP_BLOCKS:
        steps = _read(block)
        assert isinstance(steps, list) and len(steps) == 1, f"{_first_id(block)}: one step per example"
        kinds.append(steps[0]["kind"])
    assert sorted(set(kinds)) == sorted(STEP_KINDS), f"kinds without an example: {set(STEP_KINDS) - set(kinds)}"
    ids = [_first_id(b) for b in STEP_BLOCKS]
    assert len(ids) == len(set(ids)), "step examples have distinct ids"
    assert RUNBOOK_BLOCKS and EXPECT_BLOCKS and WRONG_BLOCKS


@pytest.mark.parametrize("block", STEP_BLOCKS, ids=[_first_id(b) for b in STEP_BLOCKS])
def test_step_example_validates_and_plans(block: str, inventory: LoadedInventory, tmp_path: Path) -> None:
    path = tmp_path / "doc-example.yaml"
    text, overrides = _wrap(block, path.stem)
    path.write_text(text, encoding="utf-8")
    try:
        plan = _plan(path, inventory, overrides)
    except InputError as exc:
        pytest.fail(f"example {_first_id(block)} is refused:\n{exc}\n\n{text}")
    assert [p.id for p in plan.steps] == [_first_id(block)]


@pytest.mark.parametrize("block", RUNBOOK_BLOCKS, ids=[_read(b)["name"] for b in RUNBOOK_BLOCKS])
def test_runbook_example_validates_and_plans(block: str, inventory: LoadedInventory, tmp_path: Path) -> None:
    path = tmp_path / f"{_read(block)['name']}.yaml"
    path.write_text(block, encoding="utf-8")
    try:
        _plan(path, inventory, {})
    except InputError as exc:
        pytest.fail(f"runbook example {path.name} is refused:\n{exc}")


@pytest.mark.parametrize("block", EXPECT_BLOCKS)
def test_condition_example_is_valid(block: str) -> None:
    Condition.model_validate(_read(block)["expect"])


@pytest.mark.parametrize("block", WRONG_BLOCKS, ids=[_first_id(b) for b in WRONG_BLOCKS])
def test_wrong_example_is_refused_as_the_page_says(block: str, inventory: LoadedInventory, tmp_path: Path) -> None:
    words = block.splitlines()[0].removeprefix("# WRONG:").strip()
    step = block.split("\n", 1)[1]
    path = tmp_path / "doc-mistake.yaml"
    text, overrides = _wrap(step, path.stem)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        _plan(path, inventory, overrides)
    assert words in str(caught.value), str(caught.value)


def test_shipped_runbooks_start_with_the_documented_line() -> None:
    for path in sorted(RUNBOOKS.glob("*.yaml")):
        assert path.read_text(encoding="utf-8").splitlines()[0] == SCHEMA_LINE, path
