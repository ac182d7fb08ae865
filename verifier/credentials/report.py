"""A verification report: the operator's signed word that these certificates were checked at T with these verdicts.

What a customs officer files with a declaration. A W3C VC 2.0 credential, secured as every credential here
(VC-JOSE, EdDSA), signed by the operator's key (the one that signs the trust list; its did:web is the
service's host). Its subject lists each item checked, in order: the kind of input, the verdict and its
reason, and for a certificate that was read its number, issuer, holder, validity and the SHA-256 of its
seal (the digest the transparency log records); for an input no certificate was read from, the SHA-256 of
the input as sent. The same input twice is listed twice, the second naming the first. A report's link is
``/r/{id}``; docs/customs.md has the members and how to check one.

:func:`read_report` checks one with the operator's keys alone, offline: a report altered after signing,
or signed by any other key, is refused.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from verifier.credentials.did import host_did, key_url
from verifier.credentials.vcjose import ALGORITHM, ENVELOPE_PREFIX, VC_CONTEXT, sign_credential
from verifier.jsonstrict import strict_loads
from verifier.paper.reportfile import MAX_REPORT_BYTES
from verifier.seal import base32
from verifier.trust.keys import SigningKey, kid_for
from verifier.verdict import IssuerInfo
from verifier.verification.result import VerificationResult

REPORT_TYPE = "VerificationReport"
# A report's id: "V" and 24 base32 characters (120 random bits). The letter keeps it apart from a
# recognition's link segment under /r/ (those begin with their format's digit), and the whole id is of
# the QR code's alphanumeric set, as the link's host and path are when written in capitals.
REPORT_ID = re.compile(r"V[A-Z2-7]{24}")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_KID = re.compile(r"(did:web:[^#:]+)#([0-9a-f]{16})")
INPUTS = ("qr", "credential", "number")


class ReportRefused(ValueError):
    """Not a report this operator signed: not one at all, altered, or signed by another key."""


def new_report_id() -> str:
    """A fresh report id (random: who has it may read the report, as who holds a certificate may check it)."""
    return "V" + base32.encode(secrets.token_bytes(15))


def report_url(public_url: str, report_id: str) -> str:
    """The report's page (its QR code holds this in capitals: ``HTTPS://HOST/R/V...``)."""
    return f"{public_url}/r/{report_id}"


@dataclass(frozen=True)
class Checked:
    """One item of a batch as checked: its place, kind of input and digest, the verdict, the first of its twins."""

    position: int  # from 1
    input: str  # qr, credential, number
    input_sha256: str  # hex
    result: VerificationResult
    seal_sha256: str | None  # of the seal the verdict is about, when one was read
    duplicate_of: int | None = None  # the position of the same input earlier in the batch


def item_json(item: Checked) -> dict[str, Any]:
    """One item as the report's subject lists it: what was read, the verdict, the certificate and its digest.

    Compact (a report of 1,000 items travels in its PDF): the certificate's number, issuer (its id: the
    subject's ``issuers`` names it), holder and credit code as sealed, and its seal's SHA-256; the status
    when the registry gave one. The same input again names its first (``duplicateOf``) and says nothing
    more; an item no certificate was read from carries the digest of the input sent instead.
    """
    result = item.result
    listed: dict[str, Any] = {"position": item.position, "input": item.input, "verdict": result.verdict.value,
                              "reason": result.reason.value}  # fmt: skip
    if item.duplicate_of is not None:
        listed["duplicateOf"] = item.duplicate_of
        return listed
    content, issuer = result.certificate, result.signature.issuer
    if content is None:
        listed["inputDigest"] = f"sha256:{item.input_sha256}"
    else:
        listed["certificate"] = {
            "number": content.number, "issuer": issuer.id if issuer else None, "holder": content.holder_name_en,
            "creditCode": content.credit_code, "sealDigest": f"sha256:{item.seal_sha256}" if item.seal_sha256 else None,
        }  # fmt: skip
    status = result.status
    if status.state.value != "unknown":
        listed["status"] = {k: v for k, v in (("state", status.state.value), ("reason", status.reason),
                                              ("since", _iso(status.since))) if v is not None}  # fmt: skip
    return listed


def report_credential(
    report_id: str, public_url: str, at: datetime, items: Sequence[Checked], reference: str | None = None
) -> dict[str, Any]:
    """The report's credential (unsigned): the items in order, a count by verdict, the checker's reference."""
    verdicts = Counter(item.result.verdict.value for item in items)
    host = public_url.split("://", 1)[1]
    return {
        "@context": [VC_CONTEXT],
        "id": report_url(public_url, report_id),
        "type": ["VerifiableCredential", REPORT_TYPE],
        "name": f"Verification report {report_id}",
        "issuer": {"id": host_did(public_url), "name": f"Certificate verification service {host}"},
        "validFrom": _iso(at),
        "credentialSubject": {
            "type": REPORT_TYPE,
            "checkedAt": _iso(at),
            **({"reference": reference} if reference else {}),
            "itemCount": len(items),
            "verdicts": dict(sorted(verdicts.items())),
            "issuers": {i.id: {"name": i.name, "nameEn": i.name_en} for i in _issuers(items)},
            "items": [item_json(item) for item in items],
        },
    }


