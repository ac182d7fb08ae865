"""The registry: issuers, keys, tokens, certificates, status events and the audit log.

Every write happens in one transaction together with the audit entry that records it. Certificates
and status events are only ever inserted; a certificate's status is its latest event (none: active).
Time is an argument everywhere: the HTTP and command-line layers read the clock.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import hmac
import re
import secrets
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, and_, bindparam, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from verifier.errors import VerifierError
from verifier.issuing import Sealed, seal_certificate
from verifier.keys import KeyRecord, KeyStore, SigningKey, new_signing_key, public_from_raw, public_raw, whole_second
from verifier.model import AnyCertificate, certificate_json
from verifier.status import REASONS, Action, TransitionRefused, next_state
from verifier.store.database import write_transaction
from verifier.store.tables import audit_log, certificate_pdfs, certificates, issuer_keys, issuers, status_events, tokens
from verifier.trust import DEFAULT_VALIDITY, TrustedIssuer, TrustList
from verifier.verdict import IssuerInfo, RegistryEntry, StatusState

TOKEN_PREFIX = "vrf_"  # noqa: S105 - a prefix, not a secret
ADMIN_TOKEN_ID = "admin"  # noqa: S105 - a token id, not a secret
ENV_ADMIN_ID = "admin-env"
METRICS_TOKEN_ID = "metrics"  # noqa: S105 - a token id, not a secret
FIRST_TOKEN = "first token"  # noqa: S105 - the label of an issuer's first token
MAX_PAGE = 200
OPERATOR = "operator"
# Names the service uses for itself (the operator's keyring, audit actors, token ids): never an issuer id.
RESERVED_IDS = frozenset({OPERATOR, ADMIN_TOKEN_ID, ENV_ADMIN_ID, "system", "cli", "anonymous", METRICS_TOKEN_ID})


# Sealed certificates in, their PDFs out (or an error that refuses the whole batch).
Render = Callable[[IssuerInfo, list[tuple[AnyCertificate, Sealed]]], list[bytes]]


class Role(enum.Enum):
    """Who a token speaks for."""

    OPERATOR = "operator"
    ISSUER = "issuer"
    METRICS = "metrics"  # reads /metrics, nothing else


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: the token's id (as the audit log names it), its role and issuer."""

    token_id: str
    role: Role
    issuer_id: str | None = None


class RegistryError(VerifierError):
    """A request the registry refuses; ``status`` is the HTTP status it maps to."""

    status = 400


class NotFound(RegistryError):
    """No such thing, or not this caller's (never say which)."""

    status = 404


class Forbidden(RegistryError):
    """A valid token without the right role."""

    status = 403


class Conflict(RegistryError):
    """Already exists, or not allowed from the current state."""

    status = 409


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


@dataclass(frozen=True)
class ListFilter:
    """Filters of the certificate list; None means any."""

    status: StatusState | None = None
    scheme: str | None = None
    credit_code: str | None = None
    valid_on: date | None = None


