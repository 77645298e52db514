"""The run history: every journal in the state directory, summarised through the one replay.

One journal that cannot be read never hides the others: it is listed with what is wrong.
"""

from __future__ import annotations

from pathlib import Path

from otcctl.errors import OtcctlError
from otcctl.run.journal import list_runs, read_journal
from otcctl.run.replay import replay


def run_summary(path: Path) -> dict[str, object]:
    """One journal's summary, with the lines a reader could not use named."""
    try:
        reading = read_journal(path)
    except OtcctlError as exc:
        return {"run_id": path.stem, "journal": str(path), "outcome": "unreadable", "problems": [str(exc)]}
    summary = replay(reading.run_id, reading.entries).summary()
    summary["journal"] = str(path)
    summary["problems"] = [reading.describe(p) for p in reading.problems]
    return summary


def run_summaries(state: Path) -> list[dict[str, object]]:
    """Every run, newest first."""
    return [run_summary(path) for path in list_runs(state)]
