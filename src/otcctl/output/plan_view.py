"""Show plans: the dry run step by step, and the same as JSON."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

from otcctl.i18n import N_, _
from otcctl.model.durations import format_duration
from otcctl.plan.build import Plan
from otcctl.plan.steps import PlannedNotify, PlannedSql, PlannedStep, PlannedTarget, PlannedTimeGate, enforced_timeout

_POLICIES = (N_("stop"), N_("continue"), N_("ask"))
def step_fields(step: Any) -> dict[str, Any]:
    """A step's settings as JSON-able data (durations as text, as written)."""
    return dict(step.model_dump(mode="json", by_alias=True, exclude_none=True))


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The whole plan for ``--json``."""
    return {
        "runbook": plan.runbook.name,
        "title": plan.runbook.title,
        "version": plan.runbook.version,
        "runbook_path": plan.runbook_path,
        "runbook_sha256": plan.runbook_sha256,
        "inventory": str(plan.inventory.path),
        "inventory_sha256": plan.inventory.sha256,
        "environment": plan.inventory.inventory.environment,
        "params": plan.params,
        "steps": [_planned_step_json(p) for p in plan.steps],
        "rollback_steps": [_planned_step_json(p) for p in plan.rollback_steps],
        "not_planned": list(plan.skipped),
    }


def _planned_step_json(p: PlannedStep) -> dict[str, Any]:
    step = p.step
    return {
        "no": p.no,
        "id": p.id,
        "kind": p.kind,
        "when": step.when,
        "host": p.host_column,
        "action": p.text.get("action", step.action),
        "judge": p.text.get("judge"),
        "remark": p.text.get("remark"),
        "source": step.source,
        "targets": [
            {
                "host": t.host_id,
                "address": t.address,
                "transport": t.transport,
                "port": t.port,
                **({"command": t.command} if t.command else {}),
                **({"ports": [{"port": n, "service": name} for n, name in t.ports]} if t.ports else {}),
                **({"path": t.path} if t.path else {}),
                **(
                    {
                        "services": [
                            {"name": x.name, "status_command": x.status_command, "command": x.control_command}
                            for x in t.services
                        ]
                    }
                    if t.services
                    else {}
                ),
            }
            for t in p.targets
        ],
        "order": getattr(p, "order", None),
        "sql": p.sql if isinstance(p, PlannedSql) else None,
        "binds": (p.binds or None) if isinstance(p, PlannedSql) else None,
        "database_route": p.database_route if isinstance(p, PlannedSql) else None,
        "route_detail": p.route_detail if isinstance(p, PlannedSql) else None,
        "condition": p.condition,
        "timeout": _timeout_text(p),
        "risk": p.risk,
        "retry": {"attempts": p.retry_attempts, "delay": format_duration(p.retry_delay)},
        "on_failure": step.on_failure if isinstance(step.on_failure, str) else "rollback",
        "rollback": list(p.rollback),
        "confirm": p.confirm,
        "text": {k: v for k, v in p.text.items() if k not in ("action", "judge", "remark")},
        "recipients": list(p.recipients) if isinstance(p, PlannedNotify) else [],
    }


def print_plan(console: Console, plan: Plan) -> None:
    """The dry run: every step in order with exactly what it would send, and nothing sent."""
    rb = plan.runbook
    inv = plan.inventory.inventory
    heading = escape(_("DRY RUN"))
    console.print(f"[bold]{heading}[/bold] " + escape(_("{name}  {title}  (version {version})").format(
        name=rb.name, title=rb.title, version=rb.version)))
    console.print(escape(_("inventory: {path} ({environment}); nothing is connected to, nothing is sent").format(
        path=plan.inventory.path, environment=inv.environment)))
    if plan.params:
        console.print(escape(_("parameters: ") + ", ".join(f"{k}={v}" for k, v in plan.params.items())))
    if plan.skipped:
        console.print(escape(_("not planned (opt-in parameter is not yes): ") + ", ".join(plan.skipped)))
    console.print()
    for p in plan.steps:
        _print_step(console, p)
    if plan.rollback_steps:
        console.print(f"[bold]{escape(_('rollback steps'))}[/bold] "
                      + escape(_("(only run when a step's on_failure names them)")))
        console.print()
        for p in plan.rollback_steps:
            _print_step(console, p)


def _print_step(console: Console, p: PlannedStep) -> None:
    step = p.step
    head = f"[bold]{escape(p.no)}[/bold]  {escape(f'[{p.kind}]')} {escape(p.id)}"
    if step.when:
        head += f"  时间: {escape(step.when)}"
    console.print(head)
    console.print(f"    操作内容: {escape(p.text.get('action', step.action))}")
    order = getattr(p, "order", None)
    if p.targets:
        if len(p.targets) > 1 and order:
            how = _("one at a time in KVM order") if order == "kvm" else _("all hosts in parallel")
            console.print(escape("    " + _("order: {how}").format(how=how)))
        for t in p.targets:
            where = t.host_id if t.transport == "local" else f"{t.host_id} {t.address} {t.transport}:{t.port}"
            console.print(f"    主机: {escape(where)}")
            _print_target_detail(console, t)
    else:
        console.print(f"    主机: {escape(p.host_column)}")
    if isinstance(p, PlannedSql):
        console.print(escape("    " + _("route: {route}").format(route=p.route_detail or str(p.database_route))))
        console.print(f"    sql: {escape(' '.join(p.sql.split()))}")
        if p.binds:
            console.print("    binds: " + ", ".join(f":{k} = {v!r}" for k, v in p.binds.items()))
    for key, label in (
        ("subject", "subject"),
        ("message", "message"),
        ("instructions", "instructions"),
        ("prompt", "prompt"),
    ):
        if key in p.text:
            console.print(f"    {label}: {escape(p.text[key])}")
    if isinstance(p, PlannedNotify) and p.recipients:
        console.print("    to: " + escape("; ".join(p.recipients)))
    if isinstance(p, PlannedTimeGate):
        console.print(escape("    " + _("gate: not before {time} Asia/Shanghai ({mode})").format(
            time=p.gate, mode=p.mode)))
    if p.text.get("judge"):
        console.print(f"    结果判断: {escape(p.text['judge'])}")
    from otcctl.output.condition_words import condition_words

    words = condition_words(p)
    console.print(escape("    " + _("condition: {words}").format(words=words)))
    if words != p.condition:
        console.print(escape("      " + _("rule: {rule}").format(rule=p.condition)), style="dim")
    policy = _("rollback ") + ", ".join(p.rollback) if p.rollback else _(str(step.on_failure))
    retry = (_("{n}x every {delay}").format(n=p.retry_attempts, delay=format_duration(p.retry_delay))
             if p.retry_attempts > 1 else _("none"))
    line = _("timeout: {timeout}  retry: {retry}  on failure: {policy}  confirm: {confirm}")
    console.print(escape("    " + line.format(
        timeout=_timeout_text(p) or _("none"), retry=retry, policy=policy,
        confirm=_("yes") if p.confirm else _("no"))))
    console.print(escape("    " + _("risk: {risk}").format(risk=_(_RISK[p.risk]))))
    if p.text.get("remark"):
        console.print(f"    备注: {escape(p.text['remark'])}")
    source = step.source + ("" if step.manual_ref else " (docs/assumptions.md)")
    console.print(escape("    " + _("source: {source}").format(source=source)))
    console.print()


_RISK = {"read": N_("read"), "change": N_("change"), "disruptive": N_("disruptive (confirmed live in production)")}


def _timeout_text(p: PlannedStep) -> str | None:
    """The limit an executor enforces, as the operator reads it; None for kinds that have none."""
    seconds = enforced_timeout(p)
    if seconds is None:
        if isinstance(p, PlannedNotify):
            return _("{timeout} per channel").format(timeout=format_duration(p.channel_timeout))
        return None
    return format_duration(seconds)


def _print_target_detail(console: Console, t: PlannedTarget) -> None:
    if t.command:
        console.print(f"      $ {escape(t.command)}")
    for number, name in t.ports:
        console.print(f"      tcp {t.address}:{number}  {escape(name)}")
    if t.path:
        console.print(f"      file {escape(t.path)}")
    for x in t.services:
        line = f"      {escape(x.title)}: {escape(x.control_command or x.status_command)}"
        if x.control_command:
            line += "  " + escape(_("(then {command})").format(command=x.status_command))
        console.print(line)
