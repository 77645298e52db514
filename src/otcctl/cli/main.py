"""Entry point: mount every command group, run, and turn errors into one paragraph and an exit code."""

from __future__ import annotations

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
    except OtcctlError as exc:
        if isinstance(exc, InputError):
            for problem in exc.problems:
                error_paragraph(str(problem))
        else:
            error_paragraph(str(exc))
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        sys.stderr.write("interrupted; the journal records where the run stopped (otcctl runs)\n")
        sys.exit(int(ExitCode.INTERRUPTED))
    except Exception as exc:  # an otcctl bug: say so in one paragraph, keep the traceback for OTCCTL_DEBUG
        if os.environ.get("OTCCTL_DEBUG"):
            raise
        error_paragraph(
            f"internal error ({type(exc).__name__}: {exc}). This is a bug in otcctl, not in your input. "
            "Every step that started is in the run journal (otcctl runs / otcctl log RUN_ID); rerun with "
            "OTCCTL_DEBUG=1 for the traceback and report it."
        )
        sys.exit(int(ExitCode.FAILED))


def _mount_subcommands(argv: list[str] | None = None) -> None:
    """Add the command groups: the domain ones from this package, the rest from entry points.

    The lab lives in its own package (``otcctl_lab``) that otcctl never imports by name: it
    offers its commands under the ``otcctl.commands`` entry point group. Where it is not
    installed, ``otcctl lab`` still answers, with how to install it.

    Entry points are looked up only when the command word may name one of their groups: reading
    every installed package's metadata and importing the lab costs more than the whole start-up of
    ``--version``, ``list`` or ``dry-run``. Top-level help lists ``lab`` with a short line instead.
    """
    from otcctl.cli.domain import calendar_app, ofd_app

    groups: dict[str, typer.Typer] = {"calendar": calendar_app, "ofd": ofd_app}
    word = _command_word(sys.argv[1:] if argv is None else argv)
    builtin = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    if word is None:
        groups["lab"] = _lab_listed
    elif word not in builtin and word not in groups:
        from importlib.metadata import entry_points

        for point in entry_points(group="otcctl.commands"):
            try:
                loaded = point.load()
            except ImportError:
                continue
            if isinstance(loaded, typer.Typer):
                groups.setdefault(point.name, loaded)
        groups.setdefault("lab", _lab_missing)
    for name, sub in groups.items():
        if not any(g.name == name for g in app.registered_groups):
            app.add_typer(sub, name=name)


def _command_word(args: list[str]) -> str | None:
    """The sub-command named on the command line (the first word that is not an option), if any."""
    return next((arg for arg in args if not arg.startswith("-")), None)


_lab_listed = typer.Typer(name="lab", help="The rehearsal estate on loopback (otcctl lab --help).")


_lab_missing = typer.Typer(
    name="lab", help="The rehearsal lab on loopback (not installed here: pip install 'otcctl[lab]').",
)


@_lab_missing.callback(invoke_without_command=True, context_settings={"ignore_unknown_options": True,
                                                                        "allow_extra_args": True})
def _lab_not_installed() -> None:
    """The lab package is not installed: say how to get it."""
    raise OtcctlError(
        "the rehearsal lab is not installed with this otcctl: install it with "
        "pip install 'otcctl[lab]' (or pip install -e '.[lab]' in a checkout)"
    )
