"""Certificate → sealed QR text: the recipe that puts the model, the claims and the seal together.

Time is an argument: the caller decides when the certificate is sealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from verifier.claims import SealedCertificate, claims_to_cbor, sealed_content
from verifier.errors import KeyStoreError, SealTooLarge
from verifier.keys import SigningKey
from verifier.model import AnyCertificate
from verifier.qr import qr_version
from verifier.seal import MAX_TEXT_LENGTH, encode_text, sign


@dataclass
class Sealed:
    """A sealed certificate: its signed content, the claims and COSE bytes, and the QR text."""

    content: SealedCertificate
    claims: bytes
    cose: bytes
    qr_text: str

    @cached_property
    def qr_version(self) -> int:
        """The QR version the text needs at error correction M (encodes the symbol: milliseconds)."""
        return qr_version(self.qr_text)


def seal_certificate(certificate: AnyCertificate, key: SigningKey, public_url: str, at: datetime) -> Sealed:
    """Seal a validated, numbered certificate with ``key`` at ``at`` for the service at ``public_url``.

    Raises :class:`~verifier.errors.SealTooLarge` when the QR code would exceed the allowed version, and
    :class:`~verifier.errors.KeyStoreError` when ``key`` may not sign at ``at``.
    """
    content = sealed_content(certificate, at)
    if not key.record.signs_at(content.issued_at):
        raise KeyStoreError(f"key {key.record.kid_hex} may not sign at {content.issued_at.isoformat()}")
    claims = claims_to_cbor(content)
    cose = sign(claims, key)
    text = encode_text(cose, public_url)
    if len(text) > MAX_TEXT_LENGTH:
        raise SealTooLarge(
            f"the sealed certificate needs {len(text)} QR characters, more than QR version 25 holds "
            f"({MAX_TEXT_LENGTH}): shorten product names, models or standards"
        )
    return Sealed(content, claims, cose, text)
