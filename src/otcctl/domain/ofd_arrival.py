"""Has an OFD file arrived? A file still being written is not judged yet.

The sender's transfer can be mid-way when a runbook step looks; judging a half-copied file
would raise a false alarm (and a wrong "record count" verdict). So the file must hold still
for ``stable_seconds`` before it is read, and an empty or missing file is "not arrived", a
verdict distinct from valid and invalid. Waiting until a deadline is the caller's job
(a gate polls this); the sleep is passed in so tests run instantly.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path

from otcctl.domain.ofd import OfdReport, check_ofd_file
from otcctl.domain.ofd_dictionary import OfdDictionary


class OfdArrival(StrEnum):
    """Where a file stands; only VALID and INVALID come with a report."""

    NOT_ARRIVED = "not arrived"
    GROWING = "still growing"
    VALID = "valid"
    INVALID = "invalid"


@dataclass(frozen=True)
class OfdVerdict:
    """The arrival state of one file and, once it held still, the checker's report."""

    path: Path
    status: OfdArrival
    size: int
    report: OfdReport | None = None

    @property
    def judged(self) -> bool:
        return self.report is not None

    @property
    def ok(self) -> bool:
        return self.status is OfdArrival.VALID

    def __str__(self) -> str:
        if self.report is None:
            return f"{self.path.name}: {self.status} ({self.size} bytes)"
        if self.report.ok:
            return f"{self.path.name}: valid, {self.report.records_found} records"
        lines = [f"{self.path.name}: invalid"]
        lines.extend(f"  {problem}" for problem in self.report.problems)
        return "\n".join(lines)


def _look(path: Path) -> tuple[int, int] | None:
    """(size, mtime in ns), or None when the file is not there."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_size, info.st_mtime_ns


def judge_ofd_arrival(
    path: str | os.PathLike[str],
    *,
    expected_date: str | date | None = None,
    stable_seconds: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
    dictionary: OfdDictionary | None = None,
) -> OfdVerdict:
    """Look twice, ``stable_seconds`` apart; check the file only if it was there and held still.

    Size and modification time must both match: a writer that preallocates or rewrites in
    place keeps the size but moves the time.
    """
    target = Path(path)
    first = _look(target)
    if first is None or first[0] == 0:
        return OfdVerdict(target, OfdArrival.NOT_ARRIVED, 0)
    sleep(stable_seconds)
    second = _look(target)
    if second is None or second[0] == 0:
        return OfdVerdict(target, OfdArrival.NOT_ARRIVED, 0)
    if second != first:
        return OfdVerdict(target, OfdArrival.GROWING, second[0])
    report = check_ofd_file(target, expected_date=expected_date, dictionary=dictionary)
    status = OfdArrival.VALID if report.ok else OfdArrival.INVALID
    return OfdVerdict(target, status, second[0], report)
