"""``otcctl show``: a runbook as written, its parameters and its steps in the manual's columns."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from otcctl.i18n import _
from otcctl.model.load import LoadedRunbook
from otcctl.output.console import make_table
from otcctl.output.list_view import CADENCE_ZH, runbook_summary
from otcctl.output.plan_view import step_fields


def runbook_to_json(loaded: LoadedRunbook) -> dict[str, Any]:
    """The runbook for ``--json``: summary, parameters, steps as validated."""
    rb = loaded.runbook
    return {
        **runbook_summary(loaded),
        "manual_section": rb.manual_section,
        "description": rb.description,
        "sha256": loaded.sha256,
        "params": {name: p.model_dump(mode="json", exclude_none=True) for name, p in rb.params.items()},
        "steps": [step_fields(step) for step in rb.steps],
        "rollback_steps": [step_fields(step) for step in rb.rollback_steps],
    }


def print_runbook(console: Console, loaded: LoadedRunbook) -> None:
    """Header, parameters, then the manual's table: 序号 时间 主机 操作内容 结果判断 备注."""
    rb = loaded.runbook
    console.print(f"{rb.name}  {rb.title}", markup=False)
    console.print(
        _("{cadence} ({code}), version {version}, {section}").format(
            cadence=CADENCE_ZH[rb.cadence], code=rb.cadence, version=rb.version, section=rb.manual_section)
        + (_(", trading days only") if rb.trading_day_only else ""),
        markup=False,
    )
    if rb.description:
        console.print(" ".join(rb.description.split()), markup=False)
    if rb.params:
        params = make_table(console, _("parameter"), _("type"), _("default"), _("description"),
                            title=_("parameters"))
        for name, p in rb.params.items():
            default = _("(required)") if p.default is None else str(p.default)
            params.add_row(name, p.type, default, p.description)
        console.print(params)
    for title, steps in ((_("steps"), rb.steps), (_("rollback steps"), rb.rollback_steps)):
        if not steps:
            continue
        table = make_table(console, "序号", "时间", "主机", "操作内容", "结果判断", "备注", _("kind"), title=title)
        for index, step in enumerate(steps, start=1):
            hosts = ", ".join(getattr(step, "targets", []) or []) or getattr(step, "where", "") or "-"
            data_file = getattr(step, "data_file", None)
            if data_file:
                hosts = str(data_file)
            table.add_row(
                step.no or str(index),
                step.when or "",
                hosts,
                step.action,
                step.judge or "",
                step.remark or "",
                step.kind,
            )
        console.print(table)
