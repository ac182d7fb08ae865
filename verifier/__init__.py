"""verifier: sealed product certificates that anyone can check from the QR code alone.

The public surface; everything else is an implementation detail that may change. Names load on first
use, so importing one floor of the library (``verifier.store``, say) does not load the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from verifier.lazy import exports

if TYPE_CHECKING:
    from verifier.certificate.model import AnyCertificate, Certificate, Scheme, parse_certificate
    from verifier.errors import (
        CertificateInvalid,
        CheckFailed,
        FieldError,
        FieldRefused,
        FileRefused,
        KeyStoreError,
        Kind,
        SealTooLarge,
        SelfTestFailed,
        TrustListError,
        VerifierError,
    )
    from verifier.issuing.recipe import Sealed, seal_certificate
    from verifier.seal.claims import SealedCertificate, SealedExemption, SealedProduct
    from verifier.trust.keys import KeyRecord, Keyring, KeyStore, SigningKey, kid_for, new_signing_key
    from verifier.trust.trustlist import TrustList, build_trust_list
    from verifier.verdict import IssuerInfo, Reason, StatusState, ValidityState, Verdict
    from verifier.verification.check import verify, verify_segment
    from verifier.verification.result import SignatureCheck, StatusCheck, ValidityCheck, VerificationResult


__all__ = [
    "AnyCertificate",
    "Certificate",
    "CertificateInvalid",
    "CheckFailed",
    "FieldError",
    "FieldRefused",
    "FileRefused",
    "IssuerInfo",
    "KeyRecord",
    "KeyStore",
    "KeyStoreError",
    "Keyring",
    "Kind",
    "Reason",
    "Scheme",
    "SealTooLarge",
    "Sealed",
    "SealedCertificate",
    "SealedExemption",
    "SealedProduct",
    "SelfTestFailed",
    "SignatureCheck",
    "SigningKey",
    "StatusCheck",
    "StatusState",
    "TrustList",
    "TrustListError",
    "ValidityCheck",
    "ValidityState",
    "Verdict",
    "VerificationResult",
    "VerifierError",
    "build_trust_list",
    "kid_for",
    "new_signing_key",
    "parse_certificate",
    "seal_certificate",
    "verify",
    "verify_segment",
]

__getattr__, __dir__ = exports(__name__, __file__)
