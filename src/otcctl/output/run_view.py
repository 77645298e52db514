"""What a run looks like while it happens: live on a terminal, plain lines when piped, JSON events.

All three are listeners of the engine's events. The terminal prompt for confirmations lives
here too, because it shares the screen with the live progress.
"""

from __future__ import annotations

import json
import sys
import time
from typing import IO, TYPE_CHECKING

from rich.console import Console, RenderableType
from rich.markup import escape, render
from rich.text import Text

from otcctl.i18n import N_, _
from otcctl.output.labels import (
    ANSWER_MEANING,
    ANSWERS,
    HOW,
    OUTCOMES,
    QUESTIONS,
    RUN_OUTCOMES,
    parse_answer,
    word,
)
from otcctl.output.messages import translate, translate_reason
from otcctl.output.sanitize import shown as visible
from otcctl.run.confirm import Answer, ConfirmRequest
from otcctl.run.events import Event

if TYPE_CHECKING:
    from rich.live import Live

MARK = OUTCOMES  # codes -> words; word(MARK, code) in the chosen language
STYLE = {
    "passed": "green",
    "failed": "red",
    "skipped": "yellow",
    "waived": "yellow",
    "aborted": "red",
    "done-by-operator": "cyan",
    "rolled-back": "magenta",
}


