"""How each tool is invoked for one case, as its users would: the command line and the files it reads.

A case is N hosts x M commands (`true`). Each tool gets what it needs written once into the bench's
temp dir, all pointing at the same fleet, user, key and known_hosts:

- floor: ``_clients.py floor`` (bare paramiko, product venv);
- stack: ``_clients.py stack``, the floor inside a one-command Typer app that reads its input with
  PyYAML and validates it with pydantic: what any program on otcctl's mandated stack pays;
- otcctl: ``otcctl run CASE`` on a generated runbook of M ``shell`` steps over the N hosts;
- Fabric: ``_clients.py fabric`` (peers venv), a ThreadingGroup (one host: a Connection);
- pyinfra: ``pyinfra -y INVENTORY exec -- true`` for one command, a deploy of M ``server.shell``
  operations otherwise; host keys checked (``ssh_strict_host_key_checking: yes``);
- Ansible: ``ansible all -m shell -a true`` for one command, a playbook of M ``shell`` tasks otherwise,
  tuned the documented way: forks = hosts, pipelining, facts not gathered, ControlPersist (default).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from _fleet import Fleet, FleetHost

BENCH = Path(__file__).resolve().parent
PYTHON = sys.executable
OTCCTL_BIN = Path(PYTHON).parent / "otcctl"
OTCCTL = [str(OTCCTL_BIN)] if OTCCTL_BIN.is_file() else [PYTHON, "-m", "otcctl"]
PEERS = Path(os.environ.get("OTCBENCH_PEERS_VENV", BENCH / ".venv-peers"))
TOOLS = ("floor", "stack", "otcctl", "Fabric", "pyinfra", "Ansible")


@dataclass(frozen=True)
class Case:
    key: str
    label: str
    hosts: tuple[str, ...]
    commands: int


@dataclass(frozen=True)
class Invocation:
    argv: list[str]
    env: dict[str, str]


def peers_missing() -> list[str]:
    """Peer tools that are not installed in the bench's own venv (run.sh installs them)."""
    wanted = {"Fabric": PEERS / "bin" / "fab", "pyinfra": PEERS / "bin" / "pyinfra",
              "Ansible": PEERS / "bin" / "ansible-playbook"}
    return [tool for tool, path in wanted.items() if not path.is_file()]


