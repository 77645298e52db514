"""cmd.exe's line limit, checked by validate before any run."""

from __future__ import annotations

from pathlib import Path

from otcctl.connectors.winrm import MAX_COMMAND_LINE, powershell_line
from otcctl.model.limits import CMD_LINE_LIMIT, PLACEHOLDER_LENGTH, windows_line_length
from otcctl.model.validate import validate_files
from tests.helpers import copy_shipped


def test_the_estimate_is_the_line_the_connector_sends() -> None:
    assert CMD_LINE_LIMIT == MAX_COMMAND_LINE == 8191
    script = "Get-ChildItem D:\\backup | Where-Object { $_.Length -gt 0 } # 备份"
    assert windows_line_length(script, "powershell") == len(powershell_line(script))
    assert windows_line_length("echo {{date}}", "cmd") == len("echo ") + PLACEHOLDER_LENGTH


def test_validate_warns_for_a_step_too_long_for_cmd_and_still_passes(tmp_path: Path) -> None:
    runbooks, inventory = copy_shipped(tmp_path)
    path = runbooks / "weekly-backup-cleanup.yaml"
    long_line = "Write-Output '" + "x" * 3100 + "'"
    path.write_text(path.read_text(encoding="utf-8") + f"""
  - id: too-long-for-cmd
    kind: winrm
    targets: [M5]
    shell: powershell
    command: "{long_line}"
    action: a step whose encoded line passes cmd.exe's limit
    judge: never runs
    assumption: A33
""", encoding="utf-8")
    report = validate_files([path], inventory, runbooks)
    assert not report.problems, report.problems
    (warning,) = report.warnings
    assert "too-long-for-cmd" in warning.message and "8191" in warning.message and warning.line is not None
    (listed,) = [w for f in report.to_json()["files"] for w in f["warnings"]]
    assert listed["message"] == warning.message


def test_shipped_runbooks_stay_within_the_limit() -> None:
    assert not validate_files([], None, None).warnings
