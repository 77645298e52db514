"""Messages made elsewhere, shown in the operator's language.

The core raises errors in English with values inside ("no runbook named 'x' (known: a, b)"); Typer
writes its usage errors in English. A fixed message is looked up in the catalog as it is; a message
with values is matched against the patterns below and rebuilt from the catalog's template, so the
values (names, paths, dates) stay exactly as typed. A message that matches nothing is shown as it is.
"""

from __future__ import annotations

import re

from otcctl.errors import Problem
from otcctl.i18n import N_, _, is_chinese

# (pattern of the English message, the template with the same named fields)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), template)
    for pattern, template in (
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
    )
)


def translate(message: str) -> str:
    """The message in the chosen language: from the catalog, by pattern, or as it is."""
    if not is_chinese():
        return message
    exact = _(message)
    if exact != message:
        return exact
    for pattern, template in _PATTERNS:
        match = pattern.fullmatch(message.strip())
        if match:
            values = {k: translate(v) if k in ("why", "detail") and v else (v or "")
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
