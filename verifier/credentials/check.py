"""A Digital Conformity Credential checked: online, the JWS against the registry's keys, then the certificate.

What a customs system may send instead of a QR text: the enveloped credential (JSON) or its JWT. The
header's ``kid`` must be a key URL of this service's did:web (``did:web:HOST:issuers:ID#KID``) and the
key that issuer's; the signature is checked with it, never with a key the credential brings. A genuine
credential names a certificate of the registry: the verdict is then that certificate's, exactly as a
scan of its QR code gives it (signature, validity, registry status, which is what the status lists
say). Everything else gets the same verdict vocabulary: malformed, unknown issuer, invalid,
unregistered. Never raises for any input.

Offline, a credential is checked against a trust list, and so is a downloaded status list; the lists
then give a credential's state, or a seal's that carries its status index (:func:`with_status_lists`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature

from verifier.certificate.days import SCHEME_TZ
from verifier.credentials import statuslist
from verifier.credentials.did import host_did
from verifier.credentials.vcjose import ALGORITHM, ENVELOPE_PREFIX
from verifier.jsonstrict import DuplicateMember, strict_loads
from verifier.times import parse_time
from verifier.trust.trustlist import TrustList
from verifier.verdict import REASON_VERDICT, Reason, StatusState, ValidityState
from verifier.verification.check import validity_state
from verifier.verification.result import SignatureCheck, StatusCheck, ValidityCheck, VerificationResult

MAX_CREDENTIAL_CHARS = 100_000
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_KID = re.compile(r"(did:web:[^#]+):issuers:([a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?)#([0-9a-f]{16})")


@dataclass(frozen=True)
class RegisteredCredential:
    """The registry's word on a certificate id: its seal's QR text, its issuer, its credential (unsigned).

    A credential presented for the certificate must say exactly what the registry's credential says.
    """

    qr_text: str
    issuer_id: str
    credential: dict[str, Any]


Registered = Callable[[str], RegisteredCredential | None]
# The verdict for a QR text, as a scan gives it.
ScanCheck = Callable[[str], VerificationResult]


class _Refused(Exception):
    def __init__(self, reason: Reason, detail: str, signature: SignatureCheck | None = None) -> None:
        super().__init__(detail)
        self.reason, self.detail, self.signature = reason, detail, signature or SignatureCheck(valid=None)


def is_credential(given: object) -> bool:
    """Whether ``given`` (a request's text or JSON value) is meant as a credential rather than a QR text."""
    if isinstance(given, dict):
        return True
    text = given.strip() if isinstance(given, str) else ""
    return text.startswith("{") or bool(_JWT.fullmatch(text))


def _b64(part: str) -> bytes:
    try:
        data = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise _Refused(Reason.BAD_ENCODING, "a part of the JWT is not base64url") from None
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii") != part:  # stray bits, stray characters
        raise _Refused(Reason.BAD_ENCODING, "a part of the JWT is not canonical base64url (stray bits)")
    return data


def _jwt_of(given: object) -> str:
    """The compact JWS in ``given``: the JWT itself, or an enveloped credential (JSON text or object)."""
    if isinstance(given, str) and len(given) > MAX_CREDENTIAL_CHARS:
        raise _Refused(Reason.TOO_LARGE, f"a credential is limited to {MAX_CREDENTIAL_CHARS} characters")
    document = given
    if isinstance(given, str):
        text = given.strip()
        if _JWT.fullmatch(text):
            return text
        try:
            document = json.loads(text)
        except (ValueError, RecursionError):
            raise _Refused(Reason.BAD_ENCODING, "neither a JWT nor a JSON credential") from None
    if not isinstance(document, dict) or document.get("type") != "EnvelopedVerifiableCredential":
        raise _Refused(Reason.BAD_ENCODING, "not an EnvelopedVerifiableCredential")
    envelope = document.get("id")
    if not isinstance(envelope, str) or not envelope.startswith(ENVELOPE_PREFIX):
        raise _Refused(Reason.BAD_ENCODING, f"the envelope's id is not {ENVELOPE_PREFIX}<JWT>")
    jwt = envelope.removeprefix(ENVELOPE_PREFIX)
    if len(jwt) > MAX_CREDENTIAL_CHARS or not _JWT.fullmatch(jwt):
        raise _Refused(Reason.BAD_ENCODING, "the envelope does not hold a compact JWS")
    return jwt


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = strict_loads(data)
    except DuplicateMember as exc:
        raise _Refused(Reason.BAD_ENCODING, f"the JWT's {what}: {exc}") from None
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        raise _Refused(Reason.BAD_ENCODING, f"the JWT's {what} is not JSON") from None
    if not isinstance(value, dict):
        raise _Refused(Reason.BAD_ENCODING, f"the JWT's {what} is not a JSON object")
    return value


def verify_credential(
    given: object, trust_list: TrustList, at: datetime, registered: Registered, scan: ScanCheck
) -> VerificationResult:
    """The verdict for a credential ``given`` as text (JWT or JSON) or as a parsed JSON object."""
    try:
        return _verify(given, trust_list, registered, scan)
    except _Refused as refused:
        return VerificationResult(
            verdict=REASON_VERDICT[refused.reason], reason=refused.reason, checked_at=at,
            signature=refused.signature, status=StatusCheck(state=StatusState.UNKNOWN, as_of=at),
            detail=refused.detail,
        )  # fmt: skip


def _genuine(given: object, trust_list: TrustList) -> tuple[dict[str, Any], SignatureCheck, str, str]:
    """The signed DCC, its signature's findings, the issuer's id and did:web host; or :class:`_Refused`."""
    credential, genuine, issuer_id, did_host = _signed(given, trust_list)
    types = credential.get("type")
    if (
        not isinstance(types, list)
        or "DigitalConformityCredential" not in types
        or not isinstance(credential.get("id"), str)
    ):
        raise _Refused(Reason.BAD_CLAIMS, "a genuine signature, but not on a Digital Conformity Credential", genuine)
    named = credential.get("issuer")
    named = named.get("id") if isinstance(named, dict) else named
    if named != f"{did_host}:issuers:{issuer_id}":  # signed by one issuer's key in another's name
        raise _Refused(Reason.BAD_CLAIMS, "a genuine signature, but the credential names another issuer", genuine)
    return credential, genuine, issuer_id, did_host


def _signed(
    given: object, trust_list: TrustList, any_party: bool = False
) -> tuple[dict[str, Any], SignatureCheck, str, str]:
    """Any credential signed by one of this service's issuers: its payload, signature findings, issuer, host.

    ``any_party``: by any party of the trust list (a recognising body signs the status lists of its
    recognitions too); otherwise by an issuer only (a certificate's credential).
    """
    jwt = _jwt_of(given)
    header_part, payload_part, signature_part = jwt.split(".")
    header = _json_object(_b64(header_part), "header")
    if header.get("alg") != ALGORITHM:
        raise _Refused(Reason.UNSUPPORTED_ALGORITHM, f"the JWT's alg is not {ALGORITHM}")
    if "crit" in header:  # RFC 7515 §4.1.11: extensions it does not understand (it understands none) refuse it
        raise _Refused(Reason.BAD_ENCODING, "the JWT's header names critical extensions this verifier does not know")
    kid = header.get("kid")
    named = _KID.fullmatch(kid) if isinstance(kid, str) else None
    ours = {host_did(url) for url in trust_list.public_urls}
    if named is None or named.group(1) not in ours:
        raise _Refused(Reason.UNKNOWN_KEY, "the JWT's kid is not a key of this service's issuers (did:web)")
    did_host, issuer_id, kid_hex = named.groups()
    key = (trust_list.party_key if any_party else trust_list.key)(bytes.fromhex(kid_hex))
    if key is None or key.issuer.id != issuer_id:
        raise _Refused(Reason.UNKNOWN_KEY, "the issuer has no such key", SignatureCheck(None, kid_hex))
    if key.record.withdrawn_at is not None:  # gone from the DID documents and the published trust list
        raise _Refused(Reason.UNKNOWN_KEY, "the key was withdrawn by the operator", SignatureCheck(None, kid_hex))
    try:
        key.record.public_key.verify(_b64(signature_part), f"{header_part}.{payload_part}".encode("ascii"))
    except InvalidSignature:
        raise _Refused(Reason.BAD_SIGNATURE, "the signature does not verify",
                       SignatureCheck(False, kid_hex, key.issuer)) from None  # fmt: skip
    genuine = SignatureCheck(True, kid_hex, key.issuer)
    return _json_object(_b64(payload_part), "payload"), genuine, issuer_id, did_host


def _verify(given: object, trust_list: TrustList, registered: Registered, scan: ScanCheck) -> VerificationResult:
    credential, genuine, issuer_id, _ = _genuine(given, trust_list)
    credential_id = str(credential["id"])
    prefixes = [f"{url}/credentials/" for url in trust_list.public_urls]
    certificate_id = next((credential_id.removeprefix(p) for p in prefixes if credential_id.startswith(p)), None)
    entry = registered(certificate_id) if certificate_id else None
    # The key that signed must be the certificate's issuer's, and every member must be the registry's:
    # another issuer's key, or a credential that differs anywhere, was never issued by this registry.
    if entry is None or entry.issuer_id != issuer_id or credential != entry.credential:
        raise _Refused(Reason.NOT_IN_REGISTRY, "a genuine signature on a credential this registry never issued",
                       genuine)  # fmt: skip
    return scan(entry.qr_text)


# A downloaded status list, checked: its URL, issuer id, purpose, bits, validFrom and validUntil (or None).
_ListRead = tuple[str, str, str, bytes, datetime, datetime | None]


class StatusListRefused(ValueError):
    """A downloaded status list that is not one of this service's issuers' signed lists."""


def read_status_list(given: object, trust_list: TrustList) -> _ListRead:
    """A downloaded ``BitstringStatusListCredential`` checked with the trust list.

    Returns its URL, issuer id, purpose, bits and validFrom; raises :class:`StatusListRefused` saying why not.
    """
    try:
        listed, _, issuer_id, did_host = _signed(given, trust_list, any_party=True)
    except _Refused as refused:
        raise StatusListRefused(f"not a status list signed by a trusted issuer: {refused.detail}") from None
    named = listed.get("issuer")
    named = named.get("id") if isinstance(named, dict) else named
    if named != f"{did_host}:issuers:{issuer_id}":  # the list speaks for the issuer whose key signed it
        raise StatusListRefused("the list's issuer is not the DID of the key that signed it")
    subject = listed.get("credentialSubject")
    types = listed.get("type")
    if not isinstance(types, list) or "BitstringStatusListCredential" not in types or not isinstance(subject, dict):
        raise StatusListRefused("a genuine signature, but not on a BitstringStatusListCredential")
    try:
        bits = statuslist.decode(str(subject.get("encodedList", "")))
        since = parse_time(listed.get("validFrom"), "the list's validFrom")
        until = parse_time(listed["validUntil"], "the list's validUntil") if "validUntil" in listed else None
    except ValueError as exc:
        raise StatusListRefused(f"the list does not read: {exc}") from None
    return str(listed.get("id")), issuer_id, str(subject.get("statusPurpose")), bits, since, until


def verify_credential_offline(
    given: object, trust_list: TrustList, at: datetime, status_lists: tuple[object, ...] = ()
) -> VerificationResult:
    """A credential checked offline against a trust list: its signature and its validity period.

    As for a seal checked offline, nothing says whether the issuer has since suspended or revoked it
    (the status is ``unknown``, with the trust list's age), unless downloaded ``status_lists`` (their
    JWT or enveloped JSON) cover its ``credentialStatus`` entries: see :func:`with_status_lists`.
    Raises :class:`StatusListRefused` for a list that does not check.
    """
    lists = [read_status_list(given_list, trust_list) for given_list in status_lists]
    status = StatusCheck(state=StatusState.UNKNOWN, trust_list_issued_at=trust_list.issued_at,
                         trust_list_age_seconds=trust_list.age_seconds(at))  # fmt: skip
    try:
        credential, genuine, _, _ = _genuine(given, trust_list)
        try:
            start = datetime.fromisoformat(str(credential["validFrom"]))
            end = datetime.fromisoformat(str(credential["validUntil"]))
        except (KeyError, ValueError):
            raise _Refused(Reason.BAD_CLAIMS, "the credential's validFrom or validUntil is not a date-time",
                           genuine) from None  # fmt: skip
    except _Refused as refused:
        return VerificationResult(
            verdict=REASON_VERDICT[refused.reason], reason=refused.reason, checked_at=at,
            signature=refused.signature, status=status, detail=refused.detail,
        )  # fmt: skip
    state = validity_state(start.astimezone(SCHEME_TZ).date(), end.astimezone(SCHEME_TZ).date(), at)
    reason = {ValidityState.IN_FORCE: Reason.IN_FORCE, ValidityState.EXPIRED: Reason.PAST_VALIDITY,
              ValidityState.NOT_YET_VALID: Reason.BEFORE_VALIDITY}[state]  # fmt: skip
    entries = credential.get("credentialStatus")
    result = VerificationResult(
        verdict=REASON_VERDICT[reason], reason=reason, checked_at=at, signature=genuine, status=status,
        validity=ValidityCheck(state, start.astimezone(SCHEME_TZ).date(), end.astimezone(SCHEME_TZ).date()),
    )  # fmt: skip
    return _listed(result, entries if isinstance(entries, list) else [], lists)


def with_status_lists(
    result: VerificationResult, trust_list: TrustList, status_lists: tuple[object, ...]
) -> VerificationResult:
    """An offline seal verdict completed by the issuer's downloaded status lists (JWT or enveloped JSON).

    A seal that carries its status index (spec 1.1) and whose issuer's revocation and suspension lists
    are both among ``status_lists`` gets the state they give: revoked whatever its dates, suspended
    when it is otherwise in force, else active; the status is as of the newer list's ``validFrom``
    (when it last changed). Other verdicts, and seals without an index, are left as they are. Raises
    :class:`StatusListRefused` for a list that does not check.
    """
    lists = [read_status_list(given_list, trust_list) for given_list in status_lists]
    content, issuer = result.certificate, result.signature.issuer
    if content is None or content.status_index is None or issuer is None or result.validity is None:
        return result
    entries = [e for url in trust_list.public_urls for e in statuslist.entries(url, issuer.id, content.status_index)]
    return _listed(result, entries, lists)


def listed_state(
    party_id: str, status_index: int, trust_list: TrustList, status_lists: tuple[object, ...], at: datetime
) -> tuple[StatusState, datetime] | None:
    """A status index's state in a party's downloaded status lists (a recognition's own, REC-11), and as of when.

    None when the lists do not cover it (both purposes are needed). Raises :class:`StatusListRefused` for a
    list that does not check.
    """
    lists = [read_status_list(given_list, trust_list) for given_list in status_lists]
    entries = [e for url in trust_list.public_urls for e in statuslist.entries(url, party_id, status_index)]
    return _listed_state(entries, party_id, lists, at)


def _listed(result: VerificationResult, entries: list[Any], lists: list[_ListRead]) -> VerificationResult:
    """``result`` (genuine, its validity judged) with the state the downloaded lists give its status ``entries``.

    The order is the registry's (spec ORDER-2): revoked first, then the validity period, then suspended.
    """
    issuer = result.signature.issuer.id if result.signature.issuer else None
    listed = _listed_state(entries, issuer, lists, result.checked_at)
    if listed is None:
        return result
    registry_state, as_of = listed
    reason = result.reason
    if registry_state is StatusState.REVOKED:
        reason = Reason.REVOKED
    elif registry_state is StatusState.SUSPENDED and reason is Reason.IN_FORCE:
        reason = Reason.SUSPENDED
    status = replace(result.status, state=registry_state, as_of=as_of)
    return replace(result, verdict=REASON_VERDICT[reason], reason=reason, status=status)


def _listed_state(
    entries: list[Any], issuer: str | None, lists: list[_ListRead], at: datetime
) -> tuple[StatusState, datetime] | None:
    """The state the downloaded lists give these status entries, and as of when; None when they do not cover it.

    A list past its ``validUntil`` at ``at`` is not used (STATUS-5). Of several lists for one purpose
    that cover an entry, the latest ``validFrom`` counts, and at the same ``validFrom`` a set bit does.
    """
    if not lists:
        return None
    found: dict[str, tuple[bool, datetime]] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not str(entry.get("statusListIndex", "")).isdigit():
            continue
        index = int(entry["statusListIndex"])
        for url, list_issuer, purpose, bits, since, until in lists:
            named = (entry.get("statusListCredential"), entry.get("statusPurpose"))
            if named != (url, purpose) or list_issuer != issuer or index >= len(bits) * 8:
                continue
            if until is not None and at >= until:
                continue
            read = (statuslist.is_set(bits, index), since)
            if purpose not in found or (since, read[0]) > (found[purpose][1], found[purpose][0]):
                found[purpose] = read
    if set(found) != {"revocation", "suspension"}:
        return None
    as_of = max(since for _, since in found.values())
    if found["revocation"][0]:
        return StatusState.REVOKED, as_of
    return (StatusState.SUSPENDED if found["suspension"][0] else StatusState.ACTIVE), as_of
