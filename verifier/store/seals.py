"""The hot path of every online check: what the registry knows of one seal, in one prepared query.

Each thread keeps its own DBAPI connection (autocommit on PostgreSQL) with the lookup compiled for its
dialect, past the pool and the statement machinery.
"""

from __future__ import annotations

import contextlib
import hashlib
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
            cursor = self.connection.cursor()
            cursor.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
            cursor.close()

    def close(self, broken: bool = False) -> None:
        """Hand the connection back: as it was lent (not in autocommit), or thrown away when broken."""
        with contextlib.suppress(Exception):  # already broken: nothing more to do
            if broken:
                self.connection.invalidate()
                return
            if self.autocommit:
                cursor = self.connection.cursor()
                cursor.execute("RESET statement_timeout")
                cursor.close()
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


class Seals:
    """Seal lookups on one database; :meth:`close` hands every thread's connection back."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local = threading.local()
        self._readers: list[_SealReader] = []
        self._lock = threading.Lock()

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
        except Exception as exc:  # noqa: BLE001 - a broken connection (server restart): drop it, ask once more
            self._drop()
            try:
                row = self._ask(digest)
            except Exception:  # noqa: BLE001 - twice: the database is down, or too slow
                self._drop()
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
        return self._reader().lookup(digest)

    def _drop(self) -> None:
        broken = self._local.__dict__.pop("reader", None)
        if broken is not None:
            with self._lock:
                if broken in self._readers:
                    self._readers.remove(broken)
            broken.close(broken=True)

    def _reader(self) -> _SealReader:
        reader: _SealReader | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = _SealReader(self.engine)
            self._local.reader = reader
            with self._lock:
                self._readers.append(reader)
        return reader

    def close(self) -> None:
        """Close every thread's connection (the service is stopping)."""
        with self._lock:
            readers, self._readers = self._readers, []
        for reader in readers:
            reader.close()
