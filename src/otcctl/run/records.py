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

from __future__ import annotations

import getpass
import json
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, JsonValue, ValidationError

VERSION = 2
"""Version 2 adds the hash chain (``seq``, ``prev``); version 1 journals are read, never chained."""
READABLE_VERSIONS = (1, 2)

Outcome = Literal["passed", "failed", "skipped", "aborted", "unknown", "done-by-operator"]
RunOutcome = Literal["passed", "failed", "aborted", "interrupted"]
Answer = Literal["yes", "no", "skip", "abort", "retry", "rerun", "done"]
How = Literal["terminal", "assume-yes", "scripted", "option"]
Purpose = Literal["confirm", "failure", "rollback", "in-flight"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def to_json(self) -> dict[str, JsonValue]:
        """The fields as written (the stated name under ``operator``, empty fields left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Operator(_Frozen):
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
    def current(cls, stated: str | None = None) -> Operator:
        """This process's operator: OS login, the user behind sudo, the machine, the stated name."""
        try:
            login = getpass.getuser()
        except (KeyError, OSError):
            login = str(os.getuid())
        sudo_user = os.environ.get("SUDO_USER") or None
        return cls(login=login, machine=socket.gethostname(), sudo_user=sudo_user, stated=stated or None)

    @property
    def person(self) -> str:
        """The account the operating system vouches for: the sudo user if any, else the login."""
        return self.sudo_user or self.login

    def same_person(self, other: Operator) -> bool:
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


class Record(_Frozen):
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
class StepLine(_Frozen):
    """One step of the plan as the run header lists it."""

    no: str
    id: str
    kind: str
    host: str
    source: str = ""  # 手册 L747 or 假设 A27: where the step comes from


class RunFlags(_Frozen):
    """The options a run started with."""

    assume_yes: bool = False
    no_wait: bool = False
    allow_non_trading_day: bool = False
    max_parallel: int | None = None


class TradingDayCheck(_Frozen):
    """The trading-day check of a trading-day runbook: the date, whether it trades, an override."""

    date: str
    trading: bool | None
    override: bool


class TargetPlan(_Frozen):
    """What a step is about to do on one host, written before anything is sent."""

    host: str
    address: str
    transport: str
    command: str | None = None
    path: str | None = None
    ports: list[int] | None = None
    services: list[str] | None = None


class TargetOutcome(_Frozen):
    """What a step found on one host."""

    host: str
    passed: bool
    reason: str
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0
    details: dict[str, JsonValue] | None = None


class Answered(_Frozen):
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


class ResumeFlags(_Frozen):
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
class StepFinished(Record):
    """A step's end: outcome, reason, per-host results and the answer that decided it."""

    type: Literal["step-finished"] = "step-finished"
    anchor: ClassVar[bool] = True
    step: str
    no: str
    outcome: Outcome
    reason: str
    attempts: int
    duration: float
    targets: list[TargetOutcome] = Field(default_factory=list)
    confirmation: Answered | None = None


@record_kind
class StepInterrupted(Record):
    """Ctrl-C while a step ran; its remote command was cancelled."""

    type: Literal["step-interrupted"] = "step-interrupted"
    step: str
    no: str


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


# -- the envelope and reading a line ----------------------------------------------------------
class Stamp(_Frozen):
    """What every line carries besides its content: version, kind, chain position, time, run."""

    v: int
    type: str
    seq: int | None = None
    prev: str | None = None
    time_utc: str
    time_shanghai: str
    run_id: str


STAMP_FIELDS = frozenset(Stamp.model_fields)


@dataclass(frozen=True)
class Entry:
    """One journal line read back: where it is, its envelope, its typed record, its SHA-256."""

    line: int
    stamp: Stamp
    record: Record
    sha256: str


class RecordError(ValueError):
    """A line that is not a record this otcctl can read; the message says why (the reader adds file:line)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def parse_line(text: bytes, line: int, sha256: str) -> Entry:
    """A journal line as an :class:`Entry`; raises :class:`RecordError` naming the field at fault."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise RecordError("not a JSON record (cut short or edited)") from None
    if not isinstance(data, dict):
        raise RecordError("not a JSON object")
    kind = data.get("type")
    cls = RECORD_KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise RecordError(f"unknown record kind {kind!r} (written by a newer otcctl, or edited)", "type")
    version = data.get("v")
    if version not in READABLE_VERSIONS:
        raise RecordError(f"record format version {version!r}; this otcctl reads {READABLE_VERSIONS}", "v")
    envelope = {k: v for k, v in data.items() if k in STAMP_FIELDS}
    body = {k: v for k, v in data.items() if k not in STAMP_FIELDS or k == "type"}
    try:
        stamp = Stamp.model_validate(envelope)
        record = cls.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RecordError(f"{kind} record: {where}: {first['msg']}", where or None) from None
    if version >= 2 and (stamp.seq is None or stamp.prev is None):
        raise RecordError("version 2 record without its place in the hash chain (seq, prev)", "seq")
    return Entry(line, stamp, record, sha256)


MaskFn = Callable[[JsonValue], JsonValue]
