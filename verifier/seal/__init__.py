"""The seal: a certificate's essential content as claims, in CBOR, signed as a COSE_Sign1, written as QR text.

:mod:`.claims` turns a certificate into its claims and back; :mod:`.cose` signs and reads the COSE_Sign1
and its QR text (an https URL); :mod:`.cborread` is the strict, bounded CBOR reader under both;
:mod:`.base32` the QR text's alphabet; :mod:`.spec` the spec's tables, shared with the JavaScript verifier.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from verifier.lazy import exports

if TYPE_CHECKING:
    from verifier.seal.claims import SealedCertificate, SealedExemption, SealedProduct, claims_from_cbor, claims_to_cbor
    from verifier.seal.cose import SEAL_ATTACHMENT, decode_text, encode_text, sign

__all__ = [
    "SEAL_ATTACHMENT",
    "SealedCertificate",
    "SealedExemption",
    "SealedProduct",
    "claims_from_cbor",
    "claims_to_cbor",
    "decode_text",
    "encode_text",
    "sign",
]
__getattr__, __dir__ = exports(__name__, __file__)
