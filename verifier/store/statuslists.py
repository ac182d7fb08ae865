"""The issuers' Bitstring Status Lists in the database: each certificate's index, the bits set, the lists.

Indexes are drawn (reserved) before certificates are sealed, since the seal carries them, and bound to
the certificates when they are stored; bits are written with each status event in the caller's
transaction, with when each list last changed. Every replica reads the same rows, so serves the same list.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from verifier.certificate.status import LIST_SIZE, STATUS_PURPOSES
from verifier.store.database import write_transaction
from verifier.store.tables import status_bits, status_entries, status_lists
from verifier.verdict import StatusState

# A new list opens once the current one is half full: a verifier's index stays one among many.
FILL = LIST_SIZE // 2
_RESERVE_ATTEMPTS = 5


def _draw(conn: Connection, issuer_id: str, count: int) -> list[int]:
    """``count`` random indexes the issuer has never used (nor reserved), in the list now being filled."""
    used = conn.execute(select(func.count()).select_from(status_entries).where(status_entries.c.issuer_id == issuer_id))
    filled = int(used.scalar_one())
    chosen: list[int] = []
    taken: set[int] = set()
    for _ in range(count):
        base = (filled // FILL) * LIST_SIZE
        while True:  # a few draws at a time; the first not used yet (the lists are at most half full)
            candidates = [base + secrets.randbelow(LIST_SIZE) for _ in range(4)]
            clash = set(
                conn.execute(
                    select(status_entries.c.status_index).where(
                        status_entries.c.issuer_id == issuer_id, status_entries.c.status_index.in_(candidates)
                    )
                ).scalars()
            )
            free = [c for c in candidates if c not in clash and c not in taken]
            if free:
                break
        taken.add(free[0])
        chosen.append(free[0])
        filled += 1
    return chosen


def allocate(conn: Connection, issuer_id: str, certificate_seqs: Sequence[int]) -> dict[int, int]:
    """A fresh random index for each certificate (by seq), never one the issuer used, in ``conn``'s transaction."""
    chosen = dict(zip(certificate_seqs, _draw(conn, issuer_id, len(certificate_seqs)), strict=True))
    if not chosen:
        return chosen
    conn.execute(insert(status_entries), [
        {"issuer_id": issuer_id, "status_index": index, "certificate_seq": seq} for seq, index in chosen.items()
    ])  # fmt: skip
    return chosen


def bind(conn: Connection, issuer_id: str, reserved: dict[int, int]) -> None:
    """Give each certificate (by seq) the index reserved for it by :meth:`StatusLists.reserve`.

    Raises ValueError for an index that is not a free reservation of the issuer (nothing is then bound:
    the caller's transaction rolls back).
    """
    for seq, index in reserved.items():
        bound = conn.execute(
            update(status_entries)
            .where(status_entries.c.issuer_id == issuer_id, status_entries.c.status_index == index,
                   status_entries.c.certificate_seq.is_(None))
            .values(certificate_seq=seq)
        )  # fmt: skip
        if bound.rowcount != 1:
            raise ValueError(f"status index {index} is not reserved for a certificate of {issuer_id}")


