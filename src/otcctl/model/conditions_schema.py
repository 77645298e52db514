"""How a step's result is judged by machine: a small tree of tests combined with all/any/not.

Each node names exactly one test, so an operator reads a condition the way it is written:
``{all: [{exit_code: 0}, {contains: RUNNING}]}``.
"""


import re
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from otcctl.i18n import N_

Operator = Literal["==", "!=", "<", "<=", ">", ">="]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Comparison(_Strict):
    """Compare a value found in the result with a limit."""

    op: Operator
    value: float | int | str


class NumberCheck(_Strict):
    """Capture a number from the output with a regex (first group) and compare it."""

    regex: str
    op: Operator
    value: float

    @field_validator("regex")
    @classmethod
    def _one_group(cls, value: str) -> str:
        compiled = _compile(value)
        if compiled.groups < 1:
            raise ValueError(N_("the regex needs one capture group around the number, e.g. '(\\d+)%'"))
        return value


class ColumnCheck(_Strict):
    """Compare a named column of the SQL result, in every row or in at least one."""

    name: str
    op: Operator
    value: float | int | str
    rows: Literal["all", "any"] = "all"


_TESTS = ("exit_code", "contains", "not_contains", "matches", "number", "row_count", "scalar", "column")


class Condition(_Strict):
    """One test, or all/any/not of other conditions."""

    all: "list[Condition] | None" = None
    any: "list[Condition] | None" = None
    not_: "Condition | None" = Field(default=None, alias="not")
    exit_code: int | list[int] | None = Field(default=None, description="the command's exit code is (one of) this")
    contains: str | None = Field(default=None, description="the output contains this text")
    not_contains: str | None = Field(default=None, description="the output does not contain this text")
    matches: str | None = Field(default=None, description="a regex that must match somewhere in the output")
    number: NumberCheck | None = None
    row_count: Comparison | None = Field(default=None, description="SQL: number of rows returned")
    scalar: Comparison | None = Field(default=None, description="SQL: first column of the first row")
    column: ColumnCheck | None = None
    stream: Literal["stdout", "stderr", "both"] = "stdout"

    @field_validator("matches")
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        if value is not None:
            _compile(value)
        return value

    @model_validator(mode="after")
    def _exactly_one_test(self) -> Self:
        given = [name for name in ("all", "any", "not_", *_TESTS) if getattr(self, name) is not None]
        if len(given) != 1:
            names = ", ".join(n.rstrip("_") for n in given) or "nothing"
            raise ValueError(
                f"a condition names exactly one test (all, any, not, {', '.join(_TESTS)}); this one names {names}"
            )
        return self

    def describe(self) -> str:
        """A one-line reading of the condition for the dry run and the checklist."""
        if self.all is not None:
            return " 且 ".join(f"({c.describe()})" for c in self.all)
        if self.any is not None:
            return " 或 ".join(f"({c.describe()})" for c in self.any)
        if self.not_ is not None:
            return f"not ({self.not_.describe()})"
        where = "" if self.stream == "stdout" else f" [{self.stream}]"
        if self.exit_code is not None:
            return f"exit code {self.exit_code}"
        if self.contains is not None:
            return f"output contains {self.contains!r}{where}"
        if self.not_contains is not None:
            return f"output lacks {self.not_contains!r}{where}"
        if self.matches is not None:
            return f"output matches /{self.matches}/{where}"
        if self.number is not None:
            return f"number /{self.number.regex}/ {self.number.op} {self.number.value:g}"
        if self.row_count is not None:
            if self.row_count.op == ">=" and self.row_count.value == 0:
                return "the query runs (any number of rows; a person judges them)"
            return f"row count {self.row_count.op} {self.row_count.value}"
        if self.scalar is not None:
            return f"value {self.scalar.op} {self.scalar.value!r}"
        assert self.column is not None
        return f"{self.column.rows} rows: {self.column.name} {self.column.op} {self.column.value!r}"


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
