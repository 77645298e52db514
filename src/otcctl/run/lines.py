"""A journal line read back: its envelope (:class:`Stamp`), its typed record, where it was.

The record kinds live in :mod:`otcctl.run.records`; this is the line around them that every
kind shares, and the one parser every reader uses, which names the field at fault.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import JsonValue, ValidationError

from otcctl.i18n import N_
from otcctl.run.records import READABLE_VERSIONS, RECORD_KINDS, FrozenModel, Record


class Stamp(FrozenModel):
    """What every line carries besides its content: version, kind, chain position, time, run."""

    v: int
    type: str
    seq: int | None = None
    prev: str | None = None
    time_utc: str
    time_shanghai: str
    run_id: str


STAMP_FIELDS = frozenset(Stamp.model_fields)


@dataclass(frozen=True)
class Entry:
    """One journal line read back: where it is, its envelope, its typed record, its SHA-256."""

    line: int
    stamp: Stamp
    record: Record
    sha256: str


class RecordError(ValueError):
    """A line that is not a record this otcctl can read; the message says why (the reader adds file:line)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def parse_line(text: bytes, line: int, sha256: str) -> Entry:
    """A journal line as an :class:`Entry`; raises :class:`RecordError` naming the field at fault."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise RecordError(N_("not a JSON record (cut short or edited)")) from None
    if not isinstance(data, dict):
        raise RecordError(N_("not a JSON object"))
    kind = data.get("type")
    cls = RECORD_KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise RecordError(f"unknown record kind {kind!r} (written by a newer otcctl, or edited)", "type")
    version = data.get("v")
    if version not in READABLE_VERSIONS:
        raise RecordError(f"record format version {version!r}; this otcctl reads {READABLE_VERSIONS}", "v")
    envelope = {k: v for k, v in data.items() if k in STAMP_FIELDS}
    body = {k: v for k, v in data.items() if k not in STAMP_FIELDS or k == "type"}
    try:
        stamp = Stamp.model_validate(envelope)
        record = cls.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RecordError(f"{kind} record: {where}: {first['msg']}", where or None) from None
    if version >= 2 and (stamp.seq is None or stamp.prev is None):
        raise RecordError(N_("version 2 record without its place in the hash chain (seq, prev)"), "seq")
    return Entry(line, stamp, record, sha256)


MaskFn = Callable[[JsonValue], JsonValue]
