"""Scanned text → verdict: the seal against a trust list at a given time; online, the registry too.

Each step raises :class:`~verifier.errors.CheckFailed` with its reason; :func:`_verify` is the one
boundary that turns the outcome into a :class:`~verifier.verification.result.VerificationResult`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Generic, TypeVar

from cryptography.exceptions import InvalidSignature

from verifier.errors import CheckFailed
from verifier.seal.claims import ClaimsError, SealedCertificate, claims_from_cbor, day_start
from verifier.seal.cose import decode_cose, decode_segment, decode_text
from verifier.trust.parties import TrustedKey
from verifier.trust.trustlist import TrustList
from verifier.verdict import REASON_VERDICT, Reason, RegistryEntry, StatusState, ValidityState
from verifier.verification.result import SignatureCheck, StatusCheck, ValidityCheck, VerificationResult

Content = TypeVar("Content")


@dataclass
class _Findings:
    """What the steps learned before one of them stopped the check."""

    kid: bytes | None = None
    key: TrustedKey | None = None
    signature_valid: bool | None = None
    content: SealedCertificate | None = None
    validity: ValidityCheck | None = None
    registered: RegistryEntry | None = None


# The registry as a check sees it: the entry for exactly these COSE bytes, or None.
Lookup = Callable[[bytes], RegistryEntry | None]


class VerifiedSeals(Generic[Content]):
    """Seals whose signature and claims checked out, by their exact bytes, with what they say (bounded, oldest out)."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._entries: OrderedDict[bytes, Content] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, cose: bytes) -> Content | None:
        """The content of a seal that checked out before, or None."""
        return self._entries.get(cose)

    def put(self, cose: bytes, content: Content) -> None:
        """Remember a seal that checked out."""
        with self._lock:
            self._entries[cose] = content
            if len(self._entries) > self.size:
                self._entries.popitem(last=False)


class SealCache(VerifiedSeals[SealedCertificate]):
    """Certificate seals whose signature and claims have checked out.

    A certificate's QR code is printed on every box of its product and scanned again and again; the
    Ed25519 check is most of the cost of a scan. A hit skips steps (4) and (5) only: the key is looked
    up in the current trust list and its window checked on every scan, and so is the registry status.
    A kid names one public key (it is that key's digest), so a seal that verified once verifies again.
    """


def verify(
    text: str, trust_list: TrustList, at: datetime, lookup: Lookup | None = None, cache: SealCache | None = None
) -> VerificationResult:
    """Check a scanned QR text against ``trust_list`` at ``at`` (an aware datetime).

    Offline (no ``lookup``) the registry status is reported as unknown together with the trust list's
    age; online, ``lookup`` gives the registry's entry for the seal, and the verdict can also be
    ``suspended``, ``revoked`` or ``unregistered``. Never raises for any text.
    """
    return _verify(lambda: decode_text(text, trust_list.origins), trust_list, at, lookup, cache)


def verify_cose(
    cose: bytes, trust_list: TrustList, at: datetime, lookup: Lookup | None = None, cache: SealCache | None = None
) -> VerificationResult:
    """Like :func:`verify`, for the COSE_Sign1 bytes themselves (a PDF's embedded seal)."""
    return _verify(lambda: cose, trust_list, at, lookup, cache)


def nothing_found(trust_list: TrustList, at: datetime) -> VerificationResult:
    """The result for a file in which no seal and no QR code was found: malformed, ``no_code_found``."""

    def read() -> bytes:
        raise CheckFailed(Reason.NO_CODE_FOUND, "no seal and no QR code found")

    return _verify(read, trust_list, at, None, None)


def unanswered(reason: Reason, detail: str, trust_list: TrustList, at: datetime, online: bool) -> VerificationResult:
    """The result for an input no seal could be taken from, for ``reason`` (a certificate number not found: online).

    The shape every check answers in: ``signature.valid`` null, the status unknown (``as_of`` the check
    time online; the trust list's age offline).
    """

    def read() -> bytes:
        raise CheckFailed(reason, detail)

    return _verify(read, trust_list, at, (lambda _: None) if online else None, None)


def verify_segment(
    segment: str, trust_list: TrustList, at: datetime, lookup: Lookup | None = None, cache: SealCache | None = None
) -> VerificationResult:
    """Like :func:`verify`, for the last path segment of a certificate link (what ``/c/{code}`` receives)."""
    return _verify(lambda: decode_segment(segment), trust_list, at, lookup, cache)


def validity_state(valid_from: date, valid_until: date, at: datetime) -> ValidityState:
    """Where ``at`` falls against a validity period of calendar days in China Standard Time."""
    moment = at.timestamp()
    if moment < day_start(valid_from):
        return ValidityState.NOT_YET_VALID
    if moment >= day_start(valid_until) + 86400:
        return ValidityState.EXPIRED
    return ValidityState.IN_FORCE


