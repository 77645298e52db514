"""What a run looks like while it happens: live on a terminal, plain lines when piped, JSON events.

All three are listeners of the engine's events. The terminal prompt for confirmations lives
here too, because it shares the screen with the live progress.
"""

from __future__ import annotations

import json
import sys
import time
from typing import IO

from rich.console import Console, RenderableType
from rich.live import Live
from rich.markup import escape
from rich.spinner import Spinner
from rich.text import Text

from otcctl.run.confirm import Answer, ConfirmRequest
from otcctl.run.events import Event

MARK = {
    "passed": "PASS",
    "failed": "FAIL",
    "skipped": "SKIP",
    "aborted": "ABORT",
    "unknown": "????",
    "done-by-operator": "DONE",
}
STYLE = {"passed": "green", "failed": "red", "skipped": "yellow", "aborted": "red", "done-by-operator": "cyan"}


class _LiveStep:
    """What the live line shows while a step runs: spinner, step, host, elapsed time, last news."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.started = time.monotonic()
        self.message = ""
        self.spinner = Spinner("dots", style="green")

    def __rich__(self) -> RenderableType:
        elapsed = time.monotonic() - self.started
        text = Text(f" {self.label}  {elapsed:6.1f}s  {self.message}", overflow="ellipsis", no_wrap=True)
        from rich.table import Table

        row = Table.grid(padding=0)
        row.add_row(self.spinner.render(time.monotonic()), text)
        return row


class ConsoleRenderer:
    """Human output: a spinner with step, host and elapsed time on a terminal; one line per event otherwise."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live = console.is_terminal
        self._status: Live | None = None
        self._live_step: _LiveStep | None = None
        self._current = ""

    def on_event(self, event: Event) -> None:
        """Render one event."""
        data = event.data
        if event.kind == "step-started":
            self._current = f"{data['no']} {data['id']} [{data['kind']}] {data['host']}"
            self._line(f"[bold]>>[/bold] {escape(self._current)}  {escape(data.get('action', ''))}")
            if self.live:
                self._live_step = _LiveStep(self._current)
                self._status = Live(self._live_step, console=self.console, refresh_per_second=8, transient=True)
                self._status.start()
        elif event.kind == "step-progress":
            if self._live_step is not None:
                self._live_step.message = str(data["message"])
            else:
                self._line(f"   .. {escape(data['message'])}")
        elif event.kind == "step-finished":
            self._stop_status()
            outcome = data["outcome"]
            mark = MARK.get(outcome, outcome)
            style = STYLE.get(outcome, "")
            head = f"[{style}]{mark}[/{style}]" if style and self.live else mark
            self._line(
                f"{head} {escape(str(data['no']))} {escape(data['id'])}  {data['duration']:.1f}s  "
                f"{escape(data['reason'])}"
            )
        elif event.kind == "confirm-asked":
            self._stop_status()
        elif event.kind == "confirm-answered" and data["how"] != "terminal":
            self._line(f"   answer: {data['answer']} ({data['how']})")
        elif event.kind == "run-finished":
            self._stop_status()
            self._line(f"run {data['outcome']}" + (f"; journal: {data['journal']}" if "journal" in data else ""))
        elif event.kind == "note":
            self._line(escape(data.get("message", "")))

    def _line(self, text: str) -> None:
        self.console.print(text, highlight=False, soft_wrap=True)

    def _stop_status(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
            self._live_step = None

    def prompt(self, request: ConfirmRequest) -> tuple[Answer, str]:
        """Show the evidence and ask; used by the terminal confirmer."""
        self._stop_status()
        c = self.console
        c.rule(f"{request.no} {request.step_id}: {request.purpose}", style="bold")
        c.print(f"操作内容: {escape(request.action)}")
        for key, value in request.extra.items():
            c.print(f"{key}: {escape(value)}")
        if request.judge:
            c.print(f"结果判断: {escape(request.judge)}")
        if request.verdict:
            c.print(f"verdict: {escape(request.verdict)}")
        for item in request.evidence:
            c.print(f"  [{escape(item['host'])}] {'ok' if item['passed'] else 'NOT OK'}: {escape(item['reason'])}")
            output = (item.get("stdout") or "").strip()
            if output:
                for line in output.splitlines()[-15:]:
                    c.print(f"    | {escape(line)}", soft_wrap=True)
        choices = "/".join(request.choices)
        while True:
            answer = c.input(escape(f"{request.question} [{choices}] ")).strip().lower()
            expanded = next((ch for ch in request.choices if ch.startswith(answer)), None) if answer else None
            if expanded is not None:
                break
            c.print(escape(f"please answer one of: {choices}"))
        comment = c.input("comment (optional, recorded): ").strip()
        return expanded, comment


class JsonRenderer:
    """``--json``: one JSON object per event, one per line, for machines."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout

    def on_event(self, event: Event) -> None:
        """Write the event as a JSON line."""
        self.stream.write(json.dumps({"event": event.kind, **event.data}, ensure_ascii=False, default=str) + "\n")
        self.stream.flush()
