"""The transparency log in the database: entries sequenced with the changes they record, the tree integrated.

:func:`append` gives events their indexes inside the change's own transaction (it locks the one
``sequenced`` row, so two replicas appending at once queue, and an index is never given twice or skipped:
a rolled-back change gives its indexes back). :meth:`Log.integrate` hashes the entries past the tree's
size into the tiles and signs a checkpoint of the new size; it locks the ``integrated`` row, and any
replica may run it, since the same entries make the same tiles and (Ed25519 being deterministic) the same
checkpoint. Nothing here decides what an event says (:mod:`verifier.tlog.leaves`) or serves the log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, func, insert, select, update

from verifier.store.audit import Change
from verifier.store.database import write_transaction
from verifier.store.tables import (
    certificate_credentials,
    certificates,
    log_checkpoints,
    log_entries,
    log_state,
    log_tiles,
)
from verifier.tlog.leaves import Event, digest_of, digest_text, time_text
from verifier.tlog.merkle import HASH_SIZE, RightEdge, leaf_hash
from verifier.tlog.tiles import TILE_HEIGHT, TILE_WIDTH, Tile

INTEGRATE_BATCH = 8192  # entries hashed per transaction; a backlog integrates over several
SUBJECTS = {"issued": "seal", "status": "seal", "recognised": "recognition", "recognition-status": "recognition",
            "trust-list": "content"}  # fmt: skip

Signer = Callable[[int, bytes], str]  # (size, root) -> the checkpoint note, signed by the log


def _sha(data: bytes | str) -> str:
    return digest_text(hashlib.sha256(data.encode() if isinstance(data, str) else data).digest())


def issued(at: datetime, issuer_id: str, kid: bytes, cose: bytes, credential: str | None) -> Event:
    """A certificate issued: its issuer, the key that sealed it, its seal's and its credential's SHA-256."""
    return Event.make("issued", at=time_text(at), issuer=issuer_id, key=kid.hex(), seal=_sha(cose),
                      credential=_sha(credential) if credential else "-")  # fmt: skip


def status(at: datetime, issuer_id: str, seal_sha256: bytes, state: str, reason: str) -> Event:
    """A certificate's status changed (the certificate named by its seal's SHA-256)."""
    return Event.make("status", at=time_text(at), issuer=issuer_id, seal=digest_text(seal_sha256), state=state,
                      reason=reason or "-")  # fmt: skip


def recognised(at: datetime, party_id: str, kid: bytes, cose: bytes, seal_sha256: bytes) -> Event:
    """A body recognised a certificate: the key that signed, the recognition seal's and the base seal's SHA-256."""
    return Event.make("recognised", at=time_text(at), body=party_id, key=kid.hex(), recognition=_sha(cose),
                      seal=digest_text(seal_sha256))  # fmt: skip


def recognition_status(at: datetime, party_id: str, recognition_sha256: bytes, state: str, reason: str) -> Event:
    """A recognition's status changed."""
    return Event.make("recognition-status", at=time_text(at), body=party_id,
                      recognition=digest_text(recognition_sha256), state=state, reason=reason or "-")  # fmt: skip


def key_event(at: datetime, party_id: str, event: str, kid: bytes, public: bytes) -> Event:
    """A party's key was added, rotated in or withdrawn."""
    return Event.make("key", at=time_text(at), party=party_id, event=event, key=kid.hex(), public=digest_text(public))


def trust_list(at: datetime, version: int, content_sha256: bytes) -> Event:
    """A trust list version published: its number and the SHA-256 of what it vouches for (TrustList.digest)."""
    return Event.make("trust-list", at=time_text(at), version=str(version), content=digest_text(content_sha256))


def append(change: Change, events: Sequence[Event]) -> list[int]:
    """Give ``events`` the next indexes, in order, in the change's transaction; returns the indexes."""
    if not events:
        return []
    conn = change.conn
    end = conn.execute(
        update(log_state)
        .where(log_state.c.name == "sequenced")
        .values(size=log_state.c.size + len(events))
        .returning(log_state.c.size)
    ).scalar_one()  # the UPDATE holds the row until commit: the next appender waits here
    start = int(end) - len(events)
    rows = []
    for offset, event in enumerate(events):
        subject = event.get(SUBJECTS.get(event.kind, ""))
        rows.append({"idx": start + offset, "kind": event.kind, "leaf": event.to_bytes(), "at": change.at,
                     "subject": digest_of(subject) if subject else None})  # fmt: skip
    conn.execute(insert(log_entries), rows)
    return list(range(start, int(end)))


def _blob(value: bytes | str) -> bytes:
    """A stored leaf's bytes (SQLite gives text for one an insider rewrote as text: served as it is)."""
    return value.encode() if isinstance(value, str) else bytes(value)


