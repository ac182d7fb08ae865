"""The audit log, and the one way the store writes: a change together with the audit rows that record it.

Every write of the store runs in :func:`audited`: the change and its audit entries commit together or
not at all. The log is append-only (the schema refuses UPDATE and DELETE on it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from verifier.store.database import write_transaction
from verifier.store.tables import audit_log

AUDIT_TARGET_LENGTH = 100  # the column's length: a longer target is cut, and marked as cut
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def audit_text(text: str, length: int) -> str:
    """``text`` fit for an audit column of ``length`` characters on either database.

    Control characters (PostgreSQL's text cannot even hold NUL) become ``?``; a longer text is cut to
    ``length`` characters ending in ``…`` (so a stranger's 60,000-character path costs 100).
    """
    text = _UNPRINTABLE.sub("?", text)
    return text if len(text) <= length else text[: length - 1] + "…"


def audit_row(at: datetime, actor: str, action: str, target: str, detail: dict[str, Any]) -> dict[str, Any]:
    """One audit entry as a row, every text fit for its column."""
    return {
        "at": at,
        "actor": audit_text(actor, 40),
        "action": audit_text(action, 40),
        "target": audit_text(target, AUDIT_TARGET_LENGTH),
        "detail": detail,
    }


@dataclass
class Change:
    """An open write transaction (``conn``) and who makes the change when: audit it before it ends."""

    conn: Connection
    actor: str
    at: datetime

    def audit(self, action: str, target: str, detail: dict[str, Any]) -> None:
        """Record one part of the change."""
        self.conn.execute(insert(audit_log).values(**audit_row(self.at, self.actor, action, target, detail)))

    def audit_all(self, entries: list[tuple[str, str, dict[str, Any]]]) -> None:
        """Record many parts at once: (action, target, detail) each, one statement."""
        if entries:
            rows = [audit_row(self.at, self.actor, action, target, detail) for action, target, detail in entries]
            self.conn.execute(insert(audit_log), rows)


@contextmanager
def audited(engine: Engine, actor: str, at: datetime) -> Iterator[Change]:
    """A write transaction for ``actor``'s change at ``at``: committed with its audit rows, or rolled back."""
    with write_transaction(engine) as conn:
        yield Change(conn, actor, at)


class AuditLog:
    """Reading the log, and the entries that record a refusal (nothing else is written with them)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, actor: str, action: str, target: str, at: datetime, detail: dict[str, Any]) -> None:
        """Audit a refused request (a bad token, a wrong role): its own transaction, nothing else written."""
        with audited(self.engine, actor, at) as change:
            change.audit(action, target, detail)

    def entries(self, limit: int = 1000) -> list[dict[str, Any]]:
        """The newest audit entries, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit)).all()
        return [dict(r._mapping) for r in rows]
