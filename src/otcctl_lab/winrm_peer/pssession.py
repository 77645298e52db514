"""One powershell.exe run: its variables, where it is in the script, and the error records it wrote.

Error records read as zh-CN Windows PowerShell 5.1 writes them to a redirected stderr: the
message, ``所在位置 行:N 字符: M``, the source line with the failing command underlined, then
CategoryInfo and FullyQualifiedErrorId. ``$ErrorActionPreference = 'Stop'`` (or a cmdlet's
``-ErrorAction Stop``) turns an error into :class:`PSFailure`, which ends the script with exit 1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from otcctl_lab.winrm_peer.process import Invocation
from otcctl_lab.winrm_peer.psvalues import NotEmulated, PSRuntimeError, ScriptBlock

ACTIONS = {"continue", "stop", "silentlycontinue"}
# MaxMemoryPerShellMB is a job-object limit on everything the shell runs: past it an allocation fails,
# and PowerShell ends the script with System.OutOfMemoryException (nothing says "quota"). The emulation
# cannot measure memory; it counts what a script keeps: powershell.exe itself, then each line read.
POWERSHELL_BYTES = 40 * 2**20  # powershell.exe 2.0 in a remote shell before the script reads anything
LINE_OVERHEAD = {"Get-Content": 600, "Select-String": 300}  # a .NET string + PSObject + note properties
# Automatic variables PowerShell fills in; the emulation does not, so reading one is refused.
AUTOMATIC = {
    "psversiontable", "host", "pwd", "home", "pid", "error", "pshome", "profile", "executioncontext", "myinvocation",
    "psscriptroot", "pscommandpath", "input", "args", "lastexitcode", "shellid", "psculture", "psuiculture", "ofs",
    "nestedpromptlevel", "stacktrace", "psboundparameters", "this", "foreach", "switch", "sender", "event",
    "eventargs", "eventsubscriber", "consolefilename", "psdebugcontext", "pssenderinfo", "psemailserver",
    "maximumhistorycount", "env", "verbosepreference", "debugpreference", "warningpreference", "confirmpreference",
    "whatifpreference", "informationpreference",
}


class PSFailure(Exception):
    """A terminating error: the script ends with exit code 1 and this record on stderr."""

    def __init__(self, record: str) -> None:
        super().__init__(record)
        self.record = record


class Session:
    """State of one script run; ``run_block`` is set by the interpreter (cmdlets call script blocks)."""

    def __init__(self, inv: Invocation, source: str = "") -> None:
        self.inv = inv
        self.source = source
        self.variables: dict[str, Any] = {"erroractionpreference": "Continue", "progresspreference": "Continue",
                                          "matches": None}
        self.errors: list[str] = []
        self.action = "continue"
        self.position: tuple[int, int] = (0, len(source))
        self.run_block: Callable[[ScriptBlock, Any], list[Any]] | None = None
        self.flush: Callable[[], None] = lambda: None
        self.memory = POWERSHELL_BYTES

    def keep(self, cmdlet: str, lines: list[str]) -> None:
        """Account for ``lines`` the script now holds; past MaxMemoryPerShellMB the script dies of it."""
        from otcctl_lab.winrm_peer.wsman import quotas_for

        self.memory += sum(2 * len(line) + LINE_OVERHEAD[cmdlet] for line in lines)
        if self.memory > quotas_for(self.inv.machine.winrm_version).max_memory_per_shell_mb * 2**20:
            raise PSFailure(
                f"{cmdlet} : 引发类型为“System.OutOfMemoryException”的异常。\n{self.location()}"
                f"    + CategoryInfo          : NotSpecified: (:) [{cmdlet}], OutOfMemoryException\n"
                f"    + FullyQualifiedErrorId : System.OutOfMemoryException,"
                f"Microsoft.PowerShell.Commands.{cmdlet.replace('-', '')}Command\n \n"
            )

    @property
    def stop_on_error(self) -> bool:
        return str(self.variables.get("erroractionpreference", "")).lower() == "stop"

    def variable(self, name: str) -> Any:
        if name in self.variables:
            return self.variables[name]
        if name in AUTOMATIC:
            raise NotEmulated(f"the automatic variable ${name}")
        return None

    def set_variable(self, name: str, value: Any) -> None:
        if name == "erroractionpreference":
            if not isinstance(value, str) or value.lower() not in ACTIONS:
                raise NotEmulated(f"$ErrorActionPreference = {value!r}")
        elif name in AUTOMATIC or name in ("true", "false", "null", "_"):
            raise NotEmulated(f"assigning the automatic variable ${name}")
        self.variables[name] = value

    def block(self, block: Any, item: Any) -> list[Any]:
        if not isinstance(block, ScriptBlock) or self.run_block is None:
            raise NotEmulated("a script block argument that is not a { ... } literal")
        return self.run_block(block, item)

    def location(self) -> str:
        """``所在位置 行:N 字符: M`` with the source line and the current command underlined."""
        start, end = self.position
        line_no = self.source.count("\n", 0, start) + 1
        line_start = self.source.rfind("\n", 0, start) + 1
        line_end = self.source.find("\n", start)
        line_end = len(self.source) if line_end < 0 else line_end
        line = self.source[line_start:line_end].rstrip("\r")
        column = start - line_start
        width = max(1, min(end, line_end) - start)
        return f"所在位置 行:{line_no} 字符: {column + 1}\n+ {line}\n+ {' ' * column}{'~' * width}\n"

    def error(self, cmdlet: str, message: str, category: str, target: str, exception: str, fqid: str) -> None:
        """Write a non-terminating error, or raise it as terminating under ``-ErrorAction Stop``."""
        record = (
            f"{cmdlet} : {message}\n{self.location()}"
            f"    + CategoryInfo          : {category}: ({target}:String) [{cmdlet}], {exception}\n"
            f"    + FullyQualifiedErrorId : {fqid},Microsoft.PowerShell.Commands.{cmdlet.replace('-', '')}Command\n \n"
        )
        if self.action == "stop" or (self.stop_on_error and self.action == "continue"):
            raise PSFailure(record)
        if self.action != "silentlycontinue":
            self.errors.append(record)

    def runtime_error(self, exc: PSRuntimeError) -> None:
        """A statement-terminating error: recorded (the script goes on), or terminating under Stop."""
        record = (
            f"{exc.message}\n{self.location()}"
            f"    + CategoryInfo          : {exc.category}: (:) [], {exc.exception}\n"
            f"    + FullyQualifiedErrorId : {exc.error_id}\n \n"
        )
        if self.stop_on_error:
            raise PSFailure(record)
        self.errors.append(record)
