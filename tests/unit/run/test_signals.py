"""SIGHUP and SIGTERM interrupt like Ctrl-C, once; exit codes 129 and 143."""

from __future__ import annotations

import os
import signal
import time

import pytest

from otcctl.run.signals import Interrupted, reason, signals_interrupt


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGHUP, 129), (signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_interrupts_with_its_exit_code(sig: int, code: int) -> None:
    with pytest.raises(Interrupted) as caught, signals_interrupt():
        os.kill(os.getpid(), sig)
        time.sleep(1)
    assert caught.value.exit_code == code
    assert caught.value.name in reason(caught.value)


def test_a_second_signal_while_stopping_is_ignored() -> None:
    cleaned = False
    with pytest.raises(Interrupted), signals_interrupt():
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
        finally:
            os.kill(os.getpid(), signal.SIGINT)  # impatient second Ctrl-C during cleanup
            time.sleep(0.1)
            cleaned = True
    assert cleaned


def test_handlers_are_restored_after_the_run() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with signals_interrupt():
        pass
    assert signal.getsignal(signal.SIGTERM) == before
