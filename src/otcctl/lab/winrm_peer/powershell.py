"""``powershell -EncodedCommand``: decode the script and interpret a small, explicit PowerShell.

Statements split on ``;`` and new lines; each is a pipeline of the cmdlets in
:mod:`otcctl.lab.winrm_peer.cmdlets`, ``(pipeline).Property``, ``exit N`` or a preference
assignment. Errors go to stderr as CLIXML, as powershell.exe writes them when its output is
redirected (a progress record first, as on a real host); the exit code is 1 when the last
statement failed, as ``-Command`` reports it. Anything else stops the script with exit 1 and
"not emulated: <statement>".
"""

from __future__ import annotations

import base64
import binascii
import re
from xml.sax.saxutils import escape

from otcctl.lab.winrm_peer import cmdlets
from otcctl.lab.winrm_peer.cmdlets import PSFailure, Session
from otcctl.lab.winrm_peer.process import Invocation
from otcctl.lab.winrm_peer.programs import not_emulated
from otcctl.lab.winrm_peer.psvalues import NotEmulated, PSValue, format_values, prop

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
    session = Session(inv)
    code = 1
    try:
        code = run_script(script, session)
    except NotEmulated as exc:
        session.errors.append(f"not emulated: {exc}\n")
    except PSFailure as exc:
        session.errors.append(exc.record)
    inv.cmd.err(clixml(session.errors))
    return code


def run_script(script: str, session: Session) -> int:
    """Statements in order; the exit code of ``exit N`` or of the last statement's success."""
    ok = True
    for line_no, statement in split_top(script, "\n;"):
        if not statement or statement.startswith("#"):
            continue
        session.position = (line_no, statement)
        exit_match = re.fullmatch(r"exit(?:\s+(-?\d+))?", statement, re.I)
        if exit_match:
            return int(exit_match.group(1) or (0 if ok else 1))
        before = len(session.errors)
        run_statement(statement, session)
        ok = len(session.errors) == before
    return 0 if ok else 1


def run_statement(statement: str, session: Session) -> None:
    """One statement: a preference, ``(pipeline).Property`` or a pipeline; its output is printed."""
    assign = re.fullmatch(r"\$(ErrorActionPreference|ProgressPreference)\s*=\s*['\"](\w+)['\"]", statement, re.I)
    if assign:
        if assign.group(1).lower() == "erroractionpreference":
            session.stop_on_error = assign.group(2).lower() == "stop"
        return
    member = re.fullmatch(r"\((.*)\)\.(\w+)", statement, re.S)
    if member:
        values = run_pipeline(member.group(1), session)
        name = member.group(2)
        result: list[PSValue] = [len(values)] if name.lower() == "count" else [prop(v, name) for v in values]
        session.inv.cmd.out(format_values(result))
        return
    values = run_pipeline(statement, session)
    session.inv.cmd.out(format_values(values))


def run_pipeline(text: str, session: Session) -> list[PSValue]:
    """Each stage's output is the next stage's input."""
    values: list[PSValue] = []
    for index, (_, stage) in enumerate(split_top(text, "|")):
        words = split_words(stage)
        if not words:
            raise NotEmulated(text)
        values = cmdlets.invoke(words[0], words[1:], values if index else None, session)
    return values


def split_top(text: str, separators: str) -> list[tuple[int, str]]:
    """Split at separators outside quotes, braces and parentheses; (line number, stripped part)."""
    parts: list[tuple[int, str]] = []
    depth, quote, start, line, start_line = 0, "", 0, 1, 1
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        elif char in separators and depth == 0:
            parts.append((start_line, text[start:index].strip()))
            start, start_line = index + 1, line + (char == "\n")
        line += char == "\n"
    parts.append((start_line, text[start:].strip()))
    return parts


def split_words(stage: str) -> list[str]:
    """A command's words: quoted strings unquoted, ``{...}`` and ``(...)`` kept whole."""
    words: list[str] = []
    for index, text in split_top(stage.replace("\t", " "), " "):
        del index
        if text:
            words.append(text[1:-1] if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"" else text)
    return words


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
