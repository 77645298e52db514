"""known_hosts is read strictly: every line a key paramiko uses as OpenSSH would, or a refusal naming the line."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from otcctl.connectors.known_hosts import known_host_keys, lookup_name, read_known_hosts
from otcctl.errors import InputError
from tests.helpers import host_public_key


def _refusal(tmp_path: Path, text: str | bytes) -> InputError:
    path = tmp_path / "known_hosts"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    with pytest.raises(InputError) as caught:
        read_known_hosts(path)
    return caught.value


def test_plain_and_hashed_entries_are_found_under_the_name_paramiko_looks_up(tmp_path: Path) -> None:
    m3, m4 = host_public_key(), host_public_key()
    path = tmp_path / "known_hosts"
    path.write_text(f"# the estate\n\n{lookup_name('10.0.0.3', 22)} {m3}\n{lookup_name('10.0.0.4', 2222)} {m4}\n",
                    encoding="utf-8")
    subprocess.run(["ssh-keygen", "-H", "-f", str(path)], check=True, capture_output=True)
    assert "10.0.0.4" not in path.read_text(encoding="utf-8"), "names are hashed now"
    keys = read_known_hosts(path)
    assert keys.lookup("10.0.0.3")["ssh-ed25519"].get_base64() == m3.split()[1]
    assert keys.lookup("[10.0.0.4]:2222")["ssh-ed25519"].get_base64() == m4.split()[1]
    assert keys.lookup("10.0.0.4") is None, "port 22 and port 2222 are different names"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("@revoked 10.0.0.3 {key}\n10.0.0.3 {key}\n", 1, "a revoked key would still be trusted"),
        ("@cert-authority *.example {key}\n", 1, "@cert-authority"),
        ("10.0.0.3 {key}\n10.0.0.4 ssh-ed25519 AAAAB\n", 2, "not valid base64"),
        ("10.0.0.4 ssh-ed25519 AAAA!!!\n", 1, "the key cannot be read"),
        ("10.0.0.3  {key}\n", 1, "one space apart"),
        ("10.0.0.3\n", 1, "not a host key line"),
        ("10.0.0.3 {key}\n10.0.0.3 {other}\n", 2,
         "a second, different ssh-ed25519 key for 10.0.0.3 (the first is on line 1)"),
    ],
)
def test_a_line_paramiko_would_skip_or_misread_is_refused_by_its_line(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    refusal = _refusal(tmp_path, text.format(key=host_public_key(), other=host_public_key()))
    (problem,) = refusal.problems
    assert problem.line == line and words in problem.message


def test_bytes_that_are_not_utf8_are_refused_with_their_line(tmp_path: Path) -> None:
    (problem,) = _refusal(tmp_path, f"10.0.0.3 {host_public_key()}\n".encode() + b"10.0.0.4 \xff\xfe\n").problems
    assert problem.line == 2 and "not UTF-8" in problem.message


def test_the_same_key_twice_is_no_conflict(tmp_path: Path) -> None:
    key = host_public_key()
    path = tmp_path / "known_hosts"
    path.write_text(f"10.0.0.3 {key}\n10.0.0.3,10.0.0.5 {key}\n", encoding="utf-8")
    assert read_known_hosts(path).lookup("10.0.0.5") is not None


def test_parsed_once_per_version_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(f"10.0.0.3 {host_public_key()}\n", encoding="utf-8")
    first = known_host_keys(path)
    assert known_host_keys(path) is first
    path.write_text(f"10.0.0.3 {host_public_key()}\n10.0.0.4 {host_public_key()}\n", encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    again = known_host_keys(path)
    assert again is not first and again.lookup("10.0.0.4") is not None
    path.unlink()
    with pytest.raises(InputError, match="does not exist"):
        known_host_keys(path)


def test_reading_it_loads_paramiko_as_a_run_does_without_invoke(tmp_path: Path) -> None:
    """Preflight reads known_hosts before the run loads its transports: paramiko must come in the same lean way."""
    import sys

    path = tmp_path / "known_hosts"
    path.write_text(f"10.0.0.3 {host_public_key()}\n", encoding="utf-8")
    code = ("import sys\nfrom pathlib import Path\nfrom otcctl.connectors.known_hosts import read_known_hosts\n"
            f"read_known_hosts(Path({str(path)!r}))\nprint(sys.modules.get('invoke') is not None)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "False"
