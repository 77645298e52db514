"""``powershell -EncodedCommand``: decode the script, parse it whole, then interpret it.

The language and cmdlets kept are listed in :mod:`psparse`, :mod:`cmdlets` and
:mod:`pipeline_cmdlets`. A script with a construct outside them does not run at all (PowerShell
too parses before it runs); a cmdlet, parameter, member or value met at run time that the
emulation does not know stops the script there. Either way: exit 1 and "not emulated: <what>"
on stderr, never a made-up answer. Errors go to stderr as CLIXML, as powershell.exe writes
them when its output is redirected (a progress record first, as on a real host); the exit code
is ``exit N``'s, or 1 when the last statement failed, as ``-Command`` reports it.
"""

from __future__ import annotations

import base64
import binascii
from xml.sax.saxutils import escape

from otcctl_lab.winrm_peer.pipeline_cmdlets import Interrupted
from otcctl_lab.winrm_peer.process import STATUS_CONTROL_C_EXIT, Invocation
from otcctl_lab.winrm_peer.programs import not_emulated
from otcctl_lab.winrm_peer.pseval import Interpreter
from otcctl_lab.winrm_peer.psparse import parse_script
from otcctl_lab.winrm_peer.pssession import PSFailure, Session
from otcctl_lab.winrm_peer.psvalues import NotEmulated

_FLAGS = {"-noprofile", "-nonprofile", "-noninteractive", "-nologo"}
_VALUED = {"-executionpolicy", "-inputformat", "-outputformat"}
_ENCODED = {"-encodedcommand", "-enc", "-ec", "-e"}
_PROGRESS = (
    '<Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T>'
    '<T>System.Object</T></TN><MS><I64 N="SourceId">1</I64><PR N="Record"><AV>正在准备首次使用模块。</AV>'
    "<AI>0</AI><Nil /><PI>-1</PI><PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR></MS></Obj>"
)


def script_from_args(args: list[str]) -> str:
    """The script powershell.exe would run; :class:`NotEmulated` for options it does not know."""
    words = iter(args)
    for word in words:
        option = word.lower()
        if option in _FLAGS:
            continue
        if option in _VALUED:
            next(words, None)
        elif option in _ENCODED:
            try:
                return base64.b64decode(next(words, ""), validate=True).decode("utf-16-le")
            except (binascii.Error, UnicodeDecodeError):
                raise NotEmulated("an -EncodedCommand that is not base64 of UTF-16LE text") from None
        elif option in ("-command", "-c"):
            return " ".join(words)
        else:
            raise NotEmulated(f"powershell option {word}")
    raise NotEmulated("powershell without -EncodedCommand or -Command (an interactive shell)")


def run(args: list[str], inv: Invocation) -> int:
    """Run powershell.exe with these arguments; returns its exit code."""
    try:
        script = script_from_args(args)
    except NotEmulated as exc:
        return not_emulated(inv, str(exc))
    session = Session(inv, script)
    code = 1
    try:
        code = Interpreter(session).run(parse_script(script))
    except NotEmulated as exc:
        session.errors.append(f"not emulated: {exc}\n")
    except PSFailure as exc:
        session.errors.append(exc.record)
    except Interrupted:
        code = STATUS_CONTROL_C_EXIT
    inv.cmd.err(clixml(session.errors))
    return code


def clixml(errors: list[str]) -> str:
    """The error stream as powershell.exe writes it to a redirected stderr."""
    body = "".join(
        f'<S S="Error">{_clixml_escape(line)}</S>'
        for record in errors for line in record.splitlines(keepends=True)
    )
    return f'#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">{_PROGRESS}{body}</Objs>'


def _clixml_escape(line: str) -> str:
    text = escape(line.replace("_x", "_x005F_x"))
    return text.replace("\r", "_x000D_").replace("\n", "_x000D__x000A_")
