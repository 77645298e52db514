"""The runbook schema: one pydantic model per step kind, each keeping the manual's six columns.

The manual's table columns map onto every step: 序号 ``no``, 时间 ``when``, 主机 (the targets,
or ``where`` for a step done by hand), 操作内容 ``action``, 结果判断 ``judge``, 备注 ``remark``.
Every step also says where it comes from: a row of the manual (``manual_ref``) or an
assumption documented in docs/assumptions.md (``assumption``), because the compliance
department asks why each step is there.
"""


from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from otcctl.i18n import N_
from otcctl.model.conditions_schema import Condition
from otcctl.model.durations import Duration, parse_clock
from otcctl.model.templates import PLACEHOLDER

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$", max_length=64)]



FAN_OUT_LIMIT = 64
"""The most hosts a parallel step acts on at once, whatever a runbook or the command line asks."""

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Retry(_Strict):
    """Try a failing step again, after a pause, before its on-failure policy applies."""

    attempts: int = Field(default=1, ge=1, le=100, description="total tries, the first included")
    delay: Duration = Field(default=5.0, description="pause between tries")


class Rollback(_Strict):
    """On failure, run these steps from the runbook's ``rollback_steps`` (after asking), then stop."""

    rollback: list[Identifier] = Field(min_length=1)


OnFailure = Literal["stop", "continue", "ask"] | Rollback
Risk = Literal["read", "change", "disruptive"]


class StepBase(_Strict):
    """What every step has: identity, the manual's columns, provenance, and failure handling."""

    id: Identifier = Field(description="unique in the runbook; the journal and resume refer to it")
    no: str | None = Field(default=None, description="序号 as the manual numbers it; default: position")
    when: str | None = Field(default=None, description="时间: when in the day this is done")
    action: str = Field(min_length=1, description="操作内容: what is done, in the manual's words")
    judge: str | None = Field(default=None, description="结果判断: how a person judges the result")
    remark: str | None = Field(default=None, description="备注")
    manual_ref: str | None = Field(default=None, description="the manual's section and row this step comes from")
    assumption: str | None = Field(
        default=None, pattern=r"^A\d{2,3}$", description="id of the assumption in docs/assumptions.md"
    )
    retry: Retry = Retry()
    on_failure: OnFailure = "stop"
    confirm: bool = Field(default=False, description="a person confirms the result, with the evidence shown")
    risk: Risk | None = Field(
        default=None,
        description="read, change or disruptive; raises the kind's own risk, never lowers it. Against "
        "production a disruptive step is confirmed live at a terminal, whatever --assume-yes says",
    )
    review: bool = Field(
        default=False,
        description="复核: a second person, from another OS login, approves the result (otcctl approve RUN_ID) "
        "before the run goes on; against production every disruptive step needs one",
    )
    enabled_by: Identifier | None = Field(
        default=None,
        description="opt-in: a parameter with choices [yes, no]; the step is planned only when it is 'yes'",
    )

    @model_validator(mode="after")
    def _has_provenance(self) -> Self:
        if (self.manual_ref is None) == (self.assumption is None):
            raise ValueError(N_(
                "a step names either the manual row it comes from (manual_ref) or the assumption "
                "behind it (assumption: Axx, explained in docs/assumptions.md), not both and not neither"
            ))
        return self

    @property
    def source(self) -> str:
        """Where the step comes from, as the printouts show it: 手册 L747 or 假设 A27."""
        return f"手册 {self.manual_ref}" if self.manual_ref else f"假设 {self.assumption}"


class Timed(_Strict):
    """A kind whose executor enforces a step timeout (the dry run shows it)."""

    timeout: Duration = Field(default=60.0, description="the step fails (and its command is stopped) past this")


class Untimed(_Strict):
    """A kind that ends when a person answers (or is bounded per channel): a step timeout is refused."""

    timeout: None = Field(default=None, description="not allowed on this kind: nothing would enforce it")

    @field_validator("timeout", mode="before")
    @classmethod
    def _refused(cls, value: object) -> None:
        if value is not None:
            raise ValueError(N_(
                "this kind of step takes no timeout: a manual or pause step ends when the operator answers, "
                "a notify step bounds each channel by itself; remove the timeout"
            ))
        return None


class TargetedStep(StepBase, Timed):
    """A step that acts on inventory hosts."""

    targets: list[str] = Field(min_length=1, description="host ids (M1..M6) or group names (db, middleware, ...)")
    order: Literal["parallel", "kvm"] = Field(
        default="parallel", description="parallel: all hosts at once; kvm: one at a time in KVM order"
    )


