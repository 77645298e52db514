"""Issue 11 attacks against the lab: each one did harm (or passed a failure) before, and must not now."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from otcctl_lab import Lab
from tests.helpers import sleep_marker
from tests.runs import journals, otcctl, records, variant_inventory, write_runbook

PARAM = """
params:
  p: {type: str, default: "ok", description: 任意文本}
"""


def _injection_runbook(books: Path, command: str, kind: str = "shell", target: str = "M3", shell: str = "") -> None:
    extra = f"\n    shell: {shell}" if shell else ""
    write_runbook(books, "inject", f"""\
  - id: echo-it
    kind: {kind}
    targets: [{target}]{extra}
    command: {command}
    action: 回显参数
    assumption: A01
""", PARAM)


def test_a_placeholder_inside_double_quotes_is_refused_and_nothing_runs(lab: Lab, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    books = tmp_path / "books"
    for command in ("'echo \"x {{p}} y\"'", "\"echo 'x {{p}}'\""):
        _injection_runbook(books, command)
        checked = otcctl(tmp_path / "s", "validate", str(books / "inject.yaml"), "-i", str(lab.inventory_path))
        assert checked.returncode == 2, checked.stdout + checked.stderr
        said = checked.stdout + checked.stderr
        assert "inject.yaml" in said and "line 10" in said and "command" in said, said
        ran = otcctl(tmp_path / "s", "run", "inject", "--runbooks", str(books), "-i", str(lab.inventory_path),
                     "-p", f"p=$(touch {marker})", "--assume-yes")
        assert ran.returncode == 2, ran.stdout + ran.stderr
        assert not marker.exists()
    assert not journals(tmp_path / "s")


def test_a_bare_placeholder_carries_a_payload_as_plain_text(lab: Lab, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    books = tmp_path / "books"
    _injection_runbook(books, "echo x {{p}} y")
    ran = otcctl(tmp_path / "s", "run", "inject", "--runbooks", str(books), "-i", str(lab.inventory_path),
                 "-p", f"p=$(touch {marker})", "--json")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert not marker.exists()
    finished = [r for r in records(journals(tmp_path / "s")[0]) if r["type"] == "step-finished"]
    assert f"x $(touch {marker}) y" in finished[0]["targets"][0]["stdout"]


def test_powershell_subexpression_in_a_string_is_refused(lab: Lab, tmp_path: Path) -> None:
    books = tmp_path / "books"
    _injection_runbook(books, "'Write-Output \"checking {{p}}\"'", kind="winrm", target="M5", shell="powershell")
    ran = otcctl(tmp_path / "s", "run", "inject", "--runbooks", str(books), "-i", str(lab.inventory_path),
                 "-p", "p=$(Stop-Service -Name BLS)", "--assume-yes")
    assert ran.returncode == 2 and "inside" in ran.stderr, ran.stdout + ran.stderr
    assert not journals(tmp_path / "s")


def test_a_connection_lost_mid_step_is_never_a_pass(lab: Lab, tmp_path: Path) -> None:
    books = tmp_path / "books"
    write_runbook(books, "lost", """\
  - id: dies
    kind: shell
    targets: [M3]
    command: echo started; kill -9 $PPID; sleep 5
    expect: {not_contains: ERROR}
    action: 连接中断
    assumption: A01
""")
    ran = otcctl(tmp_path / "s", "run", "lost", "--runbooks", str(books), "-i", str(lab.inventory_path), "--json")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    finished = [r for r in records(journals(tmp_path / "s")[0]) if r["type"] == "step-finished"]
    assert finished[0]["outcome"] != "passed"
    assert "unknown" in finished[0]["reason"]


def test_an_error_early_in_long_output_is_found(lab: Lab, tmp_path: Path) -> None:
    books = tmp_path / "books"
    write_runbook(books, "long", """\
  - id: error-then-noise
    kind: shell
    targets: [M3]
    command: "echo ERROR early; head -c 200000 /dev/zero | tr '\\\\0' x; echo"
    expect: {not_contains: ERROR}
    action: 长输出
    assumption: A01
  - id: pattern-on-cut-output
    kind: shell
    targets: [M3]
    command: "echo ERROR early; head -c 200000 /dev/zero | tr '\\\\0' x; echo"
    expect: {not: {matches: "ERR+OR"}}
    on_failure: continue
    action: 长输出 (正则)
    assumption: A01
