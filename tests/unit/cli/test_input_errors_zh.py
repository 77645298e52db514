"""Broken and hostile input files, reported in the operator's language: the whole paragraph Chinese
under ``--lang zh`` (file, line, field and values exactly as typed), English unchanged under ``--lang en``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from otcctl import i18n
from otcctl.cli.main import run_cli

REPO = Path(__file__).resolve().parents[3]
INVENTORY = REPO / "inventory.yaml"
HEAD = "title: t\ncadence: daily\nversion: '1'\nmanual_section: m\n"
STEP = "  - id: s1\n    kind: shell\n    targets: [M1]\n    command: {command}\n    assumption: A01\n    action: a\n"

# (file text, what must stay as typed, the Chinese that must appear, the English that must not)
RUNBOOKS: dict[str, tuple[str, tuple[str, ...], str, str]] = {
    "mapping-value": ("name: x\ntitle: t\n  bad: [\n", ("第 3 行",), "YAML 语法错误：这里不能出现映射值",
                      "mapping values are not allowed"),
    "recursive-alias": ("steps: &a [*a]\n", ("第 1 行",), "别名引用了包含它自身的锚点（递归别名）", "recursive alias"),
    "tab": ("a:\n\tb: 1\n", ("第 2 行",), "用了制表符（Tab）缩进；YAML 只能用空格缩进", "a tab is used"),
    "simple-key": ("a: b\nc\nd: e\n", ("第 3 行", "':'"), "找不到应有的 ':'（读取键时）", "could not find expected"),
    "block-end": ("a:\n  b: 1\n c: 2\n", ("第 3 行",), "缺少应有的键（解析块映射时）", "did not find expected key"),
    "undefined-alias": ("a: *nope\n", ("第 1 行",), "别名没有对应的锚点", "undefined alias"),
    "open-quote": ("a: 'abc\n", ("第 2 行",), "文件意外结束（读取带引号的字符串时）", "end of stream"),
    "flow-sequence": ("a: [1, 2\nb: 3\n", ("第 2 行", "',' 或 ']'"), "解析流式序列 [...] 时", "while parsing"),
    "duplicate-key": ("a: 1\na: 2\n", ("'a'", "第 2 行"), "键 'a' 重复（第 1 行已写过）", "duplicate key"),
    "python-tag": ("a: !!python/object x\n", ("'tag:yaml.org,2002:python/object'",), "不认识标签",
                   "could not determine"),
    "unquoted-placeholder": ("a: {{x}}\n", ('"{{name}}"',), "开头的值必须加引号", "must be quoted"),
    "literal-secret": ("password: hunter2\n", ("字段 'password'", "{source: env, variable: ...}"),
                       "文件中不允许直接写密钥", "literal secret"),
    "not-a-mapping": ("- a\n- b\n", ("第 1 行",), "作业手册应是一个映射", "a runbook is a mapping"),
    "unknown-field": ("name: unknown-field\n" + HEAD + "bogus: 1\nsteps:\n" + STEP.format(command="echo"),
                      ("字段 'bogus'", "`otcctl schema`"), "未知字段（请对照", "unknown field"),
    "missing-field": ("name: missing-field\ntitle: t\nsteps:\n" + STEP.format(command="echo"),
                      ("字段 'cadence'",), "缺少必填字段", "required field is missing"),
    "unknown-kind": ("name: unknown-kind\n" + HEAD + "steps:\n  - id: s1\n    kind: nope\n    assumption: A01\n",
                     ("'nope'", "'time_gate'"), "未知的步骤类型", "unknown step kind"),
    "not-an-integer": ("name: not-an-integer\n" + HEAD + "steps:\n" + STEP.format(command="echo")
                       + "    retry: {attempts: lots}\n",
                       ("字段 'steps[0].retry.attempts'", "'lots'"), "应为整数", "Input should be"),
    "literal-choice": ("name: literal-choice\n" + HEAD + "steps:\n" + STEP.format(command="echo")
                       + "    order: sideways\n",
                       ("'parallel'", "'kvm'", "'sideways'"), "取值应为 'parallel' 或 'kvm'", "Input should be"),
    "bad-duration": ("name: bad-duration\n" + HEAD + "steps:\n" + STEP.format(command="echo")
                     + "    timeout: forever\n",
                     ("'forever'", "30s"), "不是时长", "is not a duration"),
    "unknown-placeholder": ("name: unknown-placeholder\n" + HEAD + "steps:\n" + STEP.format(command="echo {{nope}}"),
                            ("{{nope}}", "date, date_iso, next_year, year"), "不是已声明的参数", "names no parameter"),
    "quoted-placeholder": ("name: quoted-placeholder\n" + HEAD + "steps:\n" + STEP.format(command="echo '{{date}}'"),
                           ("{{date}}", "{{p}}"), "不要给 {{...}} 加引号：{{date}} 位于 '...' 中", "do not put quotes"),
    "duplicate-id": ("name: duplicate-id\n" + HEAD + "steps:\n" + STEP.format(command="echo") * 2,
                     ("'s1'", "第 7 行"), "步骤 id 's1' 重复", "duplicate step id"),
    "unknown-host": ("name: unknown-host\n" + HEAD + "steps:\n" + STEP.format(command="echo").replace("M1", "ZZ9"),
                     ("'ZZ9'", str(INVENTORY), "M1, M2"), "中没有主机或组", "unknown host or group"),
}


@pytest.fixture(autouse=True)
def _language_reset() -> Iterator[None]:
    yield
    i18n.set_language(None)


def _validate(capsys: pytest.CaptureFixture[str], path: Path, lang: str) -> str:
    """``otcctl validate FILE`` in that language: exit code 2, no traceback; what it wrote on standard error."""
    assert run_cli(["--lang", lang, "validate", str(path), "-i", str(INVENTORY)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    return err


def _only_chinese_words(paragraph: str, *kept: str) -> None:
    """No English sentence is left once the values kept as typed are taken out."""
    for value in kept:
        paragraph = paragraph.replace(value, "")
    paragraph = re.sub(r"'[^']*'|`[^`]*`|\{[^}]*\}|\"[^\"]*\"", "", paragraph)  # values and fields as typed
    words = re.findall(r"[A-Za-z]{4,}", paragraph)
    allowed = {"YAML", "otcctl", "inventory", "echo", "shell", "PowerShell", "agent", "keyring",  # words typed
               "credential", "name", "title", "cadence", "version", "steps"}  # field names
    assert not [w for w in words if w not in allowed], paragraph


@pytest.mark.parametrize("name", list(RUNBOOKS))
def test_a_broken_runbook_is_one_paragraph_in_either_language(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    text, kept, chinese, english = RUNBOOKS[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    zh = _validate(capsys, path, "zh")
    en = _validate(capsys, path, "en")
    assert zh.startswith(f"错误: {path}，") and en.startswith(f"error: {path}, "), (zh, en)
    assert chinese in zh and english not in zh, zh
    assert english in en and not re.search(r"[\u4e00-\u9fff]", en), en
    for value in kept:
        assert value in zh, (value, zh)
    if name != "unknown-host":  # its list of the inventory's groups is named as typed
        _only_chinese_words(zh, str(path), str(INVENTORY), *kept)


def test_unknown_yaml_words_stay_inside_a_chinese_frame() -> None:
    from otcctl.output.messages import translate

    i18n.set_language("zh")
    message = "YAML syntax error: found a brand-new problem (while reading something new)"
    assert translate(message) == "YAML 语法错误：found a brand-new problem（while reading something new）"
    framed = translate("Input should be a valid ipv4 address (got 'x')")
    assert framed == "该字段不接受这个值：Input should be a valid ipv4 address（实际为 'x'）"


def test_a_broken_inventory_is_reported_in_chinese(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    inventory = tmp_path / "inv.yaml"
    inventory.write_text('name: inv\nknown_hosts: x\nhosts:\n  M1: {address: "not an address!"}\n', encoding="utf-8")
    assert run_cli(["--lang", "zh", "validate", str(inventory)]) == 2
    err = capsys.readouterr().err
    assert f"错误: {inventory}，第 4 行，字段 'hosts.M1.address': 必须是 IP 地址或主机名" in err
    assert f"错误: {inventory}，第 4 行，字段 'hosts.M1.role': 缺少必填字段" in err
    assert "must be" not in err and "required" not in err


@pytest.mark.parametrize(
    ("args", "chinese", "english"),
    [
        (["-p", "stop_report_program=maybe"], "错误: -p，字段 'stop_report_program': 'maybe' 不在可选值 ",
         "is not one of"),
        (["-p", "nope=1"], "错误: -p，字段 'nope': end-of-day 没有参数 'nope'", "has no parameter"),
        (["-p", "close_time=25:99"], "'25:99' 不是时刻；请写 HH:MM", "is not a clock time"),
    ],
    ids=["choice", "unknown", "clock"],
)
@pytest.mark.parametrize("command", ["dry-run", "run"])
def test_bad_parameters_are_reported_in_chinese(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    command: str, args: list[str], chinese: str, english: str,
) -> None:
    monkeypatch.setenv("OTCCTL_STATE_DIR", str(tmp_path))
    extra = ["--date", "2026-12-01"] + (["--assume-yes"] if command == "run" else [])
    assert run_cli(["--lang", "zh", command, "end-of-day", "-i", str(INVENTORY), *extra, *args]) == 2
    err = capsys.readouterr().err
    assert chinese in err and english not in err and "Traceback" not in err, err
    assert run_cli(["--lang", "en", command, "end-of-day", "-i", str(INVENTORY), *extra, *args]) == 2
    assert english in capsys.readouterr().err


def test_runs_explains_a_damaged_journal_in_chinese(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "20261201T010203-abcd.jsonl").write_text("this is not json\n", encoding="utf-8")
    monkeypatch.setenv("OTCCTL_STATE_DIR", str(tmp_path))
    assert run_cli(["--lang", "zh", "runs"]) == 0
    out = capsys.readouterr().out
    assert f"执行记录 {runs / '20261201T010203-abcd.jsonl'}，第 1 行：不是 JSON 记录（被截断或被编辑过）" in out, out
    assert "not a JSON record" not in out


def test_a_refused_run_is_explained_in_chinese(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Refused before anything connects: steps that need an answer, and no terminal to give it.

    On a copy of the estate moved to loopback and marked lab: the production inventory is refused
    earlier still where OTCCTL_FORBID_PRODUCTION is set (scripts/test.sh sets it), and a test never
    points a run at 192.168.x, refusal or not.
    """
    monkeypatch.setenv("OTCCTL_STATE_DIR", str(tmp_path))
    rehearsal = tmp_path / "inventory.yaml"
    text = INVENTORY.read_text(encoding="utf-8").replace("environment: production", "environment: lab")
    rehearsal.write_text(text.replace("192.168.", "127.0."), encoding="utf-8")
    assert "192.168." not in rehearsal.read_text(encoding="utf-8")
    args = ["run", "market-open", "-i", str(rehearsal), "--date", "2026-12-01"]
    assert run_cli(["--lang", "zh", *args]) == 2
    err = capsys.readouterr().err
    steps = "1 restart-md-gateway, 1.9 bsmr-fdep-login, 1.10 ready-to-open"
    assert err.startswith(f"错误: stdin: 步骤 {steps} 需要操作员回答，但标准输入不是终端。"), err
    assert "--assume-yes" in err and "terminal" not in err
    assert run_cli(["--lang", "en", *args]) == 2
    assert "need an operator's answer and there is no terminal on standard input" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("/s/runs/r1.jsonl: not in the ledger (see `otcctl verify`)",
         "/s/runs/r1.jsonl：不在总账中（见 `otcctl verify`）"),
        ("cannot read this journal: Permission denied", "无法读取这份执行记录：权限不足"),
        ("/s/runs/r2.jsonl: no such run journal", "/s/runs/r2.jsonl：没有这个运行日志"),
        ("value 'a&b' has characters cmd.exe cannot take safely: &",
         "值 'a&b' 含有 cmd.exe 无法安全接受的字符：&"),
        ("{{p}} stands inside a comment; put it outside any quotes (otcctl quotes it)",
         "{{p}} 位于注释中；请把它放在所有引号之外（otcctl 会为它加引号）"),
        ("parameter 'day' has no value: give it with -p day=VALUE", "参数 'day' 没有值：请用 -p day=VALUE 给出"),
        ("7 is above the maximum 5", "7 大于最大值 5"),
        ("'1h' is not a whole number", "'1h' 不是整数"),
        ("String should match pattern '^[a-z]+$' (got 'X')", "字符串应符合格式 '^[a-z]+$'（实际为 'X'）"),
        ("not UTF-8 text (byte 7); save the file as UTF-8", "不是 UTF-8 文本（第 7 字节）；请把文件另存为 UTF-8"),
    ],
)
def test_messages_with_values_keep_them_as_typed(english: str, chinese: str) -> None:
    from otcctl.output.messages import translate

    i18n.set_language("zh")
    assert translate(english) == chinese
    i18n.set_language("en")
    assert translate(english) == english
