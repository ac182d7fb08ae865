"""What the registry knows of one seal, in one query: the lookup behind every scan it has not seen before.

Asked by worker threads (never the event loop: :mod:`verifier.reads.seals` answers the seals seen
before from memory), each lookup borrows a connection from the engine's pool and gives it back, so
the threads that scan never hold more connections than the pool lends. On PostgreSQL the lookup runs
under a statement timeout: a slow database makes a scan fail fast (503), not hold a thread.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Engine, bindparam, func, select, text
from sqlalchemy.exc import OperationalError

from verifier.errors import Kind, VerifierError
from verifier.store.tables import certificates, status_entries, status_events
from verifier.verdict import RegistryEntry, StatusState

# A certificate by its seal's digest, with its latest status event.
_later = status_events.alias("later")
_latest_event = (
    select(func.max(_later.c.seq)).where(_later.c.certificate_seq == certificates.c.seq).correlate(certificates)
)
_SEAL_LOOKUP = (
    select(certificates.c.id, certificates.c.record, status_events.c.state, status_events.c.reason, status_events.c.at,
           certificates.c.issuer_id, status_entries.c.status_index)
    .select_from(certificates.outerjoin(status_events, status_events.c.seq == _latest_event.scalar_subquery())
                 .outerjoin(status_entries, status_entries.c.certificate_seq == certificates.c.seq))
    .where(certificates.c.seal_sha256 == bindparam("digest"))
)  # fmt: skip
# A lookup that takes longer fails (PostgreSQL): a slow database must not hold every worker thread.
STATEMENT_TIMEOUT_MS = 2000


class RegistryUnavailable(VerifierError):
    """The database did not answer a seal's lookup in time (or at all): try again shortly."""

    kind = Kind.UNAVAILABLE
    code = "registry_unavailable"
    retry_after = 1


class Seals:
    """Seal lookups on one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._timeout = engine.dialect.name == "postgresql"

    def lookup(self, cose: bytes) -> RegistryEntry | None:
        """What the registry knows of exactly this seal, or None when it never issued it.

        Raises :class:`RegistryUnavailable` when the database does not answer in time.
        """
        placed = self.placed(cose)
        return placed[0] if placed is not None else None

    def placed(self, cose: bytes) -> tuple[RegistryEntry, str, int | None] | None:
        """:meth:`lookup`, with the certificate's issuer and its index in the issuer's status lists."""
        digest = hashlib.sha256(cose).digest()
        try:
            row = self._ask(digest)
        except OperationalError as exc:  # down, restarted (the pool checks connections first) or too slow
            raise RegistryUnavailable("the registry did not answer in time; try again") from exc
        if row is None:
            return None
        certificate_id, record, state, reason, at, issuer_id, status_index = row
        if isinstance(record, str):
            record = orjson.loads(record)
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        entry = RegistryEntry(certificate_id, record, StatusState(state) if state else StatusState.ACTIVE, reason, at)
        return entry, str(issuer_id), None if status_index is None else int(status_index)

    def _ask(self, digest: bytes) -> tuple[Any, ...] | None:
        with self.engine.connect() as conn:
            if self._timeout:  # for this transaction only: the connection goes back to the pool as it came
                conn.execute(text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
            row = conn.execute(_SEAL_LOOKUP, {"digest": digest}).first()
        return tuple(row) if row is not None else None

    def close(self) -> None:
        """Nothing to hand back: every lookup returns its connection to the pool."""
