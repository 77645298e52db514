"""Patterns for the trading calendar's and the OFD checker's problems, for ``messages.translate``.

``otcctl calendar`` (year files, the operator's closure-ranges file) and ``otcctl ofd check`` report
in English with values inside, as the rest of the core does; these patterns rebuild them in the
operator's language with dates, file names, fields and bytes as typed. A group named ``part`` holds a
name from the catalog (a header line, a count), translated in turn like ``why`` and ``detail``.
Fixed sentences are marked with ``N_()`` where they are raised. Kept apart from ``input_messages``
so each module keeps one job and a readable size.
"""

from __future__ import annotations

from otcctl.i18n import N_

_D = r"\d{4}-\d{2}-\d{2}"

# calendar year files (domain/calendar.py) and the closure-ranges file (domain/holiday_notice.py)
CALENDAR_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"cannot read: \[Errno \d+\] (?P<why>[^:]+): .*", N_("cannot read: {why}")),
    (r"cannot read: (?P<why>.+)", N_("cannot read: {why}")),
    (r"'utf-8' codec can't decode byte (?P<byte>0x[0-9a-f]{2}) in position (?P<position>\d+): .+",
     N_("not UTF-8 text: byte {byte} at position {position} cannot be decoded; save the file as UTF-8")),
    (r"unknown key; expected (?P<keys>.+)", N_("unknown key; expected {keys}")),
    (r"expected a mapping with keys (?P<keys>.+)", N_("expected a mapping with keys {keys}")),
    (r"is (?P<value>'.*'|None) but the file name says (?P<year>\d+)",
     N_("is {value} but the file name says {year}")),
    (r"not a date: (?P<detail>.+)", N_("not a date: {detail}")),
    (r"(?P<year>\d+) has no closed weekdays; every year has public holidays",
     N_("{year} has no closed weekdays; every year has public holidays")),
    (r"no holiday ranges given for (?P<year>\d+); every year has public holidays",
     N_("no holiday ranges given for {year}; every year has public holidays")),
    (r"the ranges close no weekday of (?P<year>\d+)", N_("the ranges close no weekday of {year}")),
    (rf"(?P<day>{_D}) is a weekday of (?P<other>\d+), not (?P<year>\d+): put it in (?P<file>\S+)",
     N_("{day} is a weekday of {other}, not {year}: put it in {file}")),
    (rf"(?P<day>{_D}) is already closed for (?P<reason>.+)", N_("{day} is already closed for {reason}")),
    (r"must be named (?P<file>\S+) to be found", N_("must be named {file} to be found")),
    (r"date is in (?P<other>\d+), not (?P<year>\d+)", N_("date is in {other}, not {year}")),
    (r"no such file; write the closure ranges there first \((?P<detail>.+)\)",
     N_("no such file; write the closure ranges there first ({detail})")),
    (r"no closure ranges in the file; expected (?P<detail>.+)", N_("no closure ranges in the file; expected {detail}")),
    (r"expected 'YYYY-MM-DD YYYY-MM-DD 名称' \(first day, last day, name\), e\.g\. (?P<example>'[^']*'); or use "
     r"(?P<detail>.+)",
     N_("expected 'YYYY-MM-DD YYYY-MM-DD 名称' (first day, last day, name), e.g. {example}; or use {detail}")),
    (r"expected (?P<detail>a YAML list of .+)", N_("expected {detail}")),
    (rf"(?P<end>{_D}) is before (?P<start>{_D})", N_("{end} is before {start}")),
    (rf"holiday range (?P<index>\d+) \((?P<start>{_D}) \.\. (?P<end>{_D}) (?P<name>.*)\): (?P<problem>.+)",
     N_("holiday range {index} ({start} .. {end} {name}): {problem}")),
)
CALENDAR_SENTENCES = (
    N_("day is out of range for month"),
    N_("month must be in 1..12"),
    N_("year 0 is out of range"),
)

