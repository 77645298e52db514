"""Entry point: mount every command group, run, and turn errors into one paragraph and an exit code."""

from __future__ import annotations

import contextlib
import os
import sys

import typer

from otcctl.cli import run as _run_commands  # noqa: F401 - registers run, resume, runs, log, doctor
from otcctl.cli.app import app
from otcctl.cli.options import error_paragraph
from otcctl.errors import ExitCode, InputError, OtcctlError


def main() -> None:
    """Entry point: run the CLI and turn otcctl errors into one paragraph and an exit code."""
    _mount_subcommands()
    try:
        app()
    except SystemExit as exc:
        if exc.code == ExitCode.INTERRUPTED:  # Typer turns any KeyboardInterrupt into exit 130
            _interrupted()
        raise
    except OtcctlError as exc:
        if isinstance(exc, InputError):
            for problem in exc.problems:
                error_paragraph(str(problem))
        else:
            error_paragraph(str(exc))
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        _interrupted()
    except Exception as exc:  # an otcctl bug: say so in one paragraph, keep the traceback for OTCCTL_DEBUG
        if os.environ.get("OTCCTL_DEBUG"):
            raise
        error_paragraph(
            f"internal error ({type(exc).__name__}: {exc}). This is a bug in otcctl, not in your input. "
            "Every step that started is in the run journal (otcctl runs / otcctl log RUN_ID); rerun with "
            "OTCCTL_DEBUG=1 for the traceback and report it."
        )
        sys.exit(int(ExitCode.FAILED))


def _interrupted() -> None:
    """Exit 130 for Ctrl-C, 129 for SIGHUP, 143 for SIGTERM, saying where the record is."""
    from otcctl.run.signals import exit_code

    code = exit_code() or int(ExitCode.INTERRUPTED)
    with contextlib.suppress(OSError):
        sys.stderr.write(f"interrupted (exit {code}); the journal records where the run stopped (otcctl runs)\n")
    sys.exit(code)


def _mount_subcommands() -> None:
    """Add the command groups: the domain ones from this package, the plugins' as placeholders."""
    from otcctl.cli.domain import calendar_app, ofd_app
    from otcctl.cli.plugins import placeholders

    groups: dict[str, typer.Typer] = {"calendar": calendar_app, "ofd": ofd_app, **placeholders()}
    for name, sub in groups.items():
        if not any(g.name == name for g in app.registered_groups):
            app.add_typer(sub, name=name)
