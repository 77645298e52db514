"""CLI commands compliance uses: verify the record.

Registered on the main Typer app; they parse, call :mod:`otcctl.run.audit` and friends, and map
the verdict to an exit code.
"""


from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from otcctl.cli.app import app
from otcctl.cli.complete import complete_run_id
from otcctl.cli.options import JsonOpt, json_out, write_printout
from otcctl.errors import ExitCode, InputError
from otcctl.i18n import N_, _

if TYPE_CHECKING:
    from otcctl.plan.build import Plan
    from otcctl.run.replay import Replay


@app.command(epilog="otcctl verify --all  # every journal and the ledger\n"
             "otcctl verify 20261130-0715  # one run; prints its chain head\n"
             "otcctl verify --all --json  # for monitoring")
def verify(
    run_id: Annotated[str | None, typer.Argument(metavar="RUN_ID", help="the run to check (default: every run, with "
                                                 "--all)", autocompletion=complete_run_id)] = None,
    every: Annotated[bool, typer.Option("--all", help="check every journal and the whole ledger")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check the journals' hash chains and the ledger; name the first record that does not fit (exit 1)."""
    from otcctl.run.audit import verify as check
    from otcctl.run.journal import state_dir

    if (run_id is None) == (not every):
        raise InputError.at("verify", N_("give a RUN_ID or --all (not both)"))
    state = state_dir()
    wanted = None if every else [_run_id(state, run_id or "")]
    report = check(state, wanted)
    if as_json:
        json_out(
            {
                "ok": report.ok,
                "ledger": {"path": str(report.ledger.path), "problem": str(report.ledger_problem or "") or None},
                "runs": [
                    {
                        "run_id": j.run_id,
                        "ok": j.problem is None,
                        "records": j.records,
                        "head": j.head,
                        "problem": str(j.problem) if j.problem else None,
                    }
                    for j in report.journals
                ],
            }
        )
    else:
        from otcctl.output.log_view import print_verify

        print_verify(report)
    raise typer.Exit(ExitCode.OK if report.ok else ExitCode.FAILED)


def _run_id(state: Path, given: str) -> str:
    from otcctl.run.journal import find_run
    from otcctl.run.ledger import read_ledger

    try:
        return find_run(state, given).stem
    except InputError:
        known = [r for r in read_ledger(state, check_chain=False).by_run if r.startswith(given)]
        if len(known) == 1:
            return known[0]  # the ledger knows it: verify reports the journal as gone
        raise


@app.command(epilog="otcctl approve 20261130-0715 --comment 已核对  # from your own login, not the operator's\n"
             "otcctl approve 20261130-0715 --reject --comment 端口未起  # the step fails")
def approve(
    run_id: Annotated[str, typer.Argument(metavar="RUN_ID", help="the run waiting for your review (see `otcctl runs`)",
                                          autocompletion=complete_run_id)],
    step: Annotated[str | None, typer.Option("--step", metavar="STEP",
                                             help="the step, when the run waits on more than one")] = None,
    reject: Annotated[bool, typer.Option("--reject", help="refuse the step's result instead (the step fails)")] = False,
    comment: Annotated[str, typer.Option("--comment", metavar="TEXT", help="recorded with your review")] = "",
) -> None:
    """Review a step as the second person (复核人) from your own login; the run records the OS account that did."""
    import os
    import socket

    from otcctl.output.console import make_console
    from otcctl.run.journal import find_run, state_dir
    from otcctl.run.records import login_name
    from otcctl.run.review import answer, pending

    state = state_dir()
    run = find_run(state, run_id).stem
    waiting = [r for r in pending(state, run) if step is None or r.get("step") == step]
    if not waiting:
        raise InputError.at(run, "this run is not waiting for a review" + (f" of step {step}" if step else ""))
    if len(waiting) > 1:
        raise InputError.at(run, N_("the run waits on several steps; name one with --step"))
    request = waiting[0]
    if os.geteuid() == 0:
        raise InputError.at(
            "approve", N_("root cannot review: it hides who you are. Run `otcctl approve` from your own login.")
        )
    me = login_name()
    console = make_console()
    console.print(
        f"run {run}, step {request.get('no')} {request.get('step')}: {request.get('action')}\n"
        f"result: {request.get('result')}\noperator: {request.get('operator')}",
        markup=False,
    )
    if me in (request.get("operator_person"), request.get("operator_login")):
        raise InputError.at(run, f"{me}: the operator's own login cannot review the operator's step")
    answer(state, run, str(request["step"]), "reject" if reject else "approve", comment, socket.gethostname())
    console.print(f"{'rejected' if reject else 'approved'} by {me}@{socket.gethostname()}", markup=False)


@app.command(epilog="otcctl report last -o run.pdf  # the newest run, to print and sign\n"
             "otcctl report 20261130-0715 --format html -o run.html\n"
             "otcctl report 20261130-0715 --format json  # for archiving")
def report(
    run_id: Annotated[str, typer.Argument(metavar="RUN_ID", help="the run (see `otcctl runs`), or 'last'",
                                          autocompletion=lambda incomplete: ["last", *complete_run_id(incomplete)])],
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="[pdf|html|md|text|json]",
                                     help="pdf, html, md, text or json",
                                     autocompletion=lambda: ["pdf", "html", "md", "text", "json"])] = "pdf",
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE", help="write to this file")] = None,
) -> None:
    """The filled record of a run: the checklist's columns with each step's actual result, answers and reviews."""

    from otcctl.output.printout import render_sheet
    from otcctl.output.report import build_report, report_json
    from otcctl.run.audit import check_journal
    from otcctl.run.journal import find_run, read_journal, state_dir
    from otcctl.run.ledger import read_ledger
    from otcctl.run.replay import replay

    if fmt not in ("pdf", "html", "md", "text", "json"):
        raise InputError.at("--format", _("{value!r} is not one of pdf, html, md, text, json").format(value=fmt))
    state = state_dir()
    path = find_run(state, run_id)
    reading = read_journal(path)
    story = replay(reading.run_id, reading.entries)
    if story.header is None:
        raise InputError.at(path, N_("this journal has no readable run-started record; there is nothing to report"))
    ledger = read_ledger(state)
    chain = check_journal(path, ledger.by_run.get(reading.run_id, []) if ledger.exists else None)
    sheet = build_report(story, chain, _plan_of(story))
    if fmt == "json":
        json_out(report_json(story, chain, sheet))
        return
    write_printout(render_sheet(sheet, fmt), output, fmt, f"; chain head {chain.head}")  # type: ignore[arg-type]
    if chain.problem is not None:
        typer.echo(_("warning: {text}").format(text=_("the hash chain is broken: {problem}").format(
            problem=chain.problem)), err=True)


def _plan_of(story: "Replay") -> "Plan | None":
    """The plan the run executed, when its runbook and inventory still have the recorded digests."""
    from otcctl.domain.clock import parse_date
    from otcctl.errors import OtcctlError
    from otcctl.plan.prepare import PlanRequest, prepare_plan

    header = story.header
    if header is None:
        return None
    try:
        plan = prepare_plan(
            PlanRequest(
                header.runbook_path, dict(header.overrides), parse_date(header.params["date"]), Path(header.inventory)
            )
        )
    except (OtcctlError, OSError, KeyError, ValueError):
        return None
    if (plan.runbook_sha256, plan.inventory.sha256) != (header.runbook_sha256, header.inventory_sha256):
        return None
    return plan