""")
    ran = otcctl(tmp_path / "s", "run", "long", "--runbooks", str(books), "-i", str(lab.inventory_path), "--json")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    finished = [r for r in records(journals(tmp_path / "s")[0]) if r["type"] == "step-finished"]
    assert finished[0]["outcome"] == "failed" and "contains 'ERROR'" in finished[0]["reason"], finished[0]


def test_a_changed_host_key_stops_the_run_even_with_on_failure_continue(lab: Lab, tmp_path: Path) -> None:
    lines = lab.known_hosts.read_text().splitlines()
    m3 = next(ln for ln in lines if "]:" in ln)
    other = next(ln for ln in lines if ln.split()[0] != m3.split()[0])
    known = tmp_path / "known_hosts"
    known.write_text("\n".join([f"{m3.split()[0]} {' '.join(other.split()[1:])}", *(ln for ln in lines if ln != m3)])
                     + "\n")
    inventory = variant_inventory(lab.inventory_path, tmp_path / "inv.yaml", known_hosts=str(known))
    books = tmp_path / "books"
    write_runbook(books, "trust", """\
  - id: everywhere
    kind: shell
    targets: [M1, M2, M3, M4]
    command: echo hi
    retry: {attempts: 3, delay: 1s}
    on_failure: continue
    action: 连接
    assumption: A01
  - id: next-step
    kind: shell
    targets: [M1]
    command: echo should-not-run
    action: 不应执行
    assumption: A01
""")
    started = time.monotonic()
    ran = otcctl(tmp_path / "s", "run", "trust", "--runbooks", str(books), "-i", str(inventory), "--json")
    assert ran.returncode == 1
    kinds = [r["type"] for r in records(journals(tmp_path / "s")[0])]
    started_steps = [r["step"] for r in records(journals(tmp_path / "s")[0]) if r["type"] == "step-started"]
    assert started_steps == ["everywhere"] and "run-stopped" in kinds, kinds
    assert time.monotonic() - started < 60


def _popen_run(state: Path, books: Path, lab: Lab, name: str, **kw: object) -> subprocess.Popen[str]:
    env = {**os.environ, "OTCCTL_STATE_DIR": str(state), "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "otcctl", "run", name, "--runbooks", str(books), "-i", str(lab.inventory_path)],
        env=env, stdin=subprocess.DEVNULL, text=True, **kw,  # type: ignore[call-overload]
    )


def _wait_for_record(state: Path, kind: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = journals(state)
        if found and any(r["type"] == kind for r in records(found[0])):
            return
        time.sleep(0.1)
    raise AssertionError(f"no {kind} record within {timeout}s")


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_and_sighup_stop_the_remote_command_and_write_the_record(
    lab: Lab, tmp_path: Path, sig: int, code: int
) -> None:
    marker = sleep_marker(700)
    books = tmp_path / "books"
    write_runbook(books, "long", f"""\
  - id: hangs
    kind: shell
    targets: [M3]
    command: {marker}
    timeout: 5m
    action: 长时间命令
    assumption: A01
