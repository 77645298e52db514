"""One root error for otcctl, input errors that point at file:line:field, and exit codes.

Only ``cli.py`` turns these into a message and an exit code; core code raises them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Exit codes an operator's script can rely on."""

    OK = 0
    FAILED = 1
    BAD_INPUT = 2
    INTERRUPTED = 130


class OtcctlError(Exception):
    """Root of every error otcctl raises on purpose."""

    exit_code: ExitCode = ExitCode.FAILED


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located well enough for the operator to fix it."""

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.field:
            where += f", field '{self.field}'"
        return f"{where}: {self.message}"


class InputError(OtcctlError):
    """A runbook, inventory or parameter that cannot be used as given (exit code 2)."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n\n".join(str(p) for p in self.problems))

    @classmethod
    def at(cls, file: str | Path, message: str, line: int | None = None, field: str | None = None) -> InputError:
        """Build an error for one problem."""
        return cls(Problem(str(file), line, field, message))


