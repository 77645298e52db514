"""Parallel workers never try the same loopback network first, and every range stays its own."""

from __future__ import annotations

import pytest

from tests.networks import BENCH_FLEET, FAULT_LABS, SESSION_LABS, WINRM_PEERS, candidates, worker


def _as_worker(monkeypatch: pytest.MonkeyPatch, index: int, count: int) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", f"gw{index}")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", str(count))


def test_a_serial_run_is_worker_0_of_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)
    assert worker() == (0, 1)
    assert candidates(SESSION_LABS, serial_first="127.0.0")[0] == "127.0.0"
    assert sorted(candidates(SESSION_LABS)) == sorted(f"127.0.{n}" for n in SESSION_LABS)


@pytest.mark.parametrize("count", [2, 3, 4, 6])
@pytest.mark.parametrize("span", [SESSION_LABS, FAULT_LABS, WINRM_PEERS])
def test_workers_start_in_blocks_of_their_own(monkeypatch: pytest.MonkeyPatch, span: range, count: int) -> None:
    size = len(span) // count
    blocks = []
    for index in range(count):
        _as_worker(monkeypatch, index, count)
        tried = candidates(span, serial_first="127.0.0")
        assert "127.0.0" not in tried, "a pinned first choice would send every worker to one network"
        assert sorted(tried) == sorted(f"127.0.{n}" for n in span), "a full block falls back on the rest"
        blocks.append(set(tried[:size]))
    assert all(len(block) == size for block in blocks)
    assert len(set().union(*blocks)) == size * count, f"workers share a first block: {blocks}"


def test_the_ranges_and_the_bench_keep_apart() -> None:
    fleet = int(BENCH_FLEET.rsplit(".", 1)[1])
    used = [*SESSION_LABS, *FAULT_LABS, *WINRM_PEERS]
    assert len(used) == len(set(used))
    assert not set(used) & {0, fleet, *range(40, 60)}
