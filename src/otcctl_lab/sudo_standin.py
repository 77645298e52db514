"""A ``sudo`` stand-in on the lab's database hosts, so sqlplus runs through sudo as in production.

Production runs ``sudo -n -u oracle -i env ... sqlplus -S -L '/ as sysdba' <<'OTCCTL_SQL'`` over
an SSH exec without a terminal. Real sudo cannot be rehearsed here honestly: the lab runs as
one OS user (often root, whom sudo never refuses) and creating an ``oracle`` account on a
shared machine is not the lab's to do. So each database host gets ``bin/sudo`` (first on the
PATH of its SSH sessions) that decides as sudo 1.8 does, from the host's own sudoers file
(``hosts/M1/etc/sudoers``, a subset of sudoers syntax), and then runs the command as the same
OS user with the target's login environment (``-i``: HOME, USER, LOGNAME, the target's
``.bash_profile`` with ORACLE_HOME and PATH, the environment otherwise reset):

- ``Defaults requiretty`` (Red Hat 5/6's default) without a controlling terminal:
  ``sudo: sorry, you must have a tty to run sudo``; ``Defaults:USER !requiretty`` lifts it;
- a rule without ``NOPASSWD:``: ``sudo: a password is required`` with ``-n``, otherwise
  ``sudo: no tty present and no askpass program specified``;
- no rule for the user, target or command: ``Sorry, user U is not allowed to execute ...``;
- ``sudo-1.6`` (fault): an old sudo without ``-n``: ``sudo: illegal option `-n'``.

``otcctl lab fault M1 sudo-requiretty`` adds ``Defaults requiretty`` for the next command; every
decision is appended to ``hosts/M1/var/log/sudo.log``.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

USAGE = "usage: sudo [-n] [-i] [-H] [-u user] command"


@dataclass(frozen=True)
class Rule:
    """``USER HOST=(RUNAS) [NOPASSWD:] COMMANDS``."""

    user: str
    runas: tuple[str, ...]
    nopasswd: bool
    commands: tuple[str, ...]

    def allows(self, user: str, target: str, command: str) -> bool:
        program = command.split()[0] if command.split() else ""
        return (self.user in (user, "ALL") and (target in self.runas or "ALL" in self.runas)
                and ("ALL" in self.commands or program in self.commands))


@dataclass(frozen=True)
class Sudoers:
    requiretty: bool
    user_tty: dict[str, bool]
    rules: tuple[Rule, ...]

    def needs_tty(self, user: str) -> bool:
        return self.user_tty.get(user, self.requiretty)


def parse_sudoers(text: str) -> Sudoers:
    """The subset the lab writes: Defaults [!]requiretty, Defaults:USER [!]requiretty, user rules."""
    requiretty, user_tty, rules = False, {}, []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        if words[0] == "Defaults" or words[0].startswith("Defaults:"):
            value = " ".join(words[1:])
            if value.lstrip("!") != "requiretty":
                continue
            wanted = not value.startswith("!")
            if ":" in words[0]:
                user_tty[words[0].split(":", 1)[1]] = wanted
            else:
                requiretty = wanted
            continue
        user, _, rest = line.partition(" ")
        spec = rest.split("=", 1)[1].strip() if "=" in rest else ""
        runas: tuple[str, ...] = ("root",)
        if spec.startswith("("):
            inside, _, spec = spec[1:].partition(")")
            runas = tuple(r.strip() for r in inside.split(","))
            spec = spec.strip()
        nopasswd = spec.startswith("NOPASSWD:")
        spec = spec.removeprefix("NOPASSWD:").strip()
        rules.append(Rule(user, runas, nopasswd, tuple(c.strip() for c in spec.split(","))))
    return Sudoers(requiretty, user_tty, tuple(rules))


def _has_terminal() -> bool:
    try:
        os.close(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY))
    except OSError:
        return False
    return True


def main(argv: list[str], host_root: Path, faults_file: Path | None) -> int:
    """Decide as sudo would, then exec the command with the target's login environment."""
    faults = _faults(faults_file)
    if argv[:1] == ["-V"]:
        print("Sudo version 1.6.9p17" if "sudo-1.6" in faults else "Sudo version 1.8.6p3")
        return 0
    if argv[:2] in (["-n", "-l"], ["-l"]):
        return _list(host_root, faults)
    args, target, login, non_interactive = list(argv), "root", False, False
    while args and args[0].startswith("-"):
        option = args.pop(0)
        if option == "--":
            break
        if option == "-n" and "sudo-1.6" in faults:
            return _say("sudo: illegal option `-n'\n" + USAGE, 1)
        if option == "-u" and args:
            target = args.pop(0)
        elif option in ("-i", "-n", "-H"):
            login |= option == "-i"
            non_interactive |= option == "-n"
        else:
            return _say(f"sudo stand-in (otcctl lab): option {option} is not emulated\n{USAGE}", 1)
    if not args:
        return _say(USAGE, 1)
    user = os.environ.get("USER") or os.environ.get("LOGNAME") or "unknown"
    sudoers = parse_sudoers((host_root / "etc" / "sudoers").read_text(encoding="utf-8"))
    needs_tty = sudoers.needs_tty(user) or "sudo-requiretty" in faults
    command = shlex.join(args)
    host = os.environ.get("OTCLAB_HOST", "localhost")
    if needs_tty and not _has_terminal():
        return _log(host_root, user, target, command, "refused: no tty",
                    _say("sudo: sorry, you must have a tty to run sudo", 1))
    rule = next((r for r in sudoers.rules if r.allows(user, target, command)), None)
    if rule is None:
        return _log(host_root, user, target, command, "refused: no rule", _say(
            f"Sorry, user {user} is not allowed to execute '{command}' as {target} on {host}.", 1))
    if not rule.nopasswd:
        text = "sudo: a password is required" if non_interactive else \
            "sudo: no tty present and no askpass program specified"
        return _log(host_root, user, target, command, "refused: password", _say(text, 1))
    _log(host_root, user, target, command, "allowed", 0)
    home = host_root / "home" / target
    env = {"HOME": str(home), "USER": target, "LOGNAME": target, "SHELL": "/bin/bash",
           "PATH": "/usr/local/bin:/usr/bin:/bin", "SUDO_USER": user, "OTCLAB_HOST": host}
    if login:
        profile = home / ".bash_profile"
        script = f". {shlex.quote(str(profile))} 2>/dev/null; cd {shlex.quote(str(home))} && exec {command}"
        os.execve("/bin/bash", ["-bash", "-c", script], env)
    os.execvpe(args[0], args, {**os.environ, "USER": target, "LOGNAME": target, "SUDO_USER": user})
    return 1  # not reached


