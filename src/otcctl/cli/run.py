"""CLI commands that execute and inspect runs: run, resume, runs, log.

Registered on the main Typer app; they parse, choose the confirmer and renderers, call
:mod:`otcctl.run.session` and map the result to an exit code.
"""


import sys
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from otcctl.cli.app import app
from otcctl.cli.complete import complete_run_id
from otcctl.cli.options import (
    DateOpt,
    InventoryOpt,
    JsonOpt,
    NameArg,
    ParamOpt,
    RunbooksOpt,
    date_option,
    json_out,
    plan_request,
)
from otcctl.errors import ExitCode, InputError
from otcctl.i18n import _

if TYPE_CHECKING:
    from otcctl.run.doctor import Finding

OperatorOpt = Annotated[
    str | None,
    typer.Option("--operator", metavar="NAME", help="your name as it goes into the record (besides your OS login)"),
]
AssumeYesOpt = Annotated[
    bool,
    typer.Option("--assume-yes", "-y", help="pre-approve every confirmation (recorded as your approval)"),
]

ReviewTimeoutOpt = Annotated[
    str, typer.Option("--review-timeout", help="how long a step waits for a reviewer's `otcctl approve` (e.g. 30m)")
]


def _seconds(text: str) -> float:
    from otcctl.model.durations import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise InputError.at("--review-timeout", str(exc)) from None

MaxParallelOpt = Annotated[
    int | None,
    typer.Option("--max-parallel", min=1, help="hosts a parallel step acts on at once, at most 64 "
                 "(default: the runbook's max_parallel, else all of the step's hosts)"),
]


def _wiring(as_json: bool, assume_yes: bool) -> tuple[Any, list[Any]]:
    from otcctl.output.run_view import ConsoleRenderer, JsonRenderer
    from otcctl.output.streams import is_plain
    from otcctl.run.confirm import AssumeYesConfirmer, RefusingConfirmer, TerminalConfirmer

    def console(stderr: bool) -> Any:
        from otcctl.output.console import make_console

        return make_console(stderr=stderr)

    def human_view(stderr: bool) -> ConsoleRenderer:
        stream = sys.stderr if stderr else sys.stdout
        if is_plain(stream):  # piped: plain lines, and rich only if the run must ask the operator
            return ConsoleRenderer.plain(stream, lambda: console(stderr))
        return ConsoleRenderer(console(stderr))

    if as_json:
        listeners: list[Any] = [JsonRenderer()]
        renderer = human_view(stderr=True)
    else:
        renderer = human_view(stderr=False)
        listeners = [renderer]
    if assume_yes:
        confirmer: Any = AssumeYesConfirmer(live=TerminalConfirmer(renderer.prompt) if sys.stdin.isatty() else None)
    elif sys.stdin.isatty():
        confirmer = TerminalConfirmer(renderer.prompt)
    else:
        confirmer = RefusingConfirmer()
    return confirmer, listeners


def _exit(result: Any) -> None:
    if result.outcome == "passed":
        raise typer.Exit(ExitCode.OK)
    raise typer.Exit(ExitCode.FAILED)


@app.command(epilog="otcctl run market-open  # today's market open, asking where a person must confirm\n"
             "otcctl run clearing --date 2026-12-01 -i lab/inventory.yaml  # a rehearsal in the lab\n"
             "otcctl run market-open --json > events.jsonl  # events for machines, one JSON line each")
def run(
    name: NameArg,
    param: ParamOpt = None,
    run_date: DateOpt = None,
    inventory: InventoryOpt = None,
    runbooks: RunbooksOpt = None,
    operator: OperatorOpt = None,
    assume_yes: AssumeYesOpt = False,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="stop at a time gate instead of waiting")] = False,
    allow_non_trading_day: Annotated[
        bool, typer.Option("--allow-non-trading-day", help="run a trading-day runbook anyway (recorded)")
    ] = False,
    review_timeout: ReviewTimeoutOpt = "30m",
    max_parallel: MaxParallelOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Execute a runbook step by step, judging each result and recording everything in the journal."""
    from otcctl.run.journal import state_dir
    from otcctl.run.records import Operator
    from otcctl.run.session import RunRequest, start_run

    request = RunRequest(
        plan_request(name, param, run_date, inventory, runbooks),
        Operator.current(operator),
        assume_yes,
        no_wait,
        allow_non_trading_day,
        _seconds(review_timeout),
        max_parallel,
    )
    confirmer, listeners = _wiring(as_json, assume_yes)
    _exit(start_run(request, state_dir(), confirmer, listeners))


@app.command(epilog="otcctl resume 20261130-071554-market-open  # continue after the last finished step\n"
             "otcctl resume 20261130-0715 --in-flight done  # you checked the interrupted step did finish")
def resume(
    run_id: Annotated[str, typer.Argument(metavar="RUN_ID", help="the run to continue (see `otcctl runs`)",
                                          autocompletion=complete_run_id)],
    operator: OperatorOpt = None,
    assume_yes: AssumeYesOpt = False,
    in_flight: Annotated[
        str | None,
        typer.Option("--in-flight", metavar="[rerun|done]", help="for the step that was running: 'rerun' it or "
                     "record it 'done'", autocompletion=lambda: ["rerun", "done"]),
    ] = None,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="stop at a time gate instead of waiting")] = False,
    review_timeout: ReviewTimeoutOpt = "30m",
    max_parallel: MaxParallelOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Continue an interrupted run after its last finished step; the interrupted step is decided by you."""
    from otcctl.plan.prepare import PlanRequest
    from otcctl.run.journal import state_dir
    from otcctl.run.records import Operator
    from otcctl.run.session import RunRequest, resume_run

    if in_flight not in (None, "rerun", "done"):
        raise InputError.at("--in-flight", _("{value!r} is not 'rerun' or 'done'").format(value=in_flight))
    decision: Literal["rerun", "done"] | None = in_flight  # type: ignore[assignment]
    request = RunRequest(PlanRequest(run_id), Operator.current(operator), assume_yes, no_wait,
                         max_parallel=max_parallel, review_timeout=_seconds(review_timeout))
    confirmer, listeners = _wiring(as_json, assume_yes)
    _exit(resume_run(run_id, request, state_dir(), confirmer, listeners, decision))


