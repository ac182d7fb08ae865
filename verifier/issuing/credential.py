"""A stored certificate's credential: as signed at issuance, or signed now, once, for one issued before.

Certificates issued before credentials were stored get theirs on the first read: signed by the key that
sealed the certificate (never the issuer's newer one) and stored, so every later read, on any replica,
answers the same bytes. A certificate whose sealing key the operator withdrew gets none: nothing new is
signed with a withdrawn key.
"""

from __future__ import annotations

from datetime import datetime

from verifier.credentials.signed import signed_dcc
from verifier.store.records import NotFound
from verifier.store.registry import Registry


def stored_credential(registry: Registry, public_url: str, certificate_id: str, at: datetime) -> str:
    """The certificate's credential (a JWT) as stored, signed and stored first if it has none.

    Raises :class:`~verifier.store.records.NotFound` for no such certificate, and for one without a
    credential whose sealing key was withdrawn (code ``credential_withdrawn``).
    """
    found = registry.credentials.stored(certificate_id)
    if found.jwt is not None:
        return found.jwt
    key = registry.issuers.sealing_key(found.issuer_id, found.kid)
    if key.record.withdrawn_at is not None:
        raise NotFound("the key that sealed this certificate was withdrawn, so it has no credential",
                       code="credential_withdrawn")  # fmt: skip
    source = registry.certificates.credential_source(certificate_id)
    jwt = signed_dcc(public_url, source.issuer, key, source.id, source.record, source.issued_at, source.pdf_sha256,
                     source.status_index)  # fmt: skip
    return registry.credentials.keep(found.certificate_seq, jwt, at)
