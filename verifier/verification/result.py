"""The result a check returns: the verdict with what the signature, the validity and the registry said.

A result reports signature, validity (time) and status (registry) separately, so a user can see *why*
a certificate got its verdict. Compare with ``result.verdict is Verdict.VALID``; results are not truthy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from verifier.seal.claims import SealedCertificate
from verifier.verdict import IssuerInfo, Reason, RegistryEntry, StatusState, ValidityState, Verdict
from verifier.verification.logcheck import LogCheck


@dataclass(frozen=True)
class SignatureCheck:
    """What the signature step found.

    ``valid`` is None when the check stopped before the signature could be tried (malformed input, unknown key).
    ``kid`` is the key id the seal names (hex), when it could be read; ``issuer`` the trusted owner of that key.
    """

    valid: bool | None
    kid: str | None = None
    issuer: IssuerInfo | None = None
    key_withdrawn_at: datetime | None = None  # online: the operator withdrew the key since (a theft, a loss)


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
    # Online, the certificate's recognitions, each with its own verdict (as docs/verdict.md lists them):
    # those its recognising bodies signed, then those its issuer only declared.
    recognitions: tuple[dict[str, Any], ...] = ()
    # The transparency log's word on its issuance (None: no log to ask; see verification.logcheck).
    log: LogCheck | None = None

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
                "key_withdrawn_at": _iso(self.signature.key_withdrawn_at),
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
            "recognitions": list(self.recognitions),
            "log": None if self.log is None else self.log.to_json(),
        }


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat().replace("+00:00", "Z")
