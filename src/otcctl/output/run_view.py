"""What a run looks like while it happens: live on a terminal, plain lines when piped, JSON events.

All three are listeners of the engine's events. The terminal prompt for confirmations lives
here too, because it shares the screen with the live progress. A piped run never loads rich:
its lines are written straight to the stream (:meth:`ConsoleRenderer.plain`), and a console
is made only if the run has to ask the operator something.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

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
from otcctl.output.streams import silence
from otcctl.run.confirm import Answer, ConfirmRequest
from otcctl.run.events import Event

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live

Part = str | tuple[str, str]
"""A piece of a line: plain text, or ``(text, style)`` (the style shows on a terminal only)."""

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
        from rich.text import Text

        elapsed = time.monotonic() - self.started
        text = Text(f" {self.label}  {elapsed:6.1f}s  {self.message}", overflow="ellipsis", no_wrap=True)
        from rich.table import Table

        row = Table.grid(padding=0)
        row.add_row(self.spinner.render(time.monotonic()), text)
        return row


class ConsoleRenderer:
    """Human output: a spinner with step, host and elapsed time on a terminal; one line per event otherwise."""

    def __init__(self, console: Console | None = None, *, stream: IO[str] | None = None,
                 make_console: Callable[[], Console] | None = None) -> None:
        self._console = console
        self._make_console = make_console
        self.stream: IO[str] = stream if stream is not None else console.file if console is not None else sys.stdout
        self.live = console is not None and console.is_terminal
        self.quiet = False
        self._status: Live | None = None
        self._live_step: _LiveStep | None = None
        self._current = ""
        self._remarks: dict[str, str] = {}
        self._explained: set[tuple[str, str]] = set()
        self.run_id: str | None = None

    @classmethod
    def plain(cls, stream: IO[str], make_console: Callable[[], Console]) -> ConsoleRenderer:
        """Lines for a pipe or a file, without rich; ``make_console`` is called only to ask the operator."""
        return cls(stream=stream, make_console=make_console)

    @property
    def console(self) -> Console:
        """The rich console: the one given, or one made now (a piped run that must ask the operator)."""
        if self._console is None:
            if self._make_console is None:
                raise RuntimeError("this renderer writes plain lines and was given no way to make a console")
            self._console = self._make_console()
        return self._console

    def on_event(self, event: Event) -> None:
        """Render one event."""
        data = event.data
        if data.get("run_id"):
            self.run_id = str(data["run_id"])
        if event.kind == "step-started":
            if data.get("remark"):
                self._remarks[str(data["id"])] = str(data["remark"])
            self._current = f"{data['no']} {data['id']} [{data['kind']}] {data['host']}"
            self._line((">>", "bold"), f" {self._current}  {data.get('action', '')}")
            if self.live:
                self._live_step = _LiveStep(self._current)
                from rich.live import Live

                self._status = Live(self._live_step, console=self.console, refresh_per_second=8, transient=True)
                self._status.start()
        elif event.kind == "step-progress":
            if self._live_step is not None:
                self._live_step.message = visible(str(data["message"]))
            else:
                self._line(f"   .. {data['message']}")
        elif event.kind == "step-finished":
            self._stop_status()
            outcome = data["outcome"]
            mark = word(MARK, outcome)
            style = STYLE.get(outcome, "")
            self._line((mark, style) if style else mark,
                       f" {data['no']} {data['id']}  {data['duration']:.1f}s  {translate_reason(str(data['reason']))}")
            if outcome == "failed" and self._remarks.get(str(data["id"])):
                self._line(f"   备注: {self._remarks[str(data['id'])]}")
        elif event.kind == "confirm-asked":
            self._stop_status()
        elif event.kind == "confirm-answered" and data["how"] != "terminal":
            self._line("   " + _("answer: {answer} ({how})").format(
                answer=word(ANSWERS, data["answer"]), how=word(HOW, data["how"])))
        elif event.kind == "run-finished":
            self._stop_status()
            outcome = data["outcome"]
            journal = _("; journal: {journal}").format(journal=data["journal"]) if "journal" in data else ""
            self._line(_("run {outcome}").format(outcome=word(RUN_OUTCOMES, outcome)) + journal)
            if "head" in data:
                head = _("chain head (write it on the sheet; otcctl verify shows it): {head}").format(head=data["head"])
                self._line(head)
            if outcome != "passed" and self.run_id:
                self._line(_("next: find the cause (otcctl log {run_id}), fix it, then continue with: "
                             "otcctl resume {run_id}").format(run_id=self.run_id))
        elif event.kind == "note":
            self._line(translate(str(data.get("message", ""))))

    def _line(self, *parts: Part) -> None:
        """One event's line: styled on a terminal; plain, whole and flushed when piped.

        Remote text reaches the screen through :func:`visible` (control characters shown, never
        obeyed). Parts are text, not markup: a ``[KVM]`` in an action is printed as typed.
        """
        if self.live:
            from rich.text import Text

            pieces = [(visible(p), "") if isinstance(p, str) else (visible(p[0]), p[1]) for p in parts]
            self.console.print(Text.assemble(*pieces), highlight=False, soft_wrap=True)
            return
        # Piped or redirected: the same words without styles, one whole line per event, written
        # straight to the stream: rich's print (terminal size, environment, segments) would cost
        # more than the step's own bookkeeping, a hundred times over in a long runbook.
        if self.quiet or (self._console is not None and self._console.quiet):
            return
        text = "".join(p if isinstance(p, str) else p[0] for p in parts)
        try:
            self.stream.write(visible(text) + "\n")
            self.stream.flush()  # a log being tailed (otcctl run ... | tee) shows each line as it happens
        except BrokenPipeError:  # `otcctl run ... | head`: the view goes quiet, the run goes on
            self.quiet = True
            if self._console is not None:
                self._console.quiet = True
            silence(self.stream)

    def _stop_status(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
            self._live_step = None

    def prompt(self, request: ConfirmRequest) -> tuple[Answer, str]:
        """Show the evidence, what each choice does (once per run), and ask; used by the terminal confirmer."""
        from rich.markup import escape

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
                from rich.markup import escape

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