def token_digest(token: str) -> bytes:
    """SHA-256 of a token's text: what the tokens table keeps instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).digest()


def new_token() -> str:
    """A bearer token: the prefix and 256 random bits, base64url."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class Registry:
    """The registry on one database (``engine``) and one keys folder (``keys``)."""

    def __init__(self, engine: Engine, keys: KeyStore, admin_token: str | None = None) -> None:
        self.engine = engine
        self.keys = keys
        self._env_admin = token_digest(admin_token) if admin_token else None
        self._signing: dict[bytes, SigningKey] = {}
        self._local = threading.local()
        self._readers: list[_SealReader] = []
        self._readers_lock = threading.Lock()

    def ping(self) -> None:
        """One round trip to the database (raises when it does not answer)."""
        with self.engine.connect() as conn:
            conn.execute(select(literal(1)))

    # -- tokens and authentication ------------------------------------------------------------

    def authenticate(self, token: str) -> Principal | None:
        """The principal of a live token, or None for an unknown or withdrawn one."""
        digest = token_digest(token)
        if self._env_admin is not None and hmac.compare_digest(digest, self._env_admin):
            return Principal(ENV_ADMIN_ID, Role.OPERATOR)
        with self.engine.connect() as conn:
            row = conn.execute(
                select(tokens.c.id, tokens.c.role, tokens.c.issuer_id).where(
                    tokens.c.token_sha256 == digest, tokens.c.withdrawn_at.is_(None)
                )
            ).first()
        return Principal(row.id, Role(row.role), row.issuer_id) if row else None

    def record_refusal(self, actor: str, action: str, target: str, at: datetime, detail: dict[str, Any]) -> None:
        """Audit a refused request (a bad token, a wrong role): its own transaction, nothing else written."""
        with write_transaction(self.engine) as conn:
            _audit(conn, at, actor, action, target, detail)

    def ensure_admin_token(self, at: datetime) -> str | None:
        """Generate the operator token once, when none is configured and none exists; returns it (else None).

        With ``VERIFIER_ADMIN_TOKEN`` configured, a generated one still live is withdrawn: the configured
        token takes over, and a copy of the old one left in a file opens nothing.
        """
        return self.ensure_generated_token(ADMIN_TOKEN_ID, Role.OPERATOR, self._env_admin is not None, at)

    def ensure_generated_token(self, token_id: str, role: Role, configured: bool, at: datetime) -> str | None:
        """The service's own token ``token_id`` of ``role``, made once unless one is ``configured``; returns it.

        None when it exists already, or when a configured token takes its place (a live generated one
        is then withdrawn). Several workers starting at once make it once.
        """
        try:
            with write_transaction(self.engine) as conn:
                if configured:
                    live = (tokens.c.id == token_id, tokens.c.withdrawn_at.is_(None))
                    if conn.execute(update(tokens).where(*live).values(withdrawn_at=at)).rowcount:
                        _audit(conn, at, "system", "token.withdraw", f"token:{token_id}", {"why": "configured"})
                    return None
                if conn.execute(select(tokens.c.id).where(tokens.c.id == token_id)).first():
                    return None
                token = _insert_token(conn, token_id, role, None, f"generated {role.value} token", at)
                _audit(conn, at, "system", "token.create", f"token:{token_id}", {"role": role.value})
        except IntegrityError:  # another worker made it in the meantime
            return None
        return token

    def issue_token(self, actor: Principal, issuer_id: str, label: str, at: datetime) -> tuple[str, str]:
        """A further token for an issuer: (token id, token text, shown this once)."""
        with write_transaction(self.engine) as conn:
            self._issuer_row(conn, issuer_id)
            token_id = "t" + secrets.token_hex(7)
            token = _insert_token(conn, token_id, Role.ISSUER, issuer_id, label, at)
            _audit(conn, at, actor.token_id, "token.create", f"token:{token_id}", {"issuer": issuer_id})
        return token_id, token

    def create_operator_token(
        self, actor: Principal, label: str, at: datetime, role: Role = Role.OPERATOR
    ) -> tuple[str, str]:
        """A further operator token, or one that only reads ``/metrics``: (token id, token text, shown once)."""
        with write_transaction(self.engine) as conn:
            token_id = ("o" if role is Role.OPERATOR else "m") + secrets.token_hex(7)
            token = _insert_token(conn, token_id, role, None, label, at)
            _audit(conn, at, actor.token_id, "token.create", f"token:{token_id}", {"role": role.value})
        return token_id, token

    def withdraw_token(self, actor: Principal, issuer_id: str | None, token_id: str, at: datetime) -> None:
        """Withdraw one of the issuer's tokens (``issuer_id`` None: an operator token); fails from its next request."""
        if token_id == ENV_ADMIN_ID:
            raise NotFound("the configured admin token is withdrawn by changing VERIFIER_ADMIN_TOKEN")
        owner = tokens.c.issuer_id.is_(None) if issuer_id is None else tokens.c.issuer_id == issuer_id
        with write_transaction(self.engine) as conn:
            live = (tokens.c.id == token_id, owner, tokens.c.withdrawn_at.is_(None))
            done = conn.execute(update(tokens).where(*live).values(withdrawn_at=at))
            if done.rowcount != 1:
                raise NotFound(f"no live token {token_id}")
            _audit(conn, at, actor.token_id, "token.withdraw", f"token:{token_id}", {"issuer": issuer_id})

    def withdraw_labelled(self, actor: Principal, issuer_id: str | None, label: str, at: datetime) -> int:
        """Withdraw every live token of the issuer (None: the operator) with this label; returns how many."""
        owner = tokens.c.issuer_id.is_(None) if issuer_id is None else tokens.c.issuer_id == issuer_id
        with write_transaction(self.engine) as conn:
            live = (owner, tokens.c.label == label, tokens.c.withdrawn_at.is_(None))
            ids = list(conn.execute(select(tokens.c.id).where(*live)).scalars())
            if ids:
                conn.execute(update(tokens).where(tokens.c.id.in_(ids)).values(withdrawn_at=at))
            for token_id in ids:
                _audit(conn, at, actor.token_id, "token.withdraw", f"token:{token_id}", {"label": label})
        return len(ids)

    def list_tokens(self, issuer_id: str | None) -> list[dict[str, Any]]:
        """An issuer's tokens (``issuer_id`` None: the operator's), never their text: id, label, created, withdrawn."""
        with self.engine.connect() as conn:
            owner: ColumnElement[bool]
            if issuer_id is None:
                owner = tokens.c.issuer_id.is_(None)
            else:
                self._issuer_row(conn, issuer_id)
                owner = tokens.c.issuer_id == issuer_id
            rows = conn.execute(
                select(tokens.c.id, tokens.c.label, tokens.c.created_at, tokens.c.withdrawn_at)
                .where(owner)
                .order_by(tokens.c.created_at, tokens.c.id)
            ).all()
        return [dict(row._mapping) for row in rows]

    # -- issuers and keys ------------------------------------------------------------------------

    def ensure_operator_key(self, at: datetime) -> KeyRecord:
        """The operator's active key (it signs the trust list), made on first start."""
        if not self.keys.exists(OPERATOR):
            ring = self.keys.create(OPERATOR, at)
            with write_transaction(self.engine) as conn:
                _audit(conn, at, "system", "key.create", "operator", {"kid": ring.active.kid_hex})
        return self.keys.keyring(OPERATOR).active

    def operator_key(self) -> SigningKey:
        """The operator's active key with its private half (cached after the first read)."""
        record = self.keys.keyring(OPERATOR).active
        cached = self._signing.get(record.kid)
        if cached is None:
            cached = self.keys.private_key(OPERATOR, record)
            self._signing[record.kid] = cached
        return cached

    def create_issuer(self, actor: Principal, info: IssuerInfo, at: datetime) -> tuple[KeyRecord, str, str]:
        """Register an issuer with a fresh Ed25519 key and a first token: (key, token id, token text).

        Raises :class:`Conflict` for an id taken already or one the service keeps for itself.
        """
        if info.id in RESERVED_IDS:
            raise Conflict(f"{info.id!r} is a name the service uses itself; choose another issuer id")
        key = new_signing_key(at)
        try:
            with write_transaction(self.engine) as conn:
                conn.execute(insert(issuers).values(id=info.id, name=info.name, name_en=info.name_en, created_at=at))
                _insert_key(conn, info.id, key.record, active=True)
                token_id = "t" + secrets.token_hex(7)
                token = _insert_token(conn, token_id, Role.ISSUER, info.id, FIRST_TOKEN, at)
                _audit(conn, at, actor.token_id, "issuer.create", f"issuer:{info.id}", {"kid": key.kid.hex()})
                self.keys.save_private(info.id, key)
        except IntegrityError:
            raise Conflict(f"issuer {info.id} exists already") from None
        self._signing[key.kid] = key
        return key.record, token_id, token

    def rotate_key(self, actor: Principal, issuer_id: str, at: datetime) -> KeyRecord:
        """A new active key for the issuer; the old one turns verify-only, its window closed at ``at``."""
        with write_transaction(self.engine) as conn:
            self._issuer_row(conn, issuer_id)
            old = conn.execute(
                select(issuer_keys).where(issuer_keys.c.issuer_id == issuer_id, issuer_keys.c.active.is_(True))
            ).one()
            key = new_signing_key(at)
            # As Keyring.rotated: the old window runs to the end of the rotation's second.
            conn.execute(
                update(issuer_keys)
                .where(issuer_keys.c.kid == old.kid)
                .values(active=False, not_after=whole_second(at) + timedelta(seconds=1))
            )
            _insert_key(conn, issuer_id, key.record, active=True)
            _audit(
                conn, at, actor.token_id, "key.rotate", f"issuer:{issuer_id}",
                {"old_kid": old.kid.hex(), "new_kid": key.kid.hex()},
            )  # fmt: skip
            self.keys.save_private(issuer_id, key)
        self._signing[key.kid] = key
        return key.record

    def withdraw_key(self, actor: Principal, issuer_id: str, kid_hex: str, at: datetime) -> KeyRecord | None:
        """Withdraw a compromised key: the published trust list no longer carries it, from now on.

        Offline verifiers, once they fetch the new trust list, then refuse every seal made with it
        (``unknown_issuer``), including one a thief backdates into its old window. The service's own
        checks keep the key, because a seal the registry issued is genuine whichever key made it and any
        other seal is ``unregistered``. An active key is replaced by a new one first; returns that one.
        """
        kid = bytes.fromhex(kid_hex) if re.fullmatch(r"[0-9a-f]{16}", kid_hex) else b""
        replacement: SigningKey | None = None
        with write_transaction(self.engine) as conn:
            self._issuer_row(conn, issuer_id)
            row = conn.execute(
                select(issuer_keys).where(issuer_keys.c.issuer_id == issuer_id, issuer_keys.c.kid == kid)
            ).first()
            if row is None:
                raise NotFound(f"issuer {issuer_id} has no key {kid_hex}")
            if row.withdrawn_at is not None:
                raise Conflict(f"key {kid_hex} was withdrawn on {row.withdrawn_at.isoformat()}")
            closes = whole_second(at) + timedelta(seconds=1)
            if row.active:
                replacement = new_signing_key(at)
                _insert_key(conn, issuer_id, replacement.record, active=True)
            conn.execute(
                update(issuer_keys)
                .where(issuer_keys.c.kid == kid)
                .values(active=False, withdrawn_at=at, not_after=min(row.not_after or closes, closes))
            )
            _audit(
                conn, at, actor.token_id, "key.withdraw", f"issuer:{issuer_id}",
                {"kid": kid_hex, "new_kid": replacement.kid.hex() if replacement else None},
            )  # fmt: skip
            if replacement is not None:
                self.keys.save_private(issuer_id, replacement)
        self._signing.pop(kid, None)
        if replacement is None:
            return None
        self._signing[replacement.kid] = replacement
        return replacement.record

    def issuer(self, issuer_id: str) -> IssuerInfo:
        """The issuer's names; raises :class:`NotFound`."""
        with self.engine.connect() as conn:
            row = self._issuer_row(conn, issuer_id)
        return IssuerInfo(row.id, row.name, row.name_en)

    def trust_list(
        self, public_urls: Sequence[str], at: datetime, withdrawn: bool = False, validity: timedelta = DEFAULT_VALIDITY
    ) -> TrustList:
        """Every issuer and every key it ever had (active and verify-only), as of ``at``, valid for ``validity``.

        Withdrawn keys are left out, as in the list the service publishes, unless ``withdrawn``: the
        service's own online checks keep them (see :meth:`withdraw_key`). The version is the number of
        keys plus the number withdrawn: every change to the list (an issuer, a rotation, a withdrawal)
        adds a key or withdraws one, so it only goes up, and every replica computes the same.
        """
        query = select(issuer_keys).order_by(issuer_keys.c.not_before, issuer_keys.c.kid)
        if not withdrawn:
            query = query.where(issuer_keys.c.withdrawn_at.is_(None))
        with self.engine.connect() as conn:
            issuer_rows = conn.execute(select(issuers).order_by(issuers.c.id)).all()
            key_rows = conn.execute(query).all()
            version = conn.execute(
                select(func.count() + func.count(issuer_keys.c.withdrawn_at)).select_from(issuer_keys)
            ).scalar_one()
        by_issuer: dict[str, list[KeyRecord]] = {}
        for row in key_rows:
            by_issuer.setdefault(row.issuer_id, []).append(_key_record(row))
        issued_at = at.replace(microsecond=0)
        return TrustList(
            issued_at=issued_at,
            public_urls=tuple(public_urls),
            issuers=tuple(
                TrustedIssuer(IssuerInfo(r.id, r.name, r.name_en), tuple(by_issuer.get(r.id, ()))) for r in issuer_rows
            ),
            version=int(version),
            expires_at=issued_at + validity,
        )

    def signing_key(self, issuer_id: str) -> SigningKey:
        """The issuer's active key with its private half (cached after the first read)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(issuer_keys).where(issuer_keys.c.issuer_id == issuer_id, issuer_keys.c.active.is_(True))
            ).first()
        if row is None:
            raise NotFound(f"no issuer {issuer_id}")
        cached = self._signing.get(row.kid)
        if cached is None:
            cached = self.keys.private_key(issuer_id, _key_record(row))
            self._signing[row.kid] = cached
        return cached

    # -- certificates ----------------------------------------------------------------------------

    def issue(
        self,
        actor: Principal,
        batch: Sequence[AnyCertificate],
        public_url: str,
        at: datetime,
        render: Render | None = None,
    ) -> list[CertificateRecord]:
        """Seal, render and register certificates, all or none, in one transaction with their audit entries.

        Certificates without a number get a fresh one. ``render`` turns the sealed certificates into their
        PDFs (and may refuse them, raising); it runs before the write transaction, which it would
        otherwise hold for seconds. Raises :class:`Conflict` naming the numbers that exist already or
        repeat within the batch.
        """
        issuer_id = _issuer_of(actor)
        key = self.signing_key(issuer_id)
        numbered = [
            c if c.number is not None else c.model_copy(update={"number": _new_number(issuer_id, at)}) for c in batch
        ]
        numbers = [str(c.number) for c in numbered]
        repeated = sorted({n for n in numbers if numbers.count(n) > 1})
        if repeated:
            raise Conflict(f"numbers repeat within the batch: {', '.join(repeated)}")
        with self.engine.connect() as conn:
            self._refuse_taken(conn, issuer_id, numbers)
        sealed = [seal_certificate(c, key, public_url, at) for c in numbered]
        pdfs = render(self.issuer(issuer_id), list(zip(numbered, sealed, strict=True))) if render else None
        rows = [_certificate_row(issuer_id, c, s, key) for c, s in zip(numbered, sealed, strict=True)]
        try:
            with write_transaction(self.engine) as conn:
                self._refuse_taken(conn, issuer_id, numbers)  # again: another request may have been faster
                conn.execute(insert(certificates), rows)
                records = [_record_from_row(row, StatusRecord(StatusState.ACTIVE)) for row in rows]
                if pdfs is not None:
                    seqs = dict(
                        conn.execute(
                            select(certificates.c.id, certificates.c.seq).where(
                                certificates.c.id.in_([r["id"] for r in rows])
                            )
                        ).all()
                    )
                    digests = [hashlib.sha256(pdf).digest() for pdf in pdfs]
                    conn.execute(
                        insert(certificate_pdfs),
                        [
                            {"certificate_seq": seqs[row["id"]], "pdf": pdf, "sha256": digest}
                            for row, pdf, digest in zip(rows, pdfs, digests, strict=True)
                        ],
                    )
                    records = [replace(r, pdf_sha256=d.hex()) for r, d in zip(records, digests, strict=True)]
                conn.execute(
                    insert(audit_log),
                    [
                        _audit_row(at, actor.token_id, "certificate.issue", f"certificate:{r.id}", {"number": r.number})
                        for r in records
                    ],
                )
        except IntegrityError:
            raise Conflict("a certificate number was taken meanwhile; retry") from None
        return records

    def _refuse_taken(self, conn: Connection, issuer_id: str, numbers: list[str]) -> None:
        taken = conn.execute(
            select(certificates.c.number).where(
                certificates.c.issuer_id == issuer_id, certificates.c.number.in_(numbers)
            )
        ).scalars()
        taken_numbers = sorted(taken)
        if taken_numbers:
            raise Conflict(f"certificate numbers exist already: {', '.join(taken_numbers)}")

    def pdf_digest(self, certificate_id: str) -> bytes | None:
        """The SHA-256 of a certificate's stored PDF, or None when it has none."""
        with self.engine.connect() as conn:
            digest = conn.execute(
                select(certificate_pdfs.c.sha256)
                .join(certificates, certificate_pdfs.c.certificate_seq == certificates.c.seq)
                .where(certificates.c.id == certificate_id)
            ).scalar()
        return bytes(digest) if digest is not None else None

    def seal_of_pdf(self, digest: bytes) -> bytes | None:
        """The seal of the certificate whose stored PDF has this SHA-256, or None (no such PDF was issued)."""
        with self.engine.connect() as conn:
            cose = conn.execute(
                select(certificates.c.cose)
                .join(certificate_pdfs, certificate_pdfs.c.certificate_seq == certificates.c.seq)
                .where(certificate_pdfs.c.sha256 == digest)
                .limit(1)
            ).scalar()
        return bytes(cose) if cose is not None else None

    def pdf(self, issuer_id: str, certificate_id: str) -> bytes:
        """The stored PDF of one of the issuer's certificates; raises :class:`NotFound`."""
        with self.engine.connect() as conn:
            pdf = conn.execute(
                select(certificate_pdfs.c.pdf)
                .select_from(
                    certificates.join(certificate_pdfs, certificate_pdfs.c.certificate_seq == certificates.c.seq)
                )
                .where(certificates.c.id == certificate_id, certificates.c.issuer_id == issuer_id)
            ).scalar()
        if pdf is None:
            raise NotFound("no such certificate, or it has no PDF")
        return bytes(pdf)

    def get(self, issuer_id: str, certificate_id: str) -> CertificateRecord:
        """One of the issuer's certificates; raises :class:`NotFound` for any other id."""
        with self.engine.connect() as conn:
            row = conn.execute(
                _WITH_PDF_DIGEST.where(certificates.c.id == certificate_id, certificates.c.issuer_id == issuer_id)
            ).first()
            if row is None:
                raise NotFound("no such certificate")
            return _record_from_row(row._mapping, _status(conn, row.seq))

    def list_certificates(
        self, issuer_id: str, filters: ListFilter, after: int | None, limit: int
    ) -> tuple[list[CertificateRecord], int | None]:
        """A page of the issuer's certificates in issue order, and the cursor of the next page (None: last)."""
        latest = (
            select(status_events.c.state)
            .where(status_events.c.certificate_seq == certificates.c.seq)
            .order_by(status_events.c.seq.desc())
            .limit(1)
            .scalar_subquery()
        )
        state = func.coalesce(latest, literal(StatusState.ACTIVE.value))
        query = _WITH_PDF_DIGEST.add_columns(state.label("current_state")).where(certificates.c.issuer_id == issuer_id)
        if after is not None:
            query = query.where(certificates.c.seq > after)
        if filters.scheme:
            query = query.where(certificates.c.scheme == filters.scheme)
        if filters.credit_code:
            query = query.where(certificates.c.credit_code == filters.credit_code)
        if filters.valid_on:
            query = query.where(
                and_(certificates.c.valid_from <= filters.valid_on, certificates.c.valid_until >= filters.valid_on)
            )
        if filters.status:
            query = query.where(state == filters.status.value)
        limit = max(1, min(limit, MAX_PAGE))
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(certificates.c.seq).limit(limit + 1)).all()
            page = rows[:limit]
            records = [_record_from_row(r._mapping, _status(conn, r.seq)) for r in page]
        return records, (page[-1].seq if len(rows) > limit else None)

    def change_status(
        self, actor: Principal, certificate_id: str, action: Action, reason: str, note: str, at: datetime
    ) -> CertificateRecord:
        """Suspend, reinstate or revoke one of the caller's certificates.

        Raises :class:`NotFound` for another issuer's certificate, ValueError for a reason code the action
        does not know, and :class:`Conflict` for a transition the current state does not allow.
        """
        issuer_id = _issuer_of(actor)
        if reason not in REASONS[action]:
            raise ValueError(f"reason must be one of: {', '.join(REASONS[action])}")
        with write_transaction(self.engine) as conn:
            query = select(certificates).where(
                certificates.c.id == certificate_id, certificates.c.issuer_id == issuer_id
            )
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()  # one status change at a time per certificate
            row = conn.execute(query).first()
            if row is None:
                raise NotFound("no such certificate")
            current = _status(conn, row.seq)
            try:
                state = next_state(action, current.state)
            except TransitionRefused as exc:
                raise Conflict(str(exc)) from None
            conn.execute(
                insert(status_events).values(
                    certificate_seq=row.seq, state=state.value, action=action.value, reason=reason,
                    note=note, actor=actor.token_id, at=at,
                )
            )  # fmt: skip
            _audit(
                conn, at, actor.token_id, f"certificate.{action.value}", f"certificate:{certificate_id}",
                {"reason": reason, "from": current.state.value, "to": state.value},
            )  # fmt: skip
            return _record_from_row(row._mapping, StatusRecord(state, reason, note, at))

    def find_number(self, issuer_id: str, number: str) -> CertificateRecord | None:
        """The issuer's certificate with this number (and its PDF's digest), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(
                _WITH_PDF_DIGEST.where(certificates.c.issuer_id == issuer_id, certificates.c.number == number)
            ).first()
            return None if row is None else _record_from_row(row._mapping, _status(conn, row.seq))

    def has_issuer(self, issuer_id: str) -> bool:
        """Whether the issuer is registered."""
        with self.engine.connect() as conn:
            return conn.execute(select(issuers.c.id).where(issuers.c.id == issuer_id)).first() is not None

    def lookup_seal(self, cose: bytes) -> RegistryEntry | None:
        """What the registry knows of exactly this seal (one query), or None when it never issued it.

        The hot path of every scan: one prepared statement on a database connection that each thread
        keeps, in autocommit, past the pool and the statement machinery.
        """
        digest = hashlib.sha256(cose).digest()
        try:
            row = self._seal_reader().lookup(digest)
        except Exception:  # noqa: BLE001 - a broken connection (server restart): drop it, ask once more
            broken = self._local.__dict__.pop("reader", None)
            if broken is not None:
                broken.close(broken=True)
            row = self._seal_reader().lookup(digest)
        if row is None:
            return None
        certificate_id, record, state, reason, at = row
        if isinstance(record, str):
            record = orjson.loads(record)
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        return RegistryEntry(certificate_id, record, StatusState(state) if state else StatusState.ACTIVE, reason, at)

    def _seal_reader(self) -> _SealReader:
        reader: _SealReader | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = _SealReader(self.engine)
            self._local.reader = reader
            with self._readers_lock:
                self._readers.append(reader)
        return reader

    def close(self) -> None:
        """Close every connection the registry holds (the service is stopping)."""
        with self._readers_lock:
            readers, self._readers = self._readers, []
        for reader in readers:
            reader.close()
        self.engine.dispose()

    def audit_entries(self, limit: int = 1000) -> list[dict[str, Any]]:
        """The newest audit entries, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit)).all()
        return [dict(r._mapping) for r in rows]

    def _issuer_row(self, conn: Connection, issuer_id: str) -> Any:
        row = conn.execute(select(issuers).where(issuers.c.id == issuer_id)).first()
        if row is None:
            raise NotFound(f"no issuer {issuer_id}")
        return row


