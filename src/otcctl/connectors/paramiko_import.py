"""paramiko, imported the one way otcctl imports it: without invoke.

Both the run's preflight (reading known_hosts) and the connection pool may be the first to need
paramiko; whichever comes first loads it through :func:`load_client`.
"""

from __future__ import annotations

import sys


def load_client() -> None:
    """Import paramiko now (a run does it while preparing, before its first record), without invoke.

    invoke is the package paramiko's ``config`` module imports when it can.

    paramiko uses invoke (and with it asyncio and unittest.mock) only for ssh_config's
    ``Match exec``; otcctl never reads an ssh_config. Keeping invoke out saves about 7 MiB of
    memory and 30 ms per run. Afterwards ``import invoke`` works as usual.
    """
    if "paramiko" not in sys.modules and "invoke" not in sys.modules:
        sys.modules["invoke"] = None  # type: ignore[assignment]  # an absent module, to import
        try:
            import paramiko  # noqa: F401 - imported here, used by the caller
        finally:
            del sys.modules["invoke"]
