"""Truthful verdicts: unknown exit status and undecidable patterns never pass; cut output is judged whole."""

from __future__ import annotations

import pytest
import yaml

from otcctl.model.conditions_schema import Condition
from otcctl.steps.conditions import Observation, OutputScan, judge

# (condition as YAML, exit code, stdout, passed, judged)
TABLE = [
    ("{exit_code: 0}", 0, "", True, True),
    ("{exit_code: 0}", 1, "", False, True),
    ("{exit_code: 0}", None, "", False, False),  # connection lost: exit status unknown
    ("{contains: RUNNING}", 0, "STATE: RUNNING", True, True),
    ("{not_contains: ERROR}", 0, "all fine", True, True),
    ("{not_contains: ERROR}", 0, "ERROR here", False, True),
    ("{matches: 'ORA-\\d+'}", 0, "ORA-00600", True, True),
    ("{number: {regex: 'USE=(\\d+)', op: '<', value: 90}}", 0, "USE=85", True, True),
    ("{all: [{exit_code: 0}, {contains: ok}]}", 0, "ok", True, True),
    ("{any: [{contains: a}, {contains: b}]}", 0, "b", True, True),
    ("{not: {contains: x}}", 0, "y", True, True),
    ("{not: {exit_code: 0}}", None, "", False, False),  # not(unknown) stays unknown, never passes
    ("{any: [{exit_code: 0}, {contains: z}]}", None, "", False, False),
]


@pytest.mark.parametrize(("yaml_text", "exit_code", "stdout", "passed", "judged"), TABLE)
def test_truthful_verdicts(yaml_text: str, exit_code: int | None, stdout: str, passed: bool, judged: bool) -> None:
    condition = Condition.model_validate(yaml.safe_load(yaml_text))
    verdict = judge(condition, Observation(exit_code, stdout))
    assert (verdict.passed, verdict.judged) == (passed, judged), verdict.reason


def _streamed(condition: Condition, chunks: list[bytes]) -> Observation:
    scan = OutputScan(condition, "utf-8")
    for chunk in chunks:
        scan.feed("stdout", chunk)
    tail = b"".join(chunks)[-1000:].decode()
    return Observation(0, tail, complete=False, scan=scan)


def test_an_error_early_in_cut_output_is_found_by_the_stream_scan() -> None:
    condition = Condition.model_validate({"not_contains": "ERROR"})
    chunks = [b"ERROR early\n"] + [b"x" * 65536] * 4
    verdict = judge(condition, _streamed(condition, chunks))
    assert not verdict.passed and verdict.judged and "whole output" in verdict.reason


def test_a_needle_split_across_chunks_is_found() -> None:
    condition = Condition.model_validate({"contains": "READY"})
    verdict = judge(condition, _streamed(condition, [b"...RE", b"ADY...", b"y" * 70000]))
    assert verdict.passed


def test_a_pattern_on_cut_output_is_not_judged() -> None:
    condition = Condition.model_validate({"not": {"matches": "ERR+OR"}})
    verdict = judge(condition, _streamed(condition, [b"ERROR\n", b"x" * 100000]))
    assert not verdict.passed and not verdict.judged and "could not judge" in verdict.reason


def test_cut_output_without_a_scan_is_not_judged() -> None:
    condition = Condition.model_validate({"not_contains": "ERROR"})
    verdict = judge(condition, Observation(0, "tail only", complete=False))
    assert not verdict.passed and not verdict.judged


def test_multibyte_text_split_across_chunks_is_decoded() -> None:
    condition = Condition.model_validate({"contains": "正常"})
    data = "状态正常".encode()
    verdict = judge(condition, _streamed(condition, [data[:7], data[7:], b"z" * 70000]))
    assert verdict.passed
