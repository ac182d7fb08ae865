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
from typing import Any

from verifier.credentials.dcc import credential_url, envelope, holder_party, recognition_credential_url, scheme_scope
from verifier.paper.wording import country
from verifier.seal.recognition import Recognition


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
    content: Recognition  # what its seal says
    base_record: dict[str, Any]  # the recognised certificate's registry record
    base_issuer_name: str
    base_jwt: str  # the recognised certificate's credential, exactly as served
    status_entries: list[dict[str, Any]] | None = None  # its place in the body's own status lists


def recognition_dcc(recognised: Recognised) -> dict[str, Any]:
    """The unsigned credential of a recognition."""
    r, said, base = recognised, recognised.content, recognised.base_record
    url = recognition_credential_url(r.public_url, r.certificate_id, r.recognition_id)
    holder = base["holder"]
    markets = ", ".join(f"{country(m, 'en')} ({m})" for m in said.markets)
    attestation: dict[str, Any] = {
        "type": ["ConformityAttestation", "Attestation"],
        "id": f"{url}#attestation",
        "name": f"Recognition {said.number} of certificate {base['number']}",
        "assessorLevel": "3rdParty",
        "assessmentLevel": "Accredited",
        "attestationType": "certification",
        "description": f"{r.body_name}, {country(r.body_country, 'en')}, recognises certificate {base['number']} "
        f"issued by {r.base_issuer_name} for the markets {markets}, under its own number {said.number}; basis: "
        f"{'; '.join(said.basis)}. Signed {said.issued_at.isoformat().replace('+00:00', 'Z')}.",
        "issuedToParty": holder_party(holder),
        "scope": scheme_scope(r.public_url, base["scheme"]),
    }
    credential = envelope(url, r.body_did, r.body_name, said.valid_from.isoformat(), said.valid_until.isoformat(),
                          attestation)  # fmt: skip
    credential["relatedResource"] = [{
        "id": credential_url(r.public_url, r.certificate_id),
        "digestSRI": digest_sri(r.base_jwt.encode("ascii")),
        "mediaType": "application/vc+jwt",
    }]  # fmt: skip
    if r.status_entries:
        credential["credentialStatus"] = r.status_entries
    return credential