# Certificates with the digest of their PDF, when they have one.
_WITH_PDF_DIGEST = select(certificates, certificate_pdfs.c.sha256.label("pdf_sha256")).select_from(
    certificates.outerjoin(certificate_pdfs, certificate_pdfs.c.certificate_seq == certificates.c.seq)
)

# The hot path of every online check: a certificate by its seal's digest with its latest status event.
_later = status_events.alias("later")
_latest_event = (
    select(func.max(_later.c.seq)).where(_later.c.certificate_seq == certificates.c.seq).correlate(certificates)
)
_SEAL_LOOKUP = (
    select(certificates.c.id, certificates.c.record, status_events.c.state, status_events.c.reason, status_events.c.at)
    .select_from(certificates.outerjoin(status_events, status_events.c.seq == _latest_event.scalar_subquery()))
    .where(certificates.c.seal_sha256 == bindparam("digest"))
)


class _SealReader:
    """One thread's own DBAPI connection (autocommit) with the seal lookup compiled for its dialect."""

    def __init__(self, engine: Engine) -> None:
        compiled = _SEAL_LOOKUP.compile(dialect=engine.dialect)
        self.sql = str(compiled)
        self.positional = engine.dialect.paramstyle in ("qmark", "numeric", "format")
        self.connection = engine.raw_connection()
        self.autocommit = engine.dialect.name == "postgresql"
        if self.autocommit:
            self.connection.driver_connection.autocommit = True  # type: ignore[union-attr]

    def close(self, broken: bool = False) -> None:
        """Hand the connection back: as it was lent (not in autocommit), or thrown away when broken."""
        with contextlib.suppress(Exception):  # already broken: nothing more to do
            if broken:
                self.connection.invalidate()
                return
            if self.autocommit:
                self.connection.driver_connection.autocommit = False  # type: ignore[union-attr]
            self.connection.close()

    def lookup(self, digest: bytes) -> tuple[Any, ...] | None:
        cursor = self.connection.cursor()
        try:
            cursor.execute(self.sql, (digest,) if self.positional else {"digest": digest})
            row = cursor.fetchone()
        finally:
            cursor.close()
        return tuple(row) if row is not None else None


_NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def _issuer_of(actor: Principal) -> str:
    if actor.role is not Role.ISSUER or actor.issuer_id is None:
        raise Forbidden("only an issuer token can do this")
    return actor.issuer_id


def _new_number(issuer_id: str, at: datetime) -> str:
    """A fresh certificate number: the issuer, the year and 8 random characters (40 bits)."""
    prefix = issuer_id.upper()[:12].strip("-")
    return f"{prefix}-{at.year}-{''.join(secrets.choice(_NUMBER_ALPHABET) for _ in range(8))}"


def _insert_token(conn: Connection, token_id: str, role: Role, issuer_id: str | None, label: str, at: datetime) -> str:
    token = new_token()
    conn.execute(
        insert(tokens).values(
            id=token_id, token_sha256=token_digest(token), role=role.value, issuer_id=issuer_id, label=label,
            created_at=at,
        )
    )  # fmt: skip
    return token


def _insert_key(conn: Connection, issuer_id: str, record: KeyRecord, active: bool) -> None:
    conn.execute(
        insert(issuer_keys).values(
            kid=record.kid, issuer_id=issuer_id, public_key=public_raw(record.public_key),
            not_before=record.not_before, not_after=record.not_after, active=active,
        )
    )  # fmt: skip


def _key_record(row: Any) -> KeyRecord:
    return KeyRecord(row.kid, public_from_raw(row.public_key), row.not_before, row.not_after)