class _Logged(Exception):  # not an error: the cue to roll back an entry logged before
    pass


@dataclass(frozen=True)
class StoredCheckpoint:
    """A checkpoint the log signed: its size, root, note (the log's signature only) and when."""

    size: int
    root: bytes
    note: str
    at: datetime


def _tile_key(level: int, index: int) -> tuple[int, int]:
    return level, index // TILE_WIDTH


class Log:
    """The log on one database: its entries, tiles, checkpoints."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def sizes(self) -> tuple[int, int]:
        """(entries sequenced, entries integrated into the tree)."""
        with self.engine.connect() as conn:
            sizes = dict(conn.execute(select(log_state.c.name, log_state.c.size)).all())
        return int(sizes["sequenced"]), int(sizes["integrated"])

    def entries(self, start: int, end: int) -> list[bytes]:
        """The leaves ``[start, end)`` (fewer when the log has fewer)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(log_entries.c.leaf).where(log_entries.c.idx >= start, log_entries.c.idx < end)
                .order_by(log_entries.c.idx)
            ).all()  # fmt: skip
        return [_blob(r.leaf) for r in rows]

    def find(self, subject: bytes, kind: str) -> list[int]:
        """The indexes of the entries of ``kind`` about ``subject`` (a seal's or a recognition's SHA-256), in order."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(log_entries.c.idx).where(log_entries.c.subject == subject, log_entries.c.kind == kind)
                .order_by(log_entries.c.idx)
            ).all()  # fmt: skip
        return [int(r.idx) for r in rows]

    def first_entry(self, subject: bytes, kind: str) -> tuple[int, bytes] | None:
        """The first entry of ``kind`` about ``subject``: its index and its leaf (one query), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(log_entries.c.idx, log_entries.c.leaf).where(log_entries.c.subject == subject,
                                                                    log_entries.c.kind == kind)
                .order_by(log_entries.c.idx).limit(1)
            ).first()  # fmt: skip
        return None if row is None else (int(row.idx), _blob(row.leaf))

    def first_entries(self, subjects: list[bytes], kind: str) -> dict[bytes, tuple[int, bytes]]:
        """:meth:`first_entry` of many subjects, in one query: those found, by subject."""
        found: dict[bytes, tuple[int, bytes]] = {}
        if not subjects:
            return found
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(log_entries.c.subject, log_entries.c.idx, log_entries.c.leaf)
                .where(log_entries.c.subject.in_(subjects), log_entries.c.kind == kind).order_by(log_entries.c.idx)
            ).all()  # fmt: skip
        for row in rows:
            found.setdefault(bytes(row.subject), (int(row.idx), _blob(row.leaf)))
        return found

    def append_once(self, event: Event, at: datetime) -> int | None:
        """Append ``event`` unless an entry of its kind about its subject is there already (None then).

        Replicas racing to log the same thing log it once: the check is made holding the log's counter.
        """
        subject = digest_of(event[SUBJECTS[event.kind]])
        try:
            with write_transaction(self.engine) as conn:
                (index,) = append(Change(conn, "log", at), [event])
                earlier = conn.execute(
                    select(log_entries.c.idx).where(log_entries.c.subject == subject, log_entries.c.kind == event.kind,
                                                    log_entries.c.idx < index).limit(1)
                ).first()  # fmt: skip
                if earlier is not None:
                    raise _Logged
                return index
        except _Logged:
            return None

    def backfill(self, at: datetime, batch: int = 500) -> int:
        """Enter the issuance of up to ``batch`` certificates issued before the log began; how many (0: none left).

        Each entry is dated as its issuance; the credential digest is of the one stored (``-`` for none).
        Holding the log's counter while it looks, two backfills at once never enter one certificate twice.
        """
        logged = select(log_entries.c.idx).where(log_entries.c.subject == certificates.c.seal_sha256,
                                                 log_entries.c.kind == "issued")  # fmt: skip
        with write_transaction(self.engine) as conn:
            conn.execute(update(log_state).where(log_state.c.name == "sequenced").values(size=log_state.c.size))
            rows = conn.execute(
                select(certificates.c.issuer_id, certificates.c.kid, certificates.c.issued_at, certificates.c.cose,
                       certificate_credentials.c.jwt)
                .outerjoin(certificate_credentials, certificate_credentials.c.certificate_seq == certificates.c.seq)
                .where(~logged.exists()).order_by(certificates.c.seq).limit(batch)
            ).all()  # fmt: skip
            append(Change(conn, "log", at), [issued(r.issued_at, r.issuer_id, bytes(r.kid), bytes(r.cose), r.jwt)
                                             for r in rows])  # fmt: skip
        return len(rows)

    def tile(self, tile: Tile) -> bytes | None:
        """A tile's bytes at its width (a prefix of the stored one), or None when the log has not that many."""
        with self.engine.connect() as conn:
            stored = conn.execute(
                select(log_tiles.c.hashes).where(log_tiles.c.level == tile.level, log_tiles.c.idx == tile.index)
            ).scalar()
        if stored is None or len(stored) < tile.width * HASH_SIZE:
            return None
        return bytes(stored[: tile.width * HASH_SIZE])

    def latest(self) -> StoredCheckpoint | None:
        """The newest checkpoint, or None before the first."""
        newest = select(func.max(log_checkpoints.c.size)).scalar_subquery()  # planned on the key on both engines
        return self._checkpoint(select(log_checkpoints).where(log_checkpoints.c.size == newest))

    def checkpoint(self, size: int) -> StoredCheckpoint | None:
        """The checkpoint of ``size``, when the log signed one."""
        return self._checkpoint(select(log_checkpoints).where(log_checkpoints.c.size == size))

    def _checkpoint(self, query: object) -> StoredCheckpoint | None:
        with self.engine.connect() as conn:
            row = conn.execute(query).first()  # type: ignore[call-overload]
        return StoredCheckpoint(int(row.size), bytes(row.root), row.note, row.at) if row else None

    def integrate(self, sign: Signer, at: datetime, batch: int = INTEGRATE_BATCH) -> StoredCheckpoint | None:
        """Hash the entries past the tree into its tiles and sign the new size; None when there was nothing new.

        The first call signs the empty tree, so a checkpoint always exists once the service has run. With
        nothing new (the common case, asked every second by every replica) it only reads.
        """
        sequenced, integrated = self.sizes()
        if sequenced == integrated and self.latest() is not None:
            return None
        with write_transaction(self.engine) as conn:
            query = select(log_state.c.size, log_state.c.edge).where(log_state.c.name == "integrated")
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()  # one integrator at a time; the others find nothing new
            state = conn.execute(query).one()
            edge = RightEdge.from_bytes(int(state.size), bytes(state.edge))
            leaves = conn.execute(
                select(log_entries.c.idx, log_entries.c.leaf)
                .where(log_entries.c.idx >= edge.size, log_entries.c.idx < edge.size + batch)
                .order_by(log_entries.c.idx)
            ).all()  # fmt: skip
            if not leaves and conn.execute(select(log_checkpoints.c.size).limit(1)).first() is not None:
                return None
            # Indexes are given under a lock held to commit, so what is visible has no gap; a gap would end the batch.
            self._extend(conn, edge, [_blob(r.leaf) for n, r in enumerate(leaves) if r.idx == edge.size + n])
            conn.execute(update(log_state).where(log_state.c.name == "integrated")
                         .values(size=edge.size, edge=edge.to_bytes()))  # fmt: skip
            root = edge.root()
            checkpoint = StoredCheckpoint(edge.size, root, sign(edge.size, root), at)
            conn.execute(insert(log_checkpoints).values(size=checkpoint.size, root=root, note=checkpoint.note, at=at))
        return checkpoint

    @staticmethod
    def _extend(conn: Connection, edge: RightEdge, leaves: list[bytes]) -> None:
        """Append the leaves to the tree, writing every tile they touch (each one statement)."""
        touched: dict[tuple[int, int], bytearray] = {}
        existed: set[tuple[int, int]] = set()

        def tile_of(level: int, index: int) -> bytearray:
            key = _tile_key(level, index)
            if key not in touched:
                stored = conn.execute(
                    select(log_tiles.c.hashes).where(log_tiles.c.level == level, log_tiles.c.idx == key[1])
                ).scalar()
                if stored is not None:
                    existed.add(key)
                touched[key] = bytearray(stored or b"")
            return touched[key]

        for leaf in leaves:
            for height, index, hashed in edge.append(leaf_hash(leaf)):
                if height % TILE_HEIGHT == 0:
                    hashes = tile_of(height // TILE_HEIGHT, index)
                    if len(hashes) != (index % TILE_WIDTH) * HASH_SIZE:
                        raise RuntimeError(f"log tile {height // TILE_HEIGHT}/{index // TILE_WIDTH} is out of step")
                    hashes += hashed
        for (level, index), hashes in touched.items():
            if (level, index) in existed:
                conn.execute(update(log_tiles).where(log_tiles.c.level == level, log_tiles.c.idx == index)
                             .values(hashes=bytes(hashes)))  # fmt: skip
            else:
                conn.execute(insert(log_tiles).values(level=level, idx=index, hashes=bytes(hashes)))