class ShellStep(TargetedStep):
    """A shell command on Linux hosts over SSH."""

    kind: Literal["shell"]
    command: str = Field(min_length=1, description="{{param}} values are shell-quoted when rendered")
    expect: Condition = Condition(exit_code=0)


class LocalStep(StepBase, Timed):
    """A command on the operator's own machine (e.g. to look at a share or run a site tool)."""

    kind: Literal["local"]
    command: str = Field(min_length=1)
    environment: list[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]] = Field(
        default_factory=list,
        description="names of the operator's environment variables the command may see; it gets only "
        "these, PATH, HOME, LANG, LC_ALL, TZ and the inventory's OTCCTL_* paths, never the whole environment",
    )
    expect: Condition = Condition(exit_code=0)


class WinrmStep(TargetedStep):
    """A cmd.exe or PowerShell command on Windows hosts over WinRM."""

    kind: Literal["winrm"]
    shell: Literal["cmd", "powershell"] = "cmd"
    command: str = Field(min_length=1)
    expect: Condition = Condition(exit_code=0)


class SqlStep(StepBase, Timed):
    """An Oracle query that judges the state of the database; values travel as bind variables."""

    kind: Literal["sql"]
    database: Identifier
    on_host: Literal["primary", "standby"] = "primary"
    sql: str = Field(min_length=1, description="one statement; values as :name bind variables")
    binds: dict[Identifier, str] = Field(default_factory=dict, description="bind name -> value or {{param}}")
    expect: Condition = Condition.model_validate({"row_count": {"op": ">=", "value": 0}})
    max_rows: int = Field(default=200, ge=1)

    @field_validator("sql")
    @classmethod
    def _no_pasted_values(cls, value: str) -> str:
        if "{{" in value:
            raise ValueError(N_("SQL takes values as bind variables (:name with binds:), never pasted in as {{...}}"))
        if value.strip().rstrip(";").count(";"):
            raise ValueError(N_("one SQL statement per step"))
        return value


class PortStep(TargetedStep):
    """TCP ports that must be listening (or, after a stop, must not be)."""

    kind: Literal["port"]
    ports: list[int] = Field(default_factory=list, description="explicit port numbers")
    services: list[str] = Field(
        default_factory=list, description="service names from the inventory; 'all' = every service with a port"
    )
    state: Literal["open", "closed"] = "open"
    connect_timeout: Duration = 3.0

    @model_validator(mode="after")
    def _something_to_check(self) -> Self:
        if not self.ports and not self.services:
            raise ValueError(N_("a port step names ports: [...] or services: [...]"))
        return self


class FileStep(StepBase, Timed):
    """A file that must exist on a host: present, recent, large enough, stable, well-formed OFD."""

    kind: Literal["file"]
    data_file: Identifier | None = Field(default=None, description="F1/F2 from the inventory (gives host and path)")
    file_type: str | None = Field(default=None, description="for F2: the clearing file type (xx)")
    targets: list[str] = Field(default_factory=list, description="host, when path is given instead of data_file")
    path: str | None = None
    exists: bool = True
    max_age: Duration | None = Field(default=None, description="modified no longer ago than this")
    min_size: int | None = Field(default=None, ge=0, description="bytes")
    stable_for: Duration = Field(default=3.0, description="size unchanged across this interval (still arriving?)")
    ofd: bool = Field(default=False, description="validate as an OFD data file (JR/T 0017)")

    @model_validator(mode="after")
    def _path_or_data_file(self) -> Self:
        if (self.data_file is None) == (self.path is None):
            raise ValueError(N_("a file step names either data_file (F1, F2) or path (with targets)"))
        if self.path is not None and not self.targets:
            raise ValueError(N_("a file step with a path names its host in targets"))
        return self


class ServiceStep(TargetedStep):
    """Status, stop or start of services (Windows services or Linux units)."""

    kind: Literal["service"]
    services: list[str] = Field(
        min_length=1, description="service names, or 'middleware' for all middleware services of the host"
    )
    operation: Literal["status", "stop", "start"]
    expect_state: Literal["running", "stopped"] | None = Field(
        default=None, description="status: the state required (default running); stop/start wait for theirs"
    )
    settle: Duration = Field(default=60.0, description="how long to wait for a stop/start to take effect")


