"""The trading calendar's and the OFD checker's problems in the operator's language: Chinese under
``--lang zh`` with dates, files, fields and bytes exactly as typed, the same exit codes, English unchanged
under ``--lang en``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from otcctl import i18n
from otcctl.cli.main import run_cli
from otcctl.domain.ofd_sample import build_ofd_bytes, sample_f1_records

HAN = re.compile(r"[\u4e00-\u9fff]")
TYPED = re.compile(r"元旦|春节|创建交易年历")  # Chinese the English messages carry as written
YEAR_FILE = "year: 2027\nsource: notice\nclosed:\n  2027-01-01: 元旦\n"

# a broken 2027.yaml: (file text, the Chinese that must appear, the English it replaces)
YEAR_FILES: dict[str, tuple[str, str, str]] = {
    "weekend": (YEAR_FILE + "  2027-01-02: 元旦\n", "第 5 行，字段 'closed.2027-01-02': 这是周末；周末一律不交易",
                "a weekend day"),
    "wrong-year": (YEAR_FILE.replace("year: 2027", "year: 2026"), "字段 'year': 取值为 '2026'，但文件名表明是 2027",
                   "the file name says"),
    "other-year": (YEAR_FILE.replace("2027-01-01", "2026-12-31"), "日期属于 2026 年，不是 2027 年", "date is in"),
    "no-such-day": (YEAR_FILE.replace("2027-01-01", "2027-02-30"),
                    "字段 'closed.2027-02-30': 不是有效日期：该月没有这一天",
                    "not a date"),
    "no-reason": (YEAR_FILE.replace("元旦", "''"), "缺少原因（例如 春节 Spring Festival）", "reason missing"),
    "unknown-key": (YEAR_FILE + "bogus: 1\n", "字段 'bogus': 未知的键；应为 year, source, closed", "unknown key"),
    "no-closed": ("year: 2027\nsource: notice\n", "字段 'closed': 缺失", "missing"),
    "not-a-mapping": ("- 1\n", "应为包含键 year, source, closed 的映射", "expected a mapping"),
    "not-utf8": ("\udcff", "无法读取：不是 UTF-8 文本：位置 0 的字节 0xff 无法解码", "cannot read"),
}

# a broken ranges file for `calendar create 2027 --from FILE`: (name, text, the Chinese, the English)
RANGES: dict[str, tuple[str, str, str, str]] = {
    "overlap": ("r.txt", "2027-02-10 2027-02-17 春节\n2027-02-15 2027-02-16 重复\n",
                "第 2 行: 第 2 个休市区间（2027-02-15 .. 2027-02-16 重复）：2027-02-15 已因 '春节' 休市",
                "already closed"),
    "other-year": ("r.txt", "2026-12-31 2027-01-01 元旦\n",
                   "2026-12-31 是 2026 年的工作日，不属于 2027 年：请写入 2026.yaml", "is a weekday of"),
    "backwards": ("r.yaml", "- {from: 2027-02-10, to: 2027-02-05, name: 春节}\n",
                  "字段 'to': 2027-02-05 早于 2027-02-10", "is before"),
    "unknown-key": ("r.yaml", "- {from: 2027-02-10, too: 2027-02-12, name: 春节}\n",
                    "字段 'too': 未知的键；应为 from, to, name", "unknown key"),
    "short-line": ("r.txt", "2027-02-10 春节\n",
                   "应写作 'YYYY-MM-DD YYYY-MM-DD 名称'（首日、末日、名称），例如 '2027-02-06 2027-02-14 春节'",
                   "expected"),
    "weekend-only": ("r.txt", "2027-01-02 2027-01-03 元旦\n", "这些区间没有覆盖 2027 年的任何工作日",
                     "close no weekday"),
    "empty": ("r.txt", "# nothing yet\n", "文件中没有休市区间；应为 YAML 列表", "no closure ranges"),
    "not-a-list": ("r.yaml", "- 1\n", "应写作 {from: YYYY-MM-DD, to: YYYY-MM-DD, name: 春节}", "expected {from"),
}

OFD_DAY = "20250102"


@pytest.fixture(autouse=True)
def _language_reset() -> Iterator[None]:
    yield
    i18n.set_language(None)


def _run(capsys: pytest.CaptureFixture[str], code: int, *args: str) -> tuple[str, str]:
    """One in-process run in Chinese and one in English: both exit with ``code``, neither with a traceback."""
    outputs = []
    for lang in ("zh", "en"):
        assert run_cli(["--lang", lang, *args]) == code
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err and "internal error" not in captured.err
        outputs.append(captured.out + captured.err)
    return outputs[0], outputs[1]


@pytest.mark.parametrize("name", list(YEAR_FILES))
def test_a_broken_year_file_is_reported_in_chinese(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                   name: str) -> None:
    text, chinese, english = YEAR_FILES[name]
    path = tmp_path / "2027.yaml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    zh, en = _run(capsys, 2, "calendar", "check", "2027-01-04", "--data-dir", str(tmp_path))
    assert zh.startswith(f"错误: {path}") and chinese in zh and english not in zh, zh
    assert en.startswith(f"error: {path}") and english in en and not HAN.search(TYPED.sub("", en)), en


@pytest.mark.parametrize("name", list(RANGES))
def test_a_broken_ranges_file_is_reported_in_chinese(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                     name: str) -> None:
    file_name, text, chinese, english = RANGES[name]
    path = tmp_path / file_name
    path.write_text(text, encoding="utf-8")
    zh, en = _run(capsys, 2, "calendar", "create", "2027", "--from", str(path), "--data-dir", str(tmp_path / "cal"))
    assert zh.startswith(f"错误: {path}") and chinese in zh and english not in zh, zh
    assert en.startswith(f"error: {path}") and english in en, en
    assert not (tmp_path / "cal" / "2027.yaml").exists()


def test_a_missing_ranges_file_names_the_format_in_chinese(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "2027-ranges.yaml"
    zh, en = _run(capsys, 2, "calendar", "create", "2027", "--from", str(path))
    assert zh.strip() == (f"错误: {path}: 文件不存在；请先把休市区间写入该文件（YAML 列表，每项写作 "
                          "{from: YYYY-MM-DD, to: YYYY-MM-DD, name: 春节}）")
    assert "no such file; write the closure ranges there first (a YAML list of {from:" in en


def test_an_unknown_year_is_chinese_from_the_first_word(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    zh, en = _run(capsys, 2, "calendar", "check", "2027-01-04", "--data-dir", str(tmp_path))
    heading = f"错误: 没有 2027 年的交易日历：请依据国务院放假通知和交易所休市通知创建 {tmp_path / '2027.yaml'}"
    assert zh.startswith(heading), zh
    assert f"otcctl calendar create 2027 --from 文件 --data-dir {tmp_path} --dry-run" in zh
    assert "State Council" not in zh and "a YAML list" not in zh, zh
    assert en.startswith("error: no trading calendar for 2027: create") and not HAN.search(TYPED.sub("", en))


def _broken_ofd(folder: Path) -> Path:
    """An F1 file named for type 08 whose header says 20250103, cut short inside its last record."""
    data = build_ofd_bytes(creator="ZZ", receiver="189", date=OFD_DAY, file_type="07",
                           records=sample_f1_records(3, update_date=OFD_DAY))
    path = folder / f"OFD_ZZ_189_{OFD_DAY}_08.TXT"
    path.write_bytes(data.replace(OFD_DAY.encode(), b"20250103", 1)[:-30])
    return path


def test_ofd_check_reports_each_fault_in_chinese(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = _broken_ofd(tmp_path)
    odd = tmp_path / "notes.TXT"
    odd.write_bytes(b"hello\r\n")
    zh, en = _run(capsys, 1, "ofd", "check", str(path), str(odd), "--date", "2025-01-02")
    for line in ("第 7 行: 文件头中的文件类型 '07' 与文件名中的 '08' 不一致",
                 "第 5 行: 文件头日期 20250103 与文件名日期 20250102 不一致",
                 "第 5 行: 文件头日期 20250103 不是预期的交易日 20250102",
                 "第 29 行: 没有结束标志 OFDCFEND：文件不完整，或仍在写入中",
                 "第 28 行，字段 FundSize，第 92 字节: 记录有 91 字节，应为 109 字节：在字段 FundSize 中途结束",
                 "文件名: 'notes.TXT' 不是 OFD 数据文件名（应为 OFD_creator_receiver_YYYYMMDD_type.TXT）",
                 "第 1 行: 首行是 'hello'，不是 OFDCFDAT：这不是 OFD 数据文件"):
        assert line in zh, (line, zh)
    assert "differs" not in zh and "trailer" not in zh, zh
    assert "line 28, field FundSize, byte 92: record is 91 bytes, 109 expected: it ends inside field FundSize" in en
    assert "file name: 'notes.TXT' is not an OFD data file name" in en and not HAN.search(en)


@pytest.mark.parametrize(("english", "chinese"), [
    ("line ends with LF only; OFD lines end with CR LF (3 lines like this)",
     "行尾只有 LF；OFD 文件的行尾应为 CR LF（共 3 行如此）"),
    ("line ends with LF only; OFD lines end with CR LF", "行尾只有 LF；OFD 文件的行尾应为 CR LF"),
    ("version line is 5 bytes; version 21 allows 4", "版本行有 5 字节；版本 21 最多 4 字节"),
    ("summary table no. line is 9 bytes; version 22 allows 8", "汇总表号行有 9 字节；版本 22 最多 8 字节"),
    ("record count line is 9 bytes; version 21 allows 8", "记录数行有 9 字节；版本 21 最多 8 字节"),
    ("field count 'x1' is not a number", "字段数 'x1' 不是数字"),
    ("header says 14 fields but 13 field names follow", "文件头声明 14 个字段，但其后只有 13 个字段名"),
    ("not a field of file type 07 (行情文件) in the dictionary", "字段字典中，文件类型 07（行情文件）没有这个字段"),
    ("required field of file type 07 is missing from the header", "文件头缺少文件类型 07 的必填字段"),
    ("2 line(s) after the OFDCFEND trailer", "结束标志 OFDCFEND 之后还有 2 行"),
    ("version '23' is not one we know (21, 22)", "版本 '23' 无法识别（已知版本：21, 22）"),
    ("header says 3 records but 2 follow (lines 26-27)", "文件头声明 3 条记录，实际有 2 条（第 26-27 行）"),
    ("header date '2025013' is not a YYYYMMDD date", "文件头日期 '2025013' 不是 YYYYMMDD 格式的日期"),
    ("file ends inside the header after 4 lines", "文件在文件头中途结束（只有 4 行）"),
    ("cannot read the file: Permission denied", "无法读取文件：权限不足"),
    ("... and 12 more problems not listed", "……另有 12 个问题未列出"),
    ("bytes are not GB18030 text (ff 30)", "字节不是 GB18030 文本（ff 30）"),
    ("control character 0x09 inside the field", "字段内有控制字符 0x09"),
    ("A9 field must hold digits only, found '12a'", "A9 字段只能包含数字，实际为 '12a'"),
    ("N16,2 field must be zero-padded digits (no sign, no decimal point) or all blank, found '-1.5'",
     "N16,2 字段必须是左补零的数字（不带符号和小数点）或全部为空格，实际为 '-1.5'"),
    ("record is 112 bytes, 109 expected: 3 extra bytes after the last field",
     "记录有 112 字节，应为 109 字节：最后一个字段之后多出 3 字节"),
    ("a Chinese character is cut in half at the end of the field", "字段末尾有一个汉字被截断了一半"),
    ("unknown field name: not in the JR/T 0017 field dictionary, so its width is unknown",
     "未知字段名：JR/T 0017 字段字典中没有它，无法确定其宽度"),
])
def test_ofd_messages_keep_their_values(english: str, chinese: str) -> None:
    from otcctl.output.messages import translate

    i18n.set_language("zh")
    assert translate(english) == chinese
    i18n.set_language("en")
    assert translate(english) == english
