"""Credentials: the certificate as a W3C Verifiable Credential 2.0, and its status as Bitstring Status Lists.

:mod:`.dcc` is the UNTP Digital Conformity Credential, :mod:`.vcjose` secures it (VC-JOSE, EdDSA),
:mod:`.did` the did:web documents, :mod:`.statuslist` the status lists, and :mod:`.check` verifies a
credential, online or offline with downloaded status lists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from verifier.lazy import exports

if TYPE_CHECKING:
    from verifier.credentials.check import verify_credential, verify_credential_offline
    from verifier.credentials.dcc import dcc
    from verifier.credentials.did import did_document, issuer_did
    from verifier.credentials.statuslist import list_credential
    from verifier.credentials.vcjose import VC_CONTEXT, sign_credential

__all__ = [
    "VC_CONTEXT",
    "dcc",
    "did_document",
    "issuer_did",
    "list_credential",
    "sign_credential",
    "verify_credential",
    "verify_credential_offline",
]
__getattr__, __dir__ = exports(__name__, __file__)
