"""An operator at a real terminal: live output, the evidence, the question, the recorded answer."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from otcctl_lab import Lab
from tests.runs import journals, records, write_runbook


def _read_until(fd: int, needle: str, timeout: float = 30.0) -> str:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle.encode() not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"never saw {needle!r}; screen so far:\n{seen.decode(errors='replace')}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen.decode("utf-8", errors="replace")


def test_operator_confirms_at_the_terminal_and_the_answer_is_journaled(lab: Lab, tmp_path: Path) -> None:
    books = tmp_path / "books"
    write_runbook(books, "at-terminal", """\
  - id: check-tomcat
    kind: shell
    targets: [M3]
    command: echo "Tomcat 状态 RUNNING"
    expect: {contains: RUNNING}
    confirm: true
    action: 确认 Tomcat 运行
    judge: 输出含 RUNNING
    assumption: A01
""")
    state = tmp_path / "state"
    main, child = pty.openpty()
    env = {**os.environ, "OTCCTL_STATE_DIR": str(state), "TERM": "xterm", "COLUMNS": "120", "LINES": "40"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "otcctl", "run", "at-terminal", "--runbooks", str(books), "-i", str(lab.inventory_path),
         "--operator", "陈七"],
        stdin=child, stdout=child, stderr=child, env=env, close_fds=True,
    )
    os.close(child)
    try:
        screen = _read_until(main, "[yes/no/skip/abort]")
        assert "确认 Tomcat 运行" in screen and "结果判断: 输出含 RUNNING" in screen
        assert "Tomcat 状态 RUNNING" in screen  # the evidence is shown before the question
        assert "\x1b[" in screen  # a terminal gets styled output
        os.write(main, b"y\n")
        _read_until(main, "comment")
        os.write(main, "看过了\n".encode())
        rest = _read_until(main, "run passed")
        assert "PASS" in rest
    finally:
        proc.wait(timeout=30)
        os.close(main)
    assert proc.returncode == 0
    confirmation = next(r for r in records(journals(state)[0]) if r["type"] == "confirmation")
    assert confirmation["answer"] == "yes" and confirmation["how"] == "terminal"
    assert confirmation["comment"] == "看过了" and confirmation["operator"]["operator"] == "陈七"
