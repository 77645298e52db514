"""Command groups that other packages offer (the lab is one), mounted only when they are used.

otcctl never imports such a package by name: it finds it through the ``otcctl.commands``
entry point group. Looking entry points up and importing the package costs start-up time, so
``--help`` lists each group from a short text kept here and the real group is loaded when its
name is typed. A group whose package is not installed answers with how to install it.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from otcctl.errors import OtcctlError
from otcctl.i18n import N_, _

ENTRY_POINT_GROUP = "otcctl.commands"
# name -> (the line --help shows, how to install the package that offers it)
PLUGINS: dict[str, tuple[str, str]] = {
    "lab": (
        N_("A rehearsal copy of the estate on loopback: real sshd for M1-M4, WinRM peers for M5/M6, "
        "a sqlplus stand-in, a mail sink, today's data files, and an inventory pointing at it."),
        "pip install 'otcctl[lab]' (or pip install -e '.[lab]' in a checkout)",
    ),
}


class PluginGroup(TyperGroup):
    """The top-level group: resolves a plugin's name to its real commands on first use."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] in PLUGINS:
            self.commands[args[0]] = load_plugin(args[0])
        return super().resolve_command(ctx, args)


def placeholders() -> dict[str, typer.Typer]:
    """One Typer per plugin carrying only its help line, for the command list."""
    return {name: typer.Typer(name=name, help=_(help_line), add_completion=False)
            for name, (help_line, _install) in PLUGINS.items()}


def load_plugin(name: str) -> Any:
    """The plugin's click group from its entry point, or a command that says how to install it."""
    from importlib.metadata import entry_points

    help_line, install = PLUGINS[name]
    for point in entry_points(group=ENTRY_POINT_GROUP, name=name):
        try:
            loaded = point.load()
        except ImportError:
            break
        if isinstance(loaded, typer.Typer):
            return typer.main.get_group(loaded)

    missing = typer.Typer(name=name, help=_(help_line), add_completion=False)

    @missing.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
    def not_installed(words: Annotated[list[str] | None, typer.Argument()] = None) -> None:
        raise OtcctlError(_("otcctl {name} is not installed with this otcctl: install it with {install}").format(
            name=name, install=install))

    return typer.main.get_command(missing)