def _verify(
    read: Callable[[], bytes], trust_list: TrustList, at: datetime, lookup: Lookup | None, cache: SealCache | None
) -> VerificationResult:
    at = at.astimezone(UTC)
    found = _Findings()
    try:
        cose = _check_seal(read, trust_list, at, found, cache)
        if lookup is None:
            _check_validity(found)
        else:
            _check_registry(lookup(cose), found)
        reason = Reason.IN_FORCE
        detail = ""
    except CheckFailed as failed:
        reason = failed.reason
        detail = failed.detail
    registered = found.registered
    if lookup is None:
        status = StatusCheck(
            state=StatusState.UNKNOWN,
            trust_list_issued_at=trust_list.issued_at,
            trust_list_age_seconds=trust_list.age_seconds(at),
        )
    elif registered is None:
        status = StatusCheck(state=StatusState.UNKNOWN, as_of=at)
    else:
        status = StatusCheck(registered.state, registered.reason, registered.since, as_of=at)
    return VerificationResult(
        verdict=REASON_VERDICT[reason],
        reason=reason,
        checked_at=at,
        signature=SignatureCheck(
            valid=found.signature_valid,
            kid=found.kid.hex() if found.kid else None,
            issuer=found.key.issuer if found.key else None,
            key_withdrawn_at=found.key.record.withdrawn_at if found.key else None,
        ),
        status=status,
        validity=found.validity,
        certificate=found.content if found.signature_valid else None,
        detail=detail,
        registered=registered,
    )


def _check_seal(
    read: Callable[[], bytes], trust_list: TrustList, at: datetime, found: _Findings, cache: SealCache | None
) -> bytes:
    """Steps (1) to (7): the seal is genuine and its key was entitled to sign; returns the COSE bytes.

    Where ``at`` falls in the validity period is recorded in ``found``, not yet judged.
    """
    # (1) The text: size cap, the trusted service's link, canonical base32, one format version.
    cose = read()
    # (2) The envelope: a canonical tagged COSE_Sign1, alg EdDSA, an 8-byte kid.
    message = decode_cose(cose)
    found.kid = message.kid
    # (3) The key comes from the trust list only, never from the payload.
    key = trust_list.key(message.kid)
    if key is None:
        raise CheckFailed(Reason.UNKNOWN_KEY, _unknown_key_detail(message.payload, trust_list))
    found.key = key
    content = cache.get(cose) if cache is not None else None
    if content is None:
        # (4) The signature over the Sig_structure.
        try:
            key.record.public_key.verify(message.signature, message.to_be_signed())
        except InvalidSignature:
            found.signature_valid = False
            raise CheckFailed(Reason.BAD_SIGNATURE, "the signature does not verify") from None
        found.signature_valid = True  # so that a claims failure still reports a good signature
        # (5) The claims, strictly: a trusted key signed them, but they must be what the encoder writes.
        try:
            content = claims_from_cbor(message.payload)
        except ClaimsError as exc:
            raise CheckFailed(Reason.BAD_CLAIMS, str(exc)) from None
        if cache is not None:
            cache.put(cose, content)
    found.signature_valid = True  # a cache hit: this exact seal verified before
    found.content = content
    # (6) The key was entitled to sign when the certificate was sealed.
    if not key.record.signs_at(content.issued_at):
        raise CheckFailed(
            Reason.KEY_NOT_VALID_AT_SIGNING,
            "the certificate was sealed outside its key's validity window",
        )
    # (7) The validity period against the check time.
    found.validity = ValidityCheck(
        validity_state(content.valid_from, content.valid_until, at), content.valid_from, content.valid_until
    )
    return cose


def _unknown_key_detail(payload: bytes, trust_list: TrustList) -> str:
    """Why a key may be missing: a trust list older than the seal may predate the key (a rotation since).

    The seal's time is read from claims nobody has verified: it only chooses the hint, never a verdict.
    """
    try:
        sealed_at = claims_from_cbor(payload).issued_at
    except ClaimsError:
        return "the key is not on the trust list"
    if sealed_at > trust_list.issued_at:
        return (
            f"the key is not on the trust list, which is older than this seal ({trust_list.issued_at:%Y-%m-%d}, "
            f"the seal says {sealed_at:%Y-%m-%d}): the issuer may have a newer key since; download the trust list "
            "again"
        )
    return "the key is not on the trust list: never listed, or withdrawn by the operator"


def _check_validity(found: _Findings) -> None:
    """Offline, the last step: in force now, or not."""
    assert found.validity is not None
    if found.validity.state is ValidityState.EXPIRED:
        raise CheckFailed(Reason.PAST_VALIDITY, "the validity period has ended")
    if found.validity.state is ValidityState.NOT_YET_VALID:
        raise CheckFailed(Reason.BEFORE_VALIDITY, "the validity period has not begun")


def _check_registry(entry: RegistryEntry | None, found: _Findings) -> None:
    """Online: (8) the registry issued exactly this seal, (9) not revoked, (10) in force, (11) not suspended."""
    found.registered = entry
    if entry is None:
        raise CheckFailed(Reason.NOT_IN_REGISTRY, "the signature verifies, but this registry never issued it")
    if entry.state is StatusState.REVOKED:
        raise CheckFailed(Reason.REVOKED, "the issuer has revoked the certificate")
    _check_validity(found)
    if entry.state is StatusState.SUSPENDED:
        raise CheckFailed(Reason.SUSPENDED, "the issuer has suspended the certificate")
