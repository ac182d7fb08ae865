"""The closed vocabulary of a check: verdicts, reason codes, states, and the plain records every floor shares.

The ground floor of the library: it imports nothing of it. The result a check returns, which carries
the signed content, is one floor up in :mod:`verifier.verification.result`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class Verdict(enum.Enum):
    """The one answer of every check (PRODUCT.md, "Verdicts")."""

    VALID = "valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    INVALID = "invalid"
    UNKNOWN_ISSUER = "unknown_issuer"
    UNREGISTERED = "unregistered"
    MALFORMED = "malformed"


class Reason(enum.Enum):
    """Machine-readable reason codes; each belongs to one verdict (see :data:`REASON_VERDICT`)."""

    # valid
    IN_FORCE = "in_force"
    # suspended / revoked / unregistered: the registry's word (online checks only)
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    NOT_IN_REGISTRY = "not_in_registry"
    # expired / not yet valid
    PAST_VALIDITY = "past_validity"
    BEFORE_VALIDITY = "before_validity"
    # invalid
    BAD_SIGNATURE = "bad_signature"
    # unknown issuer
    UNKNOWN_KEY = "unknown_key"
    KEY_NOT_VALID_AT_SIGNING = "key_not_valid_at_signing"
    # malformed
    TOO_LARGE = "too_large"
    NO_CODE_FOUND = "no_code_found"
    NOT_A_CERTIFICATE_URL = "not_a_certificate_url"
    UNSUPPORTED_VERSION = "unsupported_version"
    BAD_ENCODING = "bad_encoding"
    BAD_CBOR = "bad_cbor"
    BAD_COSE = "bad_cose"
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    BAD_CLAIMS = "bad_claims"


REASON_VERDICT: dict[Reason, Verdict] = {
    Reason.IN_FORCE: Verdict.VALID,
    Reason.SUSPENDED: Verdict.SUSPENDED,
    Reason.REVOKED: Verdict.REVOKED,
    Reason.NOT_IN_REGISTRY: Verdict.UNREGISTERED,
    Reason.PAST_VALIDITY: Verdict.EXPIRED,
    Reason.BEFORE_VALIDITY: Verdict.NOT_YET_VALID,
    Reason.BAD_SIGNATURE: Verdict.INVALID,
    Reason.UNKNOWN_KEY: Verdict.UNKNOWN_ISSUER,
    Reason.KEY_NOT_VALID_AT_SIGNING: Verdict.UNKNOWN_ISSUER,
    Reason.TOO_LARGE: Verdict.MALFORMED,
    Reason.NO_CODE_FOUND: Verdict.MALFORMED,
    Reason.NOT_A_CERTIFICATE_URL: Verdict.MALFORMED,
    Reason.UNSUPPORTED_VERSION: Verdict.MALFORMED,
    Reason.BAD_ENCODING: Verdict.MALFORMED,
    Reason.BAD_CBOR: Verdict.MALFORMED,
    Reason.BAD_COSE: Verdict.MALFORMED,
    Reason.UNSUPPORTED_ALGORITHM: Verdict.MALFORMED,
    Reason.BAD_CLAIMS: Verdict.MALFORMED,
}


class StatusState(enum.Enum):
    """The registry status of a certificate, or ``UNKNOWN`` when the check ran offline."""

    UNKNOWN = "unknown"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class ValidityState(enum.Enum):
    """Where the check time falls against the certificate's validity period."""

    IN_FORCE = "in_force"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"


@dataclass(frozen=True)
class IssuerInfo:
    """The issuer a trusted key belongs to, as the trust list names it."""

    id: str
    name: str
    name_en: str


@dataclass(frozen=True)
class RegistryEntry:
    """What the registry knows of a sealed certificate it issued: its id, full record and status."""

    certificate_id: str
    record: dict[str, Any]
    state: StatusState
    reason: str | None = None
    since: datetime | None = None


# Recognitions (spec section 11): their verdicts and reasons, as the certificate's above.


class RecognitionReason(enum.Enum):
    """Why a recognition has the verdict it has; each reason belongs to one verdict (:data:`RECOGNITION_VERDICT`)."""

    IN_FORCE = "in_force"
    BASE_NOT_VALID = "base_not_valid"  # lapsed: the certificate it recognises is not valid (revoked, expired, ...)
    REVOKED_BY_BODY = "revoked_by_body"  # its own status, where known (the registry; the body's status lists)
    SUSPENDED_BY_BODY = "suspended_by_body"
    PAST_VALIDITY = "past_validity"
    BEFORE_VALIDITY = "before_validity"
    BAD_SIGNATURE = "bad_signature"
    NOT_THIS_CERTIFICATE = "not_this_certificate"  # names another seal: replayed, or the certificate altered
    OUTSIDE_REMIT = "outside_remit"  # a market or a scheme the body may not recognise for
    EXCEEDS_BASE_VALIDITY = "exceeds_base_validity"
    UNKNOWN_KEY = "unknown_key"
    KEY_NOT_VALID_AT_SIGNING = "key_not_valid_at_signing"
    TOO_LARGE = "too_large"
    BAD_CBOR = "bad_cbor"
    BAD_COSE = "bad_cose"
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    BAD_CLAIMS = "bad_claims"


class RecognitionVerdict(enum.Enum):
    """A recognition's verdict."""

    VALID = "valid"
    LAPSED = "lapsed"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    INVALID = "invalid"
    UNKNOWN_RECOGNISER = "unknown_recogniser"
    MALFORMED = "malformed"


_R, _V = RecognitionReason, RecognitionVerdict
RECOGNITION_VERDICT = {
    _R.IN_FORCE: _V.VALID, _R.BASE_NOT_VALID: _V.LAPSED, _R.REVOKED_BY_BODY: _V.REVOKED,
    _R.SUSPENDED_BY_BODY: _V.SUSPENDED, _R.PAST_VALIDITY: _V.EXPIRED,
    _R.BEFORE_VALIDITY: _V.NOT_YET_VALID, _R.BAD_SIGNATURE: _V.INVALID, _R.NOT_THIS_CERTIFICATE: _V.INVALID,
    _R.OUTSIDE_REMIT: _V.INVALID, _R.EXCEEDS_BASE_VALIDITY: _V.INVALID, _R.UNKNOWN_KEY: _V.UNKNOWN_RECOGNISER,
    _R.KEY_NOT_VALID_AT_SIGNING: _V.UNKNOWN_RECOGNISER, _R.TOO_LARGE: _V.MALFORMED, _R.BAD_CBOR: _V.MALFORMED,
    _R.BAD_COSE: _V.MALFORMED, _R.UNSUPPORTED_ALGORITHM: _V.MALFORMED, _R.BAD_CLAIMS: _V.MALFORMED,
}  # fmt: skip
