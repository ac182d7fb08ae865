"""A recognition seal: a partner body's own signature that it recognises one exact certificate for markets.

The same envelope as a certificate's seal (a tagged COSE_Sign1, EdDSA, the signer's 8-byte kid; section
4 of docs/spec/seal.md), signed by the recognising body's key, over a claims set of its own (section 11):

    {4: exp, 5: nbf, 6: iat, -65538: [base, number, markets, basis, ?status-index]}

``base`` is the SHA-256 of the recognised seal's exact COSE bytes: the recognition names that one seal,
so it cannot be moved onto another certificate, nor onto an altered one. ``number`` is the recogniser's
own certificate number, ``markets`` the countries it recognises the certificate for (ISO 3166-1 alpha-2
run together, as the certificate's own markets), ``basis`` what it assessed (standards, national
deviations), and the status index its place in the recogniser's own status lists. The validity (``nbf``,
``exp``) lies within the recognised certificate's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import cbor2

from verifier.seal.claims import (
    CLAIM_EXP,
    CLAIM_IAT,
    CLAIM_NBF,
    DAY,
    MAX_STATUS_INDEX,
    ClaimsError,
    day_start,
    read_claims,
    read_int,
    read_markets,
    read_number,
    read_texts,
)
from verifier.seal.cose import sign
from verifier.trust.keys import SigningKey

CLAIM_RECOGNITION = -65538  # beside the certificate's -65537: a private CWT claim
_KEYS = [CLAIM_EXP, CLAIM_NBF, CLAIM_IAT, CLAIM_RECOGNITION]
DIGEST_LENGTH = 32
ATTACHMENT_PREFIX, ATTACHMENT_SUFFIX = "recognition-", ".cose"  # recognition-1.cose, ... in a PDF (an annex)


def recognition_attachment(number: int) -> str:
    """The name a recognition seal is embedded under in a PDF: ``recognition-N.cose``, N from 1."""
    return f"{ATTACHMENT_PREFIX}{number}{ATTACHMENT_SUFFIX}"


def is_recognition_attachment(name: str) -> bool:
    """Whether a PDF's embedded file is named as a recognition seal is."""
    middle = name[len(ATTACHMENT_PREFIX) : -len(ATTACHMENT_SUFFIX)]
    named = name.startswith(ATTACHMENT_PREFIX) and name.endswith(ATTACHMENT_SUFFIX)
    return named and 0 < len(middle) <= 3 and middle.isascii() and middle.isdigit()


def base_digest(base_cose: bytes) -> bytes:
    """What a recognition names: the SHA-256 of the recognised seal's exact COSE bytes."""
    return hashlib.sha256(base_cose).digest()


@dataclass(frozen=True)
class Recognition:
    """What a recognition seal says (its claims), as signed."""

    base: bytes  # base_digest() of the recognised seal
    number: str  # the recogniser's own certificate number
    markets: tuple[str, ...]
    basis: tuple[str, ...]
    valid_from: date
    valid_until: date
    issued_at: datetime
    status_index: int | None = None

    def to_json(self) -> dict[str, Any]:
        """As a verdict shows it."""
        out: dict[str, Any] = {
            "base_sha256": self.base.hex(),
            "number": self.number,
            "markets": list(self.markets),
            "basis": list(self.basis),
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat(),
            "issued_at": self.issued_at.isoformat().replace("+00:00", "Z"),
        }
        if self.status_index is not None:
            out["status_index"] = self.status_index
        return out


def recognition_to_cbor(content: Recognition) -> bytes:
    """The claims set as deterministic CBOR (integer keys inserted in their deterministic order)."""
    item: list[Any] = [content.base, content.number, "".join(content.markets), list(content.basis)]
    if content.status_index is not None:
        item.append(content.status_index)
    return cbor2.dumps(
        {
            CLAIM_EXP: day_start(content.valid_until) + DAY,
            CLAIM_NBF: day_start(content.valid_from),
            CLAIM_IAT: int(content.issued_at.timestamp()),
            CLAIM_RECOGNITION: item,
        }
    )


def recognition_from_cbor(data: bytes) -> Recognition:
    """Parse a recognition's claims (REC-4 of the spec); raises :class:`ClaimsError` for anything else."""
    claims, valid_from, valid_until, iat = read_claims(data, _KEYS, "recognition claims")
    item = claims[CLAIM_RECOGNITION]
    if type(item) is not list or not 4 <= len(item) <= 5:
        raise ClaimsError("recognition is not an array of 4..5 items")
    base = item[0]
    if type(base) is not bytes or len(base) != DIGEST_LENGTH:
        raise ClaimsError("the recognised seal's digest is not 32 bytes")
    number, markets, basis = read_number(item[1]), read_markets(item[2]), read_texts(item[3], "basis", 10, 60)
    status_index = read_int(item[4], "status index", 0, MAX_STATUS_INDEX) if len(item) == 5 else None
    return Recognition(base, number, markets, basis, valid_from, valid_until, datetime.fromtimestamp(iat, UTC),
                       status_index)  # fmt: skip


def seal_recognition(content: Recognition, key: SigningKey) -> bytes:
    """The recognition signed by the recogniser's ``key``: a COSE_Sign1 as a certificate's seal is."""
    if not key.record.signs_at(content.issued_at):
        raise ClaimsError(f"key {key.record.kid_hex} may not sign at {content.issued_at.isoformat()}")
    return sign(recognition_to_cbor(content), key)
