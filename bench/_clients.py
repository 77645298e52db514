"""The hand-written clients the side-by-side bench times as whole processes.

    python _clients.py floor  SPEC.json   # bare paramiko: a thread per host, TCP_NODELAY, host keys checked
    python _clients.py stack  SPEC.json   # the floor inside the least program of otcctl's shape (see stack())
    python _clients.py fabric SPEC.json   # Fabric as a script would use it (ThreadingGroup, or Connection)
    python _clients.py winrm  SPEC.json   # bare pywinrm: winrm.Session(...).run_cmd per command

SPEC.json: {"hosts": [[address, port], ...], "user", "key", "known_hosts", "commands": N,
"command": "true"} (winrm: {"endpoint", "user", "password", "commands", "command"}).
It imports nothing from otcctl: the floor must not pay for otcctl's imports. Exit 0 only when every
command on every host exited 0.
"""


import json
import os
import sys
import threading
from pathlib import Path
from typing import Annotated, Any


def floor(spec: dict[str, Any]) -> int:
    """The fewest moves paramiko allows: connect with TCP_NODELAY before the handshake, reuse the connection."""
    import socket

    import paramiko

    failures: list[str] = []

    def one_host(address: str, port: int) -> None:
        try:
            sock = socket.create_connection((address, port), timeout=10)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client = paramiko.SSHClient()
            client.load_host_keys(spec["known_hosts"])
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
            client.connect(address, port, username=spec["user"], key_filename=spec["key"], sock=sock,
                           look_for_keys=False, allow_agent=False, timeout=10)
            transport = client.get_transport()
            assert transport is not None
            for _ in range(spec["commands"]):
                channel = transport.open_session(timeout=10)
                channel.exec_command(spec["command"])
                if channel.recv_exit_status() != 0:
                    failures.append(f"{address}: exit status")
                channel.close()
            client.close()
        except Exception as exc:  # reported; the bench goes on
            failures.append(f"{address}:{port}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=one_host, args=(a, p)) for a, p in spec["hosts"]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


def stack(spec: dict[str, Any]) -> int:
    """The floor's work inside the least program built the way the issue fixes otcctl's shape.

    A one-command Typer app that reads its input with PyYAML and validates it with a pydantic model
    before doing exactly what the floor does, and ends as the floor ends. Whatever this costs over
    the floor, every program on the mandated stack (typer, pydantic, pyyaml, paramiko) pays before
    doing anything of its own; the bench prints it as the "stack" column so otcctl's own cost can be
    read apart from it.
    """
    import tempfile

    import typer
    import yaml
    from pydantic import BaseModel

    class Spec(BaseModel):
        hosts: list[tuple[str, int]]
        user: str
        key: str
        known_hosts: str
        commands: int
        command: str

    app = typer.Typer(add_completion=False)
    outcome: list[int] = []

    @app.command()
    def main(spec_file: Path) -> None:
        data = Spec.model_validate(yaml.load(spec_file.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
        outcome.append(floor(data.model_dump()))

    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as handle:
        json.dump(spec, handle)
        handle.flush()
        app(args=[handle.name], standalone_mode=False)
    return outcome[0] if outcome else 1


def typer_help(_spec: dict[str, Any]) -> int:
    """``--help`` of a two-command Typer app: what Typer's own help (rendered by rich) costs."""
    import typer

    app = typer.Typer(add_completion=False)

    @app.command()
    def show(name: str, as_json: Annotated[bool, typer.Option("--json", help="as JSON")] = False) -> None:
        """Show one thing."""

    @app.command("list")
    def list_things(folder: Annotated[Path | None, typer.Option(help="where to look")] = None) -> None:
        """List the things."""

    app(args=["--help"], standalone_mode=False)
    return 0


def typer_list(spec: dict[str, Any]) -> int:
    """A Typer command that validates YAML files with pydantic and prints a rich table: the least ``list``."""
    import typer
    import yaml
    from pydantic import BaseModel
    from rich.console import Console
    from rich.table import Table

    class Entry(BaseModel):
        name: str
        title: str
        steps: list[dict[Any, Any]]

    app = typer.Typer(add_completion=False)

    @app.command()
    def show(name: str) -> None:
        """Not run: a second command, so that ``list`` is one of several, as in otcctl."""

    @app.command("list")
    def list_files(folder: Path) -> None:
        table = Table("name", "title", "steps")
        for path in sorted(folder.glob("*.yaml")):
            entry = Entry.model_validate(yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
            table.add_row(entry.name, entry.title, str(len(entry.steps)))
        Console().print(table)

    app(args=["list", spec["folder"]], standalone_mode=False)
    return 0


def fabric(spec: dict[str, Any]) -> int:
    """Fabric 3 as its docs show it, with the same known_hosts and a RejectPolicy (Fabric auto-adds by default)."""
    import paramiko
    from fabric import Connection, ThreadingGroup

    connect_kwargs = {"key_filename": spec["key"], "look_for_keys": False, "allow_agent": False}
    connections = [Connection(host=a, port=p, user=spec["user"], connect_kwargs=connect_kwargs)
                   for a, p in spec["hosts"]]
    for connection in connections:
        connection.client.load_host_keys(spec["known_hosts"])
        connection.client.set_missing_host_key_policy(paramiko.RejectPolicy())
    if len(connections) == 1:
        for _ in range(spec["commands"]):
            connections[0].run(spec["command"], hide=True)
        connections[0].close()
        return 0
    group = ThreadingGroup.from_connections(connections)
    for _ in range(spec["commands"]):
        group.run(spec["command"], hide=True)  # raises GroupException when any host fails
    group.close()
    return 0


def winrm(spec: dict[str, Any]) -> int:
    """Bare pywinrm: a Session's Protocol, one shell per command, one connection (one TLS session, one NTLM login).

    ``Session.run_cmd`` would log in again for every command (its ``close_shell`` closes the
    connection); otcctl keeps its connection for a run, so the floor does too. Over HTTPS it
    validates the certificate against ``ca_bundle`` and ``server_name``, as otcctl does.
    """
    import winrm as pywinrm
    from winrm.transport import Transport

    tls = {"server_cert_validation": "validate", "ca_trust_path": spec["ca_bundle"]} if spec.get("ca_bundle") else {}
    if spec.get("server_name"):  # the certificate names the computer, the endpoint is an address
        build = Transport.build_session

        def build_for_name(transport: Any) -> Any:
            fresh = transport.session is None
            session = build(transport)
            if fresh:
                adapter: Any = session.get_adapter(transport.endpoint)
                pool = adapter.poolmanager.connection_pool_kw
                pool.update(assert_hostname=spec["server_name"], server_hostname=spec["server_name"])
            return session

        Transport.build_session = build_for_name  # type: ignore[method-assign,assignment]
    session = pywinrm.Session(spec["endpoint"], auth=(spec["user"], spec["password"]), transport="ntlm", **tls)
    protocol = session.protocol
    for _ in range(spec["commands"]):
        shell = protocol.open_shell()
        command = protocol.run_command(shell, spec["command"])
        _out, err, code = protocol.get_command_output(shell, command)
        protocol.cleanup_command(shell, command)
        protocol.close_shell(shell, close_session=False)
        if code != 0:
            print(err.decode(errors="replace"), file=sys.stderr)
            return 1
    return 0


CLIENTS = {"floor": floor, "stack": stack, "fabric": fabric, "winrm": winrm, "typer-help": typer_help,
           "typer-list": typer_list}

LEAN = {"typer-help", "typer-list"}
"""The least Typer programs leave as otcctl does, without tearing the interpreter down. ``stack`` leaves
as the floor does, so that stack minus floor is exactly what the mandated libraries add to the floor's work."""

if __name__ == "__main__":
    code = CLIENTS[sys.argv[1]](json.loads(Path(sys.argv[2]).read_text(encoding="utf-8")))
    if sys.argv[1] in LEAN:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
