"""Real OS accounts: a reviewer's `otcctl approve` counts, the operator's own login never does; one shared history.

Needs root (to create the accounts with ``useradd``) and a system Python of the virtualenv's
version (the second accounts cannot enter /root, where the test interpreter may live).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.helpers import INVENTORY, REPO

SYSTEM_PYTHON = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
RUNUSER = shutil.which("runuser") or "runuser"
SITE = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("runuser") or not SYSTEM_PYTHON.exists(),
    reason="needs root with useradd and runuser, and a system Python of the virtualenv's version",
)

RUNBOOK = """\
name: {name}
title: 复核测试
cadence: on-demand
version: "t1"
manual_section: tests
steps:
  - id: check
    kind: local
    command: echo ok
    expect: {{contains: ok}}
    action: 检查
    assumption: A01
    review: {review}
"""


class Accounts:
    """A group and two accounts in it, removed afterwards; a shared state directory they all use."""

    def __init__(self, base: Path) -> None:
        tag = secrets.token_hex(3)
        self.group, self.operator, self.reviewer = f"otcops{tag}", f"otcop{tag}", f"otcrev{tag}"
        subprocess.run(["groupadd", self.group], check=True)
        for user in (self.operator, self.reviewer):
            subprocess.run(["useradd", "-M", "-d", str(base), "-s", "/bin/sh", "-G", self.group, user], check=True)
        self.base = base
        self.state = base / "state"
        self.state.mkdir()
        shutil.chown(self.state, group=self.group)
        os.chmod(self.state, 0o2770)

    def env(self) -> dict[str, str]:
        return {"PATH": "/usr/bin:/bin", "HOME": str(self.base), "OTCCTL_STATE_DIR": str(self.state),
                "PYTHONPATH": f"{REPO / 'src'}:{SITE}", "NO_COLOR": "1", "COLUMNS": "200",
                "OTCCTL_FORBID_PRODUCTION": "1"}

    def otcctl(self, user: str | None, *args: str) -> subprocess.Popen[str]:
        prefix = [RUNUSER, "-u", user, "--"] if user else []
        return subprocess.Popen([*prefix, str(SYSTEM_PYTHON), "-m", "otcctl", *args], env=self.env(), cwd=self.base,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)

    def done(self, user: str | None, *args: str) -> subprocess.CompletedProcess[str]:
        proc = self.otcctl(user, *args)
        out, err = proc.communicate(timeout=120)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    def remove(self) -> None:
        for user in (self.operator, self.reviewer):
            subprocess.run(["userdel", user], check=False, capture_output=True)
        subprocess.run(["groupdel", self.group], check=False, capture_output=True)


@pytest.fixture
def accounts() -> Iterator[Accounts]:
    base = Path(tempfile.mkdtemp(prefix="otcctl-accounts-"))
    os.chmod(base, 0o755)
    made = Accounts(base)
    books = base / "books"
    books.mkdir()
    for name, review in (("reviewed", "true"), ("plain", "false")):
        (books / f"{name}.yaml").write_text(RUNBOOK.format(name=name, review=review), encoding="utf-8")
    data = yaml.safe_load(INVENTORY.read_text(encoding="utf-8"))
    data["environment"] = "lab"
    (base / "inventory.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for path in (books, *books.iterdir(), base / "inventory.yaml"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    try:
        yield made
    finally:
        made.remove()
        shutil.rmtree(base, ignore_errors=True)


def _wait_for_request(state: Path) -> Path:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = list((state / "approvals").glob("*/request-check.json")) if (state / "approvals").is_dir() else []
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError("the run never asked for a review")


def test_a_review_refuses_the_operators_own_login_and_accepts_a_second_account(accounts: Accounts) -> None:
    a = accounts
    run = a.otcctl(a.operator, "run", "reviewed", "--runbooks", "books", "-i", "inventory.yaml",
                   "--operator", "张三", "--assume-yes", "--review-timeout", "90s")
    request = _wait_for_request(a.state)
    run_id = request.parent.name
    own = a.done(a.operator, "approve", run_id)
    assert own.returncode == 2 and "the operator's own login cannot review" in own.stderr, own.stdout + own.stderr
    # the run itself refuses it too, whatever the command says: it reads the file's owner from the kernel
    forged = subprocess.run(
        [RUNUSER, "-u", a.operator, "--", str(SYSTEM_PYTHON), "-c",
         "import sys; from pathlib import Path; from otcctl.run.review import answer; "
         f"answer(Path({str(a.state)!r}), {run_id!r}, 'check', 'approve', 'self', 'x')"],
        env=a.env(), capture_output=True, text=True, check=False)
    assert forged.returncode == 0, forged.stderr
    as_root = a.done(None, "approve", run_id)
    assert as_root.returncode == 2 and "root cannot review" in as_root.stderr
    time.sleep(1)
    approved = a.done(a.reviewer, "approve", run_id, "--comment", "看过结果")
    assert approved.returncode == 0 and f"approved by {a.reviewer}@" in approved.stdout, approved.stderr
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, out + err
    assert f"approved {a.reviewer}@" in out

    journal = a.state / "runs" / f"{run_id}.jsonl"
    records = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    (review,) = [r for r in records if r["type"] == "reviewed"]
    assert review["verdict"] == "approved" and review["reviewer"]["login"] == a.reviewer
    assert review["comment"] == "看过结果"
    assert any(f"{a.operator}: the operator's own login cannot review" in why for why in review["refused"])
    assert records[0]["operator"] == {"login": a.operator, "machine": records[0]["operator"]["machine"],
                                      "operator": "张三"}
    finished = next(r for r in records if r["type"] == "step-finished")
    assert finished["outcome"] == "passed" and f"approved by {a.reviewer}@" in finished["reason"]
    assert oct(journal.stat().st_mode & 0o777) == "0o640" and journal.stat().st_gid == (a.state.stat().st_gid)
    assert oct((a.state / "ledger.jsonl").stat().st_mode & 0o777) == "0o660"

    shown = a.done(a.reviewer, "log", run_id)
    assert f"approved by {a.reviewer}@" in shown.stdout and "did not count" in shown.stdout, shown.stdout
    assert "WARNING" not in shown.stdout


def test_two_accounts_runs_in_one_shared_history(accounts: Accounts) -> None:
    a = accounts
    for user in (a.operator, None):  # the second account, then root
        done = a.done(user, "run", "plain", "--runbooks", "books", "-i", "inventory.yaml")
        assert done.returncode == 0, done.stdout + done.stderr
    listing = a.done(a.reviewer, "runs", "--json")
    assert listing.returncode == 0, listing.stderr
    rows = json.loads(listing.stdout)
    assert sorted(r["operator"]["login"] for r in rows) == sorted([a.operator, "root"])
    assert all(r["problems"] == [] and r["outcome"] == "passed" for r in rows)
    mine = a.done(a.reviewer, "runs", "--operator", a.operator, "--json")
    assert [r["operator"]["login"] for r in json.loads(mine.stdout)] == [a.operator]
    checked = a.done(a.reviewer, "verify", "--all")
    assert checked.returncode == 0 and checked.stdout.count("ok      ") == 3, checked.stdout + checked.stderr


def test_two_accounts_cannot_run_the_same_procedure_at_once(accounts: Accounts) -> None:
    a = accounts
    first = a.otcctl(a.operator, "run", "reviewed", "--runbooks", "books", "-i", "inventory.yaml",
                     "--assume-yes", "--review-timeout", "60s")
    try:
        _wait_for_request(a.state)  # the first run holds the estate's lock while it waits for its reviewer
        second = a.done(a.reviewer, "run", "reviewed", "--runbooks", "books", "-i", "inventory.yaml", "--assume-yes")
        said = second.stdout + second.stderr
        assert second.returncode != 0 and "already running" in said and a.operator in said, said
        other = a.done(a.reviewer, "run", "plain", "--runbooks", "books", "-i", "inventory.yaml")
        assert other.returncode == 0, other.stdout + other.stderr  # another procedure is not blocked
    finally:
        first.terminate()
        first.communicate(timeout=60)
    runs = list((a.state / "runs").glob("*-reviewed-*.jsonl"))
    assert len(runs) == 1, "the refused run started no journal"