def record_state(conn: Connection, issuer_id: str, certificate_seq: int, state: StatusState, at: datetime) -> None:
    """Set the certificate's bits for its new ``state`` (revoked: revocation; suspended: suspension)."""
    index = conn.execute(
        select(status_entries.c.status_index).where(status_entries.c.certificate_seq == certificate_seq)
    ).scalar()
    if index is None:
        return
    wanted = {"revocation": state is StatusState.REVOKED, "suspension": state is StatusState.SUSPENDED}
    where = and_(status_bits.c.issuer_id == issuer_id, status_bits.c.status_index == index)
    present = set(conn.execute(select(status_bits.c.purpose).where(where)).scalars())
    changed = [p for p in STATUS_PURPOSES if wanted[p] != (p in present)]
    for purpose in changed:
        if wanted[purpose]:
            conn.execute(insert(status_bits).values(issuer_id=issuer_id, purpose=purpose, status_index=index))
        else:
            conn.execute(delete(status_bits).where(where, status_bits.c.purpose == purpose))
        _touch(conn, issuer_id, purpose, index // LIST_SIZE, at)


def _touch(conn: Connection, issuer_id: str, purpose: str, number: int, at: datetime) -> None:
    key = and_(status_lists.c.issuer_id == issuer_id, status_lists.c.purpose == purpose,
               status_lists.c.list_number == number)  # fmt: skip
    changed = update(status_lists).where(key).values(updated_at=at, changes=status_lists.c.changes + 1)
    if conn.execute(changed).rowcount == 0:
        conn.execute(insert(status_lists).values(issuer_id=issuer_id, purpose=purpose, list_number=number,
                                                 updated_at=at, changes=1))  # fmt: skip


class StatusLists:
    """Reserving indexes and reading the lists (one database)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def reserve(self, issuer_id: str, count: int) -> list[int]:
        """``count`` fresh indexes for certificates about to be sealed, taken at once in their own transaction.

        Issuance seals the index into each certificate before storing it; the store then binds the
        reservation (:func:`bind`). An issuance that fails gives its reservations back (:meth:`release`).
        Two issuances drawing the same index at once: the second's insert fails and it draws again.
        """
        for _ in range(_RESERVE_ATTEMPTS):
            try:
                with write_transaction(self.engine) as conn:
                    drawn = _draw(conn, issuer_id, count)
                    if drawn:
                        conn.execute(insert(status_entries), [
                            {"issuer_id": issuer_id, "status_index": index, "certificate_seq": None}
                            for index in drawn
                        ])  # fmt: skip
                    return drawn
            except IntegrityError:
                continue
        raise RuntimeError(f"no free status indexes for {issuer_id} after {_RESERVE_ATTEMPTS} attempts")

    def release(self, issuer_id: str, indexes: Sequence[int]) -> None:
        """Give back reservations an issuance that failed did not bind (its seals were given to nobody).

        Refused batches must not fill the lists: every reservation counts towards opening the next one.
        """
        if not indexes:
            return
        with write_transaction(self.engine) as conn:
            for start in range(0, len(indexes), 500):
                conn.execute(
                    delete(status_entries).where(
                        status_entries.c.issuer_id == issuer_id,
                        status_entries.c.status_index.in_(list(indexes[start : start + 500])),
                        status_entries.c.certificate_seq.is_(None),
                    )
                )

    def published(self) -> list[tuple[str, int]]:
        """Every (issuer, list number) that holds an index: the lists a verifier may download, in order."""
        number = (status_entries.c.status_index // LIST_SIZE).label("number")
        with self.engine.connect() as conn:
            rows = conn.execute(select(status_entries.c.issuer_id, number).distinct().order_by("issuer_id", "number"))
            return [(str(issuer), int(n)) for issuer, n in rows.all()]

    def index_of(self, certificate_seq: int) -> int | None:
        """The certificate's status index (None for one stored before the lists existed and not given one)."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(status_entries.c.status_index).where(status_entries.c.certificate_seq == certificate_seq)
            ).scalar()

    def version(self, issuer_id: str, purpose: str, number: int) -> tuple[datetime, int] | None:
        """When the list last changed and how many times it has (None: never; its bits are all clear)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(status_lists.c.updated_at, status_lists.c.changes).where(
                    status_lists.c.issuer_id == issuer_id, status_lists.c.purpose == purpose,
                    status_lists.c.list_number == number,
                )
            ).first()  # fmt: skip
        return None if row is None else (row.updated_at, int(row.changes))

    def exists(self, issuer_id: str, number: int) -> bool:
        """Whether the issuer has a certificate in list ``number``."""
        with self.engine.connect() as conn:
            return (
                conn.execute(
                    select(status_entries.c.status_index)
                    .where(
                        status_entries.c.issuer_id == issuer_id,
                        status_entries.c.status_index >= number * LIST_SIZE,
                        status_entries.c.status_index < (number + 1) * LIST_SIZE,
                    )
                    .limit(1)
                ).first()
                is not None
            )

    def bits(self, issuer_id: str, purpose: str, number: int) -> list[int]:
        """The set bits of one list, as indexes within it."""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(status_bits.c.status_index).where(
                    status_bits.c.issuer_id == issuer_id, status_bits.c.purpose == purpose,
                    status_bits.c.status_index >= number * LIST_SIZE,
                    status_bits.c.status_index < (number + 1) * LIST_SIZE,
                )
            ).scalars()  # fmt: skip
            return [index - number * LIST_SIZE for index in found]
