"""Four eyes: a second person, whose identity the operating system vouches for, approves a step.

The run writes a request into ``approvals/RUN_ID/`` in the (shared, setgid) state directory and
waits. The reviewer runs ``otcctl approve RUN_ID`` from their own login; that creates a file
there, and the kernel records who owns it. The run reads the owner's uid, never what the file
says, so the reviewer is whoever the OS says created the approval. The operator's own login,
and root (which hides who it is), never count. ``--assume-yes`` has nothing to do with it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from otcctl.errors import InputError, OtcctlError
from otcctl.i18n import N_
from otcctl.model.durations import format_duration
from otcctl.run.records import Operator, Outcome, Record, Reviewed, ReviewRequested, login_name
from otcctl.run.state import ensure_dir, open_shared

DEFAULT_TIMEOUT = 1800.0
POLL = 0.3


class ReviewRefused(OtcctlError):
    """``otcctl approve`` cannot count: the operator's own login, root, or no such request."""


def needs_review(marked: bool, risk: str | None, environment: str) -> bool:
    """A step marked ``review: true``, or any disruptive step against production."""
    return marked or (environment == "production" and risk == "disruptive")


def approvals_dir(state: Path, run_id: str) -> Path:
    """Where a run's review requests and approvals live."""
    return state / "approvals" / run_id


@dataclass(frozen=True)
class ReviewOutcome:
    """How a review ended; ``reviewer`` is the OS account that wrote the approval."""

    verdict: Literal["approved", "rejected", "timed-out"]
    reviewer: Operator | None
    comment: str
    refused: tuple[str, ...]


def refusal(operator: Operator, reviewer_uid: int) -> str | None:
    """Why an approval from this uid cannot count for this operator's step, or None when it can."""
    name = login_name(reviewer_uid)
    if reviewer_uid == 0:
        return f"{name}: root cannot review (it hides who it is); approve from your own login"
    if name in (operator.person, operator.login):
        return f"{name}: the operator's own login cannot review the operator's step"
    return None


class ApprovalBoard:
    """The run's side: post a request, wait for an approval that counts, withdraw the request."""

    def __init__(self, state: Path, run_id: str, operator: Operator, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.folder = approvals_dir(state, run_id)
        self.run_id = run_id
        self.operator = operator
        self.timeout = timeout

    def wait(
        self,
        request: dict[str, str],
        cancelled: Callable[[], bool],
        progress: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> ReviewOutcome:
        """Post the request and poll until an approval or rejection counts, or the timeout passes."""
        ensure_dir(self.folder)
        step = request["step"]
        posted = self.folder / f"request-{step}.json"
        fd = open_shared(posted, os.O_WRONLY | os.O_TRUNC, 0o640)
        os.write(
            fd,
            json.dumps(
                {
                    **request,
                    "operator": str(self.operator),
                    "operator_person": self.operator.person,
                    "operator_login": self.operator.login,
                },
                ensure_ascii=False,
            ).encode(),
        )
        os.close(fd)
        deadline = clock() + self.timeout
        refused: list[str] = []
        seen: set[str] = set()
        next_note = 0.0
        try:
            while not cancelled():
                for answer in sorted(self.folder.glob(f"answer-{step}-*.json")):
                    if answer.name in seen:
                        continue
                    seen.add(answer.name)
                    outcome = self._judge(answer, refused)
                    if outcome is not None:
                        return outcome
                left = deadline - clock()
                if left <= 0:
                    return ReviewOutcome("timed-out", None, "", tuple(refused))
                if clock() >= next_note:
                    progress(
                        f"waiting for a reviewer: from another login, `otcctl approve {self.run_id}` "
                        f"(or --reject); {int(left)}s left"
                    )
                    next_note = clock() + 30
                time.sleep(POLL)
            raise KeyboardInterrupt
        finally:
            posted.unlink(missing_ok=True)

    def _judge(self, answer: Path, refused: list[str]) -> ReviewOutcome | None:
        try:
            owner = answer.stat().st_uid
            data = json.loads(answer.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        why = refusal(self.operator, owner)
        if why is not None:
            refused.append(why)
            return None
        reviewer = Operator(login=login_name(owner), machine=str(data.get("machine", "?")))
        comment = str(data.get("comment", ""))
        if data.get("verdict") == "reject":
            return ReviewOutcome("rejected", reviewer, comment, tuple(refused))
        return ReviewOutcome("approved", reviewer, comment, tuple(refused))


@dataclass(frozen=True)
class ReviewAsk:
    """The step a reviewer is asked about, already masked."""

    step: str
    no: str
    action: str
    result: str


def review_step(
    board: ApprovalBoard,
    ask: ReviewAsk,
    cancelled: Callable[[], bool],
    record: Callable[[Record], None],
    note: Callable[..., None],
) -> tuple[Outcome, str]:
    """Journal the request, wait, journal who reviewed; the step passes only on an approval that counts."""
    record(ReviewRequested(step=ask.step, no=ask.no, reason=ask.result, timeout=board.timeout))
    note(f"needs a reviewer (复核): from another login, otcctl approve {board.run_id}")
    request = {"step": ask.step, "no": ask.no, "action": ask.action, "result": ask.result}
    got = board.wait(request, cancelled, note)
    record(
        Reviewed(
            step=ask.step,
            no=ask.no,
            verdict=got.verdict,
            reviewer=got.reviewer,
            comment=got.comment,
            refused=list(got.refused),
        )
    )
    who = str(got.reviewer) if got.reviewer else ""
    note(f"review of {ask.no} {ask.step}: {got.verdict} {who}".rstrip(), progress=False)
    if got.verdict == "approved":
        return "passed", f"{ask.result}; reviewed and approved by {who}"
    if got.verdict == "rejected":
        return "failed", f"{ask.result}; the reviewer {who} rejected it" + (f": {got.comment}" if got.comment else "")
    return "failed", f"{ask.result}; no reviewer approved it within {format_duration(board.timeout)}"


def pending(state: Path, run_id: str) -> list[dict[str, str]]:
    """The review requests a run is waiting on."""
    folder = approvals_dir(state, run_id)
    found = []
    for path in sorted(folder.glob("request-*.json")) if folder.is_dir() else []:
        try:
            found.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return found


def answer(state: Path, run_id: str, step: str, verdict: str, comment: str, machine: str) -> Path:
    """The reviewer's side: write an approval (or rejection) file this login owns."""
    folder = approvals_dir(state, run_id)
    name = login_name()
    path = folder / f"answer-{step}-{name}-{time.time_ns()}.json"
    body = json.dumps({"step": step, "verdict": verdict, "comment": comment, "machine": machine}, ensure_ascii=False)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    except PermissionError:
        raise InputError.at(
            folder,
            N_("you cannot write here: the run's state directory is not shared with your login. Runs that need a "
               "reviewer use the shared state directory (/var/lib/otcctl, group-owned by the operators' group, "
               "setgid)"),
        ) from None
    os.write(fd, body.encode("utf-8"))
    os.fsync(fd)
    os.close(fd)
    return path
