"""The log's witnesses (named cosigning keys, each of a partner body or another party) and their cosignatures.

A witness is registered by the operator with its name and public key, and withdrawn, never deleted. A
cosignature is kept per checkpoint size and witness once it verified (:mod:`verifier.ledger.witnessing`
checks it); the checkpoint served is the log's note with the cosignatures kept for its size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from verifier.store.audit import audited
from verifier.store.records import Conflict, NotFound, Principal
from verifier.store.tables import log_cosignatures, log_witnesses
from verifier.tlog.note import COSIGNATURE, NoteKey


@dataclass(frozen=True)
class Witness:
    """A registered witness: its cosigning key, the party it belongs to (if any), when it came and went."""

    key: NoteKey
    party_id: str | None
    added_at: datetime
    withdrawn_at: datetime | None

    @property
    def name(self) -> str:
        """The witness's key name."""
        return self.key.name


@dataclass(frozen=True)
class Cosignature:
    """A witness's verified cosignature of the checkpoint of ``size``: its signature line and its time."""

    size: int
    witness: str
    line: str
    signed_at: datetime


class Witnesses:
    """Witnesses and cosignatures on one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, actor: Principal, key: NoteKey, party_id: str | None, at: datetime) -> Witness:
        """Register a witness; raises :class:`Conflict` for a name taken (withdrawn ones too: names are not reused)."""
        if key.kind != COSIGNATURE:
            raise Conflict("a witness cosigns with a cosignature key (type 0x04)")
        try:
            with audited(self.engine, actor.token_id, at) as change:
                change.conn.execute(insert(log_witnesses).values(
                    name=key.name, public_key=key.public, party_id=party_id, added_at=at))  # fmt: skip
                change.audit("log.witness.add", f"witness:{key.name}", {"vkey": key.vkey(), "party": party_id})
        except IntegrityError:
            raise Conflict(f"a witness named {key.name} exists already") from None
        return Witness(key, party_id, at, None)

    def withdraw(self, actor: Principal, name: str, at: datetime) -> None:
        """Withdraw a witness: its cosignatures no longer count from the next trust list on."""
        with audited(self.engine, actor.token_id, at) as change:
            done = change.conn.execute(
                update(log_witnesses).where(log_witnesses.c.name == name, log_witnesses.c.withdrawn_at.is_(None))
                .values(withdrawn_at=at)
            ).rowcount  # fmt: skip
            if not done:
                raise NotFound(f"no witness {name} in service")
            change.audit("log.witness.withdraw", f"witness:{name}", {})

    def all(self) -> list[Witness]:
        """Every witness ever registered, by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(log_witnesses).order_by(log_witnesses.c.name)).all()
        return [
            Witness(NoteKey(r.name, COSIGNATURE, bytes(r.public_key)), r.party_id, r.added_at, r.withdrawn_at)
            for r in rows
        ]

    def serving(self) -> list[Witness]:
        """The witnesses in service (not withdrawn), by name."""
        return [w for w in self.all() if w.withdrawn_at is None]

    def keep(self, cosignature: Cosignature, at: datetime) -> bool:
        """Keep a verified cosignature; False when the witness's cosignature of that size is kept already."""
        try:
            with audited(self.engine, f"witness:{cosignature.witness}"[:40], at) as change:
                change.conn.execute(insert(log_cosignatures).values(
                    size=cosignature.size, witness=cosignature.witness, line=cosignature.line,
                    signed_at=cosignature.signed_at, received_at=at))  # fmt: skip
        except IntegrityError:
            return False
        return True

    def of(self, size: int) -> list[Cosignature]:
        """The cosignatures kept for the checkpoint of ``size``, by witness name."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(log_cosignatures).where(log_cosignatures.c.size == size).order_by(log_cosignatures.c.witness)
            ).all()
        return [Cosignature(int(r.size), r.witness, r.line, r.signed_at) for r in rows]

    def latest(self, names: list[str]) -> dict[str, tuple[int, datetime]]:
        """Each named witness's newest cosignature (the size it cosigned and when it signed): one index lookup each."""
        newest: dict[str, tuple[int, datetime]] = {}
        with self.engine.connect() as conn:
            for name in names:
                row = conn.execute(
                    select(log_cosignatures.c.size, log_cosignatures.c.signed_at)
                    .where(log_cosignatures.c.witness == name)
                    .order_by(log_cosignatures.c.size.desc())
                    .limit(1)
                ).first()
                if row is not None:
                    newest[name] = (int(row.size), row.signed_at)
        return newest

    def witnessed(self, quorum: int, names: set[str]) -> int | None:
        """The largest checkpoint size cosigned by at least ``quorum`` of the witnesses ``names``; None if none is."""
        if quorum <= 0 or not names:
            return None
        query = (
            select(log_cosignatures.c.size)
            .where(log_cosignatures.c.witness.in_(sorted(names)))
            .group_by(log_cosignatures.c.size)
            .having(func.count() >= quorum)
            .order_by(log_cosignatures.c.size.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            size = conn.execute(query).scalar()
        return None if size is None else int(size)
