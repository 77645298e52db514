"""Everything predictable is checked before the first side effect: a refused run sends nothing.

Before any journal, mail or command, a run is checked for what would make it stop later
anyway: the trading day (and procedures that must not run on one), time gates that
``--no-wait`` or a refusing gate would stop at, confirmations that need a terminal when
there is none, disruptive steps against production without a terminal to confirm them
live, parameters that may only be overridden in the lab, a state directory that can
take the journal, a known_hosts file that holds a usable key for every SSH host, and a
CA file with certificates for every WinRM host checked over HTTPS.
A refused run starts no journal; the refusal is appended to ``refusals.jsonl`` in the
state directory, so compliance can see what was attempted.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from otcctl.domain.clock import SHANGHAI
from otcctl.errors import InputError, OtcctlError, Problem
from otcctl.i18n import N_
from otcctl.plan.build import Plan
from otcctl.plan.steps import PERSON_KINDS, PlannedNotify, PlannedStep, PlannedTimeGate
from otcctl.run.records import VERSION, Operator, RunRefused
from otcctl.run.state import ensure_dir, open_shared

MIN_FREE_BYTES = 64 * 1024 * 1024
REFUSALS = "refusals.jsonl"


class Refused(InputError):
    """The run would stop or do harm at a predictable point; nothing was done (exit code 2)."""


@dataclass(frozen=True)
class Situation:
    """What preflight needs to know about this invocation besides the plan."""

    answers: bool
    """Someone answers confirmations (a terminal, --assume-yes, a script)."""
    live: bool
    """Someone answers live at a terminal (what a disruptive step against production needs)."""
    no_wait: bool
    overrides: dict[str, str]
    run_date: date


def preflight(plan: Plan, situation: Situation, state: Path, now: Callable[[], datetime] | None = None) -> None:
    """Raise :class:`Refused` naming every predictable stop; return quietly when the run may start."""
    clock = now or (lambda: datetime.now(tz=UTC))
    problems = [
        *_not_on_trading_day(plan),
        *_time_gates(plan, situation, clock()),
        *_people(plan, situation),
        *_lab_only_parameters(plan, situation),
        *_state_directory(state),
        *_known_hosts(plan),
        *_winrm_certificates(plan),
    ]
    if problems:
        raise Refused(problems)


def production(plan: Plan) -> bool:
    """True when the plan's inventory describes the production estate."""
    return plan.inventory.inventory.environment == "production"


def _not_on_trading_day(plan: Plan) -> list[Problem]:
    """Against production only: the lab rehearses such procedures on any day."""
    if not plan.runbook.not_on_trading_day or not production(plan):
        return []
    from otcctl.domain.calendar import CalendarUnknownYear, TradingCalendar
    from otcctl.domain.clock import parse_date

    day = parse_date(plan.params["date"])
    try:
        trades = TradingCalendar().is_trading_day(day)
    except CalendarUnknownYear as exc:
        return [Problem("--date", None, None, f"{plan.runbook.name} must not run on a trading day, and {exc}")]
    if trades:
        return [
            Problem(
                "--date",
                None,
                None,
                f"{day.isoformat()} is a trading day; {plan.runbook.name} takes the trading system out of service "
                "and must not run on a trading day (runbook property not_on_trading_day).",
            )
        ]
    return []


def _time_gates(plan: Plan, situation: Situation, now: datetime) -> list[Problem]:
    from otcctl.model.durations import parse_clock
    from otcctl.steps.time_gate import seconds_until

    local = now.astimezone(SHANGHAI)
    if situation.run_date != local.date():
        return []  # a run for another day: the gate is the operator's to judge
    problems = []
    for index, p in enumerate(plan.steps):
        if not isinstance(p, PlannedTimeGate) or not (p.mode == "refuse" or situation.no_wait):
            continue
        if seconds_until(parse_clock(p.gate), now) <= 0:
            continue
        before = [q for q in plan.steps[:index] if _acts(q)]
        done_first = f"; steps before it ({', '.join(q.no for q in before)}) would already have acted" if before else ""
        why = N_("--no-wait was given") if situation.no_wait else N_("the gate refuses rather than waits")
        problems.append(
            Problem(
                "--no-wait" if situation.no_wait else plan.runbook_path,
                None,
                f"steps[{p.index}]",
                f"step {p.no} ({p.id}) is not before {p.gate} Asia/Shanghai and it is {local:%H:%M} now; "
                f"{why}, so the run would stop there{done_first}. Start it after {p.gate}, or without --no-wait.",
            )
        )
    return problems


def _acts(p: PlannedStep) -> bool:
    return p.risk != "read" or isinstance(p, PlannedNotify)


