"""An operator at a Chinese terminal (LANG=zh_CN.UTF-8, 80 columns): a run, a failure, a resume, the records.

And the same commands under LANG=C (an ASCII terminal): no crash, Chinese written as escapes at worst.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from otcctl_lab import Lab
from tests.runs import write_runbook

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


class Screen:
    """A child process on a pseudo-terminal; what it wrote, as text without escape sequences."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.fd, child = pty.openpty()
        self.proc = subprocess.Popen([sys.executable, "-m", "otcctl", *args], stdin=child, stdout=child,
                                     stderr=child, env=env, close_fds=True)
        os.close(child)
        self.seen = b""

    def text(self) -> str:
        return ANSI.sub("", self.seen.decode("utf-8", errors="replace"))

    def until(self, needle: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            left = deadline - time.monotonic()
            assert left > 0, f"never saw {needle!r}; screen so far:\n{self.text()}"
            if not self._read(left):
                break
        assert needle in self.text(), f"never saw {needle!r}; screen:\n{self.text()}"
        return self.text()

    def send(self, text: str) -> None:
        os.write(self.fd, text.encode("utf-8"))

    def finish(self, timeout: float = 60.0) -> tuple[int, str]:
        deadline = time.monotonic() + timeout
        while self._read(max(0.1, deadline - time.monotonic())) and time.monotonic() < deadline:
            pass
        code = self.proc.wait(timeout=30)
        os.close(self.fd)
        return code, self.text()

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.fd, 4096)
        except OSError:
            return False
        self.seen += chunk
        return bool(chunk)


def _env(state: Path, lang: str) -> dict[str, str]:
    env = {**os.environ, "OTCCTL_STATE_DIR": str(state), "TERM": "xterm", "COLUMNS": "80", "LINES": "40",
           "LANG": lang, "LC_ALL": lang}
    for name in ("NO_COLOR", "OTCCTL_LANG", "LC_MESSAGES", "PYTHONIOENCODING"):
        env.pop(name, None)
    return env


def _books(tmp_path: Path, marker: Path) -> Path:
    books = tmp_path / "books"
    write_runbook(books, "zh-terminal", f"""\
  - id: check-tomcat
    kind: shell
    targets: [M3]
    command: echo "Tomcat 状态 RUNNING"
    expect: {{contains: RUNNING}}
    confirm: true
    action: 确认 Tomcat 运行
    judge: 输出含 RUNNING
    assumption: A01
  - id: check-export
    kind: shell
    targets: [M3]
    command: test -f {marker}
    action: 确认导出文件已生成
    judge: 文件存在
    remark: 如不存在，请联系数据库管理员重新导出
    assumption: A01
""")
    return books


def test_a_run_a_failure_a_resume_and_the_records_in_chinese(lab: Lab, tmp_path: Path) -> None:
    state, marker = tmp_path / "state", tmp_path / "export.done"
    books = _books(tmp_path, marker)
    env = _env(state, "zh_CN.UTF-8")
    common = ["--runbooks", str(books), "-i", str(lab.inventory_path)]

    run = Screen(["run", "zh-terminal", *common, "--operator", "陈七"], env)
    screen = run.until("[是/否/跳过/中止]")
    assert "操作内容: 确认 Tomcat 运行" in screen and "结果判断: 输出含 RUNNING" in screen
    assert "是 = 结果与“结果判断”相符" in screen and "中止 = 立即停止整个运行" in screen  # each choice explained
    run.send("是\n")
    run.until("备注（可不填，将记录）")
    run.send("看过了\n")
    code, screen = run.finish()
    assert code == 1, screen
    assert "通过 1 check-tomcat" in screen and "失败 2 check-export" in screen
    assert "备注: 如不存在，请联系数据库管理员重新导出" in screen
    run_id = re.search(r"处理后用此命令继续：otcctl resume (\S+)", screen)
    assert run_id is not None and "下一步：查明原因" in screen, screen
    rid = run_id.group(1)

    marker.write_text("ok\n")
    resumed = Screen(["resume", rid, "--operator", "王五"], env)
    code, screen = resumed.finish()
    assert code == 0, screen
    assert "通过 2 check-export" in screen and "运行通过" in screen

    code, screen = Screen(["runs"], env).finish()
    assert code == 0 and "运行编号" in screen and "通过" in screen
    assert rid in screen.replace("\n", ""), "the run id is never cut at 80 columns"
    assert any(rid in line for line in screen.splitlines()), "... and kept on one line"

    code, screen = Screen(["log", rid], env).finish()
    assert code == 0, screen
    assert "[shell]" in screen, "the step's kind is shown, not eaten as markup"
    assert "陈七" in screen and "回答“是”（终端输入）" in screen
    assert "(王五) 继续运行" in screen, "who resumed"
    assert "失败 2 check-export" in screen and "通过 2 check-export" in screen

    code, screen = Screen(["run", "-h"], env).finish()
    assert code == 0 and "用法: otcctl run [选项] NAME" in screen


@pytest.mark.slow(10)
def test_an_ascii_terminal_does_not_crash(lab: Lab, tmp_path: Path) -> None:
    state, marker = tmp_path / "state", tmp_path / "export.done"
    marker.write_text("ok\n")
    books = _books(tmp_path, marker)
    for lang in ("C", "POSIX"):
        env = {**_env(state, lang), "PYTHONIOENCODING": "ascii"}
        run = Screen(["run", "zh-terminal", "--runbooks", str(books), "-i", str(lab.inventory_path)], env)
        run.until("[yes/no/skip/abort]")
        run.send("y\n")
        run.until("comment")
        run.send("\n")
        code, screen = run.finish()
        assert code == 0 and "run passed" in screen and "internal error" not in screen, screen
        for args in (["runs"], ["list"], ["--lang", "zh", "-h"], ["show", "market-open"]):
            code, screen = Screen(args, env).finish()
            assert code == 0 and "internal error" not in screen and "Traceback" not in screen, screen


def test_lab_status_json_says_every_host_is_up(lab: Lab) -> None:
    import json

    from tests.helpers import run_cli

    done = run_cli("lab", "status", "--dir", str(lab.layout.root), "--json")
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["all_up"] is True and {h["id"] for h in status["hosts"]} >= {"M1", "M5"}
    assert all(h["up"] for h in status["hosts"])
