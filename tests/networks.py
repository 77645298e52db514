"""Which loopback networks (127.0.N) each part of the suite tries first, so parallel workers never race.

``scripts/test.sh`` runs the suite in pytest-xdist workers, each with its own session lab; other
sessions (another checkout's tests, the bench, an operator's demo lab) may be up beside them. Every
place in ``tests/`` that starts peers on a 127.0.N network takes its candidates from here:

| networks | who |
|---|---|
| 127.0.0 | an operator's demo lab; a serial session's first choice (``OTCLAB_NETWORK`` pins it) |
| 127.0.1-39 | the session lab (``lab`` fixture) and the second lab of ``test_lab.py`` |
| 127.0.40-58, 59 | the bench (``test_bench.py``: its lab from 127.0.45, its 50-address fleet on 127.0.59) |
| 127.0.60-79 | the private labs of ``test_lab_faults.py`` |
| 127.0.80-99 | the in-process WinRM peers of ``test_winrm.py`` |

Each range is cut into one block per worker (gw0 the first block, gw1 the next...); a worker tries
its own block first, starting at a place chosen by its pid (so concurrent sessions start apart), then
the rest of the range. Two workers of one session therefore never probe the same network first; a
bind (``lab_up``'s port check) still decides, so a network held by anyone else is passed over.
"""

from __future__ import annotations

import os

SESSION_LABS = range(1, 40)
BENCH_FLEET = "127.0.59"
FAULT_LABS = range(60, 80)
WINRM_PEERS = range(80, 100)


def worker() -> tuple[int, int]:
    """(index, count) of this pytest-xdist worker: gw2 of 3 is (2, 3); a serial run is (0, 1)."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    index = int(name[2:]) if name.startswith("gw") and name[2:].isdigit() else 0
    return index, max(count, index + 1, 1)


def candidates(span: range, *, serial_first: str | None = None) -> list[str]:
    """The networks of ``span`` in the order this worker tries them: its own block, then the rest.

    ``serial_first`` (an operator's pin, or the default network) comes first in a serial run only:
    under xdist every worker would otherwise try it first.
    """
    index, count = worker()
    numbers = list(span)
    size = max(len(numbers) // count, 1)
    start = (index * size) % len(numbers)
    block = numbers[start:start + size]
    turn = os.getpid() % len(block)
    own = block[turn:] + block[:turn]
    rest = [n for n in numbers[start + size:] + numbers[:start] if n not in own]
    ordered = [f"127.0.{n}" for n in own + rest]
    if serial_first is not None and count == 1:
        ordered.insert(0, serial_first)
    return list(dict.fromkeys(ordered))
