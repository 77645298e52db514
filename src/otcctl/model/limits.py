"""Limits of the Windows hosts that a runbook can break without knowing: checked before any run.

cmd.exe refuses a command line longer than 8191 characters ("The command line is too long."),
and a PowerShell step travels as ``powershell ... -EncodedCommand`` with the script in base64 of
UTF-16LE, so a script of about 3,000 characters already fills that line. ``otcctl validate``
warns for each WinRM step whose planned line would pass the limit; the connector refuses to
send one. ``{{placeholders}}`` count as :data:`PLACEHOLDER_LENGTH` characters each (their values
are not known before the run).
"""

from __future__ import annotations

import math
import re
from typing import Any

from otcctl.errors import Problem
from otcctl.model import schema as s
from otcctl.model.inventory import Inventory
from otcctl.model.yamlsource import SourceMap

CMD_LINE_LIMIT = 8191
POWERSHELL_PREFIX = "powershell -NoProfile -NonInteractive -EncodedCommand "
PLACEHOLDER_LENGTH = 10
_PLACEHOLDER = re.compile(r"\{\{[^}]*\}\}")


def windows_line_length(command: str, shell: str) -> int:
    """Characters of the cmd.exe line that runs ``command`` in ``shell`` ("cmd" or "powershell")."""
    text = _PLACEHOLDER.sub("X" * PLACEHOLDER_LENGTH, command)
    if shell != "powershell":
        return len(text)
    return len(POWERSHELL_PREFIX) + 4 * math.ceil(len(text.encode("utf-16-le")) / 3)


def line_limit_warnings(steps: list[tuple[tuple[str | int, ...], Any]], inventory: Inventory,
                        source: SourceMap) -> list[Problem]:
    """A warning for every WinRM step on a Windows host whose line would exceed cmd.exe's limit."""
    warnings: list[Problem] = []
    groups = inventory.groups()
    for loc, step in steps:
        if not isinstance(step, s.WinrmStep):
            continue
        hosts = {h for name in step.targets for h in (groups.get(name) or ([name] if name != "all" else
                                                                           list(inventory.hosts)))}
        if not any(inventory.hosts[h].os == "windows" for h in hosts if h in inventory.hosts):
            continue
        length = windows_line_length(step.command, step.shell)
        if length > CMD_LINE_LIMIT:
            how = ("encoded for powershell -EncodedCommand it needs" if step.shell == "powershell"
                   else "the command line has")
            warnings.append(source.problem(
                (*loc, "command"),
                f"step {step.id}: {how} about {length} characters, more than cmd.exe's {CMD_LINE_LIMIT}; "
                "Windows will refuse it ('The command line is too long'): split it into several steps"
                + (" (a PowerShell script of about 3,000 characters is the most one line carries)"
                   if step.shell == "powershell" else ""),
            ))
    return warnings
