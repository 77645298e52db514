"""The lab: a rehearsal copy of the estate on loopback addresses, for operators, tests and demos.

Real OpenSSH servers stand in for the Linux hosts M1-M4, one daemon holds every service port,
and ``python -m otcctl_lab.ctl`` plays systemctl and reboot. The core never imports this
package; the lab only feeds it an inventory (``DIR/inventory.yaml``) that points at loopback.
"""

from otcctl_lab.build import (
    DEFAULT_NETWORK,
    DEFAULT_SSH_PORT,
    PASSPHRASE_ENV,
    HostStatus,
    Lab,
    LabOptions,
    LabStatus,
    ServiceStatus,
    lab_down,
    lab_status,
    lab_up,
    lab_up_on_free_network,
    open_lab,
)
from otcctl_lab.errors import LabError, PortsInUse, SshdMissing

__all__ = [
    "DEFAULT_NETWORK",
    "DEFAULT_SSH_PORT",
    "PASSPHRASE_ENV",
    "HostStatus",
    "Lab",
    "LabError",
    "LabOptions",
    "LabStatus",
    "PortsInUse",
    "ServiceStatus",
    "SshdMissing",
    "lab_down",
    "lab_status",
    "lab_up",
    "lab_up_on_free_network",
    "open_lab",
]
