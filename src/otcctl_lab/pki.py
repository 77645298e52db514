"""The lab's certificate authority and the WinRM hosts' certificates, issued as a site issues them.

A site's WinRM HTTPS listener usually presents a certificate issued to the machine's name
(``OTC-M5``) by the company CA or by the machine itself, while otcctl connects by IP address.
The lab reproduces exactly that: one CA per lab (``DIR/pki/ca.pem``, the bundle the lab
inventory names) and, per Windows host, a server certificate whose only name is the host name
(subjectAltName DNS, no IP address). A client that trusts the CA and checks the name the
inventory gives (``winrm.server_name``) connects; one that checks the IP address, or does not
trust the CA, fails as it would on site.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class IssuedCertificate:
    """A host's certificate and key files, and the name the certificate carries."""

    cert: Path
    key: Path
    name: str


def ca_files(pki_dir: Path) -> tuple[Path, Path]:
    """(certificate, key) of the lab CA."""
    return pki_dir / "ca.pem", pki_dir / "ca.key"


def write_ca(pki_dir: Path, label: str = "OTC lab CA") -> Path:
    """Create the lab CA (EC P-256, valid 30 days); returns its certificate, the CA bundle."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    pki_dir.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = ca_files(pki_dir)
    private = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, label)])
    certificate = (
        builder(subject, subject, private.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(private.public_key()), critical=False)
        .sign(private, hashes.SHA256())
    )
    _write_pem(cert_path, key_path, certificate, private)
    return cert_path


def issue_host_certificate(pki_dir: Path, host_name: str, stem: str) -> IssuedCertificate:
    """A WinRM server certificate for ``host_name`` (DNS name only), signed by the lab CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_cert_path, ca_key_path = ca_files(pki_dir)
    ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
    ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{ca_key_path} is not the lab CA's EC key")
    private = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host_name)]), ca_cert.subject, private.public_key())
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host_name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = pki_dir / f"{stem}.pem", pki_dir / f"{stem}.key"
    _write_pem(cert_path, key_path, certificate, private)
    return IssuedCertificate(cert_path, key_path, host_name)


def builder(subject: Any, issuer: Any, public_key: Any, days: int = 30) -> Any:
    """A certificate builder with subject, issuer, key, a random serial and ``days`` of validity."""
    from cryptography import x509

    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
    )


def _write_pem(cert_path: Path, key_path: Path, certificate: object, private: object) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    assert isinstance(certificate, x509.Certificate) and isinstance(private, ec.EllipticCurvePrivateKey)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as stream:
        stream.write(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
