"""A recognition seal → its verdict (section 11 of docs/spec/seal.md).

Genuine when signed by a body that holds the key, for this exact certificate, within the body's remit
and the certificate's validity; valid when, besides, the certificate is valid and the recognition in
force now. The steps run in the spec's order and the first that fails gives the verdict (REC-ORDER): the envelope,
the recogniser's key, the signature, the claims, the key's window, the binding to the recognised seal,
the remit, the span of validity, then the recognised certificate's own verdict (a recognition of a
certificate that is not valid has lapsed, whatever its own dates), and last the recognition's dates.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature

from verifier.errors import CheckFailed
from verifier.seal.claims import ClaimsError, SealedCertificate, claims_from_cbor
from verifier.seal.cose import decode_cose
from verifier.seal.recognition import Recognition, base_digest, recognition_from_cbor
from verifier.trust.parties import Recogniser, recogniser_of
from verifier.verdict import (
    RECOGNITION_VERDICT,
    RecognitionReason,
    RecognitionVerdict,
    StatusState,
    ValidityState,
    Verdict,
)
from verifier.verification.check import VerifiedSeals, validity_state

R, V = RecognitionReason, RecognitionVerdict


class _Refused(Exception):
    def __init__(self, reason: RecognitionReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class RecognitionResult:
    """A recognition's verdict, who signed it (once the key is known), and what it says (once it verified)."""

    verdict: RecognitionVerdict
    reason: RecognitionReason
    detail: str
    recogniser: Recogniser | None
    signature_valid: bool | None
    recognition: Recognition | None

    def to_json(self) -> dict[str, Any]:
        """As the verdict JSON lists it."""
        body = self.recogniser
        return {
            "verdict": self.verdict.value,
            "reason": self.reason.value,
            "detail": self.detail,
            "recogniser": {"id": body.id, "name": body.name, "name_en": body.name_en, "country": body.country}
            if body is not None
            else None,
            "signature_valid": self.signature_valid,
            "recognition": self.recognition.to_json() if self.recognition is not None else None,
        }


class RecognitionSeals(VerifiedSeals[Recognition]):
    """Recognition seals whose signature and claims checked out (a scan shows a certificate's again and again).

    As :class:`~verifier.verification.check.SealCache` for certificates: a hit skips the signature and the
    claims (REC-3, REC-4) only; the key is looked up in the trust list given, and every other rule runs.
    """


def check_recognition(
    cose: bytes,
    base_cose: bytes,
    base: SealedCertificate,
    base_verdict: Verdict,
    recognisers: Iterable[Recogniser],
    at: datetime,
    status: StatusState | None = None,
    cache: RecognitionSeals | None = None,
) -> RecognitionResult:
    """The verdict on a recognition seal of the certificate sealed as ``base_cose``, by one of ``recognisers``.

    ``base`` is that certificate's content and ``base_verdict`` its verdict at ``at``; ``status`` the
    recognition's own status where the caller knows it (the registry, the body's status lists; None:
    not known, or active). Never raises for any bytes.
    """
    found: dict[str, Any] = {"recogniser": None, "signature_valid": None, "recognition": None}
    try:
        _check(cose, base_cose, base, base_verdict, tuple(recognisers), at, found, status, cache)
        reason, detail = RecognitionReason.IN_FORCE, ""
    except _Refused as refused:
        reason, detail = refused.reason, str(refused)
    recognition = found["recognition"] if found["signature_valid"] else None
    return RecognitionResult(RECOGNITION_VERDICT[reason], reason, detail, found["recogniser"],
                             found["signature_valid"], recognition)  # fmt: skip


