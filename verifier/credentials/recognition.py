"""A partner body's recognition as a credential: a UNTP-style DCC issued by the body's did:web.

It names the certificate it recognises twice: as the recognition seal does (the SHA-256 of the base seal is
in the seal the service checks) and, for credential tooling, by the base credential's own bytes, in VC 2.0
``relatedResource`` (``digestSRI`` of the base credential's JWT as ``GET /credentials/{id}`` serves it with
``Accept: application/vc+jwt``; those bytes never change). The base credential cannot name its recognitions
(it is signed once, and recognitions come later; naming them would change its bytes and so its digest): its
``authorisation`` names, from issuance on, the list of them, ``/credentials/{id}/recognitions``, where each
body's credential is linked as it is signed.

Unsigned here: :mod:`verifier.credentials.vcjose` envelopes it, with the key that signed the recognition.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from verifier.certificate.days import SCHEME_TZ
from verifier.credentials.dcc import (
    CONTEXTS,
    CREDENTIAL_TYPES,
    CREDIT_CODE_REGISTER,
    credential_url,
    recognition_credential_url,
    scheme_scope,
)
from verifier.paper.wording import country


def digest_sri(data: bytes) -> str:
    """A Subresource Integrity digest (``sha256-`` and base64), as VC 2.0 ``relatedResource`` carries it."""
    return "sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


@dataclass(frozen=True)
class Recognised:
    """What a recognition's credential says: the body, what it signed, and the certificate it recognises."""

    recognition_id: str
    certificate_id: str
    public_url: str
    body_did: str
    body_name: str  # "SGS (通标标准技术服务有限公司)"
    body_country: str
    number: str
    markets: tuple[str, ...]
    basis: tuple[str, ...]
    valid_from: date
    valid_until: date
    signed_at: datetime
    base_record: dict[str, Any]  # the recognised certificate's registry record
    base_issuer_name: str
    base_jwt: str  # the recognised certificate's credential, exactly as served
    status_entries: list[dict[str, Any]] | None = None  # its place in the body's own status lists


def recognition_dcc(recognised: Recognised) -> dict[str, Any]:
    """The unsigned credential of a recognition."""
    r, base = recognised, recognised.base_record
    url = recognition_credential_url(r.public_url, r.certificate_id, r.recognition_id)
    holder = base["holder"]
    markets = ", ".join(f"{country(m, 'en')} ({m})" for m in r.markets)
    attestation: dict[str, Any] = {
        "type": ["ConformityAttestation", "Attestation"],
        "id": f"{url}#attestation",
        "name": f"Recognition {r.number} of certificate {base['number']}",
        "assessorLevel": "3rdParty",
        "assessmentLevel": "Accredited",
        "attestationType": "certification",
        "description": f"{r.body_name}, {country(r.body_country, 'en')}, recognises certificate {base['number']} "
        f"issued by {r.base_issuer_name} for the markets {markets}, under its own number {r.number}; basis: "
        f"{'; '.join(r.basis)}. Signed {r.signed_at.isoformat().replace('+00:00', 'Z')}.",
        "issuedToParty": {
            "id": f"{CREDIT_CODE_REGISTER}#{holder['credit_code']}",
            "name": holder["name_en"],
            "registeredId": holder["credit_code"],
            "description": f"{holder['name']}; {holder['address_en']}",
        },
        "scope": scheme_scope(r.public_url, base["scheme"]),
    }
    until = datetime.combine(r.valid_until + timedelta(days=1), datetime.min.time(), SCHEME_TZ) - timedelta(seconds=1)
    base_credential = {
        "id": credential_url(r.public_url, r.certificate_id),
        "digestSRI": digest_sri(r.base_jwt.encode("ascii")),
        "mediaType": "application/vc+jwt",
    }
    credential: dict[str, Any] = {
        "@context": CONTEXTS,
        "type": CREDENTIAL_TYPES,
        "id": url,
        "issuer": {"type": ["CredentialIssuer"], "id": r.body_did, "name": r.body_name},
        "validFrom": datetime.combine(r.valid_from, datetime.min.time(), SCHEME_TZ).isoformat(),
        "validUntil": until.isoformat(),
        "credentialSubject": attestation,
        "relatedResource": [base_credential],
    }
    if r.status_entries:
        credential["credentialStatus"] = r.status_entries
    return credential
