"""verifier: sealed product certificates that anyone can check from the QR code alone.

The public surface; everything else is an implementation detail that may change.
"""

from verifier.check import verify, verify_segment
from verifier.claims import SealedCertificate, SealedExemption, SealedProduct
from verifier.errors import (
    CertificateInvalid,
    CheckFailed,
    FieldError,
    KeyStoreError,
    SealTooLarge,
    TrustListError,
    VerifierError,
)
from verifier.issuing import Sealed, seal_certificate
from verifier.keys import KeyRecord, Keyring, KeyStore, SigningKey, kid_for, new_signing_key
from verifier.model import AnyCertificate, Certificate, Scheme, parse_certificate
from verifier.trust import TrustList, build_trust_list
from verifier.verdict import (
    IssuerInfo,
    Reason,
    SignatureCheck,
    StatusCheck,
    StatusState,
    ValidityCheck,
    ValidityState,
    Verdict,
    VerificationResult,
)

__all__ = [
    "AnyCertificate",
    "Certificate",
    "CertificateInvalid",
    "CheckFailed",
    "FieldError",
    "IssuerInfo",
    "KeyRecord",
    "KeyStore",
    "KeyStoreError",
    "Keyring",
    "Reason",
    "Scheme",
    "SealTooLarge",
    "Sealed",
    "SealedCertificate",
    "SealedExemption",
    "SealedProduct",
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
