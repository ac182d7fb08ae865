"""Watches on certificates and their webhook deliveries: who is told what, each attempt, and how far events were read.

A watch names a certificate and an https webhook. The status events (suspend, reinstate, revoke) and the
recognitions' events are read past a cursor into deliveries, one per watch and event, in the transaction
that moves the cursor (locked on PostgreSQL: replicas never read an event twice). A certificate suspended
or revoked makes each of its recognitions in force lapse: each lapse is an event too. A delivery is leased
by the replica sending it, and records every attempt; it ends delivered, failed (given up), or dropped
(its watch ended).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, and_, func, insert, or_, select, update

from verifier.store.customstables import watch_attempts, watch_cursors, watch_deliveries, watches
from verifier.store.database import write_transaction
from verifier.store.records import Conflict, NotFound
from verifier.store.tables import certificates, recognition_events, recognitions, status_events

EVENT_BATCH = 500  # events read into deliveries at once
CURSORS = ("status", "recognition")  # how far each kind of event was read
STATE_WORDS = {"suspend": "suspended", "reinstate": "reinstated", "revoke": "revoked"}


@dataclass(frozen=True)
class WatchRecord:
    """A watch: its certificate, its webhook, its token (which ends it), when it began and ended."""

    id: str
    certificate_id: str
    number: str
    issuer_id: str
    url: str
    token: str
    created_at: datetime
    ended_at: datetime | None
    ended_why: str | None


@dataclass(frozen=True)
class Due:
    """A delivery to try now: its id, event and facts, and its watch's webhook and token."""

    seq: int
    id: str
    event: str
    payload: dict[str, Any]
    attempts: int
    watch_id: str
    url: str
    token: str
    created_at: datetime


