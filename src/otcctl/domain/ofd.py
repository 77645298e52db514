"""Judge an OFD data file (JR/T 0017) before anything loads it.

A bad F1/F2 file found at import time costs the trading day; found here it costs a phone call to
the sender. So the checker reads the file as the standard defines it - bytes, not characters,
because widths count GBK bytes - and names the line, field and byte of every fault it finds.
Pure: bytes in, an :class:`OfdReport` out; nothing printed, nothing raised for a bad file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from otcctl.domain.ofd_dictionary import (
    DATA_START,
    FILE_END,
    HEADER_LAYOUTS,
    FieldSpec,
    HeaderLayout,
    OfdDictionary,
    load_dictionary,
)
from otcctl.domain.ofd_records import check_records
from otcctl.i18n import N_

MAX_PROBLEMS = 100
_HEADER_LINES = 10
_NAME = re.compile(r"OFD_([A-Za-z0-9]+)_([A-Za-z0-9]+)_(\d{8})_([A-Za-z0-9]{2})\.TXT", re.IGNORECASE)
_FIELD_NAME = re.compile(rb"[A-Za-z][A-Za-z0-9_]* *")


@dataclass(frozen=True)
class OfdName:
    """What a file name promises: ``OFD_{creator}_{receiver}_{YYYYMMDD}_{type}.TXT``."""

    creator: str
    receiver: str
    date: str
    file_type: str


@dataclass(frozen=True)
class OfdProblem:
    """One fault; ``line`` is 1-based (0 = the file name), ``offset`` the 1-based byte in the line.

    Byte positions count from 1 like the standard's 起始位置 column and an editor's byte column,
    so an operator can go straight to the spot.
    """

    line: int
    field: str | None
    offset: int | None
    message: str

    def __str__(self) -> str:
        where = ["file name" if self.line == 0 else f"line {self.line}"]
        if self.field is not None:
            where.append(f"field {self.field}")
        if self.offset is not None:
            where.append(f"byte {self.offset}")
        return f"{', '.join(where)}: {self.message}"


@dataclass(frozen=True)
class OfdHeader:
    """The header as read; ``record_count`` is what the header claims, None if unreadable."""

    version: str
    creator: str
    receiver: str
    date: str
    file_type: str
    fields: tuple[str, ...]
    record_count: int | None


@dataclass(frozen=True)
class OfdReport:
    """The verdict on one file: ok exactly when no problem was found."""

    filename: str
    header: OfdHeader | None
    problems: tuple[OfdProblem, ...]
    records_found: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_ofd_name(filename: str | os.PathLike[str]) -> OfdName | None:
    """Split an OFD data file name into its parts; None when the name is not of that form."""
    match = _NAME.fullmatch(Path(filename).name)
    if match is None:
        return None
    creator, receiver, day, file_type = match.groups()
    return OfdName(creator=creator, receiver=receiver, date=day, file_type=file_type.upper())


class _Problems:
    """Collects problems, keeping the first MAX_PROBLEMS so a wholly broken file stays readable."""

    def __init__(self) -> None:
        self.items: list[OfdProblem] = []
        self.dropped = 0

    def add(self, line: int, field: str | None, offset: int | None, message: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(OfdProblem(line, field, offset, message))
        else:
            self.dropped += 1

    def result(self) -> tuple[OfdProblem, ...]:
        if not self.dropped:
            return tuple(self.items)
        last = self.items[-1]
        more = OfdProblem(last.line, None, None, f"... and {self.dropped} more problems not listed")
        return (*self.items, more)


def _text(raw: bytes) -> str:
    return raw.decode("gb18030", errors="replace").strip(" ")


def _normal_date(value: str | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    if not _is_date(value):
        raise ValueError(f"expected_date must be YYYYMMDD, got {value!r}")
    return value


def _is_date(value: str) -> bool:
    if not re.fullmatch(r"\d{8}", value):
        return False
    try:
        datetime.strptime(value, "%Y%m%d")
    except ValueError:
        return False
    return True


def _split_lines(data: bytes, problems: _Problems) -> list[bytes]:
    """Cut the file into lines, reporting LF without CR once (with a count) rather than per line."""
    segments = data.split(b"\n")
    ends_with_newline = segments[-1] == b""
    if ends_with_newline:
        segments.pop()
    lines: list[bytes] = []
    lf_only: list[int] = []
    for number, segment in enumerate(segments, start=1):
        terminated = number < len(segments) or ends_with_newline
        if segment.endswith(b"\r"):
            segment = segment[:-1]
        elif terminated:
            lf_only.append(number)
        cr = segment.find(b"\r")
        if cr >= 0:
            problems.add(number, None, cr + 1, N_("carriage return (CR) inside the line; lines end with CR LF"))
        lines.append(segment)
    if lf_only:
        message = N_("line ends with LF only; OFD lines end with CR LF")
        if len(lf_only) > 1:
            message += f" ({len(lf_only)} lines like this)"
        problems.add(lf_only[0], None, None, message)
    return lines


def _check_header_widths(lines: list[bytes], layout: HeaderLayout, problems: _Problems) -> None:
    for number, (what, width) in enumerate(layout.line_widths(), start=1):
        length = len(lines[number - 1])
        if length > width:
            problems.add(number, None, width + 1,
                         f"{what} line is {length} bytes; version {layout.version} allows {width}")


def _check_header_parties(lines: list[bytes], name: OfdName | None, expected: str | None,
                          problems: _Problems) -> None:
    creator, receiver, day, file_type = (_text(lines[i]) for i in (2, 3, 4, 6))
    if name is not None:
        for number, what, found, promised in ((3, N_("creator"), creator, name.creator),
                                              (4, N_("receiver"), receiver, name.receiver),
                                              (7, N_("file type"), file_type, name.file_type)):
            if found.casefold() != promised.casefold():
                problems.add(number, None, None,
                             f"header {what} {found!r} differs from the file name's {promised!r}")
    if not _is_date(day):
        problems.add(5, None, None, f"header date {day!r} is not a YYYYMMDD date")
        return
    if name is not None and day != name.date:
        problems.add(5, None, None, f"header date {day} differs from the file name date {name.date}")
    if expected is not None and day != expected:
        problems.add(5, None, None, f"header date {day} is not the expected trading date {expected}")


def _read_count(raw: bytes, number: int, what: str, problems: _Problems) -> int | None:
    text = _text(raw)
    if not text.isdigit() or not text.isascii():
        problems.add(number, None, None, f"{what} {text!r} is not a number")
        return None
    return int(text)


@dataclass(frozen=True)
class _FieldLine:
    number: int
    written: str
    spec: FieldSpec | None


def _read_field_names(lines: list[bytes], file_type: str, declared: int | None,
                      dictionary: OfdDictionary, problems: _Problems) -> list[_FieldLine]:
    """Field names run until the first line that cannot be one (the record count)."""
    found: list[_FieldLine] = []
    index = _HEADER_LINES
    while index < len(lines) and _FIELD_NAME.fullmatch(lines[index]):
        written = _text(lines[index])
        found.append(_FieldLine(index + 1, written, dictionary.field(written)))
        index += 1
    if declared is not None and declared != len(found):
        problems.add(_HEADER_LINES, None, None,
                     f"header says {declared} fields but {len(found)} field names follow")
    spec_type = dictionary.file_type(file_type)
    seen: set[str] = set()
    for item in found:
        if item.spec is None:
            problems.add(item.number, item.written, None,
                         N_("unknown field name: not in the JR/T 0017 field dictionary, so its width is unknown"))
            continue
        if spec_type is not None and not spec_type.lists(item.spec.name):
            problems.add(item.number, item.spec.name, None,
                         f"not a field of file type {spec_type.code} ({spec_type.title}) in the dictionary")
        if item.spec.name in seen:
            problems.add(item.number, item.spec.name, None, N_("field listed twice"))
        seen.add(item.spec.name)
    if spec_type is not None:
        for required in spec_type.required:
            if required not in seen:
                problems.add(_HEADER_LINES, required, None,
                             f"required field of file type {spec_type.code} is missing from the header")
    return found


def _find_trailer(lines: list[bytes], first_record: int, problems: _Problems) -> int:
    """Index of OFDCFEND (or len(lines) when it is missing); anything after it is a fault."""
    for index in range(first_record, len(lines)):
        if lines[index].rstrip(b" ") == FILE_END.encode():
            if index + 1 < len(lines):
                problems.add(index + 2, None, None,
                             f"{len(lines) - index - 1} line(s) after the {FILE_END} trailer")
            return index
    problems.add(len(lines) + 1, None, None,
                 f"no {FILE_END} trailer: the file is cut short or still being written")
    return len(lines)


def _header(lines: list[bytes], fields: list[_FieldLine], record_count: int | None) -> OfdHeader:
    version, creator, receiver, day = (_text(lines[i]) for i in (1, 2, 3, 4))
    names = tuple(item.spec.name if item.spec else item.written for item in fields)
    return OfdHeader(version, creator, receiver, day, _text(lines[6]).upper(), names, record_count)


def _read_layout(lines: list[bytes], problems: _Problems) -> HeaderLayout:
    """The header widths for the file's version; an unknown version is judged by the likelier layout."""
    version = _text(lines[1])
    layout = HEADER_LAYOUTS.get(version)
    if layout is None:
        problems.add(2, None, None, f"version {version!r} is not one we know ({', '.join(HEADER_LAYOUTS)})")
        return HEADER_LAYOUTS["22" if len(lines[1]) > 4 else "21"]
    _check_header_widths(lines, layout, problems)
    return layout


