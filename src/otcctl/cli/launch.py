"""The console entry point (``otcctl``, ``python -m otcctl``): the process around :func:`run_cli`.

Collection is held before the first heavy import and the process leaves without tearing the
interpreter down (:mod:`otcctl.process`); :func:`otcctl.cli.main.main` stays the in-process entry
that raises ``SystemExit``, for callers that live on after it.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

from otcctl.process import exit_now, hold_collection


def main() -> NoReturn:
    """Run otcctl with this process's arguments and exit with its code."""
    hold_collection()
    # otcctl uses no pydantic plugin, and none should watch an audited run's validation uninvited:
    # pydantic would otherwise read every installed package's metadata for plugins (a few ms on
    # every command). An operator who wants one sets the variable to name only the ones to skip.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from otcctl.cli.main import run_cli

    exit_now(run_cli(sys.argv[1:]))
