"""Help as a newcomer reads it: every command, both languages, at 80 columns, in-process."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import typer

from otcctl import i18n
from otcctl.cli.main import _mount_subcommands, app, run_cli

CJK = re.compile(r"[\u4e00-\u9fff]")


def _commands() -> list[list[str]]:
    _mount_subcommands()
    found: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        found.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            if not getattr(sub, "hidden", False):
                walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    from otcctl.cli.plugins import PLUGINS, load_plugin

    for name in PLUGINS:  # the lab's own commands, loaded when their group is typed
        walk(load_plugin(name), [name])
    return found


COMMANDS = _commands()


@pytest.fixture(autouse=True)
def _english_at_80(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("COLUMNS", "80")
    i18n.set_language("en")
    yield
    i18n.set_language(None)


def _help(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = run_cli([*args, "-h"])
    out = capsys.readouterr().out
    assert code == 0, out
    return out


def test_otcctl_alone_shows_help_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage: otcctl") and "Commands:" in out and "Examples:" in out


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "otcctl")
def test_every_command_has_whole_help_with_examples(capsys: pytest.CaptureFixture[str], path: list[str]) -> None:
    out = _help(capsys, *path)
    assert run_cli([*path, "--help"]) == 0 and capsys.readouterr().out == out
    assert out.startswith("Usage: otcctl")
    assert "Examples:" in out, "an example or two per command, in the epilog"
    assert not re.search(r"<(str|int|path|list\[str\]|int range)>|\{name\}", out), out
    assert "..." not in re.sub(r"[A-Z_\]]+\.\.\.", "", out), "descriptions are never cut"
    assert all(len(line) <= 80 for line in out.splitlines()), out


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "otcctl")
def test_every_command_has_chinese_help(capsys: pytest.CaptureFixture[str], path: list[str]) -> None:
    out = _help(capsys, "--lang", "zh", *path)
    assert out.startswith("用法: otcctl") and "示例:" in out and "显示本帮助并退出" in out
    description = out.split("\n\n")[1]
    assert CJK.search(description), f"untranslated description: {description}"


def test_metavars_are_capitals_with_choices(capsys: pytest.CaptureFixture[str]) -> None:
    out = _help(capsys, "checklist")
    assert "-f, --format [text|md|html|pdf]" in out and "-p, --param KEY=VALUE" in out and "--date DATE" in out
    assert "Usage: otcctl checklist [OPTIONS] NAME" in out
    assert "--in-flight [rerun|done]" in _help(capsys, "resume") and "RUN_ID" in _help(capsys, "log")
    assert "--lang [zh|en]" in _help(capsys)


def test_command_list_keeps_whole_descriptions(capsys: pytest.CaptureFixture[str]) -> None:
    out = " ".join(_help(capsys).split())
    whole = "Show every step as it would run (hosts, exact commands, SQL, conditions) without connecting anywhere."
    assert whole in out


def test_lang_option_works_anywhere_before_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["--lang", "zh", "run", "-h"]) == 0
    assert "用法: otcctl run [选项] NAME" in capsys.readouterr().out
    assert run_cli(["--lang=en", "run", "-h"]) == 0
    assert "Usage: otcctl run [OPTIONS] NAME" in capsys.readouterr().out


def _said(capsys: pytest.CaptureFixture[str], command: object, args: list[str]) -> str:
    try:
        command.main(args=args, prog_name="otcctl", standalone_mode=False)  # type: ignore[attr-defined]
    except Exception as exc:  # a usage error: its message is what the operator reads
        return f"{type(exc).__name__}: {exc.format_message()}"  # type: ignore[attr-defined]
    return capsys.readouterr().out


@pytest.mark.parametrize("path", [p for p in COMMANDS if p and p[0] != "lab"], ids=" ".join)
def test_a_command_reads_the_same_whether_the_whole_app_is_built_or_only_its_part(
    capsys: pytest.CaptureFixture[str], path: list[str]
) -> None:
    """otcctl builds only the command its arguments name; its help and usage errors must not change."""
    from otcctl.cli.main import _needed_part

    whole = typer.main.get_command(app)
    part = typer.main.get_command(_needed_part(app, list(path)))
    assert list(getattr(part, "commands", {})) == [path[0]]
    for args in ([*path, "--help"], [*path, "--no-such-option"]):
        assert _said(capsys, part, args) == _said(capsys, whole, args)


def test_an_unknown_command_still_gets_every_command_to_suggest_from(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["dry-rn", "market-open"]) == 2
    err = capsys.readouterr().err
    assert "dry-rn" in err and "dry-run" in err
