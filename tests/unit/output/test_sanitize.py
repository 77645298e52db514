"""Remote output reaches a terminal with its control sequences shown, never obeyed."""

from __future__ import annotations

import pytest

from otcctl.output.sanitize import shown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain 中文\tand tab\nnext", "plain 中文\tand tab\nnext"),
        ("\x1b[2J\x1b[H all checks PASSED", "\\x1b[2J\\x1b[H all checks PASSED"),
        ("\x1b]0;owned\x07title", "\\x1b]0;owned\\x07title"),
        ("over\rwrite", "over\\x0dwrite"),
        ("\x9b31m C1 CSI", "\\x9b31m C1 CSI"),
        ("\u202egnp.exe", "\\u202egnp.exe"),
    ],
)
def test_control_sequences_are_made_visible(text: str, expected: str) -> None:
    assert shown(text) == expected
