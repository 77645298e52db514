"""cmd.exe as far as the runbooks need it: one program per command, chained with ``&``, ``&&``, ``||``.

Pipes, redirections, ``%VAR%`` expansion and ``^`` escapes are refused rather than half-done:
a command line the emulation cannot run exactly exits 1 with "not emulated: ..." on stderr.
``powershell ... -EncodedCommand`` hands the decoded script to the PowerShell emulation.
"""

from __future__ import annotations

import re

from otcctl_lab.winrm_peer.listing import dir_command
from otcctl_lab.winrm_peer.powershell import run as run_powershell
from otcctl_lab.winrm_peer.process import Invocation
from otcctl_lab.winrm_peer.programs import PROGRAMS, not_emulated

_CHAIN = re.compile(r"&&|\|\||&")


def split_chain(line: str) -> list[tuple[str, str]] | None:
    """``a && b & c`` -> [("", "a"), ("&&", "b"), ("&", "c")]; None when a pipe, redirection or escape is there."""
    parts: list[tuple[str, str]] = []
    operator, start, quoted, index = "", 0, False, 0
    while index < len(line):
        char = line[index]
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "&|":
            match = _CHAIN.match(line, index)
            if match is None:
                return None
            parts.append((operator, line[start:index].strip()))
            operator, start, index = match.group(), match.end(), match.end()
            continue
        elif not quoted and char in "<>^":
            return None
        index += 1
    parts.append((operator, line[start:].strip()))
    return parts


def tokenize(text: str) -> list[str]:
    """Words of a command, double quotes grouping (and dropped), as cmd passes them to a program."""
    return [m.group(1) if m.group(1) is not None else m.group(2) for m in re.finditer(r'"([^"]*)"|(\S+)', text)]


def run_line(line: str, inv: Invocation) -> int:
    """Run one command line; its exit code is the last program's, as cmd /c reports it."""
    if re.search(r"%[^%\s]+%", line):
        return not_emulated(inv, f"{line} (environment variables are not expanded)")
    chain = split_chain(line)
    if chain is None or any(not text for _, text in chain):
        return not_emulated(inv, f"{line} (pipes, redirection and escapes are not emulated)")
    code = 0
    for operator, text in chain:
        if (operator == "&&" and code != 0) or (operator == "||" and code == 0):
            continue
        code = run_simple(text, inv)
        if inv.cmd.cancel.is_set():
            break
    return code


def run_simple(text: str, inv: Invocation) -> int:
    """One program with its arguments."""
    words = tokenize(text)
    name = words[0].lower().removesuffix(".exe")
    if name == "echo":
        rest = text.split(None, 1)[1] if len(words) > 1 else ""
        inv.cmd.out((rest if rest else "ECHO 处于打开状态。") + "\n")
        return 0
    if name == "dir":
        return dir_command(inv, words[1:])
    if name == "powershell":
        return run_powershell(words[1:], inv)
    program = PROGRAMS.get(name)
    if program is None:
        return not_emulated(inv, text)
    return program(inv, words[1:])
