"""Shared fixtures. ``lab`` is the real rehearsal estate on loopback, one per test session.

Transport tests meet real peers (habit 11): four OpenSSH servers for M1-M4, stand-in ports for
every service, today's data files and a generated inventory. Bringing it up takes about a second;
it is always taken down, even when a test fails or the session is interrupted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from otcctl_lab import DEFAULT_NETWORK, Lab, SshdMissing, lab_down, lab_up_on_free_network
from tests.networks import SESSION_LABS, candidates

PRODUCTION_INVENTORY = Path(__file__).resolve().parents[1] / "inventory.yaml"

# Tests read English unless they ask for Chinese (OTCCTL_LANG outranks the locale), child processes included.
os.environ["OTCCTL_LANG"] = "en"


def start_lab(directory: Path, *, avoid: tuple[str, ...] = ()) -> Lab:
    """Bring a lab up on the first loopback network whose ports are free.

    An operator's demo lab (or another test session) may already hold 127.0.0.11-16, so the
    test lab moves to 127.0.1.x, 127.0.2.x...; tests read addresses from the lab, never assume them.
    Each xdist worker tries its own block of 127.0.1-39 first (tests/networks.py); OTCLAB_NETWORK
    pins the first choice of a serial run.
    """
    first = os.environ.get("OTCLAB_NETWORK", DEFAULT_NETWORK)
    networks = candidates(SESSION_LABS, serial_first=first)
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

    Tests marked ``slow(SECONDS)`` run first, longest first: xdist hands tests out in this order to
    whichever worker is free (scripts/test.sh), so the long waits overlap instead of one of them
    starting last and keeping the others waiting for it.
    """
    lab_folder = Path(__file__).resolve().parent / "lab"
    for item in items:
        if "lab" in getattr(item, "fixturenames", ()) or lab_folder in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.lab)
    items.sort(key=lambda item: -expected_seconds(item))  # stable: the rest keep their order


def expected_seconds(item: pytest.Item) -> float:
    """The seconds a ``slow`` test takes on a quiet machine (its marker's argument); 0 for the rest."""
    marker = item.get_closest_marker("slow")
    if marker is None:
        return 0.0
    if len(marker.args) != 1 or not isinstance(marker.args[0], int | float):
        raise pytest.UsageError(f"{item.nodeid}: write @pytest.mark.slow(SECONDS), the seconds it takes")
    return float(marker.args[0])


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under ``--dist load`` (scripts/test.sh): each test to whichever worker is free, a test class whole.

    Tests that must share one worker (they wait on one costly module fixture, as
    ``TestAcceptanceRuns`` does) go in a class. (pytest-xdist's own ``xdist_group`` does not
    group under pytest 9.2: it renames items through an attribute pytest no longer reads.)
    """
    if config.getoption("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ClassesWhole(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            path, _, rest = nodeid.partition("::")
            names = rest.split("[", 1)[0].split("::")
            return f"{path}::{names[0]}" if len(names) > 1 else nodeid

    return ClassesWhole(config, log)
