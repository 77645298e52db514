"""NTLM message sealing on plain HTTP: the server half of MS-WSMV 2.2.9.1.1 (HTTP-SPNEGO-session-encrypted).

A sealed body is a two-part MIME-like frame: a header part naming the original content type
and its length, then an octet-stream part holding a 4-byte little-endian signature length,
the NTLM signature and the RC4-sealed message. pywinrm's ``winrm/encryption.py`` is the client
half; the sealing itself is pyspnego's (``wrap``/``unwrap`` of the authenticated context), so
sequence numbers advance exactly as on a Windows server and a replayed or altered message fails.
"""

from __future__ import annotations

import re
import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spnego import ContextProxy

PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
BOUNDARY = b"--Encrypted Boundary"
CONTENT_TYPE = f'multipart/encrypted;protocol="{PROTOCOL}";boundary="Encrypted Boundary"'
_LENGTH = re.compile(rb"Length=(\d+)")
_OCTETS = b"\tContent-Type: application/octet-stream\r\n"


class SealingError(ValueError):
    """The body is not a well-formed sealed message, or its signature does not verify."""


def is_sealed(content_type: str) -> bool:
    """Whether a request's Content-Type announces a sealed body."""
    return "multipart/encrypted" in content_type.lower() and PROTOCOL.lower() in content_type.lower()


def unseal(body: bytes, context: ContextProxy) -> bytes:
    """The SOAP envelope inside a sealed request body."""
    header_start = body.find(BOUNDARY + b"\r\n")
    octets_at = body.find(BOUNDARY + b"\r\n" + _OCTETS, header_start + 1)
    length = _LENGTH.search(body, header_start, octets_at if octets_at > 0 else len(body))
    if header_start < 0 or octets_at < 0 or length is None:
        raise SealingError("not a multipart/encrypted WS-Management body")
    payload = body[octets_at + len(BOUNDARY) + 2 + len(_OCTETS):]
    if len(payload) < 4:
        raise SealingError("sealed part too short")
    signature_length = struct.unpack("<i", payload[:4])[0]
    message_length = int(length.group(1))
    signature = payload[4:4 + signature_length]
    sealed = payload[4 + signature_length:4 + signature_length + message_length]
    if signature_length != 16 or len(sealed) != message_length:
        raise SealingError("sealed part has the wrong length")
    try:
        return context.unwrap(signature + sealed).data
    except Exception as exc:  # pyspnego raises several types for a bad signature
        raise SealingError(f"the message does not unseal: {exc}") from None


def seal(message: bytes, context: ContextProxy) -> bytes:
    """A sealed response body for ``message`` (Content-Type: :data:`CONTENT_TYPE`)."""
    wrapped = context.wrap(message, encrypt=True).data
    signature, sealed = wrapped[:16], wrapped[16:]
    return (
        BOUNDARY + b"\r\n"
        + f"\tContent-Type: {PROTOCOL}\r\n".encode()
        + f"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length={len(message)}\r\n".encode()
        + BOUNDARY + b"\r\n" + _OCTETS
        + struct.pack("<i", len(signature)) + signature + sealed
        + BOUNDARY + b"--\r\n"
    )
