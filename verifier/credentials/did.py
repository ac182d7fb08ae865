"""did:web identifiers and DID documents for the issuers and the operator, from the registry's keys.

did:web turns an identifier into the URL of its document: ``did:web:verify.example.org:issuers:zjcert``
is ``https://verify.example.org/issuers/zjcert/did.json``; the bare host's is
``https://verify.example.org/.well-known/did.json`` (the operator's). A port is written ``%3A``. Each
key that may verify a credential (the active one and the retired ones; never a withdrawn one) is a
``JsonWebKey`` (OKP, Ed25519) under ``assertionMethod``, its fragment the key's kid in hex: the same
kid the seal carries.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from verifier.trust.keys import KeyRecord, b64url, public_raw

DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://www.w3.org/ns/cid/v1"]


def host_did(public_url: str) -> str:
    """The service's own did:web (the operator's): the public URL's host, and its port if any."""
    parts = urlsplit(public_url)
    if not parts.hostname:
        raise ValueError(f"not an absolute URL: {public_url!r}")
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return "did:web:" + quote(host, safe="")


def issuer_did(public_url: str, issuer_id: str) -> str:
    """An issuer's did:web: ``did:web:HOST:issuers:ID``, its document at ``/issuers/ID/did.json``."""
    return f"{host_did(public_url)}:issuers:{issuer_id}"


def key_url(did: str, record: KeyRecord) -> str:
    """A key's verification method URL: the DID, then the kid in hex as its fragment."""
    return f"{did}#{record.kid_hex}"


def public_jwk(record: KeyRecord) -> dict[str, str]:
    """The key as a public JSON Web Key (RFC 8037): OKP, Ed25519, its kid."""
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(public_raw(record.public_key)), "kid": record.kid_hex}


def did_document(did: str, keys: list[KeyRecord] | tuple[KeyRecord, ...]) -> dict[str, Any]:
    """The DID document of ``did``: every key given, as a JsonWebKey under ``assertionMethod``."""
    methods = [
        {"id": key_url(did, k), "type": "JsonWebKey", "controller": did, "publicKeyJwk": public_jwk(k)} for k in keys
    ]
    return {"@context": DID_CONTEXTS, "id": did, "verificationMethod": methods,
            "assertionMethod": [m["id"] for m in methods]}  # fmt: skip