def _read_record_count(lines: list[bytes], index: int, layout: HeaderLayout,
                       problems: _Problems) -> int | None:
    raw = lines[index]
    if len(raw) > layout.record_count_width:
        problems.add(index + 1, None, layout.record_count_width + 1,
                     f"record count line is {len(raw)} bytes; "
                     f"version {layout.version} allows {layout.record_count_width}")
    return _read_count(raw, index + 1, N_("record count"), problems)


def _check_body(lines: list[bytes], count_index: int, declared: int | None, fields: list[_FieldLine],
                problems: _Problems) -> int:
    """Records between the count line and the trailer; returns how many were found."""
    first = count_index + 1
    end = _find_trailer(lines, first, problems)
    records = lines[first:end]
    if declared is not None and declared != len(records):
        span = f" (lines {first + 1}-{end})" if records else ""
        problems.add(count_index + 1, None, None,
                     f"header says {declared} records but {len(records)} follow{span}")
    specs = [item.spec for item in fields if item.spec is not None]
    if records and len(specs) < len(fields):
        problems.add(first + 1, None, None, N_("records not checked field by field: a field's width is unknown"))
    elif records:
        for fault in check_records(records, first + 1, specs):
            problems.add(*fault)
    return len(records)


def check_ofd_bytes(data: bytes, *, filename: str, expected_date: str | date | None = None,
                    dictionary: OfdDictionary | None = None) -> OfdReport:
    """Check one OFD data file's bytes against its name, the expected trading date and the dictionary."""
    dictionary = dictionary or load_dictionary()
    expected = _normal_date(expected_date)
    problems = _Problems()
    base = Path(filename).name
    name = parse_ofd_name(base)
    if name is None:
        problems.add(0, None, None,
                     f"{base!r} is not an OFD data file name (OFD_creator_receiver_YYYYMMDD_type.TXT)")
    if not data:
        problems.add(1, None, None, N_("file is empty"))
        return OfdReport(base, None, problems.result())
    lines = _split_lines(data, problems)
    if lines[0].rstrip(b" ") != DATA_START.encode():
        first = _text(lines[0][:40])
        problems.add(1, None, None, f"first line is {first!r}, not {DATA_START}: not an OFD data file")
        return OfdReport(base, None, problems.result())
    if len(lines) <= _HEADER_LINES:
        problems.add(len(lines) + 1, None, None, f"file ends inside the header after {len(lines)} lines")
        return OfdReport(base, None, problems.result())
    layout = _read_layout(lines, problems)
    _check_header_parties(lines, name, expected, problems)
    declared_fields = _read_count(lines[9], _HEADER_LINES, N_("field count"), problems)
    fields = _read_field_names(lines, _text(lines[6]).upper(), declared_fields, dictionary, problems)
    count_index = _HEADER_LINES + len(fields)
    if count_index >= len(lines):
        problems.add(count_index + 1, None, None, N_("file ends before the record count line"))
        return OfdReport(base, _header(lines, fields, None), problems.result())
    declared_records = _read_record_count(lines, count_index, layout, problems)
    found = _check_body(lines, count_index, declared_records, fields, problems)
    return OfdReport(base, _header(lines, fields, declared_records), problems.result(), records_found=found)


def check_ofd_file(path: str | os.PathLike[str], *, expected_date: str | date | None = None,
                   dictionary: OfdDictionary | None = None) -> OfdReport:
    """Read and check a file; an unreadable file is a verdict, not an exception."""
    target = Path(path)
    try:
        data = target.read_bytes()
    except OSError as error:
        problem = OfdProblem(0, None, None, f"cannot read the file: {error.strerror or error}")
        return OfdReport(target.name, None, (problem,))
    return check_ofd_bytes(data, filename=target.name, expected_date=expected_date, dictionary=dictionary)
