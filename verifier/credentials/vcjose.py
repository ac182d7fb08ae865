"""Verifiable credentials secured with JOSE (W3C VC-JOSE-COSE): a compact JWS over the credential's JSON.

The header is ``alg: EdDSA`` (Ed25519, the seal's own keys), ``kid`` the key's did:web URL, ``typ:
vc+jwt``, ``cty: vc``; the payload is the credential itself. Published enveloped, as VC 2.0 has it: an
``EnvelopedVerifiableCredential`` whose ``id`` is ``data:application/vc+jwt,<the JWT>``. Signing goes
through joserfc, a maintained JOSE library; Ed25519 is deterministic, so the same credential and key
give the same JWT on every replica.
"""

from __future__ import annotations

import base64
import json
import warnings
from typing import Any

from cryptography.hazmat.primitives import serialization
from joserfc import jws
from joserfc.errors import SecurityWarning
from joserfc.jwk import OKPKey

from verifier.trust.keys import SigningKey

ALGORITHM = "EdDSA"
MEDIA_TYPE = "application/vc"
JWT_MEDIA_TYPE = "application/vc+jwt"
ENVELOPE_PREFIX = f"data:{JWT_MEDIA_TYPE},"
# VC-JOSE-COSE names Ed25519 "EdDSA"; RFC 9864's fully specified "Ed25519" is not what verifiers of
# VC 2.0 credentials look for yet. joserfc warns of the older name: expected here.
warnings.filterwarnings("ignore", message="EdDSA is deprecated", category=SecurityWarning)

# W3C Verifiable Credentials 2.0: what every credential here shares (the certificates' DCCs, the status lists).
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"


_JWKS: dict[bytes, OKPKey] = {}  # by kid: the conversion costs more than the signature


def _private_jwk(key: SigningKey) -> OKPKey:
    found = _JWKS.get(key.kid)
    if found is None:
        pem = key.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        found = _JWKS[key.kid] = OKPKey.import_key(pem)
    return found


def sign_credential(credential: dict[str, Any], key: SigningKey, kid_url: str) -> str:
    """The credential as a compact JWS (``vc+jwt``) signed with ``key``, whose did:web URL is ``kid_url``."""
    header = {"alg": ALGORITHM, "kid": kid_url, "typ": "vc+jwt", "cty": "vc"}
    payload = json.dumps(credential, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return str(jws.serialize_compact(header, payload, _private_jwk(key), algorithms=[ALGORITHM]))


def enveloped(jwt: str) -> dict[str, Any]:
    """The JWT as a VC 2.0 ``EnvelopedVerifiableCredential`` (what ``application/vc`` answers)."""
    return {"@context": [VC_CONTEXT], "id": ENVELOPE_PREFIX + jwt, "type": "EnvelopedVerifiableCredential"}


def payload_of(jwt: str) -> dict[str, Any]:
    """The payload of a JWT this service signed (its own stored bytes: no checks)."""
    part = jwt.split(".")[1]
    found: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return found


def enveloped_bytes(jwt: str) -> bytes:
    """:func:`enveloped` as the bytes served: compact JSON (a JWT is base64url and dots, nothing to escape)."""
    return json.dumps(enveloped(jwt), separators=(",", ":")).encode("ascii")
