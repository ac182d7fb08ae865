"""Scanned text → verdict, offline: the seal checked against a trust list, at a given time.

Each step raises :class:`~verifier.errors.CheckFailed` with its verdict and reason; :func:`verify` is the
one boundary that turns the outcome into a :class:`~verifier.verdict.VerificationResult`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from cryptography.exceptions import InvalidSignature

from verifier.claims import ClaimsError, SealedCertificate, claims_from_cbor, day_start
from verifier.errors import CheckFailed
from verifier.seal import decode_cose, decode_segment, decode_text
from verifier.trust import TrustedKey, TrustList
from verifier.verdict import (
    REASON_VERDICT,
    Reason,
    SignatureCheck,
    StatusCheck,
    StatusState,
    ValidityCheck,
    ValidityState,
    VerificationResult,
)


@dataclass
class _Findings:
    """What the steps learned before one of them stopped the check."""

    kid: bytes | None = None
    key: TrustedKey | None = None
    signature_valid: bool | None = None
    content: SealedCertificate | None = None
    validity: ValidityCheck | None = None


def verify(text: str, trust_list: TrustList, at: datetime) -> VerificationResult:
    """Check a scanned QR text offline against ``trust_list`` at ``at`` (an aware datetime).

    Returns the verdict with its reason; the registry status is reported as unknown together with the
    trust list's age. Never raises for any text.
    """
    return _verify(lambda: decode_text(text, trust_list.origins), trust_list, at)


def verify_segment(segment: str, trust_list: TrustList, at: datetime) -> VerificationResult:
    """Like :func:`verify`, for the last path segment of a certificate link (what ``/c/{code}`` receives)."""
    return _verify(lambda: decode_segment(segment), trust_list, at)


def validity_state(valid_from: date, valid_until: date, at: datetime) -> ValidityState:
    """Where ``at`` falls against a validity period of calendar days in China Standard Time."""
    moment = at.timestamp()
    if moment < day_start(valid_from):
        return ValidityState.NOT_YET_VALID
    if moment >= day_start(valid_until) + 86400:
        return ValidityState.EXPIRED
    return ValidityState.IN_FORCE


def _verify(read: Callable[[], bytes], trust_list: TrustList, at: datetime) -> VerificationResult:
    at = at.astimezone(UTC)
    found = _Findings()
    try:
        _check(read, trust_list, at, found)
        reason = Reason.IN_FORCE
        detail = ""
    except CheckFailed as failed:
        reason = failed.reason
        detail = failed.detail
    return VerificationResult(
        verdict=REASON_VERDICT[reason],
        reason=reason,
        checked_at=at,
        signature=SignatureCheck(
            valid=found.signature_valid,
            kid=found.kid.hex() if found.kid else None,
            issuer=found.key.issuer if found.key else None,
        ),
        status=StatusCheck(
            state=StatusState.UNKNOWN,
            trust_list_issued_at=trust_list.issued_at,
            trust_list_age_seconds=trust_list.age_seconds(at),
        ),
        validity=found.validity,
        certificate=found.content if found.signature_valid else None,
        detail=detail,
    )


def _check(read: Callable[[], bytes], trust_list: TrustList, at: datetime, found: _Findings) -> None:
    # (1) The text: size cap, the trusted service's link, canonical base32, one format version.
    cose = read()
    # (2) The envelope: a canonical tagged COSE_Sign1, alg EdDSA, an 8-byte kid.
    message = decode_cose(cose)
    found.kid = message.kid
    # (3) The key comes from the trust list only, never from the payload.
    key = trust_list.key(message.kid)
    if key is None:
        raise CheckFailed(Reason.UNKNOWN_KEY, "the key is not on the trust list")
    found.key = key
    # (4) The signature over the Sig_structure.
    try:
        key.record.public_key.verify(message.signature, message.to_be_signed())
    except InvalidSignature:
        found.signature_valid = False
        raise CheckFailed(Reason.BAD_SIGNATURE, "the signature does not verify") from None
    found.signature_valid = True
    # (5) The claims, strictly: a trusted key signed them, but they must still be what the encoder writes.
    try:
        content = claims_from_cbor(message.payload)
    except ClaimsError as exc:
        raise CheckFailed(Reason.BAD_CLAIMS, str(exc)) from None
    found.content = content
    # (6) The key was entitled to sign when the certificate was sealed.
    if not key.record.signs_at(content.issued_at):
        raise CheckFailed(
            Reason.KEY_NOT_VALID_AT_SIGNING,
            "the certificate was sealed outside its key's validity window",
        )
    # (7) The validity period against the check time.
    state = validity_state(content.valid_from, content.valid_until, at)
    found.validity = ValidityCheck(state, content.valid_from, content.valid_until)
    if state is ValidityState.EXPIRED:
        raise CheckFailed(Reason.PAST_VALIDITY, "the validity period has ended")
    if state is ValidityState.NOT_YET_VALID:
        raise CheckFailed(Reason.BEFORE_VALIDITY, "the validity period has not begun")
