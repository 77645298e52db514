"""Broken runbooks and inventories exit 2 with one paragraph naming file, line and field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import copy_shipped, run_cli


def _break(path: Path, old: str, new: str) -> int:
    """Replace the first occurrence of ``old`` and return its 1-based line number."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def _assert_located_error(result, file_name: str, line: int | None, field: str | None = None) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    err = result.stderr
    assert "Traceback" not in err and "Traceback" not in result.stdout
    assert file_name in err
    if line is not None:
        assert f"line {line}" in err, err
    if field is not None:
        assert field in err, err
    return err


CASES = [
    # (name, file, old, new, expected field fragment, expected words)
    ("yaml syntax", "market-open.yaml", "    kind: port\n", "    kind: [port\n", None, "YAML syntax error"),
    ("unknown field", "market-open.yaml", "    timeout: 30s\n", "    timout: 30s\n", "timout", "unknown field"),
    ("wrong type", "market-open.yaml", "    timeout: 30s\n", "    timeout: soon\n", "timeout", "not a duration"),
    ("unknown kind", "market-open.yaml", "    kind: port\n", "    kind: telnet\n", None, "unknown step kind 'telnet'"),
    ("unknown host", "market-open.yaml", "    targets: [M5]\n", "    targets: [M9]\n", "targets[0]", "unknown host"),
    ("unknown group", "market-open.yaml", "    targets: [web]\n", "    targets: [webs]\n", "targets", "'webs'"),
    ("duplicate id", "market-open.yaml", "  - id: tomcat-ports\n", "  - id: middleware-ports\n", "id", "duplicate"),
    ("password key", "monthly-restart.yaml", "    settle: 2m\n", "    password: hunter2\n    settle: 2m\n",
     "password", "literal secret"),
    ("missing provenance", "market-open.yaml", "    assumption: A05\n", "", None, "manual_ref"),
]


@pytest.mark.parametrize(("name", "file", "old", "new", "field", "words"), CASES, ids=[c[0] for c in CASES])
def test_broken_runbook_is_refused_with_its_line(tmp_path: Path, name: str, file: str, old: str, new: str,
                                                 field: str | None, words: str) -> None:
    runbooks, inventory = copy_shipped(tmp_path)
    line = _break(runbooks / file, old, new)
    result = run_cli("validate", str(runbooks / file), "--inventory", str(inventory))
    err = _assert_located_error(result, file, None, field)
    assert words in err
    reported = [int(n) for n in re.findall(r"line (\d+)", err)]
    # the error points at the broken line (or, for a missing field, at the step that lacks it)
    assert any(abs(n - line) <= 12 for n in reported), (line, err)
    if name in {"unknown field", "wrong type", "unknown host", "password key"}:
        assert line in reported, (line, err)


def test_tab_indentation_is_named_as_such(tmp_path: Path) -> None:
    runbooks, inventory = copy_shipped(tmp_path)
    line = _break(runbooks / "market-open.yaml", "    kind: port\n", "\tkind: port\n")
    result = run_cli("validate", str(runbooks / "market-open.yaml"), "--inventory", str(inventory))
    err = _assert_located_error(result, "market-open.yaml", line)
    assert "tab" in err


def test_parameter_with_no_value(tmp_path: Path) -> None:
    runbooks, inventory = copy_shipped(tmp_path)
    path = runbooks / "monthly-restart.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  stop_at:\n")
    end = text.index("\nsteps:")
    path.write_text(text[:start] + "  stop_at:\n" + text[end:], encoding="utf-8")
    line = text[:start].count("\n") + 1
    result = run_cli("validate", str(path), "--inventory", str(inventory))
    err = _assert_located_error(result, "monthly-restart.yaml", line, "stop_at")
    assert "no value" in err


def test_required_parameter_without_value_at_dry_run(tmp_path: Path) -> None:
    runbooks, inventory = copy_shipped(tmp_path)
    _break(runbooks / "monthly-restart.yaml", '    default: "16:00"\n', "    required: true\n")
    result = run_cli("dry-run", "monthly-restart", "--runbooks", str(runbooks), "--inventory", str(inventory))
    err = _assert_located_error(result, "monthly-restart.yaml", None, "stop_at")
    assert "-p stop_at=VALUE" in err


def test_bad_parameter_override_is_refused() -> None:
    result = run_cli("dry-run", "monthly-restart", "-p", "stop_at=25:99")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "stop_at" in result.stderr and "HH:MM" in result.stderr
    result = run_cli("dry-run", "monthly-restart", "-p", "no_such=1")
    assert result.returncode == 2 and "no parameter 'no_such'" in result.stderr


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        ("    kvm_order: 2\n", "    kvm_order: two\n", "kvm_order", "integer"),
        ("    transport: ssh\n", "    transport: telnet\n", "transport", "ssh"),
        ("    credential: {source: ssh-agent}\n", "    credential: {source: ssh-agent}\n    password: s3cret\n",
         "password", "literal secret"),
        ("    port: 22\n", "    port: 22\n    colour: red\n", "colour", "unknown field"),
    ],
)
def test_broken_inventory_is_refused_with_its_line(tmp_path: Path, old: str, new: str, field: str, words: str) -> None:
    _, inventory = copy_shipped(tmp_path)
    line = _break(inventory, old, new)
    result = run_cli("validate", str(inventory))
    err = _assert_located_error(result, "inventory.yaml", None, field)
    assert words in err
    assert f"line {line}" in err or f"line {line + 1}" in err, err


def test_unknown_runbook_name_lists_the_known_ones() -> None:
    result = run_cli("dry-run", "market-opne")
    assert result.returncode == 2
    assert "no runbook named 'market-opne'" in result.stderr and "market-open" in result.stderr
