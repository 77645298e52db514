"""``otcctl runs``: the shared history as a person reads it, in the operator's language.

Separate from ``log_view`` so that listing runs does not import the run view and the audit.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.console import Console

from otcctl.i18n import _
from otcctl.output.labels import RUN_OUTCOMES, word
from otcctl.output.messages import translate
from otcctl.run.history import HistoryRow


def print_runs(console: Console, rows: Sequence[HistoryRow], matched: int | None = None) -> None:
    """The history as aligned columns (ids never cut); a journal with problems is flagged and explained below.

    Laid out by hand rather than as a rich table: the shared history holds thousands of runs.
    Ends by saying how many runs were left out and what was (and was not) checked.
    """
    heads = (_("run"), _("env"), _("trading date"), _("started (Asia/Shanghai)"), _("operators"), _("outcome"),
             _("steps"), _("exceptions"))
    notes: list[str] = []
    lines: list[tuple[str, ...]] = [heads]
    for row in rows:
        s = row.summary
        outcome = word(RUN_OUTCOMES, s.outcome)
        if s.in_flight:
            outcome += " " + _("(in flight: {step})").format(step=s.in_flight)
        if row.problems:
            outcome += " (!)"
            notes.extend(row.problems)
        lines.append(
            (
                s.run_id,
                s.environment or "?",
                s.trading_date or "",
                (s.started_shanghai or "")[:19].replace("T", " "),
                "; ".join(s.operators),
                outcome,
                f"{s.steps_finished}/{s.steps_total if s.steps_total is not None else '?'}",
                str(len(s.exceptions)) if s.exceptions else "",
            )
        )
    widths = [max(cell_len(line[i]) for line in lines) for i in range(len(heads))]
    out = "\n".join(
        "  ".join(c + " " * (w - cell_len(c)) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )
    console.file.write(out + "\n")
    for note in notes:
        console.print(_("warning: {note}").format(note=translate(note)), markup=False, soft_wrap=True)
    if matched is not None and matched > len(rows):
        console.print(_("{shown} of {matched} runs shown, newest first (--limit N or --all for more).").format(
            shown=len(rows), matched=matched), markup=False, soft_wrap=True)
    if rows:
        console.print(_("Checked here: each listed journal's size and last record against the ledger. Not checked: "
                        "the records before it (run `otcctl verify` to walk every hash chain)."),
                      markup=False, soft_wrap=True)
