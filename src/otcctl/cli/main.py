"""Entry point: mount every command group, run, and turn errors into one paragraph and an exit code."""

from __future__ import annotations

import os
import sys

import typer

from otcctl.cli import audit as _audit_commands  # noqa: F401 - registers verify, report, approve
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


def _mount_subcommands() -> None:
    """Add the command groups: the domain ones from this package, the rest from entry points.

    The lab lives in its own package (``otcctl_lab``) that otcctl never imports by name: it
    offers its commands under the ``otcctl.commands`` entry point group. Where it is not
    installed, ``otcctl lab`` still answers, with how to install it.
    """
    from importlib.metadata import entry_points

    from otcctl.cli.domain import calendar_app, ofd_app

    groups: dict[str, typer.Typer] = {"calendar": calendar_app, "ofd": ofd_app}
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
