"""OFD data file checks: good files pass, each kind of damage is named by line, field and byte.

Files are written by ``otcctl.domain.ofd_sample`` (the lab's writer) and then broken on purpose,
so each test shows the one fault an operator would have to find by hand.
"""

from __future__ import annotations

import json
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from otcctl.domain.ofd import (
    MAX_PROBLEMS,
    OfdProblem,
    OfdReport,
    check_ofd_bytes,
    check_ofd_file,
    parse_ofd_name,
)
from otcctl.domain.ofd_dictionary import load_dictionary
from otcctl.domain.ofd_sample import (
    build_ofd_bytes,
    format_field,
    ofd_filename,
    sample_f1_records,
    sample_records,
    write_ofd_file,
)

DAY = "20250102"
F1_NAME = f"OFD_ZZ_189_{DAY}_07.TXT"
# v21 F1 with the 14 required fields: lines 1-10 header, 11-24 names, 25 count, 26.. records.
COUNT_LINE = 25
FIRST_RECORD = 26
F1_WIDTH = 109


def f1_bytes(n: int = 3, **options: Any) -> bytes:
    """A good v21 F1 file of ``n`` records; options override build_ofd_bytes arguments."""
    arguments: dict[str, Any] = {"creator": "ZZ", "receiver": "189", "date": DAY, "file_type": "07",
                                 "records": sample_f1_records(n, update_date=DAY)}
    return build_ofd_bytes(**(arguments | options))


def check_f1(data: bytes, *, filename: str = F1_NAME, expected_date: str | None = None) -> OfdReport:
    return check_ofd_bytes(data, filename=filename, expected_date=expected_date)


def field_start(name: str) -> int:
    """0-based start of a field in a sample F1 record."""
    dictionary = load_dictionary()
    position = 0
    for field in dictionary.file_types["07"].required:
        if field == name:
            return position
        spec = dictionary.field(field)
        assert spec is not None
        position += spec.width
    raise KeyError(name)


def edit_line(data: bytes, line: int, new: bytes) -> bytes:
    lines = data.split(b"\r\n")
    lines[line - 1] = new
    return b"\r\n".join(lines)


def edit_field(data: bytes, line: int, field: str, new: bytes) -> bytes:
    record = data.split(b"\r\n")[line - 1]
    start = field_start(field)
    return edit_line(data, line, record[:start] + new + record[start + len(new):])


def problem_at(report: OfdReport, line: int, field: str | None = None) -> OfdProblem:
    for problem in report.problems:
        if problem.line == line and problem.field == field:
            return problem
    raise AssertionError(f"no problem at line {line} field {field}: {[str(p) for p in report.problems]}")


# --- good files -------------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["20", "21", "22"])
def test_good_f1_passes_and_reports_its_header(version: str) -> None:
    report = check_f1(f1_bytes(5, version=version), expected_date=DAY)
    assert report.ok, [str(p) for p in report.problems]
    assert report.header is not None
    assert (report.header.version, report.header.creator, report.header.receiver) == (version, "ZZ", "189")
    assert (report.header.date, report.header.file_type, report.header.record_count) == (DAY, "07", 5)
    assert report.header.fields[:5] == ("FundName", "TotalFundVol", "FundCode", "FundStatus", "NAV")
    assert report.records_found == 5


def test_v22_header_uses_the_wider_lines() -> None:
    lines = f1_bytes(1, version="22").split(b"\r\n")
    assert lines[1] == b"22      " and len(lines[2]) == 20 and len(lines[9]) == 8
    assert lines[24] == b"0000000000000001"


def test_f1_record_is_109_bytes_with_chinese_names() -> None:
    record = f1_bytes(1).split(b"\r\n")[FIRST_RECORD - 1]
    assert len(record) == F1_WIDTH
    assert record[:40].decode("gb18030").startswith("中证资本")


@pytest.mark.parametrize("version", ["21", "22"])
@pytest.mark.parametrize("file_type", ["25", "10", "05", "06"])
def test_good_f2_clearing_files_pass(file_type: str, version: str) -> None:
    data = build_ofd_bytes(creator="899", receiver="189", date=DAY, file_type=file_type, version=version,
                           records=sample_records(file_type, 4, date=DAY))
    report = check_ofd_bytes(data, filename=f"OFD_899_189_{DAY}_{file_type}.TXT", expected_date=DAY)
    assert report.ok, [str(p) for p in report.problems]


def test_every_dictionary_file_type_round_trips_with_all_its_fields() -> None:
    dictionary = load_dictionary()
    for code, spec in dictionary.file_types.items():
        names = [name for name, _ in spec.fields]
        data = build_ofd_bytes(creator="899", receiver="189", date=DAY, file_type=code, fields=names,
                               records=sample_records(code, 2, date=DAY, fields=names))
        report = check_ofd_bytes(data, filename=f"OFD_899_189_{DAY}_{code}.TXT")
        assert report.ok, (code, [str(p) for p in report.problems])


