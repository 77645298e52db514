"""Messages made elsewhere, shown in the operator's language.

The core raises errors in English with values inside ("no runbook named 'x' (known: a, b)"); Typer
writes its usage errors in English. A fixed message is looked up in the catalog as it is; a message
with values is matched against the patterns below and rebuilt from the catalog's template, so the
values (names, paths, dates) stay exactly as typed. A message that matches nothing is shown as it is.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from otcctl.errors import Problem
from otcctl.i18n import N_, _, is_chinese
from otcctl.output.domain_messages import DOMAIN_PATTERNS
from otcctl.output.input_messages import (
    HISTORY_PATTERNS,
    INPUT_PATTERNS,
    PYDANTIC_PATTERNS,
    RUN_PATTERNS,
    YAML_PATTERNS,
)

if TYPE_CHECKING:
    from otcctl.domain.ofd import OfdProblem

# (pattern of the English message, the template with the same named fields)
# Compiled on first use (re keeps them): only a Chinese session ever matches them.
_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"No such option: (?P<option>\S+?)(?: Did you mean (?P<maybe>\S+?)\?)?(?: \(Possible options: .*\))?",
     N_("no such option: {option}")),
    (r"Missing argument '(?P<name>[^']+)'\.?.*", N_("missing argument {name}")),
    (r"Missing option '(?P<name>[^']+)'\.?.*", N_("missing option {name}")),
    (r"Missing parameter: (?P<name>\S+)", N_("missing argument {name}")),
    (r"Option '(?P<name>[^']+)' requires an argument\.?", N_("option {name} needs a value")),
    (r"Got unexpected extra arguments? \((?P<words>.*)\)", N_("unexpected extra arguments: {words}")),
    (r"No such command '(?P<name>[^']+)'\.?", N_("no such command: {name}")),
    (r"Missing command\.?", N_("a command is missing")),
    (r"Invalid value for '?(?P<name>[^':]+)'?: (?P<detail>.*)", N_("invalid value for {name}: {detail}")),
    (r"'(?P<text>.*)' is not a date; write YYYYMMDD or YYYY-MM-DD",
     N_("'{text}' is not a date; write YYYYMMDD or YYYY-MM-DD")),
    (r"no runbook named '(?P<name>.*)' \(known: (?P<known>.*)\)", N_("no runbook named '{name}' (known: {known})")),
    (r"no such runbook folder \(given by (?P<where>\S+)\)", N_("no such runbook folder (given by {where})")),
    (r"cannot write (?P<what>.*?): (?P<detail>.*)", N_("cannot write {what}: {detail}")),
    (r"run (?P<run>\S+): (?P<what>.*) \((?P<env>\w+)\); journal (?P<journal>.*)",
     N_("run {run}: {what} ({env}); journal {journal}")),
    (r"run stopped: (?P<why>.*)", N_("run stopped: {why}")),
    (r"no run '(?P<run>.*)' \(see `otcctl runs`\)", N_("no run '{run}' (see `otcctl runs`)")),
    (r"'(?P<run>.*)' matches (?P<count>\d+) runs; give more of the id",
     N_("'{run}' matches {count} runs; give more of the id")),
    (r"'(?P<pair>.*)' is not NAME=VALUE", N_("'{pair}' is not NAME=VALUE")),
    (r"(?P<runbook>\S+) has no parameter '(?P<name>.*)' \(it has: (?P<declared>.*)\)",
     N_("{runbook} has no parameter '{name}' (it has: {declared})")),
    (r"(?P<day>\S+) is not a trading day \((?P<reason>.*)\); (?P<runbook>\S+) runs on trading days only\. "
     r"Use --date for another day, or --allow-non-trading-day \(recorded in the journal with your name\) to run "
     r"it anyway\.",
     N_("{day} is not a trading day ({reason}); {runbook} runs on trading days only. Use --date for another "
        "day, or --allow-non-trading-day (recorded in the journal with your name) to run it anyway.")),
    (r"(?P<runbook>\S+) is already running: run (?P<run>\S+) by (?P<who>.*) on (?P<machine>\S+) "
     r"\(pid (?P<pid>\S+)\) since (?P<since>.*)\. Only one run of a procedure at a time; wait for it or ask "
     r"that operator\.",
     N_("{runbook} is already running: run {run} by {who} on {machine} (pid {pid}) since {since}. Only one run "
        "of a procedure at a time; wait for it or ask that operator.")),
    (r"run (?P<run>\S+) already finished successfully; nothing to resume",
     N_("run {run} already finished successfully; nothing to resume")),
    # verdict reasons from the steps (composed per host, joined with "; ")
    (r"exit code (?P<code>-?\d+) \(expected (?P<wanted>.*)\)", N_("exit code {code} (expected {wanted})")),
    (r"output contains (?P<text>'.*'|\".*\")", N_("output contains {text}")),
    (r"output lacks (?P<text>'.*'|\".*\")", N_("output lacks {text}")),
    (r"matches /(?P<pattern>.*)/ at (?P<text>.*)", N_("matches /{pattern}/ at {text}")),
    (r"no match for /(?P<pattern>.*)/", N_("no match for /{pattern}/")),
    (r"no number found by /(?P<pattern>.*)/", N_("no number found by /{pattern}/")),
    (r"(?P<rule>.*) is true", N_("{rule}: holds")),
    (r"(?P<rule>.*) is false", N_("{rule}: does not hold")),
    (r"all open: (?P<ports>.*)", N_("all listening: {ports}")),
    (r"all closed: (?P<ports>.*)", N_("all closed: {ports}")),
    (r"all (?P<state>running|stopped): (?P<services>.*)", N_("all {state}: {services}")),
    (r"expected (?P<state>\w+): (?P<listing>.*)", N_("expected {state}: {listing}")),
    (r"not as expected: (?P<listing>.*)", N_("not as expected: {listing}")),
    (r"back after (?P<seconds>\d+)s", N_("back after {seconds}s")),
    (r"waited until (?P<time>\S+) Asia/Shanghai", N_("waited until {time} Asia/Shanghai")),
    (r"it is (?P<now>\S+) Asia/Shanghai, not before (?P<time>\S+)",
     N_("it is {now} Asia/Shanghai, not before {time}")),
    (r"failed \((?P<why>.*)\), accepted by the operator", N_("failed ({why}), accepted by the operator")),
    *YAML_PATTERNS,
    *INPUT_PATTERNS,
    *HISTORY_PATTERNS,
    *RUN_PATTERNS,
    *DOMAIN_PATTERNS,
    *PYDANTIC_PATTERNS,  # last: its "(got ...)" and its frame would swallow the messages above
)
# groups holding a message of their own, translated in turn (a frame's inside, a reason's why, a named part)
_NESTED = frozenset({"why", "detail", "problem", "context", "part"})
_SENTENCES = (  # fixed sentences the core writes into events, errors and the journal
    N_("no runbook folder found (give --runbooks DIR or OTCCTL_RUNBOOKS)"),
    N_("no inventory found (give --inventory FILE or OTCCTL_INVENTORY)"),
    N_("no such run journal"),
    N_("this journal has no run-started record; it cannot be resumed"),
    N_("confirmed by the operator"),
    N_("the operator said it was not done as described"),
    N_("skipped by the operator"),
    N_("aborted by the operator"),
    N_("pre-approved by the operator (--assume-yes)"),
    N_("recorded as done by the operator after the interruption"),
    N_("stopped before the remaining hosts"),
    N_("the query returned no rows"),
    N_("interrupted while waiting"),
    N_("interrupted while waiting for the host"),
    N_("done as described?"),
    N_("outcome unknown"),
    N_("aborted"),
)
_HOST_PART = re.compile(r"(?P<host>[A-Za-z][\w.-]{0,30}): (?P<rest>.+)", re.DOTALL)


def translate_reason(reason: str) -> str:
    """A verdict reason (``M3: output contains 'RUNNING'; M4: ...``) in the chosen language, part by part."""
    if not is_chinese():
        return reason
    parts = []
    for part in reason.split("; "):
        whole = translate(part)
        host = _HOST_PART.fullmatch(part)
        if whole == part and host is not None:
            whole = f"{host.group('host')}: {translate(host.group('rest'))}"
        parts.append(whole)
    return "；".join(parts)


def translate(message: str) -> str:
    """The message in the chosen language: from the catalog, by pattern, or as it is."""
    if not is_chinese():
        return message
    exact = _(message)
    if exact != message:
        return exact
    for pattern, template in _PATTERNS:
        match = re.fullmatch(pattern, message.strip(), re.DOTALL)
        if match:
            values = {k: translate(v) if k in _NESTED and v else (v or "")
                      for k, v in match.groupdict().items()}
            return _(template).format(**values)
    return message


def translate_usage(message: str) -> str:
    """A usage error from the command-line parser, in the chosen language."""
    return translate(message)


def describe_problem(problem: Problem) -> str:
    """``file, line N, field 'x': message``, every part in the chosen language."""
    where = problem.file
    if problem.line is not None:
        where += _(", line {line}").format(line=problem.line)
    if problem.field:
        where += _(", field '{field}'").format(field=problem.field)
    return f"{where}: {translate(problem.message)}"


def describe_ofd_problem(problem: OfdProblem) -> str:
    """``line N, field X, byte B: message`` of ``otcctl ofd check``, every part in the chosen language."""
    if not is_chinese():
        return str(problem)
    where = _("file name") if problem.line == 0 else _("line {line}").format(line=problem.line)
    if problem.field is not None:
        where += _(", field {field}").format(field=problem.field)
    if problem.offset is not None:
        where += _(", byte {offset}").format(offset=problem.offset)
    return f"{where}: {translate(problem.message)}"
