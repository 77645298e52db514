"""Who decides when a step needs a person: the terminal, a pre-approval, a script (tests).

Every answer is returned with how it was obtained, so the journal can tell an operator's
typed "yes" from ``--assume-yes`` pre-approval.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from otcctl.errors import OtcctlError

Answer = Literal["yes", "no", "skip", "abort", "retry", "rerun", "done"]
How = Literal["terminal", "assume-yes", "scripted", "option"]
Purpose = Literal["confirm", "failure", "rollback", "in-flight", "disruptive"]


class NeedsOperator(OtcctlError):
    """A step needs a person and there is none to ask (no terminal, no pre-approval)."""


@dataclass(frozen=True)
class ConfirmRequest:
    """What the person is asked, with the evidence to decide on."""

    purpose: Purpose
    step_id: str
    no: str
    action: str
    question: str
    choices: tuple[Answer, ...]
    judge: str | None = None
    verdict: str | None = None
    evidence: tuple[dict[str, Any], ...] = ()
    extra: dict[str, str] = field(default_factory=dict)


class Confirmer(Protocol):
    """Asks and answers."""

    def ask(self, request: ConfirmRequest) -> tuple[Answer, str, How]:
        """The answer, an optional comment, and how it was obtained."""
        ...


class RefusingConfirmer:
    """No terminal and no pre-approval: stop with a clear message rather than guess."""

    def ask(self, request: ConfirmRequest) -> tuple[Answer, str, How]:
        """Always refuses."""
        raise NeedsOperator(
            f"step {request.no} ({request.step_id}) needs an operator's decision ({request.question}) and there "
            "is no terminal on standard input to ask. Run otcctl from a terminal, or pre-approve confirmations "
            "with --assume-yes (recorded in the journal as your approval); then `otcctl resume` this run."
        )


class AssumeYesConfirmer:
    """``--assume-yes``: confirmations and rollbacks are pre-approved; failures are not waved through.

    A disruptive step against production is never pre-approved: it goes to ``live`` (the
    terminal), and with no terminal the run stops (preflight refuses such a run before it starts).
    """

    def __init__(self, live: Confirmer | None = None) -> None:
        self.live = live

    def ask(self, request: ConfirmRequest) -> tuple[Answer, str, How]:
        """Yes to confirm and rollback; stop on failure; in-flight steps need --in-flight."""
        if request.purpose == "disruptive":
            if self.live is None:
                raise NeedsOperator(
                    f"step {request.no} ({request.step_id}) is disruptive and runs against production: it is "
                    "confirmed live at a terminal, never by --assume-yes, and there is no terminal to ask."
                )
            return self.live.ask(request)
        if request.purpose in ("confirm", "rollback"):
            return "yes", "pre-approved with --assume-yes", "assume-yes"
        if request.purpose == "failure":
            return "no", "--assume-yes does not approve going on after a failure", "assume-yes"
        raise NeedsOperator(
            f"step {request.no} ({request.step_id}) was in flight when the run stopped; its outcome is unknown. "
            "Decide explicitly: resume with --in-flight rerun (run it again) or --in-flight done (record it as "
            "done by you), or from a terminal."
        )


class ScriptedConfirmer:
    """Answers from a list, in order (tests and rehearsals); records every request it saw."""

    def __init__(self, answers: list[Answer | tuple[Answer, str]]) -> None:
        self.answers = list(answers)
        self.asked: list[ConfirmRequest] = []

    def ask(self, request: ConfirmRequest) -> tuple[Answer, str, How]:
        """The next scripted answer; running out is an error in the script."""
        self.asked.append(request)
        if not self.answers:
            raise NeedsOperator(f"no scripted answer left for step {request.step_id} ({request.purpose})")
        item = self.answers.pop(0)
        answer, comment = item if isinstance(item, tuple) else (item, "")
        if answer not in request.choices:
            raise NeedsOperator(f"scripted answer {answer!r} is not one of {request.choices} for {request.step_id}")
        return answer, comment, "scripted"


class FixedInFlightConfirmer:
    """Wraps another confirmer; answers the in-flight question from ``--in-flight``."""

    def __init__(self, inner: Confirmer, decision: Literal["rerun", "done"]) -> None:
        self.inner = inner
        self.decision: Answer = decision

    def ask(self, request: ConfirmRequest) -> tuple[Answer, str, How]:
        """The option's answer for in-flight steps, the inner confirmer otherwise."""
        if request.purpose == "in-flight":
            return self.decision, f"--in-flight {self.decision}", "option"
        return self.inner.ask(request)


PromptFn = Callable[[ConfirmRequest], tuple[Answer, str]]


class TerminalConfirmer:
    """Asks the operator at the terminal through a prompt function supplied by the renderer."""

    def __init__(self, prompt: PromptFn) -> None:
        self.prompt = prompt

    def ask(self, request: ConfirmRequest) -> tuple[Answer, str, How]:
        """Shows the evidence and reads the answer."""
        answer, comment = self.prompt(request)
        return answer, comment, "terminal"


def who_answers(confirmer: Confirmer) -> tuple[bool, bool]:
    """(someone answers confirmations, someone answers live at a terminal) for this confirmer.

    Preflight refuses a run that would stop at a question nobody can answer: without a terminal
    and without --assume-yes, or a disruptive step against production without a live terminal.
    """
    if isinstance(confirmer, FixedInFlightConfirmer):
        return who_answers(confirmer.inner)
    if isinstance(confirmer, RefusingConfirmer):
        return False, False
    if isinstance(confirmer, AssumeYesConfirmer):
        return True, confirmer.live is not None
    return True, True  # a terminal, or a script standing in for a person (tests, rehearsals)
