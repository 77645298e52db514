"""Shared fixtures. ``lab`` is the real rehearsal estate on loopback, one per test session.

Transport tests meet real peers (habit 11): four OpenSSH servers for M1-M4, stand-in ports for
every service, today's data files and a generated inventory. Bringing it up takes about a second;
it is always taken down, even when a test fails or the session is interrupted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from otcctl_lab import DEFAULT_NETWORK, Lab, SshdMissing, lab_down, lab_up_on_free_network

PRODUCTION_INVENTORY = Path(__file__).resolve().parents[1] / "inventory.yaml"

# Tests read English unless they ask for Chinese (OTCCTL_LANG outranks the locale), child processes included.
os.environ["OTCCTL_LANG"] = "en"


def start_lab(directory: Path, *, avoid: tuple[str, ...] = ()) -> Lab:
    """Bring a lab up on the first loopback network whose ports are free.

    An operator's demo lab (or another test session) may already hold 127.0.0.11-16, so the
    test lab moves to 127.0.1.x, 127.0.2.x...; tests read addresses from the lab, never assume them.
    OTCLAB_NETWORK pins the first choice.
    """
    first = os.environ.get("OTCLAB_NETWORK", DEFAULT_NETWORK)
    networks = [first, *(f"127.0.{n}" for n in range(1, 40))]  # 40-59 are the bench's
    return lab_up_on_free_network(directory, PRODUCTION_INVENTORY, networks, avoid=avoid)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A lab that is up for the whole session: ``lab.inventory_path`` is the inventory to use.

    Skipped, with the install hint, where OpenSSH's sshd is not installed.
    """
    directory = tmp_path_factory.mktemp("lab")
    try:
        started = start_lab(directory)
    except SshdMissing as exc:
        pytest.skip(str(exc))
    # the Windows hosts' password reaches otcctl the way production's does: from the environment
    os.environ["OTCLAB_WINRM_PASSWORD"] = started.winrm_password()
    try:
        yield started
    finally:
        lab_down(directory)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that meets the lab (directly or through another fixture) carries ``lab``.

    So is every test under ``tests/lab/``, where the tests that start their own peers (sshd,
    the WinRM peer, a mail server, child processes) live. ``pytest -m "not lab"`` is the fast tier.
    """
    lab_folder = Path(__file__).resolve().parent / "lab"
    for item in items:
        if "lab" in getattr(item, "fixturenames", ()) or lab_folder in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.lab)
