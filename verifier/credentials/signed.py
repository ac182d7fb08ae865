"""A certificate's credential as it is issued: its DCC signed (VC-JOSE) by the key that sealed the certificate.

Made once, when the certificate is issued (or on the first read of one issued before credentials were
stored), and stored: the bytes a verifier downloads never change afterwards, whatever keys the issuer
rotates to. Ed25519 is deterministic, so the same certificate signed by the same key is the same JWT.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from verifier.credentials.dcc import Issued, dcc
from verifier.credentials.did import issuer_did, key_url
from verifier.credentials.statuslist import entries
from verifier.credentials.vcjose import sign_credential
from verifier.trust.keys import SigningKey
from verifier.verdict import IssuerInfo


def signed_dcc(
    public_url: str,
    issuer: IssuerInfo,
    key: SigningKey,
    certificate_id: str,
    record: dict[str, Any],
    issued_at: datetime,
    pdf_sha256: str | None,
    status_index: int | None,
) -> str:
    """The certificate's DCC as a JWT signed with ``key`` (the certificate's own), for the service at ``public_url``."""
    did = issuer_did(public_url, issuer.id)
    status = entries(public_url, issuer.id, status_index) if status_index is not None else None
    issued = Issued(certificate_id, public_url, did, f"{issuer.name_en} ({issuer.name})", issued_at, pdf_sha256,
                    status)  # fmt: skip
    return sign_credential(dcc(record, issued), key, key_url(did, key.record))