def test_tolerated_producer_differences_pass() -> None:
    fields = [*load_dictionary().file_types["07"].required, "MinRedemptionVol", "IPOStartDate"]
    records = sample_f1_records(2, update_date=DAY)
    data = f1_bytes(fields=fields, records=records, trailing_crlf=False)
    assert data.endswith(b"OFDCFEND")
    data = data.replace(b"\r\nNAV\r\n", b"\r\nnav\r\n").replace(b"FundName", b"FUNDNAME")
    assert check_f1(data).ok, [str(p) for p in check_f1(data).problems]


def test_zero_records_pass() -> None:
    assert check_f1(f1_bytes(0)).ok


# --- broken files -----------------------------------------------------------------------------

def test_wrong_record_count_names_the_count_line() -> None:
    data = edit_line(f1_bytes(3), COUNT_LINE, b"00000004")
    problem = problem_at(check_f1(data), COUNT_LINE)
    assert "header says 4 records but 3 follow" in str(problem)
    assert str(problem).startswith(f"line {COUNT_LINE}: ")


def test_short_record_names_the_field_it_ends_in() -> None:
    record = f1_bytes(3).split(b"\r\n")[FIRST_RECORD]
    data = edit_line(f1_bytes(3), FIRST_RECORD + 1, record[:-1])
    problem = problem_at(check_f1(data), FIRST_RECORD + 1, "AnnouncFlag")
    assert str(problem) == (f"line {FIRST_RECORD + 1}, field AnnouncFlag, byte {F1_WIDTH}: "
                            f"record is {F1_WIDTH - 1} bytes, {F1_WIDTH} expected: "
                            "it ends inside field AnnouncFlag")


def test_long_record_is_rejected() -> None:
    data = edit_line(f1_bytes(1), FIRST_RECORD, f1_bytes(1).split(b"\r\n")[FIRST_RECORD - 1] + b"X")
    assert "1 extra bytes" in problem_at(check_f1(data), FIRST_RECORD).message


def test_bad_a_field_names_field_and_byte() -> None:
    data = edit_field(f1_bytes(), FIRST_RECORD, "UpdateDate", b"2025O102")
    problem = problem_at(check_f1(data), FIRST_RECORD, "UpdateDate")
    assert problem.offset == field_start("UpdateDate") + 4 + 1
    where = f"line {FIRST_RECORD}, field UpdateDate, byte 75: "
    assert str(problem).startswith(where + "A8 field must hold digits")


@pytest.mark.parametrize("bad", [b"1.02340", b"-001000", b" 010000", b"00A0000"])
def test_bad_n_field_names_field(bad: bytes) -> None:
    data = edit_field(f1_bytes(), FIRST_RECORD + 2, "NAV", bad)
    problem = problem_at(check_f1(data), FIRST_RECORD + 2, "NAV")
    assert "N7,4 field must be zero-padded digits" in problem.message
    assert problem.offset is not None and 64 <= problem.offset <= 70


def test_blank_n_field_is_empty_not_an_error() -> None:
    assert check_f1(edit_field(f1_bytes(), FIRST_RECORD, "NAV", b" " * 7)).ok


def test_half_chinese_character_at_a_field_end() -> None:
    lead, trail = "中".encode("gbk")
    name = b"A" * 39 + bytes([lead])
    data = edit_field(f1_bytes(), FIRST_RECORD, "FundName", name + bytes([trail]) + b"0" * 15)
    report = check_f1(data)
    problem = problem_at(report, FIRST_RECORD, "FundName")
    assert str(problem) == (f"line {FIRST_RECORD}, field FundName, byte 40: "
                            "a Chinese character is cut in half at the end of the field")
    assert "second half" in problem_at(report, FIRST_RECORD, "TotalFundVol").message


def test_missing_trailer() -> None:
    data = f1_bytes(2).replace(b"OFDCFEND\r\n", b"")
    problem = problem_at(check_f1(data), FIRST_RECORD + 2)
    assert "no OFDCFEND trailer" in problem.message


def test_lines_after_the_trailer() -> None:
    report = check_f1(f1_bytes(1) + b"\r\n")
    assert "after the OFDCFEND trailer" in problem_at(report, FIRST_RECORD + 2).message


def test_lf_only_line_ends() -> None:
    data = f1_bytes(2).replace(b"\r\n", b"\n")
    report = check_f1(data)
    assert not report.ok
    problem = problem_at(report, 1)
    assert "LF only" in problem.message and f"({FIRST_RECORD + 2} lines like this)" in problem.message


def test_one_bare_lf_inside_the_body() -> None:
    data = f1_bytes(2)
    cut = data.index(b"\r\n", data.index(b"00000002"))
    data = data[:cut] + b"\n" + data[cut + 2:]
    problem = problem_at(check_f1(data), COUNT_LINE)
    assert str(problem) == f"line {COUNT_LINE}: line ends with LF only; OFD lines end with CR LF"


def test_bare_cr_inside_a_record() -> None:
    data = edit_field(f1_bytes(1), FIRST_RECORD, "FundCode", b"ZZ\r001")
    report = check_f1(data)
    assert "carriage return" in problem_at(report, FIRST_RECORD).message
    assert problem_at(report, FIRST_RECORD).offset == field_start("FundCode") + 3


