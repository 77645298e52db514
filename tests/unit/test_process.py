"""The console entry point exits as the interpreter would, only sooner: nothing printed is lost."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

from otcctl.process import hold_collection, start_up_over


def _python(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          stdin=subprocess.DEVNULL, check=False)


def test_exit_now_keeps_buffered_output_atexit_handlers_and_the_code(tmp_path: Path) -> None:
    code = (
        "import atexit, sys\n"
        "from otcctl.process import exit_now\n"
        "atexit.register(lambda: print('atexit ran'))\n"
        "print('buffered line', end='')\n"
        "sys.stderr.write('to stderr')\n"
        "exit_now(3)\n"
    )
    done = _python(code, tmp_path)
    assert done.returncode == 3
    assert done.stdout == "buffered lineatexit ran\n"
    assert done.stderr == "to stderr"


def test_exit_now_waits_for_a_thread_still_writing(tmp_path: Path) -> None:
    code = (
        "import threading, time\n"
        "from pathlib import Path\n"
        "from otcctl.process import exit_now\n"
        "def late():\n"
        "    time.sleep(0.3)\n"
        "    Path('written').write_text('done')\n"
        "threading.Thread(target=late).start()\n"
        "exit_now(0)\n"
    )
    done = _python(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "written").read_text() == "done"


def test_exit_now_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    code = "import sys\nfrom otcctl.process import exit_now\nsys.stdout.write('x' * 200000)\nexit_now(0)\n"
    writer = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert writer.stdout is not None and writer.stderr is not None
    writer.stdout.read(10)
    writer.stdout.close()  # like `otcctl runs | head -1`
    assert writer.wait(timeout=60) == 0
    assert "Traceback" not in writer.stderr.read().decode()


def test_collection_is_rare_during_start_up_and_back_to_the_defaults_after() -> None:
    before = gc.get_threshold()
    try:
        hold_collection()
        assert gc.get_threshold()[0] > before[0] * 10
        start_up_over()
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() > 0  # start-up objects are out of the collector's walks
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
