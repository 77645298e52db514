"""Where journals, the ledger and locks live, and the file modes that let a team share them.

One history for the whole team: a system-wide directory (``/var/lib/otcctl``, group-owned by
the operators' group, setgid so everything created inside keeps that group) that every
operator's runs use. Journals are 0640 (the owner appends, the group reads), the ledger and the
lock files 0660 (every run appends to the ledger and takes locks), directories 2770. The
per-user directory is the fallback for a single user on a machine without the shared one.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

SHARED_STATE_DIR = Path("/var/lib/otcctl")
DIR_MODE = 0o2770


def shared_state_dir() -> Path:
    """The system-wide directory: ``$OTCCTL_SHARED_STATE_DIR`` or ``/var/lib/otcctl``."""
    return Path(os.environ.get("OTCCTL_SHARED_STATE_DIR") or SHARED_STATE_DIR)


def state_dir() -> Path:
    """``$OTCCTL_STATE_DIR``; else the shared directory when it exists and this user may write there;
    else ``$XDG_STATE_HOME/otcctl`` or ``~/.local/state/otcctl``."""
    configured = os.environ.get("OTCCTL_STATE_DIR")
    if configured:
        return Path(configured)
    shared = shared_state_dir()
    if shared.is_dir() and os.access(shared, os.W_OK | os.X_OK):
        return shared
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "otcctl"


def ensure_dir(path: Path) -> None:
    """Create a directory; inside a setgid (shared) directory, make it group-writable and setgid too."""
    if path.is_dir():
        return
    if not path.parent.is_dir():
        ensure_dir(path.parent)
    path.mkdir(exist_ok=True)
    if path.parent.stat().st_mode & 0o2000:
        with contextlib.suppress(PermissionError):
            os.chmod(path, DIR_MODE)


def open_shared(path: Path, flags: int, mode: int) -> int:
    """``os.open`` with O_CREAT whose mode survives the umask (the group must be able to use the file)."""
    fd = os.open(path, flags | os.O_CREAT, mode)
    try:
        st = os.fstat(fd)
        if st.st_uid == os.geteuid() and (st.st_mode & 0o777) != mode:
            os.fchmod(fd, mode)
    except OSError:
        pass
    return fd
