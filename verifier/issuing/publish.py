"""An issuer's status list as it is published: the registry's bits, signed by the issuer's key.

The service serves these under ``/status/…`` (with a cache in front); the demo writes them to files
beside its PDFs, so an offline check can say REVOKED the first time it is tried.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from verifier.credentials.did import issuer_did, key_url
from verifier.credentials.statuslist import encode, list_credential, list_url
from verifier.credentials.vcjose import sign_credential
from verifier.store.records import NotFound
from verifier.store.registry import Registry
from verifier.trust.keys import SigningKey


def signed_status_list(
    registry: Registry, public_url: str, issuer_id: str, purpose: str, number: int, key: SigningKey
) -> str:
    """The list as a signed ``BitstringStatusListCredential`` (a VC-JOSE JWT) by ``key``.

    Its ``validFrom`` is when the list last changed (the issuer's registration for one never changed),
    so the same list signed by the same key is the same bytes on every replica. Raises
    :class:`~verifier.store.records.NotFound` for a list the issuer does not have.
    """
    lists = registry.statuslists
    changed = lists.version(issuer_id, purpose, number)
    if changed is None and not lists.exists(issuer_id, number):
        raise NotFound(f"no {purpose} list {number} for issuer {issuer_id}")
    since = changed[0] if changed else registry.issuers.registered_at(issuer_id)
    return status_list_jwt(public_url, issuer_id, purpose, number, lists.bits(issuer_id, purpose, number), since, key)


def status_list_jwt(
    public_url: str, issuer_id: str, purpose: str, number: int, bits: Iterable[int], since: datetime, key: SigningKey
) -> str:
    """List ``number`` with ``bits`` set (indexes within it), changed last at ``since``, signed by ``key``."""
    did = issuer_did(public_url, issuer_id)
    credential = list_credential(list_url(public_url, issuer_id, purpose, number), did, purpose, encode(bits), since)
    return sign_credential(credential, key, key_url(did, key.record))