def _check(
    cose: bytes, base_cose: bytes, base: SealedCertificate, base_verdict: Verdict,
    recognisers: tuple[Recogniser, ...], at: datetime, found: dict[str, Any], status: StatusState | None,
    cache: RecognitionSeals | None,
) -> None:  # fmt: skip
    # REC-1 the envelope, by the certificate seal's rules (COSE-1 to COSE-7).
    try:
        message = decode_cose(cose)
    except CheckFailed as failed:
        raise _Refused(RecognitionReason(failed.reason.value), failed.detail) from None
    # REC-2 the key: a recognising body's, from the trust list, never from the seal; not withdrawn.
    held = recogniser_of(recognisers, message.kid)
    if held is None or held[1].withdrawn_at is not None:
        raise _Refused(RecognitionReason.UNKNOWN_KEY, "no recognising body holds this key (or it was withdrawn)")
    body, key = held
    found["recogniser"] = body
    known = cache.get(cose) if cache is not None else None
    if known is not None:  # verified before, with this very key (a kid is its key's digest)
        found["signature_valid"], found["recognition"], content = True, known, known
    else:
        # REC-3 the signature.
        try:
            key.public_key.verify(message.signature, message.to_be_signed())
        except InvalidSignature:
            found["signature_valid"] = False
            raise _Refused(RecognitionReason.BAD_SIGNATURE, "the signature does not verify") from None
        found["signature_valid"] = True
        # REC-4 the claims, strictly.
        try:
            content = recognition_from_cbor(message.payload)
        except ClaimsError as exc:
            raise _Refused(RecognitionReason.BAD_CLAIMS, str(exc)) from None
        found["recognition"] = content
        if cache is not None:
            cache.put(cose, content)
    # REC-5 the key's window at signing.
    if not key.signs_at(content.issued_at):
        raise _Refused(RecognitionReason.KEY_NOT_VALID_AT_SIGNING, "signed outside its key's validity window")
    # REC-6 this exact certificate: the digest of its seal's bytes.
    if content.base != base_digest(base_cose):
        raise _Refused(RecognitionReason.NOT_THIS_CERTIFICATE, "it recognises another seal than this one")
    # REC-7 the remit: every market, and the certificate's scheme.
    outside = sorted(set(content.markets) - body.markets)
    if outside or base.scheme.value not in body.schemes:
        what = f"markets {', '.join(outside)}" if outside else f"the scheme {base.scheme.value}"
        raise _Refused(RecognitionReason.OUTSIDE_REMIT, f"{body.name_en} may not recognise for {what}")
    # REC-8 within the certificate's validity.
    if content.valid_from < base.valid_from or content.valid_until > base.valid_until:
        raise _Refused(RecognitionReason.EXCEEDS_BASE_VALIDITY, "its validity reaches past the certificate's")
    # REC-9 the certificate first: a recognition of one that is not valid has lapsed.
    if base_verdict is not Verdict.VALID:
        raise _Refused(RecognitionReason.BASE_NOT_VALID, f"the certificate it recognises is {base_verdict.value}")
    # REC-11 its own status, where known: revoked or suspended by its body.
    if status is StatusState.REVOKED:
        raise _Refused(RecognitionReason.REVOKED_BY_BODY, f"{body.name_en} revoked this recognition")
    if status is StatusState.SUSPENDED:
        raise _Refused(RecognitionReason.SUSPENDED_BY_BODY, f"{body.name_en} suspended this recognition")
    # REC-10 the recognition's own dates.
    state = validity_state(content.valid_from, content.valid_until, at)
    if state is ValidityState.EXPIRED:
        raise _Refused(RecognitionReason.PAST_VALIDITY, "the recognition's validity has ended")
    if state is ValidityState.NOT_YET_VALID:
        raise _Refused(RecognitionReason.BEFORE_VALIDITY, "the recognition's validity has not begun")


def carried(
    coses: Iterable[bytes],
    base_cose: bytes,
    base_verdict: Verdict,
    recognisers: Iterable[Recogniser],
    at: datetime,
    status_of: Callable[[str, int], tuple[StatusState, datetime] | None] | None = None,
) -> list[dict[str, Any]]:
    """Recognition seals a file carries (an annex's), each checked offline, as the verdict JSON lists them.

    ``status_of(body id, status index)`` gives a recognition's own state from its body's downloaded status
    lists, and as of when (REC-11), or None where they do not say; without it, its status is not known.
    ``base_cose`` must be a seal whose signature verified (its claims are read again here).
    """
    try:
        base = claims_from_cbor(decode_cose(base_cose).payload)
    except (CheckFailed, ClaimsError):
        return []
    bodies = tuple(recognisers)
    out = []
    for cose in coses:
        result = check_recognition(cose, base_cose, base, base_verdict, bodies, at)
        content, body, listed = result.recognition, result.recogniser, None
        if status_of is not None and content is not None and body is not None and content.status_index is not None:
            listed = status_of(body.id, content.status_index)
            if listed is not None and listed[0] is not StatusState.ACTIVE:
                result = check_recognition(cose, base_cose, base, base_verdict, bodies, at, listed[0])
        since = listed[1].isoformat().replace("+00:00", "Z") if listed is not None else None
        out.append({
            "id": None, **result.to_json(), "signed": True,
            "number": content.number if content else None,
            "markets": list(content.markets) if content else [],
            "basis": list(content.basis) if content else [],
            "valid_from": content.valid_from.isoformat() if content else None,
            "valid_until": content.valid_until.isoformat() if content else None,
            "status": {"state": listed[0].value, "reason": None, "since": since} if listed is not None else None,
            "seal": base64.b64encode(cose).decode("ascii"),
        })  # fmt: skip
        out[-1].pop("recognition")
    return out
