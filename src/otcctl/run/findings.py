"""What ``otcctl doctor`` reports: one finding per check, for its own checks and the first-run ones."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One check: what, on what, whether it works, and the detail."""

    check: str
    target: str
    ok: bool
    detail: str
