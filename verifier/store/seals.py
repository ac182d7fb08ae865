"""What the registry knows of one seal, in one query: the lookup behind every scan it has not seen before.

Asked by worker threads (never the event loop: :mod:`verifier.reads.seals` answers the seals seen
before from memory). A few DBAPI connections (autocommit on PostgreSQL, with a statement timeout) are
kept for it with the query compiled for their dialect, past the statement machinery: one round trip a
lookup. A thread borrows one and gives it back, so the threads that scan never hold more connections
than :data:`READERS`; a slow database makes a scan fail fast (503), not hold a thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import queue
import threading
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Engine, bindparam, func, select

from verifier.errors import Kind, VerifierError
from verifier.store.tables import certificates, status_entries, status_events
from verifier.verdict import RegistryEntry, StatusState

# A certificate by its seal's digest, with its latest status event.
_later = status_events.alias("later")
_latest_event = (
    select(func.max(_later.c.seq)).where(_later.c.certificate_seq == certificates.c.seq).correlate(certificates)
)
_SEALS = (
    select(certificates.c.id, certificates.c.record, status_events.c.state, status_events.c.reason, status_events.c.at,
           certificates.c.issuer_id, status_entries.c.status_index)
    .select_from(certificates.outerjoin(status_events, status_events.c.seq == _latest_event.scalar_subquery())
                 .outerjoin(status_entries, status_entries.c.certificate_seq == certificates.c.seq))
)  # fmt: skip
_SEAL_LOOKUP = _SEALS.where(certificates.c.seal_sha256 == bindparam("digest"))
# A lookup that takes longer fails (PostgreSQL): a slow database must not hold every worker thread.
STATEMENT_TIMEOUT_MS = 2000
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement the timeout cancelled


class RegistryUnavailable(VerifierError):
    """The database did not answer a seal's lookup in time (or at all): try again shortly."""

    kind = Kind.UNAVAILABLE
    code = "registry_unavailable"
    retry_after = 1


READERS = 8  # connections kept for seal lookups (taken from the engine's pool, which lends more)


class _SealReader:
    """One DBAPI connection (autocommit, with the statement timeout) and the lookup compiled for its dialect."""

    def __init__(self, engine: Engine) -> None:
        self.sql = str(_SEAL_LOOKUP.compile(dialect=engine.dialect))
        self.positional = engine.dialect.paramstyle in ("qmark", "numeric", "format")
        self.connection = engine.raw_connection()
        self.postgresql = engine.dialect.name == "postgresql"
        if self.postgresql:
            self.connection.driver_connection.autocommit = True  # type: ignore[union-attr]
            self._run(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")

    def _run(self, sql: str) -> None:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()

    def lookup(self, digest: bytes) -> tuple[Any, ...] | None:
        cursor = self.connection.cursor()
        try:
            cursor.execute(self.sql, (digest,) if self.positional else {"digest": digest})
            row = cursor.fetchone()
        finally:
            cursor.close()
        return tuple(row) if row is not None else None

    def close(self, broken: bool = False) -> None:
        """Hand the connection back to the engine's pool as it was lent, or throw it away when broken."""
        with contextlib.suppress(Exception):  # already broken: nothing more to do
            if broken:
                self.connection.invalidate()
                return
            if self.postgresql:
                self._run("RESET statement_timeout")
                self.connection.driver_connection.autocommit = False  # type: ignore[union-attr]
            self.connection.close()


class Seals:
    """Seal lookups on one database, on at most ``readers`` connections of its own."""

    def __init__(self, engine: Engine, readers: int = READERS) -> None:
        self.engine = engine
        self.readers = readers
        self._idle: queue.LifoQueue[_SealReader] = queue.LifoQueue()
        self._made = 0
        self._lock = threading.Lock()
        self._closed = False

    @property
    def held(self) -> int:
        """How many connections the lookups hold now, busy or idle (never more than ``readers``)."""
        return self._made

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
        except RegistryUnavailable:
            raise
        except Exception as exc:  # a broken connection (a server restart): once more, on a fresh one
            if getattr(exc, "sqlstate", None) == QUERY_CANCELED:  # too slow: asking again would wait as long
                raise RegistryUnavailable("the registry did not answer in time; try again") from exc
            try:
                row = self._ask(digest)
            except RegistryUnavailable:
                raise
            except Exception as again:  # twice: the database is down
                raise RegistryUnavailable("the registry did not answer in time; try again") from again
        return None if row is None else _placed(row)

    def placed_many(self, coses: list[bytes]) -> dict[bytes, tuple[RegistryEntry, str, int | None]]:
        """:meth:`placed` of many seals (a batch's) in one query a 500: those the registry issued, by seal."""
        by_digest = {hashlib.sha256(cose).digest(): cose for cose in coses}
        digests, found = list(by_digest), {}
        query = _SEALS.add_columns(certificates.c.seal_sha256)
        for start in range(0, len(digests), 500):
            with self.engine.connect() as conn:
                rows = conn.execute(query.where(certificates.c.seal_sha256.in_(digests[start : start + 500]))).all()
            for *row, digest in rows:
                found[by_digest[bytes(digest)]] = _placed(tuple(row))
        return found

    def _ask(self, digest: bytes) -> tuple[Any, ...] | None:
        reader = self._borrow()
        try:
            row = reader.lookup(digest)
        except Exception:
            self._discard(reader)  # broken (a server restart) or timed out: a fresh one next time
            raise
        self._give_back(reader)
        return row

    def _borrow(self) -> _SealReader:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            make = self._made < self.readers
            if make:
                self._made += 1
        if make:
            try:
                return _SealReader(self.engine)
            except Exception:
                with self._lock:
                    self._made -= 1
                raise
        try:  # every reader busy: wait for one, no longer than a lookup may take
            return self._idle.get(timeout=STATEMENT_TIMEOUT_MS / 1000)
        except queue.Empty:
            raise RegistryUnavailable("every connection for lookups is busy; try again") from None

    def _give_back(self, reader: _SealReader) -> None:
        if self._closed:
            reader.close()
        else:
            self._idle.put(reader)

    def _discard(self, reader: _SealReader) -> None:
        reader.close(broken=True)
        with self._lock:
            self._made -= 1

    def close(self) -> None:
        """Hand every idle reader's connection back (the service is stopping)."""
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


def _placed(row: tuple[Any, ...]) -> tuple[RegistryEntry, str, int | None]:
    """A lookup's row as the registry's entry, the issuer and the status index."""
    certificate_id, record, state, reason, at, issuer_id, status_index = row
    if isinstance(record, str):
        record = orjson.loads(record)
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    entry = RegistryEntry(certificate_id, record, StatusState(state) if state else StatusState.ACTIVE, reason, at)
    return entry, str(issuer_id), None if status_index is None else int(status_index)
