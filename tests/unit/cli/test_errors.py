"""One error discipline: every bad input is `error:` (错误:), one paragraph, exit 2, in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from otcctl import i18n
from otcctl.cli.main import run_cli


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    i18n.set_language("en")
    yield
    i18n.set_language(None)


@pytest.mark.parametrize(
    "args",
    [
        ["dry-run"],
        ["dry-run", "market-open", "--no-such-option"],
        ["dry-run", "no-such-runbook"],
        ["dry-run", "market-open", "--date", "2026-13-01"],
        ["checklist", "market-open", "-f", "docx"],
        ["checklist", "market-open", "-o", "/nonexistent/x.pdf", "-f", "pdf"],
        ["list", "--runbooks", "/nonexistent"],
        ["resume", "x", "--in-flight", "maybe"],
        ["log", "no-such-run"],
        ["calendar", "check", "2026101"],
        ["lab", "up", "--date", "20261301", "--dir", "/nonexistent/lab"],
        ["lab", "up", "--network", "192.168.18", "--dir", "/nonexistent/lab"],
        ["lab", "status", "--dir", "/nonexistent/lab"],
        ["--lang", "klingon", "list"],
        ["no-such-command"],
    ],
    ids=lambda a: " ".join(a),
)
def test_bad_input_is_one_error_paragraph_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str]
) -> None:
    monkeypatch.setenv("OTCCTL_STATE_DIR", str(tmp_path))
    assert run_cli(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: "), err
    assert "internal error" not in err and "Traceback" not in err


def test_errors_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["--lang", "zh", "dry-run", "no-such-runbook"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误: ") and "没有名为 'no-such-runbook' 的作业手册" in err
    assert run_cli(["--lang", "zh", "run"]) == 2
    assert "错误: 缺少参数 NAME" in capsys.readouterr().err


def test_unwritable_output_names_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["checklist", "market-open", "-o", "/nonexistent/dir/mo.md", "-f", "md"]) == 2
    err = capsys.readouterr().err
    assert "/nonexistent/dir/mo.md" in err and "cannot write" in err


def test_dry_run_warns_on_a_holiday(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["dry-run", "market-open", "--date", "2026-10-03"]) == 0
    err = capsys.readouterr().err
    assert "2026-10-03 is not a trading day (国庆节" in err and "trading days only" in err
