"""A host's key file is loaded before the run's first record: missing, garbage or locked keys refuse the run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from otcctl.connectors.ssh import load_private_key
from otcctl.model.inventory import KeyFileCredential
from otcctl.secrets import Secret, SecretMissing

PASSPHRASE = "correct horse 电池"


def _key_file(tmp_path: Path, passphrase: str | None) -> Path:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        BestAvailableEncryption,
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    encryption = BestAvailableEncryption(passphrase.encode()) if passphrase else NoEncryption()
    path = tmp_path / ("locked" if passphrase else "open")
    path.write_bytes(Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, encryption))
    return path


def _credential(path: Path) -> KeyFileCredential:
    return KeyFileCredential(source="key-file", path=str(path), passphrase_env="M3_PASS")


def test_an_open_key_and_a_locked_key_with_its_passphrase_load(tmp_path: Path) -> None:
    assert load_private_key("M3", _credential(_key_file(tmp_path, None)), None).get_name() == "ssh-ed25519"
    locked = _credential(_key_file(tmp_path, PASSPHRASE))
    assert load_private_key("M3", locked, Secret(PASSPHRASE)).get_name() == "ssh-ed25519"


def _garbage(tmp_path: Path) -> Path:
    path = tmp_path / "garbage"
    path.write_text("not a key", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("make", "passphrase", "words"),
    [
        (lambda tmp: tmp / "absent", None, "does not exist"),
        (_garbage, None, "cannot be used"),
        (lambda tmp: _key_file(tmp, PASSPHRASE), None, "is protected by a passphrase"),
        (lambda tmp: _key_file(tmp, PASSPHRASE), "wrong " + PASSPHRASE, "cannot be used"),
    ],
)
def test_a_key_that_cannot_open_is_refused_naming_host_and_file(
    tmp_path: Path, make: Callable[[Path], Path], passphrase: str | None, words: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(SecretMissing) as caught:
        load_private_key("M3", _credential(path), Secret(passphrase) if passphrase else None)
    said = str(caught.value)
    assert said.startswith("M3: the key") and str(path) in said and words in said
    assert PASSPHRASE not in said