def test_header_date_differs_from_file_name_date() -> None:
    data = edit_line(f1_bytes(), 5, b"20250103")
    problem = problem_at(check_f1(data), 5)
    assert str(problem) == "line 5: header date 20250103 differs from the file name date 20250102"


def test_date_differs_from_expected_trading_date() -> None:
    report = check_f1(f1_bytes(), expected_date="20250103")
    assert [str(p) for p in report.problems] == [
        "line 5: header date 20250102 is not the expected trading date 20250103"]


def test_unknown_field_name() -> None:
    data = edit_line(f1_bytes(), 12, b"TotalFundVolume")
    report = check_f1(data)
    problem = problem_at(report, 12, "TotalFundVolume")
    assert "unknown field name" in problem.message
    assert "width is unknown" in problem_at(report, FIRST_RECORD).message


def test_field_of_another_file_type() -> None:
    fields = [*load_dictionary().file_types["07"].required, "SeatCode"]
    data = f1_bytes(1, fields=fields)
    assert "not a field of file type 07" in problem_at(check_f1(data), COUNT_LINE, "SeatCode").message


def test_missing_required_field() -> None:
    fields = [f for f in load_dictionary().file_types["07"].required if f != "NAV"]
    records = [{k: v for k, v in r.items() if k != "NAV"} for r in sample_f1_records(1, update_date=DAY)]
    problem = problem_at(check_f1(f1_bytes(fields=fields, records=records)), 10, "NAV")
    assert "required field" in problem.message


def test_field_count_differs_from_field_name_lines() -> None:
    data = edit_line(f1_bytes(), 10, b"015")
    assert "header says 15 fields but 14 field names follow" in problem_at(check_f1(data), 10).message


@pytest.mark.parametrize(("line", "value", "text"), [
    (1, b"OFDCFIDX", "not an OFD data file"),
    (2, b"23  ", "version '23' is not one we know"),
    (3, b"YY       ", "creator 'YY' differs from the file name's 'ZZ'"),
    (4, b"188      ", "receiver '188' differs"),
    (7, b"08", "file type '08' differs"),
    (3, b"ZZ        ", "creator line is 10 bytes; version 21 allows 9"),
])
def test_header_lines(line: int, value: bytes, text: str) -> None:
    assert text in problem_at(check_f1(edit_line(f1_bytes(), line, value)), line).message


def test_bad_file_name() -> None:
    report = check_f1(f1_bytes(), filename="OFD_ZZ_189_2025012_07.TXT")
    assert str(report.problems[0]).startswith("file name: ")


def test_empty_bytes() -> None:
    assert [str(p) for p in check_f1(b"").problems] == ["line 1: file is empty"]


def test_many_broken_records_are_capped() -> None:
    data = f1_bytes(150).replace(b"1560\r\n", b"15X0\r\n")
    report = check_f1(data)
    assert len(report.problems) == MAX_PROBLEMS + 1
    assert "more problems not listed" in report.problems[-1].message


# --- names, files, arrival --------------------------------------------------------------------

def test_parse_ofd_name() -> None:
    name = parse_ofd_name(f"/data/in/OFD_899_189_{DAY}_25.txt")
    assert name is not None
    assert (name.creator, name.receiver, name.date, name.file_type) == ("899", "189", DAY, "25")
    assert parse_ofd_name("OFI_ZZ_189_20250102.TXT") is None
    assert ofd_filename(creator="ZZ", receiver="189", date=DAY, file_type="07") == F1_NAME


def test_problem_text() -> None:
    assert str(OfdProblem(14, "NAV", 64, "bad")) == "line 14, field NAV, byte 64: bad"
    assert str(OfdProblem(0, None, None, "bad")) == "file name: bad"


def test_write_and_check_file(tmp_path: Path) -> None:
    path = write_ofd_file(tmp_path, creator="ZZ", receiver="189", date=DAY, file_type="07",
                          records=sample_f1_records(2, update_date=DAY), version="22")
    assert path.name == F1_NAME
    assert check_ofd_file(path, expected_date=DAY).ok
    assert not check_ofd_file(tmp_path / "OFD_ZZ_189_20250103_07.TXT").ok


def test_writer_refuses_values_that_do_not_fit() -> None:
    spec = load_dictionary().field("NAV")
    assert spec is not None
    assert format_field(spec, Decimal("1.2345")) == b"0012345"
    for bad in (Decimal("-1"), Decimal("1.23456"), Decimal("1000")):
        with pytest.raises(ValueError, match="NAV"):
            format_field(spec, bad)


def test_dictionary_names_its_source_and_the_109_byte_f1_record() -> None:
    text = resources.files("otcctl.domain").joinpath("data/ofd_fields.json").read_text(encoding="utf-8")
    assert "chenc224/ofbdep" in json.loads(text)["source"]["transcription"]
    dictionary = load_dictionary()
    assert dictionary.record_width(dictionary.file_types["07"].required) == F1_WIDTH
    assert dictionary.field("nav") == dictionary.field("NAV")