def _certificate_row(issuer_id: str, certificate: AnyCertificate, sealed: Sealed, key: SigningKey) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "issuer_id": issuer_id,
        "number": certificate.number,
        "scheme": certificate.scheme,
        "credit_code": certificate.holder.credit_code,
        "valid_from": certificate.valid_from,
        "valid_until": certificate.valid_until,
        "record": certificate_json(certificate),
        "kid": key.kid,
        "issued_at": sealed.content.issued_at,
        "cose": sealed.cose,
        "seal_sha256": hashlib.sha256(sealed.cose).digest(),
        "qr_text": sealed.qr_text,
    }


def _record_from_row(row: Any, status: StatusRecord) -> CertificateRecord:
    digest = row.get("pdf_sha256") if hasattr(row, "get") else None
    return CertificateRecord(
        pdf_sha256=digest.hex() if digest else None,
        id=row["id"],
        issuer_id=row["issuer_id"],
        number=row["number"],
        record=row["record"],
        kid=row["kid"],
        issued_at=row["issued_at"],
        qr_text=row["qr_text"],
        status=status,
    )


def _status(conn: Connection, certificate_seq: int) -> StatusRecord:
    event = conn.execute(
        select(status_events.c.state, status_events.c.reason, status_events.c.note, status_events.c.at)
        .where(status_events.c.certificate_seq == certificate_seq)
        .order_by(status_events.c.seq.desc())
        .limit(1)
    ).first()
    if event is None:
        return StatusRecord(StatusState.ACTIVE)
    return StatusRecord(StatusState(event.state), event.reason, event.note, event.at)


