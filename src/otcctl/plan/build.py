"""Runbook x inventory x parameters -> the exact plan: every command, host and check, no network.

The dry run renders this plan and stops; a real run executes the same plan. Building it opens
no connection and imports no transport library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from otcctl.errors import InputError
from otcctl.model import schema as s
from otcctl.model.conditions_schema import Condition
from otcctl.model.durations import parse_clock
from otcctl.model.inventory import Host, LoadedInventory, Service
from otcctl.model.load import LoadedRunbook, check_against_inventory
from otcctl.model.templates import Context, TemplateError, render
from otcctl.plan.params import resolve_params
from otcctl.plan.sql_route import describe_route
from otcctl.plan.steps import (
    RISK_ORDER,
    PlannedFile,
    PlannedLocal,
    PlannedManual,
    PlannedNotify,
    PlannedPause,
    PlannedPort,
    PlannedReboot,
    PlannedService,
    PlannedServiceStep,
    PlannedShell,
    PlannedSql,
    PlannedStep,
    PlannedTarget,
    PlannedTimeGate,
    PlannedWinrm,
    Risk,
)

NOTIFY_CHANNEL_TIMEOUT = 60.0
__all__ = ["Plan", "PlannedService", "PlannedStep", "PlannedTarget", "build_plan", "service_command"]


@dataclass(frozen=True)
class Plan:
    """A runbook ready to execute or to show."""

    runbook: s.Runbook
    runbook_path: str
    runbook_sha256: str
    inventory: LoadedInventory
    params: dict[str, str]
    steps: tuple[PlannedStep, ...]
    rollback_steps: tuple[PlannedStep, ...]
    skipped: tuple[str, ...] = ()

    @property
    def every_step(self) -> tuple[PlannedStep, ...]:
        """The steps in order, then the rollback steps: everything a run may execute (and must be ready for)."""
        return (*self.steps, *self.rollback_steps)

    def rollback_step(self, step_id: str) -> PlannedStep:
        """The planned rollback step of that id."""
        return next(p for p in self.rollback_steps if p.id == step_id)


def build_plan(loaded: LoadedRunbook, inventory: LoadedInventory, overrides: dict[str, str], run_date: date) -> Plan:
    """Validate the runbook against the inventory, resolve parameters and render every step."""
    problems = check_against_inventory(loaded, inventory.inventory, str(inventory.path))
    if problems:
        raise InputError(problems)
    params = resolve_params(loaded, overrides, run_date)
    rb = loaded.runbook
    builder = _StepRenderer(inventory, params, loaded)
    steps = tuple(builder.render(i, step, ("steps", i)) for i, step in enumerate(rb.steps) if _enabled(step, params))
    rollback = tuple(
        builder.render(i, step, ("rollback_steps", i), is_rollback=True)
        for i, step in enumerate(rb.rollback_steps)
        if _enabled(step, params)
    )
    skipped = tuple(
        f"{step.id} ({step.enabled_by}={params.get(str(step.enabled_by))})"
        for step in [*rb.steps, *rb.rollback_steps]
        if not _enabled(step, params)
    )
    return Plan(rb, str(loaded.path), loaded.sha256, inventory, params, steps, rollback, skipped)


def _enabled(step: s.Step, params: dict[str, str]) -> bool:
    """An opt-in step (``enabled_by``) is planned only when its parameter is 'yes'."""
    return step.enabled_by is None or params.get(step.enabled_by) == "yes"


class _StepRenderer:
    def __init__(self, inventory: LoadedInventory, params: dict[str, str], loaded: LoadedRunbook) -> None:
        self.inv = inventory.inventory
        self.params = params
        self.loaded = loaded

    def render(self, index: int, step: s.Step, loc: tuple[str | int, ...], is_rollback: bool = False) -> PlannedStep:
        try:
            return self._render(index, step, is_rollback)
        except TemplateError as exc:
            raise InputError(self.loaded.source.problem(loc, str(exc))) from None

    def _t(self, text: str | None, context: Context) -> str:
        return render(text or "", self.params, context)

    def _render(self, index: int, step: s.Step, is_rollback: bool) -> PlannedStep:
        no = step.no or (f"R{index + 1}" if is_rollback else str(index + 1))
        expect = getattr(step, "expect", None)
        text = {k: self._t(getattr(step, k), "raw").strip() for k in ("action", "judge", "remark") if getattr(step, k)}
        common = _Common(
            index=index,
            no=no,
            is_rollback=is_rollback,
            condition=expect.describe() if isinstance(expect, Condition) else _implicit_condition(step),
            text=text,
            risk=effective_risk(step),
            retry_attempts=step.retry.attempts,
            retry_delay=step.retry.delay,
            confirm=step.confirm,
        )
        hosts = self.inv.resolve_targets(step.targets) if isinstance(step, s.TargetedStep) else []
        match step:
            case s.ShellStep():
                targets = tuple(self._target(h, command=self._per_host(step.command, h, "sh")) for h in hosts)
                return PlannedShell(**common.kw(), step=step, targets=targets, timeout=step.timeout, order=step.order)
            case s.WinrmStep():
                context: Context = "powershell" if step.shell == "powershell" else "cmd"
                targets = tuple(self._target(h, command=self._per_host(step.command, h, context)) for h in hosts)
                return PlannedWinrm(
                    **common.kw(), step=step, targets=targets, timeout=step.timeout, order=step.order, shell=step.shell
                )
            case s.LocalStep():
                local = PlannedTarget("local", "localhost", "local", 0, command=self._t(step.command, "sh"))
                env = tuple(step.environment)
                return PlannedLocal(**common.kw(), step=step, targets=(local,), timeout=step.timeout, environment=env)
            case s.PortStep():
                return PlannedPort(
                    **common.kw(),
                    step=step,
                    targets=tuple(self._target(h, ports=self._ports(step, h)) for h in hosts),
                    timeout=step.timeout,
                    order=step.order,
                    state=step.state,
                    connect_timeout=min(step.connect_timeout, step.timeout),
                )
            case s.FileStep():
                return self._file(step, common)
            case s.ServiceStep():
                want = step.expect_state or ("stopped" if step.operation == "stop" else "running")
                return PlannedServiceStep(
                    **common.kw(),
                    step=step,
                    targets=tuple(self._services(step, h) for h in hosts),
                    timeout=step.timeout,
                    order=step.order,
                    operation=step.operation,
                    want=want,
                    settle=min(step.settle, step.timeout),
                )
            case s.RebootStep():
                return PlannedReboot(
                    **common.kw(),
                    step=step,
                    targets=tuple(self._target(h, command=self._reboot(h)) for h in hosts),
                    timeout=step.timeout,
                    order=step.order,
                    down_timeout=min(step.down_timeout, step.timeout),
                    up_timeout=min(step.up_timeout, step.timeout),
                    check_services=step.check_services,
                )
            case s.SqlStep():
                return self._sql(step, common)
            case s.NotifyStep():
                return self._notify(step, common)
            case s.ManualStep():
                common.text["instructions"] = self._t(step.instructions, "raw").strip()
                return PlannedManual(**common.kw(), step=step, where=self._where(step.where))
            case s.PauseStep():
                common.text["prompt"] = self._t(step.prompt, "raw").strip()
                return PlannedPause(**common.kw(), step=step, where="操作员")
            case s.TimeGateStep():
                try:
                    gate = parse_clock(self._t(step.not_before, "raw")).strftime("%H:%M")
                except ValueError as exc:
                    raise TemplateError(str(exc)) from None
                common.condition = f"北京时间不早于 {gate}"
                return PlannedTimeGate(
                    **common.kw(), step=step, where="-", gate=gate, mode=step.mode, timeout=step.timeout
                )
        raise AssertionError(f"no renderer for step kind {step.kind}")

    def _sql(self, step: s.SqlStep, common: _Common) -> PlannedSql:
        db = self.inv.databases[step.database]
        host_id = db.primary_host if step.on_host == "primary" else (db.standby_host or db.primary_host)
        return PlannedSql(
            **common.kw(),
            step=step,
            targets=(self._target(host_id),),
            timeout=step.timeout,
            database=step.database,
            sql=step.sql.strip(),
            binds={k: self._t(v, "raw") for k, v in step.binds.items()},
            database_route=db.route,
            route_detail=describe_route(
                db,
                host_id=host_id,
                host_address=self.inv.hosts[host_id].address,
                login_user=self.inv.hosts[host_id].user,
            ),
            max_rows=step.max_rows,
        )

    def _notify(self, step: s.NotifyStep, common: _Common) -> PlannedNotify:
        common.text["subject"] = self._t(step.subject, "raw").strip()
        common.text["message"] = self._t(step.message, "raw").strip()
        recipients = tuple(
            f"{self.inv.departments[d].name} <{', '.join(self.inv.departments[d].email) or '电话'}>"
            for d in step.departments
        )
        return PlannedNotify(
            **common.kw(),
            step=step,
            where="、".join(self.inv.departments[d].name for d in step.departments),
            departments=tuple(step.departments),
            channels=tuple(step.channels),
            recipients=recipients,
            channel_timeout=NOTIFY_CHANNEL_TIMEOUT,
        )

    def _per_host(self, text: str, host_id: str, context: Context) -> str:
        """A command for one host: ``{{host_id}}`` and ``{{host_address}}`` name the host it runs on."""
        values = {**self.params, "host_id": host_id, "host_address": self.inv.hosts[host_id].address}
        return render(text, values, context)

    def _target(self, host_id: str, **extra: Any) -> PlannedTarget:
        host = self.inv.hosts[host_id]
        return PlannedTarget(host_id, host.address, host.transport, host.port, **extra)

    def _where(self, where: str) -> str:
        if where in self.inv.manual_only:
            return f"{where} ({self.inv.manual_only[where].role})"
        if where in self.inv.hosts:
            return f"{where} ({self.inv.hosts[where].role})"
        return where

    def _ports(self, step: s.PortStep, host_id: str) -> tuple[tuple[int, str], ...]:
        host = self.inv.hosts[host_id]
        found: dict[int, str] = {p: f"port {p}" for p in step.ports}
        for name in step.services:
            for service in _named_services(host, name):
                if service.port is not None:
                    found.setdefault(service.port, service.title)
        return tuple(sorted(found.items()))

    def _file(self, step: s.FileStep, common: _Common) -> PlannedFile:
        if step.data_file is not None:
            data_file = self.inv.data_files[step.data_file]
            values = {**self.params, "type": step.file_type or ""}
            path = render(data_file.path, values, "path")
            hosts = [data_file.host]
        else:
            path = self._t(step.path, "path")
            hosts = self.inv.resolve_targets(step.targets)
        return PlannedFile(
            **common.kw(),
            step=step,
            targets=tuple(self._target(h, path=path) for h in hosts),
            timeout=step.timeout,
            exists=step.exists,
            max_age=step.max_age,
            min_size=step.min_size,
            stable_for=min(step.stable_for, step.timeout),
            ofd=step.ofd,
        )

    def _services(self, step: s.ServiceStep, host_id: str) -> PlannedTarget:
        host = self.inv.hosts[host_id]
        chosen: list[Service] = []
        for name in step.services:
            chosen.extend(x for x in _named_services(host, name) if x not in chosen)
        chosen.sort(key=lambda x: x.start_order or 0, reverse=step.operation == "stop")
        planned = tuple(
            PlannedService(
                x.name,
                x.title,
                x.port,
                service_command(host, x, "status"),
                None if step.operation == "status" else service_command(host, x, step.operation),
            )
            for x in chosen
        )
        return self._target(host_id, services=planned)

    def _reboot(self, host_id: str) -> str:
        host = self.inv.hosts[host_id]
        if host.reboot_command:
            return host.reboot_command
        return "shutdown /r /t 0 /d p:4:1 /c otcctl" if host.os == "windows" else "sudo /sbin/shutdown -r now"


def _named_services(host: Host, name: str) -> list[Service]:
    if name == "all":
        return list(host.services)
    if name == "middleware":
        return [x for x in host.services if x.middleware]
    found = host.service(name)
    return [found] if found else []


def service_command(host: Host, service: Service, operation: str) -> str:
    """The exact command that queries, stops or starts a service on its host."""
    if host.os == "windows":
        name = service.windows_service or service.name
        return f"sc {'query' if operation == 'status' else operation} {name}"
    override = {"status": service.status_command, "start": service.start_command, "stop": service.stop_command}
    if override[operation]:
        return str(override[operation])
    unit = service.unit or service.name
    return f"systemctl is-active {unit}" if operation == "status" else f"sudo systemctl {operation} {unit}"


def effective_risk(step: s.Step) -> Risk:
    """The kind's own risk, raised (never lowered) by the runbook's ``risk:``."""
    own = _kind_risk(step)
    if step.risk is not None and RISK_ORDER[step.risk] > RISK_ORDER[own]:
        return step.risk
    return own


def _kind_risk(step: s.Step) -> Risk:
    if isinstance(step, s.RebootStep):
        return "disruptive"
    if isinstance(step, s.ServiceStep):
        return {"status": "read", "start": "change", "stop": "disruptive"}[step.operation]  # type: ignore[return-value]
    if isinstance(step, s.ShellStep | s.WinrmStep | s.LocalStep | s.NotifyStep | s.ManualStep):
        return "change"
    if isinstance(step, s.SqlStep) and not re.match(r"\s*(select|with)\b", step.sql, re.IGNORECASE):
        return "change"  # a statement that is not a query changes the database
    return "read"


@dataclass
class _Common:
    """Fields every planned step has, gathered before the kind adds its own."""

    index: int
    no: str
    is_rollback: bool
    condition: str
    text: dict[str, str]
    risk: Risk
    retry_attempts: int
    retry_delay: float
    confirm: bool

    def kw(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__dataclass_fields__}


def _implicit_condition(step: s.Step) -> str:
    """How steps without an ``expect`` are judged."""
    if isinstance(step, s.PortStep):
        return f"每个端口 {'在监听' if step.state == 'open' else '已关闭'} (TCP connect)"
    if isinstance(step, s.FileStep):
        parts = ["存在" if step.exists else "不存在"]
        if step.min_size is not None:
            parts.append(f">= {step.min_size} 字节")
        if step.max_age is not None:
            parts.append(f"修改于 {step.max_age:g}s 内")
        if step.ofd:
            parts.append("OFD 格式校验通过")
        return "、".join(parts)
    if isinstance(step, s.ServiceStep):
        state = step.expect_state or {"status": "running", "stop": "stopped", "start": "running"}[step.operation]
        return f"服务状态 = {state}"
    if isinstance(step, s.RebootStep):
        return "主机重启后恢复应答" + ("，自启服务端口在监听" if step.check_services else "")
    if isinstance(step, s.NotifyStep):
        sent = "每个通知渠道均已发出 (邮件服务器接受了发给每个部门的邮件)"
        return sent + ("，并由操作员确认" if step.confirm else "")
    return "操作员确认"
