"""Entry point: mount every command group, run, and turn errors into one paragraph and an exit code."""

from __future__ import annotations

import contextlib
import copy
import os
import sys
from typing import Any

import typer

from otcctl.cli import audit as _audit_commands  # noqa: F401 - registers verify, report, approve
from otcctl.cli import run as _run_commands  # noqa: F401 - registers run, resume, runs, log, doctor
from otcctl.cli.app import app
from otcctl.cli.complete import completion_enabled
from otcctl.cli.options import choose_language, error_paragraph, report_error
from otcctl.errors import ExitCode, OtcctlError
from otcctl.i18n import _, set_language
from otcctl.output.messages import translate_usage


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn every error into one paragraph and an exit code."""
    sys.exit(run_cli(sys.argv[1:] if argv is None else argv))


def run_cli(args: list[str]) -> int:
    """Run otcctl with these arguments; the exit code (0 ok, 1 failed, 2 bad input, 130 interrupted)."""
    _tolerant_streams()
    try:
        set_language(None)  # each invocation decides afresh: --lang, else $OTCCTL_LANG, else the locale
        _language_from(args)
        _mount_subcommands()
        command = typer.main.get_command(_needed_part(app, args))
        result = command.main(args=args, prog_name="otcctl", standalone_mode=False)
        code = result if isinstance(result, int) else 0
        if code == ExitCode.INTERRUPTED:  # Typer turns any KeyboardInterrupt into 130
            _interrupted()
            return _signal_code()
        return code
    except OtcctlError as exc:
        return report_error(exc)
    except KeyboardInterrupt:
        _interrupted()
        return _signal_code()
    except Exception as exc:
        handled = _click_exception(exc)
        if handled is not None:
            return handled
        if os.environ.get("OTCCTL_DEBUG"):  # an otcctl bug: one paragraph; the traceback with OTCCTL_DEBUG
            raise
        error_paragraph(_(
            "internal error ({kind}: {detail}). This is a bug in otcctl, not in your input. Every step that "
            "started is in the run journal (otcctl runs / otcctl log RUN_ID); rerun with OTCCTL_DEBUG=1 for the "
            "traceback and report it."
        ).format(kind=type(exc).__name__, detail=exc))
        return int(ExitCode.FAILED)


def _click_exception(exc: Exception) -> int | None:
    """Typer's own exceptions (usage errors, help on no arguments, Ctrl-C at a prompt) by name."""
    kinds = {cls.__name__ for cls in type(exc).__mro__}
    if "NoArgsIsHelpError" in kinds:  # `otcctl lab` alone: its help, not an error
        ctx = getattr(exc, "ctx", None)
        sys.stdout.write((ctx.get_help() + "\n") if ctx is not None else "")
        return int(ExitCode.OK)
    if "Abort" in kinds:
        _interrupted()
        return int(ExitCode.INTERRUPTED)
    if "UsageError" in kinds or "BadParameter" in kinds:
        ctx = getattr(exc, "ctx", None)
        message = translate_usage(exc.format_message())  # type: ignore[attr-defined]
        if ctx is not None:
            message += " " + _("(see `{command} -h`)").format(command=ctx.command_path)
        error_paragraph(message)
        return int(ExitCode.BAD_INPUT)
    if "ClickException" in kinds:
        error_paragraph(translate_usage(exc.format_message()))  # type: ignore[attr-defined]
        return int(getattr(exc, "exit_code", ExitCode.BAD_INPUT))
    return None


def _interrupted() -> None:
    with contextlib.suppress(OSError):
        sys.stderr.write(_("interrupted; the journal records where the run stopped (otcctl runs)") + "\n")


def _signal_code() -> int:
    """130 for Ctrl-C, 129 when the terminal was closed (SIGHUP), 143 for SIGTERM."""
    from otcctl.run.signals import exit_code

    return exit_code() or int(ExitCode.INTERRUPTED)


def _language_from(args: list[str]) -> None:
    """``--lang`` decides before anything is parsed, so usage errors and help speak it too."""
    for index, word in enumerate(args):
        if word == "--":
            break
        value = None
        if word == "--lang" and index + 1 < len(args):
            value = args[index + 1]
        elif word.startswith("--lang="):
            value = word.partition("=")[2]
        if value is not None:
            choose_language(value)


def _tolerant_streams() -> None:
    """Under an ASCII locale, Chinese is written as escapes instead of crashing the command."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding != "utf8" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def _needed_part(whole: typer.Typer, args: list[str]) -> typer.Typer:
    """The app with only the command (or group) these arguments name, when they name one.

    Typer builds every command's parameters from its signature before parsing anything (a few
    milliseconds each, about twenty in all); ``otcctl run ...`` needs only ``run``'s. Anything
    else (no command, an unknown word, ``--help``, shell completion) gets the whole app, so help,
    suggestions and completion list every command as before.
    """
    if completion_enabled():  # shell completion lists every command
        return whole
    word = _first_word(args)
    if word is None:
        return whole
    commands = [c for c in whole.registered_commands if _command_name(c) == word]
    groups = [g for g in whole.registered_groups if g.name == word]
    if len(commands) + len(groups) != 1:
        return whole
    part = copy.copy(whole)
    part.registered_commands, part.registered_groups = commands, groups
    return part


def _first_word(args: list[str]) -> str | None:
    """The command word: the first argument after the root's own options (``--lang zh`` takes a value)."""
    index = 0
    while index < len(args):
        word = args[index]
        if word == "--lang":
            index += 2
            continue
        if word.startswith("-"):
            if word in ("-h", "--help", "--version"):
                return None
            index += 1
            continue
        return word
    return None


def _command_name(info: Any) -> str:
    return str(info.name or info.callback.__name__.replace("_", "-"))


def _mount_subcommands() -> None:
    """Add the command groups: the domain ones from this package, the plugins' as placeholders."""
    from otcctl.cli.domain import calendar_app, ofd_app
    from otcctl.cli.plugins import placeholders

    groups: dict[str, typer.Typer] = {"calendar": calendar_app, "ofd": ofd_app, **placeholders()}
    for name, sub in groups.items():
        if not any(g.name == name for g in app.registered_groups):
            app.add_typer(sub, name=name)