def _people(plan: Plan, situation: Situation) -> list[Problem]:
    problems = []
    asks = [p for p in plan.steps if p.kind in PERSON_KINDS or p.confirm]
    if asks and not situation.answers:
        listed = ", ".join(f"{p.no} {p.id}" for p in asks[:8])
        problems.append(
            Problem(
                "stdin",
                None,
                None,
                f"steps {listed} need an operator's answer and there is no terminal on standard input. Run otcctl "
                "from a terminal, or pre-approve confirmations with --assume-yes (recorded as your approval).",
            )
        )
    disruptive = [p for p in plan.steps if p.risk == "disruptive"]
    if disruptive and production(plan) and not situation.live:
        listed = ", ".join(f"{p.no} {p.id} ({p.host_column})" for p in disruptive)
        problems.append(
            Problem(
                "stdin",
                None,
                None,
                f"disruptive steps against production ({listed}) are confirmed live at a terminal, whatever "
                "--assume-yes says, and there is no terminal on standard input.",
            )
        )
    return problems


def _lab_only_parameters(plan: Plan, situation: Situation) -> list[Problem]:
    if not production(plan):
        return []
    return [
        Problem(
            "-p",
            None,
            name,
            f"{name} may only be overridden against a lab inventory (lab_only); against production it keeps "
            f"its value {param.default!r}",
        )
        for name, param in plan.runbook.params.items()
        if param.lab_only and name in situation.overrides
    ]


def _known_hosts(plan: Plan) -> list[Problem]:
    """The file every SSH host key is checked against: present, and every line a key paramiko will use.

    Found here, a missing file or a bad line refuses the run before anything is sent; found at the
    first connection, it would stop the run after its first records and perhaps after other hosts
    had acted. Read once: the run's connections use the keys parsed here.
    """
    hosts = {(t.host_id, t.address, t.port) for p in plan.every_step for t in p.targets if t.transport == "ssh"}
    if not hosts:
        return []
    from otcctl.connectors.known_hosts import known_host_keys, lookup_name

    path = Path(os.path.expanduser(plan.inventory.inventory.known_hosts))
    try:
        keys = known_host_keys(path)
    except InputError as exc:
        return list(exc.problems)
    return [
        Problem(str(path), None, None, f"{host_id} ({lookup_name(address, port)}) has no key in this file; otcctl "
                "never trusts an unknown host key. Add its key after checking it on the console (ssh-keyscan)")
        for host_id, address, port in sorted(hosts)
        if not keys.lookup(lookup_name(address, port))
    ]


def _winrm_certificates(plan: Plan) -> list[Problem]:
    """The CA file each WinRM host's certificate is checked against: present and holding certificates.

    Loaded the way the connection loads it (an SSL context from the file as the inventory names
    it); found here, a missing or empty file refuses the run instead of failing the first Windows
    step after steps on other hosts have acted.
    """
    inventory = plan.inventory.inventory
    hosts = sorted({t.host_id for p in plan.every_step for t in p.targets if t.transport == "winrm"})
    if not hosts:
        return []  # and no ssl module loaded for a run that never speaks TLS (about 1 MiB)
    import ssl

    from otcctl.model.inventory import WinrmSettings

    problems = []
    for host_id in hosts:
        settings = inventory.hosts[host_id].winrm or WinrmSettings()
        if settings.scheme != "https" or not settings.cert_validation or not settings.ca_bundle:
            continue
        field = f"hosts.{host_id}.winrm.ca_bundle"
        try:
            ssl.create_default_context(cafile=settings.ca_bundle)
        except FileNotFoundError:
            problems.append(Problem(str(plan.inventory.path), None, field, f"{settings.ca_bundle} does not exist; "
                                    f"{host_id}'s certificate is checked against it"))
        except (OSError, ssl.SSLError, ValueError) as exc:
            problems.append(Problem(str(plan.inventory.path), None, field,
                                    f"{settings.ca_bundle} holds no certificate otcctl can read ({exc})"))
    return problems


def _state_directory(state: Path) -> list[Problem]:
    try:
        state.mkdir(parents=True, exist_ok=True)
        probe = state / f".write-test-{os.getpid()}"
        probe.write_bytes(b"x")
        os.fsync(os.open(probe, os.O_RDONLY))
        probe.unlink()
        free = shutil.disk_usage(state).free
    except OSError as exc:
        return [Problem(str(state), None, None, f"the state directory cannot take a journal: {exc.strerror or exc}")]
    if free < MIN_FREE_BYTES:
        return [
            Problem(
                str(state),
                None,
                None,
                f"only {free // (1024 * 1024)} MiB free where the journal goes; otcctl needs "
                f"{MIN_FREE_BYTES // (1024 * 1024)} MiB so the record of the run cannot be cut short",
            )
        ]
    return []


def log_refusal(state: Path, plan: Plan, operator: Operator, error: OtcctlError) -> None:
    """Append the refusal to the state directory's refusal log (best effort: a refusal stays a refusal)."""
    from otcctl.run.journal import timestamps

    record = RunRefused(
        runbook=plan.runbook.name,
        environment=plan.inventory.inventory.environment,
        operator=operator,
        reason=str(error),
    )
    line = {"v": VERSION, **timestamps(), **record.to_json()}
    try:
        ensure_dir(state)
        fd = open_shared(state / REFUSALS, os.O_WRONLY | os.O_APPEND, 0o660)  # every operator of the estate appends
        try:
            os.write(fd, (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        return
