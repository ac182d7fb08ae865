"""A stored certificate's credential: as signed at issuance, or signed now, once, for one issued before.

Certificates issued before credentials were stored get theirs on the first read: signed by the key that
sealed the certificate (never the issuer's newer one) and stored, so every later read, on any replica,
answers the same bytes. A certificate whose sealing key the operator withdrew gets none: nothing new is
signed with a withdrawn key.
"""

from __future__ import annotations

from datetime import datetime

from verifier.credentials.did import issuer_did, key_url
from verifier.credentials.recognition import Recognised, recognition_dcc
from verifier.credentials.signed import signed_dcc
from verifier.credentials.statuslist import entries
from verifier.credentials.vcjose import sign_credential
from verifier.seal.cose import decode_cose
from verifier.seal.recognition import recognition_from_cbor
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


def recognition_credential(registry: Registry, public_url: str, certificate_id: str, recognition_id: str,
                           at: datetime) -> str:  # fmt: skip
    """A recognition's credential (a JWT): issued by the body's did:web, signed by the key that signed the seal.

    Made when asked (Ed25519 is deterministic: the same recognition and key give the same bytes). Raises
    :class:`NotFound` for no such recognition of this certificate, one whose body keeps its keys itself
    (``credential_not_kept``: the service cannot sign for it), and one whose key was withdrawn.
    """
    record = registry.recognitions.get(recognition_id)
    if record.certificate_id != certificate_id:
        raise NotFound("no such recognition")
    party = registry.parties.get(record.party_id)
    if not party.keys_kept:
        raise NotFound(f"{party.id} keeps its keys itself, so the service signs no credential for it: its "
                       "recognition seal is the proof", code="credential_not_kept")  # fmt: skip
    key = registry.issuers.sealing_key(record.party_id, record.kid)
    if key.record.withdrawn_at is not None:
        raise NotFound("the key that signed this recognition was withdrawn, so it has no credential",
                       code="credential_withdrawn")  # fmt: skip
    base_jwt = stored_credential(registry, public_url, certificate_id, at)
    source = registry.certificates.credential_source(certificate_id)
    did = issuer_did(public_url, party.id)
    status = entries(public_url, party.id, record.status_index) if record.status_index is not None else None
    content = recognition_from_cbor(decode_cose(record.cose).payload)  # stored only once it checked
    recognised = Recognised(record.id, certificate_id, public_url, did, f"{party.name_en} ({party.name})",
                            party.terms.country, content, source.record,
                            f"{source.issuer.name_en} ({source.issuer.name})", base_jwt, status)  # fmt: skip
    return sign_credential(recognition_dcc(recognised), key, key_url(did, key.record))