class RebootStep(TargetedStep):
    """Restart hosts and wait until each answers again and its auto-start services run."""

    kind: Literal["reboot"]
    order: Literal["parallel", "kvm"] = "kvm"
    down_timeout: Duration = Field(default=300.0, description="how long the host may take to go away")
    up_timeout: Duration = Field(default=900.0, description="how long the host may take to come back")
    check_services: bool = Field(default=True, description="after it is back: auto-start services' ports open")
    timeout: Duration = 1200.0


class ManualStep(StepBase, Untimed):
    """A step a person does by hand (GUI, KVM, phone call); the operator confirms it was done."""

    kind: Literal["manual"]
    where: str = Field(description="主机: an inventory host, a manual-only host, or a place (e.g. 电话)")
    instructions: str | None = Field(default=None, description="what to do, step by step")
    confirm: bool = True

    @field_validator("confirm")
    @classmethod
    def _always_confirmed(cls, value: bool) -> bool:
        if not value:
            raise ValueError(N_("a manual step is always confirmed by the operator"))
        return value


class NotifyStep(StepBase, Untimed):
    """Tell departments (经纪业务部, 清算部, 营业部) by e-mail and/or chat robot; phone as the fallback."""

    kind: Literal["notify"]
    departments: list[Identifier] = Field(min_length=1)
    subject: str
    message: str
    channels: list[Literal["email", "webhook"]] = Field(default=["email"])
    confirm: bool = Field(default=False, description="also ask the operator after sending succeeded")


class TimeGateStep(StepBase, Timed):
    """Not before a wall-clock time in Asia/Shanghai: wait for it, or refuse to go on."""

    kind: Literal["time_gate"]
    not_before: str = Field(description="HH:MM in Asia/Shanghai, or {{param}} naming a time parameter")
    mode: Literal["wait", "refuse"] = "wait"
    timeout: Duration = 43200.0

    @field_validator("not_before")
    @classmethod
    def _clock_or_placeholder(cls, value: str) -> str:
        if PLACEHOLDER.fullmatch(value.strip()):
            return value.strip()
        return parse_clock(value).strftime("%H:%M")


class PauseStep(StepBase, Untimed):
    """Stop and let the operator judge (with the 结果判断 text) before going on."""

    kind: Literal["pause"]
    prompt: str
    confirm: bool = True


Step = Annotated[
    ShellStep
    | LocalStep
    | WinrmStep
    | SqlStep
    | PortStep
    | FileStep
    | ServiceStep
    | RebootStep
    | ManualStep
    | NotifyStep
    | TimeGateStep
    | PauseStep,
    Field(discriminator="kind"),
]
STEP_KINDS = (
    "shell",
    "local",
    "winrm",
    "sql",
    "port",
    "file",
    "service",
    "reboot",
    "manual",
    "notify",
    "time_gate",
    "pause",
)


class Param(_Strict):
    """A runbook parameter, overridable with ``-p name=value``."""

    type: Literal["str", "int", "date", "time"] = "str"
    default: str | int | None = None
    required: bool = False
    description: str
    choices: list[str] | None = None
    min: int | None = None
    max: int | None = None
    lab_only: bool = Field(
        default=False, description="overriding it with -p is refused against a production inventory"
    )

    @model_validator(mode="after")
    def _has_value_or_required(self) -> Self:
        if self.default is None and not self.required:
            raise ValueError(N_("a parameter needs a default, or required: true (then -p NAME=VALUE must give it)"))
        return self


class Runbook(_Strict):
    """One procedure of the manual."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
    title: str
    cadence: Literal["daily", "weekly", "monthly", "quarterly", "yearly", "on-demand"]
    version: str
    manual_section: str = Field(description="the manual's section this procedure comes from")
    description: str | None = None
    trading_day_only: bool = Field(default=False, description="runs only on SSE/SZSE trading days")
    not_on_trading_day: bool = Field(
        default=False, description="must NOT run on a trading day (takes the trading system out of service)"
    )
    params: dict[Identifier, Param] = Field(default_factory=dict)
    max_parallel: int | None = Field(
        default=None,
        ge=1,
        le=FAN_OUT_LIMIT,
        description="how many hosts a parallel step acts on at once (default: all of the step's hosts, "
        f"at most {FAN_OUT_LIMIT}); `otcctl run --max-parallel` overrides it",
    )
    steps: list[Step] = Field(min_length=1)
    rollback_steps: list[Step] = Field(default_factory=list)
