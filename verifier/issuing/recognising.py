"""A body's recognition of a certificate into the registry, checked as every verifier will check it.

It is signed here with the key kept for the body, or signed elsewhere and uploaded. Signed here, it gets
a place in the body's own status lists (so its suspension or revocation shows offline too). Uploaded,
it is checked against the trust list as it stands (section 11 of the seal spec: the body's key, not
withdrawn; this very certificate; the remit; within the certificate's validity) and must be the
uploading body's own; its status is then the registry's (it carries no status index: the service keeps
no lists the body signs).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from verifier.errors import VerifierError
from verifier.paper.annex import MAX_ANNEXED, Annex, AnnexEntry
from verifier.seal.claims import ClaimsError, SealedCertificate, claims_from_cbor
from verifier.seal.cose import MAX_COSE_BYTES, RECOGNITION_PATH, decode_cose, encode_text
from verifier.seal.recognition import Recognition, base_digest, seal_recognition
from verifier.store.recognitionrequests import checked_markets
from verifier.store.recognitions import NewRecognition, RecognitionRecord
from verifier.store.records import Conflict, NotFound, Principal, body_of
from verifier.store.registry import Registry
from verifier.trust.trustlist import TrustList
from verifier.verdict import RecognitionVerdict, StatusState, ValidityState, Verdict
from verifier.verification.check import validity_state
from verifier.verification.recognition import RecognitionResult, check_recognition

MAX_UPLOAD_BYTES = 4 * MAX_COSE_BYTES  # a recognition is about 200 bytes; the reader's own bound is tighter
STORABLE = (RecognitionVerdict.VALID, RecognitionVerdict.NOT_YET_VALID)


class RecognitionRefused(VerifierError):
    """A recognition that would not verify: its verdict's reason is the code, the check's words the message."""


@dataclass(frozen=True)
class Terms:
    """What a body recognises a certificate for, as it asks the service to sign."""

    number: str
    markets: tuple[str, ...]
    basis: tuple[str, ...]
    valid_from: date | None = None  # the certificate's, when not given
    valid_until: date | None = None


def annex_of(registry: Registry, trust: TrustList, issuer_id: str, certificate_id: str, public_url: str,
             at: datetime) -> Annex:  # fmt: skip
    """The issuer's certificate with every recognition of it in force (or to be), to print as its annex.

    Each is checked as a verifier would check it now (a key withdrawn since: left out). Raises
    :class:`NotFound` for another issuer's certificate or one no body recognises now, and :class:`Conflict`
    for a certificate not in force (its recognitions have lapsed with it).
    """
    certificate = registry.certificates.get(issuer_id, certificate_id)
    state, record = certificate.status.state, certificate.record
    if state is not StatusState.ACTIVE:
        raise Conflict(f"certificate {certificate.number} is {state.value}: its recognitions have lapsed with it")
    if validity_state(date.fromisoformat(record["valid_from"]), date.fromisoformat(record["valid_until"]), at) \
            is not ValidityState.IN_FORCE:  # fmt: skip
        raise Conflict(f"certificate {certificate.number} is not within its validity: no recognition of it is in force")
    base_cose, base = _base(registry, certificate_id)
    entries = []
    for held in registry.recognitions.of_certificate(certificate_id):
        if held.standing != "active":
            continue
        result = check_recognition(held.cose, base_cose, base, Verdict.VALID, trust.recognisers, at)
        body, content = result.recogniser, result.recognition
        if result.verdict not in STORABLE or body is None or content is None:
            continue
        link = encode_text(held.cose, public_url, RECOGNITION_PATH)
        entries.append(AnnexEntry(body.name, body.name_en, body.country, content, held.kid.hex(), link, held.cose))
    if not entries:
        raise NotFound(f"no body recognises certificate {certificate.number} now: there is no annex to print")
    return Annex(record, certificate.qr_text, base_cose, registry.issuers.letterhead(issuer_id),
                 tuple(entries[:MAX_ANNEXED]), public_url)  # fmt: skip


def _base(registry: Registry, certificate_id: str) -> tuple[bytes, SealedCertificate]:
    cose = registry.recognitions.base_seal(certificate_id)
    return cose, claims_from_cbor(decode_cose(cose).payload)


def _checked(
    cose: bytes, base_cose: bytes, base: SealedCertificate, trust: TrustList, at: datetime
) -> RecognitionResult:
    result = check_recognition(cose, base_cose, base, Verdict.VALID, trust.recognisers, at)
    if result.verdict not in STORABLE:
        raise RecognitionRefused(
            f"the recognition is {result.verdict.value}: {result.detail}", code=result.reason.value
        )
    return result


def sign_here(
    registry: Registry,
    trust: TrustList,
    actor: Principal,
    certificate_id: str,
    terms: Terms,
    at: datetime,
    request_id: str | None = None,
) -> RecognitionRecord:
    """Sign the actor's body's recognition with the key the service keeps for it, check it, and store it.

    Raises :class:`Conflict` for a body that keeps its keys itself (it uploads), :class:`RecognitionRefused`
    for one that would not verify (outside the remit, past the certificate's validity), and what the
    store refuses (a market recognised already, the number taken, the certificate not in force).
    """
    party_id = body_of(actor)
    if not registry.parties.get(party_id).keys_kept:
        raise Conflict(f"{party_id} keeps its keys itself: sign with `verifier recognise --key` and upload the file")
    base_cose, base = _base(registry, certificate_id)
    signed_at = at.replace(microsecond=0)
    content = Recognition(base_digest(base_cose), terms.number.strip(), checked_markets(terms.markets),
                          tuple(b.strip() for b in terms.basis), terms.valid_from or base.valid_from,
                          terms.valid_until or base.valid_until, signed_at)  # fmt: skip
    (index,) = registry.statuslists.reserve(party_id, 1)
    try:
        key = registry.issuers.signing_key(party_id)
        try:
            cose = seal_recognition(Recognition(**{**content.__dict__, "status_index": index}), key)
        except ClaimsError as exc:
            raise RecognitionRefused(f"cannot be signed: {exc}", code="bad_claims") from None
        result = _checked(cose, base_cose, base, trust, at)
        return _store(registry, actor, certificate_id, cose, result, True, at, request_id)
    except BaseException:
        registry.statuslists.release(party_id, [index])
        raise


def upload(
    registry: Registry,
    trust: TrustList,
    actor: Principal,
    certificate_id: str,
    cose: bytes,
    at: datetime,
    request_id: str | None = None,
) -> RecognitionRecord:
    """Check a recognition the actor's body signed elsewhere, and store it.

    Raises :class:`RecognitionRefused` for one that does not verify (hostile bytes included: the
    strict reader's bounds), or is another body's, or carries a status index (no list here holds it).
    """
    party_id = body_of(actor)
    if len(cose) > MAX_UPLOAD_BYTES:
        raise RecognitionRefused(f"a recognition is at most {MAX_UPLOAD_BYTES} bytes", code="too_large")
    base_cose, base = _base(registry, certificate_id)
    result = _checked(cose, base_cose, base, trust, at)
    assert result.recogniser is not None  # it verified
    assert result.recognition is not None
    if result.recogniser.id != party_id:
        raise RecognitionRefused(f"signed by {result.recogniser.id}'s key, not {party_id}'s", code="not_your_key")
    if result.recognition.status_index is not None:
        why = f"a recognition signed elsewhere carries no status index: no status lists {party_id} signs are kept here"
        raise RecognitionRefused(why + " (sign without --status-index)", code="bad_claims")
    return _store(registry, actor, certificate_id, cose, result, False, at, request_id)


def _store(
    registry: Registry,
    actor: Principal,
    certificate_id: str,
    cose: bytes,
    result: RecognitionResult,
    signed_here: bool,
    at: datetime,
    request_id: str | None,
) -> RecognitionRecord:
    content = result.recognition
    assert content is not None
    assert result.recogniser is not None
    if request_id is not None:
        asked = registry.requests.pending_for(actor, request_id)
        if asked.certificate_id != certificate_id:
            raise Conflict("the request is for another certificate")
    new = NewRecognition(
        str(uuid.uuid4()), certificate_id, result.recogniser.id, content.number, content.markets, content.basis,
        content.valid_from, content.valid_until, content.issued_at, decode_cose(cose).kid, cose,
        content.status_index, signed_here, request_id,
    )  # fmt: skip
    on_request = registry.requests.accept_in if request_id is not None else None
    return registry.recognitions.add(actor, new, at, on_request)
