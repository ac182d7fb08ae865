"""What an issuance must satisfy before anything is sealed, and how a certificate without a number is named.

Issuing (:mod:`verifier.issuing.recipe`) applies them on every path: a single certificate, a batch, a job.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from verifier.certificate.days import SCHEME_TZ
from verifier.certificate.model import AnyCertificate
from verifier.errors import CertificateInvalid, FieldError


def refuse_ended(batch: Sequence[AnyCertificate], at: datetime) -> None:
    """Raise :class:`~verifier.errors.CertificateInvalid` naming each certificate whose validity ended before ``at``.

    A certificate is issued in force or to come into force: one that has already ended would carry a
    date of issue after its own validity. (Certificates issued before this service existed are imported,
    not issued again.) The day is the scheme's, in China Standard Time.
    """
    today = at.astimezone(SCHEME_TZ).date()
    ended = [
        FieldError(
            f"certificates.{place}.valid_until" if len(batch) > 1 else "valid_until",
            f"the validity ended on {c.valid_until.isoformat()}, before today ({today.isoformat()}, China Standard "
            "Time): a certificate must be in force or start later when it is issued",
        )
        for place, c in enumerate(batch)
        if c.valid_until < today
    ]
    if ended:
        raise CertificateInvalid(ended)


_NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


# A generated number starts with its scheme's prefix, as the scheme's own numbers do (docs/integration.md).
NUMBER_PREFIXES = {
    "zhejiang-made": "ZJM",
    "international-cooperation": "ZJM-IC",
    "ccc-exemption": "CCCE",
    "ccc-self-declaration": "CCCSD",
}


def new_number(scheme: str, issuer_id: str, at: datetime) -> str:
    """A fresh certificate number: ``{scheme prefix}-{ISSUER}-{year}-{8 random characters}``.

    For example ``ZJM-ZJCERT-2026-7K3M9Q2X``: the scheme (:data:`NUMBER_PREFIXES`), the issuer's id in
    capitals (at most 12 characters), the year of issue in China Standard Time, and 40 random bits in
    Crockford-like base 32 (no 0, 1, I or O to misread).
    """
    issuer = issuer_id.upper()[:12].strip("-")
    year = at.astimezone(SCHEME_TZ).year
    return f"{NUMBER_PREFIXES[scheme]}-{issuer}-{year}-{''.join(secrets.choice(_NUMBER_ALPHABET) for _ in range(8))}"
