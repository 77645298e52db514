"""A WinRM peer for tests and the lab: an emulated Chinese Windows middleware host (M5, M6).

It speaks WS-Management over HTTP (or HTTPS) exactly as pywinrm uses it, authenticates with
real NTLM (pyspnego's server side) and seals messages on plain HTTP. Behind it, a small
emulated host: Windows services with their ports, backup drives, a reboot. What it emulates,
and what it refuses, is listed in each module; everything else exits 1 with "not emulated".
"""

from otcctl_lab.winrm_peer.host import ServiceSpec, load_services
from otcctl_lab.winrm_peer.peer import Peer, PeerError, PeerOptions, start_peer
from otcctl_lab.winrm_peer.process import CommandRecord
from otcctl_lab.winrm_peer.seeding import seed_backups, seed_middleware_logs

__all__ = [
    "CommandRecord",
    "Peer",
    "PeerError",
    "PeerOptions",
    "ServiceSpec",
    "load_services",
    "seed_backups",
    "seed_middleware_logs",
    "start_peer",
]
