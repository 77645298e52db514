"""SQL steps: one query with bind variables, judged on its rows; Ctrl-C breaks the query off."""

from __future__ import annotations

from otcctl.connectors.base import OUTPUT_LIMIT, SqlFailed
from otcctl.plan.steps import PlannedSql
from otcctl.steps.base import Budget, StepContext, TargetResult
from otcctl.steps.conditions import Observation, judge


def run_query(planned: PlannedSql, ctx: StepContext, budget: Budget) -> TargetResult:
    """Query by the inventory's route within the step's timeout; a failed query is a failed verdict."""
    target = planned.targets[0]
    runner = ctx.connections.sql(planned.database, target.host_id)
    try:
        result = runner.query(
            planned.sql,
            planned.binds,
            budget.left(),
            planned.max_rows,
            cancel=ctx.cancel,
            on_sent=lambda: ctx.sent(target.host_id),
        )
    except SqlFailed as exc:
        return TargetResult(target.host_id, False, str(exc), final=exc.final)
    verdict = judge(planned.step.expect, Observation(columns=result.columns, rows=result.rows))
    shown = "\n".join(" | ".join("" if v is None else str(v) for v in row) for row in result.rows[:20])
    header = " | ".join(result.columns)
    return TargetResult(
        target.host_id,
        verdict.passed,
        verdict.reason,
        stdout=f"{header}\n{shown}"[:OUTPUT_LIMIT],
        duration=result.duration,
        details={"rows": len(result.rows)},
    )
