"""Write well-formed OFD data files: for tests, and for the lab that plays the sender.

The writer formats by the same dictionary the checker reads, so a file it writes passes the
checker; tests break such a file on purpose to prove each check. Values are formatted, not
trusted: a value that does not fit its field raises ValueError instead of writing a bad file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

from otcctl.domain.ofd_dictionary import (
    DATA_START,
    FILE_END,
    HEADER_LAYOUTS,
    FieldSpec,
    OfdDictionary,
    load_dictionary,
)

OfdValue = str | int | Decimal | None
CRLF = b"\r\n"
ENCODING = "gb18030"


def _today() -> date:
    """Today's date, for functions whose parameter named ``date`` hides the class."""
    return date.today()


def _day(value: str | date) -> str:
    return value.strftime("%Y%m%d") if isinstance(value, date) else value


def ofd_filename(*, creator: str, receiver: str, date: str | date, file_type: str) -> str:
    """The standard name, ``OFD_{creator}_{receiver}_{YYYYMMDD}_{type}.TXT``."""
    return f"OFD_{creator}_{receiver}_{_day(date)}_{file_type}.TXT"


def format_field(spec: FieldSpec, value: OfdValue) -> bytes:
    """One field's bytes. None is blank; A from int is zero-padded, A from str is space-padded."""
    if value is None:
        return b" " * spec.width
    if spec.kind == "N":
        raw = _format_number(spec, value)
    elif spec.kind == "A":
        text = str(value).zfill(spec.width) if isinstance(value, int) else str(value)
        if not text.isascii() or not text.isdigit():
            raise ValueError(f"{spec.name}: A field takes digits only, got {value!r}")
        raw = text.encode("ascii")
    else:
        raw = str(value).encode(ENCODING)
    if len(raw) > spec.width:
        raise ValueError(f"{spec.name}: {value!r} takes {len(raw)} bytes, the field has {spec.width}")
    return raw.ljust(spec.width, b" ")


def _format_number(spec: FieldSpec, value: OfdValue) -> bytes:
    number = Decimal(value) if isinstance(value, (int, str)) else value
    if number is None or not number.is_finite():
        raise ValueError(f"{spec.name}: {value!r} is not a number")
    if number < 0:
        raise ValueError(f"{spec.name}: N fields carry no sign; put negatives in a flag field")
    scaled = number.scaleb(spec.decimals)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{spec.name}: {value!r} has more than {spec.decimals} decimals")
    digits = str(int(scaled)).zfill(spec.width)
    if len(digits) > spec.width:
        raise ValueError(f"{spec.name}: {value!r} needs more than N{spec.width},{spec.decimals}")
    return digits.encode("ascii")


def encode_record(specs: Sequence[FieldSpec], values: Mapping[str, OfdValue]) -> bytes:
    """A record's bytes; keys match field names in any letter case, missing keys are blank."""
    folded = {key.casefold(): value for key, value in values.items()}
    unknown = set(folded) - {spec.name.casefold() for spec in specs}
    if unknown:
        raise ValueError(f"values for fields not in this file: {', '.join(sorted(unknown))}")
    return b"".join(format_field(spec, folded.get(spec.name.casefold())) for spec in specs)


def _header_line(value: str, width: int) -> bytes:
    raw = value.encode("ascii")
    if len(raw) > width:
        raise ValueError(f"header value {value!r} is wider than {width} bytes")
    return raw.ljust(width, b" ")


def _field_specs(dictionary: OfdDictionary, file_type: str, fields: Sequence[str] | None) -> list[FieldSpec]:
    if fields is None:
        spec_type = dictionary.file_type(file_type)
        if spec_type is None:
            raise ValueError(f"file type {file_type} has no field list; pass fields=")
        fields = spec_type.default_fields
    specs: list[FieldSpec] = []
    for name in fields:
        spec = dictionary.field(name)
        if spec is None:
            raise ValueError(f"field {name} is not in the OFD field dictionary")
        specs.append(spec)
    return specs


