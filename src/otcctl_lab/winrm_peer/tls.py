"""A self-signed certificate for an HTTPS peer, so the lab can rehearse production's WinRM over 5986.

The certificate names the peer's loopback address (subjectAltName IP), so a client that
validates it against this file as its CA bundle succeeds, and one that does not fails
exactly as against a production host with an unknown CA.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path


def write_self_signed(cert: Path, key: Path, address: str, *, name: str = "OTC-MW") -> None:
    """Write a PEM certificate and its unencrypted key (mode 600) for ``address``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from otcctl_lab.pki import builder

    private = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    certificate = (
        builder(subject, subject, private.public_key())
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.touch(mode=0o600)
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