def _issuers(items: Sequence[Checked]) -> list[IssuerInfo]:
    """The issuers of the certificates read, each once, by id."""
    named = {c.result.signature.issuer for c in items if c.result.certificate is not None}
    return sorted((i for i in named if i is not None), key=lambda i: i.id)


def sign_report(credential: dict[str, Any], operator: SigningKey, public_url: str) -> str:
    """The report as a compact JWS (``vc+jwt``) by the operator's key, named by its did:web key URL."""
    return sign_credential(credential, operator, key_url(host_did(public_url), operator.record))


@dataclass(frozen=True)
class ReadReport:
    """A report whose signature verified: its credential, its id, and the operator key that signed (hex)."""

    credential: dict[str, Any]
    report_id: str
    kid: str

    @property
    def subject(self) -> dict[str, Any]:
        """What the report says: when, how many, and each item."""
        found: dict[str, Any] = self.credential["credentialSubject"]
        return found


def is_report(text: str) -> bool:
    """Whether ``text`` (a JWT, or an enveloped credential's JSON) reads as a report: a quick look, no check."""
    try:
        jwt = _jwt_of(text)
        payload = _b64(jwt.split(".")[1])
    except ReportRefused:
        return False
    return f'"{REPORT_TYPE}"'.encode() in payload


def read_report(given: str, operator_keys: Iterable[Ed25519PublicKey]) -> ReadReport:
    """Check a report (its JWT, or the enveloped credential) against the operator's ``operator_keys``.

    Raises :class:`ReportRefused` naming why: not a report, a signature that does not verify (altered
    after signing), a key that is not the operator's.
    """
    jwt = _jwt_of(given)
    header_part, payload_part, signature_part = jwt.split(".")
    header = _object(_b64(header_part), "header")
    if header.get("alg") != ALGORITHM or "crit" in header:
        raise ReportRefused(f"the report's header is not alg {ALGORITHM} without critical extensions")
    kid = header.get("kid")
    named = _KID.fullmatch(kid) if isinstance(kid, str) else None
    if named is None:
        raise ReportRefused("the report's kid is not an operator key URL (did:web:HOST#KID)")
    keys = {kid_for(key).hex(): key for key in operator_keys}
    key = keys.get(named.group(2))
    if key is None:
        raise ReportRefused(f"signed by the key {named.group(2)}, which is not the operator's")
    try:
        key.verify(_b64(signature_part), f"{header_part}.{payload_part}".encode("ascii"))
    except InvalidSignature:
        raise ReportRefused("the signature does not verify: the report was altered after it was signed") from None
    credential = _object(_b64(payload_part), "payload")
    types, subject = credential.get("type"), credential.get("credentialSubject")
    if not isinstance(types, list) or REPORT_TYPE not in types or not isinstance(subject, dict):
        raise ReportRefused("a genuine signature, but not on a verification report")
    if credential.get("issuer", {}).get("id") != named.group(1):
        raise ReportRefused("a genuine signature, but the report names another issuer than its key's")
    report_id = str(credential.get("id", "")).rsplit("/", 1)[-1]
    if not REPORT_ID.fullmatch(report_id) or not isinstance(subject.get("items"), list):
        raise ReportRefused("a genuine signature, but the report has no id or no items")
    return ReadReport(credential, report_id, named.group(2))


def _jwt_of(given: str) -> str:
    if len(given) > MAX_REPORT_BYTES:
        raise ReportRefused(f"a report is limited to {MAX_REPORT_BYTES} characters")
    text = given.strip()
    if text.startswith("{"):
        try:
            document = strict_loads(text)
        except (ValueError, RecursionError):
            raise ReportRefused("not JSON") from None
        envelope = document.get("id") if isinstance(document, dict) else None
        if not isinstance(envelope, str) or not envelope.startswith(ENVELOPE_PREFIX):
            raise ReportRefused(f"not an enveloped credential (its id must be {ENVELOPE_PREFIX}<JWT>)")
        text = envelope.removeprefix(ENVELOPE_PREFIX)
    if not _JWT.fullmatch(text):
        raise ReportRefused("neither a report's JWT nor its enveloped credential")
    return text


def _b64(part: str) -> bytes:
    try:
        data = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise ReportRefused("a part of the JWT is not base64url") from None
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii") != part:
        raise ReportRefused("a part of the JWT is not canonical base64url")
    return data


def _object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = strict_loads(data)
    except (ValueError, RecursionError):
        raise ReportRefused(f"the report's {what} is not JSON") from None
    if not isinstance(value, dict):
        raise ReportRefused(f"the report's {what} is not a JSON object")
    return value


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")
