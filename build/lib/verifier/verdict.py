"""The closed vocabulary of a check: verdicts, reason codes, and the result a check returns.

A result reports signature, validity (time) and status (registry) separately, so a user can see *why*
a certificate got its verdict. Compare with ``result.verdict is Verdict.VALID``; results are not truthy.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from verifier.claims import SealedCertificate


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
class SignatureCheck:
    """What the signature step found.

    ``valid`` is None when the check stopped before the signature could be tried (malformed input, unknown key).
    ``kid`` is the key id the seal names (hex), when it could be read; ``issuer`` the trusted owner of that key.
    """

    valid: bool | None
    kid: str | None = None
    issuer: IssuerInfo | None = None


@dataclass(frozen=True)
class ValidityCheck:
    """The certificate's validity period (inclusive calendar dates) and where the check time falls in it."""

    state: ValidityState
    valid_from: date
    valid_until: date


@dataclass(frozen=True)
class StatusCheck:
    """The registry status.

    Offline, ``state`` is UNKNOWN and ``trust_list_issued_at`` / ``trust_list_age_seconds`` say how old
    the trust list that vouched for the key is. Online, ``as_of`` is when the registry was read.
    """

    state: StatusState
    reason: str | None = None
    since: datetime | None = None
    as_of: datetime | None = None
    trust_list_issued_at: datetime | None = None
    trust_list_age_seconds: int | None = None


@dataclass(frozen=True)
class RegistryEntry:
    """What the registry knows of a sealed certificate it issued: its id, full record and status."""

    certificate_id: str
    record: dict[str, Any]
    state: StatusState
    reason: str | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class VerificationResult:
    """The outcome of one check.

    ``verdict`` and ``reason`` are the answer; ``detail`` is a short human explanation that never carries
    input text. ``certificate`` is the signed content, present only once the signature has verified.
    """

    verdict: Verdict
    reason: Reason
    checked_at: datetime
    signature: SignatureCheck
    status: StatusCheck
    validity: ValidityCheck | None = None
    certificate: SealedCertificate | None = None
    detail: str = ""
    registered: RegistryEntry | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON verdict shape of PRODUCT.md (fields may be added, never renamed)."""
        issuer = self.signature.issuer
        return {
            "verdict": self.verdict.value,
            "reason": self.reason.value,
            "detail": self.detail,
            "checked_at": _iso(self.checked_at),
            "signature": {
                "valid": self.signature.valid,
                "kid": self.signature.kid,
                "issuer": None if issuer is None else {"id": issuer.id, "name": issuer.name, "name_en": issuer.name_en},
            },
            "validity": None
            if self.validity is None
            else {
                "state": self.validity.state.value,
                "valid_from": self.validity.valid_from.isoformat(),
                "valid_until": self.validity.valid_until.isoformat(),
            },
            "certificate": None if self.certificate is None else self.certificate.to_json(),
            "registered": None
            if self.registered is None
            else {"id": self.registered.certificate_id, "record": self.registered.record},
            "status": {
                "state": self.status.state.value,
                "reason": self.status.reason,
                "since": _iso(self.status.since),
                "as_of": _iso(self.status.as_of),
                "trust_list_issued_at": _iso(self.status.trust_list_issued_at),
                "trust_list_age_seconds": self.status.trust_list_age_seconds,
            },
        }


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat().replace("+00:00", "Z")
