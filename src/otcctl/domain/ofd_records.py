"""Fixed-width OFD records, cut by bytes and judged field by field.

Kept apart from the header logic because this is the part that runs per record: it must say
exactly which field and byte broke, since a producer fixes records, not files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from otcctl.domain.ofd_dictionary import FieldSpec
from otcctl.i18n import N_

_A_VALUE = re.compile(rb"[0-9]* *")
_N_VALUE = re.compile(rb"[0-9]+| +")
_NOT_DIGIT = re.compile(rb"[^0-9]")
CUT_AT_END = N_("a Chinese character is cut in half at the end of the field")


class RecordFault(NamedTuple):
    """A fault in one record: 1-based line, field name, 1-based byte in the line, message."""

    line: int
    field: str | None
    offset: int | None
    message: str


def _show(raw: bytes) -> str:
    return repr(raw.decode("gb18030", errors="replace"))


def _encoding_fault(chunk: bytes, after_cut: bool) -> tuple[int, str] | None:
    """Decode the field alone: a character cut at a field boundary fails here, not in the whole line."""
    try:
        chunk.decode("gb18030")
    except UnicodeDecodeError as error:
        if error.end >= len(chunk) and "incomplete" in error.reason:
            return error.start, CUT_AT_END
        if error.start == 0 and after_cut:
            return 0, N_("the field starts with the second half of the Chinese character cut before it")
        return error.start, f"bytes are not GB18030 text ({chunk[error.start:error.end].hex(' ')})"
    return None


def field_fault(spec: FieldSpec, chunk: bytes, *, after_cut: bool = False) -> tuple[int, str] | None:
    """The first thing wrong with one field's bytes, as (0-based byte in the field, message).

    ``after_cut`` says the previous field ended in half a character, so a bad first byte here
    is its other half rather than a separate fault in this field.
    """
    fault = _encoding_fault(chunk, after_cut)
    if fault is not None:
        return fault
    for index, byte in enumerate(chunk):
        if byte < 0x20 or byte == 0x7F:
            return index, f"control character 0x{byte:02x} inside the field"
    if spec.kind == "A" and not _A_VALUE.fullmatch(chunk):
        bad = _first_bad(chunk.rstrip(b" "))
        return bad, f"A{spec.width} field must hold digits only, found {_show(chunk)}"
    if spec.kind == "N" and not _N_VALUE.fullmatch(chunk):
        bad = _first_bad(chunk)
        return bad, (f"N{spec.width},{spec.decimals} field must be zero-padded digits "
                     f"(no sign, no decimal point) or all blank, found {_show(chunk)}")
    return None


def _first_bad(chunk: bytes) -> int:
    match = _NOT_DIGIT.search(chunk)
    return match.start() if match else 0


def layout(specs: Sequence[FieldSpec]) -> list[tuple[FieldSpec, int]]:
    """Each field with its 0-based start byte in the record."""
    starts: list[tuple[FieldSpec, int]] = []
    position = 0
    for spec in specs:
        starts.append((spec, position))
        position += spec.width
    return starts


def check_record(record: bytes, line: int, fields: list[tuple[FieldSpec, int]],
                 width: int) -> Iterator[RecordFault]:
    """Length first (a short record is usually a cut file), then every field that is wholly present."""
    if len(record) < width:
        short = next(spec for spec, start in fields if start + spec.width > len(record))
        yield RecordFault(line, short.name, len(record) + 1,
                          f"record is {len(record)} bytes, {width} expected: "
                          f"it ends inside field {short.name}")
    elif len(record) > width:
        yield RecordFault(line, None, width + 1,
                          f"record is {len(record)} bytes, {width} expected: "
                          f"{len(record) - width} extra bytes after the last field")
    after_cut = False
    for spec, start in fields:
        chunk = record[start:start + spec.width]
        if len(chunk) < spec.width:
            break
        fault = field_fault(spec, chunk, after_cut=after_cut)
        after_cut = fault is not None and fault[1] == CUT_AT_END
        if fault is not None:
            index, message = fault
            yield RecordFault(line, spec.name, start + index + 1, message)


def check_records(records: Sequence[bytes], first_line: int,
                  specs: Sequence[FieldSpec]) -> Iterator[RecordFault]:
    """Check every record against the header's fields; ``first_line`` is the first record's line number."""
    fields = layout(specs)
    width = sum(spec.width for spec in specs)
    for number, record in enumerate(records, start=first_line):
        yield from check_record(record, number, fields, width)
