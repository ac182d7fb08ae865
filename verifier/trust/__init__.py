"""Trust: the issuers' Ed25519 keys and keyrings, and the signed trust list that names them.

:mod:`.keys` makes, stores and rotates keys (each file written private); :mod:`.trustlist` builds,
signs and reads the trust list a verifier checks a seal against, offline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from verifier.lazy import exports

if TYPE_CHECKING:
    from verifier.trust.keys import KeyRecord, Keyring, KeyStore, SigningKey, kid_for, new_signing_key
    from verifier.trust.parties import Recogniser, TrustedIssuer, TrustedKey
    from verifier.trust.trustlist import TrustList, build_trust_list

__all__ = [
    "KeyRecord",
    "KeyStore",
    "Keyring",
    "Recogniser",
    "SigningKey",
    "TrustList",
    "TrustedIssuer",
    "TrustedKey",
    "build_trust_list",
    "kid_for",
    "new_signing_key",
]
__getattr__, __dir__ = exports(__name__, __file__)
