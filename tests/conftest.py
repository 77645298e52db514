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

from otcctl.lab import DEFAULT_NETWORK, Lab, LabOptions, SshdMissing, lab_down, lab_up

PRODUCTION_INVENTORY = Path(__file__).resolve().parents[1] / "inventory.yaml"


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A lab that is up for the whole session: ``lab.inventory_path`` is the inventory to use.

    Set OTCLAB_NETWORK (e.g. ``127.0.1``) to move it off 127.0.0.11-16 when an operator's lab
    already holds those addresses. Skipped, with the install hint, where sshd is not installed.
    """
    directory = tmp_path_factory.mktemp("lab")
    options = LabOptions(
        directory=directory,
        inventory=PRODUCTION_INVENTORY,
        network=os.environ.get("OTCLAB_NETWORK", DEFAULT_NETWORK),
    )
    try:
        started = lab_up(options)
    except SshdMissing as exc:
        pytest.skip(str(exc))
    try:
        yield started
    finally:
        lab_down(directory)
