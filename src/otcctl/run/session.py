"""Start and resume runs: plan, preflight, credentials, lock, journal, engine, clean up.

This is the composition root of a run: the only place that builds connections, the
journal, the lock and the engine together. The CLI calls it with frozen requests.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from otcctl import __version__
from otcctl.connectors.pool import Connections
from otcctl.errors import InputError, OtcctlError
from otcctl.plan.build import Plan
from otcctl.plan.prepare import PlanRequest, prepare_plan
from otcctl.plan.steps import PlannedNotify, PlannedSql
from otcctl.process import start_up_over
from otcctl.run.confirm import Confirmer, FixedInFlightConfirmer, who_answers
from otcctl.run.engine import Engine, RunOptions
from otcctl.run.events import Event, Listener, RunResult
from otcctl.run.journal import Journal, find_run, new_run_id, read_journal, timestamps
from otcctl.run.lock import RunLock
from otcctl.run.preflight import Situation, log_refusal, preflight
from otcctl.run.records import (
    Operator,
    PreApproval,
    ResumeFlags,
    RunFlags,
    RunResumed,
    RunStarted,
    StepLine,
    TradingDayCheck,
)
from otcctl.run.replay import FINAL_OUTCOMES, InFlight, replay
from otcctl.run.review import DEFAULT_TIMEOUT, ApprovalBoard
from otcctl.run.signals import signals_interrupt
from otcctl.secrets import Masker


class ProductionForbidden(OtcctlError):
    """This machine must never connect to the production estate (tests, CI, the demo)."""


@dataclass(frozen=True)
class RunRequest:
    """Everything ``otcctl run`` was told."""

    plan: PlanRequest
    operator: Operator
    assume_yes: bool = False
    no_wait: bool = False
    allow_non_trading_day: bool = False
    review_timeout: float = DEFAULT_TIMEOUT
    max_parallel: int | None = None


def start_run(request: RunRequest, state: Path, confirmer: Confirmer, listeners: Sequence[Listener]) -> RunResult:
    """Plan, check everything predictable, lock, journal and execute a new run.

    Nothing is sent, mailed or journaled before preflight, the credential lookup and the lock
    have passed; a refusal goes to the refusal log instead.
    """
    plan = prepare_plan(request.plan)
    run_id = new_run_id(plan.runbook.name)
    lock = RunLock(state, plan.runbook.name)
    try:
        _refuse_production_here(plan)
        calendar_note = _check_trading_day(plan, request.allow_non_trading_day)
        preflight(plan, _situation(plan, request, confirmer, dict(request.plan.overrides)), state)
        connections = _connections(plan)
        lock.acquire(_holder(run_id, request.operator))
    except OtcctlError as exc:
        log_refusal(state, plan, request.operator, exc)
        raise
    try:
        journal = Journal.create(state, run_id)
        journal.append(_run_header(plan, request, calendar_note))
        if request.assume_yes:
            journal.append(
                PreApproval(
                    operator=request.operator,
                    statement="--assume-yes: the operator pre-approved every confirmation of this run, except "
                    "disruptive steps against production, which are confirmed live",
                )
            )
        return _execute(plan, run_id, journal, request, confirmer, listeners, connections)
    finally:
        lock.release()


def _situation(plan: Plan, request: RunRequest, confirmer: Confirmer, overrides: dict[str, str]) -> Situation:
    answers, live = who_answers(confirmer)
    return Situation(answers, live, request.no_wait, overrides, _date(plan.params["date"]))


def _connections(plan: Plan) -> Connections:
    """Every credential of the plan looked up (and known to the masker) before the first record."""
    connections = Connections(plan.inventory.inventory, Masker())
    hosts = {t.host_id for p in plan.every_step for t in p.targets if t.transport != "local"}
    databases = {p.database for p in plan.every_step if isinstance(p, PlannedSql)}
    connections.prepare(hosts, databases)
    channels = {c for p in plan.every_step if isinstance(p, PlannedNotify) for c in p.channels}
    connections.prepare_notification(channels)
    return connections


def resume_run(
    run_id: str,
    request: RunRequest,
    state: Path,
    confirmer: Confirmer,
    listeners: Sequence[Listener],
    in_flight: Literal["rerun", "done"] | None = None,
) -> RunResult:
    """Continue a run after its last finished step; the step in flight is decided, never silently re-run.

    The lock is taken before the journal is read: a run still finishing its last step cannot be
    raced into running that step twice.
    """
    path = find_run(state, run_id)
    first = read_journal(path)
    first.require_readable()
    header = replay(first.run_id, first.entries).header  # written once at the start: safe before the lock
    if header is None:
        raise InputError.at(path, "this journal has no run-started record; it cannot be resumed")
    lock = RunLock(state, header.runbook)
    lock.acquire(_holder(first.run_id, request.operator))
    try:
        return _resume_locked(path, request, state, confirmer, listeners, in_flight)
    finally:
        lock.release()


def _resume_locked(
    path: Path,
    request: RunRequest,
    state: Path,
    confirmer: Confirmer,
    listeners: Sequence[Listener],
    in_flight: Literal["rerun", "done"] | None,
) -> RunResult:
    reading = read_journal(path)
    reading.require_readable()
    story = replay(reading.run_id, reading.entries)
    header = story.header
    assert header is not None
    if story.outcome in FINAL_OUTCOMES:
        raise InputError.at(
            path,
            f"run {reading.run_id} is over ({story.outcome}); it cannot be resumed: a finished or rolled-back "
            "run must not carry on. Start a new run if the procedure has to be done again.",
        )
    plan_request = PlanRequest(
        header.runbook_path,
        dict(header.overrides),
        _date(header.params["date"]),
        Path(header.inventory),
    )
    plan = prepare_plan(plan_request)
    _refuse_production_here(plan)
    for what, recorded, now in (
        ("runbook", header.runbook_sha256, plan.runbook_sha256),
        ("inventory", header.inventory_sha256, plan.inventory.sha256),
    ):
        if recorded != now:
            raise InputError.at(
                path,
                f"the {what} changed since run {reading.run_id} started ({recorded[:12]} -> "
                f"{now[:12]}); finishing it with a different {what} would make the record lie. "
                "Start a new run instead.",
            )
    preflight(plan, _situation(plan, request, confirmer, dict(header.overrides)), state)
    connections = _connections(plan)
    done = story.done_steps(frozenset(p.id for p in plan.steps if p.on_failure == "continue"))
    flying = story.in_flight
    journal = Journal(path)
    journal.append(
        RunResumed(
            operator=request.operator,
            done=sorted(done),
            in_flight=flying,
            options=ResumeFlags(assume_yes=request.assume_yes, in_flight=in_flight),
        )
    )
    chosen = FixedInFlightConfirmer(confirmer, in_flight) if in_flight else confirmer
    return _execute(
        plan,
        reading.run_id,
        journal,
        request,
        chosen,
        listeners,
        connections,
        done=done,
        in_flight=flying,
        progress=story.progress,
    )


def _execute(
    plan: Plan,
    run_id: str,
    journal: Journal,
    request: RunRequest,
    confirmer: Confirmer,
    listeners: Sequence[Listener],
    connections: Connections,
    done: frozenset[str] = frozenset(),
    in_flight: str | None = None,
    progress: InFlight | None = None,
) -> RunResult:
    engine = Engine(
        plan,
        run_id=run_id,
        journal=journal,
        connections=connections,
        confirmer=confirmer,
        listeners=listeners,
        masker=connections.masker,
        options=RunOptions(request.operator, request.no_wait, request.max_parallel),
        reviewer=ApprovalBoard(journal.state, run_id, request.operator, request.review_timeout),
    )
    start_up_over()  # from here on the process may run for hours: it collects garbage as usual
    note = Event(
        "note",
        {
            "message": f"run {run_id}: {plan.runbook.name} {plan.runbook.title} "
            f"({plan.inventory.inventory.environment}); journal {journal.path}",
            "run_id": run_id,
        },
    )
    for listener in listeners:
        with contextlib.suppress(Exception):  # a closed stdout never stops a run
            listener.on_event(note)
    try:
        with signals_interrupt():  # SIGHUP and SIGTERM stop the step and write the record, like Ctrl-C
            return engine.run(done=done, in_flight=in_flight, progress=progress)
    finally:
        connections.close_all()
        journal.close()


def _run_header(plan: Plan, request: RunRequest, trading_day: TradingDayCheck | None) -> RunStarted:
    return RunStarted(
        runbook=plan.runbook.name,
        title=plan.runbook.title,
        runbook_version=plan.runbook.version,
        runbook_path=str(Path(plan.runbook_path).resolve()),
        runbook_sha256=plan.runbook_sha256,
        inventory=str(plan.inventory.path.resolve()),
        inventory_sha256=plan.inventory.sha256,
        environment=plan.inventory.inventory.environment,
        params=plan.params,
        overrides=dict(request.plan.overrides),
        operator=request.operator,
        otcctl_version=__version__,
        steps_total=len(plan.steps),
        steps=[StepLine(no=p.no, id=p.id, kind=p.kind, host=p.host_column, source=p.step.source) for p in plan.steps],
        options=RunFlags(
            assume_yes=request.assume_yes,
            no_wait=request.no_wait,
            allow_non_trading_day=request.allow_non_trading_day,
            max_parallel=request.max_parallel,
        ),
        trading_day=trading_day,
    )


def _holder(run_id: str, operator: Operator) -> dict[str, str]:
    """What the lock file says about who holds it."""
    return {"run_id": run_id, "operator": str(operator), "machine": operator.machine, "since": _now_text()}


def _check_trading_day(plan: Plan, allowed: bool) -> TradingDayCheck | None:
    if not plan.runbook.trading_day_only:
        return None
    from otcctl.domain.calendar import CalendarUnknownYear, TradingCalendar
    from otcctl.domain.clock import parse_date

    day = parse_date(plan.params["date"])
    calendar = TradingCalendar()
    try:
        trades = calendar.is_trading_day(day)
        reason = None if trades else calendar.closure_reason(day)
    except CalendarUnknownYear as exc:
        if not allowed:
            raise InputError.at("--date", f"{plan.runbook.name} runs on trading days only, and {exc}") from None
        return TradingDayCheck(date=day.isoformat(), trading=None, override=True)
    if not trades and not allowed:
        raise InputError.at(
            "--date",
            f"{day.isoformat()} is not a trading day ({reason}); {plan.runbook.name} runs "
            "on trading days only. Use --date for another day, or --allow-non-trading-day "
            "(recorded in the journal with your name) to run it anyway.",
        )
    return TradingDayCheck(date=day.isoformat(), trading=trades, override=not trades)


def _refuse_production_here(plan: Plan) -> None:
    if os.environ.get("OTCCTL_FORBID_PRODUCTION") == "1" and plan.inventory.inventory.environment == "production":
        raise ProductionForbidden(
            f"{plan.inventory.path} describes the production estate, and this machine is marked "
            "OTCCTL_FORBID_PRODUCTION=1 (tests, CI, demos): it must never connect there. Use the lab's inventory."
        )


def _now_text() -> str:
    return timestamps()["time_shanghai"]


def _date(text: str) -> date:
    from otcctl.domain.clock import parse_date

    return parse_date(text)