def build_ofd_bytes(
    *,
    creator: str,
    receiver: str,
    date: str | date,
    file_type: str,
    records: Sequence[Mapping[str, OfdValue]],
    version: str = "21",
    fields: Sequence[str] | None = None,
    summary_no: str = "000",
    sender: str = "",
    recipient: str = "",
    trailing_crlf: bool = True,
    dictionary: OfdDictionary | None = None,
) -> bytes:
    """A whole data file; ``fields`` defaults to the file type's required fields (else all listed)."""
    layout = HEADER_LAYOUTS.get(version)
    if layout is None:
        raise ValueError(f"version {version!r} is not one of {', '.join(HEADER_LAYOUTS)}")
    specs = _field_specs(dictionary or load_dictionary(), file_type, fields)
    widths = dict(layout.line_widths())
    lines = [
        DATA_START.encode("ascii"),
        _header_line(version, widths["version"]),
        _header_line(creator, widths["creator"]),
        _header_line(receiver, widths["receiver"]),
        _header_line(_day(date), widths["date"]),
        _header_line(summary_no, widths["summary table no."]),
        _header_line(file_type, widths["file type"]),
        _header_line(sender, widths["sender person"]),
        _header_line(recipient, widths["recipient person"]),
        _header_line(str(len(specs)).zfill(layout.field_count_width), layout.field_count_width),
        *(spec.name.encode("ascii") for spec in specs),
        _header_line(str(len(records)).zfill(layout.record_count_width), layout.record_count_width),
        *(encode_record(specs, record) for record in records),
        FILE_END.encode("ascii"),
    ]
    body = CRLF.join(lines)
    return body + CRLF if trailing_crlf else body


def write_ofd_file(
    path: str | os.PathLike[str],
    *,
    creator: str,
    receiver: str,
    date: str | date,
    file_type: str,
    records: Sequence[Mapping[str, OfdValue]],
    version: str = "21",
    fields: Sequence[str] | None = None,
    summary_no: str = "000",
    trailing_crlf: bool = True,
    dictionary: OfdDictionary | None = None,
) -> Path:
    """Write a data file and return its path; a directory ``path`` gets the standard file name.

    The bytes go to a temporary file renamed into place, so a watcher never sees half a file
    unless a test makes one on purpose; the file is made world-readable like a delivered one
    (mkstemp alone would leave it 0600, unreadable to the account that fetches it).
    """
    target = Path(path)
    if target.is_dir():
        target = target / ofd_filename(creator=creator, receiver=receiver, date=date, file_type=file_type)
    data = build_ofd_bytes(creator=creator, receiver=receiver, date=date, file_type=file_type,
                           records=records, version=version, fields=fields, summary_no=summary_no,
                           trailing_crlf=trailing_crlf, dictionary=dictionary)
    handle, temporary = tempfile.mkstemp(prefix=".ofd-", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def sample_f1_records(n: int, *, update_date: str | date | None = None) -> list[dict[str, OfdValue]]:
    """``n`` plausible 07 (market data / NAV) records with Chinese names, for the required fields."""
    day = _day(update_date or date.today())
    records: list[dict[str, OfdValue]] = []
    for i in range(n):
        nav = Decimal("1.0000") + Decimal(i % 97) * Decimal("0.0123")
        volume = Decimal(1_000_000 + 2_500 * i).quantize(Decimal("0.01"))
        records.append({
            "FundName": f"中证资本稳健收益凭证第{i + 1}期",
            "TotalFundVol": volume,
            "FundCode": f"ZZ{i + 1:04d}",
            "FundStatus": "0",
            "NAV": nav,
            "UpdateDate": day,
            "NetValueType": "0",
            "AccumulativeNAV": nav + Decimal("0.0500"),
            "ConvertStatus": "0",
            "PeriodicStatus": "0",
            "TransferAgencyStatus": "0",
            "FundSize": (volume * nav).quantize(Decimal("0.01")),
            "CurrencyType": "156",
            "AnnouncFlag": "0",
        })
    return records


def _sample_value(spec: FieldSpec, index: int, day: str) -> OfdValue:
    if spec.kind == "N":
        return Decimal(index + 1).scaleb(-spec.decimals) if spec.width > spec.decimals else Decimal(0)
    if spec.name.casefold() == "currencytype":
        return "156"
    if spec.kind == "A":
        if spec.width == 8 and "date" in spec.name.casefold():
            return day
        return index % int("1" + "0" * min(spec.width, 9))
    return f"{index + 1}"[: spec.width]


def sample_records(file_type: str, n: int, *, date: str | date | None = None,
                   fields: Sequence[str] | None = None,
                   dictionary: OfdDictionary | None = None) -> list[dict[str, OfdValue]]:
    """``n`` well-formed records of any file type (F2 clearing files too): valid, not meaningful."""
    day = _day(date or _today())
    specs = _field_specs(dictionary or load_dictionary(), file_type, fields)
    return [{spec.name: _sample_value(spec, i, day) for spec in specs} for i in range(n)]