AUDIT_TARGET_LENGTH = 100  # the column's length: a longer target is cut, and marked as cut
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def audit_text(text: str, length: int) -> str:
    """``text`` fit for an audit column of ``length`` characters on either database.

    Control characters (PostgreSQL's text cannot even hold NUL) become ``?``; a longer text is cut to
    ``length`` characters ending in ``…`` (so a stranger's 60,000-character path costs 100).
    """
    text = _UNPRINTABLE.sub("?", text)
    return text if len(text) <= length else text[: length - 1] + "…"


def _audit_row(at: datetime, actor: str, action: str, target: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "at": at,
        "actor": audit_text(actor, 40),
        "action": audit_text(action, 40),
        "target": audit_text(target, AUDIT_TARGET_LENGTH),
        "detail": detail,
    }


def _audit(conn: Connection, at: datetime, actor: str, action: str, target: str, detail: dict[str, Any]) -> None:
    conn.execute(insert(audit_log).values(**_audit_row(at, actor, action, target, detail)))


CURSOR_PATTERN = r"^[0-9a-f]{1,15}$"


def encode_cursor(seq: int) -> str:
    """A page cursor: where the previous page ended (opaque to clients; hex today)."""
    return format(seq, "x")


def decode_cursor(cursor: str) -> int:
    """Inverse of :func:`encode_cursor`; raises ValueError on anything else."""
    if not re.fullmatch(CURSOR_PATTERN, cursor):
        raise ValueError("not a cursor this service wrote")
    return int(cursor, 16)
