"""The console's reads: certificates found by what a clerk knows of them, a certificate's history, numbers looked up.

Search reads the certificate's own columns (number, scheme, validity) and its search terms
(:data:`~verifier.store.consoletables.certificate_terms`: the holder's names and credit code, HS codes,
markets), written with the certificate. Pages run newest first by a cursor (the last row's ``seq``), so a
page deep in 20,000 certificates costs what the first does.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, literal, or_, select

from verifier.store.consoletables import certificate_terms, users
from verifier.store.tables import audit_log, certificates, status_events
from verifier.verdict import StatusState

MAX_TEXT = 100  # characters of a search
IN_CHUNK = 500  # numbers looked up per query


class Validity(enum.Enum):
    """Where a certificate's validity stands on a day."""

    IN_FORCE = "in_force"
    EXPIRED = "expired"
    NOT_YET = "not_yet"


@dataclass(frozen=True)
class Search:
    """What to find; empty or None means any. ``text`` is the start of a number or part of a holder's name or code."""

    text: str = ""
    status: StatusState | None = None
    scheme: str | None = None
    hs_code: str | None = None  # its start: "8516" finds 8516.79
    market: str | None = None  # a two-letter country code
    validity: Validity | None = None
    today: date | None = None  # the day validity is judged on


@dataclass(frozen=True)
class Listed:
    """A certificate as a row of the list."""

    id: str
    number: str
    scheme: str
    holder: str
    holder_en: str
    valid_from: date
    valid_until: date
    state: StatusState
    issued_at: datetime


@dataclass(frozen=True)
class Event:
    """A line of a certificate's history: a status change, or an audit log entry."""

    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


def terms(record: dict[str, Any]) -> dict[str, str]:
    """A certificate's search terms (:data:`certificate_terms`' columns) from its record."""
    holder = record.get("holder") or {}
    names = [str(holder.get(k) or "") for k in ("name", "name_en", "credit_code")]
    codes = [str(p.get("hs_code") or "") for p in record.get("products") or ()]
    return {
        "holder": "\n".join(n.lower() for n in names if n),
        "hs_codes": " " + " ".join(c for c in codes if c) + " ",
        "markets": " " + " ".join(str(m) for m in record.get("markets") or ()) + " ",
    }


def write_terms(conn: Connection, issuer_id: str, made: Iterable[tuple[int, dict[str, Any]]]) -> None:
    """Write the search terms of certificates just inserted (``made``: their seq and record), in their transaction."""
    rows = [{"certificate_seq": seq, "issuer_id": issuer_id, **terms(record)} for seq, record in made]
    if rows:
        conn.execute(insert(certificate_terms), rows)


def _like(text: str) -> str:
    r"""``text`` as a literal part of a LIKE pattern (its %, _ and \\ escaped)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_JOINED = certificates.join(certificate_terms, certificate_terms.c.certificate_seq == certificates.c.seq)
_STATE = func.coalesce(
    select(status_events.c.state)
    .where(status_events.c.certificate_seq == certificates.c.seq)
    .order_by(status_events.c.seq.desc())
    .limit(1)
    .scalar_subquery(),
    literal(StatusState.ACTIVE.value),
)


class Desk:
    """The console's reads on one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def search(self, issuer_id: str, search: Search, after: int | None, limit: int) -> tuple[list[Listed], int | None]:
        """A page of the issuer's certificates that match, newest first, and the next page's cursor (None: the last)."""
        query = (
            select(certificates.c.seq, certificates.c.id, certificates.c.number, certificates.c.scheme,
                   certificates.c.record, certificates.c.valid_from, certificates.c.valid_until,
                   certificates.c.issued_at, _STATE.label("state"))
            .select_from(_JOINED)
            .where(certificates.c.issuer_id == issuer_id, *self._conditions(search))
        )  # fmt: skip
        if after is not None:
            query = query.where(certificates.c.seq < after)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(certificates.c.seq.desc()).limit(limit + 1)).all()
        listed = [
            Listed(r.id, r.number, r.scheme, str(r.record["holder"]["name"]), str(r.record["holder"]["name_en"]),
                   r.valid_from, r.valid_until, StatusState(r.state), r.issued_at)
            for r in rows[:limit]
        ]  # fmt: skip
        return listed, (rows[limit - 1].seq if len(rows) > limit else None)

    def count(self, issuer_id: str, search: Search) -> int:
        """How many of the issuer's certificates match."""
        query = (
            select(func.count())
            .select_from(
                certificates.join(certificate_terms, certificate_terms.c.certificate_seq == certificates.c.seq)
            )
            .where(certificates.c.issuer_id == issuer_id, *self._conditions(search))
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    @staticmethod
    def _conditions(search: Search) -> list[Any]:
        found: list[Any] = []
        text = search.text.strip()[:MAX_TEXT]
        if text:
            number = certificates.c.number.like(_like(text.upper()) + "%", escape="\\")
            found.append(or_(number, certificate_terms.c.holder.like("%" + _like(text.lower()) + "%", escape="\\")))
        if search.scheme:
            found.append(certificates.c.scheme == search.scheme)
        if search.hs_code:
            found.append(certificate_terms.c.hs_codes.like("% " + _like(search.hs_code) + "%", escape="\\"))
        if search.market:
            found.append(certificate_terms.c.markets.like("% " + _like(search.market.upper()) + " %", escape="\\"))
        if search.status is not None:
            found.append(search.status.value == _STATE)
        if search.validity is not None and search.today is not None:
            day = search.today
            found.append({
                Validity.IN_FORCE: and_(certificates.c.valid_from <= day, certificates.c.valid_until >= day),
                Validity.EXPIRED: certificates.c.valid_until < day,
                Validity.NOT_YET: certificates.c.valid_from > day,
            }[search.validity])  # fmt: skip
        return found

    def by_numbers(self, issuer_id: str, numbers: Sequence[str]) -> dict[str, tuple[str, StatusState]]:
        """The issuer's certificates of these numbers: number -> (id, current state); a number not found is absent."""
        found: dict[str, tuple[str, StatusState]] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(numbers), IN_CHUNK):
                chunk = list(numbers[start : start + IN_CHUNK])
                rows = conn.execute(
                    select(certificates.c.number, certificates.c.id, _STATE.label("state"))
                    .where(certificates.c.issuer_id == issuer_id, certificates.c.number.in_(chunk))
                ).all()  # fmt: skip
                found.update({r.number: (r.id, StatusState(r.state)) for r in rows})
        return found

    def history(self, certificate_id: str, limit: int = 200) -> list[Event]:
        """A certificate's audit log entries (issuance, status changes, downloads logged), newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(audit_log.c.at, audit_log.c.actor, audit_log.c.action, audit_log.c.detail)
                .where(audit_log.c.target == f"certificate:{certificate_id}")
                .order_by(audit_log.c.seq.desc()).limit(limit)
            ).all()  # fmt: skip
        return [Event(r.at, r.actor, r.action, dict(r.detail or {})) for r in rows]

    def names(self, actors: Iterable[str]) -> dict[str, str]:
        """The e-mail addresses of the people among ``actors`` (as the audit log names them: ``user:<id>``)."""
        ids = sorted({a.removeprefix("user:") for a in actors if a.startswith("user:")})
        if not ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(select(users.c.id, users.c.email).where(users.c.id.in_(ids))).all()
        return {f"user:{r.id}": r.email for r in rows}
