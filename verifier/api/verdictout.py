"""The verdict as the API answers it: what ``POST /api/v1/verify``, ``/verify/pdf`` and ``/c/`` JSON hold.

Field by field in docs/verdict.md; fields may be added, never renamed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel


class IssuerInfoOut(BaseModel):
    """An issuer as the verdict names it."""

    id: str
    name: str
    name_en: str


class SignatureOut(BaseModel):
    """The signature step: valid (null when not reached), the kid the seal names, the key's issuer."""

    valid: bool | None
    kid: str | None
    issuer: IssuerInfoOut | None


class ValidityOut(BaseModel):
    """The validity period (calendar days, China Standard Time) and where the check time falls."""

    state: Literal["in_force", "expired", "not_yet_valid"]
    valid_from: date
    valid_until: date


class VerdictStatusOut(BaseModel):
    """The registry status as of the check (``unknown`` when the registry has no entry)."""

    state: Literal["unknown", "active", "suspended", "revoked"]
    reason: str | None
    since: datetime | None
    as_of: datetime | None
    trust_list_issued_at: datetime | None
    trust_list_age_seconds: int | None


class RegisteredOut(BaseModel):
    """The registry's full record of the certificate."""

    id: str
    record: dict[str, Any]


class LogStandingOut(BaseModel):
    """The transparency log's word on the certificate's issuance (docs/spec/log.md, LOG-3 to LOG-9)."""

    state: Literal["witnessed", "under_witnessed", "pending", "not_logged", "unchecked", "refused"]
    origin: str
    index: int | None
    checkpoint_size: int | None
    witnesses: list[str]
    quorum: int
    proof: str | None
    detail: str


class VerdictOut(BaseModel):
    """The verdict of one check. ``certificate`` is the signed content, present once the signature verified."""

    verdict: Literal[
        "valid", "suspended", "revoked", "expired", "not_yet_valid", "invalid", "unknown_issuer", "unregistered",
        "malformed",
    ]  # fmt: skip
    reason: str
    detail: str
    checked_at: datetime
    signature: SignatureOut
    validity: ValidityOut | None
    certificate: dict[str, Any] | None
    status: VerdictStatusOut
    registered: RegisteredOut | None
    recognitions: list[RecognitionVerdictOut]
    log: LogStandingOut | None


class RecogniserOut(BaseModel):
    """The body a recognition names: from the trust list when its key is known; as declared otherwise."""

    id: str | None
    name: str | None
    name_en: str | None
    country: str | None


class RecognitionVerdictOut(BaseModel):
    """One recognition of the certificate with its own verdict (spec section 11), or one only declared."""

    id: str | None
    verdict: Literal["valid", "lapsed", "revoked", "suspended", "expired", "not_yet_valid", "invalid",
                     "unknown_recogniser", "malformed", "declared"]  # fmt: skip
    reason: str
    detail: str
    recogniser: RecogniserOut
    signature_valid: bool | None
    signed: bool
    number: str
    markets: list[str]
    basis: list[str]
    valid_from: date | None
    valid_until: date | None
    status: dict[str, Any] | None
    seal: str | None


class DocumentOut(BaseModel):
    """The uploaded file: its SHA-256, whether those bytes are the issued PDF's, and where the seal came from."""

    identical: bool
    sha256: str
    source: Literal["embedded", "pixels", "none"]


class VerdictPdfOut(VerdictOut):
    """The verdict for an uploaded PDF, with what the file itself is."""

    document: DocumentOut
