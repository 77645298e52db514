"""The engine's questions and how answers become outcomes: one table per purpose.

A failure the operator goes on from is *waived* (with the reason), never passed; a
disruptive step against production is asked live and "no" means nothing is sent.
"""

from __future__ import annotations

from otcctl.plan.steps import PlannedStep
from otcctl.run.confirm import Answer, ConfirmRequest, Purpose
from otcctl.run.events import StepResult
from otcctl.run.records import Answered, Outcome
from otcctl.steps.base import TargetResult


def question_for(purpose: Purpose, kind: str) -> str:
    """What the operator is asked, in words."""
    return {
        "confirm": "Is the result as the 结果判断 says?",
        "failure": "Sending failed: tell the departments by phone, then answer yes (recorded); or retry, no "
        "(stop), skip, abort?"
        if kind == "notify"
        else "The step failed. Retry, go on anyway (yes), stop (no), skip it, or abort?",
        "rollback": "Run the rollback steps now?",
        "in-flight": "This step was running when the run stopped; its outcome is unknown. Run it again, or "
        "record it as done by you?",
        "disruptive": "This step disrupts the production estate (hosts and commands above). Do it now?",
    }[purpose]


FAILURE_ANSWERS: dict[str, Outcome] = {"yes": "waived", "skip": "skipped", "abort": "aborted"}
CHOICES: dict[str, tuple[Answer, ...]] = {
    "confirm": ("yes", "no", "skip", "abort"),
    "failure": ("retry", "yes", "no", "skip", "abort"),
    "rollback": ("yes", "no"),
    "in-flight": ("rerun", "done", "abort"),
    "disruptive": ("yes", "no"),
}


class NotConfirmed(Exception):
    """The operator said no to a disruptive step: it is not done, and the run stops."""

    def __init__(self, confirmation: Answered) -> None:
        super().__init__("not confirmed")
        self.confirmation = confirmation


def person_outcome(answer: Answer) -> tuple[Outcome, str]:
    return {
        "yes": ("passed", "confirmed by the operator"),
        "no": ("failed", "the operator said it was not done as described"),
        "skip": ("skipped", "skipped by the operator"),
    }.get(answer, ("aborted", "aborted by the operator"))  # type: ignore[return-value]


def confirmed_outcome(answer: Answer, reason: str) -> tuple[Outcome, str]:
    if answer == "yes":
        return "passed", f"{reason}; confirmed by the operator"
    if answer == "skip":
        return "skipped", f"{reason}; skipped by the operator"
    if answer == "abort":
        return "aborted", f"{reason}; aborted by the operator"
    return "failed", f"{reason}; the operator judged it not as expected"




def disruption(planned: PlannedStep) -> str:
    """What the operator is asked to let happen at a disruptive step: the hosts and the exact commands."""
    doing = [
        f"{t.host_id}: {t.command or '; '.join(x.control_command or x.status_command for x in t.services)}"
        for t in planned.targets
    ]
    return f"DISRUPTIVE, PRODUCTION: {planned.text.get('action', planned.id)} on {planned.host_column}" + (
        f" ({'; '.join(doing)})" if doing else ""
    )


def exceptions_so_far(results: list[StepResult]) -> dict[str, str]:
    """Every step so far that did not simply pass, for a person about to sign off."""
    listed = [f"{r.no} {r.step_id}: {r.outcome} ({r.reason})" for r in results if r.outcome != "passed"]
    return {"exceptions so far / 此前异常": "; ".join(listed)} if listed else {}


def in_flight_verdict(unsure: list[str], finished: frozenset[str]) -> str:
    """What the journal says of a step in flight: where its command went, where it is done."""
    sent = f"command sent to {', '.join(unsure)} (outcome unknown)" if unsure else "no command record (a person's step)"
    return sent + (f"; done on {', '.join(sorted(finished))}" if finished else "")


def confirm_request(
    planned: PlannedStep, purpose: Purpose, targets: tuple[TargetResult, ...], verdict: str,
    results: list[StepResult],
) -> ConfirmRequest:
    """The question put to a person, with the step's own words, what was found and the exceptions so far."""
    return ConfirmRequest(
        purpose,
        planned.id,
        planned.no,
        planned.text.get("action", ""),
        question_for(purpose, planned.kind),
        CHOICES[purpose],
        planned.text.get("judge"),
        verdict,
        tuple(t.to_json() for t in targets),
        {
            **{k: v for k, v in planned.text.items() if k not in ("action", "judge")},
            **exceptions_so_far(results),
        },
    )
