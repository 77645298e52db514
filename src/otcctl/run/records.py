"""Every kind of journal record, the operator who made it, and how a line is read back.

The journal is the record compliance signs, so its shape is declared here once: each record
kind is a frozen pydantic model registered under its ``type``; the envelope every line shares
(format version, kind, place in the hash chain, time, run id) is a :class:`Stamp`. Writers
build a record value and hand it to :class:`~otcctl.run.journal.Journal`; readers get
:class:`Entry` values (stamp + record) from :func:`parse_line`, never raw dicts.

To add a kind: subclass :class:`Record` with ``type: Literal["my-kind"] = "my-kind"`` and
decorate it with :func:`record_kind`; set ``anchor = True`` when the ledger should note it.
A new field that old journals lack needs a default; a change of meaning bumps ``VERSION``.
"""


import os
import pwd
import socket
from typing import ClassVar, Literal, Self, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, JsonValue

VERSION = 2
"""Version 2 adds the hash chain (``seq``, ``prev``); version 1 journals are read, never chained."""
READABLE_VERSIONS = (1, 2)

Outcome = Literal["passed", "failed", "waived", "skipped", "rolled-back", "aborted", "unknown", "done-by-operator"]
"""``waived``: failed, and the operator went on with a reason; ``unknown``: nobody knows how it ended."""
RunOutcome = Literal["passed", "passed-with-exceptions", "failed", "rolled-back", "aborted", "interrupted"]
"""``passed-with-exceptions``: it went to the end, but some step was waived, skipped or failed-and-continued."""
EXCEPTION_OUTCOMES: tuple[Outcome, ...] = ("failed", "waived", "skipped", "rolled-back", "unknown")
Answer = Literal["yes", "no", "skip", "abort", "retry", "rerun", "done"]
How = Literal["terminal", "assume-yes", "scripted", "option"]
Purpose = Literal["confirm", "failure", "rollback", "in-flight", "disruptive"]


class FrozenModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)

    def to_json(self) -> dict[str, JsonValue]:
        """The fields as written (the stated name under ``operator``, empty fields left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Operator(FrozenModel):
    """Who acted: the OS login (and the sudo user behind it) is the identity; ``stated`` is only a label.

    The stated name comes from ``--operator`` and nobody vouches for it, so it is shown beside
    the identity and never instead of it. Shown as ``zhangsan@ops-01 as root via sudo (张三)``.
    """

    login: str
    machine: str
    sudo_user: str | None = None
    stated: str | None = Field(
        default=None, validation_alias=AliasChoices("stated", "operator"), serialization_alias="operator"
    )

    @classmethod
    def current(cls, stated: str | None = None) -> Self:
        """This process's operator: OS login, the user behind sudo, the machine, the stated name."""
        return cls(login=login_name(), machine=socket.gethostname(), sudo_user=_sudo_user(), stated=stated or None)

    @property
    def person(self) -> str:
        """The account the operating system vouches for: the sudo user if any, else the login."""
        return self.sudo_user or self.login

    def same_person(self, other: "Operator") -> bool:
        """True when both are the same OS account (the four-eyes rule compares these, never names)."""
        return self.person == other.person

    def short(self) -> str:
        """``zhangsan as root via sudo (张三)``: for tables."""
        via = f" as {self.login} via sudo" if self.sudo_user and self.sudo_user != self.login else ""
        label = f" ({self.stated})" if self.stated and self.stated != self.person else ""
        return f"{self.person}{via}{label}"

    def __str__(self) -> str:
        via = f" as {self.login} via sudo" if self.sudo_user and self.sudo_user != self.login else ""
        label = f" ({self.stated})" if self.stated and self.stated != self.person else ""
        return f"{self.person}@{self.machine}{via}{label}"


def login_name(uid: int | None = None) -> str:
    """The account name of a uid (this process's effective uid by default), from the user database.

    Never from ``$USER`` or ``$LOGNAME``: anyone can set those.
    """
    number = os.geteuid() if uid is None else uid
    try:
        return pwd.getpwuid(number).pw_name
    except KeyError:
        return str(number)


def _sudo_user() -> str | None:
    """The user behind sudo; trusted only when running as root (a plain user could set the variable)."""
    if os.geteuid() != 0:
        return None
    return os.environ.get("SUDO_USER") or None


class Record(FrozenModel):
    """A journal record's own content; the envelope is its :class:`Stamp`."""

    type: str
    anchor: ClassVar[bool] = False
    """Whether the ledger notes this record's hash (run starts, resumes, step and run ends)."""


RECORD_KINDS: dict[str, type[Record]] = {}
_R = TypeVar("_R", bound=type[Record])


def record_kind(cls: _R) -> _R:
    """Register a record kind under its ``type``."""
    name = cls.__pydantic_fields__["type"].default
    if not isinstance(name, str) or name in RECORD_KINDS:
        raise TypeError(f"{cls.__name__}: record kinds need a unique literal default 'type'")
    RECORD_KINDS[name] = cls
    return cls


# -- parts that several kinds share ---------------------------------------------------------
class StepLine(FrozenModel):
    """One step of the plan as the run header lists it."""

    no: str
    id: str
    kind: str
    host: str
    source: str = ""  # 手册 L747 or 假设 A27: where the step comes from


class RunFlags(FrozenModel):
    """The options a run started with."""

    assume_yes: bool = False
    no_wait: bool = False
    allow_non_trading_day: bool = False
    max_parallel: int | None = None


class TradingDayCheck(FrozenModel):
    """The trading-day check of a trading-day runbook: the date, whether it trades, an override."""

    date: str
    trading: bool | None
    override: bool


