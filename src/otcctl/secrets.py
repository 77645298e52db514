"""Credentials at run time: looked up where the inventory says, never stored, never printed.

A :class:`Secret` hides its value from ``str``, ``repr`` and formatting, so an accidental log
line or journal record shows ``***``. Every secret read during a run is also registered with
a :class:`Masker`, which the engine applies to command output before anything leaves it.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from otcctl.errors import OtcctlError
from otcctl.model.inventory import EnvCredential, KeyFileCredential, KeyringCredential


class SecretMissing(OtcctlError):
    """The credential the inventory names is not there (unset variable, no keyring entry)."""


class Secret:
    """A value that must never be shown. Use :meth:`reveal` only where it is handed to a library."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The value itself, for the library that needs it (paramiko, pywinrm, smtplib)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return "***"

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled or copied into a record")


class Masker:
    """Replaces every known secret value in text by ``***``; thread-safe, shared by a run."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secret: Secret) -> None:
        """Remember a secret so it is masked from now on (values shorter than 4 are masked too)."""
        value = secret.reveal()
        if value:
            with self._lock:
                self._values.add(value)

    def mask(self, text: str) -> str:
        """The text with every known secret replaced."""
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            text = text.replace(value, "***")
        return text

    def mask_data(self, data: Any) -> Any:
        """Mask every string inside nested dicts and lists (for journal records and JSON)."""
        if isinstance(data, str):
            return self.mask(data)
        if isinstance(data, dict):
            return {k: self.mask_data(v) for k, v in data.items()}
        if isinstance(data, list | tuple):
            return [self.mask_data(v) for v in data]
        return data


def lookup_password(credential: object, masker: Masker, *, environ: dict[str, str] | None = None) -> Secret | None:
    """The secret a credential names, or None for agent/key/os-auth credentials that need none."""
    env = os.environ if environ is None else environ
    secret: Secret | None = None
    if isinstance(credential, EnvCredential):
        value = env.get(credential.variable)
        if not value:
            raise SecretMissing(
                f"the inventory says the password comes from the environment variable {credential.variable}, "
                "which is not set; export it in the shell that runs otcctl (it is never written anywhere)"
            )
        secret = Secret(value)
    elif isinstance(credential, KeyringCredential):
        import keyring  # loaded only when a keyring credential is used

        value = keyring.get_password(credential.service, credential.username)
        if not value:
            raise SecretMissing(
                f"no keyring entry for service {credential.service!r}, user {credential.username!r}; "
                f"store it with: keyring set {credential.service} {credential.username}"
            )
        secret = Secret(value)
    elif isinstance(credential, KeyFileCredential) and credential.passphrase_env:
        value = env.get(credential.passphrase_env)
        if not value:
            raise SecretMissing(
                f"the key {credential.path} needs its passphrase in the environment variable "
                f"{credential.passphrase_env}, which is not set"
            )
        secret = Secret(value)
    if secret is not None:
        masker.add(secret)
    return secret
