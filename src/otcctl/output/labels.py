"""Words for the codes the journal and events carry (outcomes, answers, purposes, kinds), per language.

The journal stores codes (``passed``, ``abort``, ``in-flight``); people read words (通过, 中止, 中断时在执行).
"""

from __future__ import annotations

from otcctl.i18n import N_, _

OUTCOMES = {
    "passed": N_("PASS"),
    "failed": N_("FAIL"),
    "skipped": N_("SKIP"),
    "aborted": N_("ABORT"),
    "unknown": N_("????"),
    "done-by-operator": N_("DONE"),
    "waived": N_("WAIVED"),
    "rolled-back": N_("ROLLED BACK"),
}
RUN_OUTCOMES = {
    "passed": N_("passed"),
    "passed-with-exceptions": N_("passed with exceptions"),
    "rolled-back": N_("rolled back"),
    "waived": N_("waived"),
    "failed": N_("failed"),
    "aborted": N_("aborted"),
    "interrupted": N_("interrupted"),
    "incomplete": N_("incomplete"),
    "skipped": N_("skipped"),
    "done-by-operator": N_("done by the operator"),
}
ANSWERS = {
    "yes": N_("yes"),
    "no": N_("no"),
    "skip": N_("skip"),
    "abort": N_("abort"),
    "retry": N_("retry"),
    "rerun": N_("rerun"),
    "done": N_("done"),
}
# What each answer does, said once per run before the first question that offers it.
ANSWER_MEANING = {
    ("confirm", "yes"): N_("the result is as the 结果判断 says: the step passes, the run goes on"),
    ("confirm", "no"): N_("it is not: the step fails and the runbook's on-failure rule applies"),
    ("confirm", "skip"): N_("leave this step out: recorded as skipped, the run goes on"),
    ("confirm", "abort"): N_("stop the whole run now; it can be continued later with otcctl resume"),
    ("failure", "retry"): N_("run the step again"),
    ("failure", "yes"): N_("accept the failure and go on (recorded as your decision)"),
    ("failure", "no"): N_("the step stays failed; the run stops"),
    ("failure", "skip"): N_("leave this step out: recorded as skipped, the run goes on"),
    ("failure", "abort"): N_("stop the whole run now; it can be continued later with otcctl resume"),
    ("rollback", "yes"): N_("run the rollback steps now"),
    ("rollback", "no"): N_("do not roll back; the run stops"),
    ("in-flight", "rerun"): N_("run the interrupted step again"),
    ("in-flight", "done"): N_("you checked it finished: record it as done by you"),
    ("in-flight", "abort"): N_("stop here; nothing more is run"),
}
QUESTIONS = {
    "confirm": N_("Is the result as the 结果判断 says?"),
    "failure": N_("The step failed. What now?"),
    "notify-failure": N_("Sending failed: tell the departments by phone, then answer yes (recorded). What now?"),
    "rollback": N_("Run the rollback steps now?"),
    "in-flight": N_("This step was running when the run stopped; its outcome is unknown. What now?"),
    "disruptive": N_("This step disrupts the production estate (hosts and commands above). Do it now?"),
}
PURPOSES = {
    "confirm": N_("confirmation"),
    "failure": N_("failure"),
    "rollback": N_("rollback"),
    "in-flight": N_("in flight"),
    "disruptive": N_("disruptive step, production"),
}
HOW = {
    "terminal": N_("at the terminal"),
    "assume-yes": N_("pre-approved with --assume-yes"),
    "scripted": N_("scripted"),
    "option": N_("by option"),
}
RECORDS = {
    "run-finished": N_("run finished"),
    "run-interrupted": N_("run interrupted"),
    "run-stopped": N_("run stopped"),
    "run-resumed": N_("run resumed"),
    "pre-approval": N_("pre-approval"),
    "step-interrupted": N_("step interrupted"),
    "command-sent": N_("command sent"),
    "host-finished": N_("host done"),
    "run-refused": N_("run refused"),
    "review-requested": N_("review requested"),
    "reviewed": N_("reviewed"),
}
REVIEW_VERDICTS = {
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    "timed-out": N_("no reviewer in time"),
}


def word(table: dict[str, str], code: str) -> str:
    """The code's word in the chosen language; an unknown code as it is."""
    return _(table[code]) if code in table else code


def parse_answer(typed: str, choices: tuple[str, ...]) -> str | None:
    """What the operator typed (是, y, 中止, ab...) as one of the choices' codes; None if it is none."""
    text = typed.strip().lower()
    if not text:
        return None
    for code in choices:
        if text in (code, _(ANSWERS.get(code, code)).lower()):
            return code
    matches = [code for code in choices if code.startswith(text) or _(ANSWERS.get(code, code)).startswith(text)]
    return matches[0] if len(matches) == 1 else None