# otcctl ofd check (domain/ofd.py, domain/ofd_records.py)
OFD_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"line ends with LF only; OFD lines end with CR LF \((?P<count>\d+) lines like this\)",
     N_("line ends with LF only; OFD lines end with CR LF ({count} lines like this)")),
    (r"(?P<part>.+) line is (?P<length>\d+) bytes; version (?P<version>\S+) allows (?P<width>\d+)",
     N_("{part} line is {length} bytes; version {version} allows {width}")),
    (r"header (?P<part>creator|receiver|file type) (?P<found>'.*') differs from the file name's (?P<promised>'.*')",
     N_("header {part} {found} differs from the file name's {promised}")),
    (r"header date (?P<day>'.*') is not a YYYYMMDD date", N_("header date {day} is not a YYYYMMDD date")),
    (r"header date (?P<day>\d+) differs from the file name date (?P<named>\d+)",
     N_("header date {day} differs from the file name date {named}")),
    (r"header date (?P<day>\d+) is not the expected trading date (?P<expected>\d+)",
     N_("header date {day} is not the expected trading date {expected}")),
    (r"(?P<part>field count|record count) (?P<text>'.*') is not a number", N_("{part} {text} is not a number")),
    (r"header says (?P<declared>\d+) fields but (?P<found>\d+) field names follow",
     N_("header says {declared} fields but {found} field names follow")),
    (r"not a field of file type (?P<code>\S+) \((?P<title>.*)\) in the dictionary",
     N_("not a field of file type {code} ({title}) in the dictionary")),
    (r"required field of file type (?P<code>\S+) is missing from the header",
     N_("required field of file type {code} is missing from the header")),
    (r"(?P<count>\d+) line\(s\) after the (?P<trailer>\S+) trailer", N_("{count} line(s) after the {trailer} trailer")),
    (r"no (?P<trailer>\S+) trailer: the file is cut short or still being written",
     N_("no {trailer} trailer: the file is cut short or still being written")),
    (r"version (?P<version>'.*') is not one we know \((?P<known>.*)\)",
     N_("version {version} is not one we know ({known})")),
    (r"header says (?P<declared>\d+) records but (?P<found>\d+) follow \(lines (?P<lines>\d+-\d+)\)",
     N_("header says {declared} records but {found} follow (lines {lines})")),
    (r"header says (?P<declared>\d+) records but (?P<found>\d+) follow",
     N_("header says {declared} records but {found} follow")),
    (r"(?P<name>'.*') is not an OFD data file name \(OFD_creator_receiver_YYYYMMDD_type\.TXT\)",
     N_("{name} is not an OFD data file name (OFD_creator_receiver_YYYYMMDD_type.TXT)")),
    (r"first line is (?P<first>'.*'|\".*\"), not (?P<mark>\S+): not an OFD data file",
     N_("first line is {first}, not {mark}: not an OFD data file")),
    (r"file ends inside the header after (?P<count>\d+) lines", N_("file ends inside the header after {count} lines")),
    (r"cannot read the file: (?P<why>.+)", N_("cannot read the file: {why}")),
    (r"\.\.\. and (?P<count>\d+) more problems not listed", N_("... and {count} more problems not listed")),
    (r"bytes are not GB18030 text \((?P<bytes>[0-9a-f ]+)\)", N_("bytes are not GB18030 text ({bytes})")),
    (r"control character (?P<byte>0x[0-9a-f]{2}) inside the field", N_("control character {byte} inside the field")),
    (r"(?P<kind>A\d+) field must hold digits only, found (?P<found>.+)",
     N_("{kind} field must hold digits only, found {found}")),
    (r"(?P<kind>N\d+,\d+) field must be zero-padded digits \(no sign, no decimal point\) or all blank, found "
     r"(?P<found>.+)",
     N_("{kind} field must be zero-padded digits (no sign, no decimal point) or all blank, found {found}")),
    (r"record is (?P<length>\d+) bytes, (?P<width>\d+) expected: it ends inside field (?P<field>\S+)",
     N_("record is {length} bytes, {width} expected: it ends inside field {field}")),
    (r"record is (?P<length>\d+) bytes, (?P<width>\d+) expected: (?P<extra>\d+) extra bytes after the last field",
     N_("record is {length} bytes, {width} expected: {extra} extra bytes after the last field")),
)

DOMAIN_PATTERNS = CALENDAR_PATTERNS + OFD_PATTERNS
