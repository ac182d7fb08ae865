"""What the store hands out and takes in: callers, refusals, and plain records of certificates.

Nothing here knows how a certificate is sealed or rendered: a certificate to store arrives as bytes
and strings (:class:`NewCertificate`), made by :mod:`verifier.issuing.recipe`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from verifier.errors import Kind, VerifierError
from verifier.store.tables import issuers
from verifier.verdict import IssuerInfo, StatusState

OPERATOR = "operator"  # the operator's keyring, and the owner of every token with no issuer


class Role(enum.Enum):
    """Who a token speaks for."""

    OPERATOR = "operator"
    ISSUER = "issuer"
    METRICS = "metrics"  # reads /metrics, nothing else


ISSUE, RECOGNISE = "issue", "recognise"  # what a party does (the trust list's roles)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: the token's id (as the audit log names it), its role, its party and its roles."""

    token_id: str
    role: Role
    issuer_id: str | None = None  # the party an issuer token speaks for (an issuer, a recognising body, or both)
    party_roles: frozenset[str] = frozenset({ISSUE})


CLI_ACTOR = Principal("cli", Role.OPERATOR)  # the command line, as the audit log names it


class RegistryError(VerifierError):
    """A request the registry refuses; its ``kind`` says how (the API maps kinds to HTTP statuses)."""


class NotFound(RegistryError):
    """No such thing, or not this caller's (never say which)."""

    kind = Kind.NOT_FOUND
    code = "not_found"


class Forbidden(RegistryError):
    """A valid token without the right role."""

    kind = Kind.FORBIDDEN
    code = "forbidden"


class Conflict(RegistryError):
    """Already exists, or not allowed from the current state."""

    kind = Kind.CONFLICT
    code = "conflict"


class TooMany(RegistryError):
    """More at once than the registry takes from one issuer (jobs waiting); try again later."""

    kind = Kind.RATE_LIMITED
    code = "too_many"
    retry_after = 30


@dataclass(frozen=True)
class StatusRecord:
    """A certificate's current status: state, and for a change the reason, note and time."""

    state: StatusState
    reason: str | None = None
    note: str | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class CertificateRecord:
    """A registered certificate as the issuer API shows it."""

    id: str
    issuer_id: str
    number: str
    record: dict[str, Any]
    kid: bytes
    issued_at: datetime
    qr_text: str
    status: StatusRecord
    pdf_sha256: str | None = None
    status_index: int | None = None  # its place in the issuer's status lists
    log_index: int | None = None  # its issuance's entry in the transparency log (known when just issued)


@dataclass(frozen=True)
class Published:
    """What a certificate's public credential is made of.

    The record, its issuer's names, its PDF's digest and its place in the status lists.
    """

    id: str
    issuer: IssuerInfo
    record: dict[str, Any]
    issued_at: datetime
    pdf_sha256: str | None
    status_index: int | None


@dataclass(frozen=True)
class NewCertificate:
    """A sealed (and perhaps rendered) certificate to store: its searchable fields, record and bytes."""

    id: str
    number: str
    scheme: str
    credit_code: str
    valid_from: date
    valid_until: date
    record: dict[str, Any]  # the certificate as JSON, as the registry shows it
    kid: bytes
    issued_at: datetime
    cose: bytes
    qr_text: str
    pdf: bytes | None = None
    status_index: int | None = None  # reserved before sealing (the seal carries it); None: drawn when stored
    credential: str | None = None  # its DCC, signed at issuance (None: signed on its first read)


@dataclass(frozen=True)
class ListFilter:
    """Filters of the certificate list; None means any."""

    status: StatusState | None = None
    scheme: str | None = None
    credit_code: str | None = None
    valid_on: date | None = None
    number: str | None = None  # exactly this certificate number


def issuer_of(actor: Principal) -> str:
    """The issuer an issuer token speaks for; raises :class:`Forbidden` for any other token."""
    if actor.role is not Role.ISSUER or actor.issuer_id is None:
        raise Forbidden("only an issuer token can do this")
    if ISSUE not in actor.party_roles:
        raise Forbidden(f"{actor.issuer_id} is registered to recognise certificates, not to issue them")
    return actor.issuer_id


def body_of(actor: Principal) -> str:
    """The recognising body a party's token speaks for; raises :class:`Forbidden` for any other token."""
    if actor.role is not Role.ISSUER or actor.issuer_id is None:
        raise Forbidden("only a recognising body's token can do this")
    if RECOGNISE not in actor.party_roles:
        raise Forbidden(f"{actor.issuer_id} is not registered to recognise certificates")
    return actor.issuer_id


def issuer_row(conn: Connection, issuer_id: str) -> Any:
    """The issuer's row; raises :class:`NotFound`."""
    row = conn.execute(select(issuers).where(issuers.c.id == issuer_id)).first()
    if row is None:
        raise NotFound(f"no issuer {issuer_id}")
    return row
