"""File steps: present (or absent), recent, large enough, no longer growing, well-formed OFD."""

from __future__ import annotations

import time
from pathlib import PurePosixPath
from typing import Any

from otcctl.connectors.base import ConnectionFailed, UnsupportedStep
from otcctl.plan.steps import PlannedFile, PlannedTarget
from otcctl.steps.base import Budget, StepContext, TargetResult

OFD_READ_LIMIT = 256 * 1024 * 1024


def check_file(planned: PlannedFile, target: PlannedTarget, ctx: StepContext, budget: Budget) -> TargetResult:
    """Stat, wait ``stable_for`` and stat again, then (for OFD) read and validate, within the timeout."""
    assert target.path is not None
    started = time.monotonic()
    reader = ctx.connections.files(target.host_id)
    first = reader.stat(target.path)
    if first is None:
        ok = not planned.exists
        return TargetResult(
            target.host_id,
            ok,
            f"{target.path} {'is absent, as required' if ok else 'has not arrived'}",
            duration=time.monotonic() - started,
        )
    if not planned.exists:
        return TargetResult(target.host_id, False, f"{target.path} exists but must not")
    problems: list[str] = []
    details: dict[str, Any] = {"size": first.size, "mtime": first.mtime}
    if planned.min_size is not None and first.size < planned.min_size:
        problems.append(f"size {first.size} bytes < {planned.min_size} (not fully arrived?)")
    if planned.max_age is not None:
        age = ctx.now().timestamp() - first.mtime
        if age > planned.max_age:
            problems.append(f"last modified {age:.0f}s ago, more than {planned.max_age:g}s")
    if planned.stable_for > 0 and not problems:
        quiet = _unchanged_for(ctx, target.host_id, first.mtime, budget)
        if quiet is not None and quiet >= planned.stable_for:
            details["unchanged_for"] = round(quiet, 1)  # the host's own clock: no need to watch it
        elif planned.stable_for > budget.left():
            problems.append(f"no time left within the step's {planned.timeout:g}s to see the size settle")
        else:
            ctx.sleep(planned.stable_for)
            if ctx.cancel.is_set():
                return TargetResult(target.host_id, False, "interrupted while watching the file")
            second = reader.stat(target.path)
            if second is None or (second.size, second.mtime) != (first.size, first.mtime):
                problems.append(f"still being written (size {first.size} -> {second.size if second else 'gone'})")
    if planned.ofd and not problems:
        from otcctl.domain.ofd import check_ofd_bytes

        data = reader.read(target.path, OFD_READ_LIMIT)
        if budget.spent:
            problems.append(f"reading the file took longer than the step's {planned.timeout:g}s")
        else:
            report = check_ofd_bytes(
                data, filename=PurePosixPath(target.path).name, expected_date=ctx.params["date"]
            )
            details["ofd"] = [str(p) for p in report.problems[:20]]
            if report.header is not None:
                details["records"] = report.records_found
            if not report.ok:
                problems.append(f"OFD check failed: {'; '.join(str(p) for p in report.problems[:5])}")
    reason = (
        "; ".join(problems)
        if problems
        else f"{target.path}: {first.size} bytes"
        + (f", valid OFD with {details.get('records', 0)} records" if planned.ofd else "")
    )
    return TargetResult(target.host_id, not problems, reason, duration=time.monotonic() - started, details=details)


def _unchanged_for(ctx: StepContext, host_id: str, mtime: float, budget: Budget) -> float | None:
    """Seconds since the file's modification time by the host's clock; None when that clock cannot be read.

    The host's clock, not this machine's: a host running behind would otherwise make a file
    still being written look old. ``date +%s`` truncates, so the figure errs on the short side.
    """
    try:
        output = ctx.connections.runner(host_id).run("date +%s", max(1.0, min(10.0, budget.left())), cancel=ctx.cancel)
    except (ConnectionFailed, UnsupportedStep):
        return None
    try:
        return float(output.stdout.strip()) - mtime if output.exit_code == 0 else None
    except ValueError:
        return None
