"""The issuers' Bitstring Status Lists in the database: each certificate's index, the bits set, the lists.

Indexes are drawn (reserved) before certificates are sealed, since the seal carries them, and bound to
the certificates when they are stored; bits are written with each status event in the caller's
transaction, with when each list last changed. Every replica reads the same rows, so serves the same list.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from verifier.certificate.status import LIST_SIZE, STATUS_PURPOSES
from verifier.store.database import write_transaction
from verifier.store.tables import issuers, status_bits, status_entries, status_lists
from verifier.verdict import StatusState

# A new list opens once the current one is half full: a verifier's index stays one among many.
FILL = LIST_SIZE // 2
_RESERVE_ATTEMPTS = 5


def _draw(conn: Connection, issuer_id: str, count: int) -> list[int]:
    """``count`` random indexes the issuer has never used (nor reserved), in the list now being filled.

    The list being filled is the issuer's highest; a batch that fills it to half goes on in the next.
    Candidates are drawn for a whole batch at once and checked in a few queries (a list is at most half
    full, so most are free). What this reads is bounded by a list's size, never the registry's.
    """
    top = conn.execute(select(func.max(status_entries.c.status_index)).where(status_entries.c.issuer_id == issuer_id))
    highest = top.scalar()
    number = 0 if highest is None else int(highest) // LIST_SIZE
    filled = int(
        conn.execute(
            select(func.count()).select_from(status_entries).where(
                status_entries.c.issuer_id == issuer_id,
                status_entries.c.status_index >= number * LIST_SIZE,
                status_entries.c.status_index < (number + 1) * LIST_SIZE,
            )
        ).scalar_one()
    )  # fmt: skip
    chosen: list[int] = []
    while len(chosen) < count:
        if filled >= FILL:
            number, filled = number + 1, 0
        base = number * LIST_SIZE
        wanted = min(count - len(chosen), FILL - filled)
        candidates = list({base + secrets.randbelow(LIST_SIZE) for _ in range(wanted + wanted // 2 + 4)})
        clash: set[int] = set()
        for start in range(0, len(candidates), 500):
            part = candidates[start : start + 500]
            clash.update(
                conn.execute(
                    select(status_entries.c.status_index).where(
                        status_entries.c.issuer_id == issuer_id, status_entries.c.status_index.in_(part)
                    )
                ).scalars()
            )
        taken = set(chosen)  # drawn for this batch already: not in the table yet
        free = [c for c in candidates if c not in clash and c not in taken][:wanted]
        chosen.extend(free)
        filled += len(free)
    _open(conn, issuer_id, {index // LIST_SIZE for index in chosen})
    return chosen


def _open(conn: Connection, issuer_id: str, numbers: set[int]) -> None:
    """Give each list ``numbers`` names its rows in ``status_lists`` (no change yet), unless it has them.

    Every list a certificate's index is in has its rows, so the lists there are (and their versions)
    are read from that small table alone.
    """
    if not numbers:
        return
    present = set(
        conn.execute(
            select(status_lists.c.list_number).where(
                status_lists.c.issuer_id == issuer_id, status_lists.c.list_number.in_(sorted(numbers))
            )
        ).scalars()
    )
    missing = sorted(numbers - present)
    if not missing:
        return
    since = conn.execute(select(issuers.c.created_at).where(issuers.c.id == issuer_id)).scalar_one()
    rows = [{"issuer_id": issuer_id, "purpose": purpose, "list_number": number, "updated_at": since, "changes": 0}
            for number in missing for purpose in STATUS_PURPOSES]  # fmt: skip
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    conn.execute(dialect.insert(status_lists).on_conflict_do_nothing(), rows)  # another issuance opened it meanwhile


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
    if not reserved:
        return
    conn.execute(
        update(status_entries)
        .where(status_entries.c.issuer_id == issuer_id, status_entries.c.status_index == bindparam("reserved"),
               status_entries.c.certificate_seq.is_(None))
        .values(certificate_seq=bindparam("seq")),
        [{"reserved": index, "seq": seq} for seq, index in reserved.items()],
    )  # fmt: skip
    seqs = list(reserved)
    bound = 0
    for start in range(0, len(seqs), 500):  # an executemany's row count is not reliable on every driver
        bound += int(
            conn.execute(
                select(func.count()).select_from(status_entries).where(
                    status_entries.c.issuer_id == issuer_id,
                    status_entries.c.certificate_seq.in_(seqs[start : start + 500]),
                )
            ).scalar_one()
        )  # fmt: skip
    if bound != len(seqs):
        raise ValueError(f"a status index of {issuer_id} given is not reserved for a certificate of it")


def record_state(conn: Connection, issuer_id: str, certificate_seq: int, state: StatusState, at: datetime) -> None:
    """Set the certificate's bits for its new ``state`` (revoked: revocation; suspended: suspension)."""
    index = conn.execute(
        select(status_entries.c.status_index).where(status_entries.c.certificate_seq == certificate_seq)
    ).scalar()
    if index is not None:
        set_bits(conn, issuer_id, int(index), state, at)


def set_bits(conn: Connection, issuer_id: str, index: int, state: StatusState, at: datetime) -> None:
    """Set the bits of ``index`` in the party's lists for a new ``state`` (a certificate's, or a recognition's)."""
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
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(status_lists.c.issuer_id, status_lists.c.list_number).distinct()
                .order_by(status_lists.c.issuer_id, status_lists.c.list_number)
            )  # fmt: skip
            return [(str(issuer), int(n)) for issuer, n in rows.all()]

    def versions(self) -> dict[tuple[str, str, int], tuple[datetime, int]]:
        """Every list there is, by (issuer, purpose, number): when it last changed and how many times.

        One read of a small table (a row per list, not per certificate): what a replica polls to learn
        of a change made by another.
        """
        with self.engine.connect() as conn:
            rows = conn.execute(select(status_lists.c.issuer_id, status_lists.c.purpose, status_lists.c.list_number,
                                       status_lists.c.updated_at, status_lists.c.changes)).all()  # fmt: skip
        return {(str(r.issuer_id), str(r.purpose), int(r.list_number)): (r.updated_at, int(r.changes)) for r in rows}

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
            found = conn.execute(
                select(status_lists.c.list_number).where(
                    status_lists.c.issuer_id == issuer_id, status_lists.c.list_number == number
                ).limit(1)
            ).first()  # fmt: skip
        return found is not None

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