class _LiveStep:
    """What the live line shows while a step runs: spinner, step, host, elapsed time, last news."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.started = time.monotonic()
        self.message = ""
        from rich.spinner import Spinner  # terminal only: a piped run never loads it

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
        self._remarks: dict[str, str] = {}
        self._explained: set[tuple[str, str]] = set()
        self.run_id: str | None = None

    def on_event(self, event: Event) -> None:
        """Render one event."""
        data = event.data
        if data.get("run_id"):
            self.run_id = str(data["run_id"])
        if event.kind == "step-started":
            if data.get("remark"):
                self._remarks[str(data["id"])] = str(data["remark"])
            self._current = f"{data['no']} {data['id']} [{data['kind']}] {data['host']}"
            self._line(f"[bold]>>[/bold] {escape(self._current)}  {escape(data.get('action', ''))}")
            if self.live:
                self._live_step = _LiveStep(self._current)
                from rich.live import Live

                self._status = Live(self._live_step, console=self.console, refresh_per_second=8, transient=True)
                self._status.start()
        elif event.kind == "step-progress":
            if self._live_step is not None:
                self._live_step.message = visible(str(data["message"]))
            else:
                self._line(f"   .. {escape(data['message'])}")
        elif event.kind == "step-finished":
            self._stop_status()
            outcome = data["outcome"]
            mark = escape(word(MARK, outcome))
            style = STYLE.get(outcome, "")
            head = f"[{style}]{mark}[/{style}]" if style and self.live else mark
            self._line(
                f"{head} {escape(str(data['no']))} {escape(data['id'])}  {data['duration']:.1f}s  "
                f"{escape(translate_reason(str(data['reason'])))}"
            )
            if outcome == "failed" and self._remarks.get(str(data["id"])):
                self._line("   " + escape(f"备注: {self._remarks[str(data['id'])]}"))
        elif event.kind == "confirm-asked":
            self._stop_status()
        elif event.kind == "confirm-answered" and data["how"] != "terminal":
            self._line("   " + escape(_("answer: {answer} ({how})").format(
                answer=word(ANSWERS, data["answer"]), how=word(HOW, data["how"]))))
        elif event.kind == "run-finished":
            self._stop_status()
            outcome = data["outcome"]
            journal = _("; journal: {journal}").format(journal=data["journal"]) if "journal" in data else ""
            self._line(escape(_("run {outcome}").format(outcome=word(RUN_OUTCOMES, outcome)) + journal))
            if "head" in data:
                head = _("chain head (write it on the sheet; otcctl verify shows it): {head}").format(head=data["head"])
                self._line(escape(head))
            if outcome != "passed" and self.run_id:
                self._line(escape(_("next: find the cause (otcctl log {run_id}), fix it, then continue with: "
                                    "otcctl resume {run_id}").format(run_id=self.run_id)))
        elif event.kind == "note":
            self._line(escape(translate(str(data.get("message", "")))))

    def _line(self, text: str) -> None:
        if self.live:
            self.console.print(visible(text), highlight=False, soft_wrap=True)
            return
        # Piped or redirected: the same words without styles, one whole line per event. Written
        # straight to the stream: rich's print (terminal size, environment, segments) would cost
        # more than the step's own bookkeeping, a hundred times over in a long runbook.
        if self.console.quiet:
            return
        stream = self.console.file
        try:
            stream.write(render(visible(text)).plain + "\n")
            stream.flush()  # a log being tailed (otcctl run ... | tee) shows each line as it happens
        except BrokenPipeError:  # `otcctl run ... | head`: the view goes quiet, the run goes on
            self.console.on_broken_pipe()

    def _stop_status(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
            self._live_step = None

    def prompt(self, request: ConfirmRequest) -> tuple[Answer, str]:
        """Show the evidence, what each choice does (once per run), and ask; used by the terminal confirmer."""
        self._stop_status()
        c = self.console
        c.rule(escape(f"{request.no} {request.step_id}: ") + escape(_(_PURPOSE_TITLE.get(request.purpose, ""))),
               style="bold")
        c.print(visible(escape(f"操作内容: {request.action}")))
        for key, value in request.extra.items():
            c.print(visible(escape(f"{_EXTRA_LABELS.get(key, key)}: {value}")))
        if request.judge:
            c.print(visible(escape(f"结果判断: {request.judge}")))
        if request.verdict:
            c.print(visible(escape(_("verdict: {verdict}").format(verdict=translate_reason(request.verdict)))))
        for item in request.evidence:
            state = _("ok") if item["passed"] else _("NOT OK")
            c.print(visible(escape(f"  [{item['host']}] {state}: {translate_reason(str(item['reason']))}")))
            output = (item.get("stdout") or "").strip()
            if output:
                for line in output.splitlines()[-15:]:
                    c.print(visible(f"    | {escape(line)}"), soft_wrap=True)
        self._explain(request)
        shown = "/".join(word(ANSWERS, ch) for ch in request.choices)
        while True:
            typed = c.input(escape(f"{_(_question(request))} [{shown}] "))
            answer = parse_answer(typed, request.choices)
            if answer is not None:
                break
            c.print(escape(_("please answer one of: {choices}").format(choices=shown)))
        needs_reason = request.purpose == "failure" and answer in ("yes", "skip")
        while True:
            label = _("reason (required, recorded): ") if needs_reason else _("comment (optional, recorded): ")
            comment = c.input(escape(label)).strip()
            if comment or not needs_reason:
                return answer, comment  # type: ignore[return-value]
            c.print(escape(_("going on after a failure, or skipping it, needs a reason for the record")))

    def _explain(self, request: ConfirmRequest) -> None:
        """Each choice's meaning, the first time a run offers it for this kind of question."""
        new = [ch for ch in request.choices if (request.purpose, ch) not in self._explained]
        for ch in new:
            self._explained.add((request.purpose, ch))
            meaning = ANSWER_MEANING.get((request.purpose, ch))
            if meaning:
                self.console.print(escape(f"  {word(ANSWERS, ch)} = {_(meaning)}"), style="dim")


_PURPOSE_TITLE = {"confirm": N_("please confirm"), "failure": N_("the step failed"), "rollback": N_("rollback"),
                  "in-flight": N_("the step that was running when the run stopped"),
                  "disruptive": N_("disruptive step against production: confirm live")}
_EXTRA_LABELS = {"remark": "备注"}


def _question(request: ConfirmRequest) -> str:
    if request.purpose == "failure" and "Sending failed" in request.question:
        return QUESTIONS["notify-failure"]
    return QUESTIONS.get(request.purpose, request.question)


class JsonRenderer:
    """``--json``: one JSON object per event, one per line, for machines."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout
        self.run_id: str | None = None

    def on_event(self, event: Event) -> None:
        """Write the event as a JSON line, with the run id it belongs to."""
        self.run_id = str(event.data.get("run_id") or self.run_id or "") or None
        line = {"event": event.kind, "run_id": self.run_id, **event.data}
        self.stream.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
        self.stream.flush()
