"""Recognitions in the registry: a body's seal on one certificate, its own status, and its lapse with the certificate.

A recognition arrives signed (by a key the service keeps for the body, or uploaded, signed elsewhere) and
checked (:mod:`verifier.issuing.recognising`); the store keeps its bytes and what they say, refuses a
second recognition by the same body for a market it recognises already (``recognition_markets``, whose
rows go when a recognition is revoked), and keeps its status as events, as certificates'. Its standing is
its own status, unless the certificate it recognises is revoked or suspended: then it has **lapsed**,
at once and with that reason, and comes back when the certificate is reinstated (a revoked certificate
stays revoked, so do its recognitions). Every change is audited; so is each lapse, in the transaction
of the certificate's status change (:func:`audit_lapses`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from verifier.certificate.status import REASONS, Action, TransitionRefused, next_state
from verifier.errors import FieldRefused
from verifier.store import log
from verifier.store.audit import Change, audited
from verifier.store.records import Conflict, NotFound, Principal, body_of
from verifier.store.statuslists import set_bits
from verifier.store.tables import certificates, recognition_events, recognition_markets, recognitions, status_events
from verifier.verdict import StatusState

MAX_PAGE = 200
MAX_OF_CERTIFICATE = 500  # the newest of one certificate's recognitions read at once (a body revoking and
# recognising again and again must not grow every scan's answer without bound)


@dataclass(frozen=True)
class NewRecognition:
    """A signed and checked recognition to store: what its seal says, its bytes and how it came."""

    id: str
    certificate_id: str
    party_id: str
    number: str
    markets: tuple[str, ...]
    basis: tuple[str, ...]
    valid_from: date
    valid_until: date
    signed_at: datetime
    kid: bytes
    cose: bytes
    status_index: int | None
    signed_here: bool
    request_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecognitionRecord(NewRecognition):
    """A stored recognition, its own status, and the status of the certificate it recognises."""

    certificate_number: str
    issuer_id: str
    state: StatusState  # its own: active, suspended, revoked
    reason: str | None
    since: datetime | None
    base_state: StatusState  # the recognised certificate's

    @property
    def standing(self) -> str:
        """``revoked`` or ``suspended`` (by its body), ``lapsed`` (its certificate is not in force), or ``active``."""
        if self.state is not StatusState.ACTIVE:
            return str(self.state.value)
        return "lapsed" if self.base_state is not StatusState.ACTIVE else "active"

    @property
    def lapse_reason(self) -> str | None:
        """Why it lapsed, in words, or None."""
        if self.standing != "lapsed":
            return None
        return f"the certificate it recognises was {self.base_state.value}"

    def shown(self) -> dict[str, Any]:
        """As the API shows it to the body and the issuer."""
        return {
            "id": self.id, "certificate_id": self.certificate_id, "certificate_number": self.certificate_number,
            "issuer": self.issuer_id, "recogniser": self.party_id, "number": self.number,
            "markets": list(self.markets), "basis": list(self.basis), "valid_from": self.valid_from,
            "valid_until": self.valid_until, "signed_at": self.signed_at, "kid": self.kid.hex(),
            "status_index": self.status_index, "signed_here": self.signed_here, "request_id": self.request_id,
            "status": {"state": self.standing, "reason": self.lapse_reason or self.reason, "since": self.since},
        }  # fmt: skip


_SELECT = select(
    recognitions, certificates.c.id.label("certificate_id"), certificates.c.number.label("certificate_number"),
    certificates.c.issuer_id,
).select_from(recognitions.join(certificates, certificates.c.seq == recognitions.c.certificate_seq))  # fmt: skip


def _latest(conn: Connection, table: Any, column: Any, seqs: Sequence[int]) -> dict[int, Any]:
    """The latest event of each of ``seqs`` in an event table (one query)."""
    if not seqs:
        return {}
    latest = select(func.max(table.c.seq)).where(column.in_(list(seqs))).group_by(column)
    return {getattr(e, column.name): e for e in conn.execute(select(table).where(table.c.seq.in_(latest))).all()}


def _records(conn: Connection, rows: Sequence[Any]) -> list[RecognitionRecord]:
    own = _latest(conn, recognition_events, recognition_events.c.recognition_seq, [r.seq for r in rows])
    base = _latest(conn, status_events, status_events.c.certificate_seq, sorted({r.certificate_seq for r in rows}))
    made = []
    for row in rows:
        event, certificate = own.get(row.seq), base.get(row.certificate_seq)
        made.append(RecognitionRecord(
            row.id, row.certificate_id, row.party_id, row.number,
            tuple(row.markets[i : i + 2] for i in range(0, len(row.markets), 2)), tuple(row.basis), row.valid_from,
            row.valid_until, row.signed_at, bytes(row.kid), bytes(row.cose), row.status_index, bool(row.signed_here),
            row.request_id, certificate_number=row.certificate_number, issuer_id=row.issuer_id,
            state=StatusState(event.state) if event else StatusState.ACTIVE, reason=event.reason if event else None,
            since=event.at if event else None,
            base_state=StatusState(certificate.state) if certificate else StatusState.ACTIVE,
        ))  # fmt: skip
    return made


def certificate_seq(conn: Connection, certificate_id: str) -> tuple[int, StatusState]:
    """The certificate's seq and status; raises :class:`NotFound`."""
    seq = conn.execute(select(certificates.c.seq).where(certificates.c.id == certificate_id)).scalar()
    if seq is None:
        raise NotFound("no such certificate")
    event = _latest(conn, status_events, status_events.c.certificate_seq, [seq]).get(seq)
    return int(seq), StatusState(event.state) if event else StatusState.ACTIVE


