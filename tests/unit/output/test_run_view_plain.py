"""A piped run's view: the same words as on a terminal, written without rich, quiet once the reader is gone."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from otcctl.output.console import make_console
from otcctl.output.run_view import ConsoleRenderer
from otcctl.output.streams import is_plain
from otcctl.run.events import Event

EVENTS = [
    Event("note", {"message": "run R1: m 开市 (lab); journal /j", "run_id": "R1"}),
    Event("step-started", {"no": "1", "id": "kvm", "kind": "manual", "host": "M1", "action": "切换 [KVM] [bold]x"}),
    Event("step-progress", {"message": "waiting \x1b[2J for [red]"}),
    Event("step-finished", {"no": "1", "id": "kvm", "outcome": "failed", "duration": 1.25,
                            "reason": "M1: exit code 1 (expected 0)", "targets": []}),
    Event("run-finished", {"outcome": "failed", "journal": "/j", "head": "ab" * 32}),
]


def _never() -> object:
    raise AssertionError("a piped run made a rich console without having to ask anything")


def _render(renderer: ConsoleRenderer) -> None:
    for event in EVENTS:
        renderer.on_event(event)


def test_plain_lines_are_what_a_non_terminal_console_showed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTCCTL_LANG", "en")
    plain, through_rich = io.StringIO(), io.StringIO()
    _render(ConsoleRenderer.plain(plain, _never))  # type: ignore[arg-type]
    _render(ConsoleRenderer(make_console(through_rich, width=200)))
    assert plain.getvalue() == through_rich.getvalue()
    lines = plain.getvalue().splitlines()
    assert lines[1] == ">> 1 kvm [manual] M1  切换 [KVM] [bold]x", "brackets in an action are text, not markup"
    assert lines[2] == "   .. waiting \\x1b[2J for [red]", "a control sequence is shown, never sent"
    assert lines[3] == "FAIL 1 kvm  1.2s  M1: exit code 1 (expected 0)"
    assert lines[-1] == "next: find the cause (otcctl log R1), fix it, then continue with: otcctl resume R1"
    assert "\x1b" not in plain.getvalue()


def test_a_piped_run_view_loads_no_rich(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from otcctl.output.run_view import ConsoleRenderer\n"
        "from otcctl.run.events import Event\n"
        "r = ConsoleRenderer.plain(sys.stdout, lambda: 1 / 0)\n"
        "r.on_event(Event('step-started', {'no': '1', 'id': 'a', 'kind': 'shell', 'host': 'M1', 'action': 'x'}))\n"
        "r.on_event(Event('step-finished', {'no': '1', 'id': 'a', 'outcome': 'passed', 'duration': 0.1,"
        " 'reason': 'ok', 'targets': []}))\n"
        "print(sorted(m for m in sys.modules if m == 'rich' or m.startswith('rich.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          stdin=subprocess.DEVNULL, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [">> 1 a [shell] M1  x", "PASS 1 a  0.1s  ok", "[]"]


class _GoneReader(io.StringIO):
    """A pipe whose reader exited (``otcctl run ... | head -1``) after ``allowed`` lines."""

    def __init__(self, allowed: int) -> None:
        super().__init__()
        self.allowed = allowed

    def write(self, text: str) -> int:
        if self.allowed <= 0:
            raise BrokenPipeError(32, "Broken pipe")
        self.allowed -= 1
        return super().write(text)


def test_a_closed_pipe_silences_the_view_and_the_run_goes_on() -> None:
    stream = _GoneReader(allowed=1)
    renderer = ConsoleRenderer.plain(stream, _never)  # type: ignore[arg-type]
    _render(renderer)  # no exception: the engine's next step is not stopped by the view
    assert renderer.quiet
    assert stream.getvalue().count("\n") == 1


def test_the_console_is_made_only_when_asked_for() -> None:
    made: list[object] = []

    def factory() -> object:
        made.append(make_console(io.StringIO(), width=80))
        return made[-1]

    renderer = ConsoleRenderer.plain(io.StringIO(), factory)  # type: ignore[arg-type]
    _render(renderer)
    assert made == []
    assert renderer.console is renderer.console is made[0]


def test_only_a_stream_that_is_surely_no_terminal_is_plain() -> None:
    assert is_plain(io.StringIO(), environ={})
    assert not is_plain(io.StringIO(), environ={"FORCE_COLOR": "1"}), "forced colour: rich decides, as before"
    assert not is_plain(io.StringIO(), environ={"TTY_COMPATIBLE": "1"})
    with open("/dev/null", "w", encoding="utf-8") as devnull:
        assert is_plain(devnull, environ={})


def test_on_a_terminal_the_same_words_are_styled(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    monkeypatch.setenv("OTCCTL_LANG", "en")
    screen = io.StringIO()
    _render(ConsoleRenderer(Console(file=screen, width=200, force_terminal=True, color_system="standard")))
    shown = screen.getvalue()
    assert "\x1b[31mFAIL\x1b[0m 1 kvm  1.2s  M1: exit code 1 (expected 0)" in shown, "the outcome in red"
    assert "\x1b[1m>>\x1b[0m 1 kvm [manual] M1  切换 [KVM] [bold]x" in shown
    assert "\x1b[2J" not in shown, "a host's screen-clearing sequence never reaches the terminal"
