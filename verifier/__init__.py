"""verifier: sealed product certificates that anyone can check from the QR code alone.

The public surface; everything else is an implementation detail that may change. Names load on first
use, so importing one floor of the library (``verifier.store``, say) does not load the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from verifier.check import verify, verify_segment
    from verifier.claims import SealedCertificate, SealedExemption, SealedProduct
    from verifier.errors import (
        CertificateInvalid,
        CheckFailed,
        FieldError,
        FileRefused,
        KeyStoreError,
        SealTooLarge,
        SelfTestFailed,
        TrustListError,
        VerifierError,
    )
    from verifier.issuing import Sealed, seal_certificate
    from verifier.keys import KeyRecord, Keyring, KeyStore, SigningKey, kid_for, new_signing_key
    from verifier.model import AnyCertificate, Certificate, Scheme, parse_certificate
    from verifier.result import SignatureCheck, StatusCheck, ValidityCheck, VerificationResult
    from verifier.trust import TrustList, build_trust_list
    from verifier.verdict import IssuerInfo, Reason, StatusState, ValidityState, Verdict

_HOMES = {
    "verify": "verifier.check",
    "verify_segment": "verifier.check",
    "SealedCertificate": "verifier.claims",
    "SealedExemption": "verifier.claims",
    "SealedProduct": "verifier.claims",
    "CertificateInvalid": "verifier.errors",
    "CheckFailed": "verifier.errors",
    "FieldError": "verifier.errors",
    "FileRefused": "verifier.errors",
    "KeyStoreError": "verifier.errors",
    "SealTooLarge": "verifier.errors",
    "SelfTestFailed": "verifier.errors",
    "TrustListError": "verifier.errors",
    "VerifierError": "verifier.errors",
    "Sealed": "verifier.issuing",
    "seal_certificate": "verifier.issuing",
    "KeyRecord": "verifier.keys",
    "Keyring": "verifier.keys",
    "KeyStore": "verifier.keys",
    "SigningKey": "verifier.keys",
    "kid_for": "verifier.keys",
    "new_signing_key": "verifier.keys",
    "AnyCertificate": "verifier.model",
    "Certificate": "verifier.model",
    "Scheme": "verifier.model",
    "parse_certificate": "verifier.model",
    "SignatureCheck": "verifier.result",
    "StatusCheck": "verifier.result",
    "ValidityCheck": "verifier.result",
    "VerificationResult": "verifier.result",
    "TrustList": "verifier.trust",
    "build_trust_list": "verifier.trust",
    "IssuerInfo": "verifier.verdict",
    "Reason": "verifier.verdict",
    "StatusState": "verifier.verdict",
    "ValidityState": "verifier.verdict",
    "Verdict": "verifier.verdict",
}

__all__ = [
    "AnyCertificate",
    "Certificate",
    "CertificateInvalid",
    "CheckFailed",
    "FieldError",
    "FileRefused",
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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'verifier' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