def audit_lapses(change: Change, certificate_seq: int, state: StatusState) -> None:
    """Record, in the certificate's status change, that its standing recognitions lapse (or stand again)."""
    rows = change.conn.execute(_SELECT.where(recognitions.c.certificate_seq == certificate_seq)).all()
    standing = [r for r in _records(change.conn, rows) if r.state is not StatusState.REVOKED]
    action = "recognition.stand" if state is StatusState.ACTIVE else "recognition.lapse"
    change.audit_all([(action, f"recognition:{r.id}", {"recogniser": r.party_id, "certificate": state.value})
                      for r in standing])  # fmt: skip


class Recognitions:
    """The recognitions on one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, actor: Principal, new: NewRecognition, at: datetime, on_request: Any = None) -> RecognitionRecord:
        """Store a checked recognition by the actor's body; ``on_request(change, new)`` answers its request.

        Raises :class:`Conflict` when the certificate is not in force, when the body recognises it for one
        of these markets already, or when the body's number is taken.
        """
        party_id = body_of(actor)
        if party_id != new.party_id:
            raise NotFound("no such recognising body")
        try:
            with audited(self.engine, actor.token_id, at) as change:
                seq, state = certificate_seq(change.conn, new.certificate_id)
                if state is not StatusState.ACTIVE:
                    raise Conflict(f"the certificate is {state.value}: only a certificate in force can be recognised")
                self._refuse_twice(change.conn, seq, new)
                recognition_seq = change.conn.execute(insert(recognitions).values(
                    id=new.id, certificate_seq=seq, party_id=party_id, number=new.number, markets="".join(new.markets),
                    basis=list(new.basis), valid_from=new.valid_from, valid_until=new.valid_until,
                    signed_at=new.signed_at, kid=new.kid, cose=new.cose, seal_sha256=hashlib.sha256(new.cose).digest(),
                    status_index=new.status_index, request_id=new.request_id, signed_here=new.signed_here,
                    actor=actor.token_id, created_at=at,
                )).inserted_primary_key[0]  # type: ignore[index]  # fmt: skip
                base = change.conn.execute(
                    select(certificates.c.seal_sha256).where(certificates.c.seq == seq)
                ).scalar_one()
                log.append(change, [log.recognised(at, party_id, new.kid, new.cose, bytes(base))])
                change.conn.execute(insert(recognition_markets), [
                    {"certificate_seq": seq, "party_id": party_id, "market": m, "recognition_seq": recognition_seq}
                    for m in new.markets
                ])  # fmt: skip
                change.audit("recognition.create", f"recognition:{new.id}", {
                    "certificate": new.certificate_id, "number": new.number, "markets": "".join(new.markets),
                    "kid": new.kid.hex(), "signed_here": new.signed_here, "request": new.request_id,
                })  # fmt: skip
                if on_request is not None:
                    on_request(change, new)
        except IntegrityError:  # another recognition of the same markets or number at the same moment
            raise Conflict(
                "recognised meanwhile for one of these markets, or the number was taken: look again"
            ) from None
        return self.get(new.id)

    @staticmethod
    def _refuse_twice(conn: Connection, seq: int, new: NewRecognition) -> None:
        held = conn.execute(
            select(recognition_markets.c.market, recognitions.c.id)
            .join(recognitions, recognitions.c.seq == recognition_markets.c.recognition_seq)
            .where(recognition_markets.c.certificate_seq == seq, recognition_markets.c.party_id == new.party_id,
                   recognition_markets.c.market.in_(list(new.markets)))
        ).all()  # fmt: skip
        if held:
            markets = ", ".join(sorted(r.market for r in held))
            raise Conflict(f"{new.party_id} recognises this certificate for {markets} already "
                           f"(recognition {held[0].id}): revoke that one first to recognise it again")  # fmt: skip
        taken = conn.execute(
            select(recognitions.c.id).where(
                recognitions.c.party_id == new.party_id, recognitions.c.number == new.number
            )
        ).scalar()
        if taken is not None:
            raise Conflict(f"{new.party_id} used the number {new.number} already (recognition {taken})")

    def version(self) -> tuple[int, int]:
        """The highest recognition and recognition event: a change to any recognition raises one of them."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(select(func.max(recognitions.c.seq)).scalar_subquery(),
                       select(func.max(recognition_events.c.seq)).scalar_subquery())
            ).one()  # fmt: skip
        return int(row[0] or 0), int(row[1] or 0)

    def base_seal(self, certificate_id: str) -> bytes:
        """The exact seal (COSE bytes) of the certificate a recognition would name; raises :class:`NotFound`."""
        with self.engine.connect() as conn:
            cose = conn.execute(select(certificates.c.cose).where(certificates.c.id == certificate_id)).scalar()
        if cose is None:
            raise NotFound("no such certificate")
        return bytes(cose)

    def get(self, recognition_id: str) -> RecognitionRecord:
        """Any recognition by its id; raises :class:`NotFound`."""
        with self.engine.connect() as conn:
            rows = conn.execute(_SELECT.where(recognitions.c.id == recognition_id)).all()
            if not rows:
                raise NotFound("no such recognition")
            return _records(conn, rows)[0]

    def by_seal(self, cose: bytes) -> RecognitionRecord | None:
        """The recognition whose seal is exactly ``cose`` (by its SHA-256), or None."""
        with self.engine.connect() as conn:
            rows = conn.execute(_SELECT.where(recognitions.c.seal_sha256 == hashlib.sha256(cose).digest())).all()
            return _records(conn, rows)[0] if rows else None

    def of_certificate(self, certificate_id: str) -> list[RecognitionRecord]:
        """The recognitions of the certificate (revoked ones too), oldest first: the newest MAX_OF_CERTIFICATE."""
        query = _SELECT.where(certificates.c.id == certificate_id).order_by(recognitions.c.seq.desc())
        with self.engine.connect() as conn:
            rows = conn.execute(query.limit(MAX_OF_CERTIFICATE)).all()
            return _records(conn, rows[::-1])

    def of_certificates(self, certificate_ids: Sequence[str]) -> dict[str, list[RecognitionRecord]]:
        """:meth:`of_certificate` for many (a batch's): each certificate's recognitions, in three queries.

        A certificate with more than :data:`MAX_OF_CERTIFICATE` is left out: :meth:`of_certificate` reads its newest.
        """
        found: dict[str, list[RecognitionRecord]] = {i: [] for i in certificate_ids}
        if not found:
            return found
        with self.engine.connect() as conn:
            rows = conn.execute(_SELECT.where(certificates.c.id.in_(list(found))).order_by(recognitions.c.seq)).all()
            for record in _records(conn, rows):
                found[record.certificate_id].append(record)
        return {i: held for i, held in found.items() if len(held) <= MAX_OF_CERTIFICATE}

    def of_seq(self, seq: int) -> list[RecognitionRecord]:
        """Every recognition of the certificate with this seq, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(_SELECT.where(recognitions.c.certificate_seq == seq).order_by(recognitions.c.seq)).all()
            return _records(conn, rows)

    def of_party(
        self, party_id: str, after: int | None = None, limit: int = 50
    ) -> tuple[list[RecognitionRecord], int | None]:
        """A page of the body's recognitions, oldest first, and the cursor of the next page (None: the last)."""
        query = _SELECT.where(recognitions.c.party_id == party_id)
        if after is not None:
            query = query.where(recognitions.c.seq > after)
        limit = max(1, min(limit, MAX_PAGE))
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(recognitions.c.seq).limit(limit + 1)).all()
            page = rows[:limit]
            return _records(conn, page), (page[-1].seq if len(rows) > limit else None)

    def change_status(
        self, actor: Principal, recognition_id: str, action: Action, reason: str, note: str, at: datetime
    ) -> RecognitionRecord:
        """Suspend, reinstate or revoke one of the body's recognitions (its status lists say so at once).

        Raises :class:`NotFound` for another body's, :class:`FieldRefused` for a reason the action does not
        know, and :class:`Conflict` for a transition its state does not allow.
        """
        party_id = body_of(actor)
        if reason not in REASONS[action]:
            raise FieldRefused("reason", f"reason must be one of: {', '.join(REASONS[action])}")
        with audited(self.engine, actor.token_id, at) as change:
            query = select(recognitions).where(recognitions.c.id == recognition_id, recognitions.c.party_id == party_id)
            if change.conn.dialect.name == "postgresql":
                query = query.with_for_update()
            row = change.conn.execute(query).first()
            if row is None:
                raise NotFound("no such recognition")
            event = _latest(change.conn, recognition_events, recognition_events.c.recognition_seq, [row.seq]).get(
                row.seq
            )
            current = StatusState(event.state) if event else StatusState.ACTIVE
            try:
                state = next_state(action, current)
            except TransitionRefused as exc:
                raise Conflict(str(exc)) from None
            change.conn.execute(insert(recognition_events).values(
                recognition_seq=row.seq, state=state.value, action=action.value, reason=reason, note=note,
                actor=actor.token_id, at=at,
            ))  # fmt: skip
            if state is StatusState.REVOKED:  # its markets are free again: the body may recognise anew
                change.conn.execute(delete(recognition_markets).where(recognition_markets.c.recognition_seq == row.seq))
            log.append(change, [log.recognition_status(at, party_id, bytes(row.seal_sha256), state.value, reason)])
            if row.status_index is not None:
                set_bits(change.conn, party_id, int(row.status_index), state, at)
            change.audit(f"recognition.{action.value}", f"recognition:{recognition_id}",
                         {"reason": reason, "from": current.value, "to": state.value})  # fmt: skip
        return self.get(recognition_id)
