"""``otcctl list``: one line per runbook (name, title, cadence, steps, version).

Apart from the plan views so that listing loads the runbook schema only: no inventory model,
no plan, no step machinery (about a third of ``list``'s start-up before).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from otcctl.i18n import _, is_chinese

if TYPE_CHECKING:
    from rich.console import Console

    from otcctl.model.load import LoadedRunbook

CADENCE_ZH = {
    "daily": "日操作",
    "weekly": "周操作",
    "monthly": "月操作",
    "quarterly": "季操作",
    "yearly": "年操作",
    "on-demand": "非日常",
}


def runbook_summary(loaded: LoadedRunbook) -> dict[str, Any]:
    """What ``otcctl list`` says of one runbook."""
    rb = loaded.runbook
    return {
        "name": rb.name,
        "title": rb.title,
        "cadence": rb.cadence,
        "cadence_zh": CADENCE_ZH[rb.cadence],
        "version": rb.version,
        "steps": len(rb.steps),
        "trading_day_only": rb.trading_day_only,
        "path": str(loaded.path),
    }


def print_list(console: Console, runbooks: list[LoadedRunbook]) -> None:
    """The runbook table."""
    from otcctl.output.console import keep_whole, make_table

    table = make_table(console, _("name"), _("title"), _("cadence"), _("steps"), _("version"))
    names = []
    for loaded in runbooks:
        row = runbook_summary(loaded)
        names.append(row["name"])
        cadence = row["cadence_zh"] if is_chinese() else f"{row['cadence_zh']} {row['cadence']}"
        table.add_row(row["name"], row["title"], cadence, str(row["steps"]), row["version"])
    keep_whole(table, 0, names)
    console.print(table)