@app.command("runs", epilog="otcctl runs  # newest first\n"
             "otcctl runs --since 2026-11-01 --outcome failed\notcctl runs --json  # for scripts")
def list_runs(
    runbook: Annotated[str | None, typer.Option("--runbook", help="only this runbook")] = None,
    since: Annotated[str | None, typer.Option("--since", help="started on or after this day (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, typer.Option("--until", help="started on or before this day (YYYY-MM-DD)")] = None,
    outcome: Annotated[
        str | None, typer.Option("--outcome", help="passed, failed, aborted, interrupted, incomplete")
    ] = None,
    env: Annotated[str | None, typer.Option("--env", help="production, lab or test")] = None,
    operator: Annotated[str | None, typer.Option("--operator", help="a login, sudo user or stated name")] = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", min=1, help="at most this many runs, newest first (default 50 on screen, all with --json)")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="every run that matches, however many")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List recorded runs, newest first: environment, trading date, start, operators, outcome, exceptions."""
    from otcctl.output.history_view import print_runs
    from otcctl.run.history import RUNS_PAGE, RunFilter, history
    from otcctl.run.journal import state_dir

    wanted = RunFilter(runbook, date_option(since, "--since"), date_option(until, "--until"), outcome, env, operator)
    page_size = None if show_all or (as_json and limit is None) else (limit or RUNS_PAGE)
    page = history(state_dir(), wanted, page_size)
    if as_json:
        json_out([row.to_json() for row in page.rows])
        return
    from otcctl.output.console import make_console

    print_runs(make_console(), page.rows, page.matched)



@app.command(epilog="otcctl log 20261130-071554-market-open  # the whole record of one run\n"
             "otcctl log 20261130-0715 --json  # the journal records as they are")
def log(
    run_id: Annotated[str, typer.Argument(metavar="RUN_ID", help="the run to show (a unique start of the id is "
                                          "enough), or 'last'", autocompletion=complete_run_id)],
    as_json: JsonOpt = False,
) -> None:
    """Show one run's journal: every step, what it found, who confirmed what and when; warns on a broken chain."""
    from otcctl.output.log_view import print_log
    from otcctl.run.audit import check_journal
    from otcctl.run.journal import find_run, read_journal, state_dir
    from otcctl.run.ledger import read_ledger

    state = state_dir()
    path = find_run(state, run_id)
    reading = read_journal(path)
    ledger = read_ledger(state)
    chain = check_journal(path, ledger.by_run.get(reading.run_id, []) if ledger.exists else None)
    if as_json:
        json_out(
            {
                "run_id": reading.run_id,
                "journal": str(reading.path),
                "chain": {"ok": chain.problem is None, "head": chain.head, "problem": str(chain.problem or "")},
                "problems": [reading.describe(p) for p in reading.problems],
                "records": [{**e.stamp.model_dump(exclude_none=True), **e.record.to_json()} for e in reading.entries],
            }
        )
        return
    from otcctl.output.console import make_console

    print_log(make_console(), reading, chain)


@app.command(epilog="otcctl doctor -i lab/inventory.yaml  # check the lab before a rehearsal\n"
             "otcctl doctor --first-run  # also read on site what the lab cannot rehearse\n"
             "otcctl doctor --json  # the findings for monitoring")
def doctor(
    inventory: InventoryOpt = None,
    as_json: JsonOpt = False,
    first_run: Annotated[bool, typer.Option(
        "--first-run", help="Also read on each host what the lab cannot rehearse (WinRM quotas, UAC, code page, "
        "PowerShell, services, sudo, SQL*Plus output); changes nothing.")] = False,
) -> None:
    """Check that this machine can reach every host and database of the inventory (logs in, runs nothing else)."""
    import os

    from otcctl.plan.prepare import load_default_inventory
    from otcctl.run.doctor import run_doctor

    loaded = load_default_inventory(inventory)
    if os.environ.get("OTCCTL_FORBID_PRODUCTION") == "1" and loaded.inventory.environment == "production":
        raise InputError.at(loaded.path, _(
            "this machine is marked OTCCTL_FORBID_PRODUCTION=1: it must never connect "
            "to the production estate; use the lab's inventory"))
    findings = [*run_doctor(loaded, first_run=first_run), _font_finding()]
    if as_json:
        json_out([{"check": f.check, "target": f.target, "ok": f.ok, "detail": f.detail} for f in findings])
    else:
        from otcctl.output.console import make_console, make_table
        from otcctl.output.messages import translate

        console = make_console()
        table = make_table(console, _("check"), _("target"), _("result"), _("detail"))
        for f in findings:
            table.add_row(f.check, f.target, _("ok") if f.ok else _("FAIL"), translate(f.detail))
        console.print(table)
    raise typer.Exit(ExitCode.OK if all(f.ok for f in findings) else ExitCode.FAILED)


def _font_finding() -> "Finding":
    """The printouts' CJK font: a local prerequisite of ``checklist`` and ``report``."""
    from otcctl.errors import OtcctlError
    from otcctl.output.checklist_pdf import find_cjk_font
    from otcctl.run.doctor import Finding

    try:
        path = find_cjk_font()
    except OtcctlError as exc:
        return Finding("pdf font", "CJK", False, str(exc))
    return Finding("pdf font", "CJK", True, str(path))