class Invocations:
    """Writes each tool's files for a case on first use, then hands out its command line."""

    def __init__(self, fleet: Fleet, workdir: Path) -> None:
        self.fleet = fleet
        self.root = workdir / "tools"
        self.root.mkdir(parents=True, exist_ok=True)
        self.base_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "160", "LC_ALL": "C.UTF-8"}
        self._ansible_cfg = self._write_ansible_cfg()

    def of(self, tool: str, case: Case) -> Invocation:
        hosts = self.fleet.pick(list(case.hosts))
        folder = self.root / case.key
        folder.mkdir(exist_ok=True)
        make: Callable[[Case, list[FleetHost], Path], Invocation] = getattr(self, "_" + tool.lower())
        return make(case, hosts, folder)

    # -- each tool ----------------------------------------------------------------------------
    def _spec(self, hosts: list[FleetHost], commands: int, folder: Path) -> Path:
        path = folder / "ssh-spec.json"
        path.write_text(json.dumps({"hosts": [[h.address, h.port] for h in hosts], "user": self.fleet.user,
                                    "key": str(self.fleet.key), "known_hosts": str(self.fleet.known_hosts),
                                    "commands": commands, "command": "true"}), encoding="utf-8")
        return path

    def _floor(self, case: Case, hosts: list[FleetHost], folder: Path) -> Invocation:
        spec = self._spec(hosts, case.commands, folder)
        return Invocation([PYTHON, str(BENCH / "_clients.py"), "floor", str(spec)], self.base_env)

    def _stack(self, case: Case, hosts: list[FleetHost], folder: Path) -> Invocation:
        spec = self._spec(hosts, case.commands, folder)
        return Invocation([PYTHON, str(BENCH / "_clients.py"), "stack", str(spec)], self.base_env)

    def _fabric(self, case: Case, hosts: list[FleetHost], folder: Path) -> Invocation:
        spec = self._spec(hosts, case.commands, folder)
        return Invocation([str(PEERS / "bin" / "python"), str(BENCH / "_clients.py"), "fabric", str(spec)],
                          self.base_env)

    def _otcctl(self, case: Case, hosts: list[FleetHost], folder: Path) -> Invocation:
        books = folder / "runbooks"
        books.mkdir(exist_ok=True)
        name = f"bench-{case.key.lower()}"
        write_runbook(books / f"{name}.yaml", name, [h.name for h in hosts], case.commands)
        argv = [*OTCCTL, "run", name, "--runbooks", str(books), "-i", str(self.fleet.inventory)]
        return Invocation(argv, {**self.base_env, "OTCCTL_STATE_DIR": str(folder / "state")})

    def _pyinfra(self, case: Case, hosts: list[FleetHost], folder: Path) -> Invocation:
        inventory = folder / "pyinfra_inventory.py"
        data = {"ssh_user": self.fleet.user, "ssh_key": str(self.fleet.key),
                "ssh_known_hosts_file": str(self.fleet.known_hosts), "ssh_strict_host_key_checking": "yes"}
        entries = [(h.name, {**data, "ssh_hostname": h.address, "ssh_port": h.port}) for h in hosts]
        inventory.write_text(f"hosts = {entries!r}\n", encoding="utf-8")
        argv = [str(PEERS / "bin" / "pyinfra"), "-y", str(inventory)]
        if case.commands == 1:
            argv += ["exec", "--", "true"]
        else:
            deploy = folder / "pyinfra_deploy.py"
            deploy.write_text("from pyinfra.operations import server\n\n"
                              f"for index in range({case.commands}):\n"
                              "    server.shell(name=f'command {index}', commands=['true'])\n", encoding="utf-8")
            argv.append(str(deploy))
        return Invocation(argv, {**self.base_env, "PYINFRA_PROGRESS": "off"})

    def _ansible(self, case: Case, hosts: list[FleetHost], folder: Path) -> Invocation:
        inventory = folder / "ansible_hosts.ini"
        lines = [f"{h.name} ansible_host={h.address} ansible_port={h.port} ansible_user={self.fleet.user} "
                 f"ansible_ssh_private_key_file={self.fleet.key}" for h in hosts]
        inventory.write_text("[fleet]\n" + "\n".join(lines) + "\n", encoding="utf-8")
        env = {**self.base_env, "ANSIBLE_CONFIG": str(self._ansible_cfg), "ANSIBLE_HOME": str(self.root / "ansible")}
        if case.commands == 1:
            argv = [str(PEERS / "bin" / "ansible"), "all", "-i", str(inventory), "-m", "shell", "-a", "true"]
            return Invocation(argv, env)
        play = folder / "ansible_play.yml"
        tasks = "".join(f"    - name: command {i}\n      shell: 'true'\n" for i in range(case.commands))
        play.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}", encoding="utf-8")
        return Invocation([str(PEERS / "bin" / "ansible-playbook"), "-i", str(inventory), str(play)], env)

    def stop(self) -> None:
        """Ansible's ControlPersist masters outlive its runs by 60 s: ask each of ours to exit now."""
        for socket_path in (self.root / "ansible-cp").glob("*"):
            subprocess.run(["ssh", "-O", "exit", "-S", str(socket_path), "bench"], capture_output=True, timeout=10,
                           check=False, stdin=subprocess.DEVNULL)

    def _write_ansible_cfg(self) -> Path:
        control = self.root / "ansible-cp"
        control.mkdir(parents=True, exist_ok=True)
        path = self.root / "ansible.cfg"
        path.write_text(
            "[defaults]\nforks = 50\nhost_key_checking = True\ngathering = explicit\n"
            "interpreter_python = /usr/bin/python3\nretry_files_enabled = False\n"
            f"local_tmp = {self.root / 'ansible-tmp'}\n\n"
            "[ssh_connection]\npipelining = True\n"
            f"ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile={self.fleet.known_hosts} "
            "-o StrictHostKeyChecking=yes -o IdentitiesOnly=yes\n"
            f"control_path_dir = {control}\n", encoding="utf-8")
        return path


RUNBOOK_HEAD = 'name: {name}\ntitle: bench {name}\ncadence: on-demand\nversion: "1"\nmanual_section: bench\nsteps:\n'
STEP = "  - id: s{i:03d}\n    kind: {kind}\n    targets: [{targets}]\n    command: '{command}'\n" \
       "    action: bench step {i}\n    assumption: A01\n"


def write_runbook(path: Path, name: str, targets: list[str], steps: int, kind: str = "shell",
                  command: str = "true") -> None:
    body = "".join(STEP.format(i=i, kind=kind, targets=", ".join(targets), command=command) for i in range(steps))
    path.write_text(RUNBOOK_HEAD.format(name=name) + body, encoding="utf-8")
