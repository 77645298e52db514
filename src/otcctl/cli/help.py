"""Help pages in the operator's language: usage, the whole description, arguments, options, examples.

Click's own page cuts command descriptions with "...", shows Python types as metavars and measures
Chinese by characters, not terminal cells. Every command and group of otcctl (the lab's too, mounted
through an entry point) is given this page the first time its group hands it out, so help is
written here, once: metavars in capitals with choices (``--format [text|md|html|pdf]``), every help
text through the catalog, and the examples of the command's epilog (lines ``otcctl ...  # comment``).
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable
from typing import Any

from typer.core import TyperCommand, TyperGroup

from otcctl.cli.plugins import PluginGroup
from otcctl.i18n import _


def examples(epilog: str | None) -> list[tuple[str, str]]:
    """The epilog's example lines as (command, comment)."""
    rows: list[tuple[str, str]] = []
    for line in (epilog or "").splitlines():
        command, _sep, comment = line.partition("  # ")
        if command.strip():
            rows.append((command.strip(), comment.strip()))
    return rows


def metavar(param: Any) -> str:
    """What the operator types for a parameter: KEY=VALUE, DATE, [text|md|html|pdf]."""
    if param.metavar:
        return str(param.metavar)
    descriptor = getattr(param, "type_descriptor", None)
    choices = getattr(descriptor, "choices", None) if getattr(descriptor, "is_choice", False) else None
    if choices:
        return "[" + "|".join(str(getattr(c, "value", c)) for c in choices) + "]"
    return str(param.name or "").upper()


def describe(command: Any) -> str:
    """A command's description in the chosen language (its whole help text)."""
    return _((command.help or "").strip())


def summary(command: Any) -> str:
    """The first paragraph of the description, whole (never cut with '...')."""
    text = _((command.short_help or command.help or "").strip())
    return " ".join(text.split("\n\n")[0].split())


def usage_line(command: Any, ctx: Any) -> str:
    pieces = [ctx.command_path]
    if any(getattr(p, "param_type_name", "") == "option" for p in command.get_params(ctx)):
        pieces.append(_("[OPTIONS]"))
    for param in command.get_params(ctx):
        if getattr(param, "param_type_name", "") != "argument":
            continue
        shown = metavar(param) + ("..." if param.nargs != 1 else "")
        pieces.append(shown if param.required else f"[{shown}]")
    if isinstance(command, TyperGroup):
        pieces.append(_("COMMAND [ARGS]...") if command.subcommand_metavar == "COMMAND [ARGS]..."
                      else command.subcommand_metavar)
    return " ".join(pieces)


def render_help(command: Any, ctx: Any) -> str:
    """The whole help page as text, laid out by rich (CJK text is two cells wide)."""
    from io import StringIO

    from rich.console import Console
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    width = min(_terminal_width(), 100)
    out = StringIO()
    console = Console(file=out, width=width, color_system=None, highlight=False, markup=False, emoji=False,
                      legacy_windows=False, soft_wrap=False)

    def section(title: str, rows: list[tuple[str, str]]) -> None:
        if not rows:
            return
        console.print()
        console.print(title)
        grid = Table.grid(padding=(0, 2), expand=False)
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        left = max(len(r[0]) for r in rows)
        for name, text in rows:
            if left > 30:
                grid.add_row(Text("  " + name), Text(""))
                grid.add_row(Text(""), Text(text))
            else:
                grid.add_row(Text("  " + name), Text(text))
        console.print(grid)

    console.print(Text(_("Usage:") + " " + usage_line(command, ctx)))
    description = describe(command)
    if description:
        console.print()
        for number, paragraph in enumerate(description.split("\n\n")):
            if number:
                console.print()
            console.print(Padding(Text(" ".join(paragraph.split())), (0, 0, 0, 2)))
    arguments: list[tuple[str, str]] = []
    options: list[tuple[str, str]] = []
    for param in command.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        help_text = _((getattr(param, "help", None) or "").strip())
        if getattr(param, "param_type_name", "") == "argument":
            extra = "" if param.required else "  " + _("(optional)")
            arguments.append((metavar(param), help_text + extra))
            continue
        names = ", ".join(sorted([*param.opts, *param.secondary_opts], key=lambda o: (o.startswith("--"), o)))
        if not getattr(param, "is_flag", False) and not getattr(param, "count", False):
            names += " " + metavar(param)
        if param.required:
            help_text += "  " + _("[required]")
        options.append((names, help_text))
    section(_("Arguments:"), arguments)
    section(_("Options:"), options)
    if isinstance(command, TyperGroup):
        rows = []
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                rows.append((name, summary(sub)))
        section(_("Commands:"), rows)
    shown = [(cmd, _(comment)) for cmd, comment in examples(command.epilog)]
    if shown:
        console.print()
        console.print(_("Examples:"))
        for cmd, comment in shown:
            console.print(Text("  " + cmd), overflow="fold")
            if comment:
                console.print(Text("      " + comment))
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines()) + "\n"


def _terminal_width() -> int:
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size().columns
    except OSError:
        return 80


def localised(command: Any) -> Any:
    """The same command object, now writing otcctl's help page (a group hands out its sub-commands so too)."""
    if command is None or getattr(command, "_otcctl_help", False):
        return command
    if not isinstance(command, TyperCommand | TyperGroup):
        return command
    target: Any = command
    target.format_help = types.MethodType(_format_help, command)
    if isinstance(command, TyperGroup):
        target.get_command = types.MethodType(_get_command(command.get_command), command)
    target._otcctl_help = True
    return command


def _format_help(self: Any, ctx: Any, formatter: Any) -> None:
    formatter.write(render_help(self, ctx))


def _get_command(original: Callable[[Any, str], Any]) -> Callable[[Any, Any, str], Any]:
    def get_command(self: Any, ctx: Any, cmd_name: str) -> Any:
        return localised(original(ctx, cmd_name))

    return get_command


class OtcctlGroup(PluginGroup):
    """The root group: plugins mounted on first use; its own help page and its sub-commands' are otcctl's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        localised(self)