def _list(host_root: Path, faults: dict[str, object]) -> int:
    """``sudo -l``: the invoking user's defaults and rules, as sudo 1.8 prints them."""
    user = os.environ.get("USER") or "unknown"
    sudoers = parse_sudoers((host_root / "etc" / "sudoers").read_text(encoding="utf-8"))
    host = os.environ.get("OTCLAB_HOST", "localhost")
    tty = sudoers.needs_tty(user) or "sudo-requiretty" in faults
    if tty and not _has_terminal():
        return _say("sudo: sorry, you must have a tty to run sudo", 1)
    print(f"Matching Defaults entries for {user} on this host:\n    {'requiretty, ' if tty else ''}env_reset\n")
    print(f"User {user} may run the following commands on this host ({host}):")
    for rule in sudoers.rules:
        if rule.user in (user, "ALL"):
            print(f"    ({', '.join(rule.runas)}) {'NOPASSWD: ' if rule.nopasswd else ''}{', '.join(rule.commands)}")
    return 0


def _faults(path: Path | None) -> dict[str, object]:
    if path is None:
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}


def _say(text: str, code: int) -> int:
    print(text, file=sys.stderr)
    return code


def _log(host_root: Path, user: str, target: str, command: str, decision: str, code: int) -> int:
    log = host_root / "var" / "log" / "sudo.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as stream:
        stream.write(json.dumps({"time": datetime.now().isoformat(timespec="seconds"), "user": user,
                                 "runas": target, "command": command.split("\n")[0][:200],
                                 "decision": decision}, ensure_ascii=False) + "\n")
    return code


_SCRIPT = '''#!{python}
"""sudo stand-in of the otcctl lab (generated by otcctl_lab.sudo_standin; do not edit)."""
import sys
from pathlib import Path

sys.path.insert(0, {src!r})
from otcctl_lab.sudo_standin import main

sys.exit(main(sys.argv[1:], Path({root!r}), Path({faults!r})))
'''


def install_sudo_standin(host_root: Path, faults_file: Path, *, login_user: str, target: str,
                         oracle_bin: Path) -> Path:
    """``bin/sudo``, ``etc/sudoers`` allowing ``login_user`` to run anything as ``target`` without a
    password (the rule docs/assumptions.md asks the site for), and the target's login profile."""
    import otcctl_lab

    src = str(Path(otcctl_lab.__file__).resolve().parents[1])
    program = host_root / "bin" / "sudo"
    program.parent.mkdir(parents=True, exist_ok=True)
    program.write_text(_SCRIPT.format(python=sys.executable, src=src, root=str(host_root.resolve()),
                                      faults=str(faults_file.resolve())), encoding="utf-8")
    program.chmod(program.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    etc = host_root / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "sudoers").write_text(
        "# lab sudoers (subset of sudoers(5) read by the lab's sudo stand-in)\n"
        "# Red Hat 5/6 ship 'Defaults requiretty'; 'otcctl lab fault HOST sudo-requiretty' turns it on\n"
        f"{login_user} ALL=({target}) NOPASSWD: ALL\n", encoding="utf-8")
    home = host_root / "home" / target
    home.mkdir(parents=True, exist_ok=True)
    (home / ".bash_profile").write_text(
        "# the Oracle software owner's login profile, as sudo -i loads it\n"
        f"export PATH={shlex.quote(str(oracle_bin))}:/usr/local/bin:/usr/bin:/bin\n", encoding="utf-8")
    return program
