"""Verification: QR text (or a COSE_Sign1) to a verdict.

Offline against a trust list, or online with the registry's word handed in (:func:`verify` takes a
lookup; nothing here reads a database). :mod:`.result` is what a check found, step by step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from verifier.lazy import exports

if TYPE_CHECKING:
    from verifier.verification.check import SealCache, verify, verify_cose, verify_segment
    from verifier.verification.result import SignatureCheck, StatusCheck, ValidityCheck, VerificationResult

__all__ = [
    "SealCache",
    "SignatureCheck",
    "StatusCheck",
    "ValidityCheck",
    "VerificationResult",
    "verify",
    "verify_cose",
    "verify_segment",
]
__getattr__, __dir__ = exports(__name__, __file__)