class TargetPlan(FrozenModel):
    """What a step is about to do on one host, written before anything is sent."""

    host: str
    address: str
    transport: str
    command: str | None = None
    path: str | None = None
    ports: list[int] | None = None
    services: list[str] | None = None


class TargetOutcome(FrozenModel):
    """What a step found on one host."""

    host: str
    passed: bool
    reason: str
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0
    details: dict[str, JsonValue] | None = None


class Answered(FrozenModel):
    """A person's answer with who gave it, when, and how it was obtained."""

    answer: Answer
    comment: str
    operator: Operator
    time_utc: str
    time_shanghai: str
    how: How


# -- the kinds ------------------------------------------------------------------------------
@record_kind
class RunStarted(Record):
    """The run header: what runs, against what, by whom, with which options."""

    type: Literal["run-started"] = "run-started"
    anchor: ClassVar[bool] = True
    runbook: str
    title: str
    runbook_version: str
    runbook_path: str
    runbook_sha256: str
    inventory: str
    inventory_sha256: str
    environment: str
    params: dict[str, str]
    overrides: dict[str, str] = Field(default_factory=dict)
    operator: Operator
    otcctl_version: str
    steps_total: int
    steps: list[StepLine] = Field(default_factory=list)
    options: RunFlags = Field(default_factory=RunFlags)
    trading_day: TradingDayCheck | None = None


@record_kind
class PreApproval(Record):
    """``--assume-yes``: the operator pre-approved the confirmations of this run."""

    type: Literal["pre-approval"] = "pre-approval"
    operator: Operator
    statement: str


class ResumeFlags(FrozenModel):
    """The options a resume was given."""

    assume_yes: bool = False
    in_flight: Literal["rerun", "done"] | None = None


@record_kind
class RunResumed(Record):
    """Someone continued the run: which steps count as done, which one was in flight."""

    type: Literal["run-resumed"] = "run-resumed"
    anchor: ClassVar[bool] = True
    operator: Operator
    done: list[str]
    in_flight: str | None = None
    options: ResumeFlags = Field(default_factory=ResumeFlags)


@record_kind
class StepStarted(Record):
    """A step is about to run: written (fsynced) before anything is sent."""

    type: Literal["step-started"] = "step-started"
    step: str
    no: str
    kind: str
    rollback_step: bool = False
    action: str = ""
    source: str = ""  # 手册 L747 or 假设 A27
    targets: list[TargetPlan] = Field(default_factory=list)
    sql: str | None = None
    binds: dict[str, str] | None = None


@record_kind
class Confirmation(Record):
    """A question put to a person and the answer (the answer's time is the record's time)."""

    type: Literal["confirmation"] = "confirmation"
    step: str
    no: str
    purpose: Purpose
    question: str
    verdict: str
    answer: Answer
    comment: str
    operator: Operator
    how: How


@record_kind
class ReviewRequested(Record):
    """The run waits for a second person to approve a step's result (``otcctl approve RUN_ID``)."""

    type: Literal["review-requested"] = "review-requested"
    step: str
    no: str
    reason: str
    timeout: float


@record_kind
class Reviewed(Record):
    """The review's end: approved or rejected by whom (the OS account that wrote the approval), or timed out."""

    type: Literal["reviewed"] = "reviewed"
    step: str
    no: str
    verdict: Literal["approved", "rejected", "timed-out"]
    reviewer: Operator | None = None
    comment: str = ""
    refused: list[str] = Field(default_factory=list)
    """Approvals that did not count (the operator's own login, root), with why."""


@record_kind
class StepFinished(Record):
    """A step's end: outcome, reason, per-host results and the answer that decided it."""

    type: Literal["step-finished"] = "step-finished"
    step: str
    no: str
    outcome: Outcome
    reason: str
    attempts: int
    duration: float
    targets: list[TargetOutcome] = Field(default_factory=list)
    confirmation: Answered | None = None


@record_kind
class CommandSent(Record):
    """A step's command left for a host (written as it is sent): the in-flight question can say so."""

    type: Literal["command-sent"] = "command-sent"
    step: str
    no: str
    host: str


@record_kind
class HostFinished(Record):
    """One host of a multi-host step is done: a resume continues at the first host not done."""

    type: Literal["host-finished"] = "host-finished"
    step: str
    no: str
    host: str
    passed: bool
    reason: str


@record_kind
class StepInterrupted(Record):
    """Ctrl-C, SIGHUP or SIGTERM while a step ran; whether its command was stopped on the hosts."""

    type: Literal["step-interrupted"] = "step-interrupted"
    step: str
    no: str
    signal: str = "SIGINT"
    stopped: Literal["yes", "no", "unknown"] = "unknown"
    """Whether the step's command was confirmed stopped on every host (``no``: it may still run)."""
    detail: str = ""


@record_kind
class RunInterrupted(Record):
    """The run was interrupted (Ctrl-C); it can be resumed."""

    type: Literal["run-interrupted"] = "run-interrupted"
    anchor: ClassVar[bool] = True
    reason: str


@record_kind
class RunStopped(Record):
    """Something stopped the whole run (a missing secret, a rejected host key)."""

    type: Literal["run-stopped"] = "run-stopped"
    anchor: ClassVar[bool] = True
    reason: str


@record_kind
class RunFinished(Record):
    """The run's end: its outcome and how many steps this session finished."""

    type: Literal["run-finished"] = "run-finished"
    anchor: ClassVar[bool] = True
    outcome: RunOutcome
    steps: int


@record_kind
class RunRefused(Record):
    """A run refused before its first side effect (preflight, credentials, lock): no journal was started.

    Written to the state directory's refusal log, not to a run journal, so compliance can see
    what was attempted and why nothing happened.
    """

    type: Literal["run-refused"] = "run-refused"
    runbook: str
    environment: str
    operator: Operator
    reason: str
