"""Verification reports (the customs desk's): kept for their period, then let go; and certificates by number.

A report is written once, whole, when a batch of checks is answered with one; its PDF is added when it is
first downloaded (rendering is the dear part, and most reports are read on screen or kept as the JSON).
Reports past their ``expires_at`` are deleted by :meth:`Reports.purge`, which the service runs; the
credential's signature outlives them (a report's PDF carries it, and checks offline).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import Engine, delete, func, insert, select, tuple_, update

from verifier.store.customstables import reports
from verifier.store.database import write_transaction
from verifier.store.tables import certificates, status_events
from verifier.verdict import StatusState


@dataclass(frozen=True)
class StoredReport:
    """A report as kept: its credential, the certificates it names, its PDF once rendered."""

    id: str
    created_at: datetime
    expires_at: datetime
    items: int
    jwt: str
    certificate_ids: tuple[str | None, ...]
    pdf: bytes | None


@dataclass(frozen=True)
class Standing:
    """A certificate's status now, for a report's page: its state, since when and why; its number."""

    number: str
    state: StatusState
    since: datetime | None
    reason: str | None


class Reports:
    """Reports on one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, report_id: str, jwt: str, certificate_ids: list[str | None], at: datetime, until: datetime) -> None:
        """Keep a report (its id is new: random, unguessable) until ``until``."""
        with write_transaction(self.engine) as conn:
            conn.execute(insert(reports).values(id=report_id, created_at=at, expires_at=until,
                                                items=len(certificate_ids), jwt=jwt,
                                                certificate_ids=certificate_ids))  # fmt: skip

    def get(self, report_id: str, at: datetime) -> StoredReport | None:
        """The report kept under ``report_id``, or None (never kept, or past its period at ``at``)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(reports).where(reports.c.id == report_id, reports.c.expires_at > at)).first()
        if row is None:
            return None
        ids = row.certificate_ids
        if isinstance(ids, str):
            ids = orjson.loads(ids)
        return StoredReport(row.id, row.created_at, row.expires_at, row.items, row.jwt, tuple(ids), row.pdf)

    def save_pdf(self, report_id: str, pdf: bytes) -> None:
        """Keep the report's rendered PDF (the same bytes every replica would render: a second save changes none)."""
        with write_transaction(self.engine) as conn:
            conn.execute(update(reports).where(reports.c.id == report_id, reports.c.pdf.is_(None)).values(pdf=pdf))

    def purge(self, at: datetime) -> int:
        """Delete the reports past their period at ``at``; how many went."""
        with write_transaction(self.engine) as conn:
            return int(conn.execute(delete(reports).where(reports.c.expires_at <= at)).rowcount or 0)

    def count(self) -> int:
        """How many reports are kept."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(reports)).scalar_one())

    def standings(self, certificate_ids: list[str]) -> dict[str, Standing]:
        """The status now of each certificate named (its newest status event), by id; one query."""
        wanted = sorted(set(certificate_ids))
        if not wanted:
            return {}
        later = status_events.alias("later")
        newest = select(func.max(later.c.seq)).where(later.c.certificate_seq == certificates.c.seq).correlate(
            certificates).scalar_subquery()  # fmt: skip
        query = (
            select(certificates.c.id, certificates.c.number, status_events.c.state, status_events.c.at,
                   status_events.c.reason)
            .select_from(certificates.outerjoin(status_events, status_events.c.seq == newest))
            .where(certificates.c.id.in_(wanted))
        )  # fmt: skip
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return {
            row.id: Standing(
                row.number, StatusState(row.state) if row.state else StatusState.ACTIVE, row.at, row.reason
            )
            for row in rows
        }

    def find_many(self, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The QR text of the certificate (any issuer's, the newest) with each number whose holder has the credit code.

        Both must match exactly (the credit code's letters in upper case), so a number alone finds nothing:
        numbers cannot be walked through. One query for up to 500 pairs.
        """
        wanted = sorted({(number, code.upper()) for number, code in pairs})
        found: dict[tuple[str, str], str] = {}
        for start in range(0, len(wanted), 500):
            query = (
                select(certificates.c.number, certificates.c.credit_code, certificates.c.qr_text)
                .where(tuple_(certificates.c.number, certificates.c.credit_code).in_(wanted[start : start + 500]))
                .order_by(certificates.c.issued_at.desc(), certificates.c.seq.desc())
            )
            with self.engine.connect() as conn:
                for row in conn.execute(query):
                    found.setdefault((row.number, row.credit_code), str(row.qr_text))
        return found
