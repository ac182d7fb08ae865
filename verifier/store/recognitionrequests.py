"""An issuer's requests that a partner body recognise one of its certificates, and the body's answers.

The issuer asks for markets within the body's remit; the body sees its pending requests, accepts one (by
storing a recognition that names it: :meth:`RecognitionRequests.accept_in`, called in that very
transaction) or declines it with a reason; the issuer may withdraw a request not yet answered. A body
may also recognise a certificate nobody asked it to, found by its number and holder (:meth:`find`).
Every step is audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from verifier.certificate.codes import COUNTRIES
from verifier.errors import FieldRefused
from verifier.store.audit import Change, audited
from verifier.store.parties import party_row
from verifier.store.recognitions import MAX_PAGE, NewRecognition, certificate_seq
from verifier.store.records import Conflict, NotFound, Principal, body_of, issuer_of
from verifier.store.tables import certificates, recognition_markets, recognition_requests
from verifier.verdict import StatusState

PENDING, ACCEPTED, DECLINED, WITHDRAWN = "pending", "accepted", "declined", "withdrawn"


@dataclass(frozen=True)
class RequestRecord:
    """A request, and its answer once there is one."""

    id: str
    certificate_id: str
    certificate_number: str
    issuer_id: str
    party_id: str
    markets: tuple[str, ...]
    note: str
    state: str
    asked_at: datetime
    answered_at: datetime | None
    reason: str | None
    recognition_id: str | None

    def shown(self) -> dict[str, Any]:
        """As the API shows it to the issuer and the body."""
        return {"id": self.id, "certificate_id": self.certificate_id, "certificate_number": self.certificate_number,
                "issuer": self.issuer_id, "recogniser": self.party_id, "markets": list(self.markets),
                "note": self.note, "state": self.state, "asked_at": self.asked_at, "answered_at": self.answered_at,
                "reason": self.reason, "recognition_id": self.recognition_id}  # fmt: skip


_SELECT = select(
    recognition_requests, certificates.c.id.label("certificate_id"), certificates.c.number.label("certificate_number")
).select_from(recognition_requests.join(certificates, certificates.c.seq == recognition_requests.c.certificate_seq))


def _record(row: Any) -> RequestRecord:
    markets = tuple(row.markets[i : i + 2] for i in range(0, len(row.markets), 2))
    return RequestRecord(
        row.id, row.certificate_id, row.certificate_number, row.issuer_id, row.party_id, markets, row.note,
        row.state, row.asked_at, row.answered_at, row.reason, row.recognition_id,
    )  # fmt: skip


def checked_markets(markets: tuple[str, ...]) -> tuple[str, ...]:
    """Distinct ISO 3166-1 alpha-2 codes, in upper case; raises :class:`FieldRefused`."""
    codes = tuple(m.strip().upper() for m in markets)
    if not codes or len(set(codes)) != len(codes) or not set(codes) <= COUNTRIES or len(codes) > 60:
        raise FieldRefused("markets", "1 to 60 distinct ISO 3166-1 alpha-2 codes, such as DE")
    return codes


class RecognitionRequests:
    """The requests on one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def ask(
        self, actor: Principal, certificate_id: str, party_id: str, markets: tuple[str, ...], note: str, at: datetime
    ) -> RequestRecord:
        """Ask ``party_id`` to recognise one of the actor's certificates for ``markets``.

        Raises :class:`NotFound` for a certificate not the issuer's or a party that does not recognise,
        :class:`FieldRefused` for markets outside the body's remit (or a scheme outside it), and
        :class:`Conflict` for a certificate not in force, a request already pending, or markets the body
        recognises it for already.
        """
        issuer_id = issuer_of(actor)
        wanted = checked_markets(markets)
        with audited(self.engine, actor.token_id, at) as change:
            row = change.conn.execute(
                select(certificates.c.seq, certificates.c.scheme)
                .where(certificates.c.id == certificate_id, certificates.c.issuer_id == issuer_id)
            ).first()  # fmt: skip
            if row is None:
                raise NotFound("no such certificate")
            try:
                body = party_row(change.conn, party_id)
            except NotFound:
                body = None
            if body is None or not body.terms.recognises:
                raise NotFound(f"no recognising body {party_id}")
            outside = sorted(set(wanted) - set(body.terms.markets))
            if outside:
                raise FieldRefused("markets", f"{body.name_en} may not recognise for {', '.join(outside)}: its remit "
                                              f"is {', '.join(body.terms.markets)}")  # fmt: skip
            if row.scheme not in body.terms.schemes:
                raise FieldRefused("certificate_id", f"{body.name_en} may not recognise {row.scheme} certificates")
            if certificate_seq(change.conn, certificate_id)[1] is not StatusState.ACTIVE:
                raise Conflict("only a certificate in force can be recognised")
            self._refuse_repeat(change, row.seq, party_id, wanted)
            request_id = str(uuid.uuid4())
            change.conn.execute(insert(recognition_requests).values(
                id=request_id, certificate_seq=row.seq, issuer_id=issuer_id, party_id=party_id, markets="".join(wanted),
                note=note, state=PENDING, asked_by=actor.token_id, asked_at=at,
            ))  # fmt: skip
            detail = {"certificate": certificate_id, "recogniser": party_id, "markets": "".join(wanted)}
            change.audit("recognition_request.create", f"request:{request_id}", detail)
        return self.get(request_id)

    @staticmethod
    def _refuse_repeat(change: Change, seq: int, party_id: str, markets: tuple[str, ...]) -> None:
        pending = change.conn.execute(
            select(recognition_requests.c.id).where(
                recognition_requests.c.certificate_seq == seq, recognition_requests.c.party_id == party_id,
                recognition_requests.c.state == PENDING,
            )
        ).scalar()  # fmt: skip
        if pending is not None:
            raise Conflict(f"a request to {party_id} for this certificate is pending already ({pending})")
        held = change.conn.execute(
            select(recognition_markets.c.market).where(
                recognition_markets.c.certificate_seq == seq, recognition_markets.c.party_id == party_id,
                recognition_markets.c.market.in_(list(markets)),
            )
        ).scalars().all()  # fmt: skip
        if held:
            raise Conflict(f"{party_id} recognises this certificate for {', '.join(sorted(held))} already")

    def get(self, request_id: str) -> RequestRecord:
        """A request by its id; raises :class:`NotFound`."""
        with self.engine.connect() as conn:
            row = conn.execute(_SELECT.where(recognition_requests.c.id == request_id)).first()
        if row is None:
            raise NotFound("no such request")
        return _record(row)

    def page(
        self,
        actor: Principal,
        received: bool,
        state: str | None = None,
        after: datetime | None = None,
        limit: int = 50,
    ) -> list[RequestRecord]:
        """The requests to the actor's body (``received``) or from the actor as issuer, newest first."""
        if received:
            query = _SELECT.where(recognition_requests.c.party_id == body_of(actor))
        else:
            query = _SELECT.where(recognition_requests.c.issuer_id == issuer_of(actor))
        if state is not None:
            query = query.where(recognition_requests.c.state == state)
        if after is not None:
            query = query.where(recognition_requests.c.asked_at < after)
        limit = max(1, min(limit, MAX_PAGE))
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(recognition_requests.c.asked_at.desc()).limit(limit)).all()
        return [_record(r) for r in rows]

    def pending_for(self, actor: Principal, request_id: str) -> RequestRecord:
        """A pending request to the actor's body; raises :class:`NotFound` or :class:`Conflict` (answered)."""
        party_id = body_of(actor)
        record = self.get(request_id)
        if record.party_id != party_id:
            raise NotFound("no such request")
        if record.state != PENDING:
            raise Conflict(f"the request was {record.state} already")
        return record

    def accept_in(self, change: Change, new: NewRecognition) -> None:
        """Mark the request ``new`` names accepted, in the transaction storing the recognition."""
        answered = change.conn.execute(
            update(recognition_requests)
            .where(recognition_requests.c.id == new.request_id, recognition_requests.c.party_id == new.party_id,
                   recognition_requests.c.state == PENDING)
            .values(state=ACCEPTED, answered_by=change.actor, answered_at=change.at, recognition_id=new.id)
        ).rowcount  # fmt: skip
        if answered != 1:
            raise Conflict("the request was answered or withdrawn meanwhile")
        change.audit("recognition_request.accept", f"request:{new.request_id}", {"recognition": new.id})

    def decline(self, actor: Principal, request_id: str, reason: str, at: datetime) -> RequestRecord:
        """The body declines a pending request, saying why (the issuer sees the reason)."""
        self._answer(actor, request_id, DECLINED, reason, at, body_of(actor), recognition_requests.c.party_id)
        return self.get(request_id)

    def withdraw(self, actor: Principal, request_id: str, at: datetime) -> RequestRecord:
        """The issuer withdraws its request before the body answers."""
        self._answer(actor, request_id, WITHDRAWN, None, at, issuer_of(actor), recognition_requests.c.issuer_id)
        return self.get(request_id)

    def _answer(
        self, actor: Principal, request_id: str, state: str, reason: str | None, at: datetime, owner: str, column: Any
    ) -> None:
        with audited(self.engine, actor.token_id, at) as change:
            current = change.conn.execute(
                select(recognition_requests.c.state).where(recognition_requests.c.id == request_id, column == owner)
            ).scalar()
            if current is None:
                raise NotFound("no such request")
            if current != PENDING:
                raise Conflict(f"the request was {current} already")
            change.conn.execute(
                update(recognition_requests).where(recognition_requests.c.id == request_id)
                .values(state=state, answered_by=actor.token_id, answered_at=at, reason=reason)
            )  # fmt: skip
            change.audit(f"recognition_request.{'decline' if state == DECLINED else 'withdraw'}",
                         f"request:{request_id}", {"reason": reason})  # fmt: skip

    def find(self, number: str, holder: str) -> list[dict[str, Any]]:
        """Certificates (any issuer's) with this number whose holder is ``holder``: its credit code or its name.

        What a body needs to recognise a certificate nobody asked it to; at most 10.
        """
        wanted = holder.strip()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(certificates.c.id, certificates.c.issuer_id, certificates.c.number, certificates.c.scheme,
                       certificates.c.credit_code, certificates.c.valid_from, certificates.c.valid_until,
                       certificates.c.record)
                .where(certificates.c.number == number.strip()).order_by(certificates.c.seq).limit(50)
            ).all()  # fmt: skip
        found = []
        for row in rows:
            names = {row.record.get("holder", {}).get(k, "") for k in ("name", "name_en")}
            if wanted.upper() == row.credit_code or (wanted and wanted in names):
                found.append({"certificate_id": row.id, "issuer": row.issuer_id, "number": row.number,
                              "scheme": row.scheme, "holder": row.record.get("holder", {}).get("name_en", ""),
                              "valid_from": _day(row.valid_from), "valid_until": _day(row.valid_until)})  # fmt: skip
        return found[:10]


def _day(value: date) -> str:
    return value.isoformat()