""")
    state = tmp_path / "s"
    proc = _popen_run(state, books, lab, "long", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for_record(state, "step-started")
    time.sleep(1.5)
    proc.send_signal(sig)
    proc.communicate(timeout=60)
    assert proc.returncode == code
    recs = records(journals(state)[0])
    interrupted = next(r for r in recs if r["type"] == "step-interrupted")
    assert interrupted["signal"] == signal.Signals(sig).name and interrupted["stopped"] == "yes", interrupted
    assert any(r["type"] == "run-interrupted" for r in recs)
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-fx", marker], capture_output=True, text=True)
    assert left.stdout.strip() == "", f"left running on the host: {left.stdout}"


def test_a_closed_stdout_pipe_never_ends_a_run(lab: Lab, tmp_path: Path) -> None:
    books = tmp_path / "books"
    steps = "".join(f"""\
  - id: step-{n}
    kind: shell
    targets: [M3]
    command: echo line-{n}; sleep 0.3
    action: 第{n}步
    assumption: A01
""" for n in range(1, 4))
    write_runbook(books, "piped", steps)
    state = tmp_path / "s"
    proc = _popen_run(state, books, lab, "piped", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()  # `otcctl run ... | head -0`
    _, err = proc.communicate(timeout=120)
    recs = records(journals(state)[0])
    assert recs[-1]["type"] == "run-finished", (proc.returncode, err, [r["type"] for r in recs])
    assert [r["step"] for r in recs if r["type"] == "step-finished"] == ["step-1", "step-2", "step-3"]
    assert recs[-1]["type"] == "run-finished" and recs[-1]["outcome"] == "passed"


@pytest.mark.slow(12)
def test_kill_during_a_rolling_step_and_resume_never_repeats_a_finished_host(lab: Lab, tmp_path: Path) -> None:
    counts = tmp_path / "counts"
    counts.mkdir()
    books = tmp_path / "books"
    write_runbook(books, "rolling", f"""\
  - id: one-by-one
    kind: shell
    targets: [M1, M2, M3, M4]
    order: kvm
    command: echo run >> {counts}/{{{{host_id}}}}; sleep 2
    action: 逐台执行
    assumption: A01
""")
    state = tmp_path / "s"
    proc = _popen_run(state, books, lab, "rolling", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        found = journals(state)
        if found and sum(1 for r in records(found[0]) if r["type"] == "host-finished") >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = records(journals(state)[0])
    finished_before = {r["host"] for r in before if r["type"] == "host-finished" and r["passed"]}
    assert len(finished_before) >= 2
    resumed = otcctl(state, "resume", journals(state)[0].stem, "--assume-yes", "--in-flight", "rerun")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    for host in ("M1", "M2", "M3", "M4"):
        runs = (counts / host).read_text().count("run")
        if host in finished_before:
            assert runs == 1, (host, runs)
        else:
            assert runs >= 1, host


def test_remote_escape_sequences_reach_the_prompt_visible_not_obeyed(lab: Lab, tmp_path: Path) -> None:
    from tests.lab.test_terminal_zh import Screen, _env

    books = tmp_path / "books"
    write_runbook(books, "escapes", """\
  - id: hostile-output
    kind: shell
    targets: [M3]
    command: "printf '\\\\033[2J\\\\033[H\\\\033]0;owned\\\\007all checks PASSED\\\\n'"
    confirm: true
    action: 看输出
    assumption: A01
""")
    env = {**_env(tmp_path / "state", "C.UTF-8"), "OTCCTL_LANG": "en"}
    screen = Screen(["run", "escapes", "--runbooks", str(books), "-i", str(lab.inventory_path)], env)
    screen.until("all checks PASSED")
    raw = screen.seen.decode("utf-8", errors="replace")
    shown_line = next(line for line in raw.splitlines() if "all checks PASSED" in line)
    assert "\x1b[2J" not in shown_line and "\x1b]0;owned" not in shown_line, repr(shown_line)
    assert "\\x1b[2J" in shown_line and "\\x1b]0;owned\\x07" in shown_line, repr(shown_line)
    screen.send("no\n")
    screen.until("comment")
    screen.send("\n")
    code, _ = screen.finish()
    assert code == 1
