"""A full disk never leaves a torn record glued to the next one; the run stops instead of acting unrecorded."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from otcctl.run import journal as journal_module
from otcctl.run.journal import Journal, JournalUnwritable, read_journal
from otcctl.run.records import RunInterrupted, RunStopped


def test_a_record_cut_by_a_full_disk_is_removed_and_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = Journal.create(tmp_path, "full-disk")
    journal.append(RunStopped(reason="first"))
    real_write = os.write
    calls = {"n": 0}

    def half_then_enospc(fd: int, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            return real_write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(journal_module.os, "write", half_then_enospc)
    with pytest.raises(JournalUnwritable) as caught:
        journal.append(RunInterrupted(reason="second"))
    assert "cannot be written" in str(caught.value)
    monkeypatch.setattr(journal_module.os, "write", real_write)
    journal.append(RunStopped(reason="third"))
    journal.close()
    lines = journal.path.read_bytes().splitlines()
    assert [json.loads(line)["reason"] for line in lines] == ["first", "third"]
    reading = read_journal(journal.path)
    reading.require_readable()


def test_a_failed_flush_stops_the_writer_and_keeps_the_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The line is written but cannot be made durable: the append refuses (the run stops), nothing is torn."""
    journal = Journal.create(tmp_path, "bad-flush")
    journal.append(RunStopped(reason="first"))
    real_fsync = os.fsync

    def eio(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(journal_module.os, "fsync", eio)
    with pytest.raises(JournalUnwritable) as caught:
        journal.append(RunInterrupted(reason="second"))
    assert "Input/output error" in str(caught.value)
    monkeypatch.setattr(journal_module.os, "fsync", real_fsync)
    journal.append(RunStopped(reason="third"))
    journal.close()
    reading = read_journal(journal.path)
    reading.require_readable()
    assert [e.stamp.seq for e in reading.entries] == [1, 2, 3]
