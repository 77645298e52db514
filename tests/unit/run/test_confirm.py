"""Who decides: the policy of each confirmer, as a table of (purpose -> answer or refusal)."""

from __future__ import annotations

import pytest

from otcctl.run.confirm import (
    Answer,
    AssumeYesConfirmer,
    ConfirmRequest,
    FixedInFlightConfirmer,
    NeedsOperator,
    Purpose,
    RefusingConfirmer,
    ScriptedConfirmer,
)

CHOICES: dict[Purpose, tuple[Answer, ...]] = {
    "confirm": ("yes", "no", "skip", "abort"),
    "failure": ("retry", "skip", "abort"),
    "rollback": ("yes", "no"),
    "in-flight": ("rerun", "done", "abort"),
}


def request(purpose: Purpose) -> ConfirmRequest:
    return ConfirmRequest(purpose, "stop-middleware", "2", "关闭所有中间件服务", "?", CHOICES[purpose])


@pytest.mark.parametrize(
    ("purpose", "answer"),
    [("confirm", "yes"), ("rollback", "yes"), ("failure", "no")],
)
def test_assume_yes_approves_confirmations_never_failures(purpose: Purpose, answer: Answer) -> None:
    got, comment, how = AssumeYesConfirmer().ask(request(purpose))
    assert (got, how) == (answer, "assume-yes") and "--assume-yes" in comment


def test_assume_yes_never_decides_an_in_flight_step() -> None:
    with pytest.raises(NeedsOperator, match="--in-flight rerun"):
        AssumeYesConfirmer().ask(request("in-flight"))


@pytest.mark.parametrize("purpose", list(CHOICES))
def test_no_terminal_refuses_every_question_and_says_what_to_do(purpose: Purpose) -> None:
    with pytest.raises(NeedsOperator, match="no terminal"):
        RefusingConfirmer().ask(request(purpose))


def test_in_flight_option_answers_only_in_flight_questions() -> None:
    inner = ScriptedConfirmer(["no"])
    fixed = FixedInFlightConfirmer(inner, "done")
    assert fixed.ask(request("in-flight")) == ("done", "--in-flight done", "option")
    assert fixed.ask(request("confirm"))[0] == "no"
    assert [r.purpose for r in inner.asked] == ["confirm"]


def test_scripted_answers_must_be_among_the_choices() -> None:
    with pytest.raises(NeedsOperator, match="not one of"):
        ScriptedConfirmer(["retry"]).ask(request("confirm"))
    with pytest.raises(NeedsOperator, match="no scripted answer left"):
        ScriptedConfirmer([]).ask(request("confirm"))
