"""What the engine tells its listeners. Frozen data; renderers decide how it looks.

The engine never imports rich and never prints: a terminal renderer, a plain-text renderer
and a JSON renderer all listen to the same events. The journal is not a listener: the
engine writes it itself, so a renderer that fails can never lose a record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from otcctl.run.records import EXCEPTION_OUTCOMES, Answered, Outcome, RunOutcome
from otcctl.steps.base import TargetResult

__all__ = ["EXCEPTION_OUTCOMES", "Event", "Listener", "Outcome", "RunResult", "StepResult"]


@dataclass(frozen=True)
class StepResult:
    """A step's end: outcome, per-host results, the reason and any confirmation."""

    step_id: str
    no: str
    outcome: Outcome
    reason: str
    targets: tuple[TargetResult, ...] = ()
    attempts: int = 1
    duration: float = 0.0
    confirmation: Answered | None = None

    @property
    def failed(self) -> bool:
        """True when the step did not pass and was not skipped on purpose."""
        return self.outcome in ("failed", "aborted", "unknown")


@dataclass(frozen=True)
class RunResult:
    """A run's end."""

    run_id: str
    journal: str
    outcome: RunOutcome
    steps: tuple[StepResult, ...]

    @property
    def failed(self) -> bool:
        """True unless every step passed: a waived or skipped step is an exception, not a pass."""
        return self.outcome != "passed"

    @property
    def exceptions(self) -> tuple[StepResult, ...]:
        """Steps that did not simply pass: what the last sign-off and the record must show."""
        return tuple(s for s in self.steps if s.outcome in EXCEPTION_OUTCOMES)


@dataclass(frozen=True)
class Event:
    """One thing that happened: ``kind`` names it, ``data`` carries it (already masked)."""

    kind: Literal[
        "run-started",
        "step-started",
        "step-progress",
        "step-finished",
        "confirm-asked",
        "confirm-answered",
        "run-finished",
        "note",
    ]
    data: dict[str, Any]


class Listener(Protocol):
    """Anything that wants to know what the engine is doing."""

    def on_event(self, event: Event) -> None:
        """Called in order, from the engine's thread."""
        ...
