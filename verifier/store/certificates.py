"""Certificates, their PDFs and status events: stored, listed, looked up, suspended and revoked.

Certificates and status events are only ever inserted; a certificate's status is its latest event
(none: active). Rows map to :class:`~verifier.store.records.CertificateRecord` here, beside the queries.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, literal, select
from sqlalchemy.exc import IntegrityError

from verifier.certificate.status import REASONS, Action, TransitionRefused, next_state
from verifier.errors import FieldRefused
from verifier.store import log
from verifier.store.audit import Change, audited
from verifier.store.credentials import insert_credentials
from verifier.store.desk import write_terms
from verifier.store.recognitions import audit_lapses
from verifier.store.records import (
    CertificateRecord,
    Conflict,
    ListFilter,
    NewCertificate,
    NotFound,
    Principal,
    Published,
    StatusRecord,
    issuer_of,
)
from verifier.store.statuslists import allocate, bind, record_state
from verifier.store.tables import certificate_pdfs, certificates, issuers, status_entries, status_events
from verifier.verdict import IssuerInfo, StatusState

MAX_PAGE = 200
CURSOR_PATTERN = r"^[0-9a-f]{1,15}$"


def encode_cursor(seq: int) -> str:
    """A page cursor: where the previous page ended (opaque to clients; hex today)."""
    return format(seq, "x")


def decode_cursor(cursor: str) -> int:
    """Inverse of :func:`encode_cursor`; raises ValueError on anything else."""
    if not re.fullmatch(CURSOR_PATTERN, cursor):
        raise ValueError("not a cursor this service wrote")
    return int(cursor, 16)


# Certificates with the digest of their PDF, when they have one.
_WITH_PDF_DIGEST = select(
    certificates, certificate_pdfs.c.sha256.label("pdf_sha256"), status_entries.c.status_index
).select_from(
    certificates.outerjoin(certificate_pdfs, certificate_pdfs.c.certificate_seq == certificates.c.seq).outerjoin(
        status_entries, status_entries.c.certificate_seq == certificates.c.seq
    )
)


def _row_of(issuer_id: str, new: NewCertificate) -> dict[str, Any]:
    return {
        "id": new.id,
        "issuer_id": issuer_id,
        "number": new.number,
        "scheme": new.scheme,
        "credit_code": new.credit_code,
        "valid_from": new.valid_from,
        "valid_until": new.valid_until,
        "record": new.record,
        "kid": new.kid,
        "issued_at": new.issued_at,
        "cose": new.cose,
        "seal_sha256": hashlib.sha256(new.cose).digest(),
        "qr_text": new.qr_text,
    }


def _record_from_row(row: Any, status: StatusRecord) -> CertificateRecord:
    digest = row.get("pdf_sha256") if hasattr(row, "get") else None
    return CertificateRecord(
        pdf_sha256=digest.hex() if digest else None,
        status_index=row.get("status_index") if hasattr(row, "get") else None,
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


def _statuses(conn: Connection, certificate_seqs: Sequence[int]) -> dict[int, StatusRecord]:
    """The current status of each certificate that has a status event (one query)."""
    if not certificate_seqs:
        return {}
    latest = (
        select(func.max(status_events.c.seq))
        .where(status_events.c.certificate_seq.in_(certificate_seqs))
        .group_by(status_events.c.certificate_seq)
    )
    events = conn.execute(
        select(status_events.c.certificate_seq, status_events.c.state, status_events.c.reason, status_events.c.note,
               status_events.c.at).where(status_events.c.seq.in_(latest))
    ).all()  # fmt: skip
    return {e.certificate_seq: StatusRecord(StatusState(e.state), e.reason, e.note, e.at) for e in events}


def _refuse_taken(conn: Connection, issuer_id: str, numbers: Sequence[str]) -> None:
    taken = sorted(
        conn.execute(
            select(certificates.c.number).where(
                certificates.c.issuer_id == issuer_id, certificates.c.number.in_(numbers)
            )
        ).scalars()
    )
    if taken:
        raise Conflict(
            f"certificate numbers exist already: {', '.join(taken)}. To issue another certificate, leave out "
            '"number": the service then generates a fresh one'
        )


class Certificates:
    """The certificates on one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def refuse_taken(self, issuer_id: str, numbers: Sequence[str]) -> None:
        """Raise :class:`Conflict` naming those of ``numbers`` the issuer has used already."""
        with self.engine.connect() as conn:
            _refuse_taken(conn, issuer_id, numbers)

    def add(
        self,
        actor: Principal,
        batch: Sequence[NewCertificate],
        at: datetime,
        then: Callable[[Change, list[CertificateRecord]], None] | None = None,
    ) -> list[CertificateRecord]:
        """Store a batch of the issuer's certificates with their PDFs and audit entries, all or none.

        A certificate sealed with a reserved status index (:meth:`StatusLists.reserve`) is bound to it;
        one without gets a fresh index. ``then`` writes what must commit with the certificates (a job's
        end) in the same transaction; what it raises rolls them back. Raises :class:`Conflict` when a
        number is taken (by another request meanwhile, too).
        """
        issuer_id = issuer_of(actor)
        rows = [_row_of(issuer_id, new) for new in batch]
        try:
            with audited(self.engine, actor.token_id, at) as change:
                _refuse_taken(change.conn, issuer_id, [new.number for new in batch])
                change.conn.execute(insert(certificates), rows)
                made = select(certificates.c.id, certificates.c.seq).where(
                    certificates.c.id.in_([r["id"] for r in rows])
                )
                seqs = dict(change.conn.execute(made).all())
                write_terms(change.conn, issuer_id, [(seqs[row["id"]], row["record"]) for row in rows])  # the console's
                reserved = {
                    seqs[r["id"]]: n.status_index
                    for r, n in zip(rows, batch, strict=True)
                    if n.status_index is not None
                }
                bind(change.conn, issuer_id, reserved)
                unsealed = [seqs[row["id"]] for row in rows if seqs[row["id"]] not in reserved]
                indexes = {**reserved, **allocate(change.conn, issuer_id, unsealed)}
                logged = log.append(change, [log.issued(at, issuer_id, n.kid, n.cose, n.credential) for n in batch])
                records = [
                    replace(_record_from_row(row, StatusRecord(StatusState.ACTIVE)),
                            status_index=indexes[seqs[row["id"]]], log_index=index)
                    for row, index in zip(rows, logged, strict=True)
                ]  # fmt: skip
                rendered = [(record, new.pdf) for record, new in zip(records, batch, strict=True) if new.pdf]
                if rendered:
                    digests = {record.id: hashlib.sha256(pdf).digest() for record, pdf in rendered}
                    change.conn.execute(
                        insert(certificate_pdfs),
                        [
                            {"certificate_seq": seqs[record.id], "pdf": pdf, "sha256": digests[record.id]}
                            for record, pdf in rendered
                        ],
                    )
                    records = [replace(r, pdf_sha256=digests[r.id].hex()) if r.id in digests else r for r in records]
                insert_credentials(
                    change.conn,
                    [(seqs[row["id"]], new.credential) for row, new in zip(rows, batch, strict=True) if new.credential],
                    at,
                )
                change.audit_all([("certificate.issue", f"certificate:{r.id}", {"number": r.number}) for r in records])
                if then is not None:
                    then(change, records)
        except IntegrityError:
            raise Conflict("a certificate number was taken meanwhile; retry") from None
        return records

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

    def many(self, issuer_id: str, certificate_ids: Sequence[str]) -> list[CertificateRecord]:
        """The issuer's certificates of ``certificate_ids``, in that order (those not the issuer's left out)."""
        found: dict[str, CertificateRecord] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(certificate_ids), 500):
                part = certificate_ids[start : start + 500]
                rows = conn.execute(
                    _WITH_PDF_DIGEST.where(certificates.c.issuer_id == issuer_id, certificates.c.id.in_(part))
                ).all()
                latest = _statuses(conn, [row.seq for row in rows])
                active = StatusRecord(StatusState.ACTIVE)
                for row in rows:
                    found[row.id] = _record_from_row(row._mapping, latest.get(row.seq, active))
        return [found[i] for i in certificate_ids if i in found]

    def published(self, certificate_id: str) -> CertificateRecord:
        """Any issuer's certificate by its id; raises :class:`NotFound`.

        Ids are random UUIDs: what the public credential URL names.
        """
        with self.engine.connect() as conn:
            row = conn.execute(_WITH_PDF_DIGEST.where(certificates.c.id == certificate_id)).first()
            if row is None:
                raise NotFound("no such certificate")
            return _record_from_row(row._mapping, _status(conn, row.seq))

    def credential_source(self, certificate_id: str) -> Published:
        """What the certificate's credential is made of, in one query; raises :class:`NotFound`."""
        query = (
            select(certificates.c.id, certificates.c.record, certificates.c.issued_at, issuers.c.id.label("issuer_id"),
                   issuers.c.name, issuers.c.name_en, certificate_pdfs.c.sha256, status_entries.c.status_index)
            .select_from(
                certificates.join(issuers, issuers.c.id == certificates.c.issuer_id)
                .outerjoin(certificate_pdfs, certificate_pdfs.c.certificate_seq == certificates.c.seq)
                .outerjoin(status_entries, status_entries.c.certificate_seq == certificates.c.seq)
            )
            .where(certificates.c.id == certificate_id)
        )  # fmt: skip
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotFound("no such certificate")
        return Published(row.id, IssuerInfo(row.issuer_id, row.name, row.name_en), row.record, row.issued_at,
                         row.sha256.hex() if row.sha256 else None, row.status_index)  # fmt: skip

    def published_pdf(self, certificate_id: str) -> bytes:
        """Any issuer's certificate PDF by the certificate's id; raises :class:`NotFound`."""
        with self.engine.connect() as conn:
            issuer_id = conn.execute(
                select(certificates.c.issuer_id).where(certificates.c.id == certificate_id)
            ).scalar()
        if issuer_id is None:
            raise NotFound("no such certificate, or it has no PDF")
        return self.pdf(issuer_id, certificate_id)

    def find_number(self, issuer_id: str, number: str) -> CertificateRecord | None:
        """The issuer's certificate with this number (and its PDF's digest), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(
                _WITH_PDF_DIGEST.where(certificates.c.issuer_id == issuer_id, certificates.c.number == number)
            ).first()
            return None if row is None else _record_from_row(row._mapping, _status(conn, row.seq))

    def page(
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
        if filters.number is not None:
            query = query.where(certificates.c.number == filters.number)
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

        Raises :class:`NotFound` for another issuer's certificate, :class:`FieldRefused` for a reason code
        the action does not know, and :class:`Conflict` for a transition the current state does not allow.
        """
        issuer_id = issuer_of(actor)
        if reason not in REASONS[action]:
            raise FieldRefused("reason", f"reason must be one of: {', '.join(REASONS[action])}")
        with audited(self.engine, actor.token_id, at) as change:
            query = select(certificates).where(
                certificates.c.id == certificate_id, certificates.c.issuer_id == issuer_id
            )
            if change.conn.dialect.name == "postgresql":
                query = query.with_for_update()  # one status change at a time per certificate
            row = change.conn.execute(query).first()
            if row is None:
                raise NotFound("no such certificate")
            current = _status(change.conn, row.seq)
            try:
                state = next_state(action, current.state)
            except TransitionRefused as exc:
                raise Conflict(str(exc)) from None
            change.conn.execute(
                insert(status_events).values(
                    certificate_seq=row.seq, state=state.value, action=action.value, reason=reason,
                    note=note, actor=actor.token_id, at=at,
                )
            )  # fmt: skip
            record_state(change.conn, issuer_id, row.seq, state, at)  # the status lists, in the same transaction
            log.append(change, [log.status(at, issuer_id, bytes(row.seal_sha256), state.value, reason)])
            audit_lapses(change, row.seq, state)  # its recognitions lapse (or stand again) with it
            change.audit(
                f"certificate.{action.value}", f"certificate:{certificate_id}",
                {"reason": reason, "from": current.state.value, "to": state.value},
            )  # fmt: skip
            return _record_from_row(row._mapping, StatusRecord(state, reason, note, at))