class Watches:
    """Watches and deliveries on one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, certificate_id: str, url: str, host: str, per_host: int, at: datetime) -> tuple[WatchRecord, bool]:
        """Watch the certificate at ``url``; the watch already there for the same two, or a new one (True).

        Raises :class:`NotFound` for no such certificate, :class:`Conflict` past ``per_host`` watches in
        force at the webhook's host.
        """
        with write_transaction(self.engine) as conn:
            seq = conn.execute(select(certificates.c.seq).where(certificates.c.id == certificate_id)).scalar()
            if seq is None:
                raise NotFound("no such certificate")
            same = conn.execute(select(watches.c.id).where(watches.c.certificate_seq == seq, watches.c.url == url,
                                                           watches.c.ended_at.is_(None))).scalar()  # fmt: skip
            if same is not None:
                return self._get(conn, str(same)), False
            held = conn.execute(select(func.count()).select_from(watches)
                                .where(watches.c.host == host, watches.c.ended_at.is_(None))).scalar_one()  # fmt: skip
            if held >= per_host:
                raise Conflict(f"{host} receives {held} watches already, as many as one receiver may "
                               "(VERIFIER_WATCHES_PER_RECEIVER): end some first", code="too_many_watches")  # fmt: skip
            watch_id = "W" + secrets.token_hex(10).upper()
            conn.execute(insert(watches).values(id=watch_id, certificate_seq=seq, url=url, host=host,
                                                token=secrets.token_urlsafe(32), created_at=at))  # fmt: skip
            return self._get(conn, watch_id), True

    def get(self, watch_id: str) -> WatchRecord | None:
        """The watch, ended or not; None when there is none."""
        with self.engine.connect() as conn:
            try:
                return self._get(conn, watch_id)
            except NotFound:
                return None

    def _get(self, conn: Connection, watch_id: str) -> WatchRecord:
        row = conn.execute(
            select(watches, certificates.c.id.label("certificate_id"), certificates.c.number, certificates.c.issuer_id)
            .join(certificates, certificates.c.seq == watches.c.certificate_seq).where(watches.c.id == watch_id)
        ).first()  # fmt: skip
        if row is None:
            raise NotFound("no such watch")
        return WatchRecord(row.id, row.certificate_id, row.number, row.issuer_id, row.url, row.token, row.created_at,
                           row.ended_at, row.ended_why)  # fmt: skip

    def end(self, watch_id: str, why: str, at: datetime) -> bool:
        """End the watch (its pending deliveries are dropped); False when it had ended already."""
        with write_transaction(self.engine) as conn:
            done = conn.execute(update(watches).where(watches.c.id == watch_id, watches.c.ended_at.is_(None))
                                .values(ended_at=at, ended_why=why)).rowcount  # fmt: skip
            conn.execute(update(watch_deliveries).where(watch_deliveries.c.watch_id == watch_id,
                                                        watch_deliveries.c.state == "pending")
                         .values(state="dropped", done_at=at))  # fmt: skip
        return bool(done)

    def log(self, watch_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """The watch's newest deliveries, newest first, each with its attempts (the subscriber's log)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(watch_deliveries).where(watch_deliveries.c.watch_id == watch_id)
                                .order_by(watch_deliveries.c.seq.desc()).limit(limit)).all()  # fmt: skip
            tries = conn.execute(select(watch_attempts).where(watch_attempts.c.delivery_seq.in_([r.seq for r in rows]))
                                 .order_by(watch_attempts.c.seq)).all()  # fmt: skip
        attempts: dict[int, list[dict[str, Any]]] = {}
        for t in tries:
            attempts.setdefault(t.delivery_seq, []).append({"at": t.at, "ms": t.ms, "status": t.status,
                                                             "outcome": t.outcome})  # fmt: skip
        return [{"id": r.id, "event": r.event, "created_at": r.created_at, "state": r.state, "next_at": r.next_at
                 if r.state == "pending" else None, "done_at": r.done_at, "attempts": attempts.get(r.seq, [])}
                for r in rows]  # fmt: skip

    def enqueue(self, at: datetime) -> int:
        """Read the events past the cursors into deliveries for the watches in force; how many were made."""
        with write_transaction(self.engine) as conn:
            query = select(watch_cursors.c.name, watch_cursors.c.seq).where(watch_cursors.c.name.in_(CURSORS))
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()  # one replica reads them; the others find nothing new
            cursors = {row.name: int(row.seq) for row in conn.execute(query)}
            made = self._status_events(conn, cursors.get("status", 0), at)
            made += self._recognition_events(conn, cursors.get("recognition", 0), at)
        return made

    def _status_events(self, conn: Connection, after: int, at: datetime) -> int:
        rows = conn.execute(
            select(status_events.c.seq, status_events.c.certificate_seq, status_events.c.state, status_events.c.action,
                   status_events.c.reason, status_events.c.at, certificates.c.id, certificates.c.number,
                   certificates.c.issuer_id, certificates.c.qr_text)
            .join(certificates, certificates.c.seq == status_events.c.certificate_seq)
            .where(status_events.c.seq > after).order_by(status_events.c.seq).limit(EVENT_BATCH)
        ).all()  # fmt: skip
        if not rows:
            return 0
        _move(conn, "status", rows[-1].seq)
        watching = _watching(conn, {r.certificate_seq for r in rows})
        made = []
        for row in rows:
            if row.action not in STATE_WORDS:  # an import's original status, registered with its certificate
                continue
            certificate = _certificate(row)
            change = {"state": row.state, "reason": row.reason, "at": _iso(row.at)}
            lapsed: Sequence[Any] = []
            if row.action in ("suspend", "revoke"):
                revoked = (
                    select(recognition_events.c.seq)
                    .where(
                        recognition_events.c.recognition_seq == recognitions.c.seq,
                        recognition_events.c.action == "revoke",
                    )
                    .exists()
                )  # by the events' index on their recognition
                standing = select(recognitions.c.id, recognitions.c.party_id, recognitions.c.number).where(
                    recognitions.c.certificate_seq == row.certificate_seq, ~revoked)  # fmt: skip
                lapsed = conn.execute(standing).all()
            for watch_id in watching.get(row.certificate_seq, []):
                made.append(_delivery(watch_id, f"certificate.{STATE_WORDS[row.action]}",
                                      {"certificate": certificate, "change": change}, at))  # fmt: skip
                made += [_delivery(watch_id, "recognition.lapsed", {"certificate": certificate, "change": change,
                                   "recognition": {"id": r.id, "body": r.party_id, "number": r.number}}, at)
                         for r in lapsed]  # fmt: skip
        if made:
            conn.execute(insert(watch_deliveries), made)
        return len(made)

    def _recognition_events(self, conn: Connection, after: int, at: datetime) -> int:
        rows = conn.execute(
            select(recognition_events.c.seq, recognition_events.c.state, recognition_events.c.action,
                   recognition_events.c.reason, recognition_events.c.at, recognitions.c.id.label("recognition_id"),
                   recognitions.c.party_id, recognitions.c.number.label("recognition_number"),
                   recognitions.c.certificate_seq, certificates.c.id, certificates.c.number, certificates.c.issuer_id,
                   certificates.c.qr_text)
            .join(recognitions, recognitions.c.seq == recognition_events.c.recognition_seq)
            .join(certificates, certificates.c.seq == recognitions.c.certificate_seq)
            .where(recognition_events.c.seq > after).order_by(recognition_events.c.seq).limit(EVENT_BATCH)
        ).all()  # fmt: skip
        if not rows:
            return 0
        _move(conn, "recognition", rows[-1].seq)
        watching = _watching(conn, {r.certificate_seq for r in rows})
        made = []
        for row in rows:
            if row.action not in STATE_WORDS:
                continue
            payload = {
                "certificate": _certificate(row),
                "recognition": {"id": row.recognition_id, "body": row.party_id, "number": row.recognition_number},
                "change": {"state": row.state, "reason": row.reason, "at": _iso(row.at)},
            }  # fmt: skip
            made += [_delivery(w, f"recognition.{STATE_WORDS[row.action]}", payload, at)
                     for w in watching.get(row.certificate_seq, [])]  # fmt: skip
        if made:
            conn.execute(insert(watch_deliveries), made)
        return len(made)

    def due(self, at: datetime, limit: int, lease: timedelta) -> list[Due]:
        """Lease up to ``limit`` deliveries due at ``at`` for ``lease`` (another replica leaves them be)."""
        free = or_(watch_deliveries.c.leased_until.is_(None), watch_deliveries.c.leased_until < at)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(watch_deliveries, watches.c.url, watches.c.token)
                .join(watches, watches.c.id == watch_deliveries.c.watch_id)
                .where(watch_deliveries.c.state == "pending", watch_deliveries.c.next_at <= at, free)
                .order_by(watch_deliveries.c.next_at, watch_deliveries.c.seq).limit(limit)
            ).all()  # fmt: skip
        leased = []
        for row in rows:
            with write_transaction(self.engine) as conn:
                taken = conn.execute(update(watch_deliveries).where(watch_deliveries.c.seq == row.seq, free,
                                                                    watch_deliveries.c.state == "pending")
                                     .values(leased_until=at + lease)).rowcount  # fmt: skip
            if taken:
                payload = orjson.loads(row.payload) if isinstance(row.payload, str) else row.payload
                leased.append(Due(row.seq, row.id, row.event, payload, row.attempts, row.watch_id, row.url, row.token,
                                  row.created_at))  # fmt: skip
        return leased

    def attempted(
        self, due: Due, at: datetime, ms: int, status: int | None, outcome: str, state: str, next_at: datetime | None
    ) -> None:
        """Record an attempt; the delivery is then ``state`` (pending again at ``next_at``, delivered or failed)."""
        with write_transaction(self.engine) as conn:
            conn.execute(insert(watch_attempts).values(delivery_seq=due.seq, at=at, ms=ms, status=status,
                                                       outcome=outcome[:200]))  # fmt: skip
            values: dict[str, Any] = {"attempts": due.attempts + 1, "state": state, "leased_until": None}
            if next_at is not None:
                values["next_at"] = next_at
            if state != "pending":
                values["done_at"] = at
            pending = and_(watch_deliveries.c.seq == due.seq, watch_deliveries.c.state == "pending")
            conn.execute(update(watch_deliveries).where(pending).values(**values))

    def feed(self, issuer_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """The newest status changes of the issuer's certificates, newest first (its Atom feed's entries)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(status_events.c.seq, status_events.c.state, status_events.c.action, status_events.c.reason,
                       status_events.c.at, certificates.c.number, certificates.c.qr_text)
                .join(certificates, certificates.c.seq == status_events.c.certificate_seq)
                .where(certificates.c.issuer_id == issuer_id, status_events.c.action.in_(list(STATE_WORDS)))
                .order_by(status_events.c.seq.desc()).limit(limit)
            ).all()  # fmt: skip
        return [{"seq": r.seq, "event": STATE_WORDS[r.action], "state": r.state, "reason": r.reason, "at": r.at,
                 "number": r.number, "link": r.qr_text.rsplit("/", 1)[1]} for r in rows]  # fmt: skip


def _move(conn: Connection, name: str, seq: int) -> None:
    if not conn.execute(update(watch_cursors).where(watch_cursors.c.name == name).values(seq=seq)).rowcount:
        conn.execute(insert(watch_cursors).values(name=name, seq=seq))


def _watching(conn: Connection, certificate_seqs: set[int]) -> dict[int, list[str]]:
    rows = conn.execute(select(watches.c.id, watches.c.certificate_seq).where(
        and_(watches.c.certificate_seq.in_(sorted(certificate_seqs)), watches.c.ended_at.is_(None)))).all()  # fmt: skip
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(row.certificate_seq, []).append(row.id)
    return found


def _certificate(row: Any) -> dict[str, str]:
    """The certificate an event is about, as a delivery names it (its link: the segment its page is found by)."""
    return {"id": row.id, "number": row.number, "issuer": row.issuer_id, "link": row.qr_text.rsplit("/", 1)[1]}


def _delivery(watch_id: str, event: str, payload: dict[str, Any], at: datetime) -> dict[str, Any]:
    return {"id": "msg_" + secrets.token_hex(14), "watch_id": watch_id, "event": event,
            "payload": payload, "created_at": at, "state": "pending", "attempts": 0, "next_at": at}  # fmt: skip


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")
